/* dc_deflate.h: Deflated Image Frame Compression (PS3.5 A.4.13): one frame
 * as a raw Deflate stream (RFC 1951), through libdeflate. */
#ifndef DC_DEFLATE_H
#define DC_DEFLATE_H

#include "../common/dc_common.h"

/* Inflate one frame into dst, which must come out exactly dstlen bytes long
 * (the frame as the dataset describes it, packed when Bits Allocated is 1).
 * Bytes after the end of the Deflate stream (the NULL pad to even length)
 * are ignored. */
int dc_deflate_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                      dc_error *err);

/* Largest raw Deflate stream of srclen bytes, plus the pad byte. */
size_t dc_deflate_encode_bound(size_t srclen);

/* Deflate srclen bytes at libdeflate's `level` (0-12) into dst (dstcap bytes,
 * at least dc_deflate_encode_bound) and pad it with a NULL byte to even
 * length; *dstlen receives the padded length. */
int dc_deflate_encode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                      size_t *dstlen, int level, dc_error *err);

/* Bits Allocated 1: unpack npix one-bit samples (first sample in the least
 * significant bit, PS3.5 8.1.1), starting `bit` bits into src, to one byte
 * each (0 or 1) in dst; and pack them back. Both check their spans. */
int dc_bits_unpack(const uint8_t *src, size_t srclen, size_t bit, uint8_t *dst, size_t npix,
                   dc_error *err);
int dc_bits_pack(const uint8_t *src, size_t npix, uint8_t *dst, size_t dstlen, size_t bit,
                 dc_error *err);

const char *dc_deflate_version(void);

#endif
