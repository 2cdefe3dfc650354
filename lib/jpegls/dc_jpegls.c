/* dc_jpegls.c: the CharLS glue. CharLS writes and reads samples in the
 * scan's own layout (planes for interleave mode none, pixels otherwise) and
 * in 8-bit units up to precision 8, 16-bit above; DICOM wants the dataset's
 * layout and Bits Allocated. Where the two agree CharLS works on the caller's
 * buffer directly; otherwise one scratch frame bridges them. */
#include "dc_jpegls.h"

#include <charls/charls.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

const char *dc_jpegls_engine_version(void)
{
    return charls_get_version_string();
}

/* A CharLS error code -> our status. Stream damage is corrupt or truncated;
 * arguments CharLS rejects while decoding are our fault (engine), while
 * encoding they are the caller's settings. */
static int map_errc(charls_jpegls_errc e, int encoding)
{
    switch ((int)e) {
    case CHARLS_JPEGLS_ERRC_SOURCE_BUFFER_TOO_SMALL:
        return DC_ERR_TRUNCATED;
    case CHARLS_JPEGLS_ERRC_NOT_ENOUGH_MEMORY:
        return DC_ERR_NOMEM;
    case CHARLS_JPEGLS_ERRC_DESTINATION_BUFFER_TOO_SMALL:
        return DC_ERR_OUTPUT_TOO_SMALL;
    case CHARLS_JPEGLS_ERRC_PARAMETER_VALUE_NOT_SUPPORTED:
    case CHARLS_JPEGLS_ERRC_ENCODING_NOT_SUPPORTED:
    case CHARLS_JPEGLS_ERRC_BIT_DEPTH_FOR_TRANSFORM_NOT_SUPPORTED:
    case CHARLS_JPEGLS_ERRC_COLOR_TRANSFORM_NOT_SUPPORTED:
    case CHARLS_JPEGLS_ERRC_JPEGLS_PRESET_EXTENDED_PARAMETER_TYPE_NOT_SUPPORTED:
        return encoding ? DC_ERR_INVALID_ARG : DC_ERR_UNSUPPORTED;
    case CHARLS_JPEGLS_ERRC_INVALID_ARGUMENT:
    case CHARLS_JPEGLS_ERRC_INVALID_OPERATION:
    case CHARLS_JPEGLS_ERRC_UNEXPECTED_FAILURE:
    case CHARLS_JPEGLS_ERRC_CALLBACK_FAILED:
        return encoding ? DC_ERR_INVALID_ARG : DC_ERR_ENGINE;
    default:
        if ((int)e >= 100 && (int)e < 200) /* invalid_argument_* */
            return encoding ? DC_ERR_INVALID_ARG : DC_ERR_ENGINE;
        return encoding ? DC_ERR_ENGINE : DC_ERR_CORRUPT;
    }
}

static int charls_fail(dc_error *err, charls_jpegls_errc e, int encoding, const char *stage)
{
    const char *msg = charls_get_error_message(e);
    return dc_fail(err, map_errc(e, encoding), "CharLS %s: %s (error %d)", stage,
                   msg ? msg : "unknown error", (int)e);
}

static int open_stream(charls_jpegls_decoder *dec, const uint8_t *src, size_t srclen,
                       dc_jpegls_info *info, dc_error *err)
{
    charls_jpegls_errc e;
    charls_frame_info fi = {0, 0, 0, 0};
    charls_interleave_mode ilv = CHARLS_INTERLEAVE_MODE_NONE;
    int32_t near_lossless = 0;

    if (src == NULL || srclen == 0)
        return dc_fail(err, DC_ERR_TRUNCATED, "no JPEG-LS data (0 bytes)");
    if ((e = charls_jpegls_decoder_set_source_buffer(dec, src, srclen)) != 0)
        return charls_fail(err, e, 0, "reading the header");
    if ((e = charls_jpegls_decoder_read_header(dec)) != 0)
        return charls_fail(err, e, 0, "reading the header");
    if ((e = charls_jpegls_decoder_get_frame_info(dec, &fi)) != 0)
        return charls_fail(err, e, 0, "reading the frame header");
    if ((e = charls_jpegls_decoder_get_interleave_mode(dec, &ilv)) != 0)
        return charls_fail(err, e, 0, "reading the scan header");
    if ((e = charls_jpegls_decoder_get_near_lossless(dec, 0, &near_lossless)) != 0)
        return charls_fail(err, e, 0, "reading the scan header");
    if (fi.bits_per_sample < 2 || fi.bits_per_sample > 16 || fi.component_count < 1)
        return dc_fail(err, DC_ERR_CORRUPT, "JPEG-LS frame header: precision %d, %d components",
                       (int)fi.bits_per_sample, (int)fi.component_count);
    info->width = fi.width;
    info->height = fi.height;
    info->components = (uint32_t)fi.component_count;
    info->bits_per_sample = (uint32_t)fi.bits_per_sample;
    info->near_lossless = near_lossless < 0 ? 0 : (uint32_t)near_lossless;
    info->interleave_mode = (uint32_t)ilv;
    return DC_OK;
}

