/* ljpeg_encode.c: dc_ljpeg_encode / dc_ljpeg_encode_bound and the lossless
 * encoder (T.81 Annex H, process 14): predictor 1-7, point transform,
 * optimised Huffman tables (two passes), restart intervals, 1-4 components
 * in one interleaved scan. */
#include "ljpeg_internal.h"

#include <stdlib.h>
#include <string.h>

static int check_common(const uint8_t *src, size_t srclen, const dc_frame *f, dc_error *err)
{
    if (f->bits_allocated != 8 && f->bits_allocated != 16)
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG encode: bits allocated %u (8 or 16 supported)", f->bits_allocated);
    if (f->planar_configuration > 1)
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG encode: planar configuration %u", f->planar_configuration);
    if (f->rows == 0 || f->columns == 0 || f->rows > 65535 || f->columns > 65535)
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG encode: %ux%u image (1..65535 per side)", f->columns, f->rows);
    if (f->bits_stored < 1 || f->bits_stored > f->bits_allocated)
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG encode: bits stored %u with bits allocated %u", f->bits_stored,
                       f->bits_allocated);
    size_t need = dc_frame_size(f);
    if (need == 0) return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG encode: invalid frame description");
    if (src == NULL || srclen < need)
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG encode: input holds %zu bytes, the frame needs %zu", srclen, need);
    if (f->bits_allocated == 16 && ((uintptr_t)src & 1))
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG encode: 16-bit input buffer is not 2-byte aligned");
    return DC_OK;
}

size_t dc_ljpeg_encode_bound(const dc_frame *f, const dc_ljpeg_params *p)
{
    if (f == NULL || p == NULL) return 0;
    if (f->rows == 0 || f->columns == 0 || f->rows > 65535 || f->columns > 65535) return 0;
    if (f->samples_per_pixel < 1 || f->samples_per_pixel > 4) return 0;
    const size_t header = 4096;
    const size_t nc = f->samples_per_pixel;
    if (p->process == 14) {
        /* per sample: a code of <= 16 bits and <= 15 additional bits,
         * every byte possibly stuffed */
        size_t n = (size_t)f->rows * f->columns * nc;
        size_t bits = (size_t)16 + (f->bits_stored > 15 ? 15 : f->bits_stored);
        size_t rst = p->restart_interval > 0 ? ((size_t)f->rows * f->columns) / (size_t)p->restart_interval + 1 : 0;
        return header + (n * bits + 7) / 8 * 2 + rst * 4;
    }
    /* DCT: per block DC 16+15 bits, 63 x (16+14) AC bits, stuffed */
    size_t hmax = (nc == 3 && p->subsampling == 422) ? 2 : 1;
    size_t mcux = (f->columns + 8 * hmax - 1) / (8 * hmax);
    size_t mcuy = ((size_t)f->rows + 7) / 8;
    size_t blocks_per_mcu = nc == 1 ? 1 : (hmax == 2 ? 4 : 3);
    size_t blocks = mcux * mcuy * blocks_per_mcu;
    if (nc == 1) blocks = (((size_t)f->columns + 7) / 8) * mcuy;
    size_t rst = p->restart_interval > 0 ? mcux * mcuy / (size_t)p->restart_interval + 1 : 0;
    return header + blocks * 482 + rst * 4;
}

int dc_ljpeg_encode(const uint8_t *src, size_t srclen, const dc_frame *f, const dc_ljpeg_params *p, uint8_t *dst,
                   size_t dstcap, size_t *dstlen, dc_error *err)
{
    if (f == NULL || p == NULL || dst == NULL || dstlen == NULL)
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG encode: NULL argument");
    *dstlen = 0;
    int st = check_common(src, srclen, f, err);
    if (st) return st;
    if (p->restart_interval < 0 || p->restart_interval > 65535)
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG encode: restart interval %d (0..65535)", p->restart_interval);
    lj_writer w;
    w.p = w.start = dst;
    w.end = dst + dstcap;
    w.acc = 0;
    w.n = 0;
    w.overflow = 0;
    if (p->process == 14)
        st = lj_encode_lossless(src, srclen, f, p, &w, err);
    else if (p->process == 1 || p->process == 2 || p->process == 4)
        st = lj_encode_dct(src, srclen, f, p, &w, err);
    else
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG encode: process %d (1, 2, 4 or 14)", p->process);
    if (st) return st;
    if (w.overflow)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "JPEG encode: output buffer of %zu bytes is too small", dstcap);
    *dstlen = (size_t)(w.p - w.start);
    return DC_OK;
}

