/* fuzz_turbo.c: libFuzzer harness for lib/jpeg/dc_turbo.c, the libjpeg-turbo
 * glue (8-bit baseline/extended/progressive/arithmetic JPEG). Reads the
 * header, derives the frame from it, decodes with the colour and leniency
 * flags the Python side uses, interleaved and by plane, checks the error
 * contract, then encodes what decoded and decodes that again. Buffers are
 * heap copies of exactly the size the glue is told, so AddressSanitizer sees
 * any overrun; a longjmp that escaped its function would crash here.
 *
 *   clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *       lib/fuzz/fuzz_turbo.c lib/jpeg/dc_turbo.c lib/common/dc_common.c lib/common/dc_color.c \
 *       $(pkg-config --cflags --libs libjpeg) -o fuzz_turbo
 */
#include "fuzz_common.h"
#include "../common/dc_common.h"
#include "../jpeg/dc_turbo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int rc, const dc_error *err) { fuzz_check("fuzz_turbo", NULL, rc, err); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dc_turbo_info info;
    dc_error err;
    if (size == 0) return 0;
    /* an exact-size heap copy, so reads past the end are caught */
    uint8_t *src = fuzz_copy(data, size);
    err.msg[0] = '\0';
    int rc = dc_turbo_read_header(src, size, &info, &err);
    check(rc, &err);
    if (rc != DC_OK || info.rows == 0 || info.columns == 0 || info.components == 0 ||
        info.components > 4) {
        free(src);
        return 0;
    }
    uint64_t n = (uint64_t)info.rows * info.columns * info.components;
    /* keep each run quick: huge frames from tiny inputs are all padding */
    if (n > (uint64_t)4096 * 4096 || n > (uint64_t)size * 4096 + 65536) {
        free(src);
        return 0;
    }
    dc_frame f;
    memset(&f, 0, sizeof f);
    f.rows = info.rows;
    f.columns = info.columns;
    f.samples_per_pixel = info.components;
    f.bits_allocated = 8;
    f.bits_stored = 8;
    size_t len = dc_frame_size(&f);
    uint8_t *dst = (uint8_t *)malloc(len);
    if (!dst) {
        free(src);
        return 0;
    }
    static const unsigned flag_sets[4] = {
        DC_TURBO_FLAG_STORED_YBR | DC_TURBO_FLAG_TO_RGB,
        DC_TURBO_FLAG_STORED_RGB,
        DC_TURBO_FLAG_ALLOW_TRUNCATED | DC_TURBO_FLAG_FAST_IDCT | DC_TURBO_FLAG_TO_RGB,
        0,
    };
    int decoded = 0;
    for (int i = 0; i < 4; i++) {
        f.planar_configuration = (uint32_t)(i == 3);
        err.msg[0] = '\0';
        rc = dc_turbo_decode(src, size, dst, len, &f, flag_sets[i], &err);
        check(rc, &err);
        if (i == 2 && rc == DC_OK) decoded = 1;
    }
    /* a too-small output must be refused, not overrun */
    f.planar_configuration = 0;
    err.msg[0] = '\0';
    if (dc_turbo_decode(src, size, dst, len - 1, &f, 0, &err) != DC_ERR_OUTPUT_TOO_SMALL) abort();
    /* a frame that disagrees with the stream */
    f.rows += 1;
    err.msg[0] = '\0';
    rc = dc_turbo_decode(src, size, dst, len, &f, 0, &err);
    check(rc, &err);
    if (rc == DC_OK) abort();
    f.rows -= 1;

    /* encode what decoded (1 or 3 components), then decode it back */
    if (decoded && (info.components == 1 || info.components == 3) && n <= (uint64_t)1 << 20) {
        dc_turbo_params p;
        memset(&p, 0, sizeof p);
        uint8_t sel = data[size - 1];
        p.quality = 1 + sel % 100;
        p.subsampling = (sel & 0x30) == 0 ? 444 : (sel & 0x30) == 0x10 ? 420 : 422;
        p.optimize_huffman = (sel >> 6) & 1;
        p.restart_interval = (sel >> 7) ? 3 : 0;
        p.color_transform = (sel & 1) == 0;
        p.progressive = (sel & 2) != 0;
        f.planar_configuration = (sel >> 2) & 1;
        size_t cap = dc_turbo_encode_bound(&f);
        if (cap == 0) abort();
        uint8_t *enc = (uint8_t *)malloc(cap);
        if (enc) {
            size_t elen = 0;
            err.msg[0] = '\0';
            rc = dc_turbo_encode(dst, len, &f, &p, enc, cap, &elen, &err);
            check(rc, &err);
            if (rc != DC_OK || elen == 0 || elen > cap) abort();
            /* the same pixels into half the room fail cleanly */
            size_t elen2 = 0;
            uint8_t *small = (uint8_t *)malloc(elen / 2 + 1);
            if (small) {
                err.msg[0] = '\0';
                rc = dc_turbo_encode(dst, len, &f, &p, small, elen / 2 + 1, &elen2, &err);
                check(rc, &err);
                if (rc != DC_ERR_OUTPUT_TOO_SMALL) abort();
                free(small);
            }
            /* and what we wrote decodes */
            err.msg[0] = '\0';
            rc = dc_turbo_decode(enc, elen, dst, len, &f, 0, &err);
            check(rc, &err);
            if (rc != DC_OK) abort();
            free(enc);
        }
    }
    free(dst);
    free(src);
    return 0;
}