int dc_jpegls_read_header(const uint8_t *src, size_t srclen, dc_jpegls_info *info,
                          dc_error *err)
{
    charls_jpegls_decoder *dec = charls_jpegls_decoder_create();
    if (dec == NULL)
        return dc_fail(err, DC_ERR_NOMEM, "cannot create a CharLS decoder");
    int rc = open_stream(dec, src, srclen, info, err);
    charls_jpegls_decoder_destroy(dec);
    return rc;
}

/* Copies n pixels of spp samples from one layout/width to another: s_planar
 * says whether src holds planes (else interleaved pixels), sbps/dbps are
 * bytes per sample (1 or 2; 2 -> 1 never happens: it would lose bits). */
static void relayout(const uint8_t *src, int s_planar, size_t sbps, uint8_t *dst, int d_planar,
                     size_t dbps, size_t npix, size_t spp)
{
    for (size_t c = 0; c < spp; c++) {
        size_t si = s_planar ? c * npix : c, sstep = s_planar ? 1 : spp;
        size_t di = d_planar ? c * npix : c, dstep = d_planar ? 1 : spp;
        if (sbps == 1 && dbps == 1) {
            for (size_t i = 0; i < npix; i++, si += sstep, di += dstep) dst[di] = src[si];
        } else if (sbps == 1) {
            uint16_t *d = (uint16_t *)dst;
            for (size_t i = 0; i < npix; i++, si += sstep, di += dstep) d[di] = src[si];
        } else {
            const uint16_t *s = (const uint16_t *)src;
            uint16_t *d = (uint16_t *)dst;
            for (size_t i = 0; i < npix; i++, si += sstep, di += dstep) d[di] = s[si];
        }
    }
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

/* The end of a scan's entropy-coded data that starts at i: the next marker,
 * an 0xFF followed by a byte with its high bit set (a lower one is stuffing)
 * other than a restart marker. Returns n when the data runs to the end. */
static size_t scan_end(const uint8_t *s, size_t n, size_t i)
{
    while (i < n) {
        const uint8_t *ff = memchr(s + i, 0xFF, n - i);
        if (ff == NULL) return n;
        i = (size_t)(ff - s);
        if (i + 1 >= n) return n;
        uint8_t m = s[i + 1];
        if (m >= 0x80 && !(m >= 0xD0 && m <= 0xD7)) return i;
        i += 2;
    }
    return n;
}

/* Walks the marker segments and checks what CharLS 2.4.1 trusts without
 * checking, and writes outside the destination when it is wrong: every scan
 * has the first scan's interleave mode, a scan of mode none codes one
 * component and one of line or sample mode all of them, and each component
 * of the frame header is coded by exactly one scan. Segments it cannot parse
 * are left to CharLS, which fails on them. */
static int check_scans(const uint8_t *s, size_t n, int added_eoi, dc_error *err)
{
    uint8_t ids[255];
    uint8_t coded[256];
    int ncomp = -1, first_ilv = -1, ncoded = 0, scans = 0;
    size_t i = 0;
    memset(coded, 0, sizeof coded);
    while (i + 1 < n) {
        if (s[i] != 0xFF) return DC_OK;          /* CharLS reports the damage */
        while (i + 1 < n && s[i + 1] == 0xFF) i++;  /* fill bytes */
        if (i + 1 >= n) return DC_OK;
        uint8_t m = s[i + 1];
        if (m == 0xD8 || (m >= 0xD0 && m <= 0xD7)) { i += 2; continue; }
        if (m == 0xD9) break;
        if (i + 4 > n) return DC_OK;
        size_t len = (size_t)s[i + 2] << 8 | s[i + 3];
        if (len < 2 || len > n - i - 2) return DC_OK;
        const uint8_t *seg = s + i + 4;
        size_t seglen = len - 2;
        i += 2 + len;
        if (m == 0xF7 && seglen >= 6) {          /* SOF55 */
            ncomp = seg[5];
            for (int k = 0; k < ncomp; k++) {
                if ((size_t)6 + 3u * (size_t)k >= seglen) return DC_OK;
                ids[k] = seg[6 + 3 * k];
            }
        } else if (m == 0xDA && seglen >= 1) {   /* SOS */
            size_t ns = seg[0];
            if (seglen < 1 + 2 * ns + 3) return DC_OK;
            int ilv = seg[2 + 2 * ns];
            scans++;
            if (ncomp < 0)
                return dc_fail(err, DC_ERR_CORRUPT, "JPEG-LS scan %d comes before the frame "
                               "header", scans);
            if (first_ilv < 0) first_ilv = ilv;
            if (ilv > 2)
                return dc_fail(err, DC_ERR_CORRUPT, "JPEG-LS scan %d has interleave mode %d",
                               scans, ilv);
            if (ilv != first_ilv)
                return dc_fail(err, DC_ERR_UNSUPPORTED, "JPEG-LS scan %d has interleave mode "
                               "%d, the first scan %d", scans, ilv, first_ilv);
            if (ilv == 0 ? ns != 1 : (int)ns != ncomp)
                return dc_fail(err, DC_ERR_UNSUPPORTED, "JPEG-LS scan %d codes %zu of %d "
                               "components with interleave mode %d", scans, ns, ncomp, ilv);
            for (size_t k = 0; k < ns; k++) {
                uint8_t c = seg[1 + 2 * k];
                int known = 0;
                for (int j = 0; j < ncomp; j++) known |= ids[j] == c;
                if (!known || coded[c])
                    return dc_fail(err, DC_ERR_CORRUPT, "JPEG-LS scan %d codes component %u, "
                                   "which the frame header %s", scans, (unsigned)c,
                                   known ? "lists once, a second time" : "does not list");
                coded[c] = 1;
                ncoded++;
            }
            i = scan_end(s, n, i);
        }
    }
    if (ncomp >= 0 && i + 1 < n && ncoded != ncomp) {
        if (added_eoi)
            return dc_fail(err, DC_ERR_TRUNCATED, "the JPEG-LS stream ends without an EOI "
                           "marker after scans of %d of %d components: it was probably cut "
                           "short", ncoded, ncomp);
        return dc_fail(err, DC_ERR_CORRUPT, "the JPEG-LS scans code %d of %d components",
                       ncoded, ncomp);
    }
    return DC_OK;
}

/* A failure while decoding scan data; a stream that lacked its EOI was most
 * likely cut short, which says more than CharLS's structural error. */
static int decode_fail(dc_error *err, charls_jpegls_errc e, int added_eoi)
{
    if (!added_eoi || map_errc(e, 0) != DC_ERR_CORRUPT) return charls_fail(err, e, 0, "decoding");
    const char *msg = charls_get_error_message(e);
    return dc_fail(err, DC_ERR_TRUNCATED, "CharLS decoding: %s (error %d); the stream does not "
                   "end with an EOI marker, it was probably cut short", msg ? msg : "", (int)e);
}

static int decode_with(charls_jpegls_decoder *dec, const uint8_t *src, size_t srclen,
                       uint8_t *dst, size_t dstlen, const dc_frame *f, int added_eoi,
                       dc_error *err)
{
    dc_jpegls_info info = {0, 0, 0, 0, 0, 0};
    int rc = check_frame(f, err);
    if (rc != DC_OK) return rc;
    if ((rc = open_stream(dec, src, srclen, &info, err)) != DC_OK) return rc;
    if ((rc = check_scans(src, srclen, added_eoi, err)) != DC_OK) return rc;

    if (info.width != f->columns || info.height != f->rows)
        return dc_fail(err, DC_ERR_MISMATCH,
                       "the JPEG-LS frame is %u columns x %u rows, the dataset says %u x %u",
                       (unsigned)info.width, (unsigned)info.height, (unsigned)f->columns,
                       (unsigned)f->rows);
    if (info.components != f->samples_per_pixel)
        return dc_fail(err, DC_ERR_MISMATCH,
                       "the JPEG-LS frame has %u components, Samples per Pixel is %u",
                       (unsigned)info.components, (unsigned)f->samples_per_pixel);
    if (info.bits_per_sample > f->bits_allocated)
        return dc_fail(err, DC_ERR_MISMATCH,
                       "the JPEG-LS precision is %u bits, more than Bits Allocated %u",
                       (unsigned)info.bits_per_sample, (unsigned)f->bits_allocated);

    size_t need = dc_frame_size(f);
    if (dstlen < need)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL,
                       "output holds %zu bytes, the frame needs %zu", dstlen, need);

    const size_t spp = f->samples_per_pixel;
    const size_t npix = (size_t)f->rows * f->columns;
    const size_t nsamples = npix * spp;
    const size_t dbps = f->bits_allocated / 8;
    const size_t sbps = info.bits_per_sample > 8 ? 2 : 1;
    const int s_planar = spp > 1 && info.interleave_mode == CHARLS_INTERLEAVE_MODE_NONE;
    const int d_planar = spp > 1 && f->planar_configuration == 1;
    const size_t slen = nsamples * sbps;
    charls_jpegls_errc e;

    if (s_planar == d_planar || spp == 1) {
        /* Same layout: CharLS writes into dst; narrower samples land in the
         * upper half and are widened front to back, which never overwrites
         * a byte not yet read (sample i is read from n+i, written to 2i). */
        uint8_t *out = sbps == dbps ? dst : dst + nsamples;
        if ((e = charls_jpegls_decoder_decode_to_buffer(dec, out, slen, 0)) != 0)
            return decode_fail(err, e, added_eoi);
        if (sbps != dbps) {
            uint16_t *d = (uint16_t *)dst;
            for (size_t i = 0; i < nsamples; i++) d[i] = out[i];
        }
    } else {
        uint8_t *scratch = malloc(slen);
        if (scratch == NULL)
            return dc_fail(err, DC_ERR_NOMEM, "no memory for a %zu-byte scratch frame", slen);
        e = charls_jpegls_decoder_decode_to_buffer(dec, scratch, slen, 0);
        if (e == 0) relayout(scratch, s_planar, sbps, dst, d_planar, dbps, npix, spp);
        free(scratch);
        if (e != 0) return decode_fail(err, e, added_eoi);
    }
    if (f->pixel_representation == 1)
        sign_extend(dst, nsamples, dbps, info.bits_per_sample);
    return DC_OK;
}