/* ---- lossless ------------------------------------------------------------- */

typedef struct ll_enc {
    const uint8_t *src;
    const dc_frame *f;
    int nc, bytes, pt, pred;
    uint32_t mask;
    uint32_t W, H;
    uint32_t ri;
    int initial;
    uint16_t *rows; /* [2][nc][W] shifted samples: previous and current row */
} ll_enc;

static void load_row(ll_enc *e, uint32_t y, uint16_t *out)
{
    const uint32_t W = e->W;
    const int nc = e->nc;
    const uint32_t mask = e->mask;
    const int pt = e->pt;
    for (int c = 0; c < nc; c++) {
        uint16_t *o = out + (size_t)c * W;
        size_t base, step;
        if (e->f->planar_configuration == 1 || nc == 1) {
            base = ((size_t)c * e->H + y) * W;
            step = 1;
        } else {
            base = (size_t)y * W * nc + (size_t)c;
            step = (size_t)nc;
        }
        /* the common layouts as plain loops the compiler vectorises */
        if (e->bytes == 1) {
            const uint8_t *sp = e->src + base;
            if (step == 1)
                for (uint32_t x = 0; x < W; x++) o[x] = (uint16_t)((sp[x] & mask) >> pt);
            else
                for (uint32_t x = 0; x < W; x++) o[x] = (uint16_t)((sp[x * step] & mask) >> pt);
        } else if (step == 1) {
            const uint16_t *sp = (const uint16_t *)(const void *)e->src + base; /* 2-byte aligned */
            for (uint32_t x = 0; x < W; x++) o[x] = (uint16_t)((sp[x] & mask) >> pt);
        } else {
            for (uint32_t x = 0; x < W; x++)
                o[x] = (uint16_t)((lj_src_sample(e->src, e->bytes, base + x * step) & mask) >> pt);
        }
    }
}

/* Differences of row y, all components, MCU-interleaved into d. */
static void row_diffs(const ll_enc *e, uint32_t y, const uint16_t *cur, const uint16_t *prev, int16_t *d)
{
    const uint32_t W = e->W;
    const int nc = e->nc;
    const uint64_t row_start = (uint64_t)y * W;
    for (uint32_t x = 0; x < W; x++) {
        uint64_t m = row_start + x;
        int first_line, reset;
        if (e->ri) {
            uint64_t s = m - m % e->ri; /* first MCU of this interval */
            first_line = s >= row_start || y == 0;
            reset = (s == m);
        } else {
            first_line = (y == 0);
            reset = (m == 0);
        }
        for (int c = 0; c < nc; c++) {
            const uint16_t *r = cur + (size_t)c * W;
            const uint16_t *q = prev + (size_t)c * W;
            int v = r[x], px;
            if (first_line) {
                px = reset ? e->initial : r[x - 1];
            } else if (x == 0) {
                px = q[0];
            } else {
                int ra = r[x - 1], rb = q[x], rc = q[x - 1];
                switch (e->pred) {
                case 1: px = ra; break;
                case 2: px = rb; break;
                case 3: px = rc; break;
                case 4: px = ra + rb - rc; break;
                case 5: px = ra + ((rb - rc) >> 1); break;
                case 6: px = rb + ((ra - rc) >> 1); break;
                default: px = (ra + rb) >> 1; break;
                }
            }
            /* modulo 2^16 (T.81 H.1.2.1), in -32768..32767 */
            d[(size_t)x * nc + c] = (int16_t)(uint16_t)(v - px);
        }
    }
}

