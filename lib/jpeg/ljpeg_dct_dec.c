/* ljpeg_dct_dec.c: one scan of sequential Huffman DCT (T.81 processes 1,
 * 2 and 4; 8 and 12 bit): block decoding (F.2.2), dequantisation and the
 * inverse DCT into a component plane. */
#include "ljpeg_internal.h"

#include <string.h>

/* ---- inverse DCT -----------------------------------------------------------
 * 1-D: x[n] = sum_k C(k)/2 X[k] cos((2n+1)k pi/16), C(0) = 1/sqrt(2).
 * Because cos((2(7-n)+1)k pi/16) = (-1)^k cos((2n+1)k pi/16), the even-k
 * terms E[n] and odd-k terms O[n] give x[n] = E+O and x[7-n] = E-O, so each
 * pass needs two 4x4 products. Each pass computes sqrt(8) times the 1-D
 * transform, which makes the k=0 and k=4 constants exactly 1 (a flat block
 * then rounds exactly like DC/8); the 2-D result is 8x and descaled by 3
 * more bits. Constants carry IDCT_BITS fraction bits; intermediates are
 * 64-bit, so 12-bit data has ample headroom (< 2^56). */
#define IDCT_BITS 16

/* round(2^16 * sqrt(2) * C(k) * cos((2n+1) k pi / 16)) for even k (0,2,4,6)
 * and odd k (1,3,5,7), n = 0..3 */
static const int32_t idct_even[4][4] = {
    /* k=0 */ {65536, 65536, 65536, 65536},
    /* k=2 */ {85627, 35468, -35468, -85627},
    /* k=4 */ {65536, -65536, -65536, 65536},
    /* k=6 */ {35468, -85627, 85627, -35468},
};
static const int32_t idct_odd[4][4] = {
    /* k=1 */ {90901, 77062, 51491, 18081},
    /* k=3 */ {77062, -18081, -90901, -51491},
    /* k=5 */ {51491, -90901, 18081, 77062},
    /* k=7 */ {18081, -51491, 77062, -90901},
};

static void idct_1d(const int64_t *in, ptrdiff_t is, int64_t *out, ptrdiff_t os)
{
    int64_t x0 = in[0], x1 = in[is], x2 = in[2 * is], x3 = in[3 * is];
    int64_t x4 = in[4 * is], x5 = in[5 * is], x6 = in[6 * is], x7 = in[7 * is];
    for (int n = 0; n < 4; n++) {
        int64_t e = idct_even[0][n] * x0 + idct_even[1][n] * x2 + idct_even[2][n] * x4 + idct_even[3][n] * x6;
        int64_t o = idct_odd[0][n] * x1 + idct_odd[1][n] * x3 + idct_odd[2][n] * x5 + idct_odd[3][n] * x7;
        out[n * os] = e + o;
        out[(7 - n) * os] = e - o;
    }
}

/* coef: natural order, dequantised. Writes 8x8 samples, clamped to
 * [0, maxval], level-shifted by center. */
static void idct_block(const int32_t *coef, uint16_t *dst, ptrdiff_t stride, int center, int maxval)
{
    int64_t tmp[64];
    int64_t col[8];
    /* columns: coefficients stay integers (scale 2^IDCT_BITS after) */
    for (int u = 0; u < 8; u++) {
        const int32_t *c = coef + u;
        if (!(c[8] | c[16] | c[24] | c[32] | c[40] | c[48] | c[56])) {
            int64_t dc = (int64_t)c[0] * idct_even[0][0];
            for (int y = 0; y < 8; y++) tmp[y * 8 + u] = dc;
            continue;
        }
        for (int k = 0; k < 8; k++) col[k] = c[8 * k];
        idct_1d(col, 1, tmp + u, 8);
    }
    const int shift = 2 * IDCT_BITS + 3;
    const int64_t round = (int64_t)1 << (shift - 1);
    for (int y = 0; y < 8; y++) {
        int64_t r[8];
        idct_1d(tmp + 8 * y, 1, r, 1);
        uint16_t *o = dst + (ptrdiff_t)y * stride;
        for (int x = 0; x < 8; x++) {
            int64_t v = ((r[x] + round) >> shift) + center;
            o[x] = (uint16_t)(v < 0 ? 0 : v > maxval ? maxval : v);
        }
    }
}

