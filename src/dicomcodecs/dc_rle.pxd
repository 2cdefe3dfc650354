# Declarations of lib/rle/dc_rle.h; no logic here.
from libc.stdint cimport uint8_t
from dc_common cimport dc_error, dc_frame

cdef extern from "rle/dc_rle.h" nogil:
    unsigned DC_RLE_LSB_FIRST
    int dc_rle_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                      const dc_frame *f, unsigned flags, dc_error *err)
    size_t dc_rle_encode_bound(const dc_frame *f)
    int dc_rle_encode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                      size_t *dstlen, const dc_frame *f, dc_error *err)
