/* fuzz_jpegls.c: libFuzzer harness for lib/jpegls (our JPEG-LS codec). The
 * input is a JPEG-LS stream; the frame is taken from its header (capped at
 * 2^20 samples) and decoded three times: as its natural layout (8-bit units
 * up to precision 8, unsigned, interleaved), as 16-bit signed planes (the
 * widening, planar and sign paths) and component by component at each
 * component's own size (sub-sampled frames, 2 or 4 components). A
 * one-byte-short output must be refused. A lossless frame that decodes is
 * encoded again with the same interleave mode and must decode back to the
 * same samples, and an output a byte short or half the size must be refused.
 * Buffers are heap copies of exactly the size the codec is told, so
 * AddressSanitizer sees any overrun; the output buffers also carry guard
 * bytes on both sides, checked after each call (for uninstrumented replays).
 *
 * Build: clang-14 -g -O1 -fsanitize=fuzzer,address,undefined -Ilib lib/fuzz/fuzz_jpegls.c
 *        lib/jpegls/jls_*.c lib/jpegls/dc_jpegls.c lib/common/dc_common.c */
#include "fuzz_common.h"
#include "../jpegls/dc_jpegls.h"

#define MAX_SAMPLES (1u << 20)
#define MAX_ROUND_TRIP_SAMPLES (1u << 16)
#define GUARD 256u
#define GUARD_BYTE 0xA5u

/* n writable bytes between two guard zones. */
static uint8_t *guarded_alloc(size_t n)
{
    uint8_t *g = malloc(n + 2 * GUARD);
    if (g == NULL) abort();
    memset(g, GUARD_BYTE, n + 2 * GUARD);
    return g + GUARD;
}

static void guarded_check_free(uint8_t *p, size_t n, const char *what)
{
    uint8_t *g = p - GUARD;
    for (size_t i = 0; i < GUARD; i++) {
        if (g[i] != GUARD_BYTE || p[n + i] != GUARD_BYTE) {
            fprintf(stderr, "fuzz_jpegls: %s wrote %s its %zu-byte output\n", what,
                    g[i] != GUARD_BYTE ? "before" : "after", n);
            abort();
        }
    }
    free(g);
}

static void check_error(const char *what, int rc, const dc_error *err)
{
    fuzz_check("fuzz_jpegls", what, rc, err);
}

/* Decodes into a guarded copy of dst (dstlen bytes), copied back on success. */
static int decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                  const dc_frame *f, const char *what)
{
    dc_error err;
    err.msg[0] = '\0';
    uint8_t *out = guarded_alloc(dstlen);
    int rc = dc_jpegls_decode(src, srclen, out, dstlen, f, &err);
    check_error(what, rc, &err);
    if (rc == DC_OK && dst != NULL) memcpy(dst, out, dstlen);
    guarded_check_free(out, dstlen, what);
    return rc;
}

