/* dc_rle.c: the RLE Lossless codec (PS3.5 Annex G): a header of 16 little-
 * endian uint32 (segment count, then offsets), then PackBits-coded segments,
 * one per byte of each sample, most significant byte first. */
#include "dc_rle.h"

#include <stdlib.h>
#include <string.h>

#define RLE_HEADER 64u
#define RLE_MAX_SEGMENTS 15u

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* Validates the layout shared by decoder and encoder; returns DC_OK and the
 * segment count and bytes per sample. */
static int check_frame(const dc_frame *f, size_t *nseg, size_t *bps, dc_error *err)
{
    if (f->bits_allocated == 0 || f->bits_allocated % 8 != 0 || f->bits_allocated > 64)
        return dc_fail(err, DC_ERR_INVALID_ARG, "Bits Allocated %u is not 8, 16, 32 or 64",
                       (unsigned)f->bits_allocated);
    if (f->samples_per_pixel == 0 || f->rows == 0 || f->columns == 0)
        return dc_fail(err, DC_ERR_INVALID_ARG, "empty frame (%u rows, %u columns, %u samples)",
                       (unsigned)f->rows, (unsigned)f->columns, (unsigned)f->samples_per_pixel);
    *bps = f->bits_allocated / 8;
    *nseg = *bps * f->samples_per_pixel;
    if (*nseg > RLE_MAX_SEGMENTS)
        return dc_fail(err, DC_ERR_UNSUPPORTED,
                       "%u samples of %u bits need %zu segments, RLE allows 15",
                       (unsigned)f->samples_per_pixel, (unsigned)f->bits_allocated, *nseg);
    if (dc_frame_size(f) == 0)
        return dc_fail(err, DC_ERR_INVALID_ARG, "frame size overflows");
    return DC_OK;
}

/* Where a segment's bytes go: a contiguous byte plane, or (16-bit samples)
 * straight into the samples, joined with the other byte of each sample that
 * an earlier segment left in a plane. Joining while decoding saves a pass
 * over the frame. */
enum { SINK_PLANE, SINK_MERGE16, SINK_MERGE16_MSB1, SINK_RGB8 };
/* SINK_MERGE16_MSB1: SINK_MERGE16 in the common case (one sample or planar
 * output, most significant segment first), which the compiler vectorises. */
typedef struct sink {
    uint8_t *plane;          /* SINK_PLANE; SINK_RGB8: the interleaved pixels */
    uint16_t *out;           /* SINK_MERGE16: sample i at out[i * stride] */
    const uint8_t *other;    /* SINK_MERGE16: the other byte of sample i;
                                SINK_RGB8: the first two planes */
    size_t stride;
    int other_is_high;       /* other holds the most significant bytes */
    size_t n;                /* SINK_RGB8: pixels per plane */
} sink;

#define ALWAYS_INLINE static inline __attribute__((always_inline))

ALWAYS_INLINE void put16(const sink *k, size_t i, uint8_t mine)
{
    uint8_t other = k->other[i];
    k->out[i * k->stride] = k->other_is_high ? (uint16_t)(mine | other << 8)
                                             : (uint16_t)(other | mine << 8);
}

/* 8-bit three-sample pixels: the third segment completes each pixel from
 * the two planes decoded before it. */
ALWAYS_INLINE void put_rgb(const sink *k, size_t i, uint8_t third)
{
    uint8_t *d = k->plane + 3 * i;
    d[0] = k->other[i];
    d[1] = k->other[k->n + i];
    d[2] = third;
}

/* `wide`: a plane (or, merging, 16 samples) may take 16 whatever cnt is
 * (the caller checked room in both buffers). */
ALWAYS_INLINE void emit_literal(int kind, const sink *k, size_t o, const uint8_t *p, size_t cnt,
                                int wide)
{
    if (kind == SINK_PLANE) {
        memcpy(k->plane + o, p, wide ? 16 : cnt);
    } else if (kind == SINK_RGB8) {
        for (size_t j = 0; j < cnt; j++) put_rgb(k, o + j, p[j]);
    } else if (kind == SINK_MERGE16_MSB1) {
        uint16_t *d = k->out + o;
        const uint8_t *hi = k->other + o;
        /* wide is a constant where this is inlined: a fixed 16 becomes vector moves */
        for (size_t j = 0, m = wide ? 16 : cnt; j < m; j++) d[j] = (uint16_t)(p[j] | hi[j] << 8);
    } else {
        for (size_t j = 0; j < cnt; j++) put16(k, o + j, p[j]);
    }
}

