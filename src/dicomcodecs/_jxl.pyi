"""Type stub for _jxl.pyx: JPEG XL (libjxl), lossless, JPEG recompression and lossy."""

from collections.abc import Callable
from typing import Any

import numpy.typing as npt

from ._info import FrameInfo
from .registry import Codec

JXL_LOSSLESS: str
JXL_JPEG: str
JXL: str
JPEG_BASELINE: str
DEFAULT_EFFORT: int
DEFAULT_DISTANCE: float

def version() -> str: ...
def read_header(src: Any, frame: int | None = None) -> dict[str, Any]: ...
def decode_into(src: Any, out: npt.NDArray[Any], info: FrameInfo, *, codec: str = "JPEG XL",
                frame: int | None = None, threads: int = 1) -> None: ...
def encode(arr: npt.NDArray[Any], info: FrameInfo, *, lossless: bool = True,
           distance: float = ..., effort: int = ..., codec: str = "JPEG XL",
           frame: int | None = None, threads: int = 1) -> bytes: ...
def check_jpeg(src: Any, frame: int | None = None) -> None: ...
def from_jpeg(src: Any, *, effort: int = ..., frame: int | None = None) -> bytes: ...
def to_jpeg(src: Any, frame: int | None = None) -> bytes: ...
def distance_for_quality(quality: float) -> float: ...

class JPEGXLCodec(Codec):
    def decode_into(self, src: Any, info: FrameInfo, out: npt.NDArray[Any], *,
                    as_rgb: bool = True, reduce: int = 0, frame: int | None = None,
                    engine_threads: int = 1) -> None: ...
    def encode(self, arr: npt.NDArray[Any], info: FrameInfo, *,  # type: ignore[override]
               frame: int | None = None, effort: int = ..., distance: float | None = None,
               quality: float | None = None, lossless: bool | None = None) -> bytes: ...
    def transcoder(self, src_uid: str, dst_uid: str,
                   **options: Any) -> Callable[[bytes, int], bytes] | None: ...

def codecs() -> list[Codec]: ...
