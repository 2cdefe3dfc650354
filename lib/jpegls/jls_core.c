/* jls_core.c: the coding parameters, context initialisation and gradient
 * quantisation that the JPEG-LS decoder and encoder share (T.87 A.2, C.2.4). */
#include "jls_core.h"

#include <string.h>

const uint8_t jls_J[32] = {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,  2,  3,  3,  3,  3,
                           4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14, 15};

static int32_t clamp_t(int32_t i, int32_t j, int32_t maxval)
{
    return (i > maxval || i < j) ? j : i;
}

static int32_t ceil_log2(int32_t v)
{
    int32_t k = 0;
    while ((1 << k) < v) k++;
    return k;
}

int jls_coding_init(jls_coding *c, int precision, int near, const jls_preset *p, int bad,
                    dc_error *err)
{
    const int32_t full = (int32_t)((1u << precision) - 1);
    int32_t maxval = p->maxval ? p->maxval : full;
    if (maxval < 1 || maxval > full)
        return dc_fail(err, bad, "MAXVAL %d outside 1..%d for %d-bit samples", (int)maxval,
                       (int)full, precision);
    int32_t near_max = maxval / 2 < 255 ? maxval / 2 : 255;
    if (near < 0 || near > near_max)
        return dc_fail(err, bad, "NEAR %d outside 0..%d for MAXVAL %d", near, (int)near_max,
                       (int)maxval);
    int32_t t1, t2, t3;
    if (maxval >= 128) {
        int32_t factor = ((maxval < 4095 ? maxval : 4095) + 128) / 256;
        t1 = clamp_t(factor * (3 - 2) + 2 + 3 * near, near + 1, maxval);
        t2 = clamp_t(factor * (7 - 3) + 3 + 5 * near, t1, maxval);
        t3 = clamp_t(factor * (21 - 4) + 4 + 7 * near, t2, maxval);
    } else {
        int32_t factor = 256 / (maxval + 1);
        int32_t v1 = 3 / factor + 3 * near, v2 = 7 / factor + 5 * near, v3 = 21 / factor + 7 * near;
        t1 = clamp_t(v1 > 2 ? v1 : 2, near + 1, maxval);
        t2 = clamp_t(v2 > 3 ? v2 : 3, t1, maxval);
        t3 = clamp_t(v3 > 4 ? v3 : 4, t2, maxval);
    }
    if (p->t1) t1 = p->t1;
    if (p->t2) t2 = p->t2;
    if (p->t3) t3 = p->t3;
    int32_t reset = p->reset ? p->reset : 64;
    if (t1 < near + 1 || t1 > maxval || t2 < t1 || t2 > maxval || t3 < t2 || t3 > maxval)
        return dc_fail(err, bad, "thresholds T1 %d, T2 %d, T3 %d are not in order within "
                       "%d..%d", (int)t1, (int)t2, (int)t3, (int)near + 1, (int)maxval);
    if (reset < 3 || reset > (maxval > 255 ? maxval : 255))
        return dc_fail(err, bad, "RESET %d outside 3..%d", (int)reset,
                       (int)(maxval > 255 ? maxval : 255));
    c->maxval = maxval;
    c->near = near;
    c->t1 = t1;
    c->t2 = t2;
    c->t3 = t3;
    c->reset = reset;
    c->range = (maxval + 2 * near) / (2 * near + 1) + 1;
    c->qbpp = ceil_log2(c->range);
    /* CharLS (and so DCMTK and GDCM) take bpp from the precision, not from
     * MAXVAL; the two differ only for a MAXVAL below 2^P - 1. */
    int32_t bpp = precision < 2 ? 2 : precision;
    c->limit = 2 * (bpp + (bpp > 8 ? bpp : 8));
    c->near2p1 = 2 * near + 1;
    c->range_mul = c->range * c->near2p1;
    return DC_OK;
}

void jls_state_reset(jls_state *s, const jls_coding *c)
{
    int32_t a = (c->range + 32) / 64;
    if (a < 2) a = 2;
    for (int i = 0; i < JLS_CONTEXTS; i++) {
        s->ctx[i].a = (uint32_t)a;
        s->ctx[i].b = 0;
        s->ctx[i].c = 0;
        s->ctx[i].n = 1;
        s->ctx[i].k = (int16_t)jls_golomb_k((uint32_t)a, 1);
    }
    for (int i = 0; i < 2; i++) {
        s->ri_a[i] = (uint32_t)a;
        s->ri_n[i] = 1;
        s->ri_nn[i] = 0;
    }
    for (int i = 0; i < JLS_MAX_COMPONENTS; i++) s->run_index[i] = 0;
}

/* Nine runs of one value each: filled with memset, since the table of a
 * 16-bit scan has 131071 entries and is built for every scan. */
void jls_quant_table(int8_t *q, const jls_coding *c, int scale)
{
    const int32_t m = c->maxval;
    /* first difference of each region -4..4, then the end */
    const int32_t start[10] = {-m, -c->t3 + 1, -c->t2 + 1, -c->t1 + 1, -c->near,
                               c->near + 1, c->t1, c->t2, c->t3, m + 1};
    int32_t lo = -m;
    for (int r = 0; r < 9; r++) {
        int32_t hi = start[r + 1] < m + 1 ? start[r + 1] : m + 1;
        if (r == 8) hi = m + 1;
        if (hi > lo) {
            memset(q + lo + m, (r - 4) * scale, (size_t)(hi - lo));
            lo = hi;
        }
    }
}