ALWAYS_INLINE void emit_run(int kind, const sink *k, size_t o, uint8_t v, size_t cnt, int wide)
{
    if (kind == SINK_PLANE) {
        memset(k->plane + o, v, wide ? 16 : cnt);
    } else if (kind == SINK_RGB8) {
        for (size_t j = 0; j < cnt; j++) put_rgb(k, o + j, v);
    } else if (kind == SINK_MERGE16_MSB1) {
        uint16_t *d = k->out + o;
        const uint8_t *hi = k->other + o;
        for (size_t j = 0, m = wide ? 16 : cnt; j < m; j++) d[j] = (uint16_t)(v | hi[j] << 8);
    } else {
        for (size_t j = 0; j < cnt; j++) put16(k, o + j, v);
    }
}

/* PackBits-decodes src into `n` bytes' worth of the sink. Returns bytes
 * produced; *over is set when what follows the plane's end decodes to a
 * whole extra row (the frame is larger than Rows x Columns says). */
ALWAYS_INLINE size_t unpack(int kind, const sink *k, const uint8_t *src, size_t len, size_t n,
                            size_t row, int *over)
{
    size_t i = 0, o = 0;
    *over = 0;
    /* Fast loop: most runs in real images are a few bytes long, so a plane
     * gets a fixed 16 bytes (inlined vector moves) whenever that stays inside
     * both buffers; the bytes past the run are overwritten by what follows. */
    while (i + 17 <= len && o + 16 <= n) {
        int h = (int8_t)src[i++];
        if (h >= 0) {
            size_t cnt = (size_t)h + 1;
            if (cnt <= 16) {
                emit_literal(kind, k, o, src + i, cnt, 1);
            } else {
                if (cnt > len - i || cnt > n - o) {
                    i--;
                    break; /* let the careful loop clip it */
                }
                emit_literal(kind, k, o, src + i, cnt, 0);
            }
            i += cnt;
            o += cnt;
        } else if (h != -128) {
            size_t cnt = (size_t)(1 - h);
            uint8_t v = src[i++];
            if (cnt <= 16) {
                emit_run(kind, k, o, v, cnt, 1);
            } else {
                if (cnt > n - o) {
                    i -= 2;
                    break;
                }
                emit_run(kind, k, o, v, cnt, 0);
            }
            o += cnt;
        }
    }
    while (i < len && o < n) {
        int h = (int8_t)src[i++];
        if (h >= 0) {
            size_t cnt = (size_t)h + 1;
            if (cnt > len - i) cnt = len - i;     /* truncated literal */
            if (cnt > n - o) cnt = n - o;
            emit_literal(kind, k, o, src + i, cnt, 0);
            i += (size_t)h + 1;
            o += cnt;
        } else if (h != -128) {
            if (i >= len) break;
            size_t cnt = (size_t)(1 - h);
            uint8_t v = src[i++];
            if (cnt > n - o) cnt = n - o;
            emit_run(kind, k, o, v, cnt, 0);
            o += cnt;
        }
    }
    /* Segments and frames end with padding (a zero byte for even length,
     * sometimes more) and some encoders leave a short run behind: only more
     * than 2 bytes that also decode to a whole extra row mean the frame is
     * larger than Rows x Columns says. Counting stops at one row. */
    if (o == n && i < len && len - i > 2) {
        size_t extra = 0;
        while (i < len && extra < row) {
            int h = (int8_t)src[i++];
            if (h >= 0) {
                size_t cnt = (size_t)h + 1;
                if (cnt > len - i) cnt = len - i;
                extra += cnt;
                i += cnt;
            } else if (h != -128) {
                if (i >= len) break;
                extra += (size_t)(1 - h);
                i++;
            }
        }
        if (extra >= row) *over = 1;
    }
    return o;
}


static size_t unpack_plane(const uint8_t *src, size_t len, uint8_t *plane, size_t n, size_t row,
                           int *over)
{
    sink k = {.plane = plane};
    return unpack(SINK_PLANE, &k, src, len, n, row, over);
}

