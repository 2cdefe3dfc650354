"""Type stub for _j2k.pyx: JPEG 2000 (OpenJPEG) and HTJ2K (OpenJPH, OpenJPEG)."""

from typing import Any

import numpy.typing as npt

from ._info import FrameInfo
from .registry import Codec

J2K_LOSSLESS: str
J2K: str
HTJ2K_LOSSLESS: str
HTJ2K_LOSSLESS_RPCL: str
HTJ2K: str
HTJ2K_DECODER: str
PROGRESSIONS: tuple[str, ...]
J2K_SYNTAXES: tuple[str, ...]
HTJ2K_SYNTAXES: tuple[str, ...]

def openjpeg_version() -> str: ...
def openjph_version() -> str: ...
def parse(src: Any) -> dict[str, Any]: ...
def decode_into(src: Any, out: npt.NDArray[Any], info: FrameInfo, *, reduce: int = 0,
                threads: int = 0, frame: int | None = None, engine: str = "openjpeg",
                codec: str = "JPEG 2000", ybr_to_rgb: bool = False,
                fallback: bool = True) -> None: ...
def encode_openjpeg(arr: npt.NDArray[Any], info: FrameInfo, *, reversible: bool = True,
                    mct: bool = True, levels: int = -1, tile: tuple[int, int] = (0, 0),
                    progression: int = 0, block: tuple[int, int] = (64, 64),
                    layers: tuple[float, ...] | list[float] = (), use_psnr: bool = False,
                    tlm: bool = False, threads: int = 0, frame: int | None = None,
                    codec: str = "JPEG 2000") -> bytes: ...
def encode_openjph(arr: npt.NDArray[Any], info: FrameInfo, *, reversible: bool = True,
                   mct: bool = True, levels: int = 5, tile: tuple[int, int] = (0, 0),
                   progression: int = 2, block: tuple[int, int] = (64, 64), qstep: float = 0.0,
                   tlm: bool = False, frame: int | None = None,
                   codec: str = "HTJ2K") -> bytes: ...

class J2KCodec(Codec):
    def decode_into(self, src: Any, info: FrameInfo, out: npt.NDArray[Any], *,
                    as_rgb: bool = True, reduce: int = 0, frame: int | None = None,
                    engine_threads: int = 0) -> None: ...

class HTJ2KCodec(J2KCodec): ...

def codecs() -> list[Codec]: ...
