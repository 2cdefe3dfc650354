/* jls_core.h: what the JPEG-LS decoder and encoder (ITU-T T.87 | ISO/IEC
 * 14495-1, LOCO-I) share: coding parameters, context state, the run-length
 * order table J, the gradient quantisation table and the sample access of
 * one component plane. Internal to lib/jpegls. */
#ifndef JLS_CORE_H
#define JLS_CORE_H

#include <stddef.h>
#include <stdint.h>

#include "../common/dc_common.h"

#define JLS_MAX_COMPONENTS 4
#define JLS_CONTEXTS 365

/* Marker codes (the byte after 0xFF). */
enum {
    JLS_SOI = 0xD8, JLS_EOI = 0xD9, JLS_SOS = 0xDA, JLS_DRI = 0xDD, JLS_RST0 = 0xD0,
    JLS_SOF55 = 0xF7, JLS_LSE = 0xF8, JLS_APP8 = 0xE8, JLS_COM = 0xFE
};

/* Coding parameters of one scan (T.87 A.2, C.2.4.1.1). */
typedef struct jls_coding {
    int32_t maxval, near, t1, t2, t3, reset;
    int32_t range;   /* RANGE: number of distinct quantised errors */
    int32_t qbpp;    /* bits of a quantised error (escape code) */
    int32_t limit;   /* LIMIT: longest Golomb code word */
    int32_t near2p1;    /* 2 * NEAR + 1 */
    int32_t range_mul;  /* RANGE * (2 * NEAR + 1): the reconstruction's modulus */
} jls_coding;

/* Preset values as an LSE segment or the caller gives them; 0 = default. */
typedef struct jls_preset {
    int32_t maxval, t1, t2, t3, reset;
} jls_preset;

/* Fills c for precision P and NEAR from preset p (zeros take the defaults
 * of T.87 C.2.4.1.1). Returns DC_OK or, for values the standard forbids,
 * `bad` with a message. */
int jls_coding_init(jls_coding *c, int precision, int near, const jls_preset *p, int bad,
                    dc_error *err);

/* Regular-mode context (A, B, C, N of T.87 A.2.1) and the two run
 * interruption contexts (A, N, Nn; index 0 for RItype 0). k is the Golomb
 * parameter of A and N (A.5.1), kept up to date by jls_update so that a
 * sample's decoding does not wait for its computation. */
typedef struct jls_ctx {
    uint32_t a;
    int32_t b;
    int16_t c, k;
    int32_t n;
} jls_ctx;

typedef struct jls_state {
    jls_ctx ctx[JLS_CONTEXTS];
    uint32_t ri_a[2];
    int32_t ri_n[2], ri_nn[2];
    int32_t run_index[JLS_MAX_COMPONENTS];
} jls_state;

void jls_state_reset(jls_state *s, const jls_coding *c);

/* The coding parameters of a lossless scan of precision `bits` with the
 * default MAXVAL and RESET (T1-T3 live in the quantisation table): the hot
 * loops specialised for 8 and 16 bits take them as compile-time constants. */
static inline void jls_default_lossless(jls_coding *c, int bits)
{
    c->maxval = (1 << bits) - 1;
    c->near = 0;
    c->reset = 64;
    c->range = 1 << bits;
    c->qbpp = bits;
    c->limit = 2 * (bits + (bits > 8 ? bits : 8));
    c->near2p1 = 1;
    c->range_mul = 1 << bits;
}

static inline int jls_is_default_lossless(const jls_coding *c, int bits)
{
    jls_coding d = *c;
    jls_default_lossless(&d, bits);
    return c->maxval == d.maxval && c->near == 0 && c->reset == d.reset &&
           c->range == d.range && c->qbpp == d.qbpp && c->limit == d.limit;
}

extern const uint8_t jls_J[32];

/* Quantised gradient -4..4, times `scale` (-31..31), for every
 * difference -maxval..maxval, stored at q + maxval. Needs 2 * maxval + 1
 * bytes. */
void jls_quant_table(int8_t *q, const jls_coding *c, int scale);

/* One component's samples in the caller's buffer: sample x of row y is at
 * base + y * stride + x * step, of bps (1 or 2) bytes, native order. */
typedef struct jls_plane {
    uint8_t *base;
    ptrdiff_t step, stride;
    uint32_t width, height;
    int bps;
} jls_plane;

