/* dc_jxl.h: JPEG XL (ISO/IEC 18181-1, PS3.5 8.2.15) frames through libjxl:
 * pixels to and from a codestream, and a JPEG bitstream to and from the
 * losslessly recompressed JPEG XL that holds it. */
#ifndef DC_JXL_H
#define DC_JXL_H

#include "../common/dc_common.h"

typedef struct dc_jxl_header {
    uint32_t width, height;
    uint32_t channels;        /* colour channels: 1 or 3 */
    uint32_t extra_channels;  /* alpha and others; DICOM has no place for them */
    uint32_t bits;            /* bits per sample of the original image */
    uint32_t exponent_bits;   /* 0 for integer samples */
    uint32_t lossless;        /* uses_original_profile: not XYB */
    uint32_t has_jpeg;        /* JPEG reconstruction data (a jbrd box) present */
} dc_jxl_header;

int dc_jxl_read_header(const uint8_t *src, size_t srclen, dc_jxl_header *h, dc_error *err);

/* Decode one frame to dst: f->rows x f->columns x f->samples_per_pixel
 * samples, interleaved, of f->bits_allocated (8 or 16) bits, native order.
 * Samples hold the codestream's values (not rescaled to the container);
 * bits above Bits Stored are left for the caller's unused-bit correction.
 * `threads` > 1 lets libjxl use that many threads of its own, for this call. */
int dc_jxl_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                  const dc_frame *f, unsigned threads, dc_error *err);

typedef struct dc_jxl_params {
    int lossless;      /* 1: modular, bit-exact; 0: VarDCT at `distance` */
    float distance;    /* butteraugli distance, 0.0 .. 25.0 (lossy only) */
    int effort;        /* 1 .. 9 */
    uint32_t bits;     /* bits per sample the codestream declares (1 .. 16) */
    unsigned threads;
} dc_jxl_params;

/* Encode one frame held in src (interleaved, f->bits_allocated 8 or 16,
 * unsigned values below 2^p->bits). DC_ERR_OUTPUT_TOO_SMALL when dstcap
 * bytes cannot hold the codestream: call again with more. */
int dc_jxl_encode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                  size_t *dstlen, const dc_frame *f, const dc_jxl_params *p, dc_error *err);

/* Why libjxl cannot recompress this JPEG bitstream (DC_ERR_UNSUPPORTED or
 * DC_ERR_CORRUPT, with the reason), or DC_OK when it is a Huffman-coded
 * 8-bit baseline, extended or progressive DCT JPEG it takes. */
int dc_jxl_check_jpeg(const uint8_t *jpeg, size_t jpeglen, dc_error *err);

/* The JPEG bitstream, losslessly recompressed to JPEG XL with the data to
 * rebuild it byte for byte. */
int dc_jxl_from_jpeg(const uint8_t *jpeg, size_t jpeglen, uint8_t *dst, size_t dstcap,
                     size_t *dstlen, int effort, dc_error *err);

/* The original JPEG bitstream, rebuilt from a recompressed JPEG XL. */
int dc_jxl_to_jpeg(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                   size_t *dstlen, dc_error *err);

uint32_t dc_jxl_version(void);

#endif
