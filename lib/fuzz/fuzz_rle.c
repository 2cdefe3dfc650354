/* fuzz_rle.c: libFuzzer harness for lib/rle. The first 4 bytes choose the
 * frame (rows, columns, samples, bits, layout); the rest is decoded as an RLE
 * frame with both segment orders, then encoded as pixels and decoded back,
 * which must reproduce them exactly. Buffers are heap copies of exactly the
 * size the codec is told, so AddressSanitizer sees any overrun. */
#include "fuzz_common.h"
#include "../rle/dc_rle.h"

static void check_error(int rc, const dc_error *err) { fuzz_check("fuzz_rle", NULL, rc, err); }

static void decode_any(const uint8_t *src, size_t srclen, const dc_frame *f, size_t fsize)
{
    static const unsigned flags[2] = {0u, DC_RLE_LSB_FIRST};
    uint8_t *copy = fuzz_copy(src, srclen);
    uint8_t *dst = malloc(fsize);
    if (dst == NULL) abort();
    for (int k = 0; k < 2; k++) {
        dc_error err;
        err.msg[0] = '\0';
        int rc = dc_rle_decode(copy, srclen, dst, fsize, f, flags[k], &err);
        check_error(rc, &err);
        if (rc == DC_OK)
            dc_fix_unused_bits(dst, fsize / (f->bits_allocated / 8), f->bits_allocated,
                               f->bits_stored, (int)f->pixel_representation);
    }
    /* Too small an output must be refused, not overrun. */
    if (fsize > 1) {
        dc_error err;
        err.msg[0] = '\0';
        int rc = dc_rle_decode(copy, srclen, dst, fsize - 1, f, 0u, &err);
        if (rc == DC_OK) {
            fprintf(stderr, "fuzz_rle: decoded into a buffer one byte short\n");
            abort();
        }
    }
    free(dst);
    free(copy);
}

static void round_trip(const uint8_t *pixels, size_t npix, const dc_frame *f, size_t fsize)
{
    size_t bound = dc_rle_encode_bound(f);
    if (bound == 0) {
        /* Only a frame RLE cannot hold (more than 15 segments) has no bound. */
        if ((f->bits_allocated / 8) * f->samples_per_pixel <= 15) {
            fprintf(stderr, "fuzz_rle: no encode bound for a valid frame\n");
            abort();
        }
        return;
    }
    uint8_t *src = malloc(fsize);
    uint8_t *enc = malloc(bound);
    uint8_t *dec = malloc(fsize);
    if (src == NULL || enc == NULL || dec == NULL) abort();
    /* The pixels: the input bytes repeated, so short inputs still fill it. */
    for (size_t i = 0; i < fsize; i++) src[i] = npix ? pixels[i % npix] : (uint8_t)i;

    dc_error err;
    err.msg[0] = '\0';
    size_t n = 0;
    int rc = dc_rle_encode(src, fsize, enc, bound, &n, f, &err);
    if (rc != DC_OK || n > bound || n < 64 || n % 2) {
        fprintf(stderr, "fuzz_rle: encode failed (%d, %zu of %zu bytes): %s\n", rc, n, bound,
                err.msg);
        abort();
    }
    err.msg[0] = '\0';
    rc = dc_rle_decode(enc, n, dec, fsize, f, 0u, &err);
    if (rc != DC_OK || memcmp(src, dec, fsize) != 0) {
        fprintf(stderr, "fuzz_rle: round trip differs (%d): %s\n", rc, err.msg);
        abort();
    }
    free(dec);
    free(enc);
    free(src);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) return 0;
    static const uint32_t bits[4] = {8, 16, 32, 64};
    dc_frame f;
    f.rows = 1u + data[0] % 32u;
    /* Up to 300 columns: rows cross the 128-byte run limit twice. */
    f.columns = 1u + (uint32_t)(data[1] | (data[2] & 1u) << 8) % 300u;
    f.samples_per_pixel = (data[2] & 2u) ? 3u : 1u;
    f.bits_allocated = bits[(data[2] >> 2) & 3u];
    f.planar_configuration = (data[2] >> 4) & 1u;
    f.pixel_representation = (data[2] >> 5) & 1u;
    f.bits_stored = 1u + data[3] % f.bits_allocated;
    size_t fsize = dc_frame_size(&f);
    if (fsize == 0) abort(); /* every frame above has a size */

    decode_any(data + 4, size - 4, &f, fsize);
    round_trip(data + 4, size - 4, &f, fsize);
    return 0;
}
