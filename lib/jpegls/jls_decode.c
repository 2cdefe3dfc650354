/* jls_decode.c: the JPEG-LS decoder (T.87 Annex A decoding, Annex C
 * markers): marker segments, the bit reader with 0xFF bit stuffing, regular
 * and run mode, restart intervals, interleave modes none/line/sample,
 * sub-sampled components, and CharLS's HP colour transforms. Every read is
 * checked against the end of the input; a scan that runs out of data reads
 * zero bits, which is detected at the next line end (or by the Golomb
 * decoder's length limit) and reported as truncation. */
#include <string.h>

#include "jls_core.h"

/* ---------------------------------------------------------------- bit reader */

typedef struct jls_br {
    const uint8_t *p, *end;
    uint64_t cache;  /* valid bits at the top */
    int bits;        /* valid bits in cache, zero padding included */
    int pad;         /* zero bits added after the data ended */
    int ff;          /* the last byte taken was 0xFF: the next holds 7 bits */
    int stop;        /* 1 at a marker, 2 at the end of the input */
} jls_br;

static void br_init(jls_br *b, const uint8_t *p, const uint8_t *end)
{
    b->p = p;
    b->end = end;
    b->cache = 0;
    b->bits = 0;
    b->pad = 0;
    b->ff = 0;
    b->stop = 0;
}

static void br_fill_slow(jls_br *b)
{
    while (b->bits <= 56) {
        if (!b->stop) {
            if (b->p < b->end) {
                uint8_t c = *b->p;
                if (c == 0xFF) {
                    if (b->p + 1 >= b->end) {
                        b->stop = 2;
                        continue;
                    }
                    if (b->p[1] & 0x80) {
                        b->stop = 1;
                        continue;
                    }
                    b->cache |= (uint64_t)0xFF << (56 - b->bits);
                    b->bits += 8;
                    b->p++;
                    b->ff = 1;
                    continue;
                }
                if (b->ff) {
                    b->cache |= (uint64_t)c << (57 - b->bits);
                    b->bits += 7;
                    b->ff = 0;
                } else {
                    b->cache |= (uint64_t)c << (56 - b->bits);
                    b->bits += 8;
                }
                b->p++;
                continue;
            }
            b->stop = 2;
        }
        b->bits += 8;
        b->pad += 8;
    }
}

static inline uint64_t load_be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return __builtin_bswap64(v);
}

/* Tops the cache up to at least 57 bits (the general path; the line loops
 * use br_top). */
static inline void br_fill(jls_br *b)
{
    br_fill_slow(b);
}

/* n in 1..32 */
static inline uint32_t br_get(jls_br *b, int n)
{
    if (b->bits < n) br_fill(b);
    uint32_t v = (uint32_t)(b->cache >> (64 - n));
    b->cache <<= n;
    b->bits -= n;
    return v;
}

/* Counts zero bits up to and including the next 1; more than max -> -1. */
static inline int br_zeros(jls_br *b, int max)
{
    if (b->bits < 32) br_fill(b);
    if (b->cache) {
        int z = __builtin_clzll(b->cache);
        if (z < b->bits) {
            b->cache <<= z;
            b->cache <<= 1;
            b->bits -= z + 1;
            return z <= max ? z : -1;
        }
    }
    int n = b->bits;
    b->cache = 0;
    b->bits = 0;
    for (;;) {
        br_fill(b);
        if (b->cache) {
            int z = __builtin_clzll(b->cache);
            b->cache <<= z;
            b->cache <<= 1;
            b->bits -= z + 1;
            n += z;
            return n <= max ? n : -1;
        }
        n += b->bits;
        b->bits = 0;
        if (n > max) return -1;
    }
}

/* Whether the decoder has used bits beyond the data: zero padding read. */
static inline int br_overrun(const jls_br *b)
{
    return b->pad > b->bits;
}

/* ------------------------------------------------------------ scan decoder */

/* The decoder's quantisation table holds gradients times minus the
 * context's size: 4 * 16 fits its bytes. */
_Static_assert(sizeof(jls_ctx) == 16, "jls_ctx is 16 bytes");

typedef struct dec {
    jls_coding c;
    jls_state st;
    const int8_t *q;       /* quant table times -sizeof(jls_ctx), indexed by difference + maxval:
                            * Q(a - b) * sizeof(jls_ctx) is q[b - a] */
    jls_br br;
    int failed;            /* a code word no encoder writes */
} dec;

/* What one line's loop works with, copied into a local so that the compiler
 * keeps the bit reader and the parameters in registers (stores to the
 * contexts could otherwise alias them). */
typedef struct kx {
    jls_br br;
    jls_coding c;
    jls_ctx *ctx;
    jls_state *st;
    int failed;
} kx;

/* `bits` 8 or 16: the scan is lossless with the default parameters of that
 * precision (jls_is_default_lossless), written here as constants that the
 * compiler folds into the hot loops; 0 reads them. */
static inline void kx_load(kx *x, dec *d, int bits)
{
    x->br = d->br;
    x->c = d->c;
    if (bits) jls_default_lossless(&x->c, bits);
    x->ctx = d->st.ctx;
    x->st = &d->st;
    x->failed = 0;
}

static inline void kx_store(const kx *x, dec *d)
{
    d->br = x->br;
    d->failed |= x->failed;
}

/* Refill and the rare Golomb paths take and return the reader by value, so
 * that the caller's copy never has its address taken. */
static __attribute__((noinline)) jls_br br_refill(jls_br b)
{
    br_fill_slow(&b);
    return b;
}

