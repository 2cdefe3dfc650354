"""RLE Lossless (PS3.5 Annex G): the Codec over our C in lib/rle."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _rle
from .._errors import EncodeError
from .._info import FrameInfo
from .._uids import RLE_LOSSLESS, SYNTAXES
from ..registry import Codec
from ._common import package_version, wants_rgb


class RLECodec(Codec):
    """RLE Lossless, our own C in lib/rle."""

    name = SYNTAXES[RLE_LOSSLESS].name
    engine = "dicomcodecs"
    transfer_syntaxes = (RLE_LOSSLESS,)
    encode_syntaxes = (RLE_LOSSLESS,)
    encode_options = frozenset({"rle_segment_order"})

    def engine_version(self) -> str:
        return package_version()

    def decode_into(self, src: Any, info: FrameInfo, out: np.ndarray, *, as_rgb: bool = True,
                    reduce: int = 0, frame: int | None = None, planar_configuration: int = 0,
                    lsb_first: bool = False, engine_threads: int = 0) -> None:
        if reduce:
            self.output_spec(info, reduce=reduce)
        _rle.decode_into(src, info, out, planar_configuration=planar_configuration,
                         ybr_to_rgb=wants_rgb(info, as_rgb) and not planar_configuration,
                         lsb_first=lsb_first, label=self.name, frame=frame)

    def encode(self, arr: np.ndarray, info: FrameInfo, *, frame: int | None = None,
               engine_threads: int = 0, **options: Any) -> bytes:
        if options.get("rle_segment_order", ">") != ">":
            raise EncodeError(self.name, frame, "only the standard's big-endian segment "
                              "order ('>') can be written")
        return _rle.encode(arr, info, label=self.name, frame=frame)

    def encoded_attributes(self, info: FrameInfo, **options: Any) -> dict[str, Any]:
        # RLE codes each sample in its own segments whatever Planar
        # Configuration says; 0 is what pydicom and DCMTK write.
        return {"photometric_interpretation": info.photometric_interpretation,
                "planar_configuration": 0, "lossy": False}


def codecs() -> list[Codec]:
    """The Codec objects of this family, for _builtin to register."""
    return [RLECodec()]
