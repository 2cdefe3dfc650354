/* dc_turbo.c: libjpeg-turbo glue for 8-bit JPEG (DICOM .4.50, and 8-bit
 * streams under .4.51). See dc_turbo.h for the contract.
 *
 * Error handling follows TurboJPEG's pattern: each public function owns one
 * jmp_buf in its error manager; libjpeg's error_exit (and, when the caller is
 * strict, emit_message for corrupt-data warnings) format the message into the
 * caller's dc_error and longjmp back to that function, which destroys the
 * libjpeg object and returns the status. Everything libjpeg allocates lives
 * in its own pools, so a longjmp leaks nothing. */
#include "dc_turbo.h"

#include <limits.h>
#include <setjmp.h>
#include <stdio.h> /* jpeglib.h needs FILE */
#include <string.h>

#include <jpeglib.h>
/* after jpeglib.h: which messages exist depends on jconfig.h */
#include <jerror.h>

/* Rows handed to jpeg_read_scanlines per call: libjpeg-turbo returns at most
 * rec_outbuf_height (1, 2 or 4) at a time, more pointers cost nothing. */
#define DC_TURBO_BATCH 16

typedef struct turbo_err {
    struct jpeg_error_mgr pub;
    jmp_buf jb;
    dc_error *err;
    unsigned flags;
    int decoding;
    int finishing;  /* in jpeg_finish_decompress: all rows are out */
    int overflow;   /* the destination buffer is full */
    int status;
} turbo_err;

static int status_of_error(const turbo_err *e, int code)
{
    if (e->overflow) return DC_ERR_OUTPUT_TOO_SMALL;
    switch (code) {
    case JERR_OUT_OF_MEMORY:
        return DC_ERR_NOMEM;
    case JERR_INPUT_EMPTY:
    case JERR_INPUT_EOF:
        return DC_ERR_TRUNCATED;
    case JERR_SOF_UNSUPPORTED:
    case JERR_BAD_PRECISION:
    case JERR_NOT_COMPILED:
    case JERR_ARITH_NOTIMPL:
    case JERR_CONVERSION_NOTIMPL:
        return DC_ERR_UNSUPPORTED;
    default:
        return e->decoding ? DC_ERR_CORRUPT : DC_ERR_ENGINE;
    }
}

static void turbo_error_exit(j_common_ptr c)
{
    turbo_err *e = (turbo_err *)c->err;
    char buf[JMSG_LENGTH_MAX];
    c->err->format_message(c, buf);
    int st = status_of_error(e, c->err->msg_code);
    dc_fail(e->err, st, "libjpeg-turbo: %s", buf);
    e->status = st;
    longjmp(e->jb, 1);
}

/* Warnings: libjpeg carries on after corrupt or missing entropy-coded data
 * (zero-filling); a strict caller wants an error instead. */
static void turbo_emit_message(j_common_ptr c, int level)
{
    turbo_err *e = (turbo_err *)c->err;
    if (level >= 0) return; /* trace messages */
    c->err->num_warnings++;
    int st;
    switch (c->err->msg_code) {
    case JWRN_HIT_MARKER:
        /* The entropy decoder needed bits that are not there. (The source
         * manager's JWRN_JPEG_EOF alone is harmless: the Huffman decoder
         * reads ahead, so a stream without EOI raises it too.) */
        if (e->finishing) return;
        st = DC_ERR_TRUNCATED;
        break;
    case JWRN_HUFF_BAD_CODE:
#if defined(D_ARITH_CODING_SUPPORTED) || defined(C_ARITH_CODING_SUPPORTED)
    case JWRN_ARITH_BAD_CODE:
#endif
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
    case JWRN_BOGUS_PROGRESSION:
        st = DC_ERR_CORRUPT;
        break;
    default:
        return; /* extraneous bytes, unknown Adobe/JFIF versions, bad ICC */
    }
    if (e->flags & DC_TURBO_FLAG_ALLOW_TRUNCATED) return;
    char buf[JMSG_LENGTH_MAX];
    c->err->format_message(c, buf);
    dc_fail(e->err, st, "libjpeg-turbo: %s", buf);
    e->status = st;
    longjmp(e->jb, 1);
}

static void turbo_output_message(j_common_ptr c)
{
    (void)c; /* never print */
}