static inline void br_top(jls_br *b)
{
    if (!b->ff && b->end - b->p >= 8) {
        uint64_t v = load_be64(b->p), x = ~v;
        if (!((x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull)) {
            int nb = (64 - b->bits) >> 3;
            b->cache |= (v & (~0ull << (64 - 8 * nb))) >> b->bits;
            b->bits += 8 * nb;
            b->p += nb;
            return;
        }
    }
    /* Byte by byte near an 0xFF (run codes of flat areas make many). */
    while (b->bits <= 56) {
        if (b->stop || b->end - b->p < 2) {
            *b = br_refill(*b);
            return;
        }
        uint8_t c = b->p[0];
        if (b->ff) {
            b->cache |= (uint64_t)c << (57 - b->bits);
            b->bits += 7;
            b->ff = 0;
        } else {
            if (c == 0xFF && (b->p[1] & 0x80)) {
                *b = br_refill(*b);
                return;
            }
            b->cache |= (uint64_t)c << (56 - b->bits);
            b->bits += 8;
            b->ff = c == 0xFF;
        }
        b->p++;
    }
}

typedef struct br_val {
    jls_br b;
    int32_t v;
} br_val;

/* The general limited-length Golomb decoder (T.87 A.5.3); v -1 when damaged. */
static __attribute__((noinline)) br_val dec_value_slow(jls_br b, int k, int limit, int qbpp)
{
    br_val r;
    int hb = br_zeros(&b, limit - qbpp - 1);
    if (hb < 0) r.v = -1;
    else if (hb == limit - qbpp - 1) r.v = (int32_t)br_get(&b, qbpp) + 1;
    else if (k == 0) r.v = hb;
    else r.v = (int32_t)(((uint32_t)hb << k) | br_get(&b, k));
    r.b = b;
    return r;
}

/* A Golomb code word: the short ones (unary part and k bits within the
 * cache) without a loop or a second refill. */
static inline int32_t dec_value(kx *x, int k, int limit)
{
    jls_br *b = &x->br;
    if (b->bits < 40) br_top(b);
    uint64_t c = b->cache;
    int z = c ? __builtin_clzll(c) : 64;
    if (__builtin_expect(z < limit - x->c.qbpp - 1 && z + 1 + k <= b->bits, 1)) {
        uint64_t c2 = c << z << 1;
        b->cache = c2 << k;
        b->bits -= z + 1 + k;
        return (int32_t)(((uint32_t)z << k) + (uint32_t)((c2 >> 32) >> (32 - k)));
    }
    br_val r = dec_value_slow(*b, k, limit, x->c.qbpp);
    *b = r.b;
    return r.v;
}

static inline int32_t fix_rx(const kx *x, int32_t rx, int lossless, int pow2)
{
    if (pow2) return rx & x->c.maxval;
    return jls_fix_rx(&x->c, rx, lossless ? 0 : x->c.near);
}

/* A regular-mode sample; q is the context number times sizeof(jls_ctx),
 * as the decoder's quantisation table gives it, so that its absolute
 * value is the context's byte offset (fewer steps between a sample's value
 * and the load of the next sample's context). */
static inline int32_t dec_regular(kx *x, intptr_t q, int32_t ra, int32_t rb, int32_t rc,
                                  int lossless, int pow2)
{
    const int32_t sign = (int32_t)(q >> 31);
    jls_ctx *cx = (jls_ctx *)((char *)x->ctx + (q < 0 ? -q : q));
    int32_t px = jls_med(ra, rb, rc) + ((cx->c ^ sign) - sign);
    if (px < 0) px = 0;
    else if (px > x->c.maxval) px = x->c.maxval;
    const int k = cx->k;
    int32_t m = dec_value(x, k, x->c.limit);
    if (__builtin_expect((uint32_t)m > (uint32_t)x->c.range, 0)) {
        x->failed = 1;
        return 0;
    }
    int32_t e = (m >> 1) ^ -(m & 1);
    if (lossless) e ^= -(int32_t)(k == 0 && 2 * cx->b <= -cx->n);
    jls_update(cx, e, lossless ? 1 : x->c.near2p1, x->c.reset, 1);
    if (!lossless) e *= x->c.near2p1;
    return fix_rx(x, px + ((e ^ sign) - sign), lossless, pow2);
}

/* The error of a run interruption sample with RItype `it` (T.87 A.7.2). */
static inline int32_t dec_ri_error(kx *x, int it, int ri)
{
    jls_state *st = x->st;
    const int32_t n = st->ri_n[it], nn = st->ri_nn[it];
    const int k = jls_golomb_k(st->ri_a[it] + (uint32_t)((n >> 1) * it), n);
    int32_t m = dec_value(x, k, x->c.limit - jls_J[ri] - 1);
    if ((uint32_t)m > (uint32_t)x->c.range) {
        x->failed = 1;
        return 0;
    }
    const int32_t t = m + it, map = t & 1, eabs = (t + map) >> 1;
    const int32_t e = ((k != 0 || 2 * nn >= n) == map) ? -eabs : eabs;
    if (e < 0) st->ri_nn[it]++;
    st->ri_a[it] += (uint32_t)((m + 1 - it) >> 1);
    if (n == x->c.reset) {
        st->ri_a[it] >>= 1;
        st->ri_n[it] >>= 1;
        st->ri_nn[it] >>= 1;
    }
    st->ri_n[it]++;
    return e;
}

/* The run length code (T.87 A.7.1.2) for at most `remain` samples; returns
 * the run length, remain meaning the run reaches the end of the line. */
static inline int32_t dec_run(kx *x, int32_t *ri, int32_t remain)
{
    jls_br *b = &x->br;
    int32_t cnt = 0;
    for (;;) {
        if (b->bits < 1) br_top(b);
        int bit = (int)(b->cache >> 63);
        b->cache <<= 1;
        b->bits--;
        if (!bit) break;
        int32_t r = (int32_t)1 << jls_J[*ri];
        int32_t count = r < remain - cnt ? r : remain - cnt;
        cnt += count;
        if (count == r && *ri < 31) (*ri)++;
        if (cnt == remain) return cnt;
    }
    if (jls_J[*ri]) {
        if (b->bits < jls_J[*ri]) br_top(b);
        cnt += (int32_t)(b->cache >> (64 - jls_J[*ri]));
        b->cache <<= jls_J[*ri];
        b->bits -= jls_J[*ri];
    }
    if (cnt > remain) {
        x->failed = 1;
        return remain;
    }
    return cnt;
}

static inline int32_t dec_ri_sample(kx *x, int it, int32_t ra, int32_t rb, int ri, int lossless,
                                    int pow2)
{
    int32_t e = dec_ri_error(x, it, ri);
    if (!lossless) e *= x->c.near2p1;
    if (it) return fix_rx(x, ra + e, lossless, pow2);
    return fix_rx(x, rb + (rb < ra ? -e : e), lossless, pow2);
}

/* One line of one component (interleave none or line). prev/cur point at
 * sample 0; [-1] and [w] exist. */
static inline __attribute__((always_inline)) void dec_line_impl(dec *d, const int32_t *prev,
                                                                int32_t *cur, int32_t w,
                                                                int32_t *ri_p, int lossless,
                                                                int pow2, int bits)
{
    kx x;
    kx_load(&x, d, bits);
    const int8_t *q = d->q;
    const int32_t near = lossless ? 0 : x.c.near;
    int32_t ri = *ri_p;
    int32_t rb = prev[-1], rd = prev[0];
    int32_t ra = cur[-1];
    int32_t i = 0;
    /* 9 * Q(Rb - Rc) of the next sample is 9 * Q(Rd - Rb) of this one */
    intptr_t q9 = 9 * (intptr_t)q[rb - rd];
    while (i < w) {
        int32_t rc = rb;
        rb = rd;
        rd = prev[i + 1];
        const intptr_t q1 = q[rb - rd];
        /* Q(Rc - Ra) at (q - Rc)[Ra]: the pointer is ready before Ra is */
        const int8_t *qc = q - rc;
        __asm__("" : "+r"(qc)); /* or the compiler computes Ra - Rc first */
        const intptr_t qs = 81 * q1 + q9 + qc[(uint32_t)ra];
        q9 = 9 * q1;
        if (qs != 0) {
            ra = dec_regular(&x, qs, ra, rb, rc, lossless, pow2);
            cur[i++] = ra;
            continue;
        }
        int32_t run = dec_run(&x, &ri, w - i);
        for (int32_t j = 0; j < run; j++) cur[i + j] = ra;
        i += run;
        if (i < w) {
            rb = prev[i];
            int32_t diff = ra - rb;
            int it = (diff < 0 ? -diff : diff) <= near;
            ra = dec_ri_sample(&x, it, ra, rb, ri, lossless, pow2);
            cur[i++] = ra;
            if (ri > 0) ri--;
        }
        rb = prev[i - 1];
        rd = prev[i];
        q9 = 9 * q[rb - rd];
        if (x.failed) break;
    }
    *ri_p = ri;
    kx_store(&x, d);
}

static void dec_line_pow2(dec *d, const int32_t *prev, int32_t *cur, int32_t w, int32_t *ri)
{
    dec_line_impl(d, prev, cur, w, ri, 1, 1, 0);
}

static void dec_line_8(dec *d, const int32_t *prev, int32_t *cur, int32_t w, int32_t *ri)
{
    dec_line_impl(d, prev, cur, w, ri, 1, 1, 8);
}

static void dec_line_16(dec *d, const int32_t *prev, int32_t *cur, int32_t w, int32_t *ri)
{
    dec_line_impl(d, prev, cur, w, ri, 1, 1, 16);
}

static void dec_line_lossless(dec *d, const int32_t *prev, int32_t *cur, int32_t w, int32_t *ri)
{
    dec_line_impl(d, prev, cur, w, ri, 1, 0, 0);
}

static void dec_line_near(dec *d, const int32_t *prev, int32_t *cur, int32_t w, int32_t *ri)
{
    dec_line_impl(d, prev, cur, w, ri, 0, 0, 0);
}

/* One line of nc components interleaved by sample, held as pixels
 * (sample c of pixel i at [i * nc + c], one pixel of border each side):
 * contexts shared, run mode when every component's gradients are flat, run
 * interruption samples coded in the RItype 0 context against Rb (as CharLS
 * does). */
static inline __attribute__((always_inline)) void dec_sample_impl(
    dec *d, const int32_t *prev, int32_t *cur, const int nc, int32_t w, int32_t *ri_p,
    int lossless, int pow2, int bits)
{
    kx x;
    kx_load(&x, d, bits);
    const int8_t *q = d->q;
    int32_t ri = *ri_p;
    int32_t i = 0;
    while (i < w) {
        intptr_t qs[JLS_MAX_COMPONENTS] = {0, 0, 0, 0};
        const int32_t *p = prev + i * nc;
        int32_t *o = cur + i * nc;
        int flat = 1;
#pragma GCC unroll 4
        for (int c = 0; c < nc; c++) {
            int32_t ra = o[c - nc], rb = p[c], rc = p[c - nc], rd = p[c + nc];
            qs[c] = 81 * q[rb - rd] + 9 * q[rc - rb] + q[ra - rc];
            flat &= qs[c] == 0;
        }
        if (!flat) {
#pragma GCC unroll 4
            for (int c = 0; c < nc; c++)
                o[c] = dec_regular(&x, qs[c], o[c - nc], p[c], p[c - nc], lossless, pow2);
            i++;
            if (x.failed) break;
            continue;
        }
        int32_t run = dec_run(&x, &ri, w - i);
        if (nc == 3) {
            const int32_t a0 = o[-3], a1 = o[-2], a2 = o[-1];
            for (int32_t j = 0; j < run; j++) {
                o[3 * j] = a0;
                o[3 * j + 1] = a1;
                o[3 * j + 2] = a2;
            }
        } else {
            for (int c = 0; c < nc; c++) {
                const int32_t a = o[c - nc];
                for (int32_t j = 0; j < run; j++) o[j * nc + c] = a;
            }
        }
        i += run;
        if (i < w) {
            p = prev + i * nc;
            o = cur + i * nc;
            for (int c = 0; c < nc; c++)
                o[c] = dec_ri_sample(&x, 0, o[c - nc], p[c], ri, lossless, pow2);
            if (ri > 0) ri--;
            i++;
        }
        if (x.failed) break;
    }
    *ri_p = ri;
    kx_store(&x, d);
}

static void dec_line_sample(dec *d, const int32_t *prev, int32_t *cur, int nc, int32_t w,
                            int32_t *ri)
{
    const int lossless = d->c.near == 0, pow2 = lossless && (d->c.maxval & (d->c.maxval + 1)) == 0;
    if (nc == 3 && jls_is_default_lossless(&d->c, 8))
        dec_sample_impl(d, prev, cur, 3, w, ri, 1, 1, 8);
    else if (nc == 3 && pow2) dec_sample_impl(d, prev, cur, 3, w, ri, 1, 1, 0);
    else if (nc == 3 && !lossless) dec_sample_impl(d, prev, cur, 3, w, ri, 0, 0, 0);
    else if (lossless) dec_sample_impl(d, prev, cur, nc, w, ri, 1, 0, 0);
    else dec_sample_impl(d, prev, cur, nc, w, ri, 0, 0, 0);
}

/* ----------------------------------------------------------------- markers */

typedef struct parser {
    const uint8_t *s;
    size_t n, i;
    dc_error *err;
} parser;

static int truncated(parser *ps, const char *where)
{
    return dc_fail(ps->err, DC_ERR_TRUNCATED, "the JPEG-LS stream is truncated in %s "
                   "(%zu bytes)", where, ps->n);
}

static int rd16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

/* The next marker at ps->i, 0xFF fill bytes skipped; -1 at the end. */
static int next_marker(parser *ps)
{
    if (ps->i >= ps->n) return -1;
    if (ps->s[ps->i] != 0xFF) return -2;
    while (ps->i + 1 < ps->n && ps->s[ps->i + 1] == 0xFF) ps->i++;
    if (ps->i + 1 >= ps->n) return -1;
    int m = ps->s[ps->i + 1];
    ps->i += 2;
    return m;
}

/* The segment after a marker with a length: its body and size. */
static int segment(parser *ps, const char *name, const uint8_t **body, size_t *len)
{
    if (ps->i + 2 > ps->n) return truncated(ps, name);
    size_t l = (size_t)rd16(ps->s + ps->i);
    if (l < 2) return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS %s has length %zu", name, l);
    if (l > ps->n - ps->i) return truncated(ps, name);
    *body = ps->s + ps->i + 2;
    *len = l - 2;
    ps->i += l;
    return DC_OK;
}

typedef struct scan_hdr {
    int ns;
    int comp[JLS_MAX_COMPONENTS]; /* frame component indices */
    int near, ilv;
} scan_hdr;

static int parse_sof(parser *ps, const uint8_t *b, size_t len, jls_frame *f)
{
    if (len < 6) return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS frame header of %zu bytes", len);
    f->precision = b[0];
    f->height = (uint32_t)rd16(b + 1);
    f->width = (uint32_t)rd16(b + 3);
    int nf = b[5];
    if (f->precision < 2 || f->precision > 16)
        return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS frame header: precision %d (2..16)",
                       f->precision);
    if (nf < 1)
        return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS frame header: 0 components");
    if (nf > JLS_MAX_COMPONENTS)
        return dc_fail(ps->err, DC_ERR_UNSUPPORTED, "JPEG-LS frame of %d components: at most "
                       "%d are supported", nf, JLS_MAX_COMPONENTS);
    if (len < 6 + 3 * (size_t)nf)
        return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS frame header of %zu bytes for %d "
                       "components", len, nf);
    if (f->width == 0 || f->height == 0)
        return dc_fail(ps->err, DC_ERR_UNSUPPORTED, "JPEG-LS frame of %u x %u samples (a "
                       "height set by a DNL marker is not supported)", (unsigned)f->width,
                       (unsigned)f->height);
    f->ncomp = nf;
    int hmax = 1, vmax = 1;
    for (int c = 0; c < nf; c++) {
        const uint8_t *e = b + 6 + 3 * c;
        f->id[c] = e[0];
        f->h[c] = e[1] >> 4;
        f->v[c] = e[1] & 15;
        if (f->h[c] < 1 || f->h[c] > 4 || f->v[c] < 1 || f->v[c] > 4)
            return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS component %d has sampling factors "
                           "%d x %d", c, f->h[c], f->v[c]);
        for (int j = 0; j < c; j++)
            if (f->id[j] == f->id[c])
                return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS frame header lists component "
                               "%u twice", (unsigned)f->id[c]);
        if (f->h[c] > hmax) hmax = f->h[c];
        if (f->v[c] > vmax) vmax = f->v[c];
    }
    for (int c = 0; c < nf; c++) {
        f->cw[c] = (uint32_t)(((uint64_t)f->width * f->h[c] + (uint64_t)hmax - 1) / (uint64_t)hmax);
        f->ch[c] = (uint32_t)(((uint64_t)f->height * f->v[c] + (uint64_t)vmax - 1) / (uint64_t)vmax);
    }
    return DC_OK;
}

