"""Deflated Image Frame Compression (PS3.5 A.4.13): the Codec over
dicomcodecs._deflate (libdeflate), with its option checks."""

from __future__ import annotations

import numpy as np

from .. import _deflate
from .._errors import DecodeError, EncodeError
from .._uids import DEFLATED_FRAME, SYNTAXES
from ..registry import Codec
from ._common import wants_rgb

DEFAULT_LEVEL = 6


class DeflateCodec(Codec):
    """Deflated Image Frame Compression (PS3.5 A.4.13): each frame a raw
    Deflate stream of its native bytes, through libdeflate."""

    name = SYNTAXES[DEFLATED_FRAME].name
    engine = "libdeflate"
    transfer_syntaxes = (DEFLATED_FRAME,)
    encode_syntaxes = (DEFLATED_FRAME,)
    encode_options = frozenset({"level"})

    def engine_version(self):
        return _deflate.version()

    def output_spec(self, info, *, as_rgb=True, reduce=0):
        if info.bits_allocated == 1 and info.pixel_representation:
            raise DecodeError(self.name, None, "Bits Allocated 1 data cannot be signed")
        return Codec.output_spec(self, info, as_rgb=as_rgb, reduce=reduce)

    def decode_into(self, src, info, out, *, as_rgb=True, reduce=0, frame=None,
                    engine_threads=0):
        if reduce:
            self.output_spec(info, reduce=reduce)
        _deflate.decode_into(src, info, out, ybr_to_rgb=wants_rgb(info, as_rgb),
                             label=self.name, frame=frame)

    def encode(self, arr, info, *, frame=None, engine_threads=0, level=DEFAULT_LEVEL):
        if isinstance(level, bool) or not isinstance(level, (int, np.integer)) \
                or not 0 <= level <= 12:
            raise EncodeError(self.name, frame, f"level={level!r}: use an integer 0 (stored) "
                              "to 12 (smallest, slowest); the default is 6")
        if info.bits_allocated == 1 and info.bits_stored != 1:
            raise EncodeError(self.name, frame, f"Bits Allocated 1 needs Bits Stored 1, "
                              f"not {info.bits_stored}")
        if info.bits_allocated == 1 and (arr > 1).any():
            raise EncodeError(self.name, frame, "Bits Allocated 1 samples must be 0 or 1")
        return _deflate.encode(arr, info, level=int(level), label=self.name, frame=frame)

    def encoded_attributes(self, info, **options):
        return {"photometric_interpretation": info.photometric_interpretation,
                "planar_configuration": 0, "lossy": False}


def codecs():
    """The Codec objects of this family, for _builtin to register."""
    return [DeflateCodec()]
