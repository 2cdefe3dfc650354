/* ljpeg_decode.c: dc_ljpeg_decode: walks the markers of one frame, runs the
 * lossless or DCT scan decoder for each SOS, then writes the components
 * into the caller's buffer (upsampling, point transform, sign extension,
 * interleaving). Also retries 16-bit lossless with the Cornell reading. */
#include "ljpeg_internal.h"

#include <stdlib.h>
#include <string.h>

static const char *sof_name(int sof)
{
    switch (sof) {
    case 0xC2: return "progressive DCT (SOF2)";
    case 0xC5: return "differential sequential DCT (SOF5)";
    case 0xC6: return "differential progressive DCT (SOF6)";
    case 0xC7: return "differential lossless (SOF7)";
    case 0xC9: return "arithmetic-coded sequential DCT (SOF9)";
    case 0xCA: return "arithmetic-coded progressive DCT (SOF10)";
    case 0xCB: return "arithmetic-coded lossless (SOF11)";
    case 0xCD: return "arithmetic-coded differential sequential DCT (SOF13)";
    case 0xCE: return "arithmetic-coded differential progressive DCT (SOF14)";
    case 0xCF: return "arithmetic-coded differential lossless (SOF15)";
    default: return "unknown SOF";
    }
}

typedef struct dec_ctx {
    lj_tables t;
    lj_frame fr;
    lj_plane planes[LJ_MAX_COMPS];
    uint16_t *scratch;
    int coded[LJ_MAX_COMPS]; /* scans that coded the component */
    int pt[LJ_MAX_COMPS];    /* point transform of the last such scan */
    int direct;              /* planes point into dst */
    int lossless;
    int clean;               /* no leftover data, markers as expected */
    int cornell_suspect;
} dec_ctx;

static int check_frame(const dec_ctx *c, const dc_frame *f, dc_error *err)
{
    const lj_frame *fr = &c->fr;
    if (fr->y != f->rows || fr->x != f->columns || (uint32_t)fr->nc != f->samples_per_pixel)
        return dc_fail(err, DC_ERR_MISMATCH,
                       "JPEG frame is %ux%u with %d components, expected %ux%u with %u samples per pixel", fr->x, fr->y,
                       fr->nc, f->columns, f->rows, f->samples_per_pixel);
    if ((uint32_t)fr->precision > f->bits_allocated)
        return dc_fail(err, DC_ERR_MISMATCH, "JPEG precision %d does not fit bits allocated %u", fr->precision,
                       f->bits_allocated);
    return DC_OK;
}

/* Sets up the component planes once the frame size is known. */
static int setup_planes(dec_ctx *c, const dc_frame *f, uint8_t *dst, dc_error *err)
{
    lj_frame *fr = &c->fr;
    const int nc = fr->nc;
    if (c->lossless) {
        for (int i = 0; i < nc; i++) {
            if (fr->comp[i].h != fr->hmax || fr->comp[i].v != fr->vmax)
                return dc_fail(err, DC_ERR_UNSUPPORTED,
                               "lossless JPEG with subsampled components (component id %d is %dx%d of %dx%d)",
                               fr->comp[i].id, fr->comp[i].h, fr->comp[i].v, fr->hmax, fr->vmax);
        }
        const size_t npix = (size_t)fr->x * fr->y;
        if (f->bits_allocated == 16) {
            /* decode straight into the caller's buffer */
            c->direct = 1;
            uint16_t *d = (uint16_t *)(void *)dst;
            for (int i = 0; i < nc; i++) {
                lj_plane *p = &c->planes[i];
                if (f->planar_configuration == 1 || nc == 1) {
                    p->base = d + (size_t)i * npix;
                    p->xs = 1;
                    p->ys = fr->x;
                } else {
                    p->base = d + i;
                    p->xs = nc;
                    p->ys = (ptrdiff_t)fr->x * nc;
                }
                p->w = fr->x;
                p->h = fr->y;
            }
            return DC_OK;
        }
        c->scratch = (uint16_t *)calloc(npix * (size_t)nc, sizeof(uint16_t));
        if (!c->scratch) return dc_fail(err, DC_ERR_NOMEM, "JPEG: cannot allocate %zu samples", npix * (size_t)nc);
        for (int i = 0; i < nc; i++) {
            lj_plane *p = &c->planes[i];
            p->base = c->scratch + (size_t)i * npix;
            p->xs = 1;
            p->ys = fr->x;
            p->w = fr->x;
            p->h = fr->y;
        }
        return DC_OK;
    }
    /* DCT: planes padded to whole MCUs */
    uint32_t mcux = (fr->x + 8u * (uint32_t)fr->hmax - 1) / (8u * (uint32_t)fr->hmax);
    uint32_t mcuy = (fr->y + 8u * (uint32_t)fr->vmax - 1) / (8u * (uint32_t)fr->vmax);
    size_t total = 0;
    size_t off[LJ_MAX_COMPS];
    for (int i = 0; i < nc; i++) {
        size_t w = (size_t)mcux * (size_t)fr->comp[i].h * 8;
        size_t h = (size_t)mcuy * (size_t)fr->comp[i].v * 8;
        off[i] = total;
        total += w * h;
        c->planes[i].xs = 1;
        c->planes[i].ys = (ptrdiff_t)w;
        c->planes[i].w = fr->comp[i].w;
        c->planes[i].h = fr->comp[i].hgt;
    }
    c->scratch = (uint16_t *)calloc(total, sizeof(uint16_t));
    if (!c->scratch) return dc_fail(err, DC_ERR_NOMEM, "JPEG: cannot allocate %zu samples", total);
    for (int i = 0; i < nc; i++) c->planes[i].base = c->scratch + off[i];
    return DC_OK;
}

