"""Type stub for _jpegls.pyx: our JPEG-LS codec, lossless and near-lossless."""

from typing import Any

import numpy as np
import numpy.typing as npt

from ._info import FrameInfo
from .registry import Codec

LOSSLESS: str
NEAR_LOSSLESS: str
DEFAULT_INTERLEAVE: str

def version() -> str: ...
def read_header(src: Any, codec: str = "JPEG-LS", frame: int | None = None) -> dict[str, Any]: ...
def decode_components(src: Any, codec: str = "JPEG-LS",
                      frame: int | None = None) -> list[npt.NDArray[np.uint16]]: ...
def decode_into(src: Any, out: npt.NDArray[Any], info: FrameInfo, *, planar: int = 0,
                codec: str = "JPEG-LS", frame: int | None = None,
                ybr_to_rgb: bool = False) -> None: ...
def encode(arr: npt.NDArray[Any], info: FrameInfo, *, near_lossless: int = 0,
           interleave_mode: int = 2, preset: dict[str, int] | None = None,
           planar_configuration: int = 0, codec: str = "JPEG-LS",
           frame: int | None = None) -> bytes: ...

class JPEGLSCodec(Codec):
    uid: str
    def __init__(self, uid: str) -> None: ...
    def decode_into(self, src: Any, info: FrameInfo, out: npt.NDArray[Any], *,
                    as_rgb: bool = True, reduce: int = 0, frame: int | None = None,
                    planar: int = 0) -> None: ...

def codecs() -> list[Codec]: ...
