# Declarations of lib/common/dc_common.h; no logic here.
from libc.stdint cimport uint8_t, uint32_t

cdef extern from "common/dc_common.h" nogil:
    ctypedef struct dc_error:
        char msg[256]
    ctypedef struct dc_frame:
        uint32_t rows
        uint32_t columns
        uint32_t samples_per_pixel
        uint32_t bits_allocated
        uint32_t bits_stored
        uint32_t pixel_representation
        uint32_t planar_configuration
    enum:
        DC_OK
        DC_ERR_CORRUPT
        DC_ERR_TRUNCATED
        DC_ERR_OUTPUT_TOO_SMALL
        DC_ERR_UNSUPPORTED
        DC_ERR_NOMEM
        DC_ERR_INVALID_ARG
        DC_ERR_MISMATCH
        DC_ERR_ENGINE
    size_t dc_frame_size(const dc_frame *f)
    void dc_fix_unused_bits(uint8_t *px, size_t nsamples, uint32_t bits_allocated,
                            uint32_t bits_stored, int is_signed)
    void dc_ybr_full_to_rgb_u8(uint8_t *px, size_t npixels)
    void dc_rgb_to_ybr_full_u8(uint8_t *px, size_t npixels)
    void dc_trim_heap()
