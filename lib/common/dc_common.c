/* dc_common.c: the error recorder and frame arithmetic shared by the codecs. */
#include "dc_common.h"

#include <stdarg.h>
#include <stdio.h>

int dc_fail(dc_error *err, int status, const char *fmt, ...)
{
    if (err != NULL && err->msg[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return status;
}

size_t dc_frame_size(const dc_frame *f)
{
    if (f->rows == 0 || f->columns == 0 || f->samples_per_pixel == 0 ||
        f->bits_allocated == 0 || f->bits_allocated % 8 != 0)
        return 0;
    size_t n = (size_t)f->rows;
    size_t bytes = (size_t)f->bits_allocated / 8;
    if (n > SIZE_MAX / f->columns) return 0;
    n *= f->columns;
    if (n > SIZE_MAX / f->samples_per_pixel) return 0;
    n *= f->samples_per_pixel;
    if (n > SIZE_MAX / bytes) return 0;
    return n * bytes;
}

/* Unused high bits: masked off for unsigned samples; for signed ones set to
 * copies of bit (bits_stored - 1), as pydicom's correct_unused_bits does. */
#define FIX_BITS(UT)                                                      \
    do {                                                                  \
        UT *p = (UT *)px;                                                 \
        UT mask = (UT)(((UT)1 << bits_stored) - 1);                       \
        UT sign = (UT)((UT)1 << (bits_stored - 1));                       \
        if (is_signed) {                                                  \
            for (size_t i = 0; i < nsamples; i++) {                       \
                UT u = p[i] & mask;                                       \
                p[i] = (u & sign) ? (UT)(u | (UT)~mask) : u;              \
            }                                                             \
        } else {                                                          \
            for (size_t i = 0; i < nsamples; i++) p[i] &= mask;           \
        }                                                                 \
    } while (0)

void dc_fix_unused_bits(uint8_t *px, size_t nsamples, uint32_t bits_allocated,
                        uint32_t bits_stored, int is_signed)
{
    if (bits_stored == 0 || bits_stored >= bits_allocated) return;
    switch (bits_allocated) {
    case 8: FIX_BITS(uint8_t); break;
    case 16: FIX_BITS(uint16_t); break;
    case 32: FIX_BITS(uint32_t); break;
    case 64: FIX_BITS(uint64_t); break;
    default: break;
    }
}
