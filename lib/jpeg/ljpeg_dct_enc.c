/* ljpeg_dct_enc.c: sequential Huffman DCT encoder, 8-bit (process 1/2) and
 * 12-bit (process 4): Annex K quantisation tables scaled by quality,
 * 4:4:4 or 4:2:2, Annex K or optimised Huffman tables (always optimised
 * for 12 bit, where the Annex K tables lack the larger categories). */
#include "ljpeg_internal.h"

#include <stdlib.h>
#include <string.h>

/* T.81 Table K.1 and K.2, natural (row-major) order */
static const uint8_t k1_luma[64] = {
    16, 11, 10, 16, 24,  40,  51,  61,  12, 12, 14, 19, 26,  58,  60,  55,
    14, 13, 16, 24, 40,  57,  69,  56,  14, 17, 22, 29, 51,  87,  80,  62,
    18, 22, 37, 56, 68,  109, 103, 77,  24, 35, 55, 64, 81,  104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99};
static const uint8_t k2_chroma[64] = {
    17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99,
    99, 99, 47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99};

/* T.81 Tables K.3-K.6 (Annex K.3 typical Huffman tables). The AC tables
 * list their codes shorter than 16 bits explicitly; the 16-bit codes cover
 * the remaining run/size symbols in increasing order. */