static struct jpeg_error_mgr *init_err(turbo_err *e, dc_error *err, unsigned flags,
                                       int decoding)
{
    memset(e, 0, sizeof *e);
    jpeg_std_error(&e->pub);
    e->pub.error_exit = turbo_error_exit;
    e->pub.emit_message = turbo_emit_message;
    e->pub.output_message = turbo_output_message;
    e->err = err;
    e->flags = flags;
    e->decoding = decoding;
    e->status = DC_ERR_ENGINE;
    return &e->pub;
}

int dc_turbo_version(void)
{
#ifdef LIBJPEG_TURBO_VERSION_NUMBER
    return LIBJPEG_TURBO_VERSION_NUMBER;
#else
    return 0;
#endif
}

static void fill_info(const struct jpeg_decompress_struct *c, dc_turbo_info *info)
{
    memset(info, 0, sizeof *info);
    info->rows = c->image_height;
    info->columns = c->image_width;
    info->components = (uint32_t)c->num_components;
    info->precision = (uint32_t)c->data_precision;
    info->color_space = (int)c->jpeg_color_space;
    info->progressive = c->progressive_mode ? 1 : 0;
    info->arithmetic = c->arith_code ? 1 : 0;
    info->has_jfif = c->saw_JFIF_marker ? 1 : 0;
    info->has_adobe = c->saw_Adobe_marker ? 1 : 0;
    info->adobe_transform = c->saw_Adobe_marker ? c->Adobe_transform : -1;
}

int dc_turbo_read_header(const uint8_t *src, size_t srclen, dc_turbo_info *info,
                         dc_error *err)
{
    struct jpeg_decompress_struct cinfo;
    turbo_err jerr;
    if (info == NULL) return dc_fail(err, DC_ERR_INVALID_ARG, "no info struct");
    if (src == NULL || srclen == 0) return dc_fail(err, DC_ERR_TRUNCATED, "no JPEG data");
    if (srclen > ULONG_MAX) return dc_fail(err, DC_ERR_UNSUPPORTED, "JPEG data too large");
    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = init_err(&jerr, err, 0, 1);
    if (setjmp(jerr.jb)) {
        jpeg_destroy_decompress(&cinfo);
        return jerr.status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, src, (unsigned long)srclen);
    jpeg_read_header(&cinfo, TRUE);
    fill_info(&cinfo, info);
    jpeg_destroy_decompress(&cinfo);
    return DC_OK;
}

static int check_frame(const dc_frame *f, dc_error *err, const char *what)
{
    if (f == NULL) return dc_fail(err, DC_ERR_INVALID_ARG, "no frame descriptor");
    if (f->bits_allocated != 8)
        return dc_fail(err, DC_ERR_UNSUPPORTED,
                       "libjpeg-turbo %s 8-bit samples only, not Bits Allocated %u", what,
                       (unsigned)f->bits_allocated);
    if (f->samples_per_pixel < 1 || f->samples_per_pixel > 4)
        return dc_fail(err, DC_ERR_INVALID_ARG, "%u samples per pixel",
                       (unsigned)f->samples_per_pixel);
    if (f->planar_configuration > 1)
        return dc_fail(err, DC_ERR_INVALID_ARG, "planar configuration %u",
                       (unsigned)f->planar_configuration);
    if (f->rows == 0 || f->columns == 0 || f->rows > JPEG_MAX_DIMENSION ||
        f->columns > JPEG_MAX_DIMENSION)
        return dc_fail(err, DC_ERR_INVALID_ARG, "%ux%u is not a JPEG image size (1..%ld)",
                       (unsigned)f->columns, (unsigned)f->rows, (long)JPEG_MAX_DIMENSION);
    return DC_OK;
}

