/* dc_jpegls.c: the DICOM side of our JPEG-LS codec. The codec (jls_*.c)
 * reads and writes each component through a plane descriptor, so the
 * dataset's layout (interleaved or planar, 8 or 16-bit containers) is used
 * directly whatever the scan's interleave mode; this file checks the frame
 * against the dataset, applies pydicom's sign rule and checks sample ranges
 * before encoding. */
#include "dc_jpegls.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "jls_core.h"

static void info_of(const jls_frame *f, dc_jpegls_info *info)
{
    memset(info, 0, sizeof *info);
    info->width = f->width;
    info->height = f->height;
    info->components = (uint32_t)f->ncomp;
    info->bits_per_sample = (uint32_t)f->precision;
    info->near_lossless = (uint32_t)f->first_near;
    info->interleave_mode = (uint32_t)f->first_ilv;
    info->transform = (uint32_t)f->transform;
    for (int c = 0; c < f->ncomp && c < 4; c++) {
        info->comp_width[c] = f->cw[c];
        info->comp_height[c] = f->ch[c];
    }
}

int dc_jpegls_read_header(const uint8_t *src, size_t srclen, dc_jpegls_info *info,
                          dc_error *err)
{
    jls_frame f;
    int rc = jls_read_frame(src, srclen, &f, err);
    if (rc == DC_OK) info_of(&f, info);
    return rc;
}

/* JPEG-LS samples are unsigned P-bit numbers; a signed dataset stored its
 * two's complement bits, so bit P-1 is the sign. */
static void sign_extend(uint8_t *px, size_t n, size_t bps, uint32_t precision)
{
    if (bps == 1) {
        if (precision >= 8) return;
        uint8_t sign = (uint8_t)(1u << (precision - 1)), mask = (uint8_t)((1u << precision) - 1);
        for (size_t i = 0; i < n; i++) {
            uint8_t u = px[i] & mask;
            px[i] = (u & sign) ? (uint8_t)(u | (uint8_t)~mask) : u;
        }
    } else {
        if (precision >= 16) return;
        uint16_t *p = (uint16_t *)px;
        uint16_t sign = (uint16_t)(1u << (precision - 1)), mask = (uint16_t)((1u << precision) - 1);
        for (size_t i = 0; i < n; i++) {
            uint16_t u = p[i] & mask;
            p[i] = (u & sign) ? (uint16_t)(u | (uint16_t)~mask) : u;
        }
    }
}

static int check_frame(const dc_frame *f, dc_error *err)
{
    if (f->bits_allocated != 8 && f->bits_allocated != 16)
        return dc_fail(err, DC_ERR_UNSUPPORTED,
                       "JPEG-LS holds 2 to 16-bit samples in 8 or 16-bit containers, "
                       "not Bits Allocated %u", (unsigned)f->bits_allocated);
    if (f->rows == 0 || f->columns == 0 || f->samples_per_pixel == 0)
        return dc_fail(err, DC_ERR_INVALID_ARG, "empty frame (%u rows, %u columns, %u samples)",
                       (unsigned)f->rows, (unsigned)f->columns, (unsigned)f->samples_per_pixel);
    if (dc_frame_size(f) == 0)
        return dc_fail(err, DC_ERR_INVALID_ARG, "frame size overflows");
    return DC_OK;
}

static int subsampled(const jls_frame *f)
{
    for (int c = 0; c < f->ncomp; c++)
        if (f->cw[c] != f->width || f->ch[c] != f->height) return 1;
    return 0;
}

