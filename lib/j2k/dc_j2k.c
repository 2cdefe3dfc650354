/* dc_j2k.c: what both J2K engines share, engine-free: the main-header
 * parser, the up-front checks a codestream must pass before an engine sees
 * it (frame geometry; what the OpenJPH shim accepts), the sample store with
 * pydicom's sign correction, the growable output buffer and TLM insertion.
 * The engines' glue is dc_openjpeg.c (OpenJPEG) and dc_ojph.cpp (OpenJPH). */
#include "dc_j2k.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ header parse */

static uint32_t rd16(const uint8_t *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Offset of the raw codestream in a JP2 file, or 0 for a raw codestream. */
int dc_j2k_start(const uint8_t *src, size_t srclen, size_t *start, dc_error *err)
{
    static const uint8_t jp2sig[12] = {0, 0, 0, 12, 'j', 'P', ' ', ' ', 0x0d, 0x0a, 0x87, 0x0a};
    *start = 0;
    if (srclen < sizeof jp2sig || memcmp(src, jp2sig, sizeof jp2sig) != 0)
        return DC_OK;
    size_t pos = 12;
    while (pos + 8 <= srclen) {
        uint64_t len = rd32(src + pos);
        size_t hdr = 8;
        if (len == 1) {
            if (pos + 16 > srclen)
                break;
            len = (uint64_t)rd32(src + pos + 8) << 32 | rd32(src + pos + 12);
            hdr = 16;
        }
        if (memcmp(src + pos + 4, "jp2c", 4) == 0) {
            *start = pos + hdr;
            return DC_OK;
        }
        if (len < hdr || len > srclen - pos)
            break;
        pos += (size_t)len;
    }
    return dc_fail(err, DC_ERR_CORRUPT, "JP2 file without a contiguous codestream box");
}

int dc_j2k_parse(const uint8_t *src, size_t srclen, dc_j2k_info *info, dc_error *err)
{
    memset(info, 0, sizeof *info);
    if (!src)
        return dc_fail(err, DC_ERR_TRUNCATED, "empty codestream");
    size_t pos;
    int rc = dc_j2k_start(src, srclen, &pos, err);
    if (rc)
        return rc;
    if (srclen - pos < 4)
        return dc_fail(err, DC_ERR_TRUNCATED, "codestream of %zu bytes", srclen - pos);
    if (rd16(src + pos) != 0xFF4F)
        return dc_fail(err, DC_ERR_CORRUPT, "no SOC marker: not a JPEG 2000 codestream "
                       "(starts %02X %02X)", src[pos], src[pos + 1]);
    if (rd16(src + pos + 2) != 0xFF51)
        return dc_fail(err, DC_ERR_CORRUPT, "SIZ does not follow SOC");
    pos += 2;
    int have_cod = 0;
    while (pos + 4 <= srclen) {
        uint32_t marker = rd16(src + pos);
        if (marker == 0xFF90 || marker == 0xFFD9)
            break; /* SOT: end of the main header */
        if (marker < 0xFF30)
            return dc_fail(err, DC_ERR_CORRUPT, "bad marker %04X in the main header at %zu",
                           marker, pos);
        uint32_t len = rd16(src + pos + 2);
        if (len < 2 || len > srclen - pos - 2)
            return dc_fail(err, DC_ERR_TRUNCATED, "marker segment %04X of %u bytes at %zu "
                           "runs past the end", marker, len, pos);
        const uint8_t *seg = src + pos + 4;
        uint32_t n = len - 2;
        if (marker == 0xFF51) {
            if (n < 36)
                return dc_fail(err, DC_ERR_CORRUPT, "SIZ of %u bytes", len);
            uint32_t rsiz = rd16(seg), xsiz = rd32(seg + 2), ysiz = rd32(seg + 6);
            uint32_t xo = rd32(seg + 10), yo = rd32(seg + 14);
            uint32_t xt = rd32(seg + 18), yt = rd32(seg + 22);
            uint32_t xto = rd32(seg + 26), yto = rd32(seg + 30);
            uint32_t csiz = rd16(seg + 34);
            if (csiz == 0 || n < 36 + 3 * csiz)
                return dc_fail(err, DC_ERR_CORRUPT, "SIZ declares %u components in %u bytes",
                               csiz, len);
            if (xo >= xsiz || yo >= ysiz || xt == 0 || yt == 0)
                return dc_fail(err, DC_ERR_CORRUPT, "SIZ: empty image or tile (%u..%u x %u..%u)",
                               xo, xsiz, yo, ysiz);
            info->htj2k |= (rsiz & 0x4000) != 0;
            info->width = xsiz - xo;
            info->height = ysiz - yo;
            info->x0 = xo;
            info->y0 = yo;
            info->ncomps = csiz;
            info->precision = (seg[36] & 0x7F) + 1u;
            info->is_signed = seg[36] >> 7;
            uint64_t tx = ((uint64_t)xsiz - xto + xt - 1) / xt;
            uint64_t ty = ((uint64_t)ysiz - yto + yt - 1) / yt;
            info->tiles = tx * ty > UINT32_MAX ? UINT32_MAX : (uint32_t)(tx * ty);
            for (uint32_t c = 0; c < csiz; c++)
                if (seg[37 + 3 * c] != 1 || seg[38 + 3 * c] != 1)
                    info->subsampled = 1;
        } else if (marker == 0xFF52) {
            if (n < 10)
                return dc_fail(err, DC_ERR_CORRUPT, "COD of %u bytes", len);
            info->progression = seg[1];
            info->layers = rd16(seg + 2);
            info->mct = seg[4];
            info->levels = seg[5];
            info->reversible = seg[9] == 1;
            have_cod = 1;
        } else if (marker == 0xFF50) {
            info->htj2k = 1;
        } else if (marker == 0xFF55) {
            info->has_tlm = 1;
        }
        pos += 2 + len;
    }
    if (info->ncomps == 0)
        return dc_fail(err, DC_ERR_TRUNCATED, "the codestream ends inside its main header");
    if (!have_cod)
        return dc_fail(err, DC_ERR_CORRUPT, "no COD marker segment in the main header");
    return DC_OK;
}

int dc_j2k_check_ojph(const uint8_t *src, size_t srclen, dc_error *err)
{
    dc_j2k_info info;
    int rc = dc_j2k_parse(src, srclen, &info, err);
    if (rc)
        return rc;
    if (src[0] != 0xFF) /* JP2 boxes: OpenJPH reads raw codestreams only */
        return dc_fail(err, DC_ERR_UNSUPPORTED, "JP2 file");
    if (!info.htj2k)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "not an HTJ2K codestream (no CAP marker)");
    if (info.ncomps > 4 || info.precision > 30 || info.tiles > 65535)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "%u components of %u bits in %u tiles",
                       info.ncomps, info.precision, info.tiles);
    size_t pos = 2;
    uint32_t levels = 0;
    int have_qcd = 0;
    uint32_t seen = 0; /* SIZ, COD, QCD, CAP: once each (OpenJPH 0.9.0 reads
                          a second SIZ over the first and then dereferences
                          NULL in parse_tile_header; found by fuzz_j2k) */
    while (pos + 4 <= srclen) {
        uint32_t marker = rd16(src + pos);
        if (marker == 0xFF90)
            break;
        uint32_t len = rd16(src + pos + 2); /* checked by dc_j2k_parse */
        const uint8_t *seg = src + pos + 4;
        uint32_t once = marker == 0xFF51 ? 1u : marker == 0xFF52 ? 2u : marker == 0xFF5C ? 4u
                        : marker == 0xFF50 ? 8u : 0u;
        if (once & seen)
            return dc_fail(err, DC_ERR_CORRUPT, "a second %04X marker segment in the main "
                           "header", marker);
        seen |= once;
        switch (marker) {
        case 0xFF51: { /* SIZ: every component's depth and sampling */
            uint32_t csiz = rd16(seg + 34);
            /* OpenJPH 0.9.0 does its tile arithmetic in 32-bit signed
             * integers: a tile reaching past 2^31 (fuzz_j2k: YTsiz
             * 0xFFFFFFFF) ends in a NULL dereference. Real images are far
             * smaller. */
            for (int k = 0; k < 2; k++) {
                uint64_t size = rd32(seg + 2 + 4 * k), tile = rd32(seg + 18 + 4 * k);
                uint64_t torigin = rd32(seg + 26 + 4 * k);
                if (size >= 0x80000000u || torigin + tile >= 0x80000000u)
                    return dc_fail(err, DC_ERR_UNSUPPORTED, "SIZ: image or tile reaches past "
                                   "2^31 (%llu, tile %llu)", (unsigned long long)size,
                                   (unsigned long long)tile);
            }
            if (len != 38 + 3 * csiz)
                return dc_fail(err, DC_ERR_CORRUPT, "SIZ length %u for %u components", len, csiz);
            for (uint32_t c = 0; c < csiz; c++)
                if ((seg[36 + 3 * c] & 0x7F) + 1u > 30 || seg[37 + 3 * c] == 0 ||
                    seg[38 + 3 * c] == 0)
                    return dc_fail(err, DC_ERR_CORRUPT, "SIZ component %u: bad depth or "
                                   "sampling", c);
            break;
        }
        case 0xFF52: { /* COD */
            uint32_t scod = seg[0];
            levels = seg[5];
            uint32_t xcb = seg[6], ycb = seg[7];
            if (levels > 32 || xcb > 8 || ycb > 8 || xcb + ycb > 8 || seg[1] > 4 ||
                rd16(seg + 2) == 0 || seg[9] > 1 || seg[4] > 1 || (scod & ~7u))
                return dc_fail(err, DC_ERR_CORRUPT, "COD: invalid parameters");
            if (len != 12 + ((scod & 1) ? levels + 1 : 0))
                return dc_fail(err, DC_ERR_CORRUPT, "COD length %u for %u levels", len, levels);
            break;
        }
        case 0xFF5C: /* QCD: its length is checked below, once COD is known */
            if (len < 3 || (seg[0] & 0x1F) > 2)
                return dc_fail(err, DC_ERR_CORRUPT, "QCD: quantisation style %u", seg[0] & 0x1Fu);
            have_qcd = 1;
            break;
        case 0xFF50: case 0xFF64: case 0xFF55: /* CAP, COM, TLM */
            break;
        default:
            return dc_fail(err, DC_ERR_UNSUPPORTED, "marker %04X in the main header", marker);
        }
        pos += 2 + len;
    }
    if (!have_qcd)
        return dc_fail(err, DC_ERR_CORRUPT, "no QCD marker segment");
    {
        /* OpenJPH 0.9.0 mis-decodes tiles narrower than 2^levels in both
         * directions (ojph_expand shows the same): leave those to OpenJPEG. */
        const uint8_t *siz = src + 6;
        uint32_t xsiz = rd32(siz + 2), ysiz = rd32(siz + 6), xo = rd32(siz + 10), yo = rd32(siz + 14);
        uint32_t xt = rd32(siz + 18), yt = rd32(siz + 22), xto = rd32(siz + 26), yto = rd32(siz + 30);
        uint64_t minw = UINT64_MAX, minh = UINT64_MAX;
        if (xto > xo || yto > yo)
            return dc_fail(err, DC_ERR_CORRUPT, "SIZ: tile origin after the image origin");
        uint64_t nx = ((uint64_t)xsiz - xto + xt - 1) / xt, ny = ((uint64_t)ysiz - yto + yt - 1) / yt;
        uint64_t ix[3] = {0, nx / 2, nx - 1}, iy[3] = {0, ny / 2, ny - 1};
        for (int k = 0; k < 3; k++) {
            uint64_t a = (uint64_t)xto + ix[k] * xt, b = a + xt;
            a = a < xo ? xo : a;
            b = b > xsiz ? xsiz : b;
            if (b - a < minw)
                minw = b - a;
            a = (uint64_t)yto + iy[k] * yt;
            b = a + yt;
            a = a < yo ? yo : a;
            b = b > ysiz ? ysiz : b;
            if (b - a < minh)
                minh = b - a;
        }
        /* OpenJPH sizes a tile's buffers by the nominal tile size, and
         * has a fixed cost per tile: thousands of tiles far larger than the
         * image (fuzz_j2k: 28,672 tiles of 14864 x 16 nominal over a 14-wide
         * image asked for 3.5 GB), or tiny ones, go to OpenJPEG. */
        if (nx * ny > 1) {
            uint64_t region = ((uint64_t)xsiz - xto) * ((uint64_t)ysiz - yto);
            if (xt < 16 || yt < 16 || (double)(nx * ny) * xt * yt > 4.0 * (double)region)
                return dc_fail(err, DC_ERR_UNSUPPORTED, "%llu tiles of %u x %u over a %u x %u "
                               "image", (unsigned long long)(nx * ny), xt, yt, xsiz - xo,
                               ysiz - yo);
        }
        uint64_t need = (uint64_t)1 << levels;
        if (minw < need && minh < need)
            return dc_fail(err, DC_ERR_UNSUPPORTED, "a tile of %llu x %llu is smaller than its "
                           "%u decomposition levels", (unsigned long long)minw,
                           (unsigned long long)minh, levels);
    }
    /* QCD may precede COD: check it again now the levels are known. */
    for (size_t q = 2; q + 4 <= pos; q += 2 + rd16(src + q + 2)) {
        if (rd16(src + q) == 0xFF5C) {
            uint32_t len = rd16(src + q + 2), style = src[q + 4] & 0x1F, nb = 3 * levels + 1;
            uint32_t want = style == 0 ? 3 + nb : style == 1 ? 5 : 3 + 2 * nb;
            if (len != want)
                return dc_fail(err, DC_ERR_CORRUPT, "QCD of %u bytes does not match %u "
                               "decomposition levels", len, levels);
        }
    }
    /* Tile-parts: all inside the buffer, headers with COM/PLT only. */
    size_t nparts = 0;
    while (pos + 2 <= srclen && rd16(src + pos) == 0xFF90) {
        if (pos + 12 > srclen)
            return dc_fail(err, DC_ERR_TRUNCATED, "the codestream ends inside a SOT marker");
        uint32_t lsot = rd16(src + pos + 2), isot = rd16(src + pos + 4);
        uint64_t psot = rd32(src + pos + 6);
        if (lsot != 10 || isot >= info.tiles)
            return dc_fail(err, DC_ERR_CORRUPT, "SOT at %zu: length %u, tile %u of %u", pos,
                           lsot, isot, info.tiles);
        if (psot == 0) /* "to the EOC": let OpenJPEG find where that is */
            return dc_fail(err, DC_ERR_UNSUPPORTED, "tile-part without a length (Psot 0)");
        if (psot < 14)
            return dc_fail(err, DC_ERR_CORRUPT, "tile-part of %llu bytes at %zu",
                           (unsigned long long)psot, pos);
        if (psot > srclen - pos)
            return dc_fail(err, DC_ERR_TRUNCATED, "tile-part at %zu declares %llu bytes, %zu "
                           "remain", pos, (unsigned long long)psot, srclen - pos);
        size_t h = pos + 12, end = pos + (size_t)psot;
        for (;;) {
            if (h + 2 > end)
                return dc_fail(err, DC_ERR_CORRUPT, "tile-part at %zu has no SOD", pos);
            uint32_t m = rd16(src + h);
            if (m == 0xFF93)
                break;
            if (h + 4 > end || rd16(src + h + 2) < 2 || rd16(src + h + 2) > end - h - 2)
                return dc_fail(err, DC_ERR_CORRUPT, "bad marker segment in a tile-part header");
            if (m != 0xFF64 && m != 0xFF58)
                return dc_fail(err, DC_ERR_UNSUPPORTED, "marker %04X in a tile-part header", m);
            h += 2 + rd16(src + h + 2);
        }
        pos = end;
        nparts++;
    }
    if (nparts == 0)
        return dc_fail(err, DC_ERR_TRUNCATED, "no tile-part follows the main header");
    if (pos + 2 > srclen || rd16(src + pos) != 0xFFD9)
        return dc_fail(err, DC_ERR_TRUNCATED, "no EOC marker after the last tile-part");
    return DC_OK;
}

