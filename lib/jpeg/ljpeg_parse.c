/* ljpeg_parse.c: the JPEG marker parser shared by the lossless and DCT
 * decoders (T.81 Annex B), and dc_ljpeg_read_header. */
#include "ljpeg_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint8_t lj_zigzag[64] = {
    0,  1,  8,  16, 9,  2,  3,  10, 17, 24, 32, 25, 18, 11, 4,  5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6,  7,  14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63};

static unsigned rd16(const uint8_t *p) { return ((unsigned)p[0] << 8) | p[1]; }

int lj_next_marker(lj_parser *ps)
{
    if (ps->pos >= ps->len) return -1;
    if (ps->src[ps->pos] != 0xFF) return -2;
    size_t q = ps->pos + 1;
    while (q < ps->len && ps->src[q] == 0xFF) q++;
    if (q >= ps->len) return -1;
    int code = ps->src[q];
    if (code == 0x00) return -2;
    ps->pos = q + 1;
    return code;
}

int lj_parse_soi(lj_parser *ps, dc_error *err)
{
    if (lj_next_marker(ps) == 0xD8) return DC_OK;
    if (ps->len < 2) return dc_fail(err, DC_ERR_TRUNCATED, "JPEG data too short (%zu bytes)", ps->len);
    return dc_fail(err, DC_ERR_CORRUPT, "not a JPEG stream: no SOI marker at the start (first bytes %02X %02X)",
                   ps->src[0], ps->src[1]);
}

/* A marker segment's payload (after its 2 length bytes). */
typedef struct seg {
    const uint8_t *p;
    int n;
    int status; /* DC_OK, or why the segment cannot be read */
} seg;

/* Takes the segment at pos, its length checked against the input, and
 * moves pos past it: the parsers below read only s.p[0..s.n-1]. */
static seg seg_take(lj_parser *ps, const char *name, dc_error *err)
{
    seg s = {NULL, 0, DC_OK};
    if (ps->len - ps->pos < 2) {
        s.status = dc_fail(err, DC_ERR_TRUNCATED, "JPEG %s segment: input ends in its length field", name);
        return s;
    }
    unsigned L = rd16(ps->src + ps->pos);
    if (L < 2) {
        s.status = dc_fail(err, DC_ERR_CORRUPT, "JPEG %s segment: invalid length %u", name, L);
    } else if (ps->len - ps->pos < L) {
        s.status = dc_fail(err, DC_ERR_TRUNCATED, "JPEG %s segment: length %u exceeds the %zu bytes left", name, L,
                           ps->len - ps->pos);
    } else {
        s.p = ps->src + ps->pos + 2;
        s.n = (int)L - 2;
        ps->pos += L;
    }
    return s;
}

int lj_skip_segment(lj_parser *ps, int code, dc_error *err)
{
    char name[16];
    snprintf(name, sizeof name, "0xFF%02X", code);
    return seg_take(ps, name, err).status;
}

int lj_parse_sof(lj_parser *ps, int code, lj_frame *fr, dc_error *err)
{
    seg s = seg_take(ps, "SOF", err);
    if (s.status) return s.status;
    const uint8_t *p = s.p;
    const int n = s.n;
    if (n < 6) return dc_fail(err, DC_ERR_CORRUPT, "JPEG SOF%d segment too short (%d bytes)", code - 0xC0, n);
    memset(fr, 0, sizeof *fr);
    fr->sof = code;
    fr->precision = p[0];
    fr->y = rd16(p + 1);
    fr->x = rd16(p + 3);
    fr->nc = p[5];
    if (fr->nc < 1 || fr->nc > LJ_MAX_COMPS)
        return dc_fail(err, fr->nc == 0 ? DC_ERR_CORRUPT : DC_ERR_UNSUPPORTED,
                       "JPEG SOF%d declares %d components (supported: 1 to 4)", code - 0xC0, fr->nc);
    if (n < 6 + 3 * fr->nc)
        return dc_fail(err, DC_ERR_CORRUPT, "JPEG SOF%d segment too short for %d components", code - 0xC0, fr->nc);
    if (fr->x == 0) return dc_fail(err, DC_ERR_CORRUPT, "JPEG SOF%d declares 0 columns", code - 0xC0);
    for (int i = 0; i < fr->nc; i++) {
        lj_comp *c = &fr->comp[i];
        c->id = p[6 + 3 * i];
        c->h = p[7 + 3 * i] >> 4;
        c->v = p[7 + 3 * i] & 15;
        c->tq = p[8 + 3 * i];
        if (c->h < 1 || c->h > 4 || c->v < 1 || c->v > 4)
            return dc_fail(err, DC_ERR_CORRUPT, "JPEG SOF: component %d has invalid sampling factors %dx%d", i, c->h, c->v);
        if (c->tq > 3)
            return dc_fail(err, DC_ERR_CORRUPT, "JPEG SOF: component %d uses quantisation table %d (0..3 allowed)", i, c->tq);
        for (int j = 0; j < i; j++)
            if (fr->comp[j].id == c->id)
                return dc_fail(err, DC_ERR_CORRUPT, "JPEG SOF: component id %d appears twice", c->id);
    }
    lj_frame_finish(fr);
    return DC_OK;
}

