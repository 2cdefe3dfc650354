"""FrameInfo: what a decoder or encoder needs to know about one frame,
checked when it is built."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ._errors import InvalidInputError, UnsupportedError
from ._uids import resolve

_DTYPES = {
    (1, 0): np.uint8,  # Bits Allocated 1: one 0/1 byte per sample once decoded
    (8, 0): np.uint8, (8, 1): np.int8,
    (16, 0): np.uint16, (16, 1): np.int16,
    (32, 0): np.uint32, (32, 1): np.int32,
    (64, 0): np.uint64, (64, 1): np.int64,
}

# PS3.3 C.7.6.3.1.2 (with the retired ones files still carry) and the JPEG XL
# XYB of PS3.5 8.2.15.
PHOTOMETRIC_INTERPRETATIONS = frozenset({
    "MONOCHROME1", "MONOCHROME2", "PALETTE COLOR", "RGB", "YBR_FULL", "YBR_FULL_422",
    "YBR_PARTIAL_422", "YBR_PARTIAL_420", "YBR_ICT", "YBR_RCT", "XYB", "HSV", "ARGB", "CMYK",
})

# The attributes from_dataset reads: keyword -> tag, for messages.
_TAGS = {
    "Rows": "(0028,0010)", "Columns": "(0028,0011)", "SamplesPerPixel": "(0028,0002)",
    "BitsAllocated": "(0028,0100)", "BitsStored": "(0028,0101)",
    "PixelRepresentation": "(0028,0103)", "PhotometricInterpretation": "(0028,0004)",
    "PlanarConfiguration": "(0028,0006)",
}


def _int_field(name: str, value: Any, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidInputError(f"FrameInfo.{name} must be an integer, not {value!r}")
    if not lo <= value <= hi:
        raise InvalidInputError(f"FrameInfo.{name}={int(value)} is outside {lo}..{hi}")
    return int(value)


@dataclass(frozen=True)
class FrameInfo:
    """The Image Pixel attributes of one frame, as the dataset states them.

    Parameters
    ----------
    transfer_syntax : str
        A UID, pydicom keyword (``"RLELossless"``) or alias (``"rle"``, as
        ``dicomcodecs info`` lists); stored as the UID. Native syntaxes
        (Explicit VR Little Endian, ...) are accepted too.
    rows, columns : int
        1 to 65535.
    samples_per_pixel : int
        1 or 3.
    bits_allocated : int
        1, or a multiple of 8 up to 64.
    bits_stored : int
        1 to ``bits_allocated``.
    pixel_representation : int
        0 unsigned, 1 signed.
    photometric_interpretation : str
        One of PS3.3's (``MONOCHROME2``, ``RGB``, ``YBR_FULL_422``, ...).
    planar_configuration : int
        0 interleaved (default), 1 colour-by-plane.

    Raises
    ------
    InvalidInputError
        (a ValueError) a value out of range, or a transfer syntax name that
        is neither a UID nor a keyword or alias dicomcodecs knows.
    UnknownSyntaxError
        (also a NotImplementedError) an unknown transfer syntax UID.

    Example
    -------
    >>> info = FrameInfo("rle", 512, 512, 1, 16, 12, 1, "MONOCHROME2")
    >>> info.transfer_syntax, info.shape, info.dtype
    ('1.2.840.10008.1.2.5', (512, 512), dtype('int16'))
    """

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
        def put(name: str, value: Any) -> None:
            object.__setattr__(self, name, value)

        if not isinstance(self.transfer_syntax, str):
            raise TypeError(f"FrameInfo.transfer_syntax must be a str (UID, keyword or alias), "
                            f"not {type(self.transfer_syntax).__name__}")
        put("transfer_syntax", resolve(self.transfer_syntax, native=True, registered=True))
        put("rows", _int_field("rows", self.rows, 1, 65535))
        put("columns", _int_field("columns", self.columns, 1, 65535))
        spp = self.samples_per_pixel
        if isinstance(spp, bool) or not isinstance(spp, (int, np.integer)) or spp not in (1, 3):
            raise InvalidInputError(f"FrameInfo.samples_per_pixel must be 1 or 3, not {spp!r}")
        put("samples_per_pixel", int(spp))
        ba = _int_field("bits_allocated", self.bits_allocated, 1, 64)
        if ba != 1 and ba % 8:
            raise InvalidInputError(f"FrameInfo.bits_allocated: Bits Allocated {ba} is neither "
                                    "1 nor a multiple of 8")
        put("bits_allocated", ba)
        put("bits_stored", _int_field("bits_stored", self.bits_stored, 1, ba))
        for name in ("pixel_representation", "planar_configuration"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v not in (0, 1):
                raise InvalidInputError(f"FrameInfo.{name} must be 0 or 1, not {v!r}")
            put(name, int(v))
        pi = self.photometric_interpretation
        pi = pi.strip().upper() if isinstance(pi, str) else pi
        if pi not in PHOTOMETRIC_INTERPRETATIONS:
            raise InvalidInputError(
                f"FrameInfo.photometric_interpretation {self.photometric_interpretation!r} is "
                f"not one of {', '.join(sorted(PHOTOMETRIC_INTERPRETATIONS))}")
        put("photometric_interpretation", pi)

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype of one decoded sample (uint8 for Bits Allocated 1)."""
        if self.bits_allocated == 1:
            return np.dtype(np.uint8)
        try:
            return np.dtype(_DTYPES[(self.bits_allocated, self.pixel_representation)])
        except KeyError:
            raise UnsupportedError(f"Bits Allocated {self.bits_allocated} (Pixel Representation "
                                   f"{self.pixel_representation}): dicomcodecs decodes 1 "
                                   "(unsigned), 8, 16, 32 or 64-bit samples") from None

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
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    @classmethod
    def from_dataset(cls, ds: Any, transfer_syntax: str | None = None) -> "FrameInfo":
        """Read the Image Pixel attributes of a pydicom Dataset.

        Parameters
        ----------
        ds : pydicom.Dataset
            With ``file_meta.TransferSyntaxUID`` unless `transfer_syntax` is given.
        transfer_syntax : str, optional
            Overrides the dataset's.

        Returns
        -------
        FrameInfo

        Raises
        ------
        InvalidInputError
            An attribute is missing, empty or out of range; the message names it.
        UnknownSyntaxError
            The transfer syntax is not one dicomcodecs knows.

        Example
        -------
        >>> info = FrameInfo.from_dataset(pydicom.dcmread("ct.dcm", stop_before_pixels=True))
        """
        if transfer_syntax is None:
            meta = getattr(ds, "file_meta", None)
            transfer_syntax = getattr(meta, "TransferSyntaxUID", None) if meta is not None else None
            if transfer_syntax is None:
                raise InvalidInputError("the dataset has no (0002,0010) Transfer Syntax UID "
                                        "in its file meta information")

        def get(keyword: str, default: Any = None) -> Any:
            try:
                value = ds.get(keyword, default)
            except Exception as exc:  # a value pydicom cannot parse
                raise InvalidInputError(f"the dataset's {_TAGS[keyword]} {keyword} cannot be "
                                        f"read: {exc}") from None
            if value is None or value == "":
                if default is not None:
                    return default
                what = "has no" if keyword not in ds else "has an empty"
                raise InvalidInputError(f"the dataset {what} {_TAGS[keyword]} {keyword}")
            if keyword == "PhotometricInterpretation":
                return str(value)
            try:
                return int(value)
            except (TypeError, ValueError):
                raise InvalidInputError(f"the dataset's {_TAGS[keyword]} {keyword} is "
                                        f"{value!r}, not an integer") from None

        spp = get("SamplesPerPixel")
        bits_allocated = get("BitsAllocated")
        fields = dict(
            transfer_syntax=str(transfer_syntax),
            rows=get("Rows"),
            columns=get("Columns"),
            samples_per_pixel=spp,
            bits_allocated=bits_allocated,
            bits_stored=get("BitsStored", bits_allocated),
            pixel_representation=get("PixelRepresentation", 0),
            photometric_interpretation=get("PhotometricInterpretation"),
            planar_configuration=get("PlanarConfiguration", 0) if spp > 1 else 0,
        )
        try:
            return cls(**fields)
        except InvalidInputError as exc:
            # name the attribute, not the FrameInfo field
            msg = str(exc)
            for keyword, tag in _TAGS.items():
                field = "".join("_" + c.lower() if c.isupper() else c for c in keyword)[1:]
                msg = msg.replace(f"FrameInfo.{field}", f"the dataset's {tag} {keyword}")
            raise type(exc)(msg) from None
