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
"""
include "_common.pxi"
from dc_jxl cimport *

from dicomcodecs.registry import Codec, get_decoder

JXL_LOSSLESS = "1.2.840.10008.1.2.4.110"
JXL_JPEG = "1.2.840.10008.1.2.4.111"
JXL = "1.2.840.10008.1.2.4.112"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
# Sources whose frames are JPEG bitstreams: .111 can only be made from those
# (and says why for the ones libjxl cannot take: 12-bit, lossless).
_JPEG_SOURCES = (JPEG_BASELINE, "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57",
                 "1.2.840.10008.1.2.4.70")
_NAMES = {JXL_LOSSLESS: "JPEG XL Lossless", JXL_JPEG: "JPEG XL JPEG Recompression",
          JXL: "JPEG XL"}

DEFAULT_EFFORT = 7       # libjxl's and cjxl's default
DEFAULT_DISTANCE = 1.0   # cjxl's default: visually lossless

# PS3.5 Table 8.2.15-1, for pixels (the .111 rows follow the JPEG it holds):
# Photometric Interpretation -> (samples per pixel, signed allowed).
_ALLOWED = {
    JXL_LOSSLESS: {"MONOCHROME1": (1, True), "MONOCHROME2": (1, True),
                   "PALETTE COLOR": (1, False), "RGB": (3, False)},
    JXL: {"MONOCHROME1": (1, True), "MONOCHROME2": (1, True), "RGB": (3, False)},
}


def version():
    """libjxl's version, e.g. '0.7.0'."""
    cdef uint32_t v = dc_jxl_version()
    return f"{v // 1000000}.{v // 1000 % 1000}.{v % 1000}"


def read_header(src, object frame=None):
    """What the codestream says: width, height, channels, extra_channels,
    bits, exponent_bits, lossless (not XYB), has_jpeg (rebuildable JPEG)."""
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef dc_jxl_header h
    cdef dc_error err
    err.msg[0] = 0
    cdef size_t n = s.shape[0]
    cdef const uint8_t *sp = &s[0] if n else NULL
    cdef int rc
    with nogil:
        rc = dc_jxl_read_header(sp, n, &h, &err)
    if rc != DC_OK:
        _raise(rc, &err, "JPEG XL", frame, True)
    return {"width": h.width, "height": h.height, "channels": h.channels,
            "extra_channels": h.extra_channels, "bits": h.bits,
            "exponent_bits": h.exponent_bits, "lossless": bool(h.lossless),
            "has_jpeg": bool(h.has_jpeg)}


def decode_into(src, out, info, *, str codec="JPEG XL", object frame=None, int threads=1):
    """Decode one codestream's pixels into `out` (C-contiguous, interleaved,
    sized for `info`), sign-extended from Bits Stored when signed."""
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef dc_frame f
    cdef dc_error err
    err.msg[0] = 0
    _fill_frame(&f, info, 0)
    cdef uint8_t[::1] dst = _bytes_of(out)
    cdef size_t n = s.shape[0]
    cdef const uint8_t *sp = &s[0] if n else NULL
    cdef unsigned nthreads = max(1, threads)
    cdef int rc
    with nogil:
        rc = dc_jxl_decode(sp, n, &dst[0], dst.shape[0], &f, nthreads, &err)
        if rc == DC_OK:
            _postprocess(&dst[0], &f, False)
    if rc != DC_OK:
        _raise(rc, &err, codec, frame, True)


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
                  const dc_jxl_params *p, str codec, object frame, bint decoding):
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
        _raise(rc, &err, codec, frame, decoding)
    del dst
    del out[got:]
    return bytes(out)


def encode(arr, info, *, bint lossless=True, float distance=DEFAULT_DISTANCE,
           int effort=DEFAULT_EFFORT, str codec="JPEG XL", object frame=None, int threads=1):
    """Encode one frame held in `arr` (C-contiguous, interleaved, unsigned
    values below 2^BitsStored) to a JPEG XL codestream."""
    cdef dc_frame f
    cdef dc_jxl_params p
    _fill_frame(&f, info, 0)
    p.lossless = lossless
    p.distance = distance
    p.effort = effort
    p.bits = info.bits_stored
    p.threads = max(1, threads)
    cdef const uint8_t[::1] src = arr.reshape(-1).view(np.uint8)
    return _grown(_ENCODE, src, src.shape[0] + src.shape[0] // 8 + 4096, &f, &p, codec, frame,
                  False)