/* ------------------------------------------------------ codestream extent */

static int all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

void dc_j2k_extent(const uint8_t *src, size_t srclen, size_t *len, int *add_eoc)
{
    *len = srclen;
    *add_eoc = 0;
    if (!src || srclen < 4 || rd16(src) != 0xFF4F)
        return; /* JP2 boxes or no codestream: the engine judges */
    size_t pos = 2;
    while (pos + 4 <= srclen && rd16(src + pos) != 0xFF90) {
        if (rd16(src + pos) < 0xFF30)
            return;
        pos += 2 + (size_t)rd16(src + pos + 2);
    }
    if (pos + 12 > srclen)
        return;
    while (pos + 12 <= srclen && rd16(src + pos) == 0xFF90) {
        uint32_t psot = rd32(src + pos + 6);
        if (psot == 0) {
            /* The last tile-part runs to the EOC: without one, every byte
             * may be data, so only the padding after an EOC goes. */
            size_t n = srclen;
            while (n > pos && src[n - 1] == 0)
                n--;
            if (n >= pos + 14 && rd16(src + n - 2) == 0xFFD9)
                *len = n;
            else
                *add_eoc = 1;
            return;
        }
        if (psot < 14 || psot > srclen - pos)
            return; /* corrupt or truncated: the engine says which */
        pos += psot;
    }
    if (pos + 2 <= srclen && rd16(src + pos) == 0xFFD9) {
        *len = pos + 2;
    } else if (all_zero(src + pos, srclen - pos)) {
        *len = pos;
        *add_eoc = 1;
    }
}