static size_t unpack_merge16(const uint8_t *src, size_t len, const sink *k, size_t n,
                             size_t row, int *over)
{
    if (k->stride == 1 && k->other_is_high)
        return unpack(SINK_MERGE16_MSB1, k, src, len, n, row, over);
    return unpack(SINK_MERGE16, k, src, len, n, row, over);
}

static size_t unpack_rgb8(const uint8_t *src, size_t len, const sink *k, size_t n, size_t row,
                          int *over)
{
    return unpack(SINK_RGB8, k, src, len, n, row, over);
}

/* Builds one sample's values from its byte planes (plane k holds byte
 * significance k) into dst, interleaved among spp samples or planar. */
static void merge_planes(const uint8_t *planes, size_t n, size_t bps, uint8_t *dst,
                         size_t sample, size_t spp, uint32_t planar)
{
    size_t stride = planar == 1 ? 1 : spp;
    size_t first = planar == 1 ? sample * n : sample;
    if (bps == 1) {
        uint8_t *d = dst + first;
        for (size_t i = 0; i < n; i++) d[i * stride] = planes[i];
    } else if (bps == 4) {
        uint32_t *d = (uint32_t *)(void *)dst + first;
        const uint8_t *p0 = planes, *p1 = planes + n, *p2 = planes + 2 * n, *p3 = planes + 3 * n;
        for (size_t i = 0; i < n; i++)
            d[i * stride] = (uint32_t)p0[i] | (uint32_t)p1[i] << 8 | (uint32_t)p2[i] << 16 |
                            (uint32_t)p3[i] << 24;
    } else {
        uint8_t *d = dst + first * bps;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < bps; k++) d[i * stride * bps + k] = planes[k * n + i];
    }
}

