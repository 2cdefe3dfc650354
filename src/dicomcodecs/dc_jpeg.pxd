# Declarations of lib/jpeg/ljpeg.h (our lossless / 12-bit JPEG codec) and
# lib/jpeg/dc_turbo.h (the libjpeg-turbo glue); no logic here.
from libc.stdint cimport uint8_t, uint32_t
from dc_common cimport dc_error, dc_frame

cdef extern from "jpeg/ljpeg.h" nogil:
    unsigned DC_LJPEG_FLAG_PRED6_WRAP
    unsigned DC_LJPEG_FLAG_CORNELL
    unsigned DC_LJPEG_FLAG_NO_CORNELL_AUTO
    unsigned DC_LJPEG_FLAG_ALLOW_TRUNCATED

    ctypedef struct dc_ljpeg_info:
        uint32_t rows
        uint32_t columns
        uint32_t components
        uint32_t precision
        int process
        int sof_marker
        int predictor
        int point_transform
        int hsamp[4]
        int vsamp[4]
        int component_ids[4]
        int restart_interval
        int has_jfif
        int has_adobe
        int adobe_transform

    int dc_ljpeg_read_header(const uint8_t *src, size_t srclen, dc_ljpeg_info *info,
                            dc_error *err)
    int dc_ljpeg_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                       const dc_frame *f, unsigned flags, dc_error *err)

    ctypedef struct dc_ljpeg_params:
        int process
        int predictor
        int point_transform
        int quality
        int optimize_huffman
        int restart_interval
        int subsampling
        int chroma_tables

    size_t dc_ljpeg_encode_bound(const dc_frame *f, const dc_ljpeg_params *p)
    int dc_ljpeg_encode(const uint8_t *src, size_t srclen, const dc_frame *f,
                       const dc_ljpeg_params *p, uint8_t *dst, size_t dstcap,
                       size_t *dstlen, dc_error *err)

cdef extern from "jpeg/dc_turbo.h" nogil:
    unsigned DC_TURBO_FLAG_TO_RGB
    unsigned DC_TURBO_FLAG_STORED_RGB
    unsigned DC_TURBO_FLAG_STORED_YBR
    unsigned DC_TURBO_FLAG_ALLOW_TRUNCATED
    unsigned DC_TURBO_FLAG_FAST_IDCT

    int dc_turbo_version()
    int dc_turbo_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                        const dc_frame *f, unsigned flags, dc_error *err)

    ctypedef struct dc_turbo_params:
        int quality
        int subsampling
        int optimize_huffman
        int restart_interval
        int color_transform
        int input_ybr
        int progressive

    size_t dc_turbo_encode_bound(const dc_frame *f)
    int dc_turbo_encode(const uint8_t *src, size_t srclen, const dc_frame *f,
                        const dc_turbo_params *p, uint8_t *dst, size_t dstcap,
                        size_t *dstlen, dc_error *err)
