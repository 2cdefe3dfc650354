/* jls_encode.c: the JPEG-LS encoder (T.87 Annex A encoding, Annex C
 * markers), writing what CharLS writes for the same parameters: SOF55 with
 * component ids 1..n and sampling factors 1x1, one scan per component in
 * interleave mode none, run interruption samples of sample-interleaved scans
 * in the RItype 0 context, and a scan's last byte 0xFF followed by 0x00.
 * Every write is checked against the end of the output. */
#include <string.h>

#include "jls_core.h"

/* ---------------------------------------------------------------- bit writer */

typedef struct jls_bw {
    uint8_t *p, *end;
    uint64_t acc;  /* pending bits at the top */
    int n;         /* pending bits */
    int ff;        /* the last byte written was 0xFF: the next carries 7 bits */
    int over;      /* the output is full */
} jls_bw;

static void bw_flush(jls_bw *w)
{
    while (w->n >= 8 - w->ff) {
        if (w->p >= w->end) {
            w->over = 1;
            w->n = 0;
            w->acc = 0;
            return;
        }
        if (w->ff) {
            *w->p++ = (uint8_t)(w->acc >> 57);
            w->acc <<= 7;
            w->n -= 7;
            w->ff = 0;
        } else {
            uint8_t b = (uint8_t)(w->acc >> 56);
            *w->p++ = b;
            w->acc <<= 8;
            w->n -= 8;
            w->ff = b == 0xFF;
        }
    }
}

/* len 0..32, v < 2^len */
static inline void bw_put(jls_bw *w, uint32_t v, int len)
{
    if (w->n + len > 64) bw_flush(w);
    if (len) w->acc |= (uint64_t)v << (64 - w->n - len);
    w->n += len;
}

/* Pads the last byte with zeros; a final 0xFF gets a 0x00 after it so that
 * the marker that follows is found. */
static void bw_end(jls_bw *w)
{
    bw_flush(w);
    if (w->n > 0) {
        w->n = w->ff ? 7 : 8;
        bw_flush(w);
    }
    if (w->ff) {
        w->n = 7;
        bw_flush(w);
    }
}

static void bw_bytes(jls_bw *w, const uint8_t *b, size_t n)
{
    if ((size_t)(w->end - w->p) < n) {
        w->over = 1;
        return;
    }
    memcpy(w->p, b, n);
    w->p += n;
}

/* ------------------------------------------------------------- scan encoder */

typedef struct enc {
    jls_coding c;
    jls_state st;
    const int8_t *q;
    jls_bw bw;
} enc;

/* What one line's loop works with, copied into a local so that the compiler
 * keeps the bit writer and the parameters in registers (stores to the
 * contexts could otherwise alias them). */
typedef struct ekx {
    jls_bw bw;
    jls_coding c;
    jls_ctx *ctx;
    jls_state *st;
    const int8_t *q;
    int shift;   /* 32 - P when lossless with RANGE = 2^P, else 0 */
} ekx;

static inline void ekx_load(ekx *x, enc *e)
{
    x->bw = e->bw;
    x->c = e->c;
    x->ctx = e->st.ctx;
    x->st = &e->st;
    x->q = e->q;
    x->shift = 0;
    if (e->c.near == 0 && (e->c.range & (e->c.range - 1)) == 0)
        x->shift = 32 - __builtin_ctz((uint32_t)e->c.range);
}

/* The writer's slow path takes and returns it by value, so that the line
 * loop's copy never has its address taken. */
static __attribute__((noinline)) jls_bw bw_flush_v(jls_bw w)
{
    bw_flush(&w);
    return w;
}

/* len 0..32, v < 2^len */
static inline void bw_add(jls_bw *w, uint32_t v, int len)
{
    if (w->n + len > 64) {
        uint32_t top = (uint32_t)(w->acc >> 32), x = ~top;
        if (!w->ff && w->end - w->p >= 4 && !((x - 0x01010101u) & ~x & 0x80808080u)) {
            w->p[0] = (uint8_t)(top >> 24);
            w->p[1] = (uint8_t)(top >> 16);
            w->p[2] = (uint8_t)(top >> 8);
            w->p[3] = (uint8_t)top;
            w->p += 4;
            w->acc <<= 32;
            w->n -= 32;
        } else {
            *w = bw_flush_v(*w);
        }
    }
    if (len) w->acc |= (uint64_t)v << (64 - w->n - len);
    w->n += len;
}

static inline void enc_value(ekx *e, int k, int32_t m, int limit)
{
    const int qbpp = e->c.qbpp;
    int32_t hb = m >> k;
    if (hb < limit - qbpp - 1) {
        if (hb + 1 + k <= 32) {
            bw_add(&e->bw, (1u << k) | ((uint32_t)m & ((1u << k) - 1)), (int)hb + 1 + k);
            return;
        }
        if (hb + 1 > 31) {
            bw_add(&e->bw, 0, hb / 2);
            hb -= hb / 2;
        }
        bw_add(&e->bw, 1, (int)hb + 1);
        if (k) bw_add(&e->bw, (uint32_t)m & ((1u << k) - 1), k);
        return;
    }
    if (limit - qbpp > 31) {
        bw_add(&e->bw, 0, 31);
        bw_add(&e->bw, 1, limit - qbpp - 31);
    } else {
        bw_add(&e->bw, 1, limit - qbpp);
    }
    bw_add(&e->bw, (uint32_t)(m - 1) & ((1u << qbpp) - 1), qbpp);
}