/* ---------------------------------------------------------- packet headers */

/* Packet-header bits (B.10.1): after a 0xFF byte the next holds 7 bits. */
typedef struct pk_bits {
    const uint8_t *p;
    size_t pos, end;
    uint32_t cur;
    int nbits, after_ff;
} pk_bits;

/* 0 or 1, or -1 at the end of the data. */
static int pk_bit(pk_bits *b)
{
    if (b->nbits == 0) {
        if (b->pos >= b->end)
            return -1;
        b->cur = b->p[b->pos++];
        b->nbits = b->after_ff ? 7 : 8;
        b->after_ff = b->cur == 0xFF;
    }
    b->nbits--;
    return (int)((b->cur >> b->nbits) & 1u);
}

static int pk_bits_n(pk_bits *b, int n, uint64_t *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        int bit = pk_bit(b);
        if (bit < 0)
            return -1;
        *v = *v << 1 | (uint64_t)bit;
    }
    return 0;
}

/* The header ends at a byte boundary; after a final 0xFF comes its stuffed byte. */
static void pk_align(pk_bits *b)
{
    b->nbits = 0;
    if (b->after_ff && b->pos < b->end)
        b->pos++;
    b->after_ff = 0;
}

/* A tag tree (B.10.2) over w x h leaves: per node the lower bound reached so
 * far and whether the value is known. Levels from the leaves up. */
