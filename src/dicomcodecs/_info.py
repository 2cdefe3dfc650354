"""FrameInfo: what a decoder or encoder needs to know about one frame."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

_DTYPES = {
    (1, 0): np.uint8,  # Bits Allocated 1: one 0/1 byte per sample once decoded
    (8, 0): np.uint8, (8, 1): np.int8,
    (16, 0): np.uint16, (16, 1): np.int16,
    (32, 0): np.uint32, (32, 1): np.int32,
    (64, 0): np.uint64, (64, 1): np.int64,
}


@dataclass(frozen=True)
class FrameInfo:
    """The Image Pixel attributes of one frame, as the dataset states them."""

    transfer_syntax: str
    rows: int
    columns: int
    samples_per_pixel: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    photometric_interpretation: str
    planar_configuration: int = 0

    def __post_init__(self) -> None:
        for name in ("rows", "columns", "samples_per_pixel", "bits_allocated", "bits_stored"):
            v = getattr(self, name)
            if not isinstance(v, (int, np.integer)) or v < 0:
                raise ValueError(f"FrameInfo.{name} must be a non-negative integer, not {v!r}")
        if self.pixel_representation not in (0, 1):
            raise ValueError("FrameInfo.pixel_representation must be 0 or 1")
        if self.planar_configuration not in (0, 1):
            raise ValueError("FrameInfo.planar_configuration must be 0 or 1")

    @property
    def dtype(self) -> np.dtype:
        try:
            return np.dtype(_DTYPES[(self.bits_allocated, self.pixel_representation)])
        except KeyError:
            raise ValueError(f"Bits Allocated {self.bits_allocated} (Pixel Representation "
                             f"{self.pixel_representation}) is not 1 (unsigned), 8, 16, 32 "
                             "or 64") from None

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one decoded frame: (rows, columns[, samples])."""
        if self.samples_per_pixel == 1:
            return (self.rows, self.columns)
        return (self.rows, self.columns, self.samples_per_pixel)

    @property
    def frame_bytes(self) -> int:
        """Bytes of one frame as stored natively (Bits Allocated 1: packed,
        rounded up to whole bytes)."""
        return (self.rows * self.columns * self.samples_per_pixel * self.bits_allocated + 7) // 8

    def replace(self, **changes: Any) -> "FrameInfo":
        return replace(self, **changes)

    @classmethod
    def from_dataset(cls, ds: Any, transfer_syntax: str | None = None) -> "FrameInfo":
        """Read the Image Pixel attributes of a pydicom Dataset."""
        if transfer_syntax is None:
            meta = getattr(ds, "file_meta", None)
            transfer_syntax = getattr(meta, "TransferSyntaxUID", None) if meta is not None else None
            if transfer_syntax is None:
                raise ValueError("the dataset has no (0002,0010) Transfer Syntax UID")
        try:
            spp = int(ds.SamplesPerPixel)
            bits_allocated = int(ds.BitsAllocated)
            return cls(
                transfer_syntax=str(transfer_syntax),
                rows=int(ds.Rows),
                columns=int(ds.Columns),
                samples_per_pixel=spp,
                bits_allocated=bits_allocated,
                bits_stored=int(ds.get("BitsStored", bits_allocated)),
                pixel_representation=int(ds.get("PixelRepresentation", 0)),
                photometric_interpretation=str(ds.PhotometricInterpretation),
                planar_configuration=int(ds.get("PlanarConfiguration", 0) or 0) if spp > 1 else 0,
            )
        except AttributeError as exc:
            raise ValueError(f"the dataset lacks an Image Pixel attribute: {exc}") from None