static int parse_lse(parser *ps, const uint8_t *b, size_t len, int precision, jls_preset *p)
{
    if (len < 1) return dc_fail(ps->err, DC_ERR_CORRUPT, "empty JPEG-LS LSE segment");
    if (b[0] == 1) {
        if (len < 11)
            return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS preset parameters (LSE 1) of %zu "
                           "bytes", len);
        p->maxval = rd16(b + 1);
        p->t1 = rd16(b + 3);
        p->t2 = rd16(b + 5);
        p->t3 = rd16(b + 7);
        p->reset = rd16(b + 9);
        if (precision) {
            jls_coding c;
            return jls_coding_init(&c, precision, 0, p, DC_ERR_CORRUPT, ps->err);
        }
        return DC_OK;
    }
    if (b[0] == 2 || b[0] == 3)
        return dc_fail(ps->err, DC_ERR_UNSUPPORTED, "JPEG-LS mapping tables (LSE %d) are not "
                       "supported", b[0]);
    return dc_fail(ps->err, DC_ERR_UNSUPPORTED, "JPEG-LS LSE segment of type %d is not "
                   "supported", b[0]);
}

static int parse_sos(parser *ps, const uint8_t *b, size_t len, const jls_frame *f, int scanno,
                     int first_ilv, scan_hdr *sh)
{
    if (len < 1) return dc_fail(ps->err, DC_ERR_CORRUPT, "empty JPEG-LS scan header");
    int ns = b[0];
    if (ns < 1 || len < 1 + 2 * (size_t)ns + 3)
        return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS scan header of %zu bytes for %d "
                       "components", len, ns);
    sh->ns = ns;
    sh->near = b[1 + 2 * ns];
    sh->ilv = b[2 + 2 * ns];
    if (sh->ilv > 2)
        return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS scan %d has interleave mode %d",
                       scanno, sh->ilv);
    /* One interleave mode for all scans: what DICOM's encoders write, and
     * one layout for a frame's components. */
    if (first_ilv >= 0 && sh->ilv != first_ilv)
        return dc_fail(ps->err, DC_ERR_UNSUPPORTED, "JPEG-LS scan %d has interleave mode %d, "
                       "the first scan %d", scanno, sh->ilv, first_ilv);
    if (sh->ilv == 0 ? ns != 1 : ns != f->ncomp)
        return dc_fail(ps->err, DC_ERR_UNSUPPORTED, "JPEG-LS scan %d codes %d of %d components "
                       "with interleave mode %d", scanno, ns, f->ncomp, sh->ilv);
    for (int k = 0; k < ns; k++) {
        int id = b[1 + 2 * k], idx = -1;
        for (int j = 0; j < f->ncomp; j++)
            if (f->id[j] == id) idx = j;
        if (idx < 0)
            return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS scan %d codes component %d, which "
                           "the frame header does not list", scanno, id);
        if (b[2 + 2 * k] != 0)
            return dc_fail(ps->err, DC_ERR_UNSUPPORTED, "JPEG-LS scan %d uses mapping table %d "
                           "(not supported)", scanno, b[2 + 2 * k]);
        sh->comp[k] = idx;
    }
    if ((b[3 + 2 * ns] & 15) != 0)
        return dc_fail(ps->err, DC_ERR_UNSUPPORTED, "JPEG-LS scan %d has point transform %d "
                       "(not supported)", scanno, b[3 + 2 * ns] & 15);
    if (sh->ilv == 2)
        for (int k = 1; k < ns; k++)
            if (f->cw[sh->comp[k]] != f->cw[sh->comp[0]] || f->ch[sh->comp[k]] != f->ch[sh->comp[0]])
                return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS scan %d interleaves sub-sampled "
                               "components by sample", scanno);
    return DC_OK;
}

