/* ljpeg.h: our own JPEG codec for what libjpeg-turbo 2.1 cannot do in
 * DICOM: lossless JPEG (ITU T.81 process 14, transfer syntaxes .4.57/.4.70)
 * and 12-bit extended sequential DCT (processes 2 and 4, .4.51). The same
 * DCT code also handles 8-bit baseline (process 1) streams.
 *
 * Conventions (lib/common/dc_common.h): every call returns a dc_status,
 * never reads past srclen nor writes past dstlen/dstcap, keeps no global
 * mutable state, and writes its failure text into the caller's dc_error.
 *
 * Decoder scope
 *   - SOF0 (baseline), SOF1 (extended Huffman, 8 or 12 bit), SOF3 (lossless
 *     Huffman, 2-16 bit). Progressive, arithmetic and hierarchical frames
 *     are reported as DC_ERR_UNSUPPORTED (dc_ljpeg_read_header still
 *     describes them; see sof_marker).
 *   - 1-4 components, several scans per frame (interleaved or not),
 *     restart intervals, DNL, fill bytes before markers.
 *   - DCT: any sampling factors 1..4. Subsampled components are upsampled
 *     to full resolution: h2v1, h1v2 and h2v2 with libjpeg-turbo's default
 *     "fancy" triangular filter, every other ratio by replication.
 *     Accurate integer IDCT (even/odd 8-point decomposition, 64-bit
 *     intermediates). No colour conversion: samples are output as coded.
 *   - Lossless: predictors 1-7, point transform (output = value << Pt).
 *     Interleaved scans need H = V = 1 for every component (all DICOM
 *     encoders do this); other layouts give DC_ERR_UNSUPPORTED.
 *
 * Output layout: f->bits_allocated 8 -> uint8 samples, 16 -> uint16 (int16
 * when f->pixel_representation is 1), native byte order; interleaved
 * (planar_configuration 0) or colour-by-plane (1). When
 * f->pixel_representation == 1 and bits_stored < bits_allocated, samples are
 * sign-extended from bit bits_stored-1 (lossless and DCT alike). Unsigned
 * samples are written exactly as decoded, never masked.
 */
#ifndef DC_LJPEG_H
#define DC_LJPEG_H

#include <stddef.h>
#include <stdint.h>

#include "../common/dc_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Decoder flags. */
/* Emulate encoders that computed the lossless predictors 4-7 (visible for
 * 5, 6, 7) on samples cast to signed 16-bit, e.g. Rb + ((Ra - Rc) >> 1)
 * with Ra..Rc as int16 (DCMTK dcmdjpeg +w6). Only changes results for
 * 16-bit samples >= 32768. Wrong for correctly encoded files: opt-in only. */
#define DC_LJPEG_FLAG_PRED6_WRAP 0x01u
/* 16-bit lossless from Cornell-derived encoders: after difference category
 * SSSS=16 (which by T.81 H.1.2.2 has no additional bits) they wrote 16 more
 * bits (0x8000 or 0x7FFF), and their Huffman table may lack the category-16
 * code (it then appears as a 17-bit code). With this flag, like DCMTK +wc,
 * the 16 bits are consumed when they read 0x8000 or 0x7FFF, and a 17-bit
 * code is taken as category 16. */
#define DC_LJPEG_FLAG_CORNELL 0x02u
/* Without DC_LJPEG_FLAG_CORNELL, a 16-bit lossless stream that used SSSS=16
 * and then failed to decode cleanly (invalid code, missing data, wrong
 * restart marker, or entropy data left over) is decoded again with the
 * Cornell interpretation; the retry result is kept if it decodes cleanly.
 * Set this flag to switch that retry off. */
#define DC_LJPEG_FLAG_NO_CORNELL_AUTO 0x04u
/* Truncated or prematurely ended entropy-coded data: decode what is there
 * and return DC_OK. Lossless: missing differences are zero (so samples
 * repeat their prediction, i.e. the last values); DCT: missing blocks are
 * zero samples. Without the flag such input gives DC_ERR_TRUNCATED. */
