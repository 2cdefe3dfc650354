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

/* Points rows[] at the next batch of rows of an interleaved frame, from row
 * y of h; returns how many. (libjpeg only reads through them when encoding.) */
static JDIMENSION batch_rows(JSAMPROW *rows, const uint8_t *frame, size_t stride, JDIMENSION y,
                             JDIMENSION h)
{
    JDIMENSION n = h - y;
    if (n > DC_TURBO_BATCH) n = DC_TURBO_BATCH;
    for (JDIMENSION i = 0; i < n; i++) rows[i] = (JSAMPROW)(uintptr_t)(frame + (size_t)(y + i) * stride);
    return n;
}

/* Row y between a planar frame and one interleaved line: into the frame
 * when decoding (to_frame), out of it when encoding. */
static void planar_row(uint8_t *frame, uint8_t *line, const dc_frame *f, JDIMENSION y, int to_frame)
{
    const uint32_t spp = f->samples_per_pixel;
    const size_t plane = (size_t)f->rows * f->columns;
    for (uint32_t c = 0; c < spp; c++) {
        uint8_t *p = frame + c * plane + (size_t)y * f->columns;
        if (to_frame)
            for (uint32_t x = 0; x < f->columns; x++) p[x] = line[(size_t)x * spp + c];
        else
            for (uint32_t x = 0; x < f->columns; x++) line[(size_t)x * spp + c] = p[x];
    }
}

/* The frame's rows from (decoding) or to (encoding) libjpeg: batches of row
 * pointers into an interleaved frame, one line at a time for a planar one.
 * `row` is libjpeg's row counter (output_scanline or next_scanline), h the
 * number of rows. Fails only when libjpeg stops early, which only a
 * suspending source or destination does, and ours never suspend. Errors
 * inside libjpeg longjmp to the caller's setjmp. */
static int pass_rows(j_common_ptr c, const JDIMENSION *row, JDIMENSION h, uint8_t *frame,
                     const dc_frame *f, int decoding, dc_error *err)
{
    JSAMPROW rows[DC_TURBO_BATCH];
    const size_t stride = (size_t)f->columns * f->samples_per_pixel;
    const int planar = f->planar_configuration != 0 && f->samples_per_pixel > 1;
    JSAMPARRAY line = planar ? (*c->mem->alloc_sarray)(c, JPOOL_IMAGE, (JDIMENSION)stride, 1) : NULL;
    while (*row < h) {
        const JDIMENSION y = *row;
        JDIMENSION n = 1;
        if (planar) {
            rows[0] = line[0];
            if (!decoding) planar_row(frame, line[0], f, y, 0);
        } else {
            n = batch_rows(rows, frame, stride, y, h);
        }
        n = decoding ? jpeg_read_scanlines((j_decompress_ptr)c, rows, n)
                     : jpeg_write_scanlines((j_compress_ptr)c, rows, n);
        if (n == 0) break;
        if (planar && decoding) planar_row(frame, line[0], f, y, 1);
    }
    if (*row < h)
        return dc_fail(err, DC_ERR_ENGINE, "libjpeg-turbo stopped at row %u of %u", (unsigned)*row,
                       (unsigned)h);
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

/* The image after jpeg_read_header, decoded into dst as f describes it.
 * The caller destroys cinfo, also after a longjmp. */
static int decode_image(struct jpeg_decompress_struct *cinfo, turbo_err *jerr, uint8_t *dst,
                        const dc_frame *f, unsigned flags, dc_error *err)
{
    const uint32_t spp = f->samples_per_pixel;
    if (cinfo->image_width != f->columns || cinfo->image_height != f->rows ||
        (uint32_t)cinfo->num_components != spp)
        return dc_fail(err, DC_ERR_MISMATCH,
                       "the JPEG stream is %ux%u with %d component(s), the dataset says %ux%u with %u",
                       (unsigned)cinfo->image_width, (unsigned)cinfo->image_height,
                       cinfo->num_components, (unsigned)f->columns, (unsigned)f->rows, (unsigned)spp);
    if (cinfo->data_precision != 8)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "libjpeg-turbo decodes 8-bit JPEG, this is %d-bit",
                       cinfo->data_precision);

    if (spp == 3) {
        if (flags & DC_TURBO_FLAG_STORED_RGB)
            cinfo->jpeg_color_space = JCS_RGB;
        else if (flags & DC_TURBO_FLAG_STORED_YBR)
            cinfo->jpeg_color_space = JCS_YCbCr;
        cinfo->out_color_space = (flags & DC_TURBO_FLAG_TO_RGB) ? JCS_RGB : cinfo->jpeg_color_space;
    } else if (spp == 1) {
        cinfo->out_color_space = JCS_GRAYSCALE;
    } else {
        cinfo->out_color_space = cinfo->jpeg_color_space; /* CMYK, YCCK, unknown: as coded */
    }
    cinfo->dct_method = (flags & DC_TURBO_FLAG_FAST_IDCT) ? JDCT_IFAST : JDCT_ISLOW;
    jpeg_start_decompress(cinfo);
    if (cinfo->output_width != f->columns || cinfo->output_height != f->rows ||
        (uint32_t)cinfo->output_components != spp)
        return dc_fail(err, DC_ERR_MISMATCH, "libjpeg-turbo would output %ux%u with %d component(s)",
                       (unsigned)cinfo->output_width, (unsigned)cinfo->output_height,
                       cinfo->output_components);
    int rc = pass_rows((j_common_ptr)cinfo, &cinfo->output_scanline, cinfo->output_height, dst, f,
                       1, err);
    if (rc != DC_OK) return rc;
    jerr->finishing = 1;
    jpeg_finish_decompress(cinfo);
    return DC_OK;
}

