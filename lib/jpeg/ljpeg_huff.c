/* ljpeg_huff.c: Huffman tables (decoding lookups, T.81 Annex C and K.2 code
 * construction) and the entropy-coded data reader/writer shared by the
 * lossless and DCT codecs. */
#include "ljpeg_internal.h"

#include <string.h>

/* ---- decoding tables ------------------------------------------------------ */

int lj_huff_build(lj_huff *h)
{
    /* T.81 C.1/C.2: canonical codes in order of length. */
    uint16_t codes[256];
    int p = 0;
    uint32_t code = 0;
    int n = 0;
    for (int l = 1; l <= 16; l++) n += h->counts[l];
    if (n > 256 || n == 0) return -1;
    h->nvals = n;
    for (int l = 1; l <= 16; l++) {
        int c = h->counts[l];
        if (c) {
            h->valoff[l] = p - (int32_t)code;
            for (int i = 0; i < c; i++) codes[p++] = (uint16_t)code++;
            if (code > (1u << l)) return -1; /* codes no longer fit in l bits */
            h->maxcode[l] = (int32_t)code - 1;
        } else {
            h->maxcode[l] = -1;
            h->valoff[l] = 0;
        }
        code <<= 1;
    }
    h->maxcode[17] = 0x7FFFFFFF;

    memset(h->lut, 0, sizeof h->lut);
    memset(h->fast, 0, sizeof h->fast);
    p = 0;
    for (int l = 1; l <= 16; l++) {
        for (int i = 0; i < h->counts[l]; i++, p++) {
            if (l > LJ_LUT_BITS) continue;
            int sym = h->vals[p];
            int fill = LJ_LUT_BITS - l;
            uint32_t first = (uint32_t)codes[p] << fill;
            for (uint32_t k = 0; k < (1u << fill); k++) {
                uint32_t idx = first + k;
                h->lut[idx] = (uint16_t)((l << 8) | sym);
                /* the bits after the code, as far as the lookahead sees */
                if (!h->is_ac) {
                    int s = sym;
                    if (s == 0) {
                        h->fast[idx] = l;
                    } else if (s < 16 && l + s <= LJ_LUT_BITS) {
                        uint32_t extra = (k >> (fill - s)) & ((1u << s) - 1);
                        int32_t v = lj_extend(extra, s);
                        h->fast[idx] = (int32_t)((uint32_t)v << 8) | (l + s);
                    }
                } else {
                    int r = sym >> 4, s = sym & 15;
                    if (s != 0 && l + s <= LJ_LUT_BITS) {
                        uint32_t extra = (k >> (fill - s)) & ((1u << s) - 1);
                        int32_t v = lj_extend(extra, s);
                        h->fast[idx] = (int32_t)((uint32_t)v << 16) | (r << 8) | (l + s);
                    }
                }
            }
        }
    }
    h->defined = 1;
    return 0;
}

int lj_huff_decode_slow(lj_bits *b, const lj_huff *h)
{
    int l = LJ_LUT_BITS + 1;
    int32_t code = (int32_t)(b->buf >> (64 - l));
    while (l <= 16 && code > h->maxcode[l]) {
        l++;
        code = (int32_t)(b->buf >> (64 - l));
    }
    if (l > 16) {
        lj_bits_skip(b, 17);
        return -17;
    }
    /* a code shorter than the lookahead that missed the table cannot exist,
     * so l is right; but the code may fall in a gap of an incomplete table */
    int idx = code + h->valoff[l];
    if (h->maxcode[l] < 0 || idx < 0 || idx >= h->nvals) return -1;
    lj_bits_skip(b, l);
    return h->vals[idx];
}

/* ---- reader ---------------------------------------------------------------- */

void lj_bits_init(lj_bits *b, const uint8_t *p, const uint8_t *end)
{
    *b = (lj_bits){.p = p, .end = end};
}

void lj_bits_fill_slow(lj_bits *b)
{
    while (b->nbits <= 56) {
        if (b->stopped) {
            /* bits below nbits are already zero */
            b->fake += (uint64_t)(64 - b->nbits);
            b->nbits = 64;
            return;
        }
        if (b->p >= b->end) {
            b->stopped = 1;
            b->hit_end = 1;
            continue;
        }
        uint8_t c = *b->p;
        if (c == 0xFF) {
            if (b->end - b->p < 2) {
                b->stopped = 1;
                b->hit_end = 1;
                continue;
            }
            if (b->p[1] == 0x00) {
                b->p += 2;
            } else {
                b->stopped = 1; /* a marker: p stays on its first 0xFF */
                continue;
            }
        } else {
            b->p++;
        }
        b->buf |= (uint64_t)c << (56 - b->nbits);
        b->nbits += 8;
    }
}

/* Finds the next marker at or after p: returns its offset (pointing at the
 * 0xFF that precedes the code; fill bytes skipped) or NULL at end. */
static const uint8_t *next_marker_from(const uint8_t *p, const uint8_t *end,
                                       size_t *skipped)
{
    size_t n = 0;
    while (p < end) {
        if (*p == 0xFF) {
            const uint8_t *q = p + 1;
            while (q < end && *q == 0xFF) q++;
            if (q >= end) break;
            if (*q != 0x00) {
                if (skipped) *skipped = n;
                return q - 1;
            }
            p = q + 1;
            n += 2;
            continue;
        }
        p++;
        n++;
    }
    if (skipped) *skipped = n;
    return NULL;
}

