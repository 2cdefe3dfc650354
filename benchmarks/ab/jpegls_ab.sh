#!/bin/sh
# Two builds of our JPEG-LS codec timed in one process, call by call.
#
#   benchmarks/ab/jpegls_ab.sh OLD_LIB NEW_LIB STREAM.jls [enc] [REPS]
#
# OLD_LIB, NEW_LIB: two `lib/` folders (e.g. a worktree of the last commit
# and this one). Each is compiled -O3 into one relocatable object whose global
# symbols get a prefix (A_, B_), both are linked into one program, and each
# repetition times A then B, or B then A, by the thread's CPU clock. It
# prints both mean times and the median of the per-repetition ratios A/B
# (> 1: NEW is faster) with its quartiles. Two equal trees give 0.96-1.05 on
# this VM (where each build's code lands), so a change under 5 % is not seen;
# swap OLD and NEW to tell such a bias from a change. `enc` encodes the decoded
# image (sample interleave for colour) instead of decoding, and says whether
# both encoders wrote the same bytes; NEAR=n in the environment encodes
# near-lossless; AB_CFLAGS_A / AB_CFLAGS_B add compiler flags to one build
# (e.g. -DJLS_NO_SIMD: the encoder without its SSE2 pass).
# A DICOM frame as STREAM.jls:
#   python -c "import sys,pydicom; from pydicom.encaps import generate_frames as g; \
#     ds=pydicom.dcmread(sys.argv[1]); open(sys.argv[2],'wb').write(next(g(ds.PixelData, \
#     number_of_frames=1)))" IN.dcm OUT.jls
set -eu
[ $# -ge 3 ] || { sed -n '2,21p' "$0"; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
obj() {  # obj LIB PREFIX EXTRA_CFLAGS
    for f in "$1"/jpegls/*.c "$1"/common/dc_common.c; do
        # shellcheck disable=SC2086
        gcc -O3 -DNDEBUG -std=c17 -fPIC $3 -I"$1/jpegls" -I"$1/common" -c "$f" \
            -o "$work/$2_$(basename "$f" .c).o"
    done
    ld -r -o "$work/$2.o" "$work/$2"_*.o
    nm --defined-only -g "$work/$2.o" | awk -v p="$2" '{print $3" "p"_"$3}' > "$work/$2.syms"
    objcopy --redefine-syms="$work/$2.syms" "$work/$2.o"
}
obj "$1" A "${AB_CFLAGS_A:-}"
obj "$2" B "${AB_CFLAGS_B:-}"
gcc -O2 -std=c17 -I"$2/jpegls" -I"$2/common" -o "$work/ab" "$here/jpegls_ab.c" "$work/A.o" \
    "$work/B.o" "$2/common/dc_common.c"
mode=${4:-dec}
reps=${5:-200}
if [ "$mode" = enc ]; then "$work/ab" "$3" "$reps" enc; else "$work/ab" "$3" "$reps"; fi