/* ---- block decoding ----------------------------------------------------- */

typedef struct dct_state {
    lj_bits b;
    int bad; /* what failed: 1 invalid code, 2 bad DC size */
} dct_state;

/* Returns 0, or -1 on an invalid code. */
static int decode_block(dct_state *st, const lj_huff *dc, const lj_huff *ac, int32_t *pred, const uint16_t *q,
                        int32_t lim, int32_t *coef)
{
    lj_bits *b = &st->b;
    memset(coef, 0, 64 * sizeof(int32_t));
    if (b->nbits < 32) lj_bits_fill(b);
    int32_t diff;
    int32_t e = dc->fast[b->buf >> (64 - LJ_LUT_BITS)];
    if (LJ_LIKELY(e != 0)) {
        lj_bits_skip(b, e & 0xFF);
        diff = e >> 8;
    } else {
        int s = lj_huff_decode(b, dc);
        if (s < 0 || s > 15) {
            st->bad = s < 0 ? 1 : 2;
            return -1;
        }
        diff = s ? lj_extend(lj_bits_get(b, s), s) : 0;
    }
    /* wrap instead of overflowing on hostile input */
    *pred = (int32_t)((uint32_t)*pred + (uint32_t)diff);
    int64_t v0 = (int64_t)*pred * q[0];
    coef[0] = (int32_t)(v0 < -lim ? -lim : v0 > lim ? lim : v0);
    int k = 1;
    while (k < 64) {
        if (b->nbits < 32) lj_bits_fill(b);
        e = ac->fast[b->buf >> (64 - LJ_LUT_BITS)];
        if (LJ_LIKELY(e != 0)) {
            lj_bits_skip(b, e & 0xFF);
            k += (e >> 8) & 15;
            if (k > 63) break;
            int32_t v = (e >> 16) * (int32_t)q[k];
            coef[lj_zigzag[k]] = v < -lim ? -lim : v > lim ? lim : v;
            k++;
            continue;
        }
        int rs = lj_huff_decode(b, ac);
        if (rs < 0) {
            st->bad = 1;
            return -1;
        }
        int r = rs >> 4, s = rs & 15;
        if (s == 0) {
            if (r != 15) break; /* EOB */
            k += 16;
            continue;
        }
        k += r;
        int32_t v = lj_extend(lj_bits_get(b, s), s);
        if (k > 63) break; /* tolerated like libjpeg: ignore the excess */
        int64_t vq = (int64_t)v * q[k];
        coef[lj_zigzag[k]] = (int32_t)(vq < -lim ? -lim : vq > lim ? lim : vq);
        k++;
    }
    return 0;
}