void lj_frame_finish(lj_frame *fr)
{
    fr->hmax = fr->vmax = 1;
    for (int i = 0; i < fr->nc; i++) {
        if (fr->comp[i].h > fr->hmax) fr->hmax = fr->comp[i].h;
        if (fr->comp[i].v > fr->vmax) fr->vmax = fr->comp[i].v;
    }
    for (int i = 0; i < fr->nc; i++) {
        lj_comp *c = &fr->comp[i];
        c->w = (uint32_t)(((uint64_t)fr->x * (uint64_t)c->h + (uint64_t)fr->hmax - 1) / (uint64_t)fr->hmax);
        c->hgt = (uint32_t)(((uint64_t)fr->y * (uint64_t)c->v + (uint64_t)fr->vmax - 1) / (uint64_t)fr->vmax);
    }
}

int lj_parse_dht(lj_parser *ps, lj_tables *t, dc_error *err)
{
    seg s = seg_take(ps, "DHT", err);
    if (s.status) return s.status;
    const uint8_t *p = s.p, *e = s.p + s.n;
    while (p < e) {
        if (e - p < 17) return dc_fail(err, DC_ERR_CORRUPT, "JPEG DHT segment: table header cut short");
        int tc = p[0] >> 4, th = p[0] & 15;
        if (tc > 1 || th > 3)
            return dc_fail(err, DC_ERR_CORRUPT, "JPEG DHT segment: invalid table class %d / slot %d", tc, th);
        lj_huff *h = tc ? &t->ac[th] : &t->dc[th];
        int total = 0;
        h->counts[0] = 0;
        for (int l = 1; l <= 16; l++) {
            h->counts[l] = p[l];
            total += p[l];
        }
        p += 17;
        if (total > 256 || total > e - p)
            return dc_fail(err, DC_ERR_CORRUPT, "JPEG DHT segment: %s table %d lists %d codes but %td bytes remain",
                           tc ? "AC" : "DC", th, total, e - p);
        memcpy(h->vals, p, (size_t)total);
        p += total;
        h->is_ac = tc;
        h->defined = 0;
        if (lj_huff_build(h) != 0)
            return dc_fail(err, DC_ERR_CORRUPT, "JPEG DHT segment: %s table %d is not a valid Huffman code (%d codes)",
                           tc ? "AC" : "DC", th, total);
    }
    return DC_OK;
}

int lj_parse_dqt(lj_parser *ps, lj_tables *t, dc_error *err)
{
    seg s = seg_take(ps, "DQT", err);
    if (s.status) return s.status;
    for (const uint8_t *p = s.p, *e = s.p + s.n; p < e;) {
        int pq = p[0] >> 4, tq = p[0] & 15;
        if (pq > 1 || tq > 3)
            return dc_fail(err, DC_ERR_CORRUPT, "JPEG DQT segment: invalid precision %d / slot %d", pq, tq);
        p++;
        int need = pq ? 128 : 64;
        if (e - p < need) return dc_fail(err, DC_ERR_CORRUPT, "JPEG DQT segment: table %d cut short", tq);
        for (int k = 0; k < 64; k++) t->q[tq][k] = pq ? (uint16_t)rd16(p + 2 * k) : p[k];
        p += need;
        t->qdef[tq] = 1;
    }
    return DC_OK;
}

