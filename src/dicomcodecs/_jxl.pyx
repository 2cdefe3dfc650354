# cython: language_level=3
"""_jxl: binds lib/jxl, JPEG XL through libjxl: JPEG XL Lossless (.4.110),
JPEG XL JPEG Recompression (.4.111) and JPEG XL (.4.112), PS3.5 8.2.15.

Samples: the codestream declares Bits Stored bits per sample (1-16) and
holds each sample's value as an unsigned integer. JPEG XL has no signed
samples, so signed data (Pixel Representation 1) is stored as its Bits
Stored-bit two's complement pattern (v & (2^BitsStored - 1)); decoders read
it back sign-extended from Bits Stored. An independent decoder (djxl,
imagecodecs) therefore gives the same values after that sign extension, and
the very same values when Bits Stored is 16.

.111 holds a JPEG bitstream recompressed so that the original bytes can be
rebuilt exactly: decoding it to pixels rebuilds that JPEG and decodes it
with the JPEG Baseline codec (libjpeg-turbo), so the pixels equal what the
JPEG would give. Pixels can only be put into .111 by way of a JPEG:
`compress` transcodes JPEG Baseline datasets without decoding them.

Thin: the Codec and its option parsing live in dicomcodecs/families/jxl.py.
"""
include "_common.pxi"
from dc_jxl cimport *

_RECOMPRESSION = "JPEG XL JPEG Recompression"   # the label of from_jpeg/to_jpeg errors


def version():
    """libjxl's version, e.g. '0.7.0'."""
    return _dotted(dc_jxl_version())


cdef int _read_header_c(const uint8_t *sp, size_t n, void *h, dc_error *err) noexcept nogil:
    return dc_jxl_read_header(sp, n, <dc_jxl_header *>h, err)


def read_header(src, *, str label="JPEG XL", object frame=None):
    """What the codestream says: width, height, channels, extra_channels,
    bits, exponent_bits, lossless (not XYB), has_jpeg (rebuildable JPEG)."""
    cdef dc_jxl_header h
    _read_src(_read_header_c, src, &h, label, frame)
    return {"width": h.width, "height": h.height, "channels": h.channels,
            "extra_channels": h.extra_channels, "bits": h.bits,
            "exponent_bits": h.exponent_bits, "lossless": bool(h.lossless),
            "has_jpeg": bool(h.has_jpeg)}


cdef int _decode_c(const uint8_t *sp, size_t n, uint8_t *dst, size_t dstlen, const dc_frame *f,
                   void *nthreads, dc_error *err) noexcept nogil:
    return dc_jxl_decode(sp, n, dst, dstlen, f, (<unsigned *>nthreads)[0], err)


def decode_into(src, info, out, *, int engine_threads=1, str label="JPEG XL",
                object frame=None):
    """Decode one codestream's pixels into `out` (C-contiguous, interleaved,
    sized for `info`), sign-extended from Bits Stored when signed."""
    cdef unsigned nthreads = max(1, engine_threads)
    _decode_frame(_decode_c, &nthreads, src, info, out, 0, True, False, label, frame)


cdef enum:
    # what _produce makes
    _ENCODE = 1
    _FROM_JPEG = 2
    _TO_JPEG = 3


cdef int _produce(int kind, const uint8_t *sp, size_t n, uint8_t *dp, size_t cap, size_t *got,
                  const dc_frame *f, const dc_jxl_params *p, dc_error *err) noexcept nogil:
    if kind == _ENCODE:
        return dc_jxl_encode(sp, n, dp, cap, got, f, p, err)
    if kind == _FROM_JPEG:
        return dc_jxl_from_jpeg(sp, n, dp, cap, got, p.effort, err)
    return dc_jxl_to_jpeg(sp, n, dp, cap, got, err)


cdef bytes _grown(int kind, const uint8_t[::1] s, size_t cap, const dc_frame *f,
                  const dc_jxl_params *p, str label, object frame, bint decoding):
    """Run a libjxl producer into `cap` bytes, four times more after each
    DC_ERR_OUTPUT_TOO_SMALL (its output size is not known ahead)."""
    cdef dc_error err
    err.msg[0] = 0
    cdef size_t n = s.shape[0]
    cdef const uint8_t *sp = &s[0] if n else NULL
    cdef size_t got = 0
    cdef int rc = DC_ERR_OUTPUT_TOO_SMALL
    cdef uint8_t[::1] dst
    while True:
        out = bytearray(cap)
        dst = out
        with nogil:
            rc = _produce(kind, sp, n, &dst[0], cap, &got, f, p, &err)
        if rc != DC_ERR_OUTPUT_TOO_SMALL or cap >= (1 << 34):
            break
        cap *= 4
        err.msg[0] = 0
    if rc != DC_OK:
        _raise(rc, &err, label, frame, decoding)
    del dst
    del out[got:]
    return bytes(out)


def encode(arr, info, *, bint lossless, float distance, int effort, int engine_threads=1,
           str label="JPEG XL", object frame=None):
    """Encode one frame held in `arr` (C-contiguous, interleaved, unsigned
    values below 2^BitsStored) to a JPEG XL codestream."""
    cdef dc_frame f
    cdef dc_jxl_params p
    _fill_frame(&f, info, 0)
    p.lossless = lossless
    p.distance = distance
    p.effort = effort
    p.bits = info.bits_stored
    p.threads = max(1, engine_threads)
    cdef const uint8_t[::1] src = arr.reshape(-1).view(np.uint8)
    return _grown(_ENCODE, src, src.shape[0] + src.shape[0] // 8 + 4096, &f, &p, label, frame,
                  False)


cdef int _check_jpeg_c(const uint8_t *sp, size_t n, void *unused, dc_error *err) noexcept nogil:
    return dc_jxl_check_jpeg(sp, n, err)


def check_jpeg(src, *, object frame=None):
    """Raise EncodeError saying why libjxl cannot recompress this JPEG."""
    cdef dc_error err
    cdef int rc = _call_on_src(_check_jpeg_c, src, NULL, &err)
    if rc != DC_OK:
        raise EncodeError(_RECOMPRESSION, frame,
                          f"cannot recompress this JPEG: it is {err.msg.decode('utf-8', 'replace')}"
                          if rc == DC_ERR_UNSUPPORTED else
                          f"cannot recompress this JPEG: {err.msg.decode('utf-8', 'replace')}")


def from_jpeg(src, *, int effort=7, object frame=None):
    """A JPEG bitstream losslessly recompressed to JPEG XL (.111)."""
    check_jpeg(src, frame=frame)
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef dc_jxl_params p
    p.effort = effort
    return _grown(_FROM_JPEG, s, s.shape[0] + 4096, NULL, &p, _RECOMPRESSION, frame, False)


def to_jpeg(src, *, object frame=None):
    """The original JPEG bitstream rebuilt, byte for byte, from .111 data."""
    cdef const uint8_t[::1] s = _as_bytes(src)
    return _grown(_TO_JPEG, s, max(2 * s.shape[0], 65536), NULL, NULL, _RECOMPRESSION, frame,
                  True)
