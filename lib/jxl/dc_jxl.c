/* dc_jxl.c: the libjxl glue. Every call makes its own decoder or encoder
 * (and, when asked for threads, its own thread pool) and destroys it before
 * returning, so calls on different threads share nothing. libjxl is C++ but
 * its API is C and reports every failure as a status: no exception or
 * longjmp crosses this file.
 *
 * Bit depth: libjxl 0.7 moves integer samples through a float pipeline that
 * treats them as fractions of the *buffer type's* range (0..255 or 0..65535)
 * and stores them at the codestream's bits_per_sample. A 12-bit sample in a
 * 16-bit buffer therefore has to go in scaled up to 16 bits and comes out
 * scaled up again; both directions round, and since the scale factor is
 * greater than 1 the round trip is exact. Newer libjxl (0.8+) can be told
 * the buffer holds codestream values (JxlDecoderSetImageOutBitDepth,
 * JxlEncoderSetFrameBitDepth); we use that where it exists. */
#include "dc_jxl.h"

#include <jxl/decode.h>
#include <jxl/encode.h>
#include <jxl/thread_parallel_runner.h>
#include <jxl/version.h>
#include <string.h>

#if JPEGXL_NUMERIC_VERSION >= JPEGXL_COMPUTE_NUMERIC_VERSION(0, 8, 0)
#define DC_JXL_HAS_BIT_DEPTH 1
/* Our buffers hold codestream values, both ways (see the top). */
static const JxlBitDepth codestream_depth = {JXL_BIT_DEPTH_FROM_CODESTREAM, 0, 0};
#else
#define DC_JXL_HAS_BIT_DEPTH 0
#endif

uint32_t dc_jxl_version(void)
{
    return JxlDecoderVersion();
}

static int check_frame(const dc_frame *f, dc_error *err)
{
    if (f->bits_allocated != 8 && f->bits_allocated != 16)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "Bits Allocated %u: JPEG XL frames are 8 or 16",
                       f->bits_allocated);
    if (f->samples_per_pixel != 1 && f->samples_per_pixel != 3)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "%u samples per pixel: JPEG XL frames have 1 "
                       "or 3", f->samples_per_pixel);
    if (f->rows == 0 || f->columns == 0)
        return dc_fail(err, DC_ERR_INVALID_ARG, "empty frame");
    return DC_OK;
}

#if !DC_JXL_HAS_BIT_DEPTH
/* The largest value of `bits` bits. */
static uint32_t max_of(uint32_t bits)
{
    return bits >= 32u ? 0xFFFFFFFFu : (1u << bits) - 1u;
}

/* v * to / from, rounded half up, for the 0.7 pipeline (see the top). */
static void rescale(uint8_t *px, size_t n, uint32_t bits_allocated, uint32_t from, uint32_t to)
{
    if (from == to)
        return;
    if (bits_allocated == 8) {
        for (size_t i = 0; i < n; i++) {
            uint32_t v = px[i];
            if (v > from) v = from;
            px[i] = (uint8_t)((v * to + from / 2u) / from);
        }
    } else {
        uint16_t *p = (uint16_t *)(void *)px;
        for (size_t i = 0; i < n; i++) {
            uint64_t v = p[i];
            if (v > from) v = from;
            p[i] = (uint16_t)((v * to + from / 2u) / from);
        }
    }
}
#endif

/* ------------------------------------------------------------------ decode */

static int dec_status(JxlDecoderStatus s, dc_error *err, const char *what)
{
    if (s == JXL_DEC_ERROR)
        return dc_fail(err, DC_ERR_CORRUPT, "libjxl could not decode %s: invalid codestream",
                       what);
    if (s == JXL_DEC_NEED_MORE_INPUT)
        return dc_fail(err, DC_ERR_TRUNCATED, "the JPEG XL codestream ends before %s", what);
    return dc_fail(err, DC_ERR_CORRUPT, "unexpected libjxl decoder event %d while reading %s",
                   (int)s, what);
}

