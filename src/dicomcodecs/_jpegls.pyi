"""Type stub for _jpegls.pyx: the thin binding of our JPEG-LS codec (the
Codecs are dicomcodecs.families.jpegls)."""

from typing import Any

import numpy as np
import numpy.typing as npt

from ._info import FrameInfo

def version() -> str: ...
def read_header(src: Any, *, label: str = "JPEG-LS",
                frame: int | None = None) -> dict[str, Any]: ...
def decode_components(src: Any, *, label: str = "JPEG-LS",
                      frame: int | None = None) -> list[npt.NDArray[np.uint16]]: ...
def decode_into(src: Any, info: FrameInfo, out: npt.NDArray[Any], *,
                planar_configuration: int = 0, ybr_to_rgb: bool = False,
                label: str = "JPEG-LS", frame: int | None = None) -> None: ...
def encode(arr: npt.NDArray[Any], info: FrameInfo, *, near_lossless: int = 0,
           interleave_mode: int = 2, preset: dict[str, int] | None = None,
           planar_configuration: int = 0, label: str = "JPEG-LS",
           frame: int | None = None) -> bytes: ...
