"""Type stub for _rle.pyx: the thin binding of our RLE Lossless codec
(the Codec is dicomcodecs.families.rle)."""

from typing import Any

import numpy as np
import numpy.typing as npt

from ._info import FrameInfo

def version() -> str: ...
def decode_into(src: Any, info: FrameInfo, out: npt.NDArray[Any], *,
                planar_configuration: int = 0, ybr_to_rgb: bool = False,
                lsb_first: bool = False, label: str = "RLE Lossless",
                frame: int | None = None) -> None: ...
def encode(arr: npt.NDArray[Any], info: FrameInfo, *, planar_configuration: int = 0,
           label: str = "RLE Lossless", frame: int | None = None) -> bytes: ...