static void fill_header(const JxlBasicInfo *bi, dc_jxl_header *h)
{
    h->width = bi->xsize;
    h->height = bi->ysize;
    h->channels = bi->num_color_channels;
    h->extra_channels = bi->num_extra_channels;
    h->bits = bi->bits_per_sample;
    h->exponent_bits = bi->exponent_bits_per_sample;
    h->lossless = bi->uses_original_profile ? 1u : 0u;
}

static JxlPixelFormat pixel_format(const dc_frame *f)
{
    JxlPixelFormat fmt = {f->samples_per_pixel,
                          f->bits_allocated == 8 ? JXL_TYPE_UINT8 : JXL_TYPE_UINT16,
                          JXL_NATIVE_ENDIAN, 0};
    return fmt;
}

static void close_decoder(JxlDecoder *dec, void *runner)
{
    JxlDecoderDestroy(dec);
    if (runner)
        JxlThreadParallelRunnerDestroy(runner);
}

/* *dec: a decoder for `events` over the whole of src, its input closed;
 * with threads > 1 a thread pool of its own in *runner (else NULL). Free
 * both with close_decoder. */
static int open_decoder(const uint8_t *src, size_t srclen, int events, unsigned threads,
                        JxlDecoder **out, void **runner, dc_error *err)
{
    int rc = DC_ERR_ENGINE;
    *runner = NULL;
    JxlDecoder *dec = *out = JxlDecoderCreate(NULL);
    if (dec == NULL)
        return dc_fail(err, DC_ERR_NOMEM, "cannot create a libjxl decoder");
    if (threads > 1) {
        *runner = JxlThreadParallelRunnerCreate(NULL, threads);
        if (*runner == NULL ||
            JxlDecoderSetParallelRunner(dec, JxlThreadParallelRunner, *runner) != JXL_DEC_SUCCESS) {
            rc = dc_fail(err, DC_ERR_ENGINE, "cannot start %u libjxl threads", threads);
            goto fail;
        }
    }
    if (JxlDecoderSubscribeEvents(dec, events) != JXL_DEC_SUCCESS ||
        JxlDecoderSetInput(dec, src, srclen) != JXL_DEC_SUCCESS) {
        rc = dc_fail(err, DC_ERR_ENGINE, "libjxl refused the decoder set-up");
        goto fail;
    }
    JxlDecoderCloseInput(dec);
    return DC_OK;
fail:
    close_decoder(dec, *runner);
    *out = NULL;
    *runner = NULL;
    return rc;
}

/* A bare codestream (FF 0A) or the container's signature box. */
static int check_signature(const uint8_t *src, size_t srclen, dc_error *err)
{
    if (src == NULL || srclen == 0)
        return dc_fail(err, DC_ERR_TRUNCATED, "empty frame: no JPEG XL codestream");
    JxlSignature sig = JxlSignatureCheck(src, srclen);
    if (sig == JXL_SIG_INVALID || sig == JXL_SIG_NOT_ENOUGH_BYTES)
        return dc_fail(err, DC_ERR_CORRUPT, "no JPEG XL signature (starts %02x %02x)", src[0],
                       srclen > 1 ? src[1] : 0u);
    return DC_OK;
}

/* What an event handler returns besides DC_OK (next event) and a failure. */
#define EVENT_STOP (-1)  /* done: run_decoder returns DC_OK */
#define EVENT_OTHER (-2) /* not an event this call expects: an error */

typedef int (*event_handler)(JxlDecoder *dec, JxlDecoderStatus s, void *ctx, dc_error *err);

/* The one decoding loop: a decoder for `events` over src hands each event to
 * on_event until it stops or fails; `what` names what was being read when an
 * unexpected event comes. */
static int run_decoder(const uint8_t *src, size_t srclen, int events, unsigned threads,
                       event_handler on_event, void *ctx, const char *what, dc_error *err)
{
    int rc = check_signature(src, srclen, err);
    if (rc != DC_OK)
        return rc;
    void *runner;
    JxlDecoder *dec;
    rc = open_decoder(src, srclen, events, threads, &dec, &runner, err);
    if (rc != DC_OK)
        return rc;
    do {
        JxlDecoderStatus s = JxlDecoderProcessInput(dec);
        rc = on_event(dec, s, ctx, err);
        if (rc == EVENT_OTHER)
            rc = dec_status(s, err, what);
    } while (rc == DC_OK);
    close_decoder(dec, runner);
    return rc == EVENT_STOP ? DC_OK : rc;
}