/* row_diffs for a row below the first with no restart interval, the
 * predictor chosen once per row, not per sample. */
static void row_diffs_inner(const ll_enc *e, const uint16_t *cur, const uint16_t *prev, int16_t *d)
{
    const uint32_t W = e->W;
    const int nc = e->nc;
    for (int c = 0; c < nc; c++) {
        const uint16_t *r = cur + (size_t)c * W;
        const uint16_t *q = prev + (size_t)c * W;
        int16_t *o = d + c;
#define LJ_DIFFS(PX)                                                                  \
    for (uint32_t x = 1; x < W; x++) {                                               \
        int ra = r[x - 1], rb = q[x], rc = q[x - 1];                                 \
        (void)ra, (void)rb, (void)rc;                                                \
        o[(size_t)x * nc] = (int16_t)(uint16_t)(r[x] - (PX));                        \
    }
        o[0] = (int16_t)(uint16_t)(r[0] - q[0]);
        switch (e->pred) {
        case 1: LJ_DIFFS(ra) break;
        case 2: LJ_DIFFS(rb) break;
        case 3: LJ_DIFFS(rc) break;
        case 4: LJ_DIFFS(ra + rb - rc) break;
        case 5: LJ_DIFFS(ra + ((rb - rc) >> 1)) break;
        case 6: LJ_DIFFS(rb + ((ra - rc) >> 1)) break;
        default: LJ_DIFFS((ra + rb) >> 1) break;
        }
#undef LJ_DIFFS
    }
}

