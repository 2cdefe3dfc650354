/* dc_openjpeg.c: the OpenJPEG glue. OpenJPEG reads and writes through memory
 * streams over a {ptr, len, pos} struct owned by each call, and reports its
 * messages to handlers whose user data is a buffer on the caller's stack, so
 * concurrent calls never share anything. The input stream serves the
 * codestream as dc_j2k_extent says it really is: without what follows its
 * EOC, and with an EOC supplied where a vendor left it out. */
#include "dc_openjpeg.h"

#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <openjpeg.h>

#include "dc_guard.h"

/* --------------------------------------------------------- message capture */

typedef struct opj_msgs {
    char text[400];
    size_t n;
    char warn[200];
} opj_msgs;

static void msg_append(char *buf, size_t cap, size_t *n, const char *msg)
{
    size_t len = strlen(msg);
    while (len && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
        len--;
    if (len == 0 || *n + 3 >= cap)
        return;
    if (*n) {
        memcpy(buf + *n, "; ", 2);
        *n += 2;
    }
    size_t room = cap - 1 - *n;
    if (len > room)
        len = room;
    memcpy(buf + *n, msg, len);
    *n += len;
    buf[*n] = 0;
}

static void on_error(const char *msg, void *ud)
{
    opj_msgs *m = ud;
    msg_append(m->text, sizeof m->text, &m->n, msg);
}

static void on_warning(const char *msg, void *ud)
{
    opj_msgs *m = ud;
    size_t n = strlen(m->warn);
    msg_append(m->warn, sizeof m->warn, &n, msg);
}

static void on_info(const char *msg, void *ud)
{
    (void)msg;
    (void)ud;
}

static int opj_fail(dc_error *err, int status, const opj_msgs *m, const char *what)
{
    const char *detail = m->n ? m->text : (m->warn[0] ? m->warn : "no message");
    if (status == DC_ERR_CORRUPT && (strstr(detail, "too short") || strstr(detail, "truncated") ||
                                     strstr(detail, "Truncated") || strstr(detail, "end of stream") ||
                                     strstr(detail, "inconsistent with stream length")))
        status = DC_ERR_TRUNCATED;
    return dc_fail(err, status, "OpenJPEG %s failed: %s", what, detail);
}

/* ----------------------------------------------------------- memory streams */

/* `len` bytes: the first len - ntail from p, then ntail bytes of tail. */
typedef struct mem_in {
    const uint8_t *p;
    size_t len, pos, ntail;
    uint8_t tail[2];
} mem_in;

static OPJ_SIZE_T in_read(void *buf, OPJ_SIZE_T n, void *ud)
{
    mem_in *s = ud;
    if (s->pos >= s->len)
        return (OPJ_SIZE_T)-1; /* OpenJPEG's end-of-stream signal */
    size_t k = s->len - s->pos < n ? s->len - s->pos : n;
    size_t body = s->len - s->ntail;
    size_t from_p = s->pos < body ? (body - s->pos < k ? body - s->pos : k) : 0;
    if (from_p)
        memcpy(buf, s->p + s->pos, from_p);
    if (k > from_p)
        memcpy((uint8_t *)buf + from_p, s->tail + (s->pos + from_p - body), k - from_p);
    s->pos += k;
    return k;
}

static OPJ_OFF_T in_skip(OPJ_OFF_T n, void *ud)
{
    mem_in *s = ud;
    if (n < 0) {
        if ((uint64_t)-n > s->pos)
            return -1;
        s->pos -= (size_t)-n;
        return n;
    }
    if ((uint64_t)n > s->len - s->pos) {
        s->pos = s->len;
        return -1;
    }
    s->pos += (size_t)n;
    return n;
}

static OPJ_BOOL in_seek(OPJ_OFF_T off, void *ud)
{
    mem_in *s = ud;
    if (off < 0 || (uint64_t)off > s->len)
        return OPJ_FALSE;
    s->pos = (size_t)off;
    return OPJ_TRUE;
}

static OPJ_SIZE_T out_write(void *buf, OPJ_SIZE_T n, void *ud)
{
    dc_j2k_buf *b = ud;
    if (n > SIZE_MAX - b->pos || !dc_j2k_buf_reserve(b, b->pos + n))
        return (OPJ_SIZE_T)-1;
    if (b->pos > b->len)
        memset(b->data + b->len, 0, b->pos - b->len);
    memcpy(b->data + b->pos, buf, n);
    b->pos += n;
    if (b->pos > b->len)
        b->len = b->pos;
    return n;
}

static OPJ_OFF_T out_skip(OPJ_OFF_T n, void *ud)
{
    dc_j2k_buf *b = ud;
    if (n < 0 ? (uint64_t)-n > b->pos : (uint64_t)n > SIZE_MAX - b->pos)
        return -1;
    b->pos = n < 0 ? b->pos - (size_t)-n : b->pos + (size_t)n;
    return n;
}

static OPJ_BOOL out_seek(OPJ_OFF_T off, void *ud)
{
    dc_j2k_buf *b = ud;
    if (off < 0)
        return OPJ_FALSE;
    b->pos = (size_t)off;
    return OPJ_TRUE;
}

/* ------------------------------------------------------------------ decode */

/* For dc_guard: what an abort inside the engine leaves to release. */
static void release_codec(void *p) { opj_destroy_codec(p); }
static void release_stream(void *p) { opj_stream_destroy(p); }
static void release_image(void *p) { opj_image_destroy(p); }

const char *dc_openjpeg_version(void) { return opj_version(); }

int dc_openjpeg_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                       const dc_frame *f, const dc_j2k_decode_opts *opts,
                       dc_j2k_info *info_out, dc_error *err)
{
    dc_j2k_info hdr;
    int rc = dc_j2k_parse(src, srclen, &hdr, err);
    if (info_out)
        *info_out = hdr;
    if (rc)
        return rc;
    rc = dc_j2k_check_frame(&hdr, f, opts ? opts->reduce : 0, dstlen, err);
    if (rc)
        return rc;
    dc_j2k_store st;
    rc = dc_j2k_store_setup(&st, f, hdr.precision, hdr.is_signed,
                            opts ? opts->sign_correct : 1, err);
    if (rc)
        return rc;

    size_t start;
    dc_j2k_start(src, srclen, &start, err);
    opj_msgs msgs;
    memset(&msgs, 0, sizeof msgs);
    mem_in in = {src, srclen, 0, 0, {0xFF, 0xD9}};
    {
        size_t len;
        int add_eoc;
        dc_j2k_extent(src, srclen, &len, &add_eoc);
        in.ntail = add_eoc ? 2 : 0;
        in.len = len + in.ntail;
    }
    opj_codec_t *codec = opj_create_decompress(start ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K);
    opj_stream_t *stream = NULL;
    opj_image_t *image = NULL;
    if (!codec)
        return dc_fail(err, DC_ERR_NOMEM, "cannot create an OpenJPEG decoder");
    dc_guard_hold(0, release_codec, codec);
    opj_set_error_handler(codec, on_error, &msgs);
    opj_set_warning_handler(codec, on_warning, &msgs);
    opj_set_info_handler(codec, on_info, &msgs);
    opj_dparameters_t params;
    opj_set_default_decoder_parameters(&params);
    params.cp_reduce = opts ? opts->reduce : 0;
    if (!opj_setup_decoder(codec, &params)) {
        rc = opj_fail(err, DC_ERR_ENGINE, &msgs, "setup");
        goto done;
    }
    /* HT code-blocks only on the calling thread: OpenJPEG's HT block decoder
     * asserts on some corrupt data, and an abort() on one of its worker
     * threads is one no guard can catch. */
    if (opts && opts->threads > 1 && !hdr.htj2k && opj_has_thread_support())
        opj_codec_set_threads(codec, (int)opts->threads);
    stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE);
    if (!stream) {
        rc = dc_fail(err, DC_ERR_NOMEM, "cannot create an OpenJPEG stream");
        goto done;
    }
    dc_guard_hold(1, release_stream, stream);
    opj_stream_set_user_data(stream, &in, NULL);
    opj_stream_set_user_data_length(stream, in.len);
    opj_stream_set_read_function(stream, in_read);
    opj_stream_set_skip_function(stream, in_skip);
    opj_stream_set_seek_function(stream, in_seek);
    if (!opj_read_header(stream, codec, &image)) {
        rc = opj_fail(err, DC_ERR_CORRUPT, &msgs, "header");
        goto done;
    }
    dc_guard_hold(2, release_image, image);
    if (image->numcomps != f->samples_per_pixel) {
        rc = dc_fail(err, DC_ERR_MISMATCH, "the codestream has %u components, the dataset says "
                     "%u samples per pixel", image->numcomps, f->samples_per_pixel);
        goto done;
    }
    if (!opj_decode(codec, stream, image) || !opj_end_decompress(codec, stream)) {
        rc = opj_fail(err, DC_ERR_CORRUPT, &msgs, "decode");
        goto done;
    }
    for (uint32_t c = 0; c < image->numcomps; c++) {
        const opj_image_comp_t *cp = &image->comps[c];
        if (!cp->data) {
            rc = opj_fail(err, DC_ERR_CORRUPT, &msgs, "decode (no data for a component)");
            goto done;
        }
        if (cp->w != f->columns || cp->h != f->rows) {
            rc = dc_fail(err, DC_ERR_MISMATCH, "component %u decodes to %u x %u, the dataset "
                         "says %u x %u (reduce %u)", c, cp->w, cp->h, f->columns, f->rows,
                         params.cp_reduce);
            goto done;
        }
        if (cp->prec > f->bits_allocated) {
            rc = dc_fail(err, DC_ERR_MISMATCH, "component %u has %u bits, more than Bits "
                         "Allocated %u", c, cp->prec, f->bits_allocated);
            goto done;
        }
    }
    {
        size_t npix = (size_t)f->rows * f->columns;
        for (uint32_t c = 0; c < image->numcomps; c++)
            dc_j2k_store_samples(image->comps[c].data, npix, dst, image->numcomps, c, &st);
    }
    rc = DC_OK;