/* Whether the stream ends with EOI, allowing the zero byte that pads odd
 * lengths in DICOM. */
static int ends_with_eoi(const uint8_t *src, size_t n)
{
    while (n > 0 && src[n - 1] == 0x00) n--;
    return n >= 2 && src[n - 2] == 0xFF && src[n - 1] == 0xD9;
}

int dc_jpegls_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                     const dc_frame *f, dc_error *err)
{
    /* CharLS 2.4.1 reading scan data that runs into the end of the buffer,
     * not into a marker (a truncated frame, a damaged EOI), spins through
     * some 2^32 bit reads (seconds) before it fails. Ending such a stream
     * with EOI makes it fail at once; complete streams are used as they are. */
    uint8_t *terminated = NULL;
    if (src != NULL && srclen > 0 && !ends_with_eoi(src, srclen)) {
        if (srclen > SIZE_MAX - 2 || (terminated = malloc(srclen + 2)) == NULL)
            return dc_fail(err, DC_ERR_NOMEM, "no memory for a %zu-byte copy of the stream",
                           srclen);
        memcpy(terminated, src, srclen);
        terminated[srclen] = 0xFF;
        terminated[srclen + 1] = 0xD9;
        src = terminated;
        srclen += 2;
    }
    charls_jpegls_decoder *dec = charls_jpegls_decoder_create();
    int rc = dec == NULL ? dc_fail(err, DC_ERR_NOMEM, "cannot create a CharLS decoder")
                         : decode_with(dec, src, srclen, dst, dstlen, f, terminated != NULL, err);
    charls_jpegls_decoder_destroy(dec);
    free(terminated);
    return rc;
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
     * never costs more than LIMIT = 2 * (P + max(8, P)) bits, at most 4x. */
    if (worst) {
        if (n > (SIZE_MAX - 4096) / 4) return 0;
        return 4 * n + 4096;
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

/* Checks every sample against r and, when dst is not NULL, writes it masked
 * to bits_stored bits in the scan's layout (d_planar) and width (dbps). */
static int check_copy(const uint8_t *src, const dc_frame *f, const sample_rule *r,
                      uint8_t *dst, int d_planar, size_t dbps, dc_error *err)
{
    const size_t spp = f->samples_per_pixel;
    const size_t npix = (size_t)f->rows * f->columns;
    const size_t n = npix * spp;
    const size_t sbps = f->bits_allocated / 8;
    const int s_planar = spp > 1 && f->planar_configuration == 1;
    for (size_t i = 0; i < n; i++) {
        int64_t v;
        if (sbps == 1) v = r->is_signed ? (int64_t)(int8_t)src[i] : (int64_t)src[i];
        else {
            uint16_t u;
            memcpy(&u, src + 2 * i, 2);
            v = r->is_signed ? (int64_t)(int16_t)u : (int64_t)u;
        }
        if (v < r->lo || v > r->hi) return bad_sample(err, f, r, i, v);
        if (dst != NULL) {
            size_t c, p;
            if (s_planar) { c = i / npix; p = i % npix; }
            else { c = i % spp; p = i / spp; }
            size_t o = d_planar ? c * npix + p : p * spp + c;
            uint32_t m = (uint32_t)v & r->mask;
            if (dbps == 1) dst[o] = (uint8_t)m;
            else { uint16_t w = (uint16_t)m; memcpy(dst + 2 * o, &w, 2); }
        }
    }
    return DC_OK;
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
    const size_t cbps = bs > 8 ? 2 : 1;
    const int s_planar = spp > 1 && f->planar_configuration == 1;
    const int c_planar = spp > 1 && ilv == 0;
    const size_t nsamples = (size_t)f->rows * f->columns * spp;
    const int container_range = r.lo <= (r.is_signed ? -((int64_t)1 << (8 * sbps - 1)) : 0) &&
                                r.hi >= (r.is_signed ? ((int64_t)1 << (8 * sbps - 1)) - 1
                                                     : ((int64_t)1 << (8 * sbps)) - 1);
    int copy = sbps != cbps || (spp > 1 && s_planar != c_planar) ||
               (r.is_signed && bs < 8 * sbps);
    uint8_t *scratch = NULL;
    const uint8_t *in = src;
    if (copy) {
        scratch = malloc(nsamples * cbps);
        if (scratch == NULL)
            return dc_fail(err, DC_ERR_NOMEM, "no memory for a %zu-byte scratch frame",
                           nsamples * cbps);
        if ((rc = check_copy(src, f, &r, scratch, c_planar, cbps, err)) != DC_OK) {
            free(scratch);
            return rc;
        }
        in = scratch;
    } else if (!container_range) {
        if ((rc = check_copy(src, f, &r, NULL, 0, 0, err)) != DC_OK) return rc;
    }

    charls_jpegls_encoder *enc = charls_jpegls_encoder_create();
    if (enc == NULL) {
        free(scratch);
        return dc_fail(err, DC_ERR_NOMEM, "cannot create a CharLS encoder");
    }
    charls_frame_info fi = {f->columns, f->rows, (int32_t)bs, (int32_t)spp};
    charls_jpegls_errc e;
    const char *stage = "setting up the encoder";
    if ((e = charls_jpegls_encoder_set_frame_info(enc, &fi)) != 0) goto fail;
    if ((e = charls_jpegls_encoder_set_near_lossless(enc, p->near_lossless)) != 0) goto fail;
    if ((e = charls_jpegls_encoder_set_interleave_mode(enc, (charls_interleave_mode)ilv)) != 0)
        goto fail;
    /* Even length, as DICOM fragments must be, by an 0xFF fill byte before
     * EOI (DCMTK's default "+ps") rather than a trailing zero. */
    const charls_encoding_options options = (charls_encoding_options)(
        CHARLS_ENCODING_OPTIONS_EVEN_DESTINATION_SIZE |
        CHARLS_ENCODING_OPTIONS_INCLUDE_PC_PARAMETERS_JAI);
    if ((e = charls_jpegls_encoder_set_encoding_options(enc, options)) != 0) goto fail;
    if (p->maxval || p->t1 || p->t2 || p->t3 || p->reset) {
        charls_jpegls_pc_parameters pc = {p->maxval, p->t1, p->t2, p->t3, p->reset};
        stage = "setting the preset coding parameters";
        if ((e = charls_jpegls_encoder_set_preset_coding_parameters(enc, &pc)) != 0) goto fail;
    }
    stage = "encoding";
    if ((e = charls_jpegls_encoder_set_destination_buffer(enc, dst, dstcap)) != 0) goto fail;
    if ((e = charls_jpegls_encoder_encode_from_buffer(enc, in, nsamples * cbps, 0)) != 0)
        goto fail;
    if ((e = charls_jpegls_encoder_get_bytes_written(enc, dstlen)) != 0) goto fail;
    charls_jpegls_encoder_destroy(enc);
    free(scratch);
    return DC_OK;

fail:
    charls_jpegls_encoder_destroy(enc);
    free(scratch);
    return charls_fail(err, e, 1, stage);
}