/* ---- output ------------------------------------------------------------------ */

LJ_INLINE int32_t finish_sample(uint32_t v, int pt, int sign_bits)
{
    v = (v << pt) & 0xFFFFu;
    if (sign_bits) {
        uint32_t m = 1u << (sign_bits - 1);
        v &= (m << 1) - 1u;
        return (int32_t)(v ^ m) - (int32_t)m;
    }
    return (int32_t)v;
}

static void store_row(const dc_frame *f, uint8_t *dst, int ci, uint32_t y, const uint16_t *row, int pt, int sign_bits)
{
    const uint32_t X = f->columns;
    const uint32_t nc = f->samples_per_pixel;
    size_t start, step;
    if (f->planar_configuration == 1 || nc == 1) {
        start = ((size_t)ci * f->rows + y) * X;
        step = 1;
    } else {
        start = (size_t)y * X * nc + (size_t)ci;
        step = nc;
    }
    if (f->bits_allocated == 8) {
        uint8_t *o = dst + start;
        for (uint32_t x = 0; x < X; x++) o[(size_t)x * step] = (uint8_t)finish_sample(row[x], pt, sign_bits);
    } else {
        uint16_t *o = (uint16_t *)(void *)dst + start;
        for (uint32_t x = 0; x < X; x++) o[(size_t)x * step] = (uint16_t)finish_sample(row[x], pt, sign_bits);
    }
}

/* Horizontal 2x of one row with the triangular filter
 * out[2i] = (3 in[i] + in[i-1] + 1) / 4, out[2i+1] = (3 in[i] + in[i+1] + 2) / 4
 * (edges replicated), the libjpeg-turbo default. in holds already
 * vertically filtered values scaled by vscale (1 or 4). */
static void up_h2(const int32_t *in, uint32_t n, uint16_t *out, uint32_t outw, int vscale)
{
    int b0 = vscale == 1 ? 1 : 8, b1 = vscale == 1 ? 2 : 7, sh = vscale == 1 ? 2 : 4;
    for (uint32_t i = 0; i < n; i++) {
        int32_t l = in[i ? i - 1 : 0], r = in[i + 1 < n ? i + 1 : n - 1];
        uint32_t o = 2 * i;
        if (o < outw) out[o] = (uint16_t)((3 * in[i] + l + b0) >> sh);
        if (o + 1 < outw) out[o + 1] = (uint16_t)((3 * in[i] + r + b1) >> sh);
    }
    for (uint32_t o = 2 * n; o < outw; o++) out[o] = out[2 * n - 1];
}