def check_jpeg(src, object frame=None):
    """Raise EncodeError saying why libjxl cannot recompress this JPEG."""
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef dc_error err
    err.msg[0] = 0
    cdef size_t n = s.shape[0]
    cdef const uint8_t *sp = &s[0] if n else NULL
    cdef int rc
    with nogil:
        rc = dc_jxl_check_jpeg(sp, n, &err)
    if rc != DC_OK:
        raise EncodeError(_NAMES[JXL_JPEG], frame,
                          f"cannot recompress this JPEG: it is {err.msg.decode('utf-8', 'replace')}"
                          if rc == DC_ERR_UNSUPPORTED else
                          f"cannot recompress this JPEG: {err.msg.decode('utf-8', 'replace')}")


def from_jpeg(src, *, int effort=DEFAULT_EFFORT, object frame=None):
    """A JPEG bitstream losslessly recompressed to JPEG XL (.111)."""
    check_jpeg(src, frame)
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef dc_jxl_params p
    p.effort = effort
    return _grown(_FROM_JPEG, s, s.shape[0] + 4096, NULL, &p, _NAMES[JXL_JPEG], frame, False)


def to_jpeg(src, object frame=None):
    """The original JPEG bitstream rebuilt, byte for byte, from .111 data."""
    cdef const uint8_t[::1] s = _as_bytes(src)
    return _grown(_TO_JPEG, s, max(2 * s.shape[0], 65536), NULL, NULL, _NAMES[JXL_JPEG], frame,
                  True)


def _number(value, name, lo, hi, codec, frame):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not lo <= value <= hi:
        raise EncodeError(codec, frame, f"{name}={value!r}: use a number from {lo} to {hi}")
    return value


def distance_for_quality(quality):
    """cjxl's mapping from a 0-100 quality to a butteraugli distance
    (100 is lossless, 90 is distance 1, the default)."""
    if quality >= 100:
        return 0.0
    if quality >= 30:
        return 0.1 + (100 - quality) * 0.09
    return 6.4 + (2.5 ** ((30 - quality) / 5.0)) / 6.25


