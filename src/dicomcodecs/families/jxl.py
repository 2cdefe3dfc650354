"""JPEG XL Lossless (.4.110), JPEG Recompression (.4.111) and JPEG XL
(.4.112): the Codec over dicomcodecs._jxl (libjxl), with option parsing and
the JPEG <-> .111 transcoders. See _jxl.pyx for how samples are stored."""

from __future__ import annotations

import numpy as np

from .. import _jxl
from .._errors import DecodeError, EncodeError
from .._uids import JPEG_BASELINE, JXL, JXL_JPEG, JXL_LOSSLESS, SYNTAXES, family
from ..registry import Codec, get_decoder

# Sources whose frames are JPEG bitstreams: .111 can only be made from those
# (and says why for the ones libjxl cannot take: 12-bit, lossless).
_JPEG_SOURCES = family("jpeg")

DEFAULT_EFFORT = 7       # libjxl's and cjxl's default
DEFAULT_DISTANCE = 1.0   # cjxl's default: visually lossless

# PS3.5 Table 8.2.15-1, for pixels (the .111 rows follow the JPEG it holds):
# Photometric Interpretation -> (samples per pixel, signed allowed).
_ALLOWED = {
    JXL_LOSSLESS: {"MONOCHROME1": (1, True), "MONOCHROME2": (1, True),
                   "PALETTE COLOR": (1, False), "RGB": (3, False)},
    JXL: {"MONOCHROME1": (1, True), "MONOCHROME2": (1, True), "RGB": (3, False)},
}


def _number(value, name, lo, hi, label, frame):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not lo <= value <= hi:
        raise EncodeError(label, frame, f"{name}={value!r}: use a number from {lo} to {hi}")
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
        return _jxl.version()

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
        name = SYNTAXES[uid].name if uid in SYNTAXES else self.name
        if reduce:
            self.output_spec(info, reduce=reduce)
        if uid == JXL_JPEG and _jxl.read_header(src, label=name, frame=frame)["has_jpeg"]:
            codec, jinfo = self._jpeg_codec(info)
            codec.decode_into(_jxl.to_jpeg(src, frame=frame), jinfo, out, as_rgb=as_rgb, frame=frame)
            return
        if info.bits_allocated not in (8, 16):
            raise DecodeError(name, frame, f"Bits Allocated {info.bits_allocated}: JPEG XL "
                              "frames are 8 or 16")
        if info.samples_per_pixel == 3 and info.photometric_interpretation != "RGB" \
                and uid != JXL_JPEG:
            raise DecodeError(name, frame, f"Photometric Interpretation "
                              f"{info.photometric_interpretation}: JPEG XL colour pixels "
                              "are RGB (PS3.5 Table 8.2.15-1)")
        _jxl.decode_into(src, info, out, engine_threads=engine_threads, label=name, frame=frame)

    def _check_pixels(self, arr, info, frame):
        uid = info.transfer_syntax
        name = SYNTAXES[uid].name
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

    def encode(self, arr, info, *, frame=None, engine_threads=0, effort=DEFAULT_EFFORT,
               distance=None, quality=None, lossless=None):
        uid = info.transfer_syntax
        name = SYNTAXES[uid].name
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
        return _jxl.encode(arr, info, lossless=bool(lossless),
                           distance=DEFAULT_DISTANCE if distance is None else float(distance),
                           effort=effort, engine_threads=engine_threads, label=name,
                           frame=frame)

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
            name = SYNTAXES[JXL_JPEG].name
            extra = sorted(set(options) - {"effort"})
            if extra:
                raise EncodeError(name, None, f"{', '.join(extra)}: recompressing a JPEG takes "
                                  "only 'effort'")
            effort = int(_number(options.get("effort", DEFAULT_EFFORT), "effort", 1, 9, name,
                                 None))
            return lambda data, i: _jxl.from_jpeg(data, effort=effort, frame=i)
        if src_uid == JXL_JPEG and dst_uid == JPEG_BASELINE and not options:
            return lambda data, i: _jxl.to_jpeg(data, frame=i)
        return None


def codecs():
    """The Codec objects of this family, for _builtin to register."""
    return [JPEGXLCodec()]
