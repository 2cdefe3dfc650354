"""Option parsing and sample helpers every codec family shares."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import EncodeError
from .._info import FrameInfo

_YBR = ("YBR_FULL", "YBR_FULL_422")


def package_version() -> str:
    """The version of our own C engines: the package's."""
    from .._version import __version__
    return __version__


def wants_rgb(info: FrameInfo, as_rgb: bool) -> bool:
    """Whether a decoder should turn this frame's YBR_FULL(_422) into RGB."""
    return (as_rgb and info.samples_per_pixel == 3
            and info.photometric_interpretation in _YBR)


def int_option(options: dict[str, Any], name: str, default: int, lo: int, hi: int,
               label: str, frame: int | None) -> int:
    """options[name] as an int in lo..hi (default when absent or None)."""
    v = options.get(name)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
        raise EncodeError(label, frame, f"{name}={v!r} is not an integer in {lo}..{hi}")
    return int(v)


def bool_option(options: dict[str, Any], name: str, default: bool, label: str,
                frame: int | None) -> bool:
    """options[name] as a bool (default when absent or None)."""
    v = options.get(name)
    if v is None:
        return default
    if not isinstance(v, (bool, int, np.integer, np.bool_)) or int(v) not in (0, 1):
        raise EncodeError(label, frame, f"{name}={v!r} is not a bool")
    return bool(v)


def narrow(arr: np.ndarray, info: FrameInfo, bits: int, label: str,
           frame: int | None) -> tuple[np.ndarray, FrameInfo]:
    """Samples in a wider container than the engine takes -> `bits`-bit
    containers (as pydicom does before encoding), refusing values outside
    Bits Stored's range."""
    bs = info.bits_stored
    lo, hi = (-(1 << (bs - 1)), (1 << (bs - 1)) - 1) if info.pixel_representation else \
             (0, (1 << bs) - 1)
    if arr.size and (arr.min() < lo or arr.max() > hi):
        raise EncodeError(label, frame, f"sample values {arr.min()}..{arr.max()} are "
                          f"outside {lo}..{hi}, the range of {bs}-bit samples")
    dtype = np.dtype(f"{'i' if info.pixel_representation else 'u'}{bits // 8}")
    return np.ascontiguousarray(arr.astype(dtype)), info.replace(bits_allocated=bits)
