"""Type stub for _deflate.pyx: Deflated Image Frame Compression (libdeflate)."""

from typing import Any

import numpy as np
import numpy.typing as npt

from ._info import FrameInfo
from .registry import Codec

CODEC: str
DEFLATE: str
DEFAULT_LEVEL: int

def version() -> str: ...
def packed_size(info: FrameInfo) -> int: ...
def unpack_bits(src: Any, bit: int, out: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]: ...
def pack_bits(arr: npt.NDArray[Any], dst: Any, bit: int) -> None: ...
def decode_into(src: Any, out: npt.NDArray[Any], info: FrameInfo, *, frame: int | None = None,
                ybr_to_rgb: bool = False) -> None: ...
def encode(arr: npt.NDArray[Any], info: FrameInfo, *, level: int = ...,
           frame: int | None = None) -> bytes: ...

class DeflateCodec(Codec):
    def encode(self, arr: npt.NDArray[Any], info: FrameInfo, *,  # type: ignore[override]
               frame: int | None = None, level: int = ...) -> bytes: ...

def codecs() -> list[Codec]: ...