/* Where the entropy-coded data from i ends: the first 0xFF followed by a
 * byte with its high bit set (a lower byte is stuffing), or n. */
static size_t find_marker(const uint8_t *s, size_t n, size_t i)
{
    while (i < n) {
        const uint8_t *ff = memchr(s + i, 0xFF, n - i);
        if (ff == NULL) return n;
        i = (size_t)(ff - s);
        if (i + 1 >= n) return n;
        if (s[i + 1] & 0x80) return i;
        i += 2;
    }
    return n;
}

static void store_line(const jls_plane *pl, uint32_t y, const int32_t *line)
{
    /* the plane's fields in locals: the byte stores could alias them */
    uint8_t *row = pl->base + (ptrdiff_t)y * pl->stride;
    const uint32_t w = pl->width;
    const ptrdiff_t step = pl->step;
    if (pl->bps == 1) {
        if (step == 1) {
            for (uint32_t x = 0; x < w; x++) row[x] = (uint8_t)line[x];
        } else {
            for (uint32_t x = 0; x < w; x++, row += step) *row = (uint8_t)line[x];
        }
    } else if (step == 2) {
        for (uint32_t x = 0; x < w; x++) {
            uint16_t v = (uint16_t)line[x];
            memcpy(row + 2 * (ptrdiff_t)x, &v, 2);
        }
    } else {
        for (uint32_t x = 0; x < w; x++, row += step) {
            uint16_t v = (uint16_t)line[x];
            memcpy(row, &v, 2);
        }
    }
}

