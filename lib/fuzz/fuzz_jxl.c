/* fuzz_jxl.c: libFuzzer harness for lib/jxl. The first 4 bytes choose the
 * frame the dataset would describe (rows, columns, 1 or 3 samples, Bits
 * Allocated 8 or 16, Bits Stored); the rest is a JPEG XL codestream read as
 * a header, decoded to that frame, and asked for its JPEG, and also checked
 * as a JPEG bitstream for recompression. libjxl itself is not instrumented:
 * this catches our reads and writes, the output size checks and leaks. */
#include "fuzz_common.h"
#include "../jxl/dc_jxl.h"

static void check_error(int rc, const dc_error *err) { fuzz_check("fuzz_jxl", NULL, rc, err); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) return 0;
    dc_frame f;
    f.rows = 1u + data[0] % 128u;
    f.columns = 1u + data[1] % 128u;
    f.samples_per_pixel = (data[2] & 1u) ? 3u : 1u;
    f.bits_allocated = (data[2] & 2u) ? 16u : 8u;
    f.bits_stored = 1u + data[3] % f.bits_allocated;
    f.pixel_representation = (data[2] >> 2) & 1u;
    f.planar_configuration = 0;
    size_t srclen = size - 4;
    uint8_t *src = fuzz_copy(data + 4, srclen);

    dc_error err;
    err.msg[0] = '\0';
    dc_jxl_header h;
    int rc = dc_jxl_read_header(srclen ? src : NULL, srclen, &h, &err);
    check_error(rc, &err);
    if (rc == DC_OK) {
        /* Decode into what the header says, when it is a frame we take. */
        dc_frame g = f;
        if (h.width && h.height && h.width <= 256 && h.height <= 256) {
            g.columns = h.width;
            g.rows = h.height;
            g.samples_per_pixel = h.channels;
            g.bits_allocated = h.bits > 8 ? 16u : 8u;
            g.bits_stored = h.bits ? h.bits : 1u;
        }
        size_t gsize = dc_frame_size(&g);
        uint8_t *dst = malloc(gsize ? gsize : 1u);
        if (dst == NULL) abort();
        err.msg[0] = '\0';
        check_error(dc_jxl_decode(src, srclen, dst, gsize, &g, data[3] & 1u ? 2u : 1u, &err),
                    &err);
        free(dst);
    }
    size_t fsize = dc_frame_size(&f);
    uint8_t *dst = malloc(fsize);
    if (dst == NULL) abort();
    err.msg[0] = '\0';
    check_error(dc_jxl_decode(srclen ? src : NULL, srclen, dst, fsize, &f, 1u, &err), &err);
    free(dst);

    size_t cap = 64u + srclen * 2u;
    uint8_t *jpeg = malloc(cap);
    if (jpeg == NULL) abort();
    size_t n = 0;
    err.msg[0] = '\0';
    rc = dc_jxl_to_jpeg(srclen ? src : NULL, srclen, jpeg, cap, &n, &err);
    check_error(rc, &err);
    if (rc == DC_OK && n > cap) abort();
    err.msg[0] = '\0';
    check_error(dc_jxl_check_jpeg(srclen ? src : NULL, srclen, &err), &err);
    free(jpeg);
    free(src);
    return 0;
}