static int basic_info(JxlDecoder *dec, JxlBasicInfo *bi, dc_error *err)
{
    if (JxlDecoderGetBasicInfo(dec, bi) != JXL_DEC_SUCCESS)
        return dc_fail(err, DC_ERR_CORRUPT, "unreadable JPEG XL basic info");
    return DC_OK;
}

/* The JPEG reconstruction event comes only on the way to a full image:
 * stop at it, or where the image would need pixels instead. */
static int on_header_event(JxlDecoder *dec, JxlDecoderStatus s, void *ctx, dc_error *err)
{
    dc_jxl_header *h = (dc_jxl_header *)ctx;
    switch (s) {
    case JXL_DEC_BASIC_INFO: {
        JxlBasicInfo bi;
        int rc = basic_info(dec, &bi, err);
        if (rc == DC_OK)
            fill_header(&bi, h);
        return rc;
    }
    case JXL_DEC_JPEG_RECONSTRUCTION:
        h->has_jpeg = 1;
        return EVENT_STOP;
    case JXL_DEC_NEED_IMAGE_OUT_BUFFER:
    case JXL_DEC_SUCCESS:
        return EVENT_STOP;
    default:
        return EVENT_OTHER;
    }
}

int dc_jxl_read_header(const uint8_t *src, size_t srclen, dc_jxl_header *h, dc_error *err)
{
    memset(h, 0, sizeof *h);
    return run_decoder(src, srclen,
                       JXL_DEC_BASIC_INFO | JXL_DEC_JPEG_RECONSTRUCTION | JXL_DEC_FULL_IMAGE, 1,
                       on_header_event, h, "the image header", err);
}

typedef struct frame_decode {
    const dc_frame *f;
    uint8_t *dst;
    size_t need;
    uint32_t bits; /* the codestream's bits per sample */
    int have_image;
} frame_decode;

/* The codestream's image, checked against the dataset's frame. */
static int take_image_info(JxlDecoder *dec, frame_decode *fd, dc_error *err)
{
    JxlBasicInfo info;
    const JxlBasicInfo *bi = &info;
    const dc_frame *f = fd->f;
    int rc = basic_info(dec, &info, err);
    if (rc != DC_OK)
        return rc;
    if (bi->xsize != f->columns || bi->ysize != f->rows)
        return dc_fail(err, DC_ERR_MISMATCH, "the codestream is %ux%u, the dataset says "
                       "%u columns x %u rows", bi->xsize, bi->ysize, f->columns, f->rows);
    if (bi->num_color_channels != f->samples_per_pixel)
        return dc_fail(err, DC_ERR_MISMATCH, "the codestream has %u colour channels, the "
                       "dataset %u samples per pixel", bi->num_color_channels,
                       f->samples_per_pixel);
    if (bi->num_extra_channels)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "the codestream has %u extra (alpha) "
                       "channels, which DICOM pixel data cannot hold", bi->num_extra_channels);
    if (bi->exponent_bits_per_sample)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "floating-point samples (%u exponent bits)",
                       bi->exponent_bits_per_sample);
    if (bi->bits_per_sample == 0 || bi->bits_per_sample > f->bits_allocated)
        return dc_fail(err, DC_ERR_MISMATCH, "%u-bit samples do not fit Bits Allocated %u",
                       bi->bits_per_sample, f->bits_allocated);
    fd->bits = bi->bits_per_sample;
    return DC_OK;
}