/* A line of pixels (sample c of pixel i at [i * ns + c]) into the planes;
 * one plain copy when they are interleaved 8-bit pixels of the same order. */
/* Whether the scan's planes are 8-bit pixels interleaved in scan order,
 * all of one size. */
static int packed_pixels(const jls_plane *planes, const scan_hdr *sh)
{
    const int ns = sh->ns;
    const jls_plane *p0 = &planes[sh->comp[0]];
    int packed = 1;
    for (int k = 0; k < ns; k++) {
        const jls_plane *pk = &planes[sh->comp[k]];
        packed &= pk->bps == 1 && pk->step == ns && pk->base == p0->base + k &&
                  pk->stride == p0->stride && pk->width == p0->width &&
                  pk->height == p0->height;
    }
    return packed;
}

/* One line of each of the ns components (line interleave) into packed
 * pixels: one pass along the row instead of ns strided ones. */
static void store_line_group(const jls_plane *p0, int ns, uint32_t y, int32_t *const *lines)
{
    uint8_t *row = p0->base + (ptrdiff_t)y * p0->stride;
    const uint32_t w = p0->width;
    if (ns == 3) {
        const int32_t *l0 = lines[0], *l1 = lines[1], *l2 = lines[2];
        for (uint32_t x = 0; x < w; x++, row += 3) {
            row[0] = (uint8_t)l0[x];
            row[1] = (uint8_t)l1[x];
            row[2] = (uint8_t)l2[x];
        }
        return;
    }
    for (uint32_t x = 0; x < w; x++)
        for (int k = 0; k < ns; k++) row[(size_t)x * (size_t)ns + (size_t)k] = (uint8_t)lines[k][x];
}

