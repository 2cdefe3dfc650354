// dc_ojph.cpp: the OpenJPH shim. The only C++ in the package: it wraps
// ojph::codestream over memory files behind the C interface of dc_ojph.h.
// OpenJPH reports errors by calling a process-wide handler and then expects it
// to throw; ours copies the text into a thread-local buffer and throws, and
// every entry point catches everything, so no exception reaches C.
#include "dc_ojph.h"
#include "dc_guard.h"

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <new>
#include <stdexcept>

#include <openjph/ojph_arch.h>
#include <openjph/ojph_codestream.h>
#include <openjph/ojph_file.h>
#include <openjph/ojph_mem.h>
#include <openjph/ojph_message.h>
#include <openjph/ojph_params.h>
#include <openjph/ojph_version.h>

namespace {

thread_local char t_error[240];
thread_local char t_warning[200];

// OpenJPH 0.9.0's configure_error()/configure_warning() do nothing (they
// assign their argument to itself), so a custom handler cannot be installed.
// Its default handlers print to process-wide FILE*s that can be replaced:
// ours are unbuffered glibc cookie streams whose write callback runs in the
// thread that printed and appends to that thread's buffer. The default error
// handler then throws, which the entry points below catch.
void append(char *buf, size_t cap, const char *p, size_t n)
{
    size_t len = std::strlen(buf);
    if (len + 1 >= cap)
        return;
    if (n > cap - 1 - len)
        n = cap - 1 - len;
    std::memcpy(buf + len, p, n);
    buf[len + n] = 0;
}

#if defined(__linux__)
ssize_t write_error(void *, const char *p, size_t n)
{
    append(t_error, sizeof t_error, p, n);
    return (ssize_t)n;
}

ssize_t write_warning(void *, const char *p, size_t n)
{
    append(t_warning, sizeof t_warning, p, n);
    return (ssize_t)n;
}

ssize_t write_nothing(void *, const char *, size_t n) { return (ssize_t)n; }

FILE *thread_stream(cookie_write_function_t *fn)
{
    cookie_io_functions_t io = {nullptr, fn, nullptr, nullptr};
    FILE *f = fopencookie(nullptr, "w", io);
    if (f)
        std::setvbuf(f, nullptr, _IONBF, 0);
    return f;
}
#endif

std::once_flag g_once;

void install_handlers()
{
    std::call_once(g_once, [] {
#if defined(__linux__)
        if (FILE *f = thread_stream(write_error))
            ojph::set_error_stream(f);
        if (FILE *f = thread_stream(write_warning))
            ojph::set_warning_stream(f);
        if (FILE *f = thread_stream(write_nothing))
            ojph::set_info_stream(f);
#endif
    });
    t_error[0] = 0;
    t_warning[0] = 0;
}

/* "ojph error 0x00030011 at ojph_codestream.cpp:251: text\n" -> "text (0x00030011)" */
const char *tidy(char *buf)
{
    size_t n = std::strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = 0;
    const char *code = std::strstr(buf, "0x");
    const char *colon = code ? std::strstr(code, ": ") : nullptr;
    if (code && colon && colon[2]) {
        char out[sizeof t_error];
        std::snprintf(out, sizeof out, "%s (%.10s)", colon + 2, code);
        std::memcpy(buf, out, sizeof out);
    }
    return buf;
}

int fail_from_exception(dc_error *err, const char *what, const char *exc_text)
{
    const char *detail = t_error[0] ? tidy(t_error) : (exc_text && *exc_text ? exc_text : "unknown error");
    return dc_fail(err, DC_ERR_CORRUPT, "OpenJPH %s failed: %s", what, detail);
}

// The objects of one decode, held for dc_guard so that an abort() inside
// OpenJPH (whose destructors then never run) releases them all the same.
void release_codestream(void *p) { delete static_cast<ojph::codestream *>(p); }

struct held_codestream {
    ojph::codestream *cs;
    held_codestream() : cs(new ojph::codestream) { dc_guard_hold(1, release_codestream, cs); }
    ~held_codestream()
    {
        dc_guard_let_go(1);
        delete cs;
    }
    held_codestream(const held_codestream &) = delete;
    held_codestream &operator=(const held_codestream &) = delete;
};

// A copy of the codestream with the EOC its vendor left out.
struct held_copy {
    uint8_t *p = nullptr;
    held_copy() = default;
    ~held_copy()
    {
        if (p) {
            dc_guard_let_go(0);
            std::free(p);
        }
    }
    held_copy(const held_copy &) = delete;
    held_copy &operator=(const held_copy &) = delete;
};

const char *const k_progressions[5] = {"LRCP", "RLCP", "RPCL", "PCRL", "CPRL"};

int decode_impl(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                const dc_frame *f, const dc_j2k_decode_opts *opts, dc_error *err)
{
    held_copy copy;
    {
        size_t len;
        int add_eoc;
        dc_j2k_extent(src, srclen, &len, &add_eoc);
        if (add_eoc) {
            copy.p = static_cast<uint8_t *>(std::malloc(len + 2));
            if (!copy.p)
                return dc_fail(err, DC_ERR_NOMEM, "no memory for a copy of %zu bytes", len);
            dc_guard_hold(0, std::free, copy.p);
            std::memcpy(copy.p, src, len);
            copy.p[len] = 0xFF;
            copy.p[len + 1] = 0xD9;
            src = copy.p;
            len += 2;
        }
        srclen = len;
    }
    dc_j2k_info hdr;
    int rc = dc_j2k_parse(src, srclen, &hdr, err);
    if (rc)
        return rc;
    rc = dc_j2k_check_ojph(src, srclen, err);
    if (rc)
        return rc;
    rc = dc_j2k_check_frame(&hdr, f, opts ? opts->reduce : 0, dstlen, err);
    if (rc)
        return rc;
    rc = dc_j2k_check_packets(src, srclen, err);
    if (rc)
        return rc;
    if (!hdr.htj2k)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "not an HTJ2K codestream (no CAP marker)");
    uint32_t reduce = opts ? opts->reduce : 0;
    if (reduce > hdr.levels)
        return dc_fail(err, DC_ERR_INVALID_ARG, "reduce %u exceeds the codestream's %u "
                       "decomposition levels", reduce, hdr.levels);
    dc_j2k_store st;
    rc = dc_j2k_store_setup(&st, f, hdr.precision, hdr.is_signed,
                            opts ? opts->sign_correct : 1, err);
    if (rc)
        return rc;
    st.clamp = !hdr.reversible || reduce > 0; /* lossy or LL bands overshoot the range */