static int on_frame_event(JxlDecoder *dec, JxlDecoderStatus s, void *ctx, dc_error *err)
{
    frame_decode *fd = (frame_decode *)ctx;
    switch (s) {
    case JXL_DEC_BASIC_INFO:
        return take_image_info(dec, fd, err);
    case JXL_DEC_NEED_IMAGE_OUT_BUFFER: {
        JxlPixelFormat fmt = pixel_format(fd->f);
        size_t size = 0;
        if (JxlDecoderImageOutBufferSize(dec, &fmt, &size) != JXL_DEC_SUCCESS ||
            size != fd->need)
            return dc_fail(err, DC_ERR_MISMATCH, "libjxl wants %zu bytes for the frame, the "
                           "dataset describes %zu", size, fd->need);
#if DC_JXL_HAS_BIT_DEPTH
        if (JxlDecoderSetImageOutBitDepth(dec, &codestream_depth) != JXL_DEC_SUCCESS)
            return dc_fail(err, DC_ERR_ENGINE, "libjxl refused the output bit depth");
#endif
        if (JxlDecoderSetImageOutBuffer(dec, &fmt, fd->dst, fd->need) != JXL_DEC_SUCCESS)
            return dc_fail(err, DC_ERR_ENGINE, "libjxl refused the output buffer");
        return DC_OK;
    }
    case JXL_DEC_FULL_IMAGE:
        /* One frame is the image; animation frames after it are ignored. */
        fd->have_image = 1;
        return EVENT_STOP;
    case JXL_DEC_SUCCESS:
        return EVENT_STOP;
    default:
        return EVENT_OTHER;
    }
}

int dc_jxl_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                  const dc_frame *f, unsigned threads, dc_error *err)
{
    int rc = check_frame(f, err);
    if (rc != DC_OK)
        return rc;
    frame_decode fd = {f, dst, dc_frame_size(f), 0, 0};
    if (fd.need == 0 || dstlen < fd.need)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "output holds %zu bytes, the frame %zu",
                       dstlen, fd.need);
    rc = run_decoder(src, srclen, JXL_DEC_BASIC_INFO | JXL_DEC_FULL_IMAGE, threads,
                     on_frame_event, &fd, "the end of the image", err);
    if (rc != DC_OK)
        return rc;
    if (!fd.have_image)
        return dc_fail(err, DC_ERR_CORRUPT, "the JPEG XL codestream holds no image");
#if !DC_JXL_HAS_BIT_DEPTH
    rescale(dst, fd.need / (f->bits_allocated / 8u), f->bits_allocated,
            max_of(f->bits_allocated), max_of(fd.bits));
#endif
    return DC_OK;
}

/* ------------------------------------------------------------------ encode */

static int enc_fail(JxlEncoder *enc, dc_error *err, const char *what)
{
    JxlEncoderError e = JxlEncoderGetError(enc);
    switch (e) {
    case JXL_ENC_ERR_OOM:
        return dc_fail(err, DC_ERR_NOMEM, "libjxl ran out of memory %s", what);
    case JXL_ENC_ERR_JBRD:
        return dc_fail(err, DC_ERR_UNSUPPORTED, "libjxl cannot store the data to rebuild this "
                       "JPEG exactly (%s)", what);
    case JXL_ENC_ERR_BAD_INPUT:
        return dc_fail(err, DC_ERR_CORRUPT, "libjxl rejected the input %s", what);
    case JXL_ENC_ERR_NOT_SUPPORTED:
        return dc_fail(err, DC_ERR_UNSUPPORTED, "libjxl does not support this input %s", what);
    default:
        return dc_fail(err, DC_ERR_ENGINE, "libjxl failed %s (error %d)", what, (int)e);
    }
}

/* After the one frame `added` (its status; `what` names it): closes the
 * input and runs the encoder to the end into dst. */
static int drain(JxlEncoder *enc, JxlEncoderStatus added, const char *what, uint8_t *dst,
                 size_t dstcap, size_t *dstlen, dc_error *err)
{
    if (added != JXL_ENC_SUCCESS)
        return enc_fail(enc, err, what);
    JxlEncoderCloseInput(enc);
    uint8_t *next = dst;
    size_t avail = dstcap;
    for (;;) {
        JxlEncoderStatus s = JxlEncoderProcessOutput(enc, &next, &avail);
        if (s == JXL_ENC_SUCCESS)
            break;
        if (s == JXL_ENC_NEED_MORE_OUTPUT)
            return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "%zu bytes cannot hold the JPEG XL "
                           "codestream", dstcap);
        return enc_fail(enc, err, "while encoding");
    }
    *dstlen = (size_t)(next - dst);
    return DC_OK;
}

