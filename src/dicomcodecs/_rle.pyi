"""Type stub for _rle.pyx: our RLE Lossless codec."""

from typing import Any

import numpy as np
import numpy.typing as npt

from ._info import FrameInfo
from .registry import Codec

CODEC: str
RLE: str

def version() -> str: ...
def decode_into(src: Any, out: npt.NDArray[Any], info: FrameInfo, *, planar: int = 0,
                frame: int | None = None, ybr_to_rgb: bool = False,
                lsb_first: bool = False) -> None: ...
def encode(arr: npt.NDArray[Any], info: FrameInfo, *, planar_configuration: int = 0,
           frame: int | None = None) -> bytes: ...

class RLECodec(Codec):
    def decode_into(self, src: Any, info: FrameInfo, out: npt.NDArray[Any], *,
                    as_rgb: bool = True, reduce: int = 0, frame: int | None = None,
                    planar: int = 0, lsb_first: bool = False) -> None: ...
    def pydicom_decode(self, src: Any, runner: Any, info: FrameInfo) -> npt.NDArray[np.uint8]: ...

def codecs() -> list[Codec]: ...
