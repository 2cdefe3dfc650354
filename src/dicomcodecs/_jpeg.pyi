"""Type stub for _jpeg.pyx: JPEG baseline (libjpeg-turbo), 12-bit and lossless (ours)."""

from typing import Any

import numpy.typing as npt

from ._info import FrameInfo
from .registry import Codec

BASELINE: str
EXTENDED: str
LOSSLESS: str
LOSSLESS_SV1: str
DEFAULT_QUALITY: int
DEFAULT_SUBSAMPLING: int
DEFAULT_OPTIMIZE_HUFFMAN: bool
ENGINE_TURBO: int
ENGINE_OURS: int

def version() -> str: ...
def read_header(src: Any, codec: str = "JPEG", frame: int | None = None) -> dict[str, Any]: ...
def decode_into(src: Any, out: npt.NDArray[Any], info: FrameInfo, *, planar: int = 0,
                codec: str = "JPEG", frame: int | None = None, ybr_to_rgb: bool = False,
                allow_truncated: bool = False, cornell: bool | None = None,
                pred6_wrap: bool = False, fast_idct: bool = False) -> int: ...
def encode_turbo(arr: npt.NDArray[Any], info: FrameInfo, *, quality: int = ...,
                 subsampling: int = ..., optimize_huffman: bool = True,
                 restart_interval: int = 0, color_transform: bool = True,
                 input_ybr: bool = False, progressive: bool = False,
                 planar_configuration: int = 0, codec: str = "JPEG",
                 frame: int | None = None) -> bytes: ...
def encode_ours(arr: npt.NDArray[Any], info: FrameInfo, *, process: int, predictor: int = 1,
                point_transform: int = 0, quality: int = ..., optimize_huffman: bool = True,
                restart_interval: int = 0, subsampling: int = 444, chroma_tables: bool = False,
                planar_configuration: int = 0, codec: str = "JPEG",
                frame: int | None = None) -> bytes: ...

class JPEGCodec(Codec):
    uid: str
    allow_truncated: bool
    cornell: bool | None
    pred6_wrap: bool
    def __init__(self, uid: str) -> None: ...
    def decode_into(self, src: Any, info: FrameInfo, out: npt.NDArray[Any], *,
                    as_rgb: bool = True, reduce: int = 0, frame: int | None = None,
                    planar: int = 0, allow_truncated: bool | None = None,
                    cornell: bool | None | str = "default", pred6_wrap: bool | None = None,
                    fast_idct: bool = False) -> int: ...
    def pydicom_decode(self, src: Any, runner: Any, info: FrameInfo) -> bytearray: ...

def codecs() -> list[Codec]: ...
