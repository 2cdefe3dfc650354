#!/usr/bin/env bash
# Builds, for each family in lib/fuzz/families.txt, a libFuzzer binary
# (clang, ASan+UBSan) and the standalone replayer (gcc, ASan+UBSan+LSan, the
# build tests/test_fuzz_replay.py makes) into OUT_DIR.
# Usage: lib/fuzz/build.sh [OUT_DIR] [FAMILY...]      (see lib/fuzz/README.md)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${1:-$ROOT/build/fuzz}"
shift || true
mkdir -p "$OUT"
CLANG="${CLANG:-$(command -v clang-14 || command -v clang)}"
CLANGXX="${CLANGXX:-$(command -v clang++-14 || command -v clang++ || echo clang++)}"
SAN=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1)

want=("$@")
built=0
while IFS='|' read -r fam sources flags; do
  fam="$(echo "$fam" | xargs)"
  [ -z "$fam" ] || [[ "$fam" == \#* ]] && continue
  if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " == *" $fam "* ]]; then continue; fi
  harness="$ROOT/lib/fuzz/fuzz_$fam.c"
  [ -e "$harness" ] || harness="$ROOT/lib/fuzz/fuzz_$fam.cpp"
  srcs=("$harness" "$ROOT"/lib/common/*.c)
  for s in $sources; do srcs+=("$ROOT/$s"); done
  cflags=() libs=()
  for t in $flags; do
    case "$t" in
      pkg:*) cflags+=($(pkg-config --cflags "${t#pkg:}")); libs+=($(pkg-config --libs "${t#pkg:}")) ;;
      -I*|-D*|-isystem*) cflags+=("$t") ;;
      *) libs+=("$t") ;;
    esac
  done
  # Each source with its own compiler (C as C, the OpenJPH shim as C++),
  # linked by the C++ driver when there is C++ in the family.
  cxx=0
  for s in "${srcs[@]}"; do [[ "$s" == *.cpp ]] && cxx=1; done
  echo "fuzz: $fam -> $OUT/fuzz_$fam, $OUT/replay_$fam"
  for kind in fuzz replay; do
    if [ $kind = fuzz ]; then cc="$CLANG" cxxc="$CLANGXX" extra=(-fsanitize=fuzzer-no-link)
    else cc=gcc cxxc=g++ extra=(); fi
    objdir="$OUT/obj-$kind-$fam"
    rm -rf "$objdir"
    mkdir -p "$objdir"
    objs=()
    inputs=("${srcs[@]}")
    [ $kind = replay ] && inputs=("$ROOT/lib/fuzz/replay.c" "${srcs[@]}")
    i=0
    for s in "${inputs[@]}"; do
      o="$objdir/$i-$(basename "$s").o"
      i=$((i + 1))
      if [[ "$s" == *.cpp ]]; then comp="$cxxc"; else comp="$cc"; fi
      "$comp" "${SAN[@]}" "${extra[@]}" "${cflags[@]}" -I "$ROOT/lib" -c "$s" -o "$o"
      objs+=("$o")
    done
    if [ $cxx = 1 ]; then link="$cxxc"; else link="$cc"; fi
    linkflags=("${SAN[@]}")
    [ $kind = fuzz ] && linkflags+=(-fsanitize=fuzzer)
    "$link" "${linkflags[@]}" "${objs[@]}" -o "$OUT/${kind}_$fam" "${libs[@]}"
  done
  built=$((built + 1))
done < "$ROOT/lib/fuzz/families.txt"
[ $built -gt 0 ] || { echo "fuzz: no family built (see lib/fuzz/families.txt)" >&2; exit 1; }
