/* ljpeg_lossless_dec.c: one scan of lossless JPEG (T.81 Annex H, process
 * 14): difference decoding and the predictor undifferencing, row by row. */
#include "ljpeg_internal.h"

#include <stdlib.h>
#include <string.h>

#define DIFF_ERROR INT32_MIN

typedef struct ll_state {
    lj_bits b;
    unsigned flags;
    int cornell;
    int ssss16;  /* times SSSS=16 was decoded */
    int bad_sym; /* the symbol that failed, for the message */
} ll_state;

/* Everything the one-lookup table could not resolve. */
static int32_t decode_diff_slow(ll_state *st, const lj_huff *h)
{
    lj_bits *b = &st->b;
    int s = lj_huff_decode(b, h);
    if (s == -17 && st->cornell) s = 16;
    if (s < 0 || s > 16) {
        st->bad_sym = s;
        return DIFF_ERROR;
    }
    if (s == 0) return 0;
    if (s == 16) {
        st->ssss16++;
        if (st->cornell) {
            /* Cornell encoders appended 16 bits after SSSS=16 (0x8000, or its
             * ones' complement); DCMTK +wc consumes them when they match
             * (but only when its bit buffer happens to hold 16 bits; we
             * always look). A 17-bit code may precede them. */
            if (b->nbits < 16) lj_bits_fill(b);
            uint32_t r = (uint32_t)(b->buf >> 48);
            if (r == 0x8000u || r == 0x7FFFu) lj_bits_skip(b, 16);
        }
        return 32768;
    }
    return lj_extend(lj_bits_get(b, s), s);
}

/* Code and extra bits of one difference in one lookup, into *d; 0 when the
 * table cannot resolve them (decode_diff_slow does). */
LJ_INLINE int decode_diff_fast(lj_bits *b, const lj_huff *h, int32_t *d)
{
    if (b->nbits < 32) lj_bits_fill(b);
    int32_t e = h->fast[b->buf >> (64 - LJ_LUT_BITS)];
    if (LJ_UNLIKELY(e == 0)) return 0;
    lj_bits_skip(b, e & 0xFF);
    *d = e >> 8;
    return 1;
}

/* One difference into *d by either path; -1 for an invalid code. */
LJ_INLINE int decode_diff(ll_state *st, const lj_huff *h, int32_t *d)
{
    if (LJ_LIKELY(decode_diff_fast(&st->b, h, d))) return 0;
    *d = decode_diff_slow(st, h);
    return *d == DIFF_ERROR ? -1 : 0;
}

/* Decodes n differences of one component (stride = samples per MCU). */
LJ_INLINE int decode_run(ll_state *st, const lj_huff *h, int32_t *out, ptrdiff_t stride, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (decode_diff(st, h, &out[(ptrdiff_t)i * stride]) != 0) return -1;
    return 0;
}

/* Interleaved MCUs: ns differences per MCU, each with its own table. */
static int decode_mcus(ll_state *st, const lj_huff *const *hs, int ns, int32_t *out, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        for (int c = 0; c < ns; c++)
            if (decode_diff(st, hs[c], &out[(size_t)i * (size_t)ns + (size_t)c]) != 0) return -1;
    return 0;
}

/* ---- undifferencing ------------------------------------------------------- */

/* Predictor ids 1..7 (T.81 Table H.1); 15..17 are 5..7 computed on samples
 * cast to int16 (DC_LJPEG_FLAG_PRED6_WRAP; 4 is the same modulo 2^16). */
LJ_INLINE int predict(int pred, int ra, int rb, int rc)
{
    switch (pred) {
    case 1: return ra;
    case 2: return rb;
    case 3: return rc;
    case 4: return ra + rb - rc;
    case 5: return ra + ((rb - rc) >> 1);
    case 6: return rb + ((ra - rc) >> 1);
    case 7: return (ra + rb) >> 1;
    case 15: return (int16_t)ra + (((int16_t)rb - (int16_t)rc) >> 1);
    case 16: return (int16_t)rb + (((int16_t)ra - (int16_t)rc) >> 1);
    case 17: return ((int16_t)ra + (int16_t)rb) >> 1;
    default: return ra;
    }
}

