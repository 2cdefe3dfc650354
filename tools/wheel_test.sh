#!/usr/bin/env bash
# make wheel-test: prove each repaired wheel on a machine that has never seen
# a compiler or a codec library, with the interpreter it was built for.
#
# A `debootstrap --variant=minbase bookworm` root with only python3,
# python3-venv and python3-pip (no compiler, no -dev package, no libopenjp2,
# libjpeg, libopenjph, libjxl, libdeflate: asserted below) is unpacked afresh for every
# wheel in wheelhouse/. The cp311 wheel runs on Debian's own python3.11. For
# any other version, the host's interpreter (tools/pythons.sh: pyenv's
# X.Y.*) is brought in: its installation is copied to the same path in the
# root without headers, static library, test suite or site-packages, plus only
# the shared libraries it needs (ldd) that Debian's root lacks; the root is
# then checked again for compilers, codec libraries and headers. A venv of
# that interpreter gets the wheel and pydicom (+ pydicom-data), pip-installed
# from binaries only, and tools/wheel_check.py decodes every compressed test
# file pydicom ships and round-trips every codec there.
#
# The finished base root is cached as a tarball under build/wheel-test/ (the
# first run downloads ~60 MB of .debs and takes ~3 minutes; later runs unpack
# the tarball in seconds). pip's download cache is kept there too.
#
# Needs root (debootstrap, chroot, mount). Environment:
#   WHEELHOUSE        where the repaired wheels are (default wheelhouse/)
#   WHEEL_TEST_CACHE  cache folder (default build/wheel-test)
#   DEBIAN_MIRROR     (default http://deb.debian.org/debian)
#   WHEEL_TEST_DATA   1 (default): also install pydicom-data and check its big files
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
# shellcheck source=tools/pythons.sh
source tools/pythons.sh

