"""Type stub for _jpeg.pyx: the thin binding of libjpeg-turbo and our ljpeg
codec (the Codecs are dicomcodecs.families.jpeg)."""

from typing import Any

import numpy as np
import numpy.typing as npt

from ._info import FrameInfo

ENGINE_TURBO: int
ENGINE_LJPEG: int

def version() -> str: ...
def read_header(src: Any, *, label: str = "JPEG", frame: int | None = None) -> dict[str, Any]: ...
def decode_into(src: Any, info: FrameInfo, out: npt.NDArray[Any], *,
                planar_configuration: int = 0, ybr_to_rgb: bool = False,
                allow_truncated: bool = False, cornell: bool | None = None,
                pred6_wrap: bool = False, fast_idct: bool = False, label: str = "JPEG",
                frame: int | None = None) -> int: ...
def encode_turbo(arr: npt.NDArray[Any], info: FrameInfo, *, quality: int, subsampling: int,
                 optimize_huffman: bool = True, restart_interval: int = 0,
                 color_transform: bool = True, input_ybr: bool = False,
                 progressive: bool = False, planar_configuration: int = 0,
                 label: str = "JPEG", frame: int | None = None) -> bytes: ...
def encode_ljpeg(arr: npt.NDArray[Any], info: FrameInfo, *, process: int, predictor: int = 1,
                 point_transform: int = 0, quality: int = 90, optimize_huffman: bool = True,
                 restart_interval: int = 0, subsampling: int = 444, chroma_tables: bool = False,
                 planar_configuration: int = 0, label: str = "JPEG",
                 frame: int | None = None) -> bytes: ...
def rgb_to_ybr_u8(arr: npt.NDArray[Any]) -> npt.NDArray[np.uint8]: ...
