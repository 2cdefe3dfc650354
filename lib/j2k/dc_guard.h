/* dc_guard.h: decode with an engine whose abort() becomes an error. */
#ifndef DC_GUARD_H
#define DC_GUARD_H

#include "dc_j2k.h"

#define DC_ENGINE_OPENJPEG 0
#define DC_ENGINE_OPENJPH 1

/* dc_openjpeg_decode (OpenJPEG) or dc_ojph_decode (OpenJPH), with an abort()
 * inside the engine on this thread turned into DC_ERR_CORRUPT. */
int dc_j2k_decode_guarded(int engine, const uint8_t *src, size_t srclen, uint8_t *dst,
                          size_t dstlen, const dc_frame *f, const dc_j2k_decode_opts *opts,
                          dc_j2k_info *info_out, dc_error *err);

#endif
