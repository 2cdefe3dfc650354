/* dc_rle.h: DICOM RLE Lossless (PS3.5 Annex G) frame decoder and encoder. */
#ifndef DC_RLE_H
#define DC_RLE_H

#include "../common/dc_common.h"

/* Segments hold the least significant byte first instead of the standard's
 * most significant byte first (pydicom's rle_segment_order '<'). */
#define DC_RLE_LSB_FIRST 1u

/* Decode one RLE frame into dst, laid out as f->planar_configuration says
 * and samples in native (little-endian) byte order. */
int dc_rle_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                  const dc_frame *f, unsigned flags, dc_error *err);

/* Largest encoded size of a frame: what dc_rle_encode may need in dst. */
size_t dc_rle_encode_bound(const dc_frame *f);

/* Encode one frame held in src (layout f->planar_configuration, native byte
 * order). Each row of each segment is coded on its own, as G.3.1 requires. */
int dc_rle_encode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                  size_t *dstlen, const dc_frame *f, dc_error *err);

#endif
