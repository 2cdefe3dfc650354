# Declarations of lib/deflate/dc_deflate.h; no logic here.
from libc.stdint cimport uint8_t
from dc_common cimport dc_error

cdef extern from "deflate/dc_deflate.h" nogil:
    int dc_deflate_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                          dc_error *err)
    size_t dc_deflate_encode_bound(size_t srclen)
    int dc_deflate_encode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                          size_t *dstlen, int level, dc_error *err)
    int dc_bits_unpack(const uint8_t *src, size_t srclen, size_t bit, uint8_t *dst,
                       size_t npix, dc_error *err)
    int dc_bits_pack(const uint8_t *src, size_t npix, uint8_t *dst, size_t dstlen, size_t bit,
                     dc_error *err)
    const char *dc_deflate_version()