    held_codestream held;
    ojph::codestream &cs = *held.cs;
    ojph::mem_infile in;
    in.open(src, srclen);
    cs.read_headers(&in);
    ojph::param_siz siz = cs.access_siz();
    const uint32_t nc = siz.get_num_components();
    if (nc != f->samples_per_pixel)
        return dc_fail(err, DC_ERR_MISMATCH, "OpenJPH reads %u components", nc);
    for (uint32_t c = 0; c < nc; c++)
        if (siz.get_bit_depth(c) > f->bits_allocated)
            return dc_fail(err, DC_ERR_MISMATCH, "component %u has %u bits, more than Bits "
                           "Allocated %u", c, siz.get_bit_depth(c), f->bits_allocated);
    if (reduce)
        cs.restrict_input_resolution(reduce, reduce);
    cs.set_planar(false);
    cs.create();
    for (uint32_t c = 0; c < nc; c++)
        if (siz.get_recon_width(c) != f->columns || siz.get_recon_height(c) != f->rows)
            return dc_fail(err, DC_ERR_MISMATCH, "component %u decodes to %u x %u, the "
                           "dataset says %u x %u (reduce %u)", c, siz.get_recon_width(c),
                           siz.get_recon_height(c), f->columns, f->rows, reduce);
    const size_t row_bytes = (size_t)f->columns * nc * st.bytes;
    uint32_t rows_done[4] = {0, 0, 0, 0};
    const size_t total = (size_t)f->rows * nc;
    for (size_t k = 0; k < total; k++) {
        ojph::ui32 comp = 0;
        ojph::line_buf *line = cs.pull(comp);
        if (!line || comp >= nc || rows_done[comp] >= f->rows || line->size < f->columns)
            return dc_fail(err, DC_ERR_CORRUPT, "OpenJPH returned an unexpected line");
        dc_j2k_store_samples(line->i32, f->columns, dst + rows_done[comp] * row_bytes, nc, comp,
                             &st);
        rows_done[comp]++;
    }
    cs.close();
    return DC_OK;
}

