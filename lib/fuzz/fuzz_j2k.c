/* fuzz_j2k.c: libFuzzer harness for lib/j2k. The input is a JPEG 2000 or
 * HTJ2K codestream. The frame description comes from its own SIZ (so the
 * decoders get past the header checks) unless the last byte asks for a lying
 * one; that byte also chooses reduce, the sign-correction flag and the
 * engine: OpenJPEG (dc_openjpeg_decode) or the OpenJPH shim (dc_ojph_decode, which
 * decides itself whether OpenJPH may see it), one per input so that an abort
 * in one library does not hide the other from the fuzzer. Output
 * buffers are heap blocks of exactly the size given, so AddressSanitizer sees
 * any overrun. */
#include "fuzz_common.h"
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
            err.msg[0] = '\0';
            rc = ojph ? dc_ojph_decode(copy, size, dst, fsize, &f, &o, NULL, &err)
                      : dc_openjpeg_decode(copy, size, dst, fsize, &f, &o, NULL, &err);
            check_error(ojph ? "openjph" : "openjpeg", rc, &err);
            if (rc == DC_OK && fsize > 1) { /* one byte short must be refused */
                err.msg[0] = '\0';
                if ((ojph ? dc_ojph_decode(copy, size, dst, fsize - 1, &f, &o, NULL, &err)
                          : dc_openjpeg_decode(copy, size, dst, fsize - 1, &f, &o, NULL, &err)) == DC_OK) {
                    fprintf(stderr, "fuzz_j2k: decoded into a buffer one byte short\n");
                    abort();
                }
            }
            free(dst);
        }
    }
    free(copy);
    return 0;
}