int lj_parse_u16_segment(lj_parser *ps, const char *name, uint32_t *value, dc_error *err)
{
    seg s = seg_take(ps, name, err);
    if (s.status) return s.status;
    if (s.n < 2) return dc_fail(err, DC_ERR_CORRUPT, "JPEG %s segment too short", name);
    *value = rd16(s.p);
    return DC_OK;
}

int lj_parse_app(lj_parser *ps, int code, lj_tables *t, dc_error *err)
{
    seg s = seg_take(ps, "APPn", err);
    if (s.status) return s.status;
    const uint8_t *p = s.p;
    const int n = s.n;
    if (code == 0xE0 && n >= 5 && memcmp(p, "JFIF\0", 5) == 0) t->has_jfif = 1;
    if (code == 0xEE && n >= 12 && memcmp(p, "Adobe", 5) == 0) {
        t->has_adobe = 1;
        t->adobe_transform = p[11];
    }
    return DC_OK;
}

int lj_parse_sos(lj_parser *ps, const lj_frame *fr, lj_scan *sc, dc_error *err)
{
    seg s = seg_take(ps, "SOS", err);
    if (s.status) return s.status;
    const uint8_t *p = s.p;
    const int n = s.n;
    if (n < 1) return dc_fail(err, DC_ERR_CORRUPT, "JPEG SOS segment empty");
    memset(sc, 0, sizeof *sc);
    sc->ns = p[0];
    if (sc->ns < 1 || sc->ns > fr->nc)
        return dc_fail(err, DC_ERR_CORRUPT, "JPEG SOS: %d components in scan, frame has %d", sc->ns, fr->nc);
    if (n < 1 + 2 * sc->ns + 3) return dc_fail(err, DC_ERR_CORRUPT, "JPEG SOS segment too short for %d components", sc->ns);
    for (int i = 0; i < sc->ns; i++) {
        int id = p[1 + 2 * i];
        int k = -1;
        for (int j = 0; j < fr->nc; j++)
            if (fr->comp[j].id == id) k = j;
        if (k < 0) return dc_fail(err, DC_ERR_CORRUPT, "JPEG SOS: component id %d is not in the frame", id);
        for (int j = 0; j < i; j++)
            if (sc->comp[j] == k) return dc_fail(err, DC_ERR_CORRUPT, "JPEG SOS: component id %d listed twice", id);
        sc->comp[i] = k;
        sc->td[i] = p[2 + 2 * i] >> 4;
        sc->ta[i] = p[2 + 2 * i] & 15;
        if (sc->td[i] > 3 || sc->ta[i] > 3)
            return dc_fail(err, DC_ERR_CORRUPT, "JPEG SOS: component id %d selects Huffman table %d/%d (0..3 allowed)", id,
                           sc->td[i], sc->ta[i]);
    }
    const uint8_t *q = p + 1 + 2 * sc->ns;
    sc->ss = q[0];
    sc->se = q[1];
    sc->ah = q[2] >> 4;
    sc->al = q[2] & 15;
    return DC_OK;
}

/* Walks the marker structure from pos looking for DNL: entropy-coded data
 * never contains 0xFF followed by anything but 0x00 or RSTn. */
uint32_t lj_find_dnl(const uint8_t *src, size_t len, size_t pos)
{
    while (pos + 1 < len) {
        if (src[pos] != 0xFF) {
            pos++;
            continue;
        }
        int c = src[pos + 1];
        if (c == 0xFF || c == 0x00 || (c >= 0xD0 && c <= 0xD7) || c == 0x01) {
            pos += (c == 0xFF) ? 1 : 2;
            continue;
        }
        if (c == 0xD9) return 0;
        if (c == 0xDC) {
            if (pos + 6 <= len) return rd16(src + pos + 4);
            return 0;
        }
        /* a segment with a length: skip its payload */
        if (pos + 4 > len) return 0;
        unsigned L = rd16(src + pos + 2);
        if (L < 2) return 0;
        pos += 2 + L;
    }
    return 0;
}

