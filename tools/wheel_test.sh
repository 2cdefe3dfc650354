#!/usr/bin/env bash
# make wheel-test: prove the repaired wheel on a machine that has never seen a
# compiler or a codec library.
#
# A `debootstrap --variant=minbase bookworm` root with only python3,
# python3-venv and python3-pip (no compiler, no -dev package, no libopenjp2,
# libjpeg, libcharls, libopenjph: asserted below) gets a venv into which the
# wheel from wheelhouse/ and pydicom (+ pydicom-data) are pip-installed from
# binaries only; tools/wheel_check.py then decodes every compressed test file
# pydicom ships and round-trips every codec there, and exits non-zero on any
# failure.
#
# The finished base root is cached as a tarball under build/wheel-test/ (the
# first run downloads ~60 MB of .debs and takes ~3 minutes; later runs unpack
# the tarball in seconds). pip's download cache is kept there too.
#
# Needs root (debootstrap, chroot, mount). Environment:
#   WHEELHOUSE        where the repaired wheel is (default wheelhouse/)
#   WHEEL_TEST_CACHE  cache folder (default build/wheel-test)
#   DEBIAN_MIRROR     (default http://deb.debian.org/debian)
#   WHEEL_TEST_DATA   1 (default): also install pydicom-data and check its big files
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD

WHEELHOUSE=${WHEELHOUSE:-wheelhouse}
CACHE=${WHEEL_TEST_CACHE:-build/wheel-test}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
WITH_DATA=${WHEEL_TEST_DATA:-1}