typedef struct pk_tree {
    uint32_t *low;
    uint8_t *known;
    uint32_t lw[34], lh[34];
    size_t off[34];
    int levels;
} pk_tree;

static int pk_tree_init(pk_tree *t, uint32_t w, uint32_t h)
{
    size_t n = 0;
    int k = 0;
    for (;;) {
        t->lw[k] = w;
        t->lh[k] = h;
        t->off[k] = n;
        n += (size_t)w * h;
        if ((w == 1 && h == 1) || k == 33)
            break;
        w = (w + 1) / 2;
        h = (h + 1) / 2;
        k++;
    }
    t->levels = k + 1;
    t->low = calloc(n, sizeof *t->low);
    t->known = calloc(n, 1);
    return t->low && t->known;
}

static void pk_tree_free(pk_tree *t)
{
    free(t->low);
    free(t->known);
}

/* Decodes leaf (x, y) until its value is known or reaches `threshold`:
 * 1 value < threshold, 0 not, -1 out of data. */
static int pk_tree_decode(pk_tree *t, pk_bits *b, uint32_t x, uint32_t y, uint32_t threshold)
{
    uint32_t low = 0;
    for (int k = t->levels - 1; k >= 0; k--) {
        size_t i = t->off[k] + (size_t)(y >> k) * t->lw[k] + (x >> k);
        if (t->low[i] < low)
            t->low[i] = low;
        while (!t->known[i] && t->low[i] < threshold) {
            int bit = pk_bit(b);
            if (bit < 0)
                return -1;
            if (bit)
                t->known[i] = 1;
            else
                t->low[i]++;
        }
        low = t->low[i];
    }
    size_t leaf = t->off[0] + (size_t)y * t->lw[0] + x;
    return t->known[leaf] && t->low[leaf] < threshold;
}