/* What the frame header (SOF55) and the first scan say. */
typedef struct jls_frame {
    uint32_t width, height;
    int precision;
    int ncomp;
    uint8_t id[JLS_MAX_COMPONENTS];
    uint8_t h[JLS_MAX_COMPONENTS], v[JLS_MAX_COMPONENTS];
    uint32_t cw[JLS_MAX_COMPONENTS], ch[JLS_MAX_COMPONENTS]; /* component sizes */
    int first_near, first_ilv;
    int transform;   /* HP colour transform from CharLS's APP8 "mrfx": 0 none, 1..3 */
} jls_frame;

/* Parses markers up to the first SOS: f filled, DC_OK or an error. */
int jls_read_frame(const uint8_t *src, size_t n, jls_frame *f, dc_error *err);

/* Decodes every scan of the stream into the planes (f from jls_read_frame
 * on the same stream; one plane per frame component, of the component's
 * size). Applies the HP colour transform. */
int jls_decode_planes(const uint8_t *src, size_t n, const jls_frame *f, const jls_plane *planes,
                      dc_error *err);

/* Encodes ncomp planes of equal size as one frame of precision P. Samples
 * must lie within 0..maxval. ilv 0 writes one scan per component. `lse`
 * writes the preset coding parameters (all five values) after SOF55; the
 * output ends with EOI, preceded by one 0xFF fill byte when `even` and the
 * length would be odd. */
typedef struct jls_encode_args {
    int precision, ncomp, near, ilv;
    jls_preset preset;
    int lse, even;
} jls_encode_args;

int jls_encode_planes(const jls_plane *planes, const jls_encode_args *a, uint8_t *dst,
                      size_t cap, size_t *len, dc_error *err);

static inline int32_t jls_load(const jls_plane *p, const uint8_t *row, uint32_t x)
{
    if (p->bps == 1) return row[(ptrdiff_t)x * p->step];
    uint16_t v;
    const uint8_t *s = row + (ptrdiff_t)x * p->step;
    v = (uint16_t)(s[0] | s[1] << 8);
    return v;
}

static inline int32_t jls_med(int32_t ra, int32_t rb, int32_t rc)
{
    /* selects, not branches: which case applies is data, not predictable */
    int32_t mx = ra > rb ? ra : rb, mn = ra > rb ? rb : ra;
    int32_t p = ra + rb - rc;
    p = rc <= mn ? mx : p;
    return rc >= mx ? mn : p;
}

/* Smallest k with N << k >= A (T.87 A.5.1), without a loop. */
static inline int jls_golomb_k(uint32_t a, int32_t n)
{
    int k = __builtin_clz((uint32_t)n) - __builtin_clz(a | 1u);
    k &= ~(k >> 31);   /* max(k, 0) without a branch: which applies is data */
    return k + (((uint64_t)(uint32_t)n << k) < a);
}

/* A reconstructed sample Px + error brought back into 0..MAXVAL (T.87
 * A.4.4 modulo reduction, then the clamp); `near` is 0 for lossless scans,
 * so that the compiler drops what depends on it. */
static inline int32_t jls_fix_rx(const jls_coding *c, int32_t rx, int32_t near)
{
    if (rx < -near) rx += c->range_mul;
    else if (rx > c->maxval + near) rx -= c->range_mul;
    if (rx < 0) return 0;
    if (rx > c->maxval) return c->maxval;
    return rx;
}

/* Bias correction after the update of A, B, N (T.87 A.6.2); with `keep_k`
 * also k (the decoder; the encoder computes k itself, off its critical path,
 * and leaves the field stale). */
static inline void jls_update(jls_ctx *cx, int32_t errval, int32_t near2p1, int32_t reset,
                              int keep_k)
{
    int32_t b = cx->b + errval * near2p1;
    uint32_t a = cx->a + (uint32_t)(errval < 0 ? -errval : errval);
    int32_t n = cx->n;
    if (n == reset) {
        a >>= 1;
        b >>= 1;
        n >>= 1;
    }
    n++;
    if (b + n <= 0) {
        b += n;
        if (b <= -n) b = -n + 1;
        if (cx->c > -128) cx->c--;
    } else if (b > 0) {
        b -= n;
        if (b > 0) b = 0;
        if (cx->c < 127) cx->c++;
    }
    cx->a = a;
    cx->b = b;
    cx->n = n;
    if (keep_k) cx->k = (int16_t)jls_golomb_k(a, n);
}

#endif