int dc_turbo_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                    const dc_frame *f, unsigned flags, dc_error *err)
{
    struct jpeg_decompress_struct cinfo;
    turbo_err jerr;
    JSAMPROW rows[DC_TURBO_BATCH];
    int st = check_frame(f, err, "decodes");
    if (st != DC_OK) return st;
    size_t need = dc_frame_size(f);
    if (need == 0) return dc_fail(err, DC_ERR_INVALID_ARG, "frame size overflows");
    if (dst == NULL || dstlen < need)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "output holds %zu bytes, the frame needs %zu",
                       dst ? dstlen : 0, need);
    if (src == NULL || srclen == 0) return dc_fail(err, DC_ERR_TRUNCATED, "no JPEG data");
    if (srclen > ULONG_MAX) return dc_fail(err, DC_ERR_UNSUPPORTED, "JPEG data too large");

    memset(&cinfo, 0, sizeof cinfo);
    cinfo.err = init_err(&jerr, err, flags, 1);
    if (setjmp(jerr.jb)) {
        jpeg_destroy_decompress(&cinfo);
        return jerr.status;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, src, (unsigned long)srclen);
    jpeg_read_header(&cinfo, TRUE);

    const uint32_t spp = f->samples_per_pixel;
    if (cinfo.image_width != f->columns || cinfo.image_height != f->rows ||
        (uint32_t)cinfo.num_components != spp) {
        dc_fail(err, DC_ERR_MISMATCH,
                "the JPEG stream is %ux%u with %d component(s), the dataset says %ux%u with %u",
                (unsigned)cinfo.image_width, (unsigned)cinfo.image_height, cinfo.num_components,
                (unsigned)f->columns, (unsigned)f->rows, (unsigned)spp);
        jpeg_destroy_decompress(&cinfo);
        return DC_ERR_MISMATCH;
    }
    if (cinfo.data_precision != 8) {
        dc_fail(err, DC_ERR_UNSUPPORTED, "libjpeg-turbo decodes 8-bit JPEG, this is %d-bit",
                cinfo.data_precision);
        jpeg_destroy_decompress(&cinfo);
        return DC_ERR_UNSUPPORTED;
    }

    if (spp == 3) {
        if (flags & DC_TURBO_FLAG_STORED_RGB)
            cinfo.jpeg_color_space = JCS_RGB;
        else if (flags & DC_TURBO_FLAG_STORED_YBR)
            cinfo.jpeg_color_space = JCS_YCbCr;
        cinfo.out_color_space = (flags & DC_TURBO_FLAG_TO_RGB) ? JCS_RGB : cinfo.jpeg_color_space;
    } else if (spp == 1) {
        cinfo.out_color_space = JCS_GRAYSCALE;
    } else {
        cinfo.out_color_space = cinfo.jpeg_color_space; /* CMYK, YCCK, unknown: as coded */
    }
    cinfo.dct_method = (flags & DC_TURBO_FLAG_FAST_IDCT) ? JDCT_IFAST : JDCT_ISLOW;
    jpeg_start_decompress(&cinfo);
    if (cinfo.output_width != f->columns || cinfo.output_height != f->rows ||
        (uint32_t)cinfo.output_components != spp) {
        dc_fail(err, DC_ERR_MISMATCH, "libjpeg-turbo would output %ux%u with %d component(s)",
                (unsigned)cinfo.output_width, (unsigned)cinfo.output_height,
                cinfo.output_components);
        jpeg_destroy_decompress(&cinfo);
        return DC_ERR_MISMATCH;
    }

    const size_t stride = (size_t)f->columns * spp;
    if (f->planar_configuration == 0 || spp == 1) {
        while (cinfo.output_scanline < cinfo.output_height) {
            JDIMENSION y = cinfo.output_scanline;
            JDIMENSION n = cinfo.output_height - y;
            if (n > DC_TURBO_BATCH) n = DC_TURBO_BATCH;
            for (JDIMENSION i = 0; i < n; i++) rows[i] = dst + (size_t)(y + i) * stride;
            if (jpeg_read_scanlines(&cinfo, rows, n) == 0) break;
        }
    } else {
        JSAMPARRAY line = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE,
                                                     (JDIMENSION)stride, 1);
        const size_t plane = (size_t)f->rows * f->columns;
        while (cinfo.output_scanline < cinfo.output_height) {
            JDIMENSION y = cinfo.output_scanline;
            if (jpeg_read_scanlines(&cinfo, line, 1) != 1) break;
            const uint8_t *s = line[0];
            for (uint32_t c = 0; c < spp; c++) {
                uint8_t *d = dst + c * plane + (size_t)y * f->columns;
                for (uint32_t x = 0; x < f->columns; x++) d[x] = s[(size_t)x * spp + c];
            }
        }
    }
    if (cinfo.output_scanline < cinfo.output_height) {
        /* only a suspending source stops early; ours never suspends */
        dc_fail(err, DC_ERR_ENGINE, "libjpeg-turbo stopped at row %u of %u",
                (unsigned)cinfo.output_scanline, (unsigned)cinfo.output_height);
        jpeg_destroy_decompress(&cinfo);
        return DC_ERR_ENGINE;
    }
    jerr.finishing = 1;
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return DC_OK;
}