int dc_jpegls_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                     const dc_frame *f, dc_error *err)
{
    jls_frame fr;
    int rc = check_frame(f, err);
    if (rc != DC_OK) return rc;
    if ((rc = jls_read_frame(src, srclen, &fr, err)) != DC_OK) return rc;
    if (fr.width != f->columns || fr.height != f->rows)
        return dc_fail(err, DC_ERR_MISMATCH,
                       "the JPEG-LS frame is %u columns x %u rows, the dataset says %u x %u",
                       (unsigned)fr.width, (unsigned)fr.height, (unsigned)f->columns,
                       (unsigned)f->rows);
    if ((uint32_t)fr.ncomp != f->samples_per_pixel)
        return dc_fail(err, DC_ERR_MISMATCH,
                       "the JPEG-LS frame has %d components, Samples per Pixel is %u",
                       fr.ncomp, (unsigned)f->samples_per_pixel);
    if ((uint32_t)fr.precision > f->bits_allocated)
        return dc_fail(err, DC_ERR_MISMATCH,
                       "the JPEG-LS precision is %d bits, more than Bits Allocated %u",
                       fr.precision, (unsigned)f->bits_allocated);
    if (subsampled(&fr))
        return dc_fail(err, DC_ERR_UNSUPPORTED, "the JPEG-LS frame has sub-sampled components "
                       "(sampling factors other than 1x1), which DICOM cannot describe");
    size_t need = dc_frame_size(f);
    if (dstlen < need)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL,
                       "output holds %zu bytes, the frame needs %zu", dstlen, need);
    const size_t spp = f->samples_per_pixel, bps = f->bits_allocated / 8;
    const size_t npix = (size_t)f->rows * f->columns;
    const int planar = spp > 1 && f->planar_configuration == 1;
    jls_plane pl[JLS_MAX_COMPONENTS];
    for (size_t c = 0; c < spp; c++) {
        pl[c].base = dst + (planar ? c * npix * bps : c * bps);
        pl[c].step = (ptrdiff_t)(planar ? bps : spp * bps);
        pl[c].stride = pl[c].step * (ptrdiff_t)f->columns;
        pl[c].width = f->columns;
        pl[c].height = f->rows;
        pl[c].bps = (int)bps;
    }
    if ((rc = jls_decode_planes(src, srclen, &fr, pl, err)) != DC_OK) return rc;
    if (f->pixel_representation == 1)
        sign_extend(dst, npix * spp, bps, (uint32_t)fr.precision);
    return DC_OK;
}

int dc_jpegls_decode_components(const uint8_t *src, size_t srclen, uint16_t *dst,
                                size_t dstlen, dc_error *err)
{
    jls_frame fr;
    int rc = jls_read_frame(src, srclen, &fr, err);
    if (rc != DC_OK) return rc;
    jls_plane pl[JLS_MAX_COMPONENTS];
    size_t off = 0;
    for (int c = 0; c < fr.ncomp; c++) {
        size_t n = (size_t)fr.cw[c] * fr.ch[c];
        if (n > dstlen / 2 - off)
            return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "output holds %zu bytes, the "
                           "components need more", dstlen);
        pl[c].base = (uint8_t *)(dst + off);
        pl[c].step = 2;
        pl[c].stride = 2 * (ptrdiff_t)fr.cw[c];
        pl[c].width = fr.cw[c];
        pl[c].height = fr.ch[c];
        pl[c].bps = 2;
        off += n;
    }
    return jls_decode_planes(src, srclen, &fr, pl, err);
}

/* ------------------------------------------------------------------ encode */

size_t dc_jpegls_encode_bound(const dc_frame *f, int worst)
{
    if (f->bits_allocated != 8 && f->bits_allocated != 16) return 0;
    if (f->bits_stored < 2 || f->bits_stored > 16) return 0;
    size_t n = dc_frame_size(f);
    if (n == 0) return 0;
    n = n / (f->bits_allocated / 8) * (f->bits_stored > 8 ? 2 : 1);
    /* Adaptive Golomb codes of noise cost about P+1 bits a sample; a sample
     * never costs more than LIMIT = 2 * (P + max(8, P)) bits, at most 4x,
     * and bit stuffing adds at most one bit in eight. */
    if (worst) {
        if (n > (SIZE_MAX - 4096) / 5) return 0;
        return 5 * n + 4096;
    }
    if (n > SIZE_MAX / 2) return 0;
    return n + n / 4 + 2048;
}

