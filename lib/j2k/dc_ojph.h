/* dc_ojph.h: the C interface of the OpenJPH (HTJ2K, ISO 15444-15) shim.
 * Nothing C++ crosses it: every exception is caught inside and turned into a
 * dc_status plus text. OpenJPH's message handlers are process-wide, so the
 * shim installs one handler that writes to a thread-local buffer. */
#ifndef DC_OJPH_H
#define DC_OJPH_H

#include "dc_j2k.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An HTJ2K codestream through OpenJPH (see dc_j2k_decode_fn). */
dc_j2k_decode_fn dc_ojph_decode;

typedef struct dc_ojph_encode_opts {
    uint32_t reversible;
    uint32_t mct;
    uint32_t levels;           /* decomposition levels */
    uint32_t block_w, block_h; /* 0: 64 */
    uint32_t progression;      /* 0 LRCP .. 4 CPRL */
    uint32_t tile_w, tile_h;   /* 0: one tile */
    uint32_t tlm;              /* insert TLM marker segments (OpenJPH writes none) */
    float qstep;               /* irreversible quantisation step; 0: OpenJPH's default */
} dc_ojph_encode_opts;

/* Encode one frame (interleaved samples, native order) as an HTJ2K codestream. */
int dc_ojph_encode(const uint8_t *src, size_t srclen, const dc_frame *f,
                   const dc_ojph_encode_opts *opts, dc_j2k_buf *out, dc_error *err);

const char *dc_ojph_version(void);

#ifdef __cplusplus
}
#endif
#endif
