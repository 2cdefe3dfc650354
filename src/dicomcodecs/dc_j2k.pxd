# Declarations of lib/j2k/dc_j2k.h, dc_openjpeg.h, dc_ojph.h and dc_guard.h; no logic here.
from libc.stdint cimport uint8_t, uint32_t, int32_t
from dc_common cimport dc_error, dc_frame

cdef extern from "j2k/dc_j2k.h" nogil:
    ctypedef struct dc_j2k_info:
        uint32_t width, height, x0, y0, ncomps, precision, is_signed, subsampled
        uint32_t mct, levels, progression, layers, reversible, htj2k, tiles, has_tlm
    ctypedef struct dc_j2k_decode_opts:
        uint32_t reduce
        uint32_t threads
        uint32_t sign_correct
    ctypedef struct dc_j2k_buf:
        uint8_t *data
        size_t len, cap, pos
    int dc_j2k_parse(const uint8_t *src, size_t srclen, dc_j2k_info *info, dc_error *err)
    void dc_j2k_buf_free(dc_j2k_buf *b)
    int dc_j2k_add_tlm(dc_j2k_buf *b, dc_error *err)

cdef extern from "j2k/dc_openjpeg.h" nogil:
    enum:
        DC_OPENJPEG_MAX_LAYERS
    ctypedef struct dc_openjpeg_encode_opts:
        uint32_t reversible, mct, levels, tile_w, tile_h, progression
        uint32_t block_w, block_h, nlayers, use_psnr
        float layers[32]
        uint32_t tlm, threads
    int dc_openjpeg_encode(const uint8_t *src, size_t srclen, const dc_frame *f,
                           const dc_openjpeg_encode_opts *opts, dc_j2k_buf *out, dc_error *err)
    const char *dc_openjpeg_version()

cdef extern from "j2k/dc_ojph.h" nogil:
    ctypedef struct dc_ojph_encode_opts:
        uint32_t reversible, mct, levels, block_w, block_h, progression, tile_w, tile_h, tlm
        float qstep
    int dc_ojph_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                       const dc_frame *f, const dc_j2k_decode_opts *opts,
                       dc_j2k_info *info, dc_error *err)
    int dc_ojph_encode(const uint8_t *src, size_t srclen, const dc_frame *f,
                       const dc_ojph_encode_opts *opts, dc_j2k_buf *out, dc_error *err)
    const char *dc_ojph_version()

cdef extern from "j2k/dc_guard.h" nogil:
    int DC_ENGINE_OPENJPEG
    int DC_ENGINE_OPENJPH
    int dc_j2k_decode_guarded(int engine, const uint8_t *src, size_t srclen, uint8_t *dst,
                              size_t dstlen, const dc_frame *f, const dc_j2k_decode_opts *opts,
                              dc_j2k_info *info_out, dc_error *err)
