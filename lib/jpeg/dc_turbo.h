/* dc_turbo.h: 8-bit JPEG (baseline, extended, progressive, arithmetic)
 * through the system libjpeg-turbo's libjpeg API, from and to memory.
 *
 * libjpeg reports fatal errors by longjmp; the setjmp that catches them is
 * inside each function below, so no longjmp ever leaves this file's frames
 * (DESIGN.md rule 7). Failure text comes from libjpeg's format_message.
 *
 * Colour: libjpeg guesses the stored colour space of a 3-component stream
 * (JFIF or no marker: YCbCr; Adobe transform 0 or component IDs 'R','G','B':
 * RGB). DICOM's Photometric Interpretation is authoritative, so callers say
 * what the stream holds with DC_TURBO_FLAG_STORED_RGB / _STORED_YBR, and
 * whether libjpeg-turbo should convert YCbCr to RGB (DC_TURBO_FLAG_TO_RGB).
 * Without TO_RGB samples come out as stored (no colour conversion).
 */
#ifndef DC_TURBO_H
#define DC_TURBO_H

#include <stddef.h>
#include <stdint.h>

#include "../common/dc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decoder flags. */
/* Output RGB: a YCbCr stream is converted by libjpeg-turbo. */
#define DC_TURBO_FLAG_TO_RGB 0x01u
/* The 3 components are R, G, B whatever the markers say (Photometric
 * Interpretation RGB): never colour-converted. */
#define DC_TURBO_FLAG_STORED_RGB 0x02u
/* The 3 components are Y, Cb, Cr whatever the markers say (Photometric
 * Interpretation YBR_FULL / YBR_FULL_422). */
#define DC_TURBO_FLAG_STORED_YBR 0x04u
/* Decode what is there of truncated or corrupt entropy-coded data (libjpeg
 * fills the rest) instead of failing with DC_ERR_TRUNCATED / DC_ERR_CORRUPT. */
#define DC_TURBO_FLAG_ALLOW_TRUNCATED 0x08u
/* JDCT_IFAST instead of the accurate JDCT_ISLOW inverse DCT. */
#define DC_TURBO_FLAG_FAST_IDCT 0x10u

typedef struct dc_turbo_info {
    uint32_t rows;
    uint32_t columns;
    uint32_t components;
    uint32_t precision;
    int color_space;        /* libjpeg's guess, a J_COLOR_SPACE value */
    int progressive;
    int arithmetic;
    int has_jfif, has_adobe, adobe_transform;
} dc_turbo_info;

/* libjpeg-turbo's version, e.g. 2001005 for 2.1.5 (compile time). */
int dc_turbo_version(void);

int dc_turbo_read_header(const uint8_t *src, size_t srclen, dc_turbo_info *info,
                         dc_error *err);

/* Decodes one frame into dst (dstlen >= dc_frame_size(f)): bits_allocated 8,
 * rows/columns/samples_per_pixel must match the stream (DC_ERR_MISMATCH),
 * planar_configuration 0 (interleaved, written in place) or 1. */
int dc_turbo_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                    const dc_frame *f, unsigned flags, dc_error *err);

typedef struct dc_turbo_params {
    int quality;           /* 1..100 (IJG scaling of the Annex K tables) */
    int subsampling;       /* 3 components, YCbCr stream: 444, 422 or 420 */
    int optimize_huffman;  /* 1: Huffman tables from the image's statistics */
    int restart_interval;  /* MCUs per restart interval, 0 = none */
    int color_transform;   /* 3 components: 1 = RGB input coded as YCbCr (JFIF);
                              0 = samples coded as given: RGB input as RGB
                              (Adobe marker, transform 0) */
    int input_ybr;         /* 3 components: the input already is YCbCr */
    int progressive;       /* 1: progressive (SOF2) instead of baseline */
} dc_turbo_params;

/* Worst-case codestream size for f; 0 if f cannot be encoded. */
size_t dc_turbo_encode_bound(const dc_frame *f);

/* Encodes one 8-bit frame (bits_allocated 8, unsigned, 1 or 3 samples, laid
 * out as f->planar_configuration says) into dst; *dstlen gets the size. */
int dc_turbo_encode(const uint8_t *src, size_t srclen, const dc_frame *f,
                    const dc_turbo_params *p, uint8_t *dst, size_t dstcap,
                    size_t *dstlen, dc_error *err);

#ifdef __cplusplus
}
#endif

#endif