static void store_pixels(const jls_plane *planes, const scan_hdr *sh, uint32_t y,
                         const int32_t *line)
{
    const int ns = sh->ns;
    const jls_plane *p0 = &planes[sh->comp[0]];
    if (packed_pixels(planes, sh)) {
        uint8_t *row = p0->base + (ptrdiff_t)y * p0->stride;
        for (size_t x = 0; x < (size_t)p0->width * (size_t)ns; x++) row[x] = (uint8_t)line[x];
        return;
    }
    for (int k = 0; k < ns; k++) {
        const jls_plane *pl = &planes[sh->comp[k]];
        uint8_t *row = pl->base + (ptrdiff_t)y * pl->stride;
        for (uint32_t x = 0; x < pl->width; x++) {
            int32_t v = line[(size_t)x * ns + k];
            if (pl->bps == 1) row[(ptrdiff_t)x * pl->step] = (uint8_t)v;
            else {
                uint16_t u = (uint16_t)v;
                memcpy(row + (ptrdiff_t)x * pl->step, &u, 2);
            }
        }
    }
}

/* The scan error when decoding stopped on damage: truncation when the data
 * ran off the end of the input. */
static int scan_damage(parser *ps, const dec *d, int scanno, uint32_t line)
{
    if (d->br.stop == 2 && d->br.pad > 0)
        return dc_fail(ps->err, DC_ERR_TRUNCATED, "the JPEG-LS data of scan %d ends at line %u: "
                       "the stream was truncated (cut short)", scanno, (unsigned)line);
    return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS scan %d: damaged entropy-coded data at "
                   "line %u", scanno, (unsigned)line);
}

/* Restart marker RSTm expected at the byte after the interval's data. */
static int restart(parser *ps, dec *d, int m, int scanno, uint32_t line)
{
    size_t at = find_marker(ps->s, ps->n, (size_t)(d->br.p - ps->s));
    while (at + 1 < ps->n && ps->s[at + 1] == 0xFF) at++;
    if (at + 1 >= ps->n) return scan_damage(ps, d, scanno, line);
    if (ps->s[at + 1] != JLS_RST0 + (m & 7))
        return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS scan %d: marker 0x%02X where restart "
                       "marker %d belongs (line %u)", scanno, ps->s[at + 1], m & 7,
                       (unsigned)line);
    br_init(&d->br, ps->s + at + 2, ps->s + ps->n);
    return DC_OK;
}

static void border(int32_t *prev, int32_t *cur, uint32_t w)
{
    cur[-1] = prev[0];
    prev[w] = prev[w - 1];
}