static inline int32_t fix_rx(const ekx *e, int32_t rx, int lossless)
{
    return jls_fix_rx(&e->c, rx, lossless ? 0 : e->c.near);
}

/* Quantised (NEAR > 0) and modulo-reduced prediction error. */
static inline int32_t err_of(const ekx *e, int32_t d, int lossless)
{
    if (!lossless) {
        const int32_t near = e->c.near;
        d = d > 0 ? (d + near) / e->c.near2p1 : -((near - d) / e->c.near2p1);
    }
    if (d < 0) d += e->c.range;
    if (d >= (e->c.range + 1) / 2) d -= e->c.range;
    return d;
}

static inline int32_t enc_regular(ekx *e, int32_t q, int32_t ix, int32_t ra, int32_t rb, int32_t rc,
                                  int lossless)
{
    const int32_t sign = q >> 31;
    jls_ctx *cx = &e->ctx[(q ^ sign) - sign];
    int32_t px = jls_med(ra, rb, rc) + ((cx->c ^ sign) - sign);
    if (px < 0) px = 0;
    else if (px > e->c.maxval) px = e->c.maxval;
    const int k = jls_golomb_k(cx->a, cx->n);
    int32_t err;
    if (e->shift) /* lossless, RANGE = 2^P: modulo reduction is a sign extension */
        err = (int32_t)((uint32_t)(((ix - px) ^ sign) - sign) << e->shift) >> e->shift;
    else
        err = err_of(e, ((ix - px) ^ sign) - sign, lossless);
    /* error mapping (T.87 A.5.2) without branches; the k = 0, 2B <= -N case
     * maps -err - 1 */
    int32_t me = lossless ? err ^ -(int32_t)(k == 0 && 2 * cx->b <= -cx->n) : err;
    enc_value(e, k, (int32_t)(((uint32_t)me << 1) ^ (uint32_t)(me >> 31)), e->c.limit);
    jls_update(cx, err, lossless ? 1 : e->c.near2p1, e->c.reset, 0);
    if (lossless) return ix;   /* what the decoder reconstructs */
    int32_t de = err * e->c.near2p1;
    return fix_rx(e, px + ((de ^ sign) - sign), lossless);
}

static inline void enc_ri_error(ekx *e, int it, int32_t err, int ri)
{
    const int32_t n = e->st->ri_n[it], nn = e->st->ri_nn[it];
    const int k = jls_golomb_k(e->st->ri_a[it] + (uint32_t)((n >> 1) * it), n);
    int map = (k == 0 && err > 0 && 2 * nn < n) || (err < 0 && 2 * nn >= n) || (err < 0 && k != 0);
    int32_t em = 2 * (err < 0 ? -err : err) - it - map;
    enc_value(e, k, em, e->c.limit - jls_J[ri] - 1);
    if (err < 0) e->st->ri_nn[it]++;
    e->st->ri_a[it] += (uint32_t)((em + 1 - it) >> 1);
    if (n == e->c.reset) {
        e->st->ri_a[it] >>= 1;
        e->st->ri_n[it] >>= 1;
        e->st->ri_nn[it] >>= 1;
    }
    e->st->ri_n[it]++;
}

static inline void enc_run(ekx *e, int32_t run, int eol, int32_t *ri)
{
    while (run >= ((int32_t)1 << jls_J[*ri])) {
        bw_add(&e->bw, 1, 1);
        run -= (int32_t)1 << jls_J[*ri];
        if (*ri < 31) (*ri)++;
    }
    if (eol) {
        if (run) bw_add(&e->bw, 1, 1);
    } else {
        bw_add(&e->bw, (uint32_t)run, jls_J[*ri] + 1);
    }
}

/* The run mode of a one-component line from x, the run's interruption
 * sample included (T.87 A.7); returns the x after them. */
static inline __attribute__((always_inline)) int32_t enc_run_line(ekx *e, const uint16_t *prev,
                                                                 uint16_t *cur, int32_t x,
                                                                 int32_t w, int32_t *ri,
                                                                 int lossless)
{
    const int32_t near = lossless ? 0 : e->c.near;
    const int32_t ra = cur[x - 1];
    int32_t run = 0;
    if (lossless) {
        while (x + run < w && cur[x + run] == ra) run++;
    } else {
        while (x + run < w) {
            int32_t d = cur[x + run] - ra;
            if ((d < 0 ? -d : d) > near) break;
            cur[x + run] = (uint16_t)ra;
            run++;
        }
    }
    enc_run(e, run, x + run == w, ri);
    x += run;
    if (x < w) {
        const int32_t rb = prev[x];
        int32_t diff = ra - rb, ix = cur[x], rx;
        if ((diff < 0 ? -diff : diff) <= near) {
            int32_t err = err_of(e, ix - ra, lossless);
            enc_ri_error(e, 1, err, *ri);
            rx = ra + (lossless ? err : err * e->c.near2p1);
        } else {
            int32_t err = err_of(e, rb < ra ? rb - ix : ix - rb, lossless);
            enc_ri_error(e, 0, err, *ri);
            int32_t de = lossless ? err : err * e->c.near2p1;
            rx = rb + (rb < ra ? -de : de);
        }
        cur[x] = (uint16_t)fix_rx(e, rx, lossless);
        if (*ri > 0) (*ri)--;
        x++;
    }
    return x;
}

