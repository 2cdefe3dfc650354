/* dc_deflate.c: the libdeflate glue for Deflated Image Frame Compression.
 * libdeflate works on whole buffers, which a DICOM frame always is, and is
 * several times faster than zlib's streaming inflate for them. Its
 * (de)compressor objects are allocated per call: a few tens of KiB, a small
 * cost next to any real frame, and nothing is shared between threads. */
#include "dc_deflate.h"

#include <libdeflate.h>
#include <string.h>

int dc_deflate_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                      dc_error *err)
{
    if (src == NULL && srclen)
        return dc_fail(err, DC_ERR_INVALID_ARG, "no input buffer");
    if (srclen == 0)
        return dc_fail(err, DC_ERR_TRUNCATED, "empty frame: no Deflate stream");
    struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
    if (d == NULL)
        return dc_fail(err, DC_ERR_NOMEM, "cannot allocate a Deflate decompressor");
    size_t in_used = 0, out_len = 0;
    enum libdeflate_result r =
        libdeflate_deflate_decompress_ex(d, src, srclen, dst, dstlen, &in_used, &out_len);
    libdeflate_free_decompressor(d);
    switch (r) {
    case LIBDEFLATE_SUCCESS:
        break;
    case LIBDEFLATE_INSUFFICIENT_SPACE:
        return dc_fail(err, DC_ERR_MISMATCH,
                       "the Deflate stream inflates to more than the %zu bytes the frame holds",
                       dstlen);
    case LIBDEFLATE_SHORT_OUTPUT: /* only reported without out_len */
    case LIBDEFLATE_BAD_DATA:
    default:
        /* libdeflate cannot tell a cut stream from a corrupt one: a stream
         * that runs to the very end of the input without a final block is
         * most likely cut short. */
        return dc_fail(err, DC_ERR_CORRUPT, "invalid or truncated Deflate stream (%zu bytes)",
                       srclen);
    }
    if (out_len != dstlen)
        return dc_fail(err, DC_ERR_MISMATCH,
                       "the Deflate stream inflates to %zu bytes, the frame holds %zu", out_len,
                       dstlen);
    /* What follows the stream may only be padding (PS3.5 A.4.13: one NULL
     * byte; more NULLs are tolerated, as zlib-based readers do). */
    for (size_t i = in_used; i < srclen; i++) {
        if (src[i] != 0)
            return dc_fail(err, DC_ERR_CORRUPT, "byte %zu after the end of the Deflate stream "
                           "is 0x%02x, not NULL padding", i, src[i]);
    }
    return DC_OK;
}

size_t dc_deflate_encode_bound(size_t srclen)
{
    /* libdeflate's bound needs no compressor for the worst case (stored
     * blocks): 5 bytes a 64 KiB block beyond the data, plus slack. */
    size_t blocks = srclen / 65535u + 1u;
    if (srclen > ((size_t)-1 - 64u) - 5u * blocks)
        return 0;
    return srclen + 5u * blocks + 64u;
}

int dc_deflate_encode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                      size_t *dstlen, int level, dc_error *err)
{
    *dstlen = 0;
    if (level < 0 || level > 12)
        return dc_fail(err, DC_ERR_INVALID_ARG, "compression level %d outside 0..12", level);
    if (src == NULL || srclen == 0)
        return dc_fail(err, DC_ERR_INVALID_ARG, "empty frame");
    if (dstcap < 2)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "no room for a Deflate stream");
    struct libdeflate_compressor *c = libdeflate_alloc_compressor(level);
    if (c == NULL)
        return dc_fail(err, DC_ERR_NOMEM, "cannot allocate a Deflate compressor");
    /* One byte kept back for the pad. */
    size_t n = libdeflate_deflate_compress(c, src, srclen, dst, dstcap - 1);
    libdeflate_free_compressor(c);
    if (n == 0)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL,
                       "%zu bytes of output cannot hold the Deflate stream", dstcap);
    if (n % 2)
        dst[n++] = 0;
    *dstlen = n;
    return DC_OK;
}

int dc_bits_unpack(const uint8_t *src, size_t srclen, size_t bit, uint8_t *dst, size_t npix,
                   dc_error *err)
{
    if (bit > srclen * 8u || npix > srclen * 8u - bit)
        return dc_fail(err, DC_ERR_TRUNCATED, "%zu one-bit samples from bit %zu need more than "
                       "%zu bytes", npix, bit, srclen);
    size_t i = 0;
    /* Up to a byte boundary, then whole bytes. */
    for (; i < npix && (bit + i) % 8u; i++)
        dst[i] = (uint8_t)((src[(bit + i) / 8u] >> ((bit + i) % 8u)) & 1u);
    for (; i + 8u <= npix; i += 8u) {
        uint8_t b = src[(bit + i) / 8u];
        for (unsigned k = 0; k < 8u; k++)
            dst[i + k] = (uint8_t)((b >> k) & 1u);
    }
    for (; i < npix; i++)
        dst[i] = (uint8_t)((src[(bit + i) / 8u] >> ((bit + i) % 8u)) & 1u);
    return DC_OK;
}

int dc_bits_pack(const uint8_t *src, size_t npix, uint8_t *dst, size_t dstlen, size_t bit,
                 dc_error *err)
{
    if (bit > dstlen * 8u || npix > dstlen * 8u - bit)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "%zu one-bit samples from bit %zu need "
                       "more than %zu bytes", npix, bit, dstlen);
    for (size_t i = 0; i < npix; i++) {
        size_t at = bit + i;
        uint8_t mask = (uint8_t)(1u << (at % 8u));
        if (src[i] & 1u)
            dst[at / 8u] |= mask;
        else
            dst[at / 8u] &= (uint8_t)~mask;
    }
    return DC_OK;
}

const char *dc_deflate_version(void)
{
    return LIBDEFLATE_VERSION_STRING;
}