static uint64_t ceil_div_pow2(uint64_t v, uint32_t k) { return (v + ((uint64_t)1 << k) - 1) >> k; }

/* One packet of one tile-component resolution: its header from b, then its
 * body. 1: done; 0: the data ended inside it (OpenJPH stops there too);
 * negative: minus the status of the error set in err. The subband and
 * code-block counts follow OpenJPH's arithmetic, so that both read the same
 * bits. */
static int pk_packet(pk_bits *b, uint64_t tcx0, uint64_t tcx1, uint64_t tcy0, uint64_t tcy1,
                     uint32_t nl, uint32_t r, uint32_t xcb, uint32_t ycb, size_t tile,
                     uint32_t comp, dc_error *err)
{
    uint64_t ncb[3][2];
    uint32_t nbands = r == 0 ? 1 : 3, any = 0;
    for (uint32_t band = 0; band < nbands; band++) {
        /* B.5: band bounds; HL (1), LH (2), HH (3) at r > 0. */
        uint32_t nb = r == 0 ? nl : nl - r + 1;
        uint32_t bandno = r == 0 ? 0 : band + 1;
        uint64_t xo = (bandno & 1) ? (uint64_t)1 << (nb - 1) : 0;
        uint64_t yo = (bandno & 2) ? (uint64_t)1 << (nb - 1) : 0;
        uint64_t bx0 = tcx0 >= xo ? ceil_div_pow2(tcx0 - xo, nb) : 0;
        uint64_t bx1 = tcx1 >= xo ? ceil_div_pow2(tcx1 - xo, nb) : 0;
        uint64_t by0 = tcy0 >= yo ? ceil_div_pow2(tcy0 - yo, nb) : 0;
        uint64_t by1 = tcy1 >= yo ? ceil_div_pow2(tcy1 - yo, nb) : 0;
        ncb[band][0] = bx1 > bx0 ? ceil_div_pow2(bx1, xcb) - (bx0 >> xcb) : 0;
        ncb[band][1] = by1 > by0 ? ceil_div_pow2(by1, ycb) - (by0 >> ycb) : 0;
        if (ncb[band][0] * ncb[band][1] > ((uint64_t)1 << 26))
            return -dc_fail(err, DC_ERR_UNSUPPORTED, "%llu code-blocks in a subband",
                            (unsigned long long)(ncb[band][0] * ncb[band][1]));
        any |= ncb[band][0] && ncb[band][1];
    }
    if (!any)
        return 1; /* no code-block: OpenJPH reads nothing for it */
    int bit = pk_bit(b);
    if (bit <= 0) {
        if (bit == 0)
            pk_align(b);
        return bit == 0;
    }
    uint64_t body = 0;
    for (uint32_t band = 0; band < nbands; band++) {
        uint64_t ncbx = ncb[band][0], ncby = ncb[band][1];
        if (ncbx == 0 || ncby == 0)
            continue;
        pk_tree inc, zbp;
        memset(&inc, 0, sizeof inc);
        memset(&zbp, 0, sizeof zbp);
        if (!pk_tree_init(&inc, (uint32_t)ncbx, (uint32_t)ncby) ||
            !pk_tree_init(&zbp, (uint32_t)ncbx, (uint32_t)ncby)) {
            pk_tree_free(&inc);
            pk_tree_free(&zbp);
            return -dc_fail(err, DC_ERR_NOMEM, "no memory for a packet's tag trees");
        }
        int rc = 1;
        for (uint32_t y = 0; y < ncby && rc == 1; y++) {
            for (uint32_t x = 0; x < ncbx && rc == 1; x++) {
                int in = pk_tree_decode(&inc, b, x, y, 1);
                if (in <= 0) {
                    rc = in < 0 ? 0 : 1;
                    continue;
                }
                if (pk_tree_decode(&zbp, b, x, y, UINT32_MAX) < 0) {
                    rc = 0;
                    break;
                }
                /* Number of passes (Table B.4). */
                uint64_t v;
                uint32_t passes = 1;
                int b1 = pk_bit(b);
                if (b1 < 0) { rc = 0; break; }
                if (b1) {
                    passes = 2;
                    int b2 = pk_bit(b);
                    if (b2 < 0) { rc = 0; break; }
                    if (b2) {
                        if (pk_bits_n(b, 2, &v)) { rc = 0; break; }
                        passes = 3 + (uint32_t)v;
                        if (v == 3) {
                            if (pk_bits_n(b, 5, &v)) { rc = 0; break; }
                            passes = 6 + (uint32_t)v;
                            if (v == 31) {
                                if (pk_bits_n(b, 7, &v)) { rc = 0; break; }
                                passes = 37 + (uint32_t)v;
                            }
                        }
                    }
                }
                /* Lblock starts at 3 and grows by the 1 bits before a 0;
                 * the HT cleanup segment's length has Lblock bits, the
                 * refinement segment's one more when it holds two passes. */
                int lblock = 3;
                for (;;) {
                    int i = pk_bit(b);
                    if (i < 0) { rc = 0; break; }
                    if (!i)
                        break;
                    lblock++;
                }
                if (rc != 1)
                    break;
                /* OpenJPH reads at most 32 bits of a length. */
                int n0 = lblock > 32 ? 32 : lblock;
                if (pk_bits_n(b, n0, &v)) { rc = 0; break; }
                body += v;
                if (passes > 1) {
                    int n1 = lblock + (passes > 2 ? 1 : 0);
                    n1 = n1 > 32 ? 32 : n1;
                    if (pk_bits_n(b, n1, &v)) { rc = 0; break; }
                    body += v;
                }
            }
        }
        pk_tree_free(&inc);
        pk_tree_free(&zbp);
        if (rc != 1)
            return rc;
    }
    pk_align(b);
    if (body > b->end - b->pos)
        return -dc_fail(err, DC_ERR_UNSUPPORTED, "tile %zu, component %u, resolution %u: a "
                        "packet header declares %llu bytes of code-blocks, %zu remain (not for "
                        "OpenJPH 0.9, which would write past its buffer)", tile, comp, r,
                        (unsigned long long)body, b->end - b->pos);
    b->pos += (size_t)body;
    return 1;
}