static inline __attribute__((always_inline)) void enc_line_impl(ekx *e, const uint16_t *prev,
                                                                uint16_t *cur, int32_t w,
                                                                int32_t *ri, int lossless)
{
    const int8_t *q = e->q;
    int32_t rb = prev[-1], rd = prev[0];
    int32_t x = 0;
    while (x < w) {
        int32_t ra = cur[x - 1], rc = rb;
        rb = rd;
        rd = prev[x + 1];
        int32_t qs = 81 * q[rd - rb] + 9 * q[rb - rc] + q[rc - ra];
        if (qs != 0) {
            cur[x] = (uint16_t)enc_regular(e, qs, cur[x], ra, rb, rc, lossless);
            x++;
            continue;
        }
        x = enc_run_line(e, prev, cur, x, w, ri, lossless);
        rb = prev[x - 1];
        rd = prev[x];
    }
}

static void enc_line_lossless(enc *en, const uint16_t *prev, uint16_t *cur, int32_t w, int32_t *ri)
{
    ekx x;
    ekx_load(&x, en);
    enc_line_impl(&x, prev, cur, w, ri, 1);
    en->bw = x.bw;
}

static void enc_line_near(enc *en, const uint16_t *prev, uint16_t *cur, int32_t w, int32_t *ri)
{
    ekx x;
    ekx_load(&x, en);
    enc_line_impl(&x, prev, cur, w, ri, 0);
    en->bw = x.bw;
}

/* The run mode of a sample-interleaved scan line from x, the interruption
 * pixel included; returns the x after them. */
static inline __attribute__((always_inline)) int32_t enc_run_sample(
    ekx *e, uint16_t *const *prev, uint16_t *const *cur, const int nc, int32_t x, int32_t w,
    int32_t *ri, int lossless)
{
    const int32_t near = lossless ? 0 : e->c.near;
    int32_t run = 0;
    while (x + run < w) {
        int same = 1;
        for (int c = 0; c < nc; c++) {
            int32_t d = cur[c][x + run] - cur[c][x - 1];
            same &= (d < 0 ? -d : d) <= near;
        }
        if (!same) break;
        for (int c = 0; c < nc; c++) cur[c][x + run] = cur[c][x - 1];
        run++;
    }
    enc_run(e, run, x + run == w, ri);
    x += run;
    if (x < w) {
        for (int c = 0; c < nc; c++) {
            int32_t ra = cur[c][x - 1], rb = prev[c][x], ix = cur[c][x];
            int32_t err = err_of(e, rb < ra ? rb - ix : ix - rb, lossless);
            enc_ri_error(e, 0, err, *ri);
            int32_t de = lossless ? err : err * e->c.near2p1;
            cur[c][x] = (uint16_t)fix_rx(e, rb + (rb < ra ? -de : de), lossless);
        }
        if (*ri > 0) (*ri)--;
        x++;
    }
    return x;
}

static inline __attribute__((always_inline)) void enc_sample_impl(
    ekx *e, uint16_t *const *prev, uint16_t *const *cur, const int nc, int32_t w, int32_t *ri)
{
    const int8_t *q = e->q;
    const int lossless = e->c.near == 0;
    int32_t x = 0;
    while (x < w) {
        int32_t qs[JLS_MAX_COMPONENTS] = {0, 0, 0, 0};
        int flat = 1;
#pragma GCC unroll 4
        for (int c = 0; c < nc; c++) {
            const uint16_t *p = prev[c];
            int32_t ra = cur[c][x - 1], rb = p[x], rc = p[x - 1], rd = p[x + 1];
            qs[c] = 81 * q[rd - rb] + 9 * q[rb - rc] + q[rc - ra];
            flat &= qs[c] == 0;
        }
        if (!flat) {
#pragma GCC unroll 4
            for (int c = 0; c < nc; c++) {
                const uint16_t *p = prev[c];
                int32_t ra = cur[c][x - 1], rb = p[x], rc = p[x - 1];
                cur[c][x] = (uint16_t)(lossless ? enc_regular(e, qs[c], cur[c][x], ra, rb, rc, 1)
                                                : enc_regular(e, qs[c], cur[c][x], ra, rb, rc, 0));
            }
            x++;
            continue;
        }
        x = lossless ? enc_run_sample(e, prev, cur, nc, x, w, ri, 1)
                     : enc_run_sample(e, prev, cur, nc, x, w, ri, 0);
    }
}

static void enc_line_sample(enc *en, uint16_t *const *prev, uint16_t *const *cur, int nc, int32_t w,
                            int32_t *ri)
{
    ekx x;
    ekx_load(&x, en);
    if (nc == 3) enc_sample_impl(&x, prev, cur, 3, w, ri);
    else enc_sample_impl(&x, prev, cur, nc, w, ri);
    en->bw = x.bw;
}

/* ------------------------------------------- lossless scans: contexts first */

/* In a lossless scan a sample's neighbours are samples of the image, so the
 * context numbers and MED predictions of a whole line do not wait for the
 * coding: lossless_pass computes them, 8 samples at a time in SSE2's 16-bit
 * lanes (samples as unsigned 16-bit values), and the coding loop only reads
 * them. Without SSE2 (or with JLS_NO_SIMD defined, as a test builds it) the
 * scan takes the general loop. */
#if (defined(__SSE2__) || defined(_M_X64)) && !defined(JLS_NO_SIMD)
#include <emmintrin.h>
#define JLS_PRE 1

/* What lossless_pass makes of one line, pixel by pixel, so that the coding
 * loop reads it through one pointer: for sample c of pixel x, at
 * pre + x * PRE_STRIDE(nc): the signed context number times sizeof(jls_ctx)
 * (the context's byte offset with its sign; an int16) at [c], the MED
 * prediction at [PRE_PM(nc) + c], the sample at [PRE_IX(nc) + c]. One
 * component: 4 values a pixel (q, pm, ix, 0); more: 3 groups of 4 (lanes
 * beyond the components 0). */