/* Row whose predictions use the previous row: samples x0..x1-1. */
LJ_INLINE void undiff_normal(int pred, const int32_t *d, ptrdiff_t ds, uint16_t *out, const uint16_t *prev,
                             ptrdiff_t xs, uint32_t x0, uint32_t x1)
{
    uint32_t x = x0;
    if (x >= x1) return;
    if (x == 0) {
        out[0] = (uint16_t)(prev[0] + d[0]);
        x = 1;
    }
    int ra = out[(ptrdiff_t)(x - 1) * xs];
    int rc = prev[(ptrdiff_t)(x - 1) * xs];
    for (; x < x1; x++) {
        int rb = prev[(ptrdiff_t)x * xs];
        ra = (uint16_t)(predict(pred, ra, rb, rc) + d[(ptrdiff_t)x * ds]);
        out[(ptrdiff_t)x * xs] = (uint16_t)ra;
        rc = rb;
    }
}

static void undiff_normal_any(int pred, const int32_t *d, ptrdiff_t ds, uint16_t *out, const uint16_t *prev,
                              ptrdiff_t xs, uint32_t x0, uint32_t x1)
{
    /* one specialised loop per predictor */
    if (xs == 1 && ds == 1) {
        switch (pred) {
        case 1: undiff_normal(1, d, 1, out, prev, 1, x0, x1); return;
        case 2: undiff_normal(2, d, 1, out, prev, 1, x0, x1); return;
        case 3: undiff_normal(3, d, 1, out, prev, 1, x0, x1); return;
        case 4: undiff_normal(4, d, 1, out, prev, 1, x0, x1); return;
        case 5: undiff_normal(5, d, 1, out, prev, 1, x0, x1); return;
        case 6: undiff_normal(6, d, 1, out, prev, 1, x0, x1); return;
        case 7: undiff_normal(7, d, 1, out, prev, 1, x0, x1); return;
        case 15: undiff_normal(15, d, 1, out, prev, 1, x0, x1); return;
        case 16: undiff_normal(16, d, 1, out, prev, 1, x0, x1); return;
        default: undiff_normal(17, d, 1, out, prev, 1, x0, x1); return;
        }
    }
    switch (pred) {
    case 1: undiff_normal(1, d, ds, out, prev, xs, x0, x1); return;
    case 2: undiff_normal(2, d, ds, out, prev, xs, x0, x1); return;
    case 3: undiff_normal(3, d, ds, out, prev, xs, x0, x1); return;
    case 4: undiff_normal(4, d, ds, out, prev, xs, x0, x1); return;
    case 5: undiff_normal(5, d, ds, out, prev, xs, x0, x1); return;
    case 6: undiff_normal(6, d, ds, out, prev, xs, x0, x1); return;
    case 7: undiff_normal(7, d, ds, out, prev, xs, x0, x1); return;
    case 15: undiff_normal(15, d, ds, out, prev, xs, x0, x1); return;
    case 16: undiff_normal(16, d, ds, out, prev, xs, x0, x1); return;
    default: undiff_normal(17, d, ds, out, prev, xs, x0, x1); return;
    }
}

/* First line of a restart interval (or of the scan) from x0: the first
 * sample is predicted by 2^(P-Pt-1), the others by Ra (T.81 H.1.2.1). */
static void undiff_first(int initial, const int32_t *d, ptrdiff_t ds, uint16_t *out, ptrdiff_t xs, uint32_t x0,
                         uint32_t x1)
{
    if (x0 >= x1) return;
    int ra = (uint16_t)(initial + d[(ptrdiff_t)x0 * ds]);
    out[(ptrdiff_t)x0 * xs] = (uint16_t)ra;
    for (uint32_t x = x0 + 1; x < x1; x++) {
        ra = (uint16_t)(ra + d[(ptrdiff_t)x * ds]);
        out[(ptrdiff_t)x * xs] = (uint16_t)ra;
    }
}