static void close_encoder(JxlEncoder *enc, void *runner)
{
    if (enc)
        JxlEncoderDestroy(enc);
    if (runner)
        JxlThreadParallelRunnerDestroy(runner);
}

/* *enc: a new encoder, with threads > 1 a thread pool of its own in *runner
 * (else NULL). Free both with close_encoder, also after a failure. */
static int open_encoder(unsigned threads, JxlEncoder **enc, void **runner, dc_error *err)
{
    *runner = NULL;
    *enc = JxlEncoderCreate(NULL);
    if (*enc == NULL)
        return dc_fail(err, DC_ERR_NOMEM, "cannot create a libjxl encoder");
    if (threads > 1) {
        *runner = JxlThreadParallelRunnerCreate(NULL, threads);
        if (*runner == NULL ||
            JxlEncoderSetParallelRunner(*enc, JxlThreadParallelRunner, *runner) != JXL_ENC_SUCCESS)
            return dc_fail(err, DC_ERR_ENGINE, "cannot start %u libjxl threads", threads);
    }
    return DC_OK;
}

/* *fs: the settings of the frame to come, at `effort`. */
static int frame_settings(JxlEncoder *enc, int effort, JxlEncoderFrameSettings **fs,
                          dc_error *err)
{
    if (effort < 1 || effort > 9)
        return dc_fail(err, DC_ERR_INVALID_ARG, "effort %d outside 1..9", effort);
    *fs = JxlEncoderFrameSettingsCreate(enc, NULL);
    if (*fs == NULL)
        return dc_fail(err, DC_ERR_NOMEM, "cannot create libjxl frame settings");
    if (JxlEncoderFrameSettingsSetOption(*fs, JXL_ENC_FRAME_SETTING_EFFORT, effort) !=
        JXL_ENC_SUCCESS)
        return enc_fail(enc, err, "setting the effort");
    return DC_OK;
}

int dc_jxl_encode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                  size_t *dstlen, const dc_frame *f, const dc_jxl_params *p, dc_error *err)
{
    *dstlen = 0;
    int rc = check_frame(f, err);
    if (rc != DC_OK)
        return rc;
    size_t need = dc_frame_size(f);
    if (src == NULL || need == 0 || srclen < need)
        return dc_fail(err, DC_ERR_INVALID_ARG, "input holds %zu bytes, the frame %zu", srclen,
                       need);
    if (p->bits < 1 || p->bits > f->bits_allocated)
        return dc_fail(err, DC_ERR_INVALID_ARG, "%u bits per sample in Bits Allocated %u",
                       p->bits, f->bits_allocated);
    if (!p->lossless && !(p->distance >= 0.0f && p->distance <= 25.0f))
        return dc_fail(err, DC_ERR_INVALID_ARG, "distance %g outside 0..25", (double)p->distance);

    const uint8_t *pixels = src;
    uint8_t *scaled = NULL;
#if !DC_JXL_HAS_BIT_DEPTH
    if (p->bits != f->bits_allocated) {
        scaled = dc_scratch_acquire(need);
        if (scaled == NULL)
            return dc_fail(err, DC_ERR_NOMEM, "no memory for a %zu-byte frame", need);
        memcpy(scaled, src, need);
        rescale(scaled, need / (f->bits_allocated / 8u), f->bits_allocated, max_of(p->bits),
                max_of(f->bits_allocated));
        pixels = scaled;
    }
#endif
    JxlEncoder *enc;
    void *runner;
    rc = open_encoder(p->threads, &enc, &runner, err);
    if (rc != DC_OK)
        goto done;
    JxlBasicInfo bi;
    JxlEncoderInitBasicInfo(&bi);
    bi.xsize = f->columns;
    bi.ysize = f->rows;
    bi.bits_per_sample = p->bits;
    bi.exponent_bits_per_sample = 0;
    bi.num_color_channels = f->samples_per_pixel;
    bi.num_extra_channels = 0;
    bi.alpha_bits = 0;
    bi.uses_original_profile = p->lossless ? JXL_TRUE : JXL_FALSE;
    if (JxlEncoderSetBasicInfo(enc, &bi) != JXL_ENC_SUCCESS) {
        rc = enc_fail(enc, err, "setting the image header");
        goto done;
    }
    JxlColorEncoding ce;
    JxlColorEncodingSetToSRGB(&ce, f->samples_per_pixel == 1 ? JXL_TRUE : JXL_FALSE);
    if (JxlEncoderSetColorEncoding(enc, &ce) != JXL_ENC_SUCCESS) {
        rc = enc_fail(enc, err, "setting the colour encoding");
        goto done;
    }
    JxlEncoderFrameSettings *fs = NULL;
    rc = frame_settings(enc, p->effort, &fs, err);
    if (rc != DC_OK)
        goto done;
    if (p->lossless) {
        if (JxlEncoderSetFrameLossless(fs, JXL_TRUE) != JXL_ENC_SUCCESS) {
            rc = enc_fail(enc, err, "choosing lossless coding");
            goto done;
        }
    } else if (JxlEncoderSetFrameDistance(fs, p->distance) != JXL_ENC_SUCCESS) {
        rc = enc_fail(enc, err, "setting the distance");
        goto done;
    }
#if DC_JXL_HAS_BIT_DEPTH
    if (JxlEncoderSetFrameBitDepth(fs, &codestream_depth) != JXL_ENC_SUCCESS) {
        rc = enc_fail(enc, err, "setting the input bit depth");
        goto done;
    }
#endif
    JxlPixelFormat fmt = pixel_format(f);
    rc = drain(enc, JxlEncoderAddImageFrame(fs, &fmt, pixels, need), "adding the frame", dst,
               dstcap, dstlen, err);
done:
    close_encoder(enc, runner);
    if (scaled)
        dc_scratch_release(scaled);
    return rc;
}

