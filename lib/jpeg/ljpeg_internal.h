/* ljpeg_internal.h: what the lossless and DCT halves of our JPEG codec
 * share: the marker parser's view of a frame, the Huffman tables, the
 * entropy bit reader and writer. Internal to lib/jpeg. */
#ifndef LJPEG_INTERNAL_H
#define LJPEG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ljpeg.h"

#if defined(__GNUC__)
#define LJ_INLINE static inline __attribute__((always_inline))
#define LJ_LIKELY(x) __builtin_expect(!!(x), 1)
#define LJ_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define LJ_INLINE static inline
#define LJ_LIKELY(x) (x)
#define LJ_UNLIKELY(x) (x)
#endif

/* Lookahead bits of the one-lookup Huffman tables. 10 bits keeps a table
 * (2 KiB + 4 KiB) in L1 while resolving almost every lossless difference
 * (code + extra bits) of CT/MR data in one step. */
#define LJ_LUT_BITS 10
#define LJ_LUT_SIZE (1 << LJ_LUT_BITS)

#define LJ_MAX_COMPS 4

/* ---- Huffman decoding table (one per DHT class/slot) -------------------- */
typedef struct lj_huff {
    int defined;
    int is_ac;
    uint8_t counts[17];    /* BITS: number of codes of each length 1..16 */
    uint8_t vals[256];     /* HUFFVAL */
    int nvals;
    int32_t maxcode[18];   /* largest code of each length, -1 if none */
    int32_t valoff[17];    /* vals index = code + valoff[len] */
    /* symbol lookahead: (len << 8) | symbol, 0 when the code is longer */
    uint16_t lut[LJ_LUT_SIZE];
    /* code and additional bits in one lookup, 0 when they do not fit.
     * DC/lossless class: (value << 8) | total_len.
     * AC class: (value << 16) | (run << 8) | total_len. */
    int32_t fast[LJ_LUT_SIZE];
} lj_huff;

/* Builds the derived tables from counts/vals. Returns 0, or -1 when the
 * counts do not describe a valid prefix code (T.81 C.2). */
int lj_huff_build(lj_huff *h);

/* ---- Entropy-coded data reader ------------------------------------------ */
typedef struct lj_bits {
    const uint8_t *p;   /* next byte to load */
    const uint8_t *end; /* end of the whole input */
    uint64_t buf;       /* left-aligned; bits below nbits are zero */
    int nbits;
    int stopped;        /* a marker or the end of input was reached */
    int hit_end;        /* ... and it was the end of input */
    uint64_t fake;      /* zero bits appended after stopping */
} lj_bits;

LJ_INLINE uint64_t lj_load_be64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__GNUC__)
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif
#else
    v = ((uint64_t)p[0] << 56) | ((uint64_t)p[1] << 48) | ((uint64_t)p[2] << 40) |
        ((uint64_t)p[3] << 32) | ((uint64_t)p[4] << 24) | ((uint64_t)p[5] << 16) |
        ((uint64_t)p[6] << 8) | (uint64_t)p[7];
#endif
    return v;
}

void lj_bits_init(lj_bits *b, const uint8_t *p, const uint8_t *end);
void lj_bits_fill_slow(lj_bits *b);

