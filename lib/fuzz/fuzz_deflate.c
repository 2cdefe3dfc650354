/* fuzz_deflate.c: libFuzzer harness for lib/deflate. The first 4 bytes
 * choose the frame (rows, columns, samples, Bits Allocated 1/8/16/32); the
 * rest is inflated into exactly that frame's size, then used as pixels:
 * deflated, inflated back (must match), and packed/unpacked as one-bit
 * samples from an odd bit offset (must match). Buffers are heap copies of
 * exactly the size the code is told, so AddressSanitizer sees any overrun. */
#include "fuzz_common.h"
#include "../deflate/dc_deflate.h"

static void check_error(int rc, const dc_error *err) { fuzz_check("fuzz_deflate", NULL, rc, err); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4) return 0;
    static const uint32_t bits[4] = {1, 8, 16, 32};
    size_t rows = 1u + data[0] % 64u, cols = 1u + data[1] % 64u;
    size_t spp = (data[2] & 1u) ? 3u : 1u;
    uint32_t ba = bits[(data[2] >> 1) & 3u];
    size_t nsamples = rows * cols * spp;
    size_t fsize = (nsamples * ba + 7u) / 8u;
    const uint8_t *src = data + 4;
    size_t srclen = size - 4;

    uint8_t *copy = fuzz_copy(src, srclen);
    uint8_t *frame = malloc(fsize);
    if (frame == NULL) abort();
    dc_error err;
    err.msg[0] = '\0';
    int rc = dc_deflate_decode(srclen ? copy : NULL, srclen, frame, fsize, &err);
    check_error(rc, &err);

    /* The input bytes as a frame's pixels: deflate and inflate them back. */
    for (size_t i = 0; i < fsize; i++) frame[i] = srclen ? src[i % srclen] : (uint8_t)i;
    size_t bound = dc_deflate_encode_bound(fsize);
    uint8_t *enc = malloc(bound);
    uint8_t *back = malloc(fsize);
    if (enc == NULL || back == NULL) abort();
    size_t n = 0;
    err.msg[0] = '\0';
    rc = dc_deflate_encode(frame, fsize, enc, bound, &n, data[3] % 13, &err);
    if (rc != DC_OK || n % 2 || n > bound) {
        fprintf(stderr, "fuzz_deflate: encode failed (%d, %zu of %zu): %s\n", rc, n, bound,
                err.msg);
        abort();
    }
    err.msg[0] = '\0';
    rc = dc_deflate_decode(enc, n, back, fsize, &err);
    if (rc != DC_OK || memcmp(frame, back, fsize) != 0) {
        fprintf(stderr, "fuzz_deflate: round trip differs (%d): %s\n", rc, err.msg);
        abort();
    }
    /* Too small an output must be refused, not overrun. */
    if (fsize > 1) {
        err.msg[0] = '\0';
        if (dc_deflate_decode(enc, n, back, fsize - 1, &err) == DC_OK) {
            fprintf(stderr, "fuzz_deflate: inflated into a buffer one byte short\n");
            abort();
        }
    }

    /* One-bit samples from an odd offset, within and past the buffer. */
    size_t off = data[3] % 8u, npix = fsize * 8u - off;
    uint8_t *px = malloc(npix ? npix : 1u);
    uint8_t *packed = calloc(fsize, 1);
    if (px == NULL || packed == NULL) abort();
    err.msg[0] = '\0';
    if (dc_bits_unpack(frame, fsize, off, px, npix, &err) != DC_OK) abort();
    if (dc_bits_pack(px, npix, packed, fsize, off, &err) != DC_OK) abort();
    if (off == 0 && memcmp(packed, frame, fsize) != 0) {
        fprintf(stderr, "fuzz_deflate: bit packing round trip differs\n");
        abort();
    }
    err.msg[0] = '\0';
    if (dc_bits_unpack(frame, fsize, off + 1u, px, npix, &err) == DC_OK) abort();
    check_error(DC_ERR_TRUNCATED, &err);

    free(packed);
    free(px);
    free(back);
    free(enc);
    free(frame);
    free(copy);
    return 0;
}