int dc_rle_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                  const dc_frame *f, unsigned flags, dc_error *err)
{
    size_t nseg = 0, bps = 0;
    int rc = check_frame(f, &nseg, &bps, err);
    if (rc != DC_OK) return rc;
    size_t need = dc_frame_size(f);
    if (dstlen < need)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "output holds %zu bytes, frame needs %zu",
                       dstlen, need);
    if (srclen < RLE_HEADER)
        return dc_fail(err, DC_ERR_TRUNCATED, "%zu bytes is shorter than the 64-byte RLE header",
                       srclen);

    uint32_t count = rd32(src);
    if (count > RLE_MAX_SEGMENTS)
        return dc_fail(err, DC_ERR_CORRUPT, "header declares %u segments, at most 15 allowed",
                       (unsigned)count);
    /* More segments than the frame needs are seen in the wild (a writer's
     * spare plane): the frame's own come first and the rest are ignored.
     * Fewer cannot be made into the frame, and a whole multiple of what it
     * needs says more likely that the dataset's Bits Allocated or Samples
     * per Pixel is wrong: both are refused, naming the counts. */
    if (count < nseg || (count > nseg && count % nseg == 0))
        return dc_fail(err, DC_ERR_MISMATCH,
                       "header declares %u segments, %u samples of %u bits need %zu%s",
                       (unsigned)count, (unsigned)f->samples_per_pixel,
                       (unsigned)f->bits_allocated, nseg,
                       count > nseg ? " (a multiple: are Bits Allocated and Samples per "
                                      "Pixel right?)" : "");

    size_t offs[RLE_MAX_SEGMENTS + 1];
    size_t nread = count > nseg ? nseg + 1 : nseg; /* the first ignored one ends ours */
    for (size_t s = 0; s < nread; s++) {
        offs[s] = rd32(src + 4 + 4 * s);
        if (offs[s] < RLE_HEADER || offs[s] > srclen)
            return dc_fail(err, DC_ERR_CORRUPT,
                           "segment %zu offset %zu lies outside the %zu bytes of data", s + 1,
                           offs[s], srclen);
        if (s > 0 && offs[s] < offs[s - 1])
            return dc_fail(err, DC_ERR_CORRUPT, "segment %zu offset %zu precedes segment %zu's",
                           s + 1, offs[s], s);
    }
    if (count == nseg)
        offs[nseg] = srclen;

    size_t plane = (size_t)f->rows * f->columns;
    size_t spp = f->samples_per_pixel;
    int lsb_first = (flags & DC_RLE_LSB_FIRST) != 0;
    /* Byte-wide planes in their final place need no scratch: decode straight
     * into dst. Otherwise decode each sample's segments into contiguous
     * scratch planes (fast memcpy/memset runs) and merge them into samples,
     * far faster than byte writes at a stride. */
    int direct = bps == 1 && (spp == 1 || f->planar_configuration == 1);
    /* 16-bit samples: the first segment of each sample goes to one plane of
     * scratch, the second is joined with it straight into dst. 8-bit RGB:
     * two planes of scratch, the third segment completes the pixels. */
    int fused = bps == 2;
    int rgb8 = bps == 1 && spp == 3 && f->planar_configuration == 0;
    size_t scratch_size = direct ? 0 : fused ? plane : rgb8 ? 2 * plane : plane * nseg;
    uint8_t *scratch = NULL;
    if (scratch_size) {
        scratch = dc_scratch_acquire(scratch_size); /* at most one frame */
        if (scratch == NULL)
            return dc_fail(err, DC_ERR_NOMEM, "no memory for %zu bytes of scratch", scratch_size);
    }
    rc = DC_OK;
    for (size_t s = 0; s < nseg && rc == DC_OK; s++) {
        size_t sample = s / bps, b = s % bps;
        /* byte significance of segment s: 0 = least significant */
        size_t sig = lsb_first ? b : bps - 1 - b;
        const uint8_t *seg = src + offs[s];
        size_t seglen = offs[s + 1] - offs[s];
        int over;
        size_t got;
        if (fused && b == 1) {
            int planar = f->planar_configuration == 1;
            sink k = {.out = (uint16_t *)(void *)dst + (planar ? sample * plane : sample),
                      .other = scratch, .stride = planar ? 1 : spp, .other_is_high = !lsb_first};
            got = unpack_merge16(seg, seglen, &k, plane, f->columns, &over);
        } else if (rgb8 && s == 2) {
            sink k = {.plane = dst, .other = scratch, .n = plane};
            got = unpack_rgb8(seg, seglen, &k, plane, f->columns, &over);
        } else {
            uint8_t *out = direct ? dst + sample * plane
                           : fused ? scratch : scratch + (sample * bps + sig) * plane;
            got = unpack_plane(seg, seglen, out, plane, f->columns, &over);
        }
        if (got < plane)
            rc = dc_fail(err, DC_ERR_TRUNCATED,
                         "segment %zu decodes to %zu bytes, Rows x Columns needs %zu", s + 1, got,
                         plane);
        else if (over)
            rc = dc_fail(err, DC_ERR_CORRUPT,
                         "segment %zu holds more data than Rows x Columns (%zu) needs", s + 1,
                         plane);
    }
    if (rc == DC_OK && !direct && !fused && !rgb8) {
        for (size_t sample = 0; sample < spp; sample++)
            merge_planes(scratch + sample * bps * plane, plane, bps, dst, sample, spp,
                         f->planar_configuration);
    }
    dc_scratch_release(scratch);
    return rc;
}

size_t dc_rle_encode_bound(const dc_frame *f)
{
    size_t nseg = 0, bps = 0;
    if (check_frame(f, &nseg, &bps, NULL) != DC_OK) return 0;
    /* Worst case: every row all literals, one header per 128 bytes, plus an
     * odd-length pad per segment. */
    size_t row = (size_t)f->columns + ((size_t)f->columns + 127) / 128;
    size_t seg = row * f->rows + 1;
    if (seg / f->rows < row) return 0;
    if (seg > (SIZE_MAX - RLE_HEADER) / nseg) return 0;
    return RLE_HEADER + seg * nseg;
}

/* First k >= j with row[k] == row[k+1] == row[k+2] (where a replicate run
 * pays), or n. Noisy rows are mostly literals, so compare 8 byte pairs at a
 * time: d holds row[k] ^ row[k+1] per byte, t flags its zero bytes, and
 * t & (t >> 8) flags two equal pairs in a row. */