int dc_j2k_check_packets(const uint8_t *src, size_t srclen, dc_error *err)
{
    dc_j2k_info info;
    int rc = dc_j2k_parse(src, srclen, &info, err);
    if (rc)
        return rc;
    if (src[0] != 0xFF || srclen < 6 + 38)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "not a raw codestream");
    const uint8_t *siz = src + 6;
    uint32_t xsiz = rd32(siz + 2), ysiz = rd32(siz + 6), xo = rd32(siz + 10), yo = rd32(siz + 14);
    uint32_t xt = rd32(siz + 18), yt = rd32(siz + 22), xto = rd32(siz + 26), yto = rd32(siz + 30);
    uint32_t nc = info.ncomps;
    if (info.subsampled)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "subsampled components");
    /* COD, as dc_j2k_check_ojph has checked it. */
    size_t pos = 2;
    uint32_t scod = 0, xcb = 0, ycb = 0;
    while (pos + 4 <= srclen && rd16(src + pos) != 0xFF90) {
        if (rd16(src + pos) == 0xFF52) {
            const uint8_t *seg = src + pos + 4;
            scod = seg[0];
            xcb = seg[6] + 2u;
            ycb = seg[7] + 2u;
        }
        pos += 2 + (size_t)rd16(src + pos + 2);
    }
    uint32_t nl = info.levels;
    if (info.layers != 1 || (scod & 7u) != 0 || nl > 32)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "%u layers, Scod %02X: packets not checked",
                       info.layers, scod);
    uint64_t ntx = ((uint64_t)xsiz - xto + xt - 1) / xt;
    int pcrl = info.progression >= 3; /* PCRL, CPRL: components outermost */
    uint8_t *seen = calloc(info.tiles ? info.tiles : 1, 1);
    if (!seen)
        return dc_fail(err, DC_ERR_NOMEM, "no memory for %u tiles", info.tiles);
    rc = DC_OK;
    while (rc == DC_OK && pos + 12 <= srclen && rd16(src + pos) == 0xFF90) {
        uint32_t isot = rd16(src + pos + 4), tpsot = src[pos + 10], tnsot = src[pos + 11];
        size_t end = pos + rd32(src + pos + 6); /* within srclen: dc_j2k_check_ojph */
        if (isot >= info.tiles || seen[isot] || tpsot != 0 || tnsot > 1) {
            rc = dc_fail(err, DC_ERR_UNSUPPORTED, "tile %u in several tile-parts", isot);
            break;
        }
        seen[isot] = 1;
        size_t h = pos + 12;
        while (h + 4 <= end && rd16(src + h) != 0xFF93)
            h += 2 + (size_t)rd16(src + h + 2);
        pk_bits b = {src, h + 2, end, 0, 0, 0};
        uint64_t p = isot % ntx, q = isot / ntx;
        uint64_t tx0 = (uint64_t)xto + p * xt, tx1 = tx0 + xt;
        uint64_t ty0 = (uint64_t)yto + q * yt, ty1 = ty0 + yt;
        tx0 = tx0 < xo ? xo : tx0;
        ty0 = ty0 < yo ? yo : ty0;
        tx1 = tx1 > xsiz ? xsiz : tx1;
        ty1 = ty1 > ysiz ? ysiz : ty1;
        /* One precinct (2^15) per resolution: check it, then the packets
         * in progression order (B.12), one per component and resolution. */
        for (uint32_t r = 0; r <= nl && rc == DC_OK; r++) {
            uint64_t rx0 = ceil_div_pow2(tx0, nl - r), rx1 = ceil_div_pow2(tx1, nl - r);
            uint64_t ry0 = ceil_div_pow2(ty0, nl - r), ry1 = ceil_div_pow2(ty1, nl - r);
            if (rx1 <= rx0 || ry1 <= ry0)
                rc = dc_fail(err, DC_ERR_UNSUPPORTED, "an empty resolution");
            else if (ceil_div_pow2(rx1, 15) - (rx0 >> 15) > 1 ||
                     ceil_div_pow2(ry1, 15) - (ry0 >> 15) > 1)
                rc = dc_fail(err, DC_ERR_UNSUPPORTED, "several precincts in a resolution");
        }
        int more = 1;
        for (uint32_t i = 0; i < (nl + 1) * nc && rc == DC_OK && more; i++) {
            uint32_t r = pcrl ? i % (nl + 1) : i / nc, c = pcrl ? i / (nl + 1) : i % nc;
            int k = pk_packet(&b, tx0, tx1, ty0, ty1, nl, r, xcb, ycb, isot, c, err);
            if (k < 0)
                rc = -k;
            more = k == 1;
        }
        pos = end;
    }
    free(seen);
    return rc;
}

