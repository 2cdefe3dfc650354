/* fuzz_j2k.c: libFuzzer harness for lib/j2k. The input is a JPEG 2000 or
 * HTJ2K codestream. The frame description comes from its own SIZ (so the
 * decoders get past the header checks) unless the last byte asks for a lying
 * one; that byte also chooses reduce, the sign-correction flag and the
 * engine: OpenJPEG (dc_openjpeg_decode) or the OpenJPH shim (dc_ojph_decode, which
 * decides itself whether OpenJPH may see it), one per input, each through the
 * guard the package uses (dc_j2k_decode_guarded): an assert() failing in a
 * library becomes an error there, and what the guard then releases runs
 * under the sanitizers too. Output
 * buffers are heap blocks of exactly the size given, so AddressSanitizer sees
 * any overrun. */
#include "fuzz_common.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DC_LSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define DC_LSAN 1
#endif
#ifdef DC_LSAN
#include <sanitizer/lsan_interface.h>
#endif

#include "../j2k/dc_guard.h"
#include "../j2k/dc_j2k.h"
#include "../j2k/dc_ojph.h"
#include "../j2k/dc_openjpeg.h"

static void check_error(const char *who, int rc, const dc_error *err)
{
    fuzz_check("fuzz_j2k", who, rc, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint8_t ctl = data[size - 1];
    uint8_t *copy = fuzz_copy(data, size);

    dc_j2k_info info;
    dc_error err;
    err.msg[0] = '\0';
    int rc = dc_j2k_parse(copy, size, &info, &err);
    check_error("parse", rc, &err);
    if (rc == DC_OK) {
        dc_frame f;
        dc_j2k_decode_opts o;
        o.reduce = ctl & 3u;
        o.threads = 0;
        o.sign_correct = (ctl >> 2) & 1u;
        f.rows = (info.height + (1u << o.reduce) - 1u) >> o.reduce;
        f.columns = (info.width + (1u << o.reduce) - 1u) >> o.reduce;
        f.samples_per_pixel = info.ncomps;
        f.bits_allocated = info.precision <= 8 ? 8u : info.precision <= 16 ? 16u : 32u;
        f.bits_stored = info.precision;
        f.pixel_representation = (ctl >> 3) & 1u;
        f.planar_configuration = 0;
        if (ctl & 0x10u) /* a lying dataset */
            f.rows += 1;
        size_t fsize = dc_frame_size(&f);
        /* Stay within the fuzzer's memory: small frames only. */
        if (fsize && fsize <= (4u << 20) && info.ncomps <= 4) {
            uint8_t *dst = malloc(fsize);
            if (!dst)
                abort();
            int ojph = (ctl >> 5) & 1u;
            int engine = ojph ? DC_ENGINE_OPENJPH : DC_ENGINE_OPENJPEG;
            /* An abort in OpenJPEG's HT block decoder leaves the ~120 bytes
             * of its code-block job in flight, out of the guard's reach
             * (README: engine aborts): not a leak of ours to report. Every
             * other path, OpenJPH's aborts included, is leak-checked. */
            int unchecked = !ojph && info.htj2k;
#ifdef DC_LSAN
            if (unchecked)
                __lsan_disable();
#endif
            err.msg[0] = '\0';
            rc = dc_j2k_decode_guarded(engine, copy, size, dst, fsize, &f, &o, NULL, &err);
            check_error(ojph ? "openjph" : "openjpeg", rc, &err);
            /* OpenJPEG gets worker threads for codestreams without HT
             * code-blocks, where no guard could catch an abort: an abort
             * there, even caught here on the calling thread, is a finding. */
            if (!ojph && !info.htj2k && strstr(err.msg, "aborted") != NULL) {
                fprintf(stderr, "fuzz_j2k: OpenJPEG aborted on a Part 1 codestream\n");
                abort();
            }
            if (rc == DC_OK && fsize > 1) { /* one byte short must be refused */
                err.msg[0] = '\0';
                if (dc_j2k_decode_guarded(engine, copy, size, dst, fsize - 1, &f, &o, NULL,
                                          &err) == DC_OK) {
                    fprintf(stderr, "fuzz_j2k: decoded into a buffer one byte short\n");
                    abort();
                }
            }
#ifdef DC_LSAN
            if (unchecked)
                __lsan_enable();
#endif
            (void)unchecked;
            free(dst);
        }
    }
    free(copy);
    return 0;
}