int encode_impl(const uint8_t *src, size_t srclen, const dc_frame *f,
                const dc_ojph_encode_opts *o, dc_j2k_buf *out, dc_error *err)
{
    const size_t need = dc_frame_size(f);
    const uint32_t nc = f->samples_per_pixel, bs = f->bits_stored;
    if (need == 0 || (nc != 1 && nc != 3) || f->planar_configuration)
        return dc_fail(err, DC_ERR_INVALID_ARG, "cannot encode %u samples per pixel: HTJ2K "
                       "frames take 1 or 3", nc);
    if (f->bits_allocated != 8 && f->bits_allocated != 16 && f->bits_allocated != 32)
        return dc_fail(err, DC_ERR_INVALID_ARG, "Bits Allocated %u", f->bits_allocated);
    if (bs < 1 || bs > f->bits_allocated || bs > 30)
        return dc_fail(err, DC_ERR_INVALID_ARG, "Bits Stored %u: OpenJPH encodes 1 to 30 bits", bs);
    if (srclen < need)
        return dc_fail(err, DC_ERR_INVALID_ARG, "%zu bytes given for a frame of %zu", srclen, need);
    if (o->progression > 4)
        return dc_fail(err, DC_ERR_INVALID_ARG, "progression %u", o->progression);
    const bool sgn = f->pixel_representation != 0;
    const int64_t lo = sgn ? -((int64_t)1 << (bs - 1)) : 0;
    const int64_t hi = sgn ? ((int64_t)1 << (bs - 1)) - 1 : ((int64_t)1 << bs) - 1;

    ojph::codestream cs;
    ojph::param_siz siz = cs.access_siz();
    siz.set_image_extent(ojph::point(f->columns, f->rows));
    siz.set_num_components(nc);
    for (uint32_t c = 0; c < nc; c++)
        siz.set_component(c, ojph::point(1, 1), bs, sgn);
    siz.set_image_offset(ojph::point(0, 0));
    siz.set_tile_offset(ojph::point(0, 0));
    siz.set_tile_size(ojph::size(o->tile_w ? o->tile_w : f->columns,
                                 o->tile_h ? o->tile_h : f->rows));
    ojph::param_cod cod = cs.access_cod();
    cod.set_num_decomposition(o->levels);
    cod.set_block_dims(o->block_w ? o->block_w : 64, o->block_h ? o->block_h : 64);
    cod.set_progression_order(k_progressions[o->progression]);
    cod.set_color_transform(nc == 3 && o->mct);
    cod.set_reversible(o->reversible != 0);
    if (!o->reversible && o->qstep > 0)
        cs.access_qcd().set_irrev_quant(o->qstep);
    cs.set_planar(false);

    ojph::mem_outfile file;
    file.open();
    cs.write_headers(&file);
    ojph::ui32 comp = 0;
    ojph::line_buf *line = cs.exchange(nullptr, comp);
    uint32_t rows_done[4] = {0, 0, 0, 0};
    const size_t total = (size_t)f->rows * nc;
    const size_t bpsample = f->bits_allocated / 8;
    for (size_t k = 0; k < total; k++) {
        if (!line || comp >= nc || rows_done[comp] >= f->rows || line->size < f->columns)
            return dc_fail(err, DC_ERR_ENGINE, "OpenJPH asked for an unexpected line");
        const uint8_t *row = src + (size_t)rows_done[comp] * f->columns * nc * bpsample;
        ojph::si32 *d = line->i32;
        for (uint32_t x = 0; x < f->columns; x++) {
            const size_t i = (size_t)x * nc + comp;
            int64_t v;
            if (bpsample == 1) {
                v = sgn ? (int64_t)(int8_t)row[i] : (int64_t)row[i];
            } else if (bpsample == 2) {
                uint16_t u;
                std::memcpy(&u, row + 2 * i, 2);
                v = sgn ? (int64_t)(int16_t)u : (int64_t)u;
            } else {
                uint32_t u;
                std::memcpy(&u, row + 4 * i, 4);
                v = sgn ? (int64_t)(int32_t)u : (int64_t)u;
            }
            if (v < lo || v > hi)
                return dc_fail(err, DC_ERR_INVALID_ARG, "sample %lld at row %u, column %u does "
                               "not fit in Bits Stored %u", (long long)v, rows_done[comp], x, bs);
            d[x] = (ojph::si32)v;
        }
        rows_done[comp]++;
        line = cs.exchange(line, comp);
    }
    cs.flush();
    const size_t n = (size_t)file.tell();
    out->data = static_cast<uint8_t *>(std::malloc(n ? n : 1));
    if (!out->data)
        return dc_fail(err, DC_ERR_NOMEM, "no memory for %zu bytes", n);
    std::memcpy(out->data, file.get_data(), n);
    out->len = out->cap = n;
    out->pos = n;
    cs.close();
    if (o->tlm)
        return dc_j2k_add_tlm(out, err);
    return DC_OK;
}

} // namespace

