# Declarations of lib/jxl/dc_jxl.h; no logic here.
from libc.stdint cimport uint8_t, uint32_t
from dc_common cimport dc_error, dc_frame

cdef extern from "jxl/dc_jxl.h" nogil:
    ctypedef struct dc_jxl_header:
        uint32_t width
        uint32_t height
        uint32_t channels
        uint32_t extra_channels
        uint32_t bits
        uint32_t exponent_bits
        uint32_t lossless
        uint32_t has_jpeg
    ctypedef struct dc_jxl_params:
        int lossless
        float distance
        int effort
        uint32_t bits
        unsigned threads
    int dc_jxl_read_header(const uint8_t *src, size_t srclen, dc_jxl_header *h, dc_error *err)
    int dc_jxl_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                      const dc_frame *f, unsigned threads, dc_error *err)
    int dc_jxl_encode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                      size_t *dstlen, const dc_frame *f, const dc_jxl_params *p, dc_error *err)
    int dc_jxl_check_jpeg(const uint8_t *jpeg, size_t jpeglen, dc_error *err)
    int dc_jxl_from_jpeg(const uint8_t *jpeg, size_t jpeglen, uint8_t *dst, size_t dstcap,
                         size_t *dstlen, int effort, dc_error *err)
    int dc_jxl_to_jpeg(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                       size_t *dstlen, dc_error *err)
    uint32_t dc_jxl_version()