/* ---- fused single-component rows ---------------------------------------
 * The common DICOM case (one component, no restart inside the row): decode
 * each difference and reconstruct the sample in the same loop, with the
 * predictor fixed at compile time. */
LJ_INLINE int fused_row(ll_state *st, const lj_huff *h, uint16_t *out, const uint16_t *prev, uint32_t W,
                        const int pred, int px0)
{
    int ra = px0, rc = 0;
    if (pred != 1 && prev) rc = prev[0];
    for (uint32_t x = 0; x < W; x++) {
        /* decode_diff spelt out: its two paths kept apart measure faster here */
        int32_t d;
        if (LJ_UNLIKELY(!decode_diff_fast(&st->b, h, &d))) {
            d = decode_diff_slow(st, h);
            if (d == DIFF_ERROR) return -1;
        }
        int px;
        if (x == 0) {
            px = px0;
        } else if (pred == 1) {
            px = ra;
        } else {
            int rb = prev[x];
            px = predict(pred, ra, rb, rc);
            rc = rb;
        }
        ra = (uint16_t)(px + d);
        out[x] = (uint16_t)ra;
    }
    return 0;
}

static int fused_row_any(ll_state *st, const lj_huff *h, uint16_t *out, const uint16_t *prev, uint32_t W, int pred,
                         int first_line, int initial)
{
    if (first_line) return fused_row(st, h, out, NULL, W, 1, initial);
    int px0 = prev[0];
    switch (pred) {
    case 1: return fused_row(st, h, out, prev, W, 1, px0);
    case 2: return fused_row(st, h, out, prev, W, 2, px0);
    case 3: return fused_row(st, h, out, prev, W, 3, px0);
    case 4: return fused_row(st, h, out, prev, W, 4, px0);
    case 5: return fused_row(st, h, out, prev, W, 5, px0);
    case 6: return fused_row(st, h, out, prev, W, 6, px0);
    case 7: return fused_row(st, h, out, prev, W, 7, px0);
    case 15: return fused_row(st, h, out, prev, W, 15, px0);
    case 16: return fused_row(st, h, out, prev, W, 16, px0);
    default: return fused_row(st, h, out, prev, W, 17, px0);
    }
}

/* ---- the scan --------------------------------------------------------------- */

/* A scan whose data ends (or meets a marker) before row y of H is done. */
static int fail_truncated(dc_error *err, const lj_bits *b, uint32_t y, uint32_t H)
{
    return dc_fail(err, DC_ERR_TRUNCATED, "lossless JPEG: entropy-coded data %s at row %u of %u",
                   b->hit_end ? "ends (input truncated)" : "stops at a marker", y, H);
}

static int fail_bad_code(dc_error *err, const ll_state *st, uint32_t y, uint32_t H, int comp_id)
{
    return dc_fail(err, DC_ERR_CORRUPT, "lossless JPEG: invalid Huffman code (symbol %d) at row %u of %u, component id %d",
                   st->bad_sym == -17 ? 17 : st->bad_sym, y, H, comp_id);
}