/* ------------------------------------------------------------------ encode */

typedef struct turbo_dest {
    struct jpeg_destination_mgr pub;
    uint8_t *buf;
    size_t cap;
} turbo_dest;

static void dest_init(j_compress_ptr c)
{
    turbo_dest *d = (turbo_dest *)c->dest;
    d->pub.next_output_byte = d->buf;
    d->pub.free_in_buffer = d->cap;
}

static boolean dest_empty(j_compress_ptr c)
{
    /* The buffer is the caller's and cannot grow: fail, the caller retries
     * with a bigger one. */
    turbo_err *e = (turbo_err *)c->err;
    e->overflow = 1;
    ERREXIT(c, JERR_BUFFER_SIZE);
    return FALSE;
}

static void dest_term(j_compress_ptr c)
{
    (void)c;
}

size_t dc_turbo_encode_bound(const dc_frame *f)
{
    if (check_frame(f, NULL, "encodes") != DC_OK) return 0;
    if (f->samples_per_pixel != 1 && f->samples_per_pixel != 3) return 0;
    /* TurboJPEG's worst case (tjBufSize) is 2 bytes per sample of the
     * MCU-padded image; restart markers and tables come on top. */
    uint64_t w = ((uint64_t)f->columns + 15) & ~(uint64_t)15;
    uint64_t h = ((uint64_t)f->rows + 15) & ~(uint64_t)15;
    uint64_t n = w * h * f->samples_per_pixel * 2 + (w * h / 64 + 1) * 2 + 4096;
    if (n > SIZE_MAX) return 0;
    return (size_t)n;
}