static size_t find_triple(const uint8_t *row, size_t j, size_t n)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL;
    while (j + 9 <= n) {
        uint64_t x, y;
        memcpy(&x, row + j, 8);
        memcpy(&y, row + j + 1, 8);
        uint64_t d = x ^ y;
        uint64_t t = ~(((d & low7) + low7) | d | low7);
        uint64_t m = t & (t >> 8);
        if (m) return j + ((size_t)__builtin_ctzll(m) >> 3);
        j += 7;
    }
#endif
    for (; j + 2 < n; j++)
        if (row[j] == row[j + 1] && row[j + 1] == row[j + 2]) return j;
    return n;
}

static size_t run_length(const uint8_t *row, size_t i, size_t n)
{
    size_t r = 1;
    while (i + r < n && r < 128 && row[i + r] == row[i]) r++;
    return r;
}

/* PackBits one contiguous row; returns bytes written (dst has room for the
 * worst case, checked by the caller). A run of two is coded as a replicate
 * run only where a literal would start anyway: inside a literal it costs an
 * extra header byte. */
static size_t pack_row(const uint8_t *row, size_t n, uint8_t *dst)
{
    size_t i = 0, o = 0;
    while (i < n) {
        if (i + 1 < n && row[i] == row[i + 1]) {
            size_t r = run_length(row, i, n);
            dst[o++] = (uint8_t)(257 - r);
            dst[o++] = row[i];
            i += r;
            continue;
        }
        size_t k = find_triple(row, i + 1, n);
        while (i < k) {
            size_t cnt = k - i > 128 ? 128 : k - i;
            dst[o++] = (uint8_t)(cnt - 1);
            memcpy(dst + o, row + i, cnt);
            o += cnt;
            i += cnt;
        }
    }
    return o;
}

int dc_rle_encode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                  size_t *dstlen, const dc_frame *f, dc_error *err)
{
    size_t nseg = 0, bps = 0;
    int rc = check_frame(f, &nseg, &bps, err);
    if (rc != DC_OK) return rc;
    size_t need = dc_frame_size(f);
    if (srclen < need)
        return dc_fail(err, DC_ERR_INVALID_ARG, "input holds %zu bytes, frame needs %zu", srclen,
                       need);
    size_t cols = f->columns, rows = f->rows, spp = f->samples_per_pixel;
    size_t row_worst = cols + (cols + 127) / 128;
    if (dstcap < RLE_HEADER)
        return dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "output smaller than the RLE header");

    uint8_t *scratch = malloc(cols);
    if (scratch == NULL) return dc_fail(err, DC_ERR_NOMEM, "no memory for a %zu-byte row", cols);

    memset(dst, 0, RLE_HEADER);
    wr32(dst, (uint32_t)nseg);
    size_t o = RLE_HEADER;
    size_t plane = rows * cols;
    rc = DC_OK;
    for (size_t s = 0; s < nseg && rc == DC_OK; s++) {
        if (o > UINT32_MAX) {
            rc = dc_fail(err, DC_ERR_UNSUPPORTED, "segment offset exceeds 4 GiB");
            break;
        }
        wr32(dst + 4 + 4 * s, (uint32_t)o);
        size_t sample = s / bps, byte_in_sample = bps - 1 - s % bps;
        size_t start, stride;
        if (f->planar_configuration == 1) {
            start = sample * plane * bps + byte_in_sample;
            stride = bps;
        } else {
            start = sample * bps + byte_in_sample;
            stride = spp * bps;
        }
        size_t seg_start = o;
        for (size_t r = 0; r < rows; r++) {
            const uint8_t *p = src + start + r * cols * stride;
            const uint8_t *row = p;
            if (stride != 1) {
                for (size_t c = 0; c < cols; c++) scratch[c] = p[c * stride];
                row = scratch;
            }
            if (dstcap - o < row_worst) {
                rc = dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "output of %zu bytes is full", dstcap);
                break;
            }
            o += pack_row(row, cols, dst + o);
        }
        if (rc == DC_OK && (o - seg_start) % 2 == 1) {
            if (o >= dstcap) {
                rc = dc_fail(err, DC_ERR_OUTPUT_TOO_SMALL, "output of %zu bytes is full", dstcap);
                break;
            }
            dst[o++] = 0; /* segments are even-length; a lone literal header is padding */
        }
    }
    free(scratch);
    if (rc == DC_OK) *dstlen = o;
    return rc;
}