/* ---------------------------------------------------------- output buffer */

int dc_j2k_buf_reserve(dc_j2k_buf *b, size_t need)
{
    if (need <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 65536;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return 0;
        cap *= 2;
    }
    uint8_t *p = realloc(b->data, cap);
    if (!p)
        return 0;
    b->data = p;
    b->cap = cap;
    return 1;
}

void dc_j2k_buf_free(dc_j2k_buf *b)
{
    if (b) {
        free(b->data);
        memset(b, 0, sizeof *b);
    }
}

/* ------------------------------------------------------------ sample store */

int dc_j2k_store_setup(dc_j2k_store *st, const dc_frame *f, uint32_t precision,
                       uint32_t is_signed, uint32_t sign_correct, dc_error *err)
{
    memset(st, 0, sizeof *st);
    if (f->bits_allocated != 8 && f->bits_allocated != 16 && f->bits_allocated != 32)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "Bits Allocated %u: JPEG 2000 frames decode "
                       "to 8, 16 or 32-bit samples", f->bits_allocated);
    if (precision == 0 || precision > f->bits_allocated)
        return dc_fail(err, DC_ERR_MISMATCH, "the codestream's %u-bit samples do not fit "
                       "Bits Allocated %u", precision, f->bits_allocated);
    st->bytes = f->bits_allocated / 8;
    if (precision >= 32) {
        st->lo = is_signed ? INT32_MIN : 0;
        st->hi = INT32_MAX;
    } else if (is_signed) {
        st->lo = -(int32_t)(1u << (precision - 1));
        st->hi = (int32_t)((1u << (precision - 1)) - 1u);
    } else {
        st->lo = 0;
        st->hi = precision == 31 ? INT32_MAX : (int32_t)((1u << precision) - 1u);
    }
    /* pydicom's _apply_sign_correction: shift left then back right by
     * (container bits - codestream precision) in the container's dtype. */
    if (sign_correct && precision < f->bits_allocated &&
        (is_signed != 0) != (f->pixel_representation != 0)) {
        if (f->pixel_representation)
            st->extend_bits = precision;
        else
            st->mask_bits = precision;
    }
    return DC_OK;
}

/* Sample k of dst as `bytes` bytes. */
static inline void put_sample(uint8_t *dst, size_t k, uint32_t bytes, uint32_t u)
{
    if (bytes == 1)
        dst[k] = (uint8_t)u;
    else if (bytes == 2)
        ((uint16_t *)(void *)dst)[k] = (uint16_t)u;
    else
        ((uint32_t *)(void *)dst)[k] = u;
}

/* The one store loop: clamped to [lo, hi] if asked, masked, sign-extended
 * by sh bits. Inlined with constant bytes (and, for the plain copy, mask
 * ~0 and sh 0) it becomes one specialised loop per case below. */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif
static inline void store_loop(const int32_t *v, size_t n, uint8_t *dst, uint32_t nc,
                              uint32_t comp, uint32_t bytes, int clamp, int32_t lo, int32_t hi,
                              uint32_t mask, int sh)
{
    for (size_t i = 0; i < n; i++) {
        int32_t c = clamp ? (v[i] < lo ? lo : v[i] > hi ? hi : v[i]) : v[i];
        uint32_t u = (uint32_t)c & mask;
        u = sh ? (uint32_t)((int32_t)(u << sh) >> sh) : u;
        put_sample(dst, i * nc + comp, bytes, u);
    }
}

void dc_j2k_store_samples(const int32_t *v, size_t n, uint8_t *dst, uint32_t nc,
                          uint32_t comp, const dc_j2k_store *st)
{
    uint32_t mask = st->mask_bits ? (st->mask_bits >= 32 ? 0xFFFFFFFFu
                                                         : (1u << st->mask_bits) - 1u) : 0xFFFFFFFFu;
    int sh = st->extend_bits ? 32 - (int)st->extend_bits : 0;
    const int plain = !sh && !st->mask_bits;
    if (st->clamp)
        store_loop(v, n, dst, nc, comp, st->bytes, 1, st->lo, st->hi, mask, sh);
    else if (st->bytes == 1 && plain)
        store_loop(v, n, dst, nc, comp, 1, 0, 0, 0, 0xFFFFFFFFu, 0);
    else if (st->bytes == 1)
        store_loop(v, n, dst, nc, comp, 1, 0, 0, 0, mask, sh);
    else if (st->bytes == 2 && plain)
        store_loop(v, n, dst, nc, comp, 2, 0, 0, 0, 0xFFFFFFFFu, 0);
    else if (st->bytes == 2)
        store_loop(v, n, dst, nc, comp, 2, 0, 0, 0, mask, sh);
    else
        store_loop(v, n, dst, nc, comp, 4, 0, 0, 0, mask, sh);
}