int dc_turbo_encode(const uint8_t *src, size_t srclen, const dc_frame *f,
                    const dc_turbo_params *p, uint8_t *dst, size_t dstcap,
                    size_t *dstlen, dc_error *err)
{
    struct jpeg_compress_struct cinfo;
    turbo_err jerr;
    turbo_dest dest;
    JSAMPROW rows[DC_TURBO_BATCH];
    int st = check_frame(f, err, "encodes");
    if (st != DC_OK) return st;
    if (p == NULL || dstlen == NULL) return dc_fail(err, DC_ERR_INVALID_ARG, "no parameters");
    *dstlen = 0;
    const uint32_t spp = f->samples_per_pixel;
    if (spp != 1 && spp != 3)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "JPEG baseline encodes 1 or 3 samples per pixel, not %u",
                       (unsigned)spp);
    if (f->pixel_representation != 0)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "JPEG baseline codes unsigned samples only");
    if (f->bits_stored < 1 || f->bits_stored > 8)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "JPEG baseline codes up to 8 bits, not %u",
                       (unsigned)f->bits_stored);
    if (p->quality < 1 || p->quality > 100)
        return dc_fail(err, DC_ERR_INVALID_ARG, "quality %d is not in 1..100", p->quality);
    if (p->restart_interval < 0 || p->restart_interval > 65535)
        return dc_fail(err, DC_ERR_INVALID_ARG, "restart interval %d is not in 0..65535",
                       p->restart_interval);
    const int ycc = spp == 3 && (p->color_transform || p->input_ybr);
    if (ycc && p->subsampling != 444 && p->subsampling != 422 && p->subsampling != 420)
        return dc_fail(err, DC_ERR_INVALID_ARG, "subsampling %d is not 444, 422 or 420",
                       p->subsampling);
    size_t need = dc_frame_size(f);
    if (need == 0) return dc_fail(err, DC_ERR_INVALID_ARG, "frame size overflows");
    if (src == NULL || srclen < need)
        return dc_fail(err, DC_ERR_INVALID_ARG, "input holds %zu bytes, the frame needs %zu",
                       src ? srclen : 0, need);
    if (dst == NULL || dstcap == 0)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "no output buffer");

    memset(&cinfo, 0, sizeof cinfo);
    memset(&dest, 0, sizeof dest);
    cinfo.err = init_err(&jerr, err, 0, 0);
    if (setjmp(jerr.jb)) {
        jpeg_destroy_compress(&cinfo);
        return jerr.status;
    }
    jpeg_create_compress(&cinfo);
    dest.pub.init_destination = dest_init;
    dest.pub.empty_output_buffer = dest_empty;
    dest.pub.term_destination = dest_term;
    dest.buf = dst;
    dest.cap = dstcap;
    cinfo.dest = &dest.pub;

    cinfo.image_width = f->columns;
    cinfo.image_height = f->rows;
    cinfo.input_components = (int)spp;
    if (spp == 1)
        cinfo.in_color_space = JCS_GRAYSCALE;
    else
        cinfo.in_color_space = p->input_ybr ? JCS_YCbCr : JCS_RGB;
    jpeg_set_defaults(&cinfo);
    if (spp == 3) {
        if (!ycc) {
            /* RGB coded as RGB: component IDs 'R','G','B', Adobe marker
             * with transform 0, no subsampling. */
            jpeg_set_colorspace(&cinfo, JCS_RGB);
        } else {
            jpeg_set_colorspace(&cinfo, JCS_YCbCr);
            cinfo.comp_info[0].h_samp_factor = p->subsampling == 444 ? 1 : 2;
            cinfo.comp_info[0].v_samp_factor = p->subsampling == 420 ? 2 : 1;
            for (int c = 1; c < 3; c++) {
                cinfo.comp_info[c].h_samp_factor = 1;
                cinfo.comp_info[c].v_samp_factor = 1;
            }
        }
    }
    jpeg_set_quality(&cinfo, p->quality, TRUE);
    cinfo.optimize_coding = p->optimize_huffman ? TRUE : FALSE;
    cinfo.restart_interval = (unsigned int)p->restart_interval;
    cinfo.dct_method = JDCT_ISLOW;
    if (p->progressive) jpeg_simple_progression(&cinfo);
    jpeg_start_compress(&cinfo, TRUE);

    const size_t stride = (size_t)f->columns * spp;
    if (f->planar_configuration == 0 || spp == 1) {
        while (cinfo.next_scanline < cinfo.image_height) {
            JDIMENSION y = cinfo.next_scanline;
            JDIMENSION n = cinfo.image_height - y;
            if (n > DC_TURBO_BATCH) n = DC_TURBO_BATCH;
            /* libjpeg only reads through these pointers */
            for (JDIMENSION i = 0; i < n; i++)
                rows[i] = (JSAMPROW)(uintptr_t)(src + (size_t)(y + i) * stride);
            if (jpeg_write_scanlines(&cinfo, rows, n) == 0) break;
        }
    } else {
        JSAMPARRAY line = (*cinfo.mem->alloc_sarray)((j_common_ptr)&cinfo, JPOOL_IMAGE,
                                                     (JDIMENSION)stride, 1);
        const size_t plane = (size_t)f->rows * f->columns;
        while (cinfo.next_scanline < cinfo.image_height) {
            JDIMENSION y = cinfo.next_scanline;
            uint8_t *d = line[0];
            for (uint32_t c = 0; c < spp; c++) {
                const uint8_t *s = src + c * plane + (size_t)y * f->columns;
                for (uint32_t x = 0; x < f->columns; x++) d[(size_t)x * spp + c] = s[x];
            }
            if (jpeg_write_scanlines(&cinfo, line, 1) != 1) break;
        }
    }
    if (cinfo.next_scanline < cinfo.image_height) {
        dc_fail(err, DC_ERR_ENGINE, "libjpeg-turbo stopped at row %u of %u",
                (unsigned)cinfo.next_scanline, (unsigned)cinfo.image_height);
        jpeg_destroy_compress(&cinfo);
        return DC_ERR_ENGINE;
    }
    jpeg_finish_compress(&cinfo);
    *dstlen = dest.cap - dest.pub.free_in_buffer;
    jpeg_destroy_compress(&cinfo);
    return DC_OK;
}