#define PRE_STRIDE(nc) ((nc) == 1 ? 4 : 12)
#define PRE_PM(nc) ((nc) == 1 ? 1 : 4)
#define PRE_IX(nc) ((nc) == 1 ? 2 : 8)

/* Quantised gradient (T.87 A.3.3, NEAR 0) of d = x - y for 8 pairs, -4..4:
 * as many thresholds (1, T1, T2, T3; tm: each minus 1) as |d| reaches, with
 * d's sign. `wide`: samples up to 65535, whose difference leaves 16 bits:
 * saturating differences give |d| and the sign; else d itself. */
static inline __m128i quant8(__m128i x, __m128i y, const __m128i *tm, int wide)
{
    const __m128i zero = _mm_setzero_si128();
    if (!wide) {
        const __m128i d = _mm_sub_epi16(x, y);
        const __m128i a = _mm_max_epi16(d, _mm_sub_epi16(zero, d));
        /* -1 for each threshold reached */
        const __m128i above = _mm_add_epi16(
            _mm_add_epi16(_mm_cmpgt_epi16(a, tm[0]), _mm_cmpgt_epi16(a, tm[1])),
            _mm_add_epi16(_mm_cmpgt_epi16(a, tm[2]), _mm_cmpgt_epi16(a, tm[3])));
        const __m128i s = _mm_srai_epi16(d, 15);   /* -1 where d < 0 */
        const __m128i ns = _mm_xor_si128(s, _mm_set1_epi16(-1));
        return _mm_sub_epi16(_mm_xor_si128(above, ns), ns);
    }
    const __m128i pos = _mm_subs_epu16(x, y), neg = _mm_subs_epu16(y, x);
    const __m128i a = _mm_or_si128(pos, neg);
    /* -1 for each threshold not reached */
    const __m128i below = _mm_add_epi16(
        _mm_add_epi16(_mm_cmpeq_epi16(_mm_subs_epu16(a, tm[0]), zero),
                      _mm_cmpeq_epi16(_mm_subs_epu16(a, tm[1]), zero)),
        _mm_add_epi16(_mm_cmpeq_epi16(_mm_subs_epu16(a, tm[2]), zero),
                      _mm_cmpeq_epi16(_mm_subs_epu16(a, tm[3]), zero)));
    const __m128i l = _mm_add_epi16(below, _mm_set1_epi16(4));
    const __m128i s = _mm_cmpeq_epi16(_mm_cmpeq_epi16(neg, zero), zero);  /* -1 where d < 0 */
    return _mm_sub_epi16(_mm_xor_si128(l, s), s);
}

/* 8 pixels of 4 lanes, v[lane][pixel], as o[pair] = pixels 2 pair and
 * 2 pair + 1, each its 4 lanes. */
static inline void interleave4(const __m128i *v, __m128i *o)
{
    const __m128i lo01 = _mm_unpacklo_epi16(v[0], v[1]), hi01 = _mm_unpackhi_epi16(v[0], v[1]);
    const __m128i lo23 = _mm_unpacklo_epi16(v[2], v[3]), hi23 = _mm_unpackhi_epi16(v[2], v[3]);
    o[0] = _mm_unpacklo_epi32(lo01, lo23);
    o[1] = _mm_unpackhi_epi32(lo01, lo23);
    o[2] = _mm_unpacklo_epi32(hi01, hi23);
    o[3] = _mm_unpackhi_epi32(hi01, hi23);
}

/* prev/cur: the nc components' lines (see line_len: index -1 to w rounded up
 * to 8, plus 8, readable). Writes whole groups of 8 pixels. */