/* ------------------------------------------------------------------- JPEG */

int dc_jxl_check_jpeg(const uint8_t *jpeg, size_t jpeglen, dc_error *err)
{
    if (jpeg == NULL || jpeglen < 4 || jpeg[0] != 0xFF || jpeg[1] != 0xD8)
        return dc_fail(err, DC_ERR_CORRUPT, "not a JPEG bitstream (no SOI marker)");
    size_t pos = 2;
    while (pos + 4 <= jpeglen) {
        if (jpeg[pos] != 0xFF)
            return dc_fail(err, DC_ERR_CORRUPT, "no marker at byte %zu of the JPEG", pos);
        uint8_t m = jpeg[pos + 1];
        if (m == 0xFF) { /* fill byte */
            pos++;
            continue;
        }
        size_t len = (size_t)jpeg[pos + 2] << 8 | jpeg[pos + 3];
        if (len < 2 || pos + 2 + len > jpeglen)
            return dc_fail(err, DC_ERR_TRUNCATED, "JPEG marker segment 0xFF%02X at byte %zu "
                           "runs past the end", m, pos);
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            if (m == 0xC3 || m == 0xC7 || m == 0xCB || m == 0xCF)
                return dc_fail(err, DC_ERR_UNSUPPORTED, "a lossless JPEG (SOF%u): JPEG XL "
                               "recompresses only DCT JPEG", (unsigned)(m - 0xC0));
            if (m >= 0xC9)
                return dc_fail(err, DC_ERR_UNSUPPORTED, "an arithmetic-coded JPEG (SOF%u): "
                               "JPEG XL recompresses only Huffman-coded JPEG",
                               (unsigned)(m - 0xC0));
            if (m == 0xC5 || m == 0xC6 || m == 0xC7)
                return dc_fail(err, DC_ERR_UNSUPPORTED, "a hierarchical JPEG (SOF%u)",
                               (unsigned)(m - 0xC0));
            if (len < 8)
                return dc_fail(err, DC_ERR_CORRUPT, "a %zu-byte SOF segment", len);
            unsigned precision = jpeg[pos + 4];
            if (precision != 8)
                return dc_fail(err, DC_ERR_UNSUPPORTED, "a %u-bit JPEG: JPEG XL recompresses "
                               "only 8-bit JPEG", precision);
            unsigned ncomp = jpeg[pos + 9];
            if (ncomp != 1 && ncomp != 3)
                return dc_fail(err, DC_ERR_UNSUPPORTED, "a JPEG of %u components: JPEG XL "
                               "recompresses 1 or 3", ncomp);
            return DC_OK;
        }
        if (m == 0xDA || m == 0xD9)
            break;
        pos += 2 + len;
    }
    return dc_fail(err, DC_ERR_CORRUPT, "no frame header (SOF) in the JPEG bitstream");
}

