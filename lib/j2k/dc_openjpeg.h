/* dc_openjpeg.h: JPEG 2000 and HTJ2K frames through OpenJPEG, fed from and
 * writing to memory. */
#ifndef DC_OPENJPEG_H
#define DC_OPENJPEG_H

#include "dc_j2k.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A JPEG 2000 or HTJ2K codestream through OpenJPEG (see dc_j2k_decode_fn). */
dc_j2k_decode_fn dc_openjpeg_decode;

#define DC_OPENJPEG_MAX_LAYERS 32

/* Encode controls; zero means "the default" for every field but reversible. */
typedef struct dc_openjpeg_encode_opts {
    uint32_t reversible;    /* 1: 5/3 wavelet and RCT; 0: 9/7 and ICT */
    uint32_t mct;           /* colour transform for 3 samples */
    uint32_t levels;        /* decomposition levels; 0xFFFFFFFF: default (5,
                               fewer for small images) */
    uint32_t tile_w, tile_h;   /* 0: one tile */
    uint32_t progression;   /* 0 LRCP .. 4 CPRL */
    uint32_t block_w, block_h; /* code-block size, 0: 64 */
    uint32_t nlayers;       /* 0: one lossless layer */
    uint32_t use_psnr;      /* layers[] are PSNRs (dB) instead of compression ratios */
    float layers[DC_OPENJPEG_MAX_LAYERS];
    uint32_t tlm;           /* write TLM marker segments */
    uint32_t threads;
} dc_openjpeg_encode_opts;

/* Encode one frame (interleaved samples of f->bits_allocated bits,
 * f->bits_stored of them significant) as a raw J2K codestream into out. */
int dc_openjpeg_encode(const uint8_t *src, size_t srclen, const dc_frame *f,
                       const dc_openjpeg_encode_opts *opts, dc_j2k_buf *out, dc_error *err);

/* The OpenJPEG version string. */
const char *dc_openjpeg_version(void);

#ifdef __cplusplus
}
#endif
#endif