static inline __attribute__((always_inline)) void lossless_pass_impl(
    uint16_t *const *prev, uint16_t *const *cur, int nc, int32_t w, const jls_coding *c,
    uint16_t *out, const int wide)
{
    const __m128i tm[4] = {_mm_setzero_si128(), _mm_set1_epi16((int16_t)(c->t1 - 1)),
                           _mm_set1_epi16((int16_t)(c->t2 - 1)),
                           _mm_set1_epi16((int16_t)(c->t3 - 1))};
    const int16_t sz = (int16_t)sizeof(jls_ctx);
    const __m128i m1 = _mm_set1_epi16((int16_t)(81 * sz)), m2 = _mm_set1_epi16((int16_t)(9 * sz));
    const __m128i flip = _mm_set1_epi16((int16_t)0x8000);  /* unsigned order as signed */
    for (int32_t x = 0; x < w; x += 8) {
        /* 8 pixels whose neighbours all hold one value, in every component
         * (a flat background), have context 0: they start or continue a
         * run, and the coding loop reads nothing else of them */
        int flat = 1;
        for (int k = 0; k < nc && flat; k++) {
            const uint16_t *pr = prev[k] + x, *cu = cur[k] + x;
            const __m128i v = _mm_set1_epi16((int16_t)pr[-1]);
            const __m128i eq = _mm_and_si128(
                _mm_and_si128(_mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(pr - 1)), v),
                              _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(pr + 1)), v)),
                _mm_cmpeq_epi16(_mm_loadu_si128((const __m128i *)(cu - 1)), v));
            flat = _mm_movemask_epi8(eq) == 0xFFFF;
        }
        if (flat) {
            uint16_t *d = out + (size_t)PRE_STRIDE(nc) * (size_t)x;
            for (int j = 0; j < PRE_STRIDE(nc); j++)   /* 8 pixels x PRE_STRIDE values */
                _mm_storeu_si128((__m128i *)d + j, _mm_setzero_si128());
            continue;
        }
        __m128i q[4], pm[4], ix[4];
        for (int k = 0; k < 4; k++) q[k] = pm[k] = ix[k] = _mm_setzero_si128();
        for (int k = 0; k < nc; k++) {
            const uint16_t *pr = prev[k] + x, *cu = cur[k] + x;
            const __m128i ra = _mm_loadu_si128((const __m128i *)(cu - 1));
            const __m128i rc = _mm_loadu_si128((const __m128i *)(pr - 1));
            const __m128i rb = _mm_loadu_si128((const __m128i *)pr);
            const __m128i rd = _mm_loadu_si128((const __m128i *)(pr + 1));
            ix[k] = _mm_loadu_si128((const __m128i *)cu);
            const __m128i q1 = quant8(rd, rb, tm, wide), q2 = quant8(rb, rc, tm, wide);
            const __m128i q3 = quant8(rc, ra, tm, wide);
            q[k] = _mm_add_epi16(_mm_add_epi16(_mm_mullo_epi16(q1, m1), _mm_mullo_epi16(q2, m2)),
                                 _mm_slli_epi16(q3, 4));
            /* MED (T.87 A.3.1): min(Ra, Rb) when Rc >= max, max when Rc <=
             * min, else Ra + Rb - Rc (which may wrap only where not taken);
             * wide samples compared with their top bit flipped */
            const __m128i f = wide ? flip : _mm_setzero_si128();
            const __m128i fa = _mm_xor_si128(ra, f), fb = _mm_xor_si128(rb, f);
            const __m128i fc = _mm_xor_si128(rc, f);
            const __m128i mx = _mm_max_epi16(fa, fb), mn = _mm_min_epi16(fa, fb);
            const __m128i g = _mm_xor_si128(_mm_sub_epi16(_mm_add_epi16(ra, rb), rc), f);
            const __m128i above = _mm_cmpgt_epi16(fc, mn);   /* Rc > min */
            const __m128i below = _mm_cmpgt_epi16(mx, fc);   /* Rc < max */
            const __m128i p = _mm_or_si128(_mm_and_si128(above, g), _mm_andnot_si128(above, mx));
            pm[k] = _mm_xor_si128(
                _mm_or_si128(_mm_and_si128(below, p), _mm_andnot_si128(below, mn)), f);
        }
        if (nc == 1) {
            const __m128i v[4] = {q[0], pm[0], ix[0], _mm_setzero_si128()};
            __m128i o[4];
            interleave4(v, o);
            for (int j = 0; j < 4; j++) _mm_storeu_si128((__m128i *)(out + 4 * x) + j, o[j]);
        } else {
            __m128i oq[4], opm[4], oix[4];
            interleave4(q, oq);
            interleave4(pm, opm);
            interleave4(ix, oix);
            uint16_t *d = out + 12 * (size_t)x;
            for (int j = 0; j < 4; j++, d += 24) {
                _mm_storeu_si128((__m128i *)d, _mm_unpacklo_epi64(oq[j], opm[j]));
                _mm_storel_epi64((__m128i *)(d + 8), oix[j]);
                _mm_storeu_si128((__m128i *)(d + 12), _mm_unpackhi_epi64(oq[j], opm[j]));
                _mm_storel_epi64((__m128i *)(d + 20), _mm_unpackhi_epi64(oix[j], oix[j]));
            }
        }
    }
}

static void lossless_pass(uint16_t *const *prev, uint16_t *const *cur, int nc, int32_t w,
                          const jls_coding *c, uint16_t *out)
{
    if (c->maxval > 32767) lossless_pass_impl(prev, cur, nc, w, c, out, 1);
    else lossless_pass_impl(prev, cur, nc, w, c, out, 0);
}

/* The run at x and its interruption sample for enc_lossless_pre, which
 * keeps its registers for the regular samples by not inlining them. */
static __attribute__((noinline)) int32_t enc_run_pre(enc *en, uint16_t *const *prev,
                                                     uint16_t *const *cur, int nc, int32_t x,
                                                     int32_t w, int32_t *ri)
{
    ekx e;
    ekx_load(&e, en);
    x = nc == 1 ? enc_run_line(&e, prev[0], cur[0], x, w, ri, 1)
                : enc_run_sample(&e, prev, cur, nc, x, w, ri, 1);
    en->bw = e.bw;
    return x;
}

/* A Golomb code word enc_lossless_pre does not write itself. */
static __attribute__((noinline)) void enc_value_slow(enc *en, int k, int32_t m)
{
    ekx e;
    ekx_load(&e, en);
    enc_value(&e, k, m, e.c.limit);
    en->bw = e.bw;
}

/* One line of a lossless scan with RANGE = 2^P from lossless_pass's `pre`:
 * nc components sample-interleaved, or one component's line (nc 1). prev
 * and cur (the lines) serve the run mode. `bits` 8: the default parameters
 * of 8-bit samples, as constants; 0: the scan's. The bit writer's hot state
 * lives in locals. */