int lj_dct_scan(const uint8_t *src, size_t len, size_t *pos, const lj_frame *fr, const lj_scan *sc,
                const lj_tables *t, lj_plane *planes, unsigned flags, lj_scan_result *res, dc_error *err)
{
    const int ns = sc->ns;
    const int P = fr->precision;
    const int allow_trunc = (flags & DC_LJPEG_FLAG_ALLOW_TRUNCATED) != 0;
    /* Ss, Se, Ah, Al must be 0, 63, 0, 0 here; some encoders write other
     * values (pydicom's JPEG-lossy.dcm has Se=0) and libjpeg only warns,
     * so they are ignored: a sequential scan always codes all 64. */
    const lj_huff *dcs[LJ_MAX_COMPS], *acs[LJ_MAX_COMPS];
    const uint16_t *qs[LJ_MAX_COMPS];
    int blocks_in_mcu = 0;
    for (int i = 0; i < ns; i++) {
        const lj_comp *c = &fr->comp[sc->comp[i]];
        dcs[i] = &t->dc[sc->td[i]];
        acs[i] = &t->ac[sc->ta[i]];
        if (!dcs[i]->defined)
            return dc_fail(err, DC_ERR_CORRUPT, "JPEG: DC Huffman table %d not defined for component id %d", sc->td[i],
                           c->id);
        if (!acs[i]->defined)
            return dc_fail(err, DC_ERR_CORRUPT, "JPEG: AC Huffman table %d not defined for component id %d", sc->ta[i],
                           c->id);
        if (!t->qdef[c->tq])
            return dc_fail(err, DC_ERR_CORRUPT, "JPEG: quantisation table %d not defined for component id %d", c->tq,
                           c->id);
        qs[i] = t->q[c->tq];
        blocks_in_mcu += ns > 1 ? c->h * c->v : 1;
    }
    if (blocks_in_mcu > 10)
        return dc_fail(err, DC_ERR_CORRUPT, "JPEG scan: %d blocks per MCU (at most 10 allowed)", blocks_in_mcu);

    uint32_t mcux, mcuy;
    if (ns > 1) {
        mcux = (uint32_t)((fr->x + 8u * (uint32_t)fr->hmax - 1) / (8u * (uint32_t)fr->hmax));
        mcuy = (uint32_t)((fr->y + 8u * (uint32_t)fr->vmax - 1) / (8u * (uint32_t)fr->vmax));
    } else {
        const lj_comp *c = &fr->comp[sc->comp[0]];
        mcux = (c->w + 7) / 8;
        mcuy = (c->hgt + 7) / 8;
    }
    const int center = 1 << (P - 1);
    const int maxval = (1 << P) - 1;
    const int32_t lim = (int32_t)1 << (P + 4);
    const uint32_t ri = (uint32_t)t->restart_interval;

    dct_state st;
    memset(&st, 0, sizeof st);
    lj_bits_init(&st.b, src + *pos, src + len);
    int32_t pred[LJ_MAX_COMPS] = {0, 0, 0, 0};
    int32_t coef[64];
    uint32_t togo = ri;
    int rst_num = 0;
    int truncated = 0;
    int status = DC_OK;

    for (uint32_t my = 0; my < mcuy && !truncated; my++) {
        for (uint32_t mx = 0; mx < mcux; mx++) {
            if (ri) {
                if (togo == 0) {
                    if (lj_bits_overrun(&st.b)) {
                        truncated = 1;
                        break;
                    }
                    int found;
                    int r = lj_bits_restart(&st.b, rst_num, &found);
                    if (r == 2) {
                        status = dc_fail(err, DC_ERR_CORRUPT, "JPEG: expected marker RST%d before MCU %u, found RST%d",
                                         rst_num & 7, my * mcux + mx, found - 0xD0);
                        goto done;
                    }
                    if (r == 1) {
                        truncated = 1;
                        break;
                    }
                    rst_num = (rst_num + 1) & 7;
                    togo = ri;
                    memset(pred, 0, sizeof pred);
                }
                togo--;
            }
            for (int i = 0; i < ns; i++) {
                const int ci = sc->comp[i];
                const lj_comp *c = &fr->comp[ci];
                lj_plane *pl = &planes[ci];
                int bh = ns > 1 ? c->h : 1, bv = ns > 1 ? c->v : 1;
                for (int v = 0; v < bv; v++) {
                    for (int h = 0; h < bh; h++) {
                        if (decode_block(&st, dcs[i], acs[i], &pred[i], qs[i], lim, coef) != 0) {
                            if (lj_bits_overrun(&st.b)) {
                                truncated = 1;
                                goto mcu_end;
                            }
                            status = dc_fail(err, DC_ERR_CORRUPT, "JPEG: invalid Huffman code in MCU %u of %u, component id %d",
                                             my * mcux + mx, mcux * mcuy, c->id);
                            goto done;
                        }
                        uint32_t bx = mx * (uint32_t)bh + (uint32_t)h;
                        uint32_t by = my * (uint32_t)bv + (uint32_t)v;
                        uint16_t *d = pl->base + (ptrdiff_t)by * 8 * pl->ys + (ptrdiff_t)bx * 8;
                        idct_block(coef, d, pl->ys, center, maxval);
                    }
                }
            }
        mcu_end:
            if (truncated) break;
        }
        if (!truncated && lj_bits_overrun(&st.b)) truncated = 1;
    }
    if (truncated) {
        res->truncated = 1;
        if (!allow_trunc) {
            status = dc_fail(err, DC_ERR_TRUNCATED, "JPEG: entropy-coded data %s before the last MCU",
                             st.b.hit_end ? "ends (input truncated)" : "stops at a marker");
            goto done;
        }
    }
    {
        size_t leftover = 0;
        const uint8_t *m = lj_bits_finish(&st.b, &leftover);
        res->leftover = truncated ? 0 : leftover;
        *pos = (size_t)(m - src);
    }
done:
    (void)flags;
    return status;
}