int lj_bits_restart(lj_bits *b, int expected_rst, int *found)
{
    size_t skipped = 0;
    const uint8_t *m = next_marker_from(b->p, b->end, &skipped);
    b->buf = 0;
    b->nbits = 0;
    b->fake = 0;
    b->stopped = 0;
    b->hit_end = 0;
    if (m == NULL) {
        *found = 0;
        b->p = b->end;
        b->stopped = 1;
        b->hit_end = 1;
        return 1;
    }
    int code = m[1];
    *found = code;
    if (code >= 0xD0 && code <= 0xD7) {
        b->p = m + 2;
        return (code - 0xD0) == (expected_rst & 7) ? 0 : 2;
    }
    /* some other marker: the data of this interval is missing */
    b->p = m;
    b->stopped = 1;
    return 1;
}

const uint8_t *lj_bits_finish(lj_bits *b, size_t *leftover)
{
    /* whole bytes still buffered were loaded but not needed */
    size_t unused = 0;
    if (!lj_bits_overrun(b)) {
        uint64_t real = (uint64_t)b->nbits - b->fake;
        unused = (size_t)(real / 8);
    }
    size_t skipped = 0;
    const uint8_t *m = next_marker_from(b->p, b->end, &skipped);
    *leftover = unused + skipped;
    return m ? m : b->end;
}

/* ---- writer ---------------------------------------------------------------- */

void lj_flush_bits(lj_writer *w)
{
    while (w->n >= 8) {
        uint8_t c = (uint8_t)(w->acc >> (w->n - 8));
        w->n -= 8;
        lj_put_byte_raw(w, c);
        if (c == 0xFF) lj_put_byte_raw(w, 0x00);
    }
    if (w->n > 0) {
        int pad = 8 - w->n;
        uint8_t c = (uint8_t)(((w->acc << pad) | ((1u << pad) - 1)) & 0xFF);
        lj_put_byte_raw(w, c);
        if (c == 0xFF) lj_put_byte_raw(w, 0x00);
    }
    w->n = 0;
    w->acc = 0;
}

void lj_put_marker(lj_writer *w, int code)
{
    lj_put_byte_raw(w, 0xFF);
    lj_put_byte_raw(w, (uint8_t)code);
}

void lj_put_u16(lj_writer *w, unsigned v)
{
    lj_put_byte_raw(w, (uint8_t)(v >> 8));
    lj_put_byte_raw(w, (uint8_t)(v & 0xFF));
}

/* ---- T.81 Annex K.2 -------------------------------------------------------- */

int lj_huff_optimal(const uint32_t freq_in[257], uint8_t counts[17], uint8_t vals[256])
{
    uint64_t freq[257];
    int codesize[257];
    int others[257];
    for (int i = 0; i < 256; i++) freq[i] = freq_in[i];
    freq[256] = 1; /* reserves the all-ones code point (K.2) */
    for (int i = 0; i < 257; i++) {
        codesize[i] = 0;
        others[i] = -1;
    }
    for (;;) {
        /* Figure K.1: the two least frequent; on ties the higher symbol,
         * so the reserved symbol 256 ends up with the longest code. */
        int v1 = -1, v2 = -1;
        for (int i = 0; i < 257; i++) {
            if (freq[i] && (v1 < 0 || freq[i] <= freq[v1])) v1 = i;
        }
        for (int i = 0; i < 257; i++) {
            if (freq[i] && i != v1 && (v2 < 0 || freq[i] <= freq[v2])) v2 = i;
        }
        if (v2 < 0) break;
        freq[v1] += freq[v2];
        freq[v2] = 0;
        codesize[v1]++;
        while (others[v1] >= 0) {
            v1 = others[v1];
            codesize[v1]++;
        }
        others[v1] = v2;
        codesize[v2]++;
        while (others[v2] >= 0) {
            v2 = others[v2];
            codesize[v2]++;
        }
    }
    /* Figure K.2 */
    int bits[64];
    memset(bits, 0, sizeof bits);
    for (int i = 0; i < 257; i++) {
        if (codesize[i]) bits[codesize[i] < 63 ? codesize[i] : 63]++;
    }
    /* Figure K.3: limit code lengths to 16 bits */
    for (int i = 63; i > 16; i--) {
        while (bits[i] > 0) {
            int j = i - 2;
            while (j > 0 && bits[j] == 0) j--;
            bits[i] -= 2;
            bits[i - 1] += 1;
            bits[j + 1] += 2;
            bits[j] -= 1;
        }
    }
    int i = 16;
    while (i > 0 && bits[i] == 0) i--;
    if (i > 0) bits[i] -= 1; /* drop the reserved code */
    counts[0] = 0;
    for (int l = 1; l <= 16; l++) counts[l] = (uint8_t)bits[l];
    /* Figure K.4: symbols by increasing code size */
    int n = 0;
    for (int l = 1; l <= 62; l++) {
        for (int s = 0; s < 256; s++) {
            if (codesize[s] == l) vals[n++] = (uint8_t)s;
        }
    }
    return n;
}

void lj_ehuff_build(lj_ehuff *e)
{
    memset(e->code, 0, sizeof e->code);
    memset(e->size, 0, sizeof e->size);
    int p = 0;
    uint32_t code = 0;
    for (int l = 1; l <= 16; l++) {
        for (int i = 0; i < e->counts[l]; i++, p++) {
            e->code[e->vals[p]] = (uint16_t)code++;
            e->size[e->vals[p]] = (uint8_t)l;
        }
        code <<= 1;
    }
    e->nvals = p;
}

void lj_put_dht(lj_writer *w, int tc, int th, const lj_ehuff *e)
{
    lj_put_marker(w, 0xC4);
    lj_put_u16(w, (unsigned)(2 + 1 + 16 + e->nvals));
    lj_put_byte_raw(w, (uint8_t)((tc << 4) | th));
    for (int l = 1; l <= 16; l++) lj_put_byte_raw(w, e->counts[l]);
    for (int i = 0; i < e->nvals; i++) lj_put_byte_raw(w, e->vals[i]);
}
