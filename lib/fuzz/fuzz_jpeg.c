/* fuzz_jpeg.c: libFuzzer entry for our lossless / 12-bit JPEG decoder
 * (lib/jpeg). Reads the header, derives a frame descriptor from it, and
 * decodes with several flag combinations and output layouts.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib/common -Ilib/jpeg \
 *       lib/fuzz/fuzz_jpeg.c lib/jpeg/ljpeg_*.c lib/common/dc_common.c -o fuzz_jpeg
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../common/dc_common.h"
#include "../jpeg/ljpeg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dc_ljpeg_info info;
    dc_error err;
    err.msg[0] = '\0';
    if (dc_ljpeg_read_header(data, size, &info, &err) != DC_OK) return 0;
    if (info.rows == 0 || info.columns == 0 || info.components == 0 || info.components > 4) return 0;
    uint64_t n = (uint64_t)info.rows * info.columns * info.components;
    if (n > (uint64_t)4096 * 4096 * 4) return 0;
    /* keep each run quick: big frames from tiny inputs are all padding */
    if (n > (uint64_t)size * 256 + ((uint64_t)1 << 18)) return 0;

    dc_frame f;
    memset(&f, 0, sizeof f);
    f.rows = info.rows;
    f.columns = info.columns;
    f.samples_per_pixel = info.components;
    f.bits_allocated = info.precision > 8 ? 16 : 8;
    f.bits_stored = info.precision ? info.precision : 8;
    if (f.bits_stored > f.bits_allocated) f.bits_stored = f.bits_allocated;
    size_t len = dc_frame_size(&f);
    if (len == 0) return 0;
    uint8_t *dst = (uint8_t *)malloc(len);
    if (!dst) return 0;

    static const unsigned flag_sets[4] = {
        0,
        DC_LJPEG_FLAG_ALLOW_TRUNCATED,
        DC_LJPEG_FLAG_CORNELL | DC_LJPEG_FLAG_PRED6_WRAP | DC_LJPEG_FLAG_ALLOW_TRUNCATED,
        DC_LJPEG_FLAG_NO_CORNELL_AUTO,
    };
    for (int i = 0; i < 4; i++) {
        f.planar_configuration = (uint32_t)(i & 1);
        f.pixel_representation = (uint32_t)((i >> 1) & 1);
        err.msg[0] = '\0';
        int st = dc_ljpeg_decode(data, size, dst, len, &f, flag_sets[i], &err);
        /* every failure must carry a message */
        if (st != DC_OK && err.msg[0] == '\0') abort();
    }
    /* a too-small buffer must be refused, not overrun */
    err.msg[0] = '\0';
    if (dc_ljpeg_decode(data, size, dst, len - 1, &f, 0, &err) != DC_ERR_OUTPUT_TOO_SMALL) abort();
    /* 16-bit output for an 8-bit stream */
    if (f.bits_allocated == 8 && n <= (uint64_t)1 << 20) {
        f.bits_allocated = 16;
        size_t len16 = dc_frame_size(&f);
        uint8_t *d16 = (uint8_t *)malloc(len16);
        if (d16) {
            err.msg[0] = '\0';
            (void)dc_ljpeg_decode(data, size, d16, len16, &f, DC_LJPEG_FLAG_ALLOW_TRUNCATED, &err);
            free(d16);
        }
    }
    free(dst);
    return 0;
}
