/* dc_jpegls.h: JPEG-LS (ISO/IEC 14495-1, DICOM .4.80/.4.81) frames through
 * our own codec (jls_*.c), with the DICOM rules: the dataset's frame
 * geometry, the dataset's layout whatever the scan's interleave mode, and
 * signed samples stored as their low Bits Stored bits. */
#ifndef DC_JPEGLS_H
#define DC_JPEGLS_H

#include "../common/dc_common.h"

/* What a JPEG-LS stream's frame and first scan headers say. */
typedef struct dc_jpegls_info {
    uint32_t width;
    uint32_t height;
    uint32_t components;
    uint32_t bits_per_sample;  /* P, 2..16 */
    uint32_t near_lossless;    /* NEAR of the first scan, 0 = lossless */
    uint32_t interleave_mode;  /* 0 none, 1 line, 2 sample */
    uint32_t transform;        /* CharLS's HP colour transform, 0 none, 1..3 */
    uint32_t comp_width[4];    /* each component's size (sub-sampled ones smaller) */
    uint32_t comp_height[4];
} dc_jpegls_info;

/* Encoder settings; zero fields take the standard's defaults. */
typedef struct dc_jpegls_params {
    int32_t near_lossless;     /* NEAR, 0 = lossless */
    int32_t interleave_mode;   /* 0 none, 1 line, 2 sample; forced to 0 for one component */
    int32_t maxval;            /* preset coding parameters (LSE), 0 = default */
    int32_t t1, t2, t3;
    int32_t reset;
} dc_jpegls_params;

/* Reads the headers of the stream in src. */
int dc_jpegls_read_header(const uint8_t *src, size_t srclen, dc_jpegls_info *info,
                          dc_error *err);

/* Decodes one frame into dst, laid out as f->planar_configuration says, in
 * samples of f->bits_allocated (8 or 16) bits. The stream must match f's
 * rows, columns and samples per pixel, and its precision must fit in
 * bits_allocated (it may exceed bits_stored: DCMTK's "raw" mode writes 16).
 * Signed frames (pixel_representation 1) are sign-extended from the stream's
 * precision, as pydicom's apply_jls_sign_correction does. */
int dc_jpegls_decode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                     const dc_frame *f, dc_error *err);

/* Bytes dc_jpegls_encode may need in dst; `worst` gives the bound for
 * incompressible noise (use it after DC_ERR_OUTPUT_TOO_SMALL), otherwise one
 * that fits every real image. 0 when f cannot be encoded. */
size_t dc_jpegls_encode_bound(const dc_frame *f, int worst);

/* Encodes one frame held in src (layout f->planar_configuration, samples of
 * f->bits_allocated bits) with precision f->bits_stored. Samples must lie in
 * Bits Stored's range; signed ones are written as their low bits_stored bits
 * (two's complement), which is what DCMTK and pydicom's plugins read back. */
int dc_jpegls_encode(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstcap,
                     size_t *dstlen, const dc_frame *f, const dc_jpegls_params *p,
                     dc_error *err);

/* Decodes every component of the stream as its own plane of 16-bit
 * samples, one after the other, each of the size read_header reports: the
 * frames DICOM cannot describe (sub-sampled components, 2 or 4 of them). */
int dc_jpegls_decode_components(const uint8_t *src, size_t srclen, uint16_t *dst,
                                size_t dstlen, dc_error *err);

#endif