class JPEGXLCodec(Codec):
    """JPEG XL (ISO/IEC 18181-1) through libjxl: .110 lossless, .111 JPEG
    recompression, .112 lossy or lossless.

    Encode options: ``effort`` (1-9, default 7: higher is smaller and
    slower), and for .112 ``distance`` (butteraugli distance 0-25, default
    1.0, visually lossless; 0 is lossless) or ``quality`` (0-100, cjxl's
    scale: 90 is distance 1, 100 lossless) and ``lossless`` (bool)."""

    name = "JPEG XL"
    engine = "libjxl"
    transfer_syntaxes = (JXL_LOSSLESS, JXL_JPEG, JXL)
    encode_syntaxes = (JXL_LOSSLESS, JXL_JPEG, JXL)
    encode_options = frozenset({"effort", "distance", "quality", "lossless"})
    supports_engine_threads = True

    def engine_version(self):
        return version()

    def _jpeg_codec(self, info):
        return get_decoder(JPEG_BASELINE), info.replace(transfer_syntax=JPEG_BASELINE)

    def output_spec(self, info, *, as_rgb=True, reduce=0):
        if info.transfer_syntax == JXL_JPEG and not reduce:
            codec, jinfo = self._jpeg_codec(info)
            return codec.output_spec(jinfo, as_rgb=as_rgb)
        return Codec.output_spec(self, info, as_rgb=as_rgb, reduce=reduce)

    def decode_into(self, src, info, out, *, as_rgb=True, reduce=0, frame=None,
                    engine_threads=1):
        uid = info.transfer_syntax
        name = _NAMES.get(uid, self.name)
        if reduce:
            self.output_spec(info, reduce=reduce)
        if uid == JXL_JPEG and read_header(src, frame)["has_jpeg"]:
            codec, jinfo = self._jpeg_codec(info)
            codec.decode_into(to_jpeg(src, frame), jinfo, out, as_rgb=as_rgb, frame=frame)
            return
        if info.bits_allocated not in (8, 16):
            raise DecodeError(name, frame, f"Bits Allocated {info.bits_allocated}: JPEG XL "
                              "frames are 8 or 16")
        if info.samples_per_pixel == 3 and info.photometric_interpretation != "RGB" \
                and uid != JXL_JPEG:
            raise DecodeError(name, frame, f"Photometric Interpretation "
                              f"{info.photometric_interpretation}: JPEG XL colour pixels "
                              "are RGB (PS3.5 Table 8.2.15-1)")
        decode_into(src, out, info, codec=name, frame=frame, threads=engine_threads)

    def _check_pixels(self, arr, info, frame):
        uid = info.transfer_syntax
        name = _NAMES[uid]
        pi = info.photometric_interpretation
        allowed = _ALLOWED[uid]
        if pi not in allowed:
            raise EncodeError(name, frame, f"Photometric Interpretation {pi} is not allowed; "
                              f"PS3.5 Table 8.2.15-1 allows {', '.join(allowed)}")
        spp, may_sign = allowed[pi]
        if info.samples_per_pixel != spp:
            raise EncodeError(name, frame, f"{pi} needs {spp} samples per pixel, "
                              f"not {info.samples_per_pixel}")
        if info.pixel_representation and not may_sign:
            raise EncodeError(name, frame, f"{pi} pixels must be unsigned")
        if info.bits_allocated not in (8, 16):
            raise EncodeError(name, frame, f"{info.bits_allocated}-bit samples: JPEG XL takes "
                              "Bits Allocated 8 or 16 (Bits Stored 1-16)")

    def encode(self, arr, info, *, frame=None, effort=DEFAULT_EFFORT, distance=None,
               quality=None, lossless=None):
        uid = info.transfer_syntax
        name = _NAMES[uid]
        if uid == JXL_JPEG:
            raise EncodeError(name, frame, "JPEG XL JPEG Recompression holds a JPEG bitstream, "
                              "not pixels: compress() a JPEG Baseline (.4.50) dataset to it "
                              "(no pixels are decoded), or encode pixels as JPEG XL Lossless "
                              "(.4.110) or JPEG XL (.4.112)")
        effort = int(_number(effort, "effort", 1, 9, name, frame))
        if uid == JXL_LOSSLESS and (distance is not None or quality is not None
                                    or lossless is False):
            raise EncodeError(name, frame, "JPEG XL Lossless takes only 'effort'; use JPEG XL "
                              "(.4.112) for distance or quality")
        if distance is not None and quality is not None:
            raise EncodeError(name, frame, "give distance or quality, not both")
        if quality is not None:
            distance = distance_for_quality(_number(quality, "quality", 0, 100, name, frame))
        elif distance is not None:
            distance = _number(distance, "distance", 0, 25, name, frame)
        if lossless is None:
            lossless = uid == JXL_LOSSLESS or distance == 0
        elif lossless and distance not in (None, 0):
            raise EncodeError(name, frame, f"lossless=True contradicts distance {distance}")
        self._check_pixels(arr, info, frame)
        bits = info.bits_stored
        if info.pixel_representation or bits < info.bits_allocated:
            # Unsigned Bits Stored-bit values: two's complement for signed data.
            unsigned = arr.view(arr.dtype.str.replace("i", "u"))
            arr = np.bitwise_and(unsigned, (1 << bits) - 1, dtype=unsigned.dtype)
        return encode(arr, info, lossless=bool(lossless),
                      distance=DEFAULT_DISTANCE if distance is None else float(distance),
                      effort=effort, codec=name, frame=frame)

    def encoded_attributes(self, info, **options):
        uid = info.transfer_syntax
        lossy = False
        if uid == JXL:
            d = options.get("distance")
            q = options.get("quality")
            lossless = options.get("lossless")
            lossy = not (lossless or d == 0 or (q is not None and q >= 100))
        return {"photometric_interpretation": info.photometric_interpretation,
                "planar_configuration": 0, "lossy": lossy}

    def transcoder(self, src_uid, dst_uid, **options):
        """A function(frame_bytes, index) -> bytes turning a frame of
        src_uid into one of dst_uid without decoding pixels, or None.
        Into .111 only `effort` applies; back to JPEG Baseline the JPEG is
        rebuilt as it was, so encoder options (a new quality...) mean
        decoding and encoding again instead."""
        if dst_uid == JXL_JPEG and src_uid in _JPEG_SOURCES:
            name = _NAMES[JXL_JPEG]
            extra = sorted(set(options) - {"effort"})
            if extra:
                raise EncodeError(name, None, f"{', '.join(extra)}: recompressing a JPEG takes "
                                  "only 'effort'")
            effort = int(_number(options.get("effort", DEFAULT_EFFORT), "effort", 1, 9, name,
                                 None))
            return lambda data, i: from_jpeg(data, effort=effort, frame=i)
        if src_uid == JXL_JPEG and dst_uid == JPEG_BASELINE and not options:
            return lambda data, i: to_jpeg(data, frame=i)
        return None


def codecs():
    """The Codec objects this extension provides, for _builtin to register."""
    return [JPEGXLCodec()]