static int write_output(dec_ctx *c, const dc_frame *f, uint8_t *dst, dc_error *err)
{
    lj_frame *fr = &c->fr;
    const int nc = fr->nc;
    const int sign_bits = (f->pixel_representation == 1 && f->bits_stored > 0 && f->bits_stored < f->bits_allocated)
                              ? (int)f->bits_stored
                              : 0;
    if (c->direct) {
        /* lossless into dst already; finish in place when needed */
        for (int i = 0; i < nc; i++) {
            lj_plane *p = &c->planes[i];
            if (!c->coded[i]) {
                for (uint32_t y = 0; y < fr->y; y++)
                    for (uint32_t x = 0; x < fr->x; x++) p->base[(ptrdiff_t)y * p->ys + (ptrdiff_t)x * p->xs] = 0;
                continue;
            }
            int pt = c->pt[i];
            if (pt == 0 && sign_bits == 0) continue;
            for (uint32_t y = 0; y < fr->y; y++) {
                uint16_t *r = p->base + (ptrdiff_t)y * p->ys;
                for (uint32_t x = 0; x < fr->x; x++) {
                    uint16_t *s = r + (ptrdiff_t)x * p->xs;
                    *s = (uint16_t)finish_sample(*s, pt, sign_bits);
                }
            }
        }
        return DC_OK;
    }
    const uint32_t X = fr->x, Y = fr->y;
    uint16_t *row = (uint16_t *)malloc(sizeof(uint16_t) * ((size_t)X + 8));
    int32_t *tmp = (int32_t *)malloc(sizeof(int32_t) * ((size_t)X + 8));
    if (!row || !tmp) {
        free(row);
        free(tmp);
        return dc_fail(err, DC_ERR_NOMEM, "JPEG: cannot allocate an output row");
    }
    for (int i = 0; i < nc; i++) {
        lj_plane *p = &c->planes[i];
        const lj_comp *cp = &fr->comp[i];
        int pt = c->lossless ? c->pt[i] : 0;
        const int hr = fr->hmax / cp->h, vr = fr->vmax / cp->v;
        const int integral = (fr->hmax % cp->h == 0) && (fr->vmax % cp->v == 0);
        const int fancy = integral && (hr == 1 || hr == 2) && (vr == 1 || vr == 2) && !(hr == 1 && vr == 1);
        for (uint32_t y = 0; y < Y; y++) {
            if (!c->coded[i]) {
                memset(row, 0, sizeof(uint16_t) * X);
            } else if (cp->h == fr->hmax && cp->v == fr->vmax) {
                memcpy(row, p->base + (ptrdiff_t)y * p->ys, sizeof(uint16_t) * X);
            } else if (fancy) {
                uint32_t cw = p->w, chh = p->h;
                if (vr == 2) {
                    uint32_t sy = y / 2;
                    if (sy >= chh) sy = chh - 1;
                    uint32_t fy = (y & 1) ? (sy + 1 < chh ? sy + 1 : sy) : (sy ? sy - 1 : 0);
                    const uint16_t *near = p->base + (ptrdiff_t)sy * p->ys;
                    const uint16_t *far = p->base + (ptrdiff_t)fy * p->ys;
                    for (uint32_t x = 0; x < cw; x++) tmp[x] = 3 * near[x] + far[x];
                    if (hr == 2) {
                        up_h2(tmp, cw, row, X, 4);
                    } else {
                        int bias = (y & 1) ? 2 : 1;
                        for (uint32_t x = 0; x < X; x++) {
                            uint32_t sx = x < cw ? x : cw - 1;
                            row[x] = (uint16_t)((tmp[sx] + bias) >> 2);
                        }
                    }
                } else {
                    uint32_t sy = y < chh ? y : chh - 1;
                    const uint16_t *near = p->base + (ptrdiff_t)sy * p->ys;
                    for (uint32_t x = 0; x < cw; x++) tmp[x] = near[x];
                    up_h2(tmp, cw, row, X, 1);
                }
            } else {
                /* replication for any other ratio */
                uint32_t sy = (uint32_t)(((uint64_t)y * (uint64_t)cp->v) / (uint64_t)fr->vmax);
                const uint16_t *src = p->base + (ptrdiff_t)sy * p->ys;
                for (uint32_t x = 0; x < X; x++)
                    row[x] = src[(uint64_t)x * (uint64_t)cp->h / (uint64_t)fr->hmax];
            }
            store_row(f, dst, i, y, row, pt, sign_bits);
        }
    }
    free(row);
    free(tmp);
    return DC_OK;
}

