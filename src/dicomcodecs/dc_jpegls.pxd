# Declarations of lib/jpegls/dc_jpegls.h; no logic here.
from libc.stdint cimport uint8_t, uint16_t, uint32_t, int32_t
from dc_common cimport dc_error, dc_frame

cdef extern from "jpegls/dc_jpegls.h" nogil:
    ctypedef struct dc_jpegls_info:
        uint32_t width
        uint32_t height
        uint32_t components
        uint32_t bits_per_sample
        uint32_t near_lossless
        uint32_t interleave_mode
        uint32_t transform
        uint32_t comp_width[4]
        uint32_t comp_height[4]
    ctypedef struct dc_jpegls_params:
        int32_t near_lossless
        int32_t interleave_mode
        int32_t maxval
        int32_t t1
        int32_t t2
        int32_t t3
        int32_t reset
    int dc_jpegls_read_header(const uint8_t *src, size_t srclen, dc_jpegls_info *info,
                              dc_error *err)
    int dc_jpegls_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                         const dc_frame *f, dc_error *err)
    size_t dc_jpegls_encode_bound(const dc_frame *f, int worst)
    int dc_jpegls_encode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                         size_t *dstlen, const dc_frame *f, const dc_jpegls_params *p,
                         dc_error *err)
    int dc_jpegls_decode_components(const uint8_t *src, size_t srclen, uint16_t *dst,
                                    size_t dstlen, dc_error *err)
