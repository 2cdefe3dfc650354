/* dc_j2k.h: what the two JPEG 2000 / HTJ2K engines (ISO 15444-1, 15444-15)
 * share, with no engine in it: the codestream's main header, the checks made
 * before an engine sees a codestream, the sample store, the output buffer and
 * TLM insertion. The engines' glue: dc_openjpeg.h (OpenJPEG), dc_ojph.h
 * (OpenJPH); both take the same decode options and fill the same info. */
#ifndef DC_J2K_H
#define DC_J2K_H

#ifdef __cplusplus
extern "C" {
#endif

/* dc_common.h has no C++ guards of its own. */
#include "../common/dc_common.h"

/* What a codestream's main header says (SIZ, COD, CAP), for component 0. */
typedef struct dc_j2k_info {
    uint32_t width, height;   /* Xsiz - XOsiz, Ysiz - YOsiz */
    uint32_t x0, y0;          /* image offset */
    uint32_t ncomps;
    uint32_t precision;       /* bits of component 0 */
    uint32_t is_signed;       /* of component 0 */
    uint32_t subsampled;      /* some component has XRsiz or YRsiz != 1 */
    uint32_t mct;             /* COD: multiple component transform */
    uint32_t levels;          /* COD: decomposition levels */
    uint32_t progression;     /* COD: 0 LRCP, 1 RLCP, 2 RPCL, 3 PCRL, 4 CPRL */
    uint32_t layers;          /* COD: quality layers */
    uint32_t reversible;      /* COD: 5/3 wavelet */
    uint32_t htj2k;           /* CAP marker or Rsiz bit 14: Part 15 block coder */
    uint32_t tiles;           /* tiles in the image */
    uint32_t has_tlm;
} dc_j2k_info;

/* Offset of the raw codestream in src: 0, or after the JP2 boxes before jp2c. */
int dc_j2k_start(const uint8_t *src, size_t srclen, size_t *start, dc_error *err);

/* Parse the main header of a raw codestream (JP2 boxes are skipped to the
 * jp2c box). Checks every length against the buffer. */
int dc_j2k_parse(const uint8_t *src, size_t srclen, dc_j2k_info *info, dc_error *err);

/* Whether a codestream keeps to what the OpenJPH shim hands to OpenJPH:
 * OpenJPH 0.9.0 asserts (aborts the process) on some inconsistent headers and
 * silently decodes truncated data, so the shim only passes it codestreams
 * whose main header holds SIZ, CAP, COD, QCD, COM, TLM with consistent
 * lengths, whose tile-part headers hold only COM/PLT, and whose tile-parts all
 * lie within srclen. DC_ERR_UNSUPPORTED: valid perhaps, but for OpenJPEG;
 * DC_ERR_TRUNCATED / DC_ERR_CORRUPT: bad data. */
int dc_j2k_check_ojph(const uint8_t *src, size_t srclen, dc_error *err);

/* Where a raw codestream as archives hold it really ends, found by walking
 * its tile-parts by their lengths (Psot): *len is the number of bytes of src
 * an engine should see (bytes after the EOC, or zero padding after the last
 * tile-part, left out) and *add_eoc says that an EOC marker must be supplied
 * after them (several vendors omit it). A stream whose tile-parts do not add
 * up (truncated, Psot 0 with no EOC, not raw) is left as it is: *len =
 * srclen, *add_eoc = 0, and the engine judges it. */
void dc_j2k_extent(const uint8_t *src, size_t srclen, size_t *len, int *add_eoc);

/* Whether the packet headers of an HTJ2K codestream that passed
 * dc_j2k_check_ojph declare no more code-block bytes than each tile holds:
 * OpenJPH 0.9.0 zero-fills a code-block's missing bytes past the end of its
 * buffer (a heap overflow, found by fuzz_j2k) when a packet header claims
 * more than is left. Walks every packet header (ISO 15444-1 B.9-B.10 with
 * the HT block coder's pass and length rules of 15444-15) for layouts with
 * one quality layer, one precinct per resolution, no SOP/EPH and one
 * tile-part per tile. A packet that declares too much, and any other
 * layout, is DC_ERR_UNSUPPORTED: OpenJPEG's to decode or to refuse. */
int dc_j2k_check_packets(const uint8_t *src, size_t srclen, dc_error *err);

/* Decode controls. */
typedef struct dc_j2k_decode_opts {
    uint32_t reduce;        /* discard this many highest resolution levels */
    uint32_t threads;       /* OpenJPEG worker threads; 0 or 1: the calling thread */
    uint32_t sign_correct;  /* apply pydicom's sign correction when the codestream's
                               signedness disagrees with f->pixel_representation */
} dc_j2k_decode_opts;

/* What both engines' decoders (dc_openjpeg_decode, dc_ojph_decode) do:
 * decode one codestream into dst as f describes it: f->rows x f->columns
 * (already reduced by opts->reduce), f->samples_per_pixel interleaved samples
 * of f->bits_allocated bits (8, 16 or 32), native order, with the same sign
 * correction. The engines undo the codestream's MCT, so 3-component frames
 * with info->mct set come out RGB. `info` (may be NULL) receives what the
 * header said. */
typedef int dc_j2k_decode_fn(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                             const dc_frame *f, const dc_j2k_decode_opts *opts,
                             dc_j2k_info *info, dc_error *err);

/* Whether `hdr` (from dc_j2k_parse) can be decoded into the frame `f`
 * describes at resolution `reduce`, into dstlen bytes: components, size and
 * layout, checked before any engine allocates for the codestream. */
int dc_j2k_check_frame(const dc_j2k_info *hdr, const dc_frame *f, uint32_t reduce,
                       size_t dstlen, dc_error *err);

/* Writes sample `v` of a decoded component into dst as the engines' decoders do,
 * with the same sign correction; shared with the OpenJPH shim. */
typedef struct dc_j2k_store {
    uint32_t bytes;         /* 1, 2 or 4 */
    uint32_t mask_bits;     /* 0: none; else keep the low mask_bits bits */
    uint32_t extend_bits;   /* 0: none; else sign-extend from extend_bits */
    uint32_t clamp;         /* clip to [lo, hi] first (OpenJPH's lossy output is not) */
    int32_t lo, hi;         /* the codestream's sample range */
} dc_j2k_store;
int dc_j2k_store_setup(dc_j2k_store *st, const dc_frame *f, uint32_t precision,
                       uint32_t is_signed, uint32_t sign_correct, dc_error *err);
/* Store n samples of component `comp` into interleaved dst (nc samples per pixel). */
void dc_j2k_store_samples(const int32_t *v, size_t n, uint8_t *dst, uint32_t nc,
                          uint32_t comp, const dc_j2k_store *st);

/* A malloc'd buffer that an encoder fills; free with dc_j2k_buf_free. */
typedef struct dc_j2k_buf {
    uint8_t *data;
    size_t len, cap, pos;
} dc_j2k_buf;
void dc_j2k_buf_free(dc_j2k_buf *b);
/* Grow b to hold at least `need` bytes; 0 when out of memory. */
int dc_j2k_buf_reserve(dc_j2k_buf *b, size_t need);

/* Insert a TLM marker segment (ISO 15444-1 A.7.1) describing every tile-part
 * before the first SOT of the codestream in `b`, unless it already has one. */
int dc_j2k_add_tlm(dc_j2k_buf *b, dc_error *err);

#ifdef __cplusplus
}
#endif
#endif