/* Ensures at least 57 bits (or the rest padded with zeros) are buffered. */
LJ_INLINE void lj_bits_fill(lj_bits *b)
{
    if (LJ_LIKELY(!b->stopped && b->end - b->p >= 8)) {
        uint64_t w = lj_load_be64(b->p);
        uint64_t x = ~w; /* 0xFF bytes become 0x00 */
        if (!((x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull)) {
            int n = (64 - b->nbits) >> 3;
            b->buf |= w >> b->nbits;
            b->nbits += n * 8;
            b->p += n;
            if (b->nbits < 64) b->buf &= ~(~0ull >> b->nbits);
            return;
        }
    }
    lj_bits_fill_slow(b);
}

LJ_INLINE void lj_bits_skip(lj_bits *b, int n)
{
    b->buf <<= n;
    b->nbits -= n;
}

/* n in 1..32, requires nbits >= n */
LJ_INLINE uint32_t lj_bits_get(lj_bits *b, int n)
{
    uint32_t v = (uint32_t)(b->buf >> (64 - n));
    b->buf <<= n;
    b->nbits -= n;
    return v;
}

/* True when the decoder has consumed bits that were not in the input. */
LJ_INLINE int lj_bits_overrun(const lj_bits *b)
{
    return b->fake > (uint64_t)b->nbits;
}

/* Slow path: symbol of a code longer than LJ_LUT_BITS. Returns the symbol,
 * or -1 for an invalid code, or -17 for a 17-bit code (Cornell tables).
 * Requires nbits >= 17. */
int lj_huff_decode_slow(lj_bits *b, const lj_huff *h);

LJ_INLINE int lj_huff_decode(lj_bits *b, const lj_huff *h)
{
    unsigned e = h->lut[b->buf >> (64 - LJ_LUT_BITS)];
    if (LJ_LIKELY(e != 0)) {
        lj_bits_skip(b, (int)(e >> 8));
        return (int)(e & 0xFF);
    }
    return lj_huff_decode_slow(b, h);
}

/* T.81 F.12 EXTEND */
LJ_INLINE int32_t lj_extend(uint32_t v, int s)
{
    return (v < (1u << (s - 1))) ? (int32_t)v - (int32_t)((1u << s) - 1) : (int32_t)v;
}

/* After a restart interval: drop buffered bits, find and skip the RSTn
 * marker. Returns 0 on success; 1 if the input ended or another marker
 * came first (missing data); 2 for a wrong RST number. On return *found
 * holds the marker found (0 for end of input). */
int lj_bits_restart(lj_bits *b, int expected_rst, int *found);

/* After the last MCU of a scan: position of the next marker (searching
 * forward from the reader), and how many entropy bytes were left unused
 * beyond the 7 padding bits. */
const uint8_t *lj_bits_finish(lj_bits *b, size_t *leftover);

/* ---- Parsed frame / scan ------------------------------------------------- */
typedef struct lj_comp {
    int id;
    int h, v;      /* sampling factors */
    int tq;        /* quantisation table selector */
    uint32_t w, hgt;  /* component dimensions ceil(X*h/hmax) etc. */
} lj_comp;

typedef struct lj_scan {
    int ns;
    int comp[LJ_MAX_COMPS]; /* index into frame comps */
    int td[LJ_MAX_COMPS], ta[LJ_MAX_COMPS];
    int ss, se, ah, al;
} lj_scan;

typedef struct lj_frame {
    int sof;        /* marker code 0xC0.. */
    int precision;
    uint32_t x, y;  /* y may come from DNL */
    int nc;
    lj_comp comp[LJ_MAX_COMPS];
    int hmax, vmax;
} lj_frame;

typedef struct lj_tables {
    lj_huff dc[4];
    lj_huff ac[4];
    uint16_t q[4][64];  /* zigzag order */
    int qdef[4];
    int restart_interval;
    int has_jfif, has_adobe, adobe_transform;
} lj_tables;

/* Marker parsing (ljpeg_parse.c). pos is an offset into src. */
typedef struct lj_parser {
    const uint8_t *src;
    size_t len;
    size_t pos;
} lj_parser;

/* Reads the next marker code at pos (skipping fill 0xFF bytes). Returns the
 * code (0x01..0xFE) or -1 at end of input, -2 if no marker is there. */
int lj_next_marker(lj_parser *ps);
/* The SOI marker that must start the stream, at pos. */
int lj_parse_soi(lj_parser *ps, dc_error *err);
/* SOFn: a frame header (not DHT C4, JPG C8 or DAC CC, which share the range). */
LJ_INLINE int lj_is_sof(int code)
{
    return code >= 0xC0 && code <= 0xCF && code != 0xC4 && code != 0xC8 && code != 0xCC;
}
/* Each parses the segment at pos (after the marker code), advances pos. */
int lj_parse_sof(lj_parser *ps, int code, lj_frame *fr, dc_error *err);
int lj_parse_dht(lj_parser *ps, lj_tables *t, dc_error *err);
int lj_parse_dqt(lj_parser *ps, lj_tables *t, dc_error *err);
int lj_parse_sos(lj_parser *ps, const lj_frame *fr, lj_scan *sc, dc_error *err);
/* DRI (restart interval) and DNL (number of lines): one 16-bit number. */
int lj_parse_u16_segment(lj_parser *ps, const char *name, uint32_t *value, dc_error *err);
int lj_parse_app(lj_parser *ps, int code, lj_tables *t, dc_error *err);
int lj_skip_segment(lj_parser *ps, int code, dc_error *err);
/* Component dimensions and hmax/vmax once x and y are known. */
void lj_frame_finish(lj_frame *fr);
/* Looks ahead from pos for a DNL marker; returns its line count or 0. */
uint32_t lj_find_dnl(const uint8_t *src, size_t len, size_t pos);

extern const uint8_t lj_zigzag[64]; /* zigzag index -> natural index */

/* ---- Decoders ------------------------------------------------------------ */
/* Sample plane of one component, 16-bit storage. */
typedef struct lj_plane {
    uint16_t *base;
    ptrdiff_t xs, ys;   /* strides in samples */
    uint32_t w, h;
} lj_plane;

typedef struct lj_scan_result {
    int truncated;      /* ran out of data (end of input or early marker) */
    int corrupt;        /* decoding error already recorded in err */
    int cornell_suspect;/* saw SSSS=16 (lossless 16-bit) */
    size_t leftover;    /* unused entropy bytes at the end of the scan */
} lj_scan_result;

/* Decode one lossless scan starting at src+pos; on return *pos is the
 * offset of the marker that ended the scan. */
int lj_lossless_scan(const uint8_t *src, size_t len, size_t *pos,
                     const lj_frame *fr, const lj_scan *sc, const lj_tables *t,
                     lj_plane *planes, unsigned flags, lj_scan_result *res,
                     dc_error *err);

int lj_dct_scan(const uint8_t *src, size_t len, size_t *pos,
                const lj_frame *fr, const lj_scan *sc, const lj_tables *t,
                lj_plane *planes, unsigned flags, lj_scan_result *res,
                dc_error *err);

/* ---- Encoder side -------------------------------------------------------- */
typedef struct lj_writer {
    uint8_t *p, *start, *end;
    uint64_t acc;
    int n;
    int overflow;
} lj_writer;

LJ_INLINE void lj_put_byte_raw(lj_writer *w, uint8_t c)
{
    if (LJ_LIKELY(w->p < w->end)) *w->p++ = c;
    else w->overflow = 1;
}

LJ_INLINE void lj_put_bits(lj_writer *w, uint32_t bits, int len)
{
    /* n < 32 on entry, len <= 32 */
    w->acc = (w->acc << len) | bits;
    w->n += len;
    if (w->n >= 32) {
        /* Four whole bytes at once unless one is 0xFF (which needs a
         * stuffed zero): a byte b is 0xFF iff its top bit and the carry of
         * (b & 0x7F) + 1 are both set, and that sum never carries out. */
        uint32_t x = (uint32_t)(w->acc >> (w->n - 32));
        if (LJ_LIKELY(!(x & ((x & 0x7F7F7F7Fu) + 0x01010101u) & 0x80808080u) &&
                      w->end - w->p >= 4)) {
            w->p[0] = (uint8_t)(x >> 24);
            w->p[1] = (uint8_t)(x >> 16);
            w->p[2] = (uint8_t)(x >> 8);
            w->p[3] = (uint8_t)x;
            w->p += 4;
            w->n -= 32;
            return;
        }
        while (w->n >= 8) {
            uint8_t c = (uint8_t)(w->acc >> (w->n - 8));
            w->n -= 8;
            lj_put_byte_raw(w, c);
            if (c == 0xFF) lj_put_byte_raw(w, 0x00);
        }
    }
}

/* Pads the last byte with 1-bits and flushes. */
void lj_flush_bits(lj_writer *w);
void lj_put_marker(lj_writer *w, int code);
void lj_put_u16(lj_writer *w, unsigned v);

/* T.81 Annex K.2: code lengths from frequencies (freq has 257 entries,
 * freq[256] is overwritten). Fills counts[1..16] and vals; returns nvals. */
int lj_huff_optimal(const uint32_t freq_in[257], uint8_t counts[17], uint8_t vals[256]);

/* Encoder code table from counts/vals (T.81 C.1-C.3). */
typedef struct lj_ehuff {
    uint16_t code[256];
    uint8_t size[256];
    uint8_t counts[17];
    uint8_t vals[256];
    int nvals;
} lj_ehuff;
void lj_ehuff_build(lj_ehuff *e);
void lj_put_dht(lj_writer *w, int tc, int th, const lj_ehuff *e);

int lj_encode_lossless(const uint8_t *src, size_t srclen, const dc_frame *f,
                       const dc_ljpeg_params *p, lj_writer *w, dc_error *err);
int lj_encode_dct(const uint8_t *src, size_t srclen, const dc_frame *f,
                  const dc_ljpeg_params *p, lj_writer *w, dc_error *err);

/* Category (SSSS) of a difference: number of bits of |v|. */
LJ_INLINE int lj_category(int32_t v)
{
    uint32_t a = (uint32_t)(v < 0 ? -v : v);
#if defined(__GNUC__)
    return a ? 32 - __builtin_clz(a) : 0;
#else
    int n = 0;
    while (a) { n++; a >>= 1; }
    return n;
#endif
}

/* Reads sample i of a dc_frame source as an unsigned value. */
LJ_INLINE uint32_t lj_src_sample(const uint8_t *src, int bytes, size_t i)
{
    if (bytes == 1) return src[i];
    uint16_t v;
    memcpy(&v, src + 2 * i, 2);
    return v;
}

#endif