done:
    for (int k = 0; k < 3; k++)
        dc_guard_let_go(k);
    if (image)
        opj_image_destroy(image);
    if (stream)
        opj_stream_destroy(stream);
    opj_destroy_codec(codec);
    return rc;
}

/* ------------------------------------------------------------------ encode */

int dc_openjpeg_encode(const uint8_t *src, size_t srclen, const dc_frame *f,
                       const dc_openjpeg_encode_opts *o, dc_j2k_buf *out, dc_error *err)
{
    memset(out, 0, sizeof *out);
    size_t need = dc_frame_size(f);
    uint32_t nc = f->samples_per_pixel, bs = f->bits_stored;
    if (need == 0 || (nc != 1 && nc != 3) || f->planar_configuration)
        return dc_fail(err, DC_ERR_INVALID_ARG, "cannot encode %u samples per pixel "
                       "(planar %u): JPEG 2000 frames take 1 or 3", nc, f->planar_configuration);
    if (f->bits_allocated != 8 && f->bits_allocated != 16 && f->bits_allocated != 32)
        return dc_fail(err, DC_ERR_INVALID_ARG, "Bits Allocated %u", f->bits_allocated);
    if (bs < 1 || bs > f->bits_allocated || bs > 31)
        return dc_fail(err, DC_ERR_INVALID_ARG, "Bits Stored %u: OpenJPEG encodes 1 to 31 bits",
                       bs);
    if (srclen < need)
        return dc_fail(err, DC_ERR_INVALID_ARG, "%zu bytes given for a frame of %zu", srclen, need);
    if (f->rows > INT_MAX || f->columns > INT_MAX)
        return dc_fail(err, DC_ERR_INVALID_ARG, "image too large");
    if (o->nlayers > DC_OPENJPEG_MAX_LAYERS)
        return dc_fail(err, DC_ERR_INVALID_ARG, "at most %d quality layers", DC_OPENJPEG_MAX_LAYERS);
    if (o->progression > 4)
        return dc_fail(err, DC_ERR_INVALID_ARG, "progression %u", o->progression);

    opj_image_cmptparm_t cp[3];
    memset(cp, 0, sizeof cp);
    for (uint32_t c = 0; c < nc; c++) {
        cp[c].dx = cp[c].dy = 1;
        cp[c].w = f->columns;
        cp[c].h = f->rows;
        cp[c].prec = bs;
        cp[c].sgnd = f->pixel_representation ? 1 : 0;
    }
    opj_image_t *image = opj_image_create(nc, cp, nc == 3 ? OPJ_CLRSPC_SRGB : OPJ_CLRSPC_GRAY);
    if (!image)
        return dc_fail(err, DC_ERR_NOMEM, "cannot allocate an OpenJPEG image");
    image->x0 = image->y0 = 0;
    image->x1 = f->columns;
    image->y1 = f->rows;

    /* Samples must lie in what Bits Stored allows: OpenJPEG would silently
     * code the overflow into garbage. */
    size_t npix = (size_t)f->rows * f->columns;
    int64_t lo = f->pixel_representation ? -((int64_t)1 << (bs - 1)) : 0;
    int64_t hi = f->pixel_representation ? ((int64_t)1 << (bs - 1)) - 1 : ((int64_t)1 << bs) - 1;
    int rc = DC_OK;
    for (uint32_t c = 0; c < nc && rc == DC_OK; c++) {
        int32_t *d = image->comps[c].data;
        for (size_t i = 0; i < npix; i++) {
            size_t k = i * nc + c;
            int64_t v;
            switch (f->bits_allocated) {
            case 8:
                v = f->pixel_representation ? (int64_t)(int8_t)src[k] : (int64_t)src[k];
                break;
            case 16: {
                uint16_t u;
                memcpy(&u, src + 2 * k, 2);
                v = f->pixel_representation ? (int64_t)(int16_t)u : (int64_t)u;
                break;
            }
            default: {
                uint32_t u;
                memcpy(&u, src + 4 * k, 4);
                v = f->pixel_representation ? (int64_t)(int32_t)u : (int64_t)u;
                break;
            }
            }
            if (v < lo || v > hi) {
                rc = dc_fail(err, DC_ERR_INVALID_ARG, "sample %lld at row %zu, column %zu does "
                             "not fit in Bits Stored %u", (long long)v, i / f->columns,
                             i % f->columns, bs);
                break;
            }
            d[i] = (int32_t)v;
        }
    }
    if (rc) {
        opj_image_destroy(image);
        return rc;
    }

    opj_cparameters_t p;
    opj_set_default_encoder_parameters(&p);
    p.tcp_mct = (nc == 3 && o->mct) ? 1 : 0;
    p.irreversible = o->reversible ? 0 : 1;
    uint32_t tw = o->tile_w ? o->tile_w : f->columns, th = o->tile_h ? o->tile_h : f->rows;
    if (o->tile_w || o->tile_h) {
        p.tile_size_on = OPJ_TRUE;
        p.cp_tdx = (int)tw;
        p.cp_tdy = (int)th;
    }
    uint32_t levels = o->levels;
    if (levels == 0xFFFFFFFFu) {
        /* The default five levels, fewer when a tile is too small for them. */
        uint32_t side = tw < th ? tw : th;
        levels = 5;
        while (levels > 0 && (side >> levels) == 0)
            levels--;
    }
    if (levels > 32) {
        rc = dc_fail(err, DC_ERR_INVALID_ARG, "%u decomposition levels (at most 32)", levels);
        opj_image_destroy(image);
        return rc;
    }
    p.numresolution = (int)levels + 1;
    p.cblockw_init = o->block_w ? (int)o->block_w : 64;
    p.cblockh_init = o->block_h ? (int)o->block_h : 64;
    p.prog_order = (OPJ_PROG_ORDER)o->progression;
    if (o->nlayers) {
        p.tcp_numlayers = (int)o->nlayers;
        for (uint32_t i = 0; i < o->nlayers; i++) {
            if (o->use_psnr)
                p.tcp_distoratio[i] = o->layers[i];
            else
                p.tcp_rates[i] = o->layers[i];
        }
        if (o->use_psnr)
            p.cp_fixed_quality = 1;
        else
            p.cp_disto_alloc = 1;
    } else {
        p.tcp_numlayers = 1;
        p.tcp_rates[0] = 0;
        p.cp_disto_alloc = 1;
    }

    opj_msgs msgs;
    memset(&msgs, 0, sizeof msgs);
    opj_stream_t *stream = NULL;
    opj_codec_t *codec = opj_create_compress(OPJ_CODEC_J2K);
    if (!codec) {
        opj_image_destroy(image);
        return dc_fail(err, DC_ERR_NOMEM, "cannot create an OpenJPEG encoder");
    }
    opj_set_error_handler(codec, on_error, &msgs);
    opj_set_warning_handler(codec, on_warning, &msgs);
    opj_set_info_handler(codec, on_info, &msgs);
    if (!opj_setup_encoder(codec, &p, image)) {
        rc = opj_fail(err, DC_ERR_INVALID_ARG, &msgs, "encoder setup");
        goto done;
    }
    if (o->tlm) {
        const char *extra[] = {"TLM=YES", NULL};
        opj_encoder_set_extra_options(codec, extra);
    }
    if (o->threads > 1 && opj_has_thread_support())
        opj_codec_set_threads(codec, (int)o->threads);
    stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_FALSE);
    if (!stream) {
        rc = dc_fail(err, DC_ERR_NOMEM, "cannot create an OpenJPEG stream");
        goto done;
    }
    opj_stream_set_user_data(stream, out, NULL);
    opj_stream_set_write_function(stream, out_write);
    opj_stream_set_skip_function(stream, out_skip);
    opj_stream_set_seek_function(stream, out_seek);
    if (!opj_start_compress(codec, image, stream) || !opj_encode(codec, stream) ||
        !opj_end_compress(codec, stream)) {
        rc = opj_fail(err, DC_ERR_ENGINE, &msgs, "encode");
        goto done;
    }
    rc = DC_OK;
done:
    if (stream)
        opj_stream_destroy(stream);
    opj_destroy_codec(codec);
    opj_image_destroy(image);
    if (rc)
        dc_j2k_buf_free(out);
    return rc;
}
