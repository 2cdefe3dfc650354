"""The exceptions dicomcodecs raises: what failed, in which frame, and why."""

from __future__ import annotations


class _CodecError(ValueError):
    def __init__(self, codec: str, frame: int | None, cause: str) -> None:
        self.codec = codec
        self.frame = frame
        self.cause = cause
        where = "frame ?" if frame is None else f"frame {frame}"
        super().__init__(f"{codec}: {where}: {cause}")


class DecodeError(_CodecError):
    """Encoded pixel data could not be decoded."""


class EncodeError(_CodecError):
    """Pixel data could not be encoded with the requested syntax or options."""