static int decode_scan(parser *ps, const jls_frame *f, const scan_hdr *sh, const jls_preset *pre,
                       uint32_t ri_lines, const jls_plane *planes, int scanno)
{
    dec d;
    int rc = jls_coding_init(&d.c, f->precision, sh->near, pre, DC_ERR_CORRUPT, ps->err);
    if (rc != DC_OK) return rc;
    d.failed = 0;
    const int ns = sh->ns;
    size_t qsize = ((size_t)2 * (size_t)d.c.maxval + 1 + 15) & ~(size_t)15;
    size_t off[JLS_MAX_COMPONENTS] = {0, 0, 0, 0}, total = qsize;
    for (int k = 0; k < ns; k++) {
        off[k] = total;
        total += 2 * ((size_t)f->cw[sh->comp[k]] + 2) * sizeof(int32_t);
    }
    uint8_t *mem = dc_scratch_acquire(total);
    if (mem == NULL)
        return dc_fail(ps->err, DC_ERR_NOMEM, "no memory for %zu bytes of JPEG-LS line buffers",
                       total);
    jls_quant_table((int8_t *)mem, &d.c, -(int)sizeof(jls_ctx));
    d.q = (const int8_t *)mem + d.c.maxval;
    int32_t *prev[JLS_MAX_COMPONENTS], *cur[JLS_MAX_COMPONENTS];
    uint32_t w[JLS_MAX_COMPONENTS] = {0}, h[JLS_MAX_COMPONENTS] = {0}, v[JLS_MAX_COMPONENTS] = {0};
    for (int k = 0; k < ns; k++) {
        int c = sh->comp[k];
        w[k] = f->cw[c];
        h[k] = f->ch[c];
        v[k] = ns > 1 ? f->v[c] : 1;
        prev[k] = (int32_t *)(mem + off[k]) + 1;
        cur[k] = prev[k] + w[k] + 2;
    }
    int32_t *pprev = (int32_t *)(mem + off[0]) + ns;
    int32_t *pcur = pprev + ((size_t)w[0] + 2) * (size_t)ns;
    /* Line groups: one line of each component, or V lines of each for
     * line-interleaved sub-sampled components (T.87 B.2.2). */
    uint32_t groups = 0;
    for (int k = 0; k < ns; k++) {
        uint32_t g = (h[k] + v[k] - 1) / v[k];
        if (g > groups) groups = g;
    }
    void (*line_fn)(dec *, const int32_t *, int32_t *, int32_t, int32_t *) =
        d.c.near != 0 ? dec_line_near
        : jls_is_default_lossless(&d.c, 8) ? dec_line_8
        : jls_is_default_lossless(&d.c, 16) ? dec_line_16
        : (d.c.maxval & (d.c.maxval + 1)) == 0 ? dec_line_pow2 : dec_line_lossless;
    /* line interleave into packed 8-bit pixels: stored a line group at once */
    int group = sh->ilv == 1 && ns > 1 && packed_pixels(planes, sh);
    for (int k = 0; k < ns; k++) group &= v[k] == 1 && w[k] == w[0] && h[k] == h[0];
    int marker = 0;
    rc = DC_OK;
    br_init(&d.br, ps->s + ps->i, ps->s + ps->n);
    for (uint32_t g = 0; g < groups; g++) {
        if (g == 0 || (ri_lines && g % ri_lines == 0)) {
            if (g > 0 && (rc = restart(ps, &d, marker++, scanno, g)) != DC_OK) break;
            jls_state_reset(&d.st, &d.c);
            for (int k = 0; k < ns; k++)
                memset(mem + off[k], 0, 2 * ((size_t)w[k] + 2) * sizeof(int32_t));
        }
        if (sh->ilv == 2) {
            /* pixels: the same memory as the per-component lines */
            const int32_t nw = (int32_t)w[0] * ns;
            for (int c = 0; c < ns; c++) {
                pcur[c - ns] = pprev[c];
                pprev[nw + c] = pprev[nw - ns + c];
            }
            dec_line_sample(&d, pprev, pcur, ns, (int32_t)w[0], &d.st.run_index[0]);
            if (d.failed || br_overrun(&d.br)) {
                rc = scan_damage(ps, &d, scanno, g);
                break;
            }
            store_pixels(planes, sh, g, pcur);
            int32_t *t = pprev;
            pprev = pcur;
            pcur = t;
            continue;
        }
        for (int k = 0; k < ns && rc == DC_OK; k++) {
            for (uint32_t y = g * v[k]; y < (g + 1) * v[k] && y < h[k]; y++) {
                border(prev[k], cur[k], w[k]);
                line_fn(&d, prev[k], cur[k], (int32_t)w[k], &d.st.run_index[k]);
                if (d.failed || br_overrun(&d.br)) {
                    rc = scan_damage(ps, &d, scanno, y);
                    break;
                }
                if (!group) store_line(&planes[sh->comp[k]], y, cur[k]);
                int32_t *t = prev[k];
                prev[k] = cur[k];
                cur[k] = t;
            }
        }
        if (rc != DC_OK) break;
        if (group) store_line_group(&planes[sh->comp[0]], ns, g, prev);
    }
    if (rc == DC_OK) ps->i = find_marker(ps->s, ps->n, (size_t)(d.br.p - ps->s));
    dc_scratch_release(mem);
    return rc;
}

/* CharLS's HP colour transforms (inverse), on 3 components of P = 8 or 16
 * bits, modulo 2^P. */
static int inverse_transform(parser *ps, const jls_frame *f, const jls_plane *pl)
{
    if (f->ncomp != 3 || f->cw[1] != f->cw[0] || f->cw[2] != f->cw[0] || f->ch[1] != f->ch[0] ||
        f->ch[2] != f->ch[0])
        return dc_fail(ps->err, DC_ERR_CORRUPT, "JPEG-LS HP colour transform %d on %d "
                       "components of different sizes (needs 3 alike)", f->transform, f->ncomp);
    if (f->precision != 8 && f->precision != 16)
        return dc_fail(ps->err, DC_ERR_UNSUPPORTED, "JPEG-LS HP colour transform %d on %d-bit "
                       "samples (CharLS defines it for 8 and 16 bits)", f->transform,
                       f->precision);
    const int32_t range = 1 << f->precision, mask = range - 1, half = range / 2;
    for (uint32_t y = 0; y < f->ch[0]; y++) {
        uint8_t *r0 = pl[0].base + (ptrdiff_t)y * pl[0].stride;
        uint8_t *r1 = pl[1].base + (ptrdiff_t)y * pl[1].stride;
        uint8_t *r2 = pl[2].base + (ptrdiff_t)y * pl[2].stride;
        for (uint32_t x = 0; x < f->cw[0]; x++) {
            int32_t v1 = jls_load(&pl[0], r0, x), v2 = jls_load(&pl[1], r1, x),
                    v3 = jls_load(&pl[2], r2, x), R, G, B;
            if (f->transform == 1) {
                R = v1 + v2 - half;
                G = v2;
                B = v3 + v2 - half;
            } else if (f->transform == 2) {
                R = (v1 + v2 - half) & mask;
                G = v2;
                B = v3 + ((R + G) >> 1) - half;
            } else {
                G = (v1 - ((v3 + v2) >> 2) + range / 4) & mask;
                R = v3 + G - half;
                B = v2 + G - half;
            }
            int32_t out[3] = {R & mask, G & mask, B & mask};
            uint8_t *rows[3] = {r0, r1, r2};
            for (int c = 0; c < 3; c++) {
                uint8_t *s = rows[c] + (ptrdiff_t)x * pl[c].step;
                if (pl[c].bps == 1) *s = (uint8_t)out[c];
                else {
                    uint16_t u = (uint16_t)out[c];
                    memcpy(s, &u, 2);
                }
            }
        }
    }
    return DC_OK;
}

