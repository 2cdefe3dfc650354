"""The exceptions dicomcodecs raises: what failed, in which frame, and why.

One family, so a caller can catch everything dicomcodecs refuses with
``except dicomcodecs.DicomCodecsError``, while each class also derives from
the built-in a caller would already catch:

====================  ==========================  =====================================
class                 also a                      raised for
====================  ==========================  =====================================
DicomCodecsError      Exception                   (the base of all below)
InvalidInputError     ValueError                  not a DICOM file, a truncated file, a
                                                  missing or impossible attribute, a bad
                                                  argument value (``threads=0``, rows=0)
FrameIndexError       IndexError (and the above)  ``frames`` out of range
DecodeError           ValueError                  encoded data a codec cannot decode
EncodeError           ValueError                  pixels or options a codec cannot encode
OutputTooSmallError   ValueError                  an ``out=`` buffer too small for a frame
CodecMemoryError      MemoryError                 a codec ran out of memory
UnsupportedError      NotImplementedError         no codec for the transfer syntax, or a
                                                  feature no codec here implements
UnknownSyntaxError    ValueError and              a transfer syntax name or UID that
                      NotImplementedError         dicomcodecs does not know
====================  ==========================  =====================================

Wrong argument *types* raise a plain ``TypeError`` saying what is accepted.
"""

from __future__ import annotations


class DicomCodecsError(Exception):
    """Base class of every error dicomcodecs raises for bad input or
    unsupported data."""


class InvalidInputError(DicomCodecsError, ValueError):
    """The input is not usable: not DICOM, truncated, an attribute missing or
    out of range, or an argument value dicomcodecs refuses. `source` names
    the input when there is one (the message starts with it); `reason` is
    the message without it."""

    def __init__(self, reason: str, *, source: str | None = None) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}" if source else reason)


class FrameIndexError(InvalidInputError, IndexError):
    """A requested frame does not exist."""


class UnsupportedError(DicomCodecsError, NotImplementedError):
    """No codec serves this transfer syntax or feature."""


class UnknownSyntaxError(InvalidInputError, UnsupportedError):
    """A transfer syntax name or UID dicomcodecs does not know: both a bad
    value (ValueError) and something unsupported (NotImplementedError)."""


class _CodecError(DicomCodecsError):
    """An error located in one codec and (when known) one frame."""

    def __init__(self, codec: str, frame: int | None, cause: str) -> None:
        self.codec = codec
        self.frame = frame
        self.cause = cause
        # frame None: not about one frame (an option, the whole dataset)
        super().__init__(f"{codec}: {cause}" if frame is None else f"{codec}: frame {frame}: {cause}")

    def __reduce__(self):  # picklable across worker processes
        return (type(self), (self.codec, self.frame, self.cause))


class DecodeError(_CodecError, ValueError):
    """Encoded pixel data could not be decoded."""


class EncodeError(_CodecError, ValueError):
    """Pixel data could not be encoded with the requested syntax or options."""


class OutputTooSmallError(_CodecError, ValueError):
    """The output buffer given to a codec cannot hold the frame."""


class CodecMemoryError(_CodecError, MemoryError):
    """A codec could not allocate the memory it needed."""
