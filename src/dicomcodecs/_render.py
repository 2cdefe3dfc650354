"""Decoded frames made fit for a person to look at: 8-bit, with the modality
LUT, the VOI LUT or window and MONOCHROME1 inversion applied as pydicom's
`apply_modality_lut` / `apply_voi_lut` do; written as PNG with Pillow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

PNG_EXTRA = "PNG output needs Pillow: pip install 'dicomcodecs[png]'"


def require_pillow() -> None:
    """ImportError naming the extra when Pillow is missing."""
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        raise ImportError(PNG_EXTRA) from None


def _stretch(values: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
    """lo..hi (numbers, or arrays that broadcast) -> 0..255."""
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    span = hi - lo
    scale = np.divide(255.0, span, out=np.zeros_like(span), where=span > 0)
    out = (np.asarray(values, np.float64) - lo) * scale
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _voi_range(ds: Any) -> tuple[float, float]:
    """The range apply_voi_lut's output spans: a VOI LUT's values, or for a
    window the range of the stored values after the rescale (pydicom's rule
    for apply_windowing)."""
    if "VOILUTSequence" in ds:
        item = ds.VOILUTSequence[0]
        bits = int(item.LUTDescriptor[2])
        raw = item.LUTData
        data = np.asarray(raw if not isinstance(raw, (bytes, bytearray))
                          else np.frombuffer(raw, "<u1" if bits <= 8 else "<u2"))
        return float(data.min()), float(data.max())
    bits = int(ds.BitsStored)
    if int(ds.PixelRepresentation):
        lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    else:
        lo, hi = 0, 2 ** bits - 1
    slope, intercept = ds.get("RescaleSlope"), ds.get("RescaleIntercept")
    if slope is not None and intercept is not None:
        lo, hi = lo * float(slope) + float(intercept), hi * float(slope) + float(intercept)
    return float(min(lo, hi)), float(max(lo, hi))


def display(frames: np.ndarray, ds: Any) -> np.ndarray:
    """(n, rows, columns[, 3]) decoded frames (RGB for colour) -> uint8 of
    the same shape, rendered as a viewer would show them. Without a VOI LUT
    or window each frame's own minimum and maximum span black to white."""
    from pydicom.pixels import apply_color_lut, apply_modality_lut, apply_voi_lut

    pi = str(ds.get("PhotometricInterpretation", "MONOCHROME2")).strip()
    if frames.ndim == 4:  # colour, already RGB
        bits = int(ds.get("BitsStored", frames.dtype.itemsize * 8))
        return _stretch(frames, 0, 2 ** bits - 1) if frames.dtype.itemsize > 1 \
            else frames.astype(np.uint8)
    if pi == "PALETTE COLOR":
        rgb = apply_color_lut(frames, ds)
        return rgb if rgb.dtype == np.uint8 else _stretch(rgb, 0, 65535)
    values = apply_modality_lut(frames, ds)
    if "VOILUTSequence" in ds or "WindowCenter" in ds:
        values = apply_voi_lut(values, ds)
        lo, hi = _voi_range(ds)
    else:  # each frame its own range: the same image whichever frames are asked for
        lo = values.min(axis=(1, 2), keepdims=True)
        hi = values.max(axis=(1, 2), keepdims=True)
    out = _stretch(values, lo, hi)
    if pi == "MONOCHROME1":
        np.subtract(255, out, out=out)
    return out


def save_png(image: np.ndarray, path: Path) -> None:
    from PIL import Image

    Image.fromarray(np.ascontiguousarray(image)).save(path, format="PNG")


def png_size(path: Path) -> tuple[int, int] | None:
    """(rows, columns) of a whole, readable PNG; None otherwise."""
    from PIL import Image

    try:
        with Image.open(path) as im:
            im.load()  # reads every row: a cut file fails here
            return im.height, im.width
    except Exception:  # any reason Pillow cannot read it makes it incomplete
        return None