static inline __attribute__((always_inline)) void enc_lossless_impl(
    enc *en, uint16_t *const *prev, uint16_t *const *cur, const uint16_t *pre, const int nc,
    int32_t w, int32_t *ri, const int bits)
{
    char *const ctx = (char *)en->st.ctx;
    const int32_t maxval = bits ? (1 << bits) - 1 : en->c.maxval;
    const int32_t reset = bits ? 64 : en->c.reset;
    const int shift = bits ? 32 - bits : 32 - __builtin_ctz((uint32_t)en->c.range);
    const uint32_t short_hb = (uint32_t)(bits ? 2 * (bits + (bits > 8 ? bits : 8)) - bits - 1
                                              : en->c.limit - en->c.qbpp - 1);
    uint8_t *const end = en->bw.end;
    uint64_t acc;
    uint8_t *p;
    int free, ff;  /* free: bits left in acc */
#define SYNC_OUT() (en->bw.acc = acc, en->bw.n = 64 - free, en->bw.p = p)
#define SYNC_IN() (acc = en->bw.acc, free = 64 - en->bw.n, p = en->bw.p, ff = en->bw.ff)
    SYNC_IN();
    int32_t x = 0;
    while (x < w) {
        const uint16_t *px8 = pre + (ptrdiff_t)x * PRE_STRIDE(nc);
        uint64_t any = px8[0];
        if (nc > 1) memcpy(&any, px8, 8);
        if (__builtin_expect(any == 0, 0)) {
            SYNC_OUT();
            x = enc_run_pre(en, prev, cur, nc, x, w, ri);
            SYNC_IN();
            continue;
        }
        /* every whole byte out, once a pixel, so that the test before each
         * code word below is seldom true (it depends on the code lengths,
         * which no predictor guesses): 8 bytes stored, those whole kept */
        {
            const int nbytes = (64 - free) >> 3;
            const uint64_t t = ~acc, whole = ~(~0ull >> (4 * nbytes) >> (4 * nbytes));
            if (__builtin_expect(!ff && end - p >= 8 &&
                                     !((t - 0x0101010101010101ull) & ~t &
                                       0x8080808080808080ull & whole), 1)) {
                const uint64_t be = __builtin_bswap64(acc);
                memcpy(p, &be, 8);
                p += nbytes;
                acc = acc << (4 * nbytes) << (4 * nbytes);
                free += 8 * nbytes;
            } else {
                SYNC_OUT();
                bw_flush(&en->bw);
                SYNC_IN();
            }
        }
#pragma GCC unroll 1
        for (int c = 0; c < nc; c++) {
            const int32_t qs = (int16_t)px8[c], sign = qs >> 31;
            jls_ctx *cx = (jls_ctx *)(ctx + ((qs ^ sign) - sign));
            int32_t px = px8[PRE_PM(nc) + c] + ((cx->c ^ sign) - sign);
            px = px < 0 ? 0 : px > maxval ? maxval : px;
            const uint32_t a = cx->a;
            const int32_t n = cx->n, b = cx->b;
            const int k = jls_golomb_k(a, n);
            const int32_t err =
                (int32_t)((uint32_t)(((px8[PRE_IX(nc) + c] - px) ^ sign) - sign) << shift) >> shift;
            /* error mapping (T.87 A.5.2); the k = 0, 2B <= -N case maps
             * -err - 1: both conditions as sign bits, no branch */
            const int32_t me =
                err ^ -(int32_t)(((uint32_t)(k - 1) & (uint32_t)(2 * b + n - 1)) >> 31);
            const uint32_t m = ((uint32_t)me << 1) ^ (uint32_t)(me >> 31), hb = m >> k;
            if (__builtin_expect(hb < short_hb && hb + 1 + (uint32_t)k <= 32, 1)) {
                /* hb zeros, a one, the k low bits of m */
                const int len = (int)hb + 1 + k;
                if (len > free) {
                    const uint32_t top = (uint32_t)(acc >> 32), t = ~top;
                    if (!ff && end - p >= 4 && !((t - 0x01010101u) & ~t & 0x80808080u)) {
                        const uint32_t be = __builtin_bswap32(top);
                        memcpy(p, &be, 4);
                        p += 4;
                        acc <<= 32;
                        free += 32;
                    } else {
                        SYNC_OUT();
                        bw_flush(&en->bw);
                        SYNC_IN();
                    }
                }
                free -= len;
                acc |= (uint64_t)(m - ((hb - 1) << k)) << free;
            } else {
                SYNC_OUT();
                enc_value_slow(en, k, (int32_t)m);
                SYNC_IN();
            }
            jls_update(cx, err, 1, reset, 0);
        }
        x++;
    }
    SYNC_OUT();
#undef SYNC_OUT
#undef SYNC_IN
}

static __attribute__((noinline)) void enc_lossless_pre(enc *en, uint16_t *const *prev,
                                                       uint16_t *const *cur, const uint16_t *pre,
                                                       int nc, int32_t w, int32_t *ri)
{
    const int b8 = jls_is_default_lossless(&en->c, 8);
    if (nc == 1 && b8) enc_lossless_impl(en, prev, cur, pre, 1, w, ri, 8);
    else if (nc == 3 && b8) enc_lossless_impl(en, prev, cur, pre, 3, w, ri, 8);
    else if (nc == 1) enc_lossless_impl(en, prev, cur, pre, 1, w, ri, 0);
    else enc_lossless_impl(en, prev, cur, pre, nc, w, ri, 0);
}
#else
#define JLS_PRE 0
#endif