/* ---- the frame ------------------------------------------------------------ */

static int decode_once(const uint8_t *src, size_t srclen, uint8_t *dst, const dc_frame *f, unsigned flags,
                       dec_ctx *c, dc_error *err)
{
    lj_parser ps = {src, srclen, 0};
    int status = lj_parse_soi(&ps, err);
    if (status) return status;
    int have_frame = 0, nscans = 0, saw_eoi = 0, ended = 0;
    c->clean = 1;
    for (;;) {
        int code = lj_next_marker(&ps);
        if (code == -1) {
            ended = 1;
            break;
        }
        if (code == -2) {
            /* junk between segments: resynchronise on the next marker */
            c->clean = 0;
            ps.pos++;
            while (ps.pos < ps.len && ps.src[ps.pos] != 0xFF) ps.pos++;
            continue;
        }
        if (code == 0xD9) {
            saw_eoi = 1;
            break;
        }
        int st = DC_OK;
        if (lj_is_sof(code)) {
            if (have_frame) return dc_fail(err, DC_ERR_CORRUPT, "JPEG: second SOF marker in one image");
            st = lj_parse_sof(&ps, code, &c->fr, err);
            if (st) return st;
            have_frame = 1;
            if (code != 0xC0 && code != 0xC1 && code != 0xC3)
                return dc_fail(err, DC_ERR_UNSUPPORTED, "JPEG %s is not supported", sof_name(code));
            int P = c->fr.precision;
            if (code == 0xC3) {
                if (P < 2 || P > 16)
                    return dc_fail(err, DC_ERR_CORRUPT, "lossless JPEG precision %d (2..16 allowed)", P);
                c->lossless = 1;
            } else if (!(P == 8 || (P == 12 && code == 0xC1))) {
                return dc_fail(err, P == 12 || P == 16 ? DC_ERR_UNSUPPORTED : DC_ERR_CORRUPT,
                               "JPEG SOF%d with precision %d is not supported", code - 0xC0, P);
            }
            if (c->fr.y == 0) {
                c->fr.y = lj_find_dnl(src, srclen, ps.pos);
                if (c->fr.y == 0)
                    return dc_fail(err, DC_ERR_CORRUPT, "JPEG SOF declares 0 rows and no DNL marker follows");
                lj_frame_finish(&c->fr);
            }
            st = check_frame(c, f, err);
            if (st) return st;
            st = setup_planes(c, f, dst, err);
            if (st) return st;
        } else if (code == 0xC4) {
            st = lj_parse_dht(&ps, &c->t, err);
        } else if (code == 0xDB) {
            st = lj_parse_dqt(&ps, &c->t, err);
        } else if (code == 0xDD) {
            uint32_t ri = 0;
            st = lj_parse_u16_segment(&ps, "DRI", &ri, err);
            if (!st) c->t.restart_interval = (int)ri;
        } else if (code == 0xDC) {
            uint32_t lines = 0;
            st = lj_parse_u16_segment(&ps, "DNL", &lines, err);
            if (!st && have_frame && lines != c->fr.y) c->clean = 0;
        } else if (code >= 0xE0 && code <= 0xEF) {
            st = lj_parse_app(&ps, code, &c->t, err);
        } else if ((code >= 0xD0 && code <= 0xD7) || code == 0x01) {
            c->clean = 0; /* stray RSTn between segments */
            continue;
        } else if (code == 0xDA) {
            if (!have_frame) return dc_fail(err, DC_ERR_CORRUPT, "JPEG: SOS before SOF");
            lj_scan sc;
            st = lj_parse_sos(&ps, &c->fr, &sc, err);
            if (st) return st;
            lj_scan_result res;
            memset(&res, 0, sizeof res);
            size_t pos = ps.pos;
            if (c->lossless)
                st = lj_lossless_scan(src, srclen, &pos, &c->fr, &sc, &c->t, c->planes, flags, &res, err);
            else
                st = lj_dct_scan(src, srclen, &pos, &c->fr, &sc, &c->t, c->planes, flags, &res, err);
            if (res.cornell_suspect) c->cornell_suspect = 1;
            if (res.leftover > 2 || res.truncated) c->clean = 0;
            if (st) return st;
            nscans++;
            for (int i = 0; i < sc.ns; i++) {
                c->coded[sc.comp[i]]++;
                c->pt[sc.comp[i]] = sc.al;
            }
            ps.pos = pos;
            if (res.truncated) {
                ended = 1; /* ALLOW_TRUNCATED: nothing useful follows */
                break;
            }
            continue;
        } else {
            st = lj_skip_segment(&ps, code, err);
        }
        if (st) {
            /* a damaged segment after the image data is harmless */
            if (nscans > 0 && (flags & DC_LJPEG_FLAG_ALLOW_TRUNCATED)) {
                ended = 1;
                break;
            }
            return st;
        }
    }
    const int allow = (flags & DC_LJPEG_FLAG_ALLOW_TRUNCATED) != 0;
    if (!have_frame)
        return dc_fail(err, ended ? DC_ERR_TRUNCATED : DC_ERR_CORRUPT, "JPEG: no frame header (SOF) before %s",
                       ended ? "the end of input" : "EOI");
    if (nscans == 0 && !allow)
        return dc_fail(err, ended ? DC_ERR_TRUNCATED : DC_ERR_CORRUPT, "JPEG: no scan before %s",
                       ended ? "the end of input" : "EOI");
    for (int i = 0; i < c->fr.nc; i++) {
        if (!c->coded[i] && !allow)
            return dc_fail(err, saw_eoi ? DC_ERR_CORRUPT : DC_ERR_TRUNCATED,
                           "JPEG: component id %d is not coded in any scan before %s", c->fr.comp[i].id,
                           saw_eoi ? "EOI" : "the end of input");
    }
    status = write_output(c, f, dst, err);
    return status;
}