/* Reads the header of the JPEG in src; then, given a frame f, decodes it
 * into dst, or else describes it in *info. The one setjmp of decoding. */
static int decompress(const uint8_t *src, size_t srclen, dc_turbo_info *info, uint8_t *dst,
                      const dc_frame *f, unsigned flags, dc_error *err)
{
    struct jpeg_decompress_struct cinfo;
    turbo_err jerr;
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
    int rc = DC_OK;
    if (f)
        rc = decode_image(&cinfo, &jerr, dst, f, flags, err);
    else
        fill_info(&cinfo, info);
    jpeg_destroy_decompress(&cinfo);
    return rc;
}

int dc_turbo_read_header(const uint8_t *src, size_t srclen, dc_turbo_info *info,
                         dc_error *err)
{
    if (info == NULL) return dc_fail(err, DC_ERR_INVALID_ARG, "no info struct");
    return decompress(src, srclen, info, NULL, NULL, 0, err);
}

int dc_turbo_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                    const dc_frame *f, unsigned flags, dc_error *err)
{
    int st = check_frame(f, err, "decodes");
    if (st != DC_OK) return st;
    size_t need = dc_frame_size(f);
    if (need == 0) return dc_fail(err, DC_ERR_INVALID_ARG, "frame size overflows");
    if (dst == NULL || dstlen < need)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "output holds %zu bytes, the frame needs %zu",
                       dst ? dstlen : 0, need);
    return decompress(src, srclen, NULL, dst, f, flags, err);
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

    /* pass_rows only reads the frame when encoding */
    int rc = pass_rows((j_common_ptr)&cinfo, &cinfo.next_scanline, cinfo.image_height,
                       (uint8_t *)(uintptr_t)src, f, 0, err);
    if (rc != DC_OK) {
        jpeg_destroy_compress(&cinfo);
        return rc;
    }
    jpeg_finish_compress(&cinfo);
    *dstlen = dest.cap - dest.pub.free_in_buffer;
    jpeg_destroy_compress(&cinfo);
    return DC_OK;
}
