/* dc_common.h: status codes, error text and the frame descriptor shared by
 * every codec in lib/. No Python here: Cython code includes this header and
 * maps the status codes to exceptions in one table (src/dicomcodecs/_common.pxi). */
#ifndef DC_COMMON_H
#define DC_COMMON_H

#include <stddef.h>
#include <stdint.h>

/* Keep in sync with the table in src/dicomcodecs/_common.pxi. */
typedef enum dc_status {
    DC_OK = 0,
    DC_ERR_CORRUPT = 1,          /* the input is malformed */
    DC_ERR_TRUNCATED = 2,        /* the input ends before the data it declares */
    DC_ERR_OUTPUT_TOO_SMALL = 3, /* dst cannot hold the result */
    DC_ERR_UNSUPPORTED = 4,      /* valid, but a feature we do not implement */
    DC_ERR_NOMEM = 5,
    DC_ERR_INVALID_ARG = 6,      /* the caller's parameters are inconsistent */
    DC_ERR_MISMATCH = 7,         /* stream disagrees with the frame descriptor */
    DC_ERR_ENGINE = 8            /* a third-party library failed; see msg */
} dc_status;

/* Per-call error text: each call owns one, so threads never share it. */
typedef struct dc_error {
    char msg[256];
} dc_error;

/* Records the first failure only; returns `status` so callers can
 * `return dc_fail(err, DC_ERR_CORRUPT, "...", ...)`. err may be NULL. */
int dc_fail(dc_error *err, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* What the caller expects one decoded frame to be. Samples are written in
 * native byte order, little-endian on every platform we build for. */
typedef struct dc_frame {
    uint32_t rows;
    uint32_t columns;
    uint32_t samples_per_pixel;
    uint32_t bits_allocated;       /* 8, 16, 32 or 64 */
    uint32_t bits_stored;
    uint32_t pixel_representation; /* 0 unsigned, 1 signed */
    uint32_t planar_configuration; /* layout of dst (decode) or src (encode) */
} dc_frame;

/* Bytes of one frame as described, or 0 on overflow / nonsense. */
size_t dc_frame_size(const dc_frame *f);

/* Makes the bits above bits_stored what PS3.5 8.1.1 implies: zero for
 * unsigned samples, copies of the sign bit for signed ones. `px` holds
 * nsamples samples of bits_allocated (8, 16, 32 or 64) bits, native order. */
void dc_fix_unused_bits(uint8_t *px, size_t nsamples, uint32_t bits_allocated,
                        uint32_t bits_stored, int is_signed);

/* Scratch memory for one call: this thread's kept block when it is free
 * (grown as needed, kept up to 256 MiB, freed when the thread exits),
 * otherwise a fresh malloc. Uninitialised. Give it back with
 * dc_scratch_release on every path, on the thread that acquired it. */
void *dc_scratch_acquire(size_t n);
void dc_scratch_release(void *p);

/* Gives the heap's free memory back to the system (glibc: malloc_trim, every
 * arena; elsewhere nothing). The engines free what a decode allocated, but
 * glibc keeps it in each thread's arena, so after a multi-threaded decode of
 * large frames the process would stay at threads x the engine's working set. */
void dc_trim_heap(void);

/* YBR_FULL <-> RGB for 8-bit interleaved pixels, in place, with PS3.3
 * C.7.6.3.1.2's coefficients rounded as pydicom's convert_color_space rounds
 * (results agree within 1). */
void dc_ybr_full_to_rgb_u8(uint8_t *px, size_t npixels);
void dc_rgb_to_ybr_full_u8(uint8_t *px, size_t npixels);

#endif