static void free_ctx(dec_ctx *c)
{
    free(c->scratch);
    c->scratch = NULL;
}

int dc_ljpeg_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen, const dc_frame *f, unsigned flags,
                   dc_error *err)
{
    if (src == NULL || dst == NULL || f == NULL)
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG decode: NULL argument");
    if (f->bits_allocated != 8 && f->bits_allocated != 16)
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG decode: bits allocated %u (8 or 16 supported)", f->bits_allocated);
    if (f->planar_configuration > 1)
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG decode: planar configuration %u", f->planar_configuration);
    size_t need = dc_frame_size(f);
    if (need == 0) return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG decode: invalid frame description");
    if (dstlen < need)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "JPEG decode: output holds %zu bytes, the frame needs %zu", dstlen,
                       need);
    if (((uintptr_t)dst & 1) && f->bits_allocated == 16)
        return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG decode: 16-bit output buffer is not 2-byte aligned");

    dec_ctx *c = (dec_ctx *)calloc(1, sizeof(dec_ctx));
    if (!c) return dc_fail(err, DC_ERR_NOMEM, "JPEG decode: out of memory");
    int st = decode_once(src, srclen, dst, f, flags, c, err);
    int suspect = c->cornell_suspect && c->lossless && c->fr.precision == 16;
    int clean = c->clean;
    free_ctx(c);
    if (suspect && !(flags & (DC_LJPEG_FLAG_CORNELL | DC_LJPEG_FLAG_NO_CORNELL_AUTO)) && (st != DC_OK || !clean)) {
        dc_error err2;
        err2.msg[0] = '\0';
        memset(c, 0, sizeof *c);
        int st2 = decode_once(src, srclen, dst, f, flags | DC_LJPEG_FLAG_CORNELL, c, &err2);
        int clean2 = c->clean;
        free_ctx(c);
        if (st2 == DC_OK && clean2) {
            if (err) err->msg[0] = '\0';
            st = DC_OK;
        } else if (st == DC_OK) {
            /* the first reading was acceptable: produce it again */
            memset(c, 0, sizeof *c);
            dc_error err3;
            err3.msg[0] = '\0';
            st = decode_once(src, srclen, dst, f, flags, c, &err3);
            free_ctx(c);
        }
    }
    free(c);
    return st;
}