static int process_of(int sof, int precision)
{
    switch (sof) {
    case 0xC0: return 1;
    case 0xC1: return precision == 12 ? 4 : 2;
    case 0xC3: return 14;
    default: return 0;
    }
}

static int read_header(const uint8_t *src, size_t srclen, dc_ljpeg_info *info, lj_tables *tp, dc_error *err)
{
    if (src == NULL || info == NULL) return dc_fail(err, DC_ERR_INVALID_ARG, "JPEG header: NULL argument");
    memset(info, 0, sizeof *info);
    lj_parser ps = {src, srclen, 0};
    int st = lj_parse_soi(&ps, err);
    if (st) return st;
    lj_frame fr;
    int have_frame = 0;
    lj_tables *t = tp; /* only DRI and the APPn flags are read here */
    for (;;) {
        int code = lj_next_marker(&ps);
        if (code == -1) return dc_fail(err, DC_ERR_TRUNCATED, "JPEG header: input ends before the first scan");
        if (code == -2)
            return dc_fail(err, DC_ERR_CORRUPT, "JPEG header: expected a marker at offset %zu, found byte 0x%02X", ps.pos,
                           src[ps.pos]);
        if (lj_is_sof(code)) {
            if (have_frame) return dc_fail(err, DC_ERR_CORRUPT, "JPEG header: second SOF marker");
            st = lj_parse_sof(&ps, code, &fr, err);
            have_frame = 1;
        } else if (code == 0xDA) {
            if (!have_frame) return dc_fail(err, DC_ERR_CORRUPT, "JPEG header: SOS before SOF");
            lj_scan sc;
            st = lj_parse_sos(&ps, &fr, &sc, err);
            if (st) return st;
            if (fr.sof == 0xC3) {
                info->predictor = sc.ss;
                info->point_transform = sc.al;
            }
            break;
        } else if (code == 0xDD) {
            uint32_t ri = 0;
            st = lj_parse_u16_segment(&ps, "DRI", &ri, err);
            if (!st) t->restart_interval = (int)ri;
        } else if (code >= 0xE0 && code <= 0xEF) {
            st = lj_parse_app(&ps, code, t, err);
        } else if (code == 0xD9) {
            return dc_fail(err, DC_ERR_CORRUPT, "JPEG header: EOI before the first scan");
        } else if ((code >= 0xD0 && code <= 0xD7) || code == 0x01) {
            continue; /* stand-alone markers */
        } else {
            st = lj_skip_segment(&ps, code, err);
        }
        if (st) return st;
    }
    if (fr.y == 0) {
        fr.y = lj_find_dnl(src, srclen, ps.pos);
        lj_frame_finish(&fr);
    }
    info->rows = fr.y;
    info->columns = fr.x;
    info->components = (uint32_t)fr.nc;
    info->precision = (uint32_t)fr.precision;
    info->sof_marker = fr.sof;
    info->process = process_of(fr.sof, fr.precision);
    for (int i = 0; i < fr.nc; i++) {
        info->hsamp[i] = fr.comp[i].h;
        info->vsamp[i] = fr.comp[i].v;
        info->component_ids[i] = fr.comp[i].id;
    }
    info->restart_interval = t->restart_interval;
    info->has_jfif = t->has_jfif;
    info->has_adobe = t->has_adobe;
    info->adobe_transform = t->adobe_transform;
    if (info->rows == 0) return dc_fail(err, DC_ERR_CORRUPT, "JPEG SOF declares 0 rows and no DNL marker follows");
    return DC_OK;
}

int dc_ljpeg_read_header(const uint8_t *src, size_t srclen, dc_ljpeg_info *info, dc_error *err)
{
    /* the tables are large (Huffman lookups): keep them off the stack */
    lj_tables *t = (lj_tables *)calloc(1, sizeof(lj_tables));
    if (!t) return dc_fail(err, DC_ERR_NOMEM, "JPEG header: out of memory");
    int st = read_header(src, srclen, info, t, err);
    free(t);
    return st;
}