/* Walks the stream; with planes NULL it stops at the first scan header. */
static int parse(const uint8_t *s, size_t n, jls_frame *f, const jls_plane *planes,
                 dc_error *err)
{
    parser ps = {s, n, 0, err};
    int rc;
    if (s == NULL || n < 2)
        return dc_fail(err, DC_ERR_TRUNCATED, "no JPEG-LS data (%zu bytes): truncated", n);
    if (s[0] != 0xFF || s[1] != JLS_SOI)
        return dc_fail(err, DC_ERR_CORRUPT, "not a JPEG-LS stream: it starts with %02X %02X, "
                       "not the SOI marker", s[0], s[1]);
    ps.i = 2;
    int have_frame = 0, scans = 0, ncoded = 0, eoi = 0;
    int coded[JLS_MAX_COMPONENTS] = {0};
    jls_preset pre = {0, 0, 0, 0, 0};
    uint32_t ri = 0;
    int transform = 0;
    for (;;) {
        int m = next_marker(&ps);
        if (m == -1) break;
        if (m == -2)
            return dc_fail(err, DC_ERR_CORRUPT, "JPEG-LS stream: byte 0x%02X at offset %zu where "
                           "a marker belongs", s[ps.i], ps.i);
        const uint8_t *b = NULL;
        size_t len = 0;
        if (m == JLS_EOI) {
            eoi = 1;
            break;
        }
        if (m == JLS_SOI || m == 0x01 || (m >= JLS_RST0 && m <= JLS_RST0 + 7)) {
            if (m == JLS_SOI)
                return dc_fail(err, DC_ERR_CORRUPT, "JPEG-LS stream: a second SOI marker at "
                               "offset %zu", ps.i - 2);
            continue;
        }
        if ((rc = segment(&ps, m == JLS_SOS ? "scan header" : "marker segment", &b, &len)) != DC_OK)
            return rc;
        if (m == JLS_SOF55) {
            if (have_frame)
                return dc_fail(err, DC_ERR_CORRUPT, "JPEG-LS stream with a second frame header");
            if ((rc = parse_sof(&ps, b, len, f)) != DC_OK) return rc;
            have_frame = 1;
            if (pre.maxval || pre.t1 || pre.t2 || pre.t3 || pre.reset) {
                jls_coding c;
                if ((rc = jls_coding_init(&c, f->precision, 0, &pre, DC_ERR_CORRUPT, err)) != DC_OK)
                    return rc;
            }
        } else if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            return dc_fail(err, DC_ERR_UNSUPPORTED, "frame header SOF%d: a JPEG process, not "
                           "JPEG-LS (SOF55)", m - 0xC0);
        } else if (m == JLS_LSE) {
            if ((rc = parse_lse(&ps, b, len, have_frame ? f->precision : 0, &pre)) != DC_OK)
                return rc;
        } else if (m == JLS_DRI) {
            if (len < 2 || len > 4)
                return dc_fail(err, DC_ERR_CORRUPT, "JPEG-LS DRI segment of %zu bytes", len);
            ri = 0;
            for (size_t k = 0; k < len; k++) ri = ri << 8 | b[k];
        } else if (m == JLS_APP8 && len >= 5 && memcmp(b, "mrfx", 4) == 0) {
            transform = b[4];
            if (transform > 3)
                return dc_fail(err, DC_ERR_UNSUPPORTED, "JPEG-LS colour transform %d (CharLS's "
                               "APP8 'mrfx' defines 1 to 3)", transform);
        } else if (m == JLS_SOS) {
            scans++;
            if (!have_frame)
                return dc_fail(err, DC_ERR_CORRUPT, "JPEG-LS scan %d comes before the frame "
                               "header", scans);
            scan_hdr sh;
            if ((rc = parse_sos(&ps, b, len, f, scans, scans == 1 ? -1 : f->first_ilv, &sh)) !=
                DC_OK)
                return rc;
            if (scans == 1) {
                f->first_near = sh.near;
                f->first_ilv = sh.ilv;
                f->transform = transform;
                if (planes == NULL) return DC_OK;
            }
            for (int k = 0; k < sh.ns; k++) {
                if (coded[sh.comp[k]])
                    return dc_fail(err, DC_ERR_CORRUPT, "JPEG-LS scan %d codes component %u, "
                                   "which the frame header lists once, a second time", scans,
                                   (unsigned)f->id[sh.comp[k]]);
                coded[sh.comp[k]] = 1;
                ncoded++;
            }
            if ((rc = decode_scan(&ps, f, &sh, &pre, ri, planes, scans)) != DC_OK) return rc;
            if (ncoded == f->ncomp) break;   /* whatever follows is not ours to judge */
        }
    }
    if (!have_frame)
        return dc_fail(err, eoi ? DC_ERR_CORRUPT : DC_ERR_TRUNCATED, "the JPEG-LS stream ends "
                       "before its frame header%s", eoi ? "" : ": truncated");
    if (scans == 0)
        return dc_fail(err, eoi ? DC_ERR_CORRUPT : DC_ERR_TRUNCATED, "the JPEG-LS stream ends "
                       "before its first scan%s", eoi ? "" : ": truncated");
    if (ncoded < f->ncomp)
        return dc_fail(err, eoi ? DC_ERR_CORRUPT : DC_ERR_TRUNCATED, "the JPEG-LS scans code %d "
                       "of %d components%s", ncoded, f->ncomp,
                       eoi ? "" : ": the stream was truncated (cut short)");
    if (f->transform) return inverse_transform(&ps, f, planes);
    return DC_OK;
}

int jls_read_frame(const uint8_t *src, size_t n, jls_frame *f, dc_error *err)
{
    memset(f, 0, sizeof *f);
    return parse(src, n, f, NULL, err);
}

int jls_decode_planes(const uint8_t *src, size_t n, const jls_frame *f, const jls_plane *planes,
                      dc_error *err)
{
    jls_frame g = *f;
    int rc = parse(src, n, &g, planes, err);
    if (rc == DC_OK && (g.width != f->width || g.height != f->height || g.ncomp != f->ncomp))
        return dc_fail(err, DC_ERR_ENGINE, "JPEG-LS frame changed between two reads");
    return rc;
}
