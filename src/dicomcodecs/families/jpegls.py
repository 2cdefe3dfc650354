"""JPEG-LS Lossless (.4.80) and Near-Lossless (.4.81): the Codec over our
C in lib/jpegls (dicomcodecs._jpegls), with its option parsing."""

from __future__ import annotations

import numpy as np

from .. import _jpegls
from .._errors import EncodeError
from .._uids import JPEGLS_LOSSLESS, JPEGLS_NEAR_LOSSLESS, SYNTAXES, family
from ..registry import Codec
from ._common import narrow, package_version, wants_rgb

_INTERLEAVE = {"none": 0, "line": 1, "sample": 2, 0: 0, 1: 1, 2: 2}
_PRESET_KEYS = ("MAXVAL", "T1", "T2", "T3", "RESET")
# Sample interleave is what pydicom's pyjpegls plugin writes for
# Planar Configuration 0; see benchmarks for speed and size.
DEFAULT_INTERLEAVE = "sample"


def _interleave_of(value, codec, frame):
    key = value.lower() if isinstance(value, str) else value
    try:
        return _INTERLEAVE[key]
    except (KeyError, TypeError):
        raise EncodeError(codec, frame, f"interleave={value!r}: use 'none', 'line' or "
                          "'sample' (or 0, 1, 2)") from None


def _preset_of(value, codec, frame):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise EncodeError(codec, frame, "preset must be a dict of MAXVAL, T1, T2, T3, RESET")
    out = {}
    for k, v in value.items():
        key = str(k).upper()
        if key not in _PRESET_KEYS:
            raise EncodeError(codec, frame, f"preset key {k!r} is not one of "
                              f"{', '.join(_PRESET_KEYS)}")
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v <= 65535:
            raise EncodeError(codec, frame, f"preset {key}={v!r} is not an integer in 0..65535")
        out[key] = int(v)
    return out


def _near_of(uid, value, codec, frame):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise EncodeError(codec, frame, f"jls_error={value!r} is not a non-negative integer")
    if value and uid == JPEGLS_LOSSLESS:
        # pydicom's message for the same mistake
        raise EncodeError(codec, frame, f"a 'jls_error' value of '{value}' is being used with "
                          "a transfer syntax of 'JPEG-LS Lossless' - did you mean to use "
                          "'JPEG-LS Near Lossless' instead?")
    return int(value)


class JPEGLSCodec(Codec):
    """JPEG-LS (ISO/IEC 14495-1), our own C in lib/jpegls. One instance per
    transfer syntax so error messages name the right one."""

    engine = "dicomcodecs"
    encode_options = frozenset({"jls_error", "interleave", "preset"})

    def __init__(self, uid):
        self.uid = uid
        self.name = SYNTAXES[uid].name
        self.transfer_syntaxes = (uid,)
        self.encode_syntaxes = (uid,)

    def engine_version(self):
        return package_version()

    def decode_into(self, src, info, out, *, as_rgb=True, reduce=0, frame=None,
                    planar_configuration=0, engine_threads=0):
        if reduce:
            self.output_spec(info, reduce=reduce)
        _jpegls.decode_into(src, info, out, planar_configuration=planar_configuration,
                            ybr_to_rgb=wants_rgb(info, as_rgb) and not planar_configuration,
                            label=self.name, frame=frame)

    def encode(self, arr, info, *, frame=None, engine_threads=0, **options):
        near = _near_of(self.uid, options.get("jls_error", 0), self.name, frame)
        ilv = _interleave_of(options.get("interleave", DEFAULT_INTERLEAVE), self.name, frame)
        preset = _preset_of(options.get("preset"), self.name, frame)
        if info.bits_allocated > 16 and 2 <= info.bits_stored <= 16:
            arr, info = narrow(arr, info, 8 if info.bits_stored <= 8 else 16, self.name, frame)
        return _jpegls.encode(arr, info, near_lossless=near, interleave_mode=ilv, preset=preset,
                              label=self.name, frame=frame)

    def encoded_attributes(self, info, **options):
        # No colour transform: the samples are coded as they are, so the
        # photometric interpretation stays (RGB stays RGB). Near-lossless with
        # NEAR 0 writes a lossless stream: only NEAR > 0 loses information.
        near = options.get("jls_error", 0) or 0
        return {"photometric_interpretation": info.photometric_interpretation,
                "planar_configuration": 0,
                "lossy": self.uid == JPEGLS_NEAR_LOSSLESS and near > 0}


def codecs():
    """The Codec objects of this family, for _builtin to register."""
    return [JPEGLSCodec(uid) for uid in family("jpegls")]
