/* dc_guard.h: decode with an engine whose abort() becomes an error. */
#ifndef DC_GUARD_H
#define DC_GUARD_H

#include "dc_j2k.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DC_ENGINE_OPENJPEG 0
#define DC_ENGINE_OPENJPH 1

/* dc_openjpeg_decode (OpenJPEG) or dc_ojph_decode (OpenJPH), with an abort()
 * inside the engine on this thread turned into DC_ERR_CORRUPT. */
int dc_j2k_decode_guarded(int engine, const uint8_t *src, size_t srclen, uint8_t *dst,
                          size_t dstlen, const dc_frame *f, const dc_j2k_decode_opts *opts,
                          dc_j2k_info *info_out, dc_error *err);

/* What a jump out of an engine must release: the engine's objects of the
 * call under way on this thread, one per slot, released by the guard in
 * reverse slot order after an abort. An engine holds an object as soon as it
 * exists and lets go (dc_guard_let_go) before freeing it itself. Outside a
 * guarded call holding costs nothing and releases nothing. */
#define DC_GUARD_SLOTS 4
void dc_guard_hold(int slot, void (*release)(void *), void *p);
void dc_guard_let_go(int slot);

#ifdef __cplusplus
}
#endif
#endif
