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
  cxx=0
  for s in "${srcs[@]}"; do [[ "$s" == *.cpp ]] && cxx=1; done
  if [ $cxx = 1 ]; then fz="$CLANGXX" rp=g++; else fz="$CLANG" rp=gcc; fi
  echo "fuzz: $fam -> $OUT/fuzz_$fam, $OUT/replay_$fam"
  "$fz" "${SAN[@]}" -fsanitize=fuzzer "${cflags[@]}" -I "$ROOT/lib" "${srcs[@]}" \
    -o "$OUT/fuzz_$fam" "${libs[@]}"
  "$rp" "${SAN[@]}" "${cflags[@]}" -I "$ROOT/lib" "$ROOT/lib/fuzz/replay.c" "${srcs[@]}" \
    -o "$OUT/replay_$fam" "${libs[@]}"
  built=$((built + 1))
done < "$ROOT/lib/fuzz/families.txt"
[ $built -gt 0 ] || { echo "fuzz: no family built (see lib/fuzz/families.txt)" >&2; exit 1; }