int dc_jxl_from_jpeg(const uint8_t *jpeg, size_t jpeglen, uint8_t *dst, size_t dstcap,
                     size_t *dstlen, int effort, dc_error *err)
{
    *dstlen = 0;
    int rc = dc_jxl_check_jpeg(jpeg, jpeglen, err);
    if (rc != DC_OK)
        return rc;
    JxlEncoder *enc;
    void *runner;
    rc = open_encoder(1, &enc, &runner, err);
    if (rc != DC_OK)
        goto done;
    if (JxlEncoderStoreJPEGMetadata(enc, JXL_TRUE) != JXL_ENC_SUCCESS) {
        rc = enc_fail(enc, err, "keeping the JPEG reconstruction data");
        goto done;
    }
    JxlEncoderFrameSettings *fs = NULL;
    rc = frame_settings(enc, effort, &fs, err);
    if (rc != DC_OK)
        goto done;
    rc = drain(enc, JxlEncoderAddJPEGFrame(fs, jpeg, jpeglen), "recompressing the JPEG", dst,
               dstcap, dstlen, err);
done:
    close_encoder(enc, runner);
    return rc;
}

typedef struct jpeg_rebuild {
    uint8_t *dst;
    size_t dstcap, *dstlen;
    int have_jpeg;
} jpeg_rebuild;

static int on_jpeg_event(JxlDecoder *dec, JxlDecoderStatus s, void *ctx, dc_error *err)
{
    jpeg_rebuild *jr = (jpeg_rebuild *)ctx;
    switch (s) {
    case JXL_DEC_JPEG_RECONSTRUCTION:
        if (JxlDecoderSetJPEGBuffer(dec, jr->dst, jr->dstcap) != JXL_DEC_SUCCESS)
            return dc_fail(err, DC_ERR_ENGINE, "libjxl refused the JPEG buffer");
        jr->have_jpeg = 1;
        return DC_OK;
    case JXL_DEC_JPEG_NEED_MORE_OUTPUT:
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "%zu bytes cannot hold the rebuilt JPEG",
                       jr->dstcap);
    case JXL_DEC_NEED_IMAGE_OUT_BUFFER:
        return dc_fail(err, DC_ERR_MISMATCH, "the JPEG XL codestream holds no JPEG "
                       "reconstruction data: it is not a recompressed JPEG");
    case JXL_DEC_FULL_IMAGE:
        if (!jr->have_jpeg)
            return dc_fail(err, DC_ERR_MISMATCH, "the JPEG XL codestream holds no JPEG "
                           "reconstruction data");
        *jr->dstlen = jr->dstcap - JxlDecoderReleaseJPEGBuffer(dec);
        return EVENT_STOP;
    case JXL_DEC_SUCCESS:
        return dc_fail(err, DC_ERR_CORRUPT, "the JPEG XL codestream holds no image");
    default:
        return EVENT_OTHER;
    }
}

int dc_jxl_to_jpeg(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                   size_t *dstlen, dc_error *err)
{
    *dstlen = 0;
    if (dst == NULL || dstcap == 0)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "no room for the JPEG");
    jpeg_rebuild jr = {dst, dstcap, dstlen, 0};
    return run_decoder(src, srclen, JXL_DEC_JPEG_RECONSTRUCTION | JXL_DEC_FULL_IMAGE, 1,
                       on_jpeg_event, &jr, "the JPEG", err);
}