/* The range the samples must lie in, as a message when one does not. */
typedef struct sample_rule {
    int is_signed;
    int64_t lo, hi;     /* allowed values, signed or unsigned as stored */
    uint32_t mask;      /* low bits_stored bits */
} sample_rule;

static int bad_sample(dc_error *err, const dc_frame *f, const sample_rule *r, size_t idx,
                      int64_t v)
{
    size_t spp = f->samples_per_pixel, npix = (size_t)f->rows * f->columns;
    size_t pix = f->planar_configuration == 1 && spp > 1 ? idx % npix : idx / spp;
    return dc_fail(err, DC_ERR_INVALID_ARG,
                   "sample value %lld at row %zu, column %zu is outside %lld..%lld, the range "
                   "of %s %u-bit samples%s", (long long)v, pix / f->columns,
                   pix % f->columns, (long long)r->lo, (long long)r->hi,
                   r->is_signed ? "signed" : "unsigned", (unsigned)f->bits_stored,
                   r->is_signed && r->lo != -((int64_t)1 << (f->bits_stored - 1))
                       ? " less the near-lossless error (else the sign may flip)" : "");
}

/* Checks every sample against r; the encoder masks them to bits_stored
 * bits as it reads them. */
static int check_range(const uint8_t *src, const dc_frame *f, const sample_rule *r,
                       dc_error *err)
{
    const size_t n = (size_t)f->rows * f->columns * f->samples_per_pixel;
    const int32_t lo = (int32_t)r->lo, hi = (int32_t)r->hi;
    size_t i = 0;
    int32_t v = 0;
    if (f->bits_allocated == 8) {
        for (; i < n; i++) {
            v = r->is_signed ? (int32_t)(int8_t)src[i] : (int32_t)src[i];
            if (v < lo || v > hi) break;
        }
    } else {
        for (; i < n; i++) {
            uint16_t u;
            memcpy(&u, src + 2 * i, 2);
            v = r->is_signed ? (int32_t)(int16_t)u : (int32_t)u;
            if (v < lo || v > hi) break;
        }
    }
    return i < n ? bad_sample(err, f, r, i, v) : DC_OK;
}