[ "$(id -u)" = 0 ] || { echo "wheel-test: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "wheel-test: apt-get install debootstrap" >&2; exit 2; }

mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
BASE_TAR=$CACHE/$SUITE-minbase-python3.tar
ROOT=$CACHE/root
PIP_CACHE=$CACHE/pip-cache
mkdir -p "$PIP_CACHE"

shopt -s nullglob
wheels=("$WHEELHOUSE"/dicomcodecs-*.whl)
shopt -u nullglob
if [ ${#wheels[@]} -ne 1 ]; then
  echo "wheel-test: expected exactly one dicomcodecs wheel in $WHEELHOUSE/ (run 'make wheel'), found ${#wheels[@]}" >&2
  exit 2
fi
WHEEL=$(cd "$(dirname "${wheels[0]}")" && pwd)/$(basename "${wheels[0]}")
echo "wheel-test: $WHEEL"

start=$(date +%s)

# Everything mounted under $ROOT, deepest first.
mounted_under() { awk -v r="$1" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/mounts | sort -r; }
cleanup() {
  local m
  for m in $(mounted_under "$ROOT"); do umount "$m" || umount -l "$m" || true; done
}
trap cleanup EXIT

remove_root() {
  cleanup
  if [ -n "$(mounted_under "$ROOT")" ]; then
    echo "wheel-test: something is still mounted under $ROOT; not deleting it" >&2
    exit 1
  fi
  rm -rf --one-file-system "$ROOT"
}

# 1. The base root, built once and cached as a tarball.
if [ ! -f "$BASE_TAR" ]; then
  echo "wheel-test: debootstrap $SUITE (minbase + python3, python3-venv, python3-pip) from $MIRROR ..."
  remove_root
  debootstrap --variant=minbase --include=python3,python3-venv,python3-pip \
    "$SUITE" "$ROOT" "$MIRROR" > "$CACHE/debootstrap.log" 2>&1 \
    || { tail -30 "$CACHE/debootstrap.log" >&2; exit 1; }
  chroot "$ROOT" apt-get clean
  tar -C "$ROOT" --numeric-owner -cf "$BASE_TAR.tmp" .
  mv "$BASE_TAR.tmp" "$BASE_TAR"
  echo "wheel-test: base root cached in $BASE_TAR ($(( $(date +%s) - start )) s)"
fi

# 2. A fresh root from the tarball for every run.
remove_root
mkdir -p "$ROOT"
tar -C "$ROOT" --numeric-owner -xf "$BASE_TAR"

# 3. The machine must really be bare: no compiler, no codec library, no headers.
bare_ok=1
for lib in 'libopenjp2.so*' 'libjpeg.so*' 'libturbojpeg.so*' 'libcharls.so*' 'libopenjph.so*'; do
  found=$(find "$ROOT" -xdev -name "$lib" 2>/dev/null | head -3)
  if [ -n "$found" ]; then echo "wheel-test: the base root has $found" >&2; bare_ok=0; fi
done
for tool in cc gcc c++ g++ clang cmake; do
  if chroot "$ROOT" /bin/sh -c "command -v $tool" >/dev/null 2>&1; then
    echo "wheel-test: the base root has a $tool" >&2; bare_ok=0
  fi
done
for hdr in usr/include/openjpeg-2.5 usr/include/charls usr/include/openjph usr/include/jpeglib.h \
           usr/include/x86_64-linux-gnu/jpeglib.h usr/include/python3.11/Python.h; do
  if [ -e "$ROOT/$hdr" ]; then echo "wheel-test: the base root has /$hdr" >&2; bare_ok=0; fi
done
[ $bare_ok = 1 ] || { echo "wheel-test: the root is not bare; delete $BASE_TAR" >&2; exit 1; }
echo "wheel-test: root is bare (no compiler, no codec libraries, no headers)"

# 4. What the chroot needs from the host: name resolution, and this
# workplace's network intercepts TLS, so pip needs the host's CA bundle.
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
mkdir -p "$ROOT/etc/ssl/certs"
cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"
mkdir -p "$ROOT/wheels" "$ROOT/check" "$ROOT/var/cache/pip"
cp "$WHEEL" "$ROOT/wheels/"
cp "$REPO/tools/wheel_check.py" "$ROOT/check/"

mount -t proc proc "$ROOT/proc"
mount --bind /dev "$ROOT/dev"
mount --bind "$PIP_CACHE" "$ROOT/var/cache/pip"

extra=""
[ "$WITH_DATA" = 1 ] && extra="pydicom-data"

# 5. Install from binaries only (no sdist could build here anyway) and check.
set +e
chroot "$ROOT" /usr/bin/env -i \
  HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
  PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_CACHE_DIR=/var/cache/pip \
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 PIP_ROOT_USER_ACTION=ignore \
  /bin/bash -euo pipefail -c "
    python3 -m venv /opt/venv
    /opt/venv/bin/pip install -q --only-binary=:all: /wheels/$(basename "$WHEEL") 'pydicom>=3.0' $extra
    /opt/venv/bin/pip list --format=freeze | sed 's/^/  /'
    cd /check
    /opt/venv/bin/dicomcodecs --version
    /opt/venv/bin/dicomcodecs info
    /opt/venv/bin/python /check/wheel_check.py
  "
rc=$?
set -e

# 6. Nothing the wheel brought lives outside the venv; the codec libraries
# inside it are the bundled copies only.
outside=$(find "$ROOT" -xdev \( -name 'libopenjp2*.so*' -o -name 'libcharls*.so*' -o -name 'libopenjph*.so*' \
  -o -name 'libjpeg*.so*' \) -not -path "$ROOT/opt/venv/lib/python3*/site-packages/dicomcodecs.libs/*" 2>/dev/null)
if [ -n "$outside" ]; then
  echo "wheel-test: codec libraries outside the wheel's dicomcodecs.libs/:" >&2
  echo "$outside" >&2
  rc=1
fi

# Keep the root for a look when something failed; otherwise free the space.
if [ $rc = 0 ]; then remove_root; else echo "wheel-test: the root is kept in $ROOT (chroot into it to look)"; fi
echo "wheel-test: $([ $rc = 0 ] && echo PASSED || echo FAILED) in $(( $(date +%s) - start )) s"
exit $rc