static void round_trip(const uint8_t *px, size_t fsize, const dc_frame *f, uint32_t ilv)
{
    dc_jpegls_params p = {0, (int32_t)ilv, 0, 0, 0, 0, 0};
    dc_error err;
    err.msg[0] = '\0';
    size_t n = 0;
    int rc = DC_ERR_OUTPUT_TOO_SMALL;
    uint8_t *enc = NULL;
    for (int worst = 0; worst < 2 && rc == DC_ERR_OUTPUT_TOO_SMALL; worst++) {
        size_t bound = dc_jpegls_encode_bound(f, worst);
        if (bound == 0) {
            fprintf(stderr, "fuzz_jpegls: no encode bound for a decodable frame\n");
            abort();
        }
        uint8_t *out = guarded_alloc(bound);
        err.msg[0] = '\0';
        rc = dc_jpegls_encode(px, fsize, out, bound, &n, f, &p, &err);
        check_error("encode", rc, &err);
        free(enc);
        enc = malloc(bound);
        if (enc == NULL) abort();
        memcpy(enc, out, bound);
        guarded_check_free(out, bound, "encode");
    }
    if (rc != DC_OK || n % 2) {
        fprintf(stderr, "fuzz_jpegls: re-encoding decoded samples failed (%d, %zu bytes): %s\n",
                rc, n, err.msg);
        abort();
    }
    /* an output a byte short, or half the size, is refused without a write
     * beyond it (the encoder's checks at the end and in the middle of a scan) */
    const size_t shorter[2] = {n - 1, n / 2};
    for (int i = 0; i < 2; i++) {
        size_t m = 0;
        uint8_t *out = guarded_alloc(shorter[i]);
        err.msg[0] = '\0';
        rc = dc_jpegls_encode(px, fsize, out, shorter[i], &m, f, &p, &err);
        check_error("encode into a short output", rc, &err);
        if (rc != DC_ERR_OUTPUT_TOO_SMALL) {
            fprintf(stderr, "fuzz_jpegls: %zu of %zu output bytes accepted (%d)\n", shorter[i],
                    n, rc);
            abort();
        }
        guarded_check_free(out, shorter[i], "encode into a short output");
    }
    uint8_t *dec = malloc(fsize);
    if (dec == NULL) abort();
    rc = decode(enc, n, dec, fsize, f, "decode of re-encoded");
    if (rc != DC_OK || memcmp(px, dec, fsize) != 0) {
        fprintf(stderr, "fuzz_jpegls: lossless round trip differs (%d)\n", rc);
        abort();
    }
    free(dec);
    free(enc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *src = malloc(size ? size : 1u);
    if (src == NULL) abort();
    if (size) memcpy(src, data, size);

    dc_jpegls_info info;
    dc_error err;
    err.msg[0] = '\0';
    int rc = dc_jpegls_read_header(src, size, &info, &err);
    check_error("read_header", rc, &err);
    if (rc != DC_OK || info.components == 0 || info.components > 4 ||
        (uint64_t)info.width * info.height * info.components > MAX_SAMPLES) {
        free(src);
        return 0;
    }
    size_t nplanes = 0;
    for (uint32_t c = 0; c < info.components; c++)
        nplanes += (size_t)info.comp_width[c] * info.comp_height[c];
    uint8_t *planes = guarded_alloc(2 * nplanes);
    err.msg[0] = '\0';
    rc = dc_jpegls_decode_components(src, size, (uint16_t *)planes, 2 * nplanes, &err);
    check_error("decode_components", rc, &err);
    guarded_check_free(planes, 2 * nplanes, "decode_components");
    if (info.components == 2 || info.components == 4) {
        free(src);
        return 0;
    }

    dc_frame f;
    f.rows = info.height;
    f.columns = info.width;
    f.samples_per_pixel = info.components;
    f.bits_allocated = info.bits_per_sample > 8 ? 16u : 8u;
    f.bits_stored = info.bits_per_sample;
    f.pixel_representation = 0;
    f.planar_configuration = 0;
    size_t fsize = dc_frame_size(&f);
    if (fsize == 0) {
        /* an empty frame (0 rows or columns): the glue must refuse it */
        uint8_t one;
        if (decode(src, size, &one, 1, &f, "empty frame") == DC_OK) abort();
        free(src);
        return 0;
    }

    uint8_t *dst = malloc(fsize);
    if (dst == NULL) abort();
    rc = decode(src, size, dst, fsize, &f, "decode");
    if (decode(src, size, dst, fsize - 1, &f, "short output") == DC_OK) {
        fprintf(stderr, "fuzz_jpegls: decoded into a buffer one byte short\n");
        abort();
    }

    dc_frame g = f;
    g.bits_allocated = 16;
    g.pixel_representation = 1;
    g.planar_configuration = info.components > 1;
    size_t gsize = dc_frame_size(&g);
    decode(src, size, NULL, gsize, &g, "decode as 16-bit signed planes");

    if (rc == DC_OK && info.near_lossless == 0 &&
        (size_t)info.width * info.height * info.components <= MAX_ROUND_TRIP_SAMPLES) {
        /* A damaged stream's LSE may set MAXVAL below 2^P - 1; only a frame
         * within the default range is re-encoded (with default presets). */
        int in_range = 1;
        size_t ns = fsize / (f.bits_allocated / 8);
        uint32_t maxval = (1u << info.bits_per_sample) - 1u;
        for (size_t i = 0; i < ns && in_range; i++) {
            uint32_t v = f.bits_allocated == 8 ? dst[i]
                                               : (uint32_t)(dst[2 * i] | dst[2 * i + 1] << 8);
            in_range = v <= maxval;
        }
        if (in_range) round_trip(dst, fsize, &f, info.interleave_mode);
    }
    free(dst);
    free(src);
    return 0;
}