extern "C" int dc_ojph_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                              const dc_frame *f, const dc_j2k_decode_opts *opts,
                              dc_j2k_info *info, dc_error *err)
{
    if (info) {
        dc_error ignored;
        ignored.msg[0] = 0;
        if (dc_j2k_parse(src, srclen, info, &ignored) != DC_OK)
            std::memset(info, 0, sizeof *info);
    }
    try {
        install_handlers();
        return decode_impl(src, srclen, dst, dstlen, f, opts, err);
    } catch (const std::bad_alloc &) {
        return dc_fail(err, DC_ERR_NOMEM, "OpenJPH: out of memory");
    } catch (const std::exception &e) {
        return fail_from_exception(err, "decode", e.what());
    } catch (...) {
        return fail_from_exception(err, "decode", nullptr);
    }
}

extern "C" int dc_ojph_encode(const uint8_t *src, size_t srclen, const dc_frame *f,
                              const dc_ojph_encode_opts *opts, dc_j2k_buf *out, dc_error *err)
{
    std::memset(out, 0, sizeof *out);
    int rc;
    try {
        install_handlers();
        rc = encode_impl(src, srclen, f, opts, out, err);
    } catch (const std::bad_alloc &) {
        rc = dc_fail(err, DC_ERR_NOMEM, "OpenJPH: out of memory");
    } catch (const std::exception &e) {
        rc = dc_fail(err, DC_ERR_ENGINE, "OpenJPH encode failed: %s",
                     t_error[0] ? tidy(t_error) : e.what());
    } catch (...) {
        rc = dc_fail(err, DC_ERR_ENGINE, "OpenJPH encode failed: %s",
                     t_error[0] ? tidy(t_error) : "unknown error");
    }
    if (rc != DC_OK)
        dc_j2k_buf_free(out);
    return rc;
}

#define DC_STR2(x) #x
#define DC_STR(x) DC_STR2(x)
extern "C" const char *dc_ojph_version(void)
{
    return DC_STR(OPENJPH_VERSION_MAJOR) "." DC_STR(OPENJPH_VERSION_MINOR) "."
        DC_STR(OPENJPH_VERSION_PATCH);
}