int lj_encode_lossless(const uint8_t *src, size_t srclen, const dc_frame *f, const dc_ljpeg_params *p, lj_writer *w,
                       dc_error *err)
{
    (void)srclen;
    const int P = (int)f->bits_stored;
    const int nc = (int)f->samples_per_pixel;
    if (P < 2 || P > 16) return dc_fail(err, DC_ERR_INVALID_ARG, "lossless JPEG encode: precision %d (2..16)", P);
    if (nc < 1 || nc > 4) return dc_fail(err, DC_ERR_INVALID_ARG, "lossless JPEG encode: %d components (1..4)", nc);
    if (p->predictor < 1 || p->predictor > 7)
        return dc_fail(err, DC_ERR_INVALID_ARG, "lossless JPEG encode: predictor %d (1..7)", p->predictor);
    if (p->point_transform < 0 || p->point_transform >= P)
        return dc_fail(err, DC_ERR_INVALID_ARG, "lossless JPEG encode: point transform %d (0..%d)", p->point_transform,
                       P - 1);
#ifndef LJ_TEST_ANY_RESTART /* tests build with it to exercise the decoder */
    if (p->restart_interval > 0 && (uint32_t)p->restart_interval % f->columns != 0)
        return dc_fail(err, DC_ERR_INVALID_ARG,
                       "lossless JPEG encode: restart interval %d is not a multiple of the %u columns "
                       "(IJG-based decoders such as DCMTK and GDCM reject it)",
                       p->restart_interval, f->columns);
#endif
    ll_enc e;
    e.src = src;
    e.f = f;
    e.nc = nc;
    e.bytes = (int)f->bits_allocated / 8;
    e.pt = p->point_transform;
    e.pred = p->predictor;
    e.mask = (P == 16) ? 0xFFFFu : ((1u << P) - 1u);
    e.W = f->columns;
    e.H = f->rows;
    e.ri = (uint32_t)p->restart_interval;
    e.initial = 1 << (P - e.pt - 1);
    const uint32_t W = e.W, H = e.H;
    const size_t row_len = (size_t)nc * W;
    /* The differences of the whole frame, MCU-interleaved, computed once:
     * pass 1 counts them, pass 2 codes them (one frame of scratch). */
    e.rows = (uint16_t *)malloc(sizeof(uint16_t) * 2 * row_len);
    int16_t *diffs = (int16_t *)dc_scratch_acquire(sizeof(int16_t) * row_len * H);
    lj_ehuff *tabs = (lj_ehuff *)malloc(sizeof(lj_ehuff) * (size_t)nc);
    if (!e.rows || !diffs || !tabs) {
        free(e.rows);
        dc_scratch_release(diffs);
        free(tabs);
        return dc_fail(err, DC_ERR_NOMEM, "lossless JPEG encode: cannot allocate %zu bytes of scratch",
                       sizeof(int16_t) * row_len * H);
    }
    /* pass 1: differences and their statistics */
    uint32_t freq[LJ_MAX_COMPS][257];
    memset(freq, 0, sizeof freq);
    uint16_t *bufs[2] = {e.rows, e.rows + row_len};
    for (uint32_t y = 0; y < H; y++) {
        uint16_t *cur = bufs[y & 1], *prev = bufs[(y + 1) & 1];
        int16_t *d = diffs + (size_t)y * row_len;
        load_row(&e, y, cur);
        if (e.ri == 0 && y > 0)
            row_diffs_inner(&e, cur, prev, d);
        else
            row_diffs(&e, y, cur, prev, d);
        for (uint32_t x = 0; x < W; x++)
            for (int c = 0; c < nc; c++) {
                int32_t v = d[(size_t)x * nc + c];
                freq[c][v == -32768 ? 16 : lj_category(v)]++;
            }
    }
    free(e.rows);
    for (int c = 0; c < nc; c++) {
        lj_huff_optimal(freq[c], tabs[c].counts, tabs[c].vals);
        lj_ehuff_build(&tabs[c]);
    }
    /* headers */
    lj_put_marker(w, 0xD8);
    lj_put_marker(w, 0xC3);
    lj_put_u16(w, (unsigned)(8 + 3 * nc));
    lj_put_byte_raw(w, (uint8_t)P);
    lj_put_u16(w, H);
    lj_put_u16(w, W);
    lj_put_byte_raw(w, (uint8_t)nc);
    for (int c = 0; c < nc; c++) {
        lj_put_byte_raw(w, (uint8_t)(c + 1));
        lj_put_byte_raw(w, 0x11);
        lj_put_byte_raw(w, 0);
    }
    for (int c = 0; c < nc; c++) lj_put_dht(w, 0, c, &tabs[c]);
    if (e.ri) {
        lj_put_marker(w, 0xDD);
        lj_put_u16(w, 4);
        lj_put_u16(w, e.ri);
    }
    lj_put_marker(w, 0xDA);
    lj_put_u16(w, (unsigned)(6 + 2 * nc));
    lj_put_byte_raw(w, (uint8_t)nc);
    for (int c = 0; c < nc; c++) {
        lj_put_byte_raw(w, (uint8_t)(c + 1));
        lj_put_byte_raw(w, (uint8_t)(c << 4));
    }
    lj_put_byte_raw(w, (uint8_t)e.pred);
    lj_put_byte_raw(w, 0);
    lj_put_byte_raw(w, (uint8_t)e.pt);
    /* pass 2: entropy-coded data */
    uint32_t togo = e.ri;
    int rst = 0;
    for (uint32_t y = 0; y < H && !w->overflow; y++) {
        const int16_t *d = diffs + (size_t)y * row_len;
        for (uint32_t x = 0; x < W; x++) {
            if (e.ri) {
                if (togo == 0) {
                    lj_flush_bits(w);
                    lj_put_marker(w, 0xD0 + rst);
                    rst = (rst + 1) & 7;
                    togo = e.ri;
                }
                togo--;
            }
            for (int c = 0; c < nc; c++) {
                int32_t v = d[(size_t)x * nc + c];
                const lj_ehuff *t = &tabs[c];
                if (v == -32768) {
                    lj_put_bits(w, t->code[16], t->size[16]);
                    continue;
                }
                int s = lj_category(v);
                uint32_t extra = (uint32_t)(v < 0 ? v - 1 : v) & ((1u << s) - 1u);
                lj_put_bits(w, ((uint32_t)t->code[s] << s) | extra, t->size[s] + s);
            }
        }
    }
    lj_flush_bits(w);
    lj_put_marker(w, 0xD9);
    free(tabs);
    dc_scratch_release(diffs);
    return DC_OK;
}
