"""dicomcodecs: C-accelerated pixel codecs for DICOM (RLE, JPEG, JPEG-LS,
JPEG 2000, HTJ2K) behind one numpy API and a pydicom plugin."""

from types import ModuleType
from typing import TYPE_CHECKING

from ._version import __version__
from ._errors import (
    CodecMemoryError,
    DecodeError,
    DicomCodecsError,
    EncodeError,
    FrameIndexError,
    InvalidInputError,
    OutputTooSmallError,
    UnknownSyntaxError,
    UnsupportedError,
)
from ._info import FrameInfo
from .registry import Codec, codecs, register_codec, unregister_codec
from ._api import (
    compress,
    decode_frame,
    decode_frames,
    decompress,
    encode_frame,
    encode_frames,
    iter_frames,
    pixel_array,
)
from ._builtin import register_builtin as _register_builtin

_register_builtin()

if TYPE_CHECKING:
    from . import pydicom as pydicom
else:
    def __getattr__(name: str) -> ModuleType:
        # `dicomcodecs.pydicom` imports pydicom: load it on use, so that the
        # frame-level API never imports pydicom.
        if name == "pydicom":
            import importlib

            return importlib.import_module(".pydicom", __name__)
        raise AttributeError(f"module 'dicomcodecs' has no attribute {name!r}")


__all__ = [
    "__version__", "DicomCodecsError", "DecodeError", "EncodeError", "InvalidInputError",
    "FrameIndexError", "UnsupportedError", "UnknownSyntaxError", "OutputTooSmallError",
    "CodecMemoryError", "FrameInfo", "Codec", "codecs",
    "register_codec", "unregister_codec", "compress", "decode_frame", "decode_frames",
    "decompress", "encode_frame", "encode_frames", "iter_frames", "pixel_array",
]