#define DC_LJPEG_FLAG_ALLOW_TRUNCATED 0x08u

typedef struct dc_ljpeg_info {
    uint32_t rows;          /* from SOF, or from DNL when SOF says 0 */
    uint32_t columns;
    uint32_t components;    /* Nf, 1..4 */
    uint32_t precision;     /* P, bits per sample: 8/12 DCT, 2..16 lossless */
    int process;            /* 1 baseline, 2 extended 8-bit, 4 extended 12-bit,
                               14 lossless; 0 for a frame type we do not decode */
    int sof_marker;         /* 0xC0..0xCF: the SOFn that started the frame */
    int predictor;          /* lossless: Ss of the first scan (1..7); else 0 */
    int point_transform;    /* lossless: Al of the first scan; else 0 */
    int hsamp[4], vsamp[4]; /* sampling factors per component */
    int component_ids[4];
    int restart_interval;   /* DRI before the first scan, 0 if none */
    int has_jfif, has_adobe, adobe_transform; /* APP0 "JFIF", APP14 "Adobe" */
} dc_ljpeg_info;

/* Parses the markers up to and including the first SOS (and finds DNL when
 * the SOF gives 0 rows). Fails for input that is not a JPEG stream. */
int dc_ljpeg_read_header(const uint8_t *src, size_t srclen, dc_ljpeg_info *info,
                        dc_error *err);

/* Decodes one frame into dst (dstlen >= dc_frame_size(f)). rows, columns
 * and samples_per_pixel must match the stream (DC_ERR_MISMATCH otherwise);
 * bits_allocated must be 8 or 16 and hold the stream precision. */
int dc_ljpeg_decode(const uint8_t *src, size_t srclen, uint8_t *dst,
                   size_t dstlen, const dc_frame *f, unsigned flags,
                   dc_error *err);

typedef struct dc_ljpeg_params {
    int process;          /* 14 lossless; 1 baseline 8-bit; 2 extended 8-bit;
                             4 extended 12-bit */
    int predictor;        /* lossless: 1..7 (1 for transfer syntax .4.70) */
    int point_transform;  /* lossless: 0..P-1 (samples are coded >> Pt) */
    int quality;          /* DCT: 1..100, IJG scaling of the Annex K tables */
    int optimize_huffman; /* DCT 8-bit: 1 = tables from statistics, 0 = the
                             Annex K tables. Lossless and 12-bit always
                             optimise (the Annex K tables cannot code them). */
    int restart_interval; /* MCUs per restart interval, 0 = none. Lossless:
                             an MCU is one pixel; use a multiple of columns to
                             stay within what IJG-based decoders accept. */
    int subsampling;      /* DCT, 3 components: 444 or 422; otherwise ignored */
    int chroma_tables;    /* DCT, 3 components: 1 = components 2 and 3 are
                             Cb/Cr (YBR input) and get the Annex K chrominance
                             quantisation table; 0 = luminance table for all
                             (RGB coded without colour transform). */
} dc_ljpeg_params;

/* Encoding reads samples from src as laid out by f (bits_allocated 8 or 16,
 * planar_configuration, pixel_representation) and codes the low
 * f->bits_stored bits of each (two's complement for signed data). Lossless:
 * P = bits_stored (2..16), 1, 3 or 4 components (one interleaved scan, no
 * colour transform). DCT: P = 8 (process 1/2, bits_stored <= 8) or 12
 * (process 4, bits_stored <= 12), 1 or 3 components. */

/* Worst-case size of the codestream; 0 for invalid parameters. */
size_t dc_ljpeg_encode_bound(const dc_frame *f, const dc_ljpeg_params *p);

int dc_ljpeg_encode(const uint8_t *src, size_t srclen, const dc_frame *f,
                   const dc_ljpeg_params *p, uint8_t *dst, size_t dstcap,
                   size_t *dstlen, dc_error *err);

#ifdef __cplusplus
}
#endif

#endif