/* ------------------------------------------------------------ frame check */

int dc_j2k_check_frame(const dc_j2k_info *hdr, const dc_frame *f, uint32_t reduce,
                       size_t dstlen, dc_error *err)
{
    size_t need = dc_frame_size(f);
    if (need == 0 || f->planar_configuration)
        return dc_fail(err, DC_ERR_INVALID_ARG, "bad frame description");
    if (need > dstlen)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "%zu bytes needed, %zu given", need, dstlen);
    if (hdr->ncomps != f->samples_per_pixel)
        return dc_fail(err, DC_ERR_MISMATCH, "the codestream has %u components, the dataset "
                       "says %u samples per pixel", hdr->ncomps, f->samples_per_pixel);
    if (hdr->subsampled)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "subsampled components");
    /* The size the codestream declares, checked before an engine allocates
     * for it: a lying SIZ must not cost gigabytes. Reduced sizes as OpenJPEG
     * computes them: ceil(Xsiz / 2^r) - ceil(XOsiz / 2^r). */
    if (reduce > 31)
        return dc_fail(err, DC_ERR_INVALID_ARG, "reduce %u is too large", reduce);
    uint64_t div = (uint64_t)1 << reduce;
    uint64_t x1 = (uint64_t)hdr->x0 + hdr->width, y1 = (uint64_t)hdr->y0 + hdr->height;
    uint64_t w = (x1 + div - 1) / div - ((uint64_t)hdr->x0 + div - 1) / div;
    uint64_t h = (y1 + div - 1) / div - ((uint64_t)hdr->y0 + div - 1) / div;
    if (w != f->columns || h != f->rows)
        return dc_fail(err, DC_ERR_MISMATCH,
                       "the codestream is %llu x %llu (at reduce %u), the dataset says %u x %u",
                       (unsigned long long)w, (unsigned long long)h, reduce, f->columns,
                       f->rows);
    return DC_OK;
}

/* --------------------------------------------------------------------- TLM */

int dc_j2k_add_tlm(dc_j2k_buf *b, dc_error *err)
{
    dc_j2k_info info;
    int rc = dc_j2k_parse(b->data, b->len, &info, err);
    if (rc)
        return rc;
    if (info.has_tlm)
        return DC_OK;
    /* Find the first SOT and the lengths of all tile-parts. */
    size_t pos = 2;
    while (pos + 4 <= b->len && rd16(b->data + pos) != 0xFF90)
        pos += 2 + rd16(b->data + pos + 2);
    if (pos + 12 > b->len)
        return dc_fail(err, DC_ERR_CORRUPT, "no tile-part in the codestream");
    size_t first_sot = pos, nparts = 0;
    for (size_t p = pos; p + 12 <= b->len && rd16(b->data + p) == 0xFF90; nparts++) {
        uint32_t psot = rd32(b->data + p + 6);
        if (psot == 0) /* the last tile-part runs to EOC */
            psot = (uint32_t)(b->len - 2 - p);
        if (psot < 14 || psot > b->len - p)
            return dc_fail(err, DC_ERR_CORRUPT, "tile-part of %u bytes at %zu", psot, p);
        p += psot;
    }
    /* Ztlm numbers the segments, so at most 256 of 10921 entries each. */
    const size_t per_seg = (65535 - 4) / 6;
    size_t nseg = (nparts + per_seg - 1) / per_seg;
    if (nparts == 0 || nseg > 256)
        return dc_fail(err, DC_ERR_UNSUPPORTED, "%zu tile-parts for TLM", nparts);
    size_t add = nseg * 6 + nparts * 6;
    if (!dc_j2k_buf_reserve(b, b->len + add))
        return dc_fail(err, DC_ERR_NOMEM, "no memory for TLM");
    memmove(b->data + first_sot + add, b->data + first_sot, b->len - first_sot);
    uint8_t *w = b->data + first_sot;
    size_t p = first_sot + add, done = 0;
    for (size_t s = 0; s < nseg; s++) {
        size_t k = nparts - done < per_seg ? nparts - done : per_seg;
        size_t ltlm = 4 + 6 * k;
        *w++ = 0xFF; *w++ = 0x55;
        *w++ = (uint8_t)(ltlm >> 8); *w++ = (uint8_t)ltlm;
        *w++ = (uint8_t)s;
        *w++ = 0x60; /* ST=2: 16-bit Ttlm; SP=1: 32-bit Ptlm */
        for (size_t i = 0; i < k; i++) {
            uint32_t isot = rd16(b->data + p + 4);
            uint32_t psot = rd32(b->data + p + 6);
            if (psot == 0)
                psot = (uint32_t)(b->len + add - 2 - p);
            *w++ = (uint8_t)(isot >> 8); *w++ = (uint8_t)isot;
            *w++ = (uint8_t)(psot >> 24); *w++ = (uint8_t)(psot >> 16);
            *w++ = (uint8_t)(psot >> 8); *w++ = (uint8_t)psot;
            p += psot;
        }
        done += k;
    }
    b->len += add;
    return DC_OK;
}