static const uint8_t k3_dc_luma_bits[17] = {0, 0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t k4_dc_chroma_bits[17] = {0, 0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0};
static const uint8_t k5_ac_luma_bits[17] = {0, 0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d};
static const uint8_t k5_ac_luma_short[37] = {
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14,
    0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82};
static const uint8_t k6_ac_chroma_bits[17] = {0, 0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77};
static const uint8_t k6_ac_chroma_short[43] = {
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61,
    0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33,
    0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1};

static void std_dc(lj_ehuff *e, int chroma)
{
    memcpy(e->counts, chroma ? k4_dc_chroma_bits : k3_dc_luma_bits, 17);
    for (int i = 0; i < 12; i++) e->vals[i] = (uint8_t)i;
    lj_ehuff_build(e);
}

static void std_ac(lj_ehuff *e, int chroma)
{
    const uint8_t *shortv = chroma ? k6_ac_chroma_short : k5_ac_luma_short;
    int nshort = chroma ? 43 : 37;
    memcpy(e->counts, chroma ? k6_ac_chroma_bits : k5_ac_luma_bits, 17);
    uint8_t used[256];
    memset(used, 0, sizeof used);
    int n = 0;
    for (int i = 0; i < nshort; i++) {
        e->vals[n++] = shortv[i];
        used[shortv[i]] = 1;
    }
    for (int r = 0; r < 16; r++)
        for (int s = 1; s <= 10; s++) {
            int sym = (r << 4) | s;
            if (!used[sym]) e->vals[n++] = (uint8_t)sym;
        }
    lj_ehuff_build(e);
}

/* IJG quality scaling of an Annex K table: 50 keeps it, 100 makes it 1s. */
static void scale_table(const uint8_t *base, int quality, int max, uint16_t *zz_out)
{
    int q = quality < 1 ? 1 : quality > 100 ? 100 : quality;
    int scale = q < 50 ? 5000 / q : 200 - 2 * q;
    for (int k = 0; k < 64; k++) {
        long v = ((long)base[lj_zigzag[k]] * scale + 50) / 100;
        if (v < 1) v = 1;
        if (v > max) v = max;
        zz_out[k] = (uint16_t)v;
    }
}

typedef struct dct_enc {
    const uint8_t *src;
    const dc_frame *f;
    int nc, bytes, P;
    uint32_t mask;
    uint32_t X, Y;
    int h[3], v[3], tq[3], tbl[3];
    uint32_t cw[3], ch[3];  /* component dimensions */
    double cosv[8][8];      /* C(u)/2 cos((2x+1)u pi/16) */
} dct_enc;

static int sample(const dct_enc *e, int c, uint32_t x, uint32_t y)
{
    if (x >= e->X) x = e->X - 1;
    if (y >= e->Y) y = e->Y - 1;
    size_t i;
    if (e->f->planar_configuration == 1 || e->nc == 1)
        i = ((size_t)c * e->Y + y) * e->X + x;
    else
        i = ((size_t)y * e->X + x) * (size_t)e->nc + (size_t)c;
    return (int)(lj_src_sample(e->src, e->bytes, i) & e->mask);
}

/* Component c sample at component coordinates (cx, cy), edge-replicated;
 * 2:1 horizontally subsampled components average pixel pairs. */
static int comp_sample(const dct_enc *e, int c, uint32_t cx, uint32_t cy)
{
    if (cx >= e->cw[c]) cx = e->cw[c] - 1;
    if (cy >= e->ch[c]) cy = e->ch[c] - 1;
    if (e->h[c] == e->h[0] || e->nc == 1) return sample(e, c, cx, cy);
    int a = sample(e, c, 2 * cx, cy), b = sample(e, c, 2 * cx + 1, cy);
    return (a + b + (int)(cx & 1)) >> 1; /* alternate rounding: no drift */
}

static void fdct_quant(const dct_enc *e, int c, uint32_t bx, uint32_t by, const uint16_t *qzz, int16_t *out)
{
    double blk[8][8], tmp[8][8];
    const double center = (double)(1 << (e->P - 1));
    for (int y = 0; y < 8; y++)
        for (int x = 0; x < 8; x++) blk[y][x] = comp_sample(e, c, bx * 8 + (uint32_t)x, by * 8 + (uint32_t)y) - center;
    for (int y = 0; y < 8; y++)
        for (int u = 0; u < 8; u++) {
            double s = 0;
            for (int x = 0; x < 8; x++) s += e->cosv[u][x] * blk[y][x];
            tmp[y][u] = s;
        }
    for (int k = 0; k < 64; k++) {
        int nat = lj_zigzag[k];
        int v = nat >> 3, u = nat & 7;
        double s = 0;
        for (int y = 0; y < 8; y++) s += e->cosv[v][y] * tmp[y][u];
        double q = s / qzz[k];
        long r = (long)(q < 0 ? q - 0.5 : q + 0.5);
        if (r > 32767) r = 32767;
        if (r < -32767) r = -32767;
        out[k] = (int16_t)r;
    }
}

typedef struct blk_stats {
    uint32_t dc[2][257];
    uint32_t ac[2][257];
} blk_stats;

static void count_block(const int16_t *q, int32_t *pred, uint32_t *dcf, uint32_t *acf)
{
    int32_t diff = q[0] - *pred;
    *pred = q[0];
    dcf[lj_category(diff)]++;
    int run = 0;
    for (int k = 1; k < 64; k++) {
        if (q[k] == 0) {
            run++;
            continue;
        }
        while (run > 15) {
            acf[0xF0]++;
            run -= 16;
        }
        acf[(run << 4) | lj_category(q[k])]++;
        run = 0;
    }
    if (run) acf[0x00]++;
}

static void emit_block(lj_writer *w, const int16_t *q, int32_t *pred, const lj_ehuff *dct, const lj_ehuff *act)
{
    int32_t diff = q[0] - *pred;
    *pred = q[0];
    int s = lj_category(diff);
    uint32_t extra = (uint32_t)(diff < 0 ? diff - 1 : diff) & ((1u << s) - 1u);
    lj_put_bits(w, ((uint32_t)dct->code[s] << s) | extra, dct->size[s] + s);
    int run = 0;
    for (int k = 1; k < 64; k++) {
        int32_t v = q[k];
        if (v == 0) {
            run++;
            continue;
        }
        while (run > 15) {
            lj_put_bits(w, act->code[0xF0], act->size[0xF0]);
            run -= 16;
        }
        s = lj_category(v);
        int sym = (run << 4) | s;
        extra = (uint32_t)(v < 0 ? v - 1 : v) & ((1u << s) - 1u);
        lj_put_bits(w, ((uint32_t)act->code[sym] << s) | extra, act->size[sym] + s);
        run = 0;
    }
    if (run) lj_put_bits(w, act->code[0x00], act->size[0x00]);
}

int lj_encode_dct(const uint8_t *src, size_t srclen, const dc_frame *f, const dc_ljpeg_params *p, lj_writer *w,
                  dc_error *err)
{
    (void)srclen;
    dct_enc e;
    memset(&e, 0, sizeof e);
    e.src = src;
    e.f = f;
    e.nc = (int)f->samples_per_pixel;
    e.bytes = (int)f->bits_allocated / 8;
    e.P = p->process == 4 ? 12 : 8;
    e.X = f->columns;
    e.Y = f->rows;
    if (e.nc != 1 && e.nc != 3)
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG DCT encode: %d components (1 or 3)", e.nc);
    if ((int)f->bits_stored > e.P)
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG DCT encode: bits stored %u exceed the %d-bit precision of process %d",
                       f->bits_stored, e.P, p->process);
    if (p->quality < 1 || p->quality > 100)
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG DCT encode: quality %d (1..100)", p->quality);
    int sub422 = 0;
    if (e.nc == 3) {
        if (p->subsampling == 422)
            sub422 = 1;
        else if (p->subsampling != 444 && p->subsampling != 0)
            return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG DCT encode: subsampling %d (444 or 422)", p->subsampling);
    }
    e.mask = (1u << f->bits_stored) - 1u;
    for (int c = 0; c < e.nc; c++) {
        e.h[c] = (c == 0 && sub422) ? 2 : 1;
        e.v[c] = 1;
        e.tq[c] = (c > 0 && p->chroma_tables) ? 1 : 0;
        e.tbl[c] = c > 0 ? 1 : 0;
    }
    const int hmax = sub422 ? 2 : 1;
    for (int c = 0; c < e.nc; c++) {
        e.cw[c] = (uint32_t)(((uint64_t)e.X * (uint64_t)e.h[c] + (uint64_t)hmax - 1) / (uint64_t)hmax);
        e.ch[c] = e.Y;
    }
    /* cos(k pi/16), k = 0..8: no libm needed */
    static const double cos16[9] = {1.0,
                                    0.98078528040323044913,
                                    0.92387953251128675613,
                                    0.83146961230254523708,
                                    0.70710678118654752440,
                                    0.55557023301960222474,
                                    0.38268343236508977173,
                                    0.19509032201612826785,
                                    0.0};
    for (int u = 0; u < 8; u++)
        for (int x = 0; x < 8; x++) {
            int m = ((2 * x + 1) * u) % 32;
            if (m > 16) m = 32 - m;
            double cv = m > 8 ? -cos16[16 - m] : cos16[m];
            e.cosv[u][x] = (u == 0 ? cos16[4] : 1.0) / 2.0 * cv;
        }

    const int baseline = p->process == 1;
    const int qmax = (e.P == 8) ? 255 : 32767;
    uint16_t qt[2][64];
    scale_table(k1_luma, p->quality, qmax, qt[0]);
    scale_table(k2_chroma, p->quality, qmax, qt[1]);
    int nq = (e.nc == 3 && p->chroma_tables) ? 2 : 1;

    /* geometry: one block per MCU for 1 component, else the MCU layout */
    uint32_t mcux, mcuy;
    int bpm;
    if (e.nc == 1) {
        mcux = (e.X + 7) / 8;
        mcuy = (e.Y + 7) / 8;
        bpm = 1;
    } else {
        mcux = (e.X + 8u * (uint32_t)hmax - 1) / (8u * (uint32_t)hmax);
        mcuy = (e.Y + 7) / 8;
        bpm = sub422 ? 4 : 3;
    }
    size_t nblocks = (size_t)mcux * mcuy * (size_t)bpm;
    int16_t *coef = (int16_t *)malloc(sizeof(int16_t) * 64 * nblocks);
    blk_stats *stats = (blk_stats *)calloc(1, sizeof(blk_stats));
    lj_ehuff *tabs = (lj_ehuff *)malloc(sizeof(lj_ehuff) * 4); /* dc0 dc1 ac0 ac1 */
    if (!coef || !stats || !tabs) {
        free(coef);
        free(stats);
        free(tabs);
        return dc_fail(err, DC_ERR_NOMEM, "JPEG DCT encode: cannot allocate %zu blocks", nblocks);
    }
    /* pass 1: transform, quantise, count */
    const uint32_t ri = (uint32_t)p->restart_interval;
    int32_t pred[3] = {0, 0, 0};
    uint32_t togo = ri;
    size_t bi = 0;
    for (uint32_t my = 0; my < mcuy; my++) {
        for (uint32_t mx = 0; mx < mcux; mx++) {
            if (ri) {
                if (togo == 0) {
                    memset(pred, 0, sizeof pred);
                    togo = ri;
                }
                togo--;
            }
            for (int c = 0; c < e.nc; c++) {
                for (int h = 0; h < e.h[c]; h++) {
                    int16_t *q = coef + 64 * bi++;
                    fdct_quant(&e, c, mx * (uint32_t)e.h[c] + (uint32_t)h, my, qt[e.tq[c]], q);
                    count_block(q, &pred[c], stats->dc[e.tbl[c]], stats->ac[e.tbl[c]]);
                }
            }
        }
    }
    int ntab = e.nc == 3 ? 2 : 1;
    const int optimise = e.P == 12 || p->optimize_huffman;
    for (int t = 0; t < ntab; t++) {
        if (optimise) {
            lj_huff_optimal(stats->dc[t], tabs[t].counts, tabs[t].vals);
            lj_ehuff_build(&tabs[t]);
            lj_huff_optimal(stats->ac[t], tabs[2 + t].counts, tabs[2 + t].vals);
            lj_ehuff_build(&tabs[2 + t]);
        } else {
            int chroma = t == 1 && p->chroma_tables;
            std_dc(&tabs[t], chroma);
            std_ac(&tabs[2 + t], chroma);
        }
    }
    /* headers */
    lj_put_marker(w, 0xD8);
    for (int t = 0; t < nq; t++) {
        int wide = 0;
        for (int k = 0; k < 64; k++)
            if (qt[t][k] > 255) wide = 1;
        lj_put_marker(w, 0xDB);
        lj_put_u16(w, (unsigned)(2 + 1 + (wide ? 128 : 64)));
        lj_put_byte_raw(w, (uint8_t)((wide << 4) | t));
        for (int k = 0; k < 64; k++) {
            if (wide) lj_put_u16(w, qt[t][k]);
            else lj_put_byte_raw(w, (uint8_t)qt[t][k]);
        }
    }
    lj_put_marker(w, baseline ? 0xC0 : 0xC1);
    lj_put_u16(w, (unsigned)(8 + 3 * e.nc));
    lj_put_byte_raw(w, (uint8_t)e.P);
    lj_put_u16(w, e.Y);
    lj_put_u16(w, e.X);
    lj_put_byte_raw(w, (uint8_t)e.nc);
    for (int c = 0; c < e.nc; c++) {
        lj_put_byte_raw(w, (uint8_t)(c + 1));
        lj_put_byte_raw(w, (uint8_t)((e.h[c] << 4) | e.v[c]));
        lj_put_byte_raw(w, (uint8_t)e.tq[c]);
    }
    for (int t = 0; t < ntab; t++) {
        lj_put_dht(w, 0, t, &tabs[t]);
        lj_put_dht(w, 1, t, &tabs[2 + t]);
    }
    if (ri) {
        lj_put_marker(w, 0xDD);
        lj_put_u16(w, 4);
        lj_put_u16(w, ri);
    }
    lj_put_marker(w, 0xDA);
    lj_put_u16(w, (unsigned)(6 + 2 * e.nc));
    lj_put_byte_raw(w, (uint8_t)e.nc);
    for (int c = 0; c < e.nc; c++) {
        lj_put_byte_raw(w, (uint8_t)(c + 1));
        lj_put_byte_raw(w, (uint8_t)((e.tbl[c] << 4) | e.tbl[c]));
    }
    lj_put_byte_raw(w, 0);
    lj_put_byte_raw(w, 63);
    lj_put_byte_raw(w, 0);
    /* pass 2: entropy coding */
    memset(pred, 0, sizeof pred);
    togo = ri;
    int rst = 0;
    bi = 0;
    for (uint32_t my = 0; my < mcuy && !w->overflow; my++) {
        for (uint32_t mx = 0; mx < mcux; mx++) {
            if (ri) {
                if (togo == 0) {
                    lj_flush_bits(w);
                    lj_put_marker(w, 0xD0 + rst);
                    rst = (rst + 1) & 7;
                    memset(pred, 0, sizeof pred);
                    togo = ri;
                }
                togo--;
            }
            for (int c = 0; c < e.nc; c++)
                for (int h = 0; h < e.h[c]; h++)
                    emit_block(w, coef + 64 * bi++, &pred[c], &tabs[e.tbl[c]], &tabs[2 + e.tbl[c]]);
        }
    }
    lj_flush_bits(w);
    lj_put_marker(w, 0xD9);
    free(coef);
    free(stats);
    free(tabs);
    return DC_OK;
}
