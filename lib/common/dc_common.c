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

/* Per-thread scratch: one block per thread, kept between calls so that a
 * frame-sized work buffer is not faulted in afresh on every frame (glibc
 * maps and unmaps blocks this large). Freed when the thread exits. */
#include <pthread.h>
#include <stdlib.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#define DC_SCRATCH_KEEP_MAX ((size_t)256 << 20) /* larger blocks are not kept */

typedef struct scratch_slot {
    void *block;
    size_t size;
    int in_use;
} scratch_slot;

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static int scratch_key_ok;

static void scratch_slot_free(void *p)
{
    scratch_slot *s = p;
    free(s->block);
    free(s);
}

static void scratch_key_init(void)
{
    scratch_key_ok = pthread_key_create(&scratch_key, scratch_slot_free) == 0;
}

static scratch_slot *scratch_slot_get(void)
{
    pthread_once(&scratch_once, scratch_key_init);
    if (!scratch_key_ok) return NULL;
    scratch_slot *s = pthread_getspecific(scratch_key);
    if (s == NULL) {
        s = calloc(1, sizeof *s);
        if (s != NULL && pthread_setspecific(scratch_key, s) != 0) {
            free(s);
            s = NULL;
        }
    }
    return s;
}

void *dc_scratch_acquire(size_t n)
{
    if (n == 0) n = 1;
    scratch_slot *s = n <= DC_SCRATCH_KEEP_MAX ? scratch_slot_get() : NULL;
    if (s == NULL || s->in_use) return malloc(n);
    if (s->size < n) {
        free(s->block);
        s->block = malloc(n);
        s->size = s->block != NULL ? n : 0;
        if (s->block == NULL) return NULL;
    }
    s->in_use = 1;
    return s->block;
}

void dc_trim_heap(void)
{
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

void dc_scratch_release(void *p)
{
    if (p == NULL) return;
    scratch_slot *s = scratch_key_ok ? pthread_getspecific(scratch_key) : NULL;
    if (s != NULL && s->in_use && p == s->block)
        s->in_use = 0;
    else
        free(p);
}