int lj_lossless_scan(const uint8_t *src, size_t len, size_t *pos, const lj_frame *fr, const lj_scan *sc,
                     const lj_tables *t, lj_plane *planes, unsigned flags, lj_scan_result *res, dc_error *err)
{
    const int ns = sc->ns;
    const int P = fr->precision;
    const int pt = sc->al;
    const int allow_trunc = (flags & DC_LJPEG_FLAG_ALLOW_TRUNCATED) != 0;
    if (sc->ss < 1 || sc->ss > 7)
        return dc_fail(err, DC_ERR_CORRUPT, "lossless JPEG scan: predictor selection value %d (1..7 allowed)", sc->ss);
    if (pt >= P)
        return dc_fail(err, DC_ERR_CORRUPT, "lossless JPEG scan: point transform %d not below precision %d", pt, P);
    const lj_huff *hs[LJ_MAX_COMPS];
    for (int i = 0; i < ns; i++) {
        const lj_comp *c = &fr->comp[sc->comp[i]];
        if (ns > 1 && (c->h != 1 || c->v != 1))
            return dc_fail(err, DC_ERR_UNSUPPORTED,
                           "lossless JPEG: interleaved scan with sampling factors %dx%d (only 1x1 supported)", c->h, c->v);
        hs[i] = &t->dc[sc->td[i]];
        if (!hs[i]->defined)
            return dc_fail(err, DC_ERR_CORRUPT, "lossless JPEG: Huffman table %d not defined for component id %d",
                           sc->td[i], c->id);
    }
    const lj_comp *c0 = &fr->comp[sc->comp[0]];
    const uint32_t W = ns > 1 ? fr->x : c0->w;
    const uint32_t H = ns > 1 ? fr->y : c0->hgt;
    int pred = sc->ss;
    if ((flags & DC_LJPEG_FLAG_PRED6_WRAP) && pred >= 5) pred += 10;
    const int initial = 1 << (P - pt - 1);
    const uint32_t ri = (uint32_t)t->restart_interval;

    int32_t *diff = (int32_t *)malloc(sizeof(int32_t) * (size_t)W * (size_t)ns);
    uint32_t *rst_cols = (uint32_t *)malloc(sizeof(uint32_t) * ((size_t)(ri ? W / ri : 0) + 2));
    if (!diff || !rst_cols) {
        free(diff);
        free(rst_cols);
        return dc_fail(err, DC_ERR_NOMEM, "lossless JPEG: cannot allocate a row buffer of %u samples", W);
    }

    ll_state st;
    memset(&st, 0, sizeof st);
    lj_bits_init(&st.b, src + *pos, src + len);
    st.flags = flags;
    st.cornell = (flags & DC_LJPEG_FLAG_CORNELL) != 0;
    int status = DC_OK;
    int truncated = 0;
    uint32_t togo = ri;
    int rst_num = 0;

#define ZERO_REST() memset(diff + (size_t)x * (size_t)ns, 0, sizeof(int32_t) * (size_t)(W - x) * (size_t)ns)
    for (uint32_t y = 0; y < H; y++) {
        int nrst = 0;
        if (y == 0) rst_cols[nrst++] = 0;
        if (!truncated && ns == 1 && planes[sc->comp[0]].xs == 1) {
            /* fused path when no restart falls inside this row */
            int restarted = 0, ok = 1, row_done = 0;
            if (ri && togo == 0) {
                if (lj_bits_overrun(&st.b)) {
                    ok = 0;
                } else {
                    int found;
                    int r = lj_bits_restart(&st.b, rst_num, &found);
                    if (r == 2) {
                        status = dc_fail(err, DC_ERR_CORRUPT,
                                         "lossless JPEG: expected marker RST%d at row %u column 0, found RST%d",
                                         rst_num & 7, y, found - 0xD0);
                        goto done;
                    }
                    if (r == 1) ok = 0;
                    rst_num = (rst_num + 1) & 7;
                    togo = ri;
                    restarted = 1;
                }
            }
            if (ok && (!ri || togo >= W)) {
                lj_plane *pl = &planes[sc->comp[0]];
                uint16_t *out = pl->base + (ptrdiff_t)y * pl->ys;
                const uint16_t *prev = y ? out - pl->ys : NULL;
                int r = fused_row_any(&st, hs[0], out, prev, W, pred, y == 0 || restarted, initial);
                if (ri) togo -= W;
                if (r == 0 && !lj_bits_overrun(&st.b)) continue;
                if (r != 0 && !lj_bits_overrun(&st.b)) {
                    status = fail_bad_code(err, &st, y, H, c0->id);
                    goto done;
                }
                /* ran out of data in this row, which holds what was decoded */
                ok = 0;
                row_done = 1;
            }
            if (!ok) {
                truncated = 1;
                res->truncated = 1;
                if (!allow_trunc) {
                    status = fail_truncated(err, &st.b, y, H);
                    goto done;
                }
                if (row_done) continue;
            } else if (restarted) {
                /* restart at column 0 already consumed: record it for the generic path */
                if (y != 0) rst_cols[nrst++] = 0;
            }
        }
        if (truncated) {
            memset(diff, 0, sizeof(int32_t) * (size_t)W * (size_t)ns);
        } else {
            uint32_t x = 0;
            while (x < W) {
                uint32_t n = W - x;
                if (ri) {
                    if (togo == 0) {
                        if (lj_bits_overrun(&st.b)) {
                            truncated = 1;
                            ZERO_REST();
                            break;
                        }
                        int found;
                        int r = lj_bits_restart(&st.b, rst_num, &found);
                        if (r == 2) {
                            status = dc_fail(err, DC_ERR_CORRUPT,
                                             "lossless JPEG: expected marker RST%d at row %u column %u, found RST%d",
                                             rst_num & 7, y, x, found - 0xD0);
                            goto done;
                        }
                        if (r == 1) {
                            truncated = 1;
                            ZERO_REST();
                            break;
                        }
                        rst_num = (rst_num + 1) & 7;
                        togo = ri;
                        if (x != 0 || y != 0) rst_cols[nrst++] = x;
                    }
                    if (n > togo) n = togo;
                    togo -= n;
                }
                int r;
                if (ns == 1)
                    r = decode_run(&st, hs[0], diff + x, 1, n);
                else
                    r = decode_mcus(&st, hs, ns, diff + (size_t)x * (size_t)ns, n);
                if (r != 0) {
                    if (lj_bits_overrun(&st.b)) {
                        truncated = 1;
                        ZERO_REST();
                        break;
                    }
                    res->cornell_suspect = st.ssss16 > 0;
                    status = fail_bad_code(err, &st, y, H, c0->id);
                    goto done;
                }
                x += n;
            }
            if (!truncated && lj_bits_overrun(&st.b)) truncated = 1;
            if (truncated) {
                res->truncated = 1;
                if (!allow_trunc) {
                    res->cornell_suspect = st.ssss16 > 0;
                    status = fail_truncated(err, &st.b, y, H);
                    goto done;
                }
                /* this row keeps what was decoded, garbage after the cut
                 * is limited to it; later rows repeat their predictions */
            }
        }
        /* undifference each component of the scan */
        for (int i = 0; i < ns; i++) {
            lj_plane *pl = &planes[sc->comp[i]];
            uint16_t *out = pl->base + (ptrdiff_t)y * pl->ys;
            const int32_t *d = diff + i;
            if (nrst == 0) {
                undiff_normal_any(pred, d, ns, out, out - pl->ys, pl->xs, 0, W);
            } else {
                if (rst_cols[0] > 0) undiff_normal_any(pred, d, ns, out, out - pl->ys, pl->xs, 0, rst_cols[0]);
                for (int k = 0; k < nrst; k++) {
                    uint32_t x1 = k + 1 < nrst ? rst_cols[k + 1] : W;
                    undiff_first(initial, d, ns, out, pl->xs, rst_cols[k], x1);
                }
            }
        }
    }
    {
        size_t leftover = 0;
        const uint8_t *m = lj_bits_finish(&st.b, &leftover);
        res->leftover = truncated ? 0 : leftover;
        *pos = (size_t)(m - src);
    }
done:
    res->cornell_suspect |= st.ssss16 > 0;
    free(diff);
    free(rst_cols);
    return status;
}
