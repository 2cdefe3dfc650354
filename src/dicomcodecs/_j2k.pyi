"""Type stub for _j2k.pyx: the thin binding of OpenJPEG and OpenJPH (the
Codecs are dicomcodecs.families.j2k)."""

from typing import Any

import numpy as np
import numpy.typing as npt

from ._info import FrameInfo

PROGRESSIONS: tuple[str, ...]

def openjpeg_version() -> str: ...
def openjph_version() -> str: ...
def read_header(src: Any, *, label: str = "JPEG 2000",
                frame: int | None = None) -> dict[str, Any]: ...
def reduced(n: int, k: int) -> int: ...
def decode_into(src: Any, info: FrameInfo, out: npt.NDArray[Any], *, reduce: int = 0,
                engine_threads: int = 0, engine: str = "openjpeg", fallback: bool = True,
                ybr_to_rgb: bool = False, label: str = "JPEG 2000",
                frame: int | None = None) -> None: ...
def encode_openjpeg(arr: npt.NDArray[Any], info: FrameInfo, *, reversible: bool = True,
                    mct: bool = True, levels: int = -1, tile: tuple[int, int] = (0, 0),
                    progression: int = 0, block: tuple[int, int] = (64, 64),
                    layers: tuple[float, ...] | list[float] = (), use_psnr: bool = False,
                    tlm: bool = False, engine_threads: int = 0, label: str = "JPEG 2000",
                    frame: int | None = None) -> bytes: ...
def encode_openjph(arr: npt.NDArray[Any], info: FrameInfo, *, reversible: bool = True,
                   mct: bool = True, levels: int = 5, tile: tuple[int, int] = (0, 0),
                   progression: int = 2, block: tuple[int, int] = (64, 64), qstep: float = 0.0,
                   tlm: bool = False, label: str = "HTJ2K", frame: int | None = None) -> bytes: ...