int dc_jpegls_encode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                     size_t *dstlen, const dc_frame *f, const dc_jpegls_params *p,
                     dc_error *err)
{
    int rc = check_frame(f, err);
    if (rc != DC_OK) return rc;
    const uint32_t bs = f->bits_stored;
    if (bs < 2 || bs > 16 || bs > f->bits_allocated)
        return dc_fail(err, DC_ERR_UNSUPPORTED,
                       "JPEG-LS codes 2 to 16-bit samples; Bits Stored is %u (Bits Allocated %u)",
                       (unsigned)bs, (unsigned)f->bits_allocated);
    if (f->rows > 65535 || f->columns > 65535)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "%u x %u pixels: JPEG-LS frames hold at most "
                       "65535 rows and columns here", (unsigned)f->rows, (unsigned)f->columns);
    if (f->samples_per_pixel > 255)
        return dc_fail(err, DC_ERR_INVALID_ARG, "%u samples per pixel; JPEG-LS allows 255",
                       (unsigned)f->samples_per_pixel);
    size_t need = dc_frame_size(f);
    if (srclen < need)
        return dc_fail(err, DC_ERR_INVALID_ARG, "input holds %zu bytes, the frame needs %zu",
                       srclen, need);
    int ilv = f->samples_per_pixel == 1 ? 0 : p->interleave_mode;
    if (ilv < 0 || ilv > 2)
        return dc_fail(err, DC_ERR_INVALID_ARG, "interleave mode %d is not 0 (none), "
                       "1 (line) or 2 (sample)", ilv);
    const int32_t full = (int32_t)((1u << bs) - 1);
    if (p->near_lossless < 0 || p->near_lossless > (full < 510 ? full / 2 : 255))
        return dc_fail(err, DC_ERR_INVALID_ARG, "NEAR (jls_error) %d outside 0..%d for %u-bit "
                       "samples", (int)p->near_lossless, (int)(full < 510 ? full / 2 : 255),
                       (unsigned)bs);
    if (p->maxval < 0 || p->maxval > full)
        return dc_fail(err, DC_ERR_INVALID_ARG, "MAXVAL %d outside 1..%d for %u-bit samples",
                       (int)p->maxval, (int)full, (unsigned)bs);

    sample_rule r;
    r.is_signed = f->pixel_representation == 1;
    r.mask = (uint32_t)full;
    if (r.is_signed) {
        /* Near-lossless errors are bounded in the unsigned domain, where
         * the two ends of the signed range are neighbours: keep NEAR away
         * from them (pydicom's rule). A MAXVAL below 2^P - 1 cuts the
         * negative values, whose stored bits are the largest. */
        r.lo = -((int64_t)1 << (bs - 1)) + p->near_lossless;
        r.hi = ((int64_t)1 << (bs - 1)) - 1 - p->near_lossless;
        if (p->maxval > 0 && p->maxval < full) {
            r.lo = 0;
            if (r.hi > p->maxval) r.hi = p->maxval;
        }
    } else {
        r.lo = 0;
        r.hi = p->maxval > 0 ? p->maxval : full;
    }

    const size_t spp = f->samples_per_pixel;
    const size_t sbps = f->bits_allocated / 8;
    const int s_planar = spp > 1 && f->planar_configuration == 1;
    const size_t npix = (size_t)f->rows * f->columns;
    const int container_range = r.lo <= (r.is_signed ? -((int64_t)1 << (8 * sbps - 1)) : 0) &&
                                r.hi >= (r.is_signed ? ((int64_t)1 << (8 * sbps - 1)) - 1
                                                     : ((int64_t)1 << (8 * sbps)) - 1);
    if (!container_range && (rc = check_range(src, f, &r, err)) != DC_OK) return rc;
    if (spp > JLS_MAX_COMPONENTS)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "%zu samples per pixel: this encoder codes 1 "
                       "to %d components", spp, JLS_MAX_COMPONENTS);

    jls_plane pl[JLS_MAX_COMPONENTS];
    for (size_t c = 0; c < spp; c++) {
        pl[c].base = (uint8_t *)src + (s_planar ? c * npix * sbps : c * sbps);
        pl[c].step = (ptrdiff_t)(s_planar ? sbps : spp * sbps);
        pl[c].stride = pl[c].step * (ptrdiff_t)f->columns;
        pl[c].width = f->columns;
        pl[c].height = f->rows;
        pl[c].bps = (int)sbps;
    }
    jls_encode_args a;
    a.precision = (int)bs;
    a.ncomp = (int)spp;
    a.near = p->near_lossless;
    a.ilv = ilv;
    a.preset.maxval = p->maxval;
    a.preset.t1 = p->t1;
    a.preset.t2 = p->t2;
    a.preset.t3 = p->t3;
    a.preset.reset = p->reset;
    /* The preset parameters are written when they differ from the defaults
     * and, as CharLS's "JAI" option does, always above 12 bits: Java's JAI
     * ImageIO computes wrong defaults there. */
    jls_coding given, dflt;
    const jls_preset none = {0, 0, 0, 0, 0};
    if ((rc = jls_coding_init(&given, a.precision, a.near, &a.preset, DC_ERR_INVALID_ARG, err)) !=
        DC_OK)
        return rc;
    jls_coding_init(&dflt, a.precision, a.near, &none, DC_ERR_INVALID_ARG, err);
    a.lse = bs > 12 || given.maxval != dflt.maxval || given.t1 != dflt.t1 ||
            given.t2 != dflt.t2 || given.t3 != dflt.t3 || given.reset != dflt.reset;
    /* Even length, as DICOM fragments must be, by an 0xFF fill byte before
     * EOI (DCMTK's default "+ps") rather than a trailing zero. */
    a.even = 1;
    return jls_encode_planes(pl, &a, dst, dstcap, dstlen, err);
}