WHEELHOUSE=${WHEELHOUSE:-wheelhouse}
CACHE=${WHEEL_TEST_CACHE:-build/wheel-test}
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
ROOT_PYTHON=3.11          # bookworm's python3
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
if [ ${#wheels[@]} -eq 0 ]; then
  echo "wheel-test: no dicomcodecs wheel in $WHEELHOUSE/ (run 'make wheel')" >&2
  exit 2
fi

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

# The machine must really be bare: no compiler, no codec library, no headers.
assert_bare() {
  local ok=1 lib tool found
  for lib in 'libopenjp2.so*' 'libjpeg.so*' 'libturbojpeg.so*' 'libcharls.so*' 'libopenjph.so*' \
             'libjxl*.so*' 'libdeflate.so*'; do
    found=$(find "$ROOT" -xdev -name "$lib" 2>/dev/null | head -3)
    if [ -n "$found" ]; then echo "wheel-test: the root has $found" >&2; ok=0; fi
  done
  for tool in cc gcc c++ g++ clang cmake; do
    if chroot "$ROOT" /bin/sh -c "command -v $tool" >/dev/null 2>&1; then
      echo "wheel-test: the root has a $tool" >&2; ok=0
    fi
  done
  found=$(find "$ROOT" -xdev \( -path "$ROOT/usr/include/openjpeg-2.5" -o -path "$ROOT/usr/include/charls" \
    -o -path "$ROOT/usr/include/jxl" -o -name libdeflate.h \
    -o -path "$ROOT/usr/include/openjph" -o -name jpeglib.h -o -name Python.h \) 2>/dev/null | head -3)
  if [ -n "$found" ]; then echo "wheel-test: the root has headers: $found" >&2; ok=0; fi
  [ $ok = 1 ] || { echo "wheel-test: the root is not bare ($1)" >&2; return 1; }
  echo "wheel-test: root is bare $1 (no compiler, no codec libraries, no headers)"
}

# Copy the host's CPython X.Y into the root at the same path, and the shared
# libraries it needs that the root lacks. Prints the interpreter's path.
bring_in_python() {
  local v=$1 py prefix elf lib copied=()
  py=$(dc_find_python "$v")
  [ -n "$py" ] || { echo "wheel-test: no CPython $v on this machine (pyenv or python$v on PATH)" >&2; return 1; }
  prefix=$("$py" -c 'import sys; print(sys.base_prefix)')
  case $prefix in
    /usr|/usr/local|/) echo "wheel-test: CPython $v at $prefix is part of the system, not a" \
                            "self-contained installation that can be copied in" >&2; return 1 ;;
  esac
  # Only the interpreter, its shared library and its standard library.
  mkdir -p "$ROOT$prefix/bin" "$ROOT$prefix/lib"
  cp -a "$prefix/bin/python$v" "$ROOT$prefix/bin/"
  ln -sf "python$v" "$ROOT$prefix/bin/python3"
  cp -a "$prefix"/lib/libpython"$v"*.so* "$ROOT$prefix/lib/" 2>/dev/null || true
  tar -C "$prefix/lib" --exclude="python$v/test" --exclude="python$v/config-*" \
    --exclude="python$v/site-packages/*" --exclude="python$v/idlelib" --exclude="python$v/tkinter" \
    --exclude="python$v/turtledemo" --exclude="python$v/lib-dynload/_tkinter*" \
    --exclude='__pycache__' -cf - "python$v" | tar -C "$ROOT$prefix/lib" -xf -
  # Shared libraries the copy needs (resolved on the host) that the root has not.
  while read -r lib; do
    [ -e "$ROOT$lib" ] && continue
    case $lib in "$prefix"/*) continue ;; esac
    mkdir -p "$ROOT$(dirname "$lib")"
    cp -L "$lib" "$ROOT$lib"
    copied+=("$lib")
  done < <(for elf in "$ROOT$prefix/bin/python$v" "$ROOT$prefix"/lib/libpython*.so* \
                      "$ROOT$prefix/lib/python$v/lib-dynload"/*.so; do
             [ -f "$elf" ] && ldd "${elf#"$ROOT"}" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
           done | sort -u)
  echo "wheel-test: brought in CPython $v from $prefix; shared libraries added: ${copied[*]:-none}" >&2
  echo "$prefix/bin/python$v"
}

check_one() {
  local wheel=$1 tag v py t0 rc
  tag=$(basename "$wheel" | cut -d- -f3)
  v=${tag#cp}; v=${v:0:1}.${v:1}
  t0=$(date +%s)
  echo
  echo "== wheel-test $tag: $(basename "$wheel")"

  # A fresh root from the tarball for every wheel.
  remove_root
  mkdir -p "$ROOT"
  tar -C "$ROOT" --numeric-owner -xf "$BASE_TAR"
  assert_bare "as unpacked" || return 1
  if [ "$v" = "$ROOT_PYTHON" ]; then
    py=/usr/bin/python3
  else
    py=$(bring_in_python "$v") || return 1
    assert_bare "with CPython $v brought in" || return 1
  fi

  # What the chroot needs from the host: name resolution, and this
  # workplace's network intercepts TLS, so pip needs the host's CA bundle.
  cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
  mkdir -p "$ROOT/etc/ssl/certs"
  cp /etc/ssl/certs/ca-certificates.crt "$ROOT/etc/ssl/certs/ca-certificates.crt"
  mkdir -p "$ROOT/wheels" "$ROOT/check" "$ROOT/var/cache/pip"
  cp "$wheel" "$ROOT/wheels/"
  cp "$REPO/tools/wheel_check.py" "$ROOT/check/"

  mount -t proc proc "$ROOT/proc"
  mount --bind /dev "$ROOT/dev"
  mount --bind "$PIP_CACHE" "$ROOT/var/cache/pip"

  local extra=""
  [ "$WITH_DATA" = 1 ] && extra="pydicom-data"

  # Install from binaries only (no sdist could build here anyway) and check.
  # pydicom comes as the wheel's own dependency.
  set +e
  chroot "$ROOT" /usr/bin/env -i \
    HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt PIP_CACHE_DIR=/var/cache/pip \
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_DEFAULT_TIMEOUT=180 PIP_ROOT_USER_ACTION=ignore \
    /bin/bash -euo pipefail -c "
      $py -VV
      $py -m venv /opt/venv
      [ \"\$(/opt/venv/bin/python -c 'import sys; print(\"%d.%d\" % sys.version_info[:2])')\" = $v ]
      /opt/venv/bin/pip install -q --only-binary=:all: /wheels/$(basename "$wheel") $extra
      /opt/venv/bin/pip list --format=freeze | sed 's/^/  /'
      cd /check
      /opt/venv/bin/dicomcodecs --version
      /opt/venv/bin/dicomcodecs info
      /opt/venv/bin/python /check/wheel_check.py
    "
  rc=$?
  set -e

  # Nothing the wheel brought lives outside the venv; the codec libraries
  # inside it are the bundled copies only.
  local outside
  outside=$(find "$ROOT" -xdev \( -name 'libopenjp2*.so*' -o -name 'libcharls*.so*' -o -name 'libopenjph*.so*' \
    -o -name 'libjxl*.so*' -o -name 'libdeflate*.so*' \
    -o -name 'libjpeg*.so*' \) -not -path "$ROOT/opt/venv/lib/python3*/site-packages/dicomcodecs.libs/*" 2>/dev/null)
  if [ -n "$outside" ]; then
    echo "wheel-test: codec libraries outside the wheel's dicomcodecs.libs/:" >&2
    echo "$outside" >&2
    rc=1
  fi
  cleanup
  echo "== wheel-test $tag: $([ $rc = 0 ] && echo PASSED || echo FAILED) in $(( $(date +%s) - t0 )) s"
  return $rc
}

results=() failed=0
for wheel in "${wheels[@]}"; do
  wheel=$(cd "$(dirname "$wheel")" && pwd)/$(basename "$wheel")
  tag=$(basename "$wheel" | cut -d- -f3)
  if check_one "$wheel"; then
    results+=("$tag PASSED")
    remove_root
  else
    results+=("$tag FAILED")
    failed=1
    # Kept for a look (chroot into it) until the next wheel's run replaces it.
    echo "wheel-test: the root of the failed $tag run is in $ROOT until the next run"
  fi
done

echo
echo "wheel-test: ${results[*]} ($(( $(date +%s) - start )) s in all)"
exit $failed
