/* jpegls_ab.c: the program behind jpegls_ab.sh. A_ and B_ are two builds of
 * lib/jpegls (see the script); argv: STREAM.jls REPS [enc]. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dc_jpegls.h"
#define DECL(P) \
  int P##_dc_jpegls_read_header(const uint8_t *, size_t, dc_jpegls_info *, dc_error *); \
  int P##_dc_jpegls_decode(const uint8_t *, size_t, uint8_t *, size_t, const dc_frame *, dc_error *); \
  size_t P##_dc_jpegls_encode_bound(const dc_frame *, int); \
  int P##_dc_jpegls_encode(const uint8_t *, size_t, uint8_t *, size_t, size_t *, const dc_frame *, const dc_jpegls_params *, dc_error *);
DECL(A)
DECL(B)
static double now(void) { struct timespec t; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
int main(int argc, char **argv)
{
    if (argc < 3) return 2;
    FILE *fp = fopen(argv[1], "rb");
    if (!fp) { perror(argv[1]); return 1; }
    fseek(fp, 0, SEEK_END); long n = ftell(fp); fseek(fp, 0, SEEK_SET);
    uint8_t *s = malloc(n); if (fread(s, 1, n, fp) != (size_t)n) return 1; fclose(fp);
    int reps = atoi(argv[2]), enc = argc > 3;
    if (reps < 1) return 2;
    dc_jpegls_info h; dc_error e;
    if (A_dc_jpegls_read_header(s, n, &h, &e) != DC_OK) { fprintf(stderr, "%s\n", e.msg); return 1; }
    dc_frame f = {h.height, h.width, h.components, h.bits_per_sample > 8 ? 16 : 8, h.bits_per_sample, 0, 0};
    size_t sz = dc_frame_size(&f); uint8_t *d = malloc(sz);
    A_dc_jpegls_decode(s, n, d, sz, &f, &e);
    size_t cap = A_dc_jpegls_encode_bound(&f, 1), la = 0, lb = 0; uint8_t *oa = malloc(cap), *ob = malloc(cap);
    dc_jpegls_params p = {0, h.components > 1 ? 2 : 0, 0, 0, 0, 0, 0};
    if (getenv("NEAR")) p.near_lossless = atoi(getenv("NEAR"));
    double *r = malloc(sizeof(double) * reps), ta = 0, tb = 0;
    for (int i = 0; i < reps; i++) {
        double t0 = now();
        if (i & 1) { if (enc) B_dc_jpegls_encode(d, sz, ob, cap, &lb, &f, &p, &e); else B_dc_jpegls_decode(s, n, d, sz, &f, &e); }
        else { if (enc) A_dc_jpegls_encode(d, sz, oa, cap, &la, &f, &p, &e); else A_dc_jpegls_decode(s, n, d, sz, &f, &e); }
        double t1 = now();
        if (i & 1) { if (enc) A_dc_jpegls_encode(d, sz, oa, cap, &la, &f, &p, &e); else A_dc_jpegls_decode(s, n, d, sz, &f, &e); }
        else { if (enc) B_dc_jpegls_encode(d, sz, ob, cap, &lb, &f, &p, &e); else B_dc_jpegls_decode(s, n, d, sz, &f, &e); }
        double t2 = now();
        double a = (i & 1) ? t2 - t1 : t1 - t0, b = (i & 1) ? t1 - t0 : t2 - t1;
        r[i] = a / b; ta += a; tb += b;
    }
    qsort(r, reps, sizeof(double), cmp);
    printf("%s %s: A %.3f ms, B %.3f ms, median A/B %.3f (p25 %.3f p75 %.3f) same output %d\n", argv[1], enc ? "enc" : "dec",
           ta / reps * 1e3, tb / reps * 1e3, r[reps / 2], r[reps / 4], r[3 * reps / 4], enc ? (la == lb && !memcmp(oa, ob, la)) : 1);
    return 0;
}