static void load_line(const jls_plane *pl, uint32_t y, uint16_t *line, uint32_t mask)
{
    const uint8_t *row = pl->base + (ptrdiff_t)y * pl->stride;
    const uint32_t w = pl->width;
    if (pl->bps == 1 && pl->step == 1) {   /* the cases the compiler vectorises */
        for (uint32_t x = 0; x < w; x++) line[x] = (uint16_t)(row[x] & mask);
    } else if (pl->bps == 2 && pl->step == 2) {
        for (uint32_t x = 0; x < w; x++) {
            uint16_t v;
            memcpy(&v, row + 2 * (size_t)x, 2);
            line[x] = (uint16_t)(v & mask);
        }
    } else if (pl->bps == 1) {
        for (uint32_t x = 0; x < w; x++) line[x] = (uint16_t)(row[(ptrdiff_t)x * pl->step] & mask);
    } else {
        for (uint32_t x = 0; x < w; x++) {
            uint16_t v;
            memcpy(&v, row + (ptrdiff_t)x * pl->step, 2);
            line[x] = (uint16_t)(v & mask);
        }
    }
}

/* Row y of the scan's ns components into their lines; three 8-bit
 * components interleaved (RGB) in one pass. */
static void load_lines(const jls_plane *planes, const int *comp, int ns, uint32_t y,
                       uint16_t *const *cur, uint32_t mask)
{
    const jls_plane *p0 = &planes[comp[0]], *p1 = &planes[comp[1 % ns]],
                    *p2 = &planes[comp[2 % ns]];
    if (ns == 3 && p0->bps == 1 && p0->step == 3 && p1->base == p0->base + 1 &&
        p2->base == p0->base + 2 && p1->step == 3 && p2->step == 3 &&
        p1->stride == p0->stride && p2->stride == p0->stride) {
        const uint8_t *row = p0->base + (ptrdiff_t)y * p0->stride;
        uint16_t *restrict l0 = cur[0], *restrict l1 = cur[1], *restrict l2 = cur[2];
        for (uint32_t x = 0; x < p0->width; x++) {
            l0[x] = (uint16_t)(row[3 * (size_t)x] & mask);
            l1[x] = (uint16_t)(row[3 * (size_t)x + 1] & mask);
            l2[x] = (uint16_t)(row[3 * (size_t)x + 2] & mask);
        }
        return;
    }
    for (int k = 0; k < ns; k++) load_line(&planes[comp[k]], y, cur[k], mask);
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* One line buffer of encode_scan: samples -1 .. w and, for lossless_pass's
 * 8-sample loads, up to w rounded up to 8, plus 8. */
static size_t line_len(uint32_t w)
{
    return (((size_t)w + 7) & ~(size_t)7) + 10;
}

/* Scratch bytes of encode_scan for ns components of lines of w samples. */
static size_t scan_scratch(uint32_t w, int ns)
{
    size_t n = (size_t)ns * 2 * line_len(w) * sizeof(uint16_t);
    if (JLS_PRE) n += 12 * line_len(w) * sizeof(uint16_t);
    return n;
}

/* Codes the components listed in comp (one scan) from the planes. */
static int encode_scan(enc *e, const jls_plane *planes, const int *comp, int ns, int ilv,
                       int precision, uint8_t *mem)
{
    const uint32_t w = planes[comp[0]].width, h = planes[comp[0]].height;
    const uint32_t mask = (1u << precision) - 1;
    const size_t len = line_len(w);
    uint16_t *prev[JLS_MAX_COMPONENTS], *cur[JLS_MAX_COMPONENTS];
    uint16_t *lines = (uint16_t *)mem;
    /* zeros: the first line's neighbours above, and whatever lossless_pass
     * reads beyond w (its results there are not used) */
    memset(lines, 0, (size_t)ns * 2 * len * sizeof(uint16_t));
    for (int k = 0; k < ns; k++) {
        prev[k] = lines + (size_t)k * 2 * len + 1;
        cur[k] = prev[k] + len;
    }
    jls_state_reset(&e->st, &e->c);
#if JLS_PRE
    /* contexts first (lossless_pass) when lossless with RANGE = 2^P */
    const int pre = e->c.near == 0 && (e->c.range & (e->c.range - 1)) == 0;
    uint16_t *pre_buf = lines + (size_t)ns * 2 * len;
#else
    const int pre = 0;
#endif
    void (*line_fn)(enc *, const uint16_t *, uint16_t *, int32_t, int32_t *) =
        e->c.near == 0 ? enc_line_lossless : enc_line_near;
    for (uint32_t y = 0; y < h && !e->bw.over; y++) {
        load_lines(planes, comp, ns, y, cur, mask);
        for (int k = 0; k < ns; k++) {
            cur[k][-1] = prev[k][0];
            prev[k][w] = prev[k][w - 1];
        }
        if (pre) {
#if JLS_PRE
            if (ilv == 2) {
                lossless_pass(prev, cur, ns, (int32_t)w, &e->c, pre_buf);
                enc_lossless_pre(e, prev, cur, pre_buf, ns, (int32_t)w, &e->st.run_index[0]);
            } else {
                for (int k = 0; k < ns; k++) {
                    lossless_pass(&prev[k], &cur[k], 1, (int32_t)w, &e->c, pre_buf);
                    enc_lossless_pre(e, &prev[k], &cur[k], pre_buf, 1, (int32_t)w,
                                     &e->st.run_index[k]);
                }
            }
#endif
        } else if (ilv == 2) {
            enc_line_sample(e, prev, cur, ns, (int32_t)w, &e->st.run_index[0]);
        } else {
            for (int k = 0; k < ns; k++)
                line_fn(e, prev[k], cur[k], (int32_t)w, &e->st.run_index[k]);
        }
        for (int k = 0; k < ns; k++) {
            uint16_t *t = prev[k];
            prev[k] = cur[k];
            cur[k] = t;
        }
    }
    bw_end(&e->bw);
    return e->bw.over ? DC_ERR_OUTPUT_TOO_SMALL : DC_OK;
}

int jls_encode_planes(const jls_plane *planes, const jls_encode_args *a, uint8_t *dst,
                      size_t cap, size_t *len, dc_error *err)
{
    enc e;
    const int nc = a->ncomp;
    if (nc < 1 || nc > JLS_MAX_COMPONENTS)
        return dc_fail(err, DC_ERR_INVALID_ARG, "%d components: this encoder codes 1 to %d", nc,
                       JLS_MAX_COMPONENTS);
    if (a->ilv < 0 || a->ilv > 2)
        return dc_fail(err, DC_ERR_INVALID_ARG, "interleave mode %d is not 0 (none), 1 (line) "
                       "or 2 (sample)", a->ilv);
    int rc = jls_coding_init(&e.c, a->precision, a->near, &a->preset, DC_ERR_INVALID_ARG, err);
    if (rc != DC_OK) return rc;
    const uint32_t w = planes[0].width, h = planes[0].height;
    for (int c = 1; c < nc; c++)
        if (planes[c].width != w || planes[c].height != h)
            return dc_fail(err, DC_ERR_INVALID_ARG, "components of different sizes");
    if (w < 1 || h < 1 || w > 65535 || h > 65535)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "%u x %u pixels: JPEG-LS frames hold 1 to 65535 "
                       "rows and columns here", (unsigned)w, (unsigned)h);
    const int ilv = nc == 1 ? 0 : a->ilv;
    const int ns = ilv == 0 ? 1 : nc;
    size_t qsize = ((size_t)2 * (size_t)e.c.maxval + 1 + 15) & ~(size_t)15;
    size_t total = qsize + scan_scratch(w, ns);
    uint8_t *mem = dc_scratch_acquire(total);
    if (mem == NULL)
        return dc_fail(err, DC_ERR_NOMEM, "no memory for %zu bytes of JPEG-LS line buffers", total);
    jls_quant_table((int8_t *)mem, &e.c, 1);
    e.q = (const int8_t *)mem + e.c.maxval;

    e.bw.p = dst;
    e.bw.end = dst + cap;
    e.bw.acc = 0;
    e.bw.n = 0;
    e.bw.ff = 0;
    e.bw.over = 0;
    uint8_t hdr[64];
    size_t hn = 0;
    hdr[hn++] = 0xFF;
    hdr[hn++] = JLS_SOI;
    hdr[hn++] = 0xFF;
    hdr[hn++] = JLS_SOF55;
    put16(hdr + hn, 8 + 3 * (uint32_t)nc);
    hn += 2;
    hdr[hn++] = (uint8_t)a->precision;
    put16(hdr + hn, h);
    put16(hdr + hn + 2, w);
    hn += 4;
    hdr[hn++] = (uint8_t)nc;
    for (int c = 0; c < nc; c++) {
        hdr[hn++] = (uint8_t)(c + 1);
        hdr[hn++] = 0x11;
        hdr[hn++] = 0;
    }
    if (a->lse) {
        hdr[hn++] = 0xFF;
        hdr[hn++] = JLS_LSE;
        put16(hdr + hn, 13);
        hn += 2;
        hdr[hn++] = 1;
        const int32_t v[5] = {e.c.maxval, e.c.t1, e.c.t2, e.c.t3, e.c.reset};
        for (int i = 0; i < 5; i++, hn += 2) put16(hdr + hn, (uint32_t)v[i]);
    }
    bw_bytes(&e.bw, hdr, hn);
    rc = DC_OK;
    for (int s = 0; s < (ilv == 0 ? nc : 1) && rc == DC_OK && !e.bw.over; s++) {
        int comp[JLS_MAX_COMPONENTS];
        hn = 0;
        hdr[hn++] = 0xFF;
        hdr[hn++] = JLS_SOS;
        put16(hdr + hn, 6 + 2 * (uint32_t)ns);
        hn += 2;
        hdr[hn++] = (uint8_t)ns;
        for (int k = 0; k < ns; k++) {
            comp[k] = ilv == 0 ? s : k;
            hdr[hn++] = (uint8_t)(comp[k] + 1);
            hdr[hn++] = 0;
        }
        hdr[hn++] = (uint8_t)e.c.near;
        hdr[hn++] = (uint8_t)ilv;
        hdr[hn++] = 0;
        bw_bytes(&e.bw, hdr, hn);
        if (!e.bw.over) rc = encode_scan(&e, planes, comp, ns, ilv, a->precision, mem + qsize);
    }
    dc_scratch_release(mem);
    if (rc == DC_OK && !e.bw.over) {
        static const uint8_t eoi[3] = {0xFF, 0xFF, JLS_EOI};
        size_t n = (size_t)(e.bw.p - dst);
        int fill = a->even && (n % 2) == 1;
        bw_bytes(&e.bw, eoi + !fill, 2u + (unsigned)fill);
    }
    if (rc == DC_OK && e.bw.over) rc = DC_ERR_OUTPUT_TOO_SMALL;
    if (rc == DC_ERR_OUTPUT_TOO_SMALL)
        return dc_fail(err, rc, "the JPEG-LS output needs more than %zu bytes", cap);
    if (rc != DC_OK) return rc;
    *len = (size_t)(e.bw.p - dst);
    return DC_OK;
}
