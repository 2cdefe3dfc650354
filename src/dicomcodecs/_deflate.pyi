"""Type stub for _deflate.pyx: the thin binding of libdeflate (the Codec is
dicomcodecs.families.deflate)."""

from typing import Any

import numpy as np
import numpy.typing as npt

from ._info import FrameInfo

def version() -> str: ...
def packed_size(info: FrameInfo) -> int: ...
def unpack_bits(src: Any, bit: int, out: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]: ...
def pack_bits(arr: npt.NDArray[Any], dst: Any, bit: int) -> None: ...
def decode_into(src: Any, info: FrameInfo, out: npt.NDArray[Any], *, ybr_to_rgb: bool = False,
                label: str = "Deflated Image Frame Compression",
                frame: int | None = None) -> None: ...
def encode(arr: npt.NDArray[Any], info: FrameInfo, *, level: int,
           label: str = "Deflated Image Frame Compression",
           frame: int | None = None) -> bytes: ...
