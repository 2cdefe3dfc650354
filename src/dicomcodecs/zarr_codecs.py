"""numcodecs and zarr codecs, one per codec family, that store image chunks
with dicomcodecs' encoders: a zarr v2 `compressor` and a zarr v3
array-to-bytes codec (`serializer`).

Needs the optional extra: ``pip install 'dicomcodecs[zarr]'`` (numcodecs;
zarr >= 3 for the v3 codecs). Installed, they are found by name through the
``numcodecs.codecs`` and ``zarr.codecs`` entry points; nothing to import.

======================  ======================================  =============
codec id / v3 name      transfer syntax with no arguments       pixels
======================  ======================================  =============
dicomcodecs_rle         RLE Lossless                            lossless
dicomcodecs_jpeg        JPEG Baseline 8-bit                     **lossy**
dicomcodecs_jpeg_ll     JPEG Lossless SV1                       lossless
dicomcodecs_jpegls      JPEG-LS Lossless                        lossless
dicomcodecs_j2k         JPEG 2000 Lossless                      lossless
dicomcodecs_htj2k       HTJ2K Lossless                          lossless
dicomcodecs_jpegxl      JPEG XL Lossless (builds that have it)  lossless
dicomcodecs_deflate     Deflated Image Frame (builds with it)   lossless
======================  ======================================  =============

Baseline JPEG has no lossless mode: ``dicomcodecs_jpeg`` is lossy whatever
its options (``quality=95`` by default of the encoder). Each codec takes
``transfer_syntax`` (any syntax of its family: alias, keyword or UID, e.g.
``"j2k"`` for lossy JPEG 2000), ``samples_per_pixel`` (1, or 3 when the last
axis of a chunk holds colour samples), ``bits_stored`` (default: all the bits
of the dtype) and the encoder's options (``dicomcodecs.compress``'s names).

A chunk is 2-D (one frame) or 3-D (frames along the first axis); with
``samples_per_pixel=3`` one axis more. Only unsigned/signed integer dtypes a
syntax can hold are accepted (baseline JPEG: uint8; ...): anything else is an
``EncodeError``, never a silent cast. The encoded chunk is self-describing:
``DCZ1``, the frame count and image attributes, the stored photometric
interpretation, each frame's length, then the frames' codestreams.
"""

from __future__ import annotations

import struct
from typing import Any, ClassVar

import numpy as np

try:
    from numcodecs.abc import Codec as _NumCodec
except ImportError:
    raise ImportError("dicomcodecs.zarr_codecs needs numcodecs: "
                      "pip install 'dicomcodecs[zarr]'") from None

from ._errors import DecodeError, EncodeError
from ._info import FrameInfo
from ._uids import SYNTAXES, resolve
from .registry import get_decoder, get_encoder

__all__ = ["DicomCodec", "FAMILIES", "available"]

_MAGIC = b"DCZ1"
_HEAD = struct.Struct("<4sIIIHBBBB")  # magic, frames, rows, columns, samples, bits
                                      # allocated, bits stored, signed, len(photometric)

# codec id -> how its family's syntaxes are recognised (pydicom keyword
# prefixes; a later entry never claims an earlier one's syntaxes). Which
# syntaxes exist, and which of them this build encodes, comes from
# _uids.SYNTAXES and the registry.
FAMILIES: dict[str, tuple[str, ...]] = {
    "dicomcodecs_rle": ("RLE",),
    "dicomcodecs_jpeg": ("JPEGBaseline", "JPEGExtended"),
    "dicomcodecs_jpeg_ll": ("JPEGLossless",),
    "dicomcodecs_jpegls": ("JPEGLS",),
    "dicomcodecs_j2k": ("JPEG2000",),
    "dicomcodecs_htj2k": ("HTJ2K",),
    "dicomcodecs_jpegxl": ("JPEGXL",),
    "dicomcodecs_deflate": ("DeflatedImageFrame",),
}


def _family_syntaxes(codec_id: str) -> list[str]:
    """The UIDs of a family this build can encode, lossless ones first."""
    prefixes = FAMILIES[codec_id]
    uids = [s.uid for s in SYNTAXES.values() if s.keyword.startswith(prefixes)]
    ok = []
    for uid in uids:
        try:
            get_encoder(uid)
        except NotImplementedError:
            continue
        ok.append(uid)
    return sorted(ok, key=lambda u: SYNTAXES[u].lossy)


def available() -> list[str]:
    """The codec ids this build provides (a family with no encoder is left out)."""
    return [cid for cid in FAMILIES if _family_syntaxes(cid)]


class DicomCodec(_NumCodec):
    """Base of the per-family codecs (see the module docstring)."""

    codec_id: str | None = None

    def __init__(self, transfer_syntax: str | None = None, samples_per_pixel: int = 1,
                 bits_stored: int | None = None, **options: Any) -> None:
        family = _family_syntaxes(self.codec_id)
        if not family:
            raise NotImplementedError(f"{self.codec_id}: this build of dicomcodecs has no "
                                      f"encoder for the {self.codec_id[12:]} family")
        uid = family[0] if transfer_syntax is None else resolve(transfer_syntax)
        if uid not in family:
            names = ", ".join(SYNTAXES[u].alias for u in family)
            raise ValueError(f"{self.codec_id}: transfer_syntax {transfer_syntax!r} is not one "
                             f"of this family's: {names}")
        if samples_per_pixel not in (1, 3):
            raise ValueError(f"{self.codec_id}: samples_per_pixel must be 1 or 3")
        encoder = get_encoder(uid)
        unknown = sorted(set(options) - set(getattr(encoder, "encode_options", ())))
        if unknown:
            raise ValueError(f"{self.codec_id}: unknown option(s) {', '.join(unknown)}; "
                             f"{SYNTAXES[uid].name} takes "
                             f"{', '.join(sorted(encoder.encode_options)) or 'none'}")
        self.transfer_syntax = uid
        self.samples_per_pixel = int(samples_per_pixel)
        self.bits_stored = None if bits_stored is None else int(bits_stored)
        self.options = dict(options)

    # -- numcodecs' contract

    def get_config(self) -> dict[str, Any]:
        config = {"id": self.codec_id, "transfer_syntax": self.transfer_syntax,
                  "samples_per_pixel": self.samples_per_pixel}
        if self.bits_stored is not None:
            config["bits_stored"] = self.bits_stored
        config.update(self.options)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "DicomCodec":
        config = dict(config)
        config.pop("id", None)
        return cls(**config)

    def __eq__(self, other: Any) -> bool:
        return type(other) is type(self) and other.get_config() == self.get_config()

    def __hash__(self) -> int:  # zarr v3 codecs are frozen dataclasses holding one of these
        import json

        return hash(json.dumps(self.get_config(), sort_keys=True, default=str))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "id")
        return f"{type(self).__name__}({args})"

    def encode(self, buf: Any) -> bytes:
        from ._api import encode_frames

        arr = np.asarray(buf)
        name = f"{self.codec_id} ({SYNTAXES[self.transfer_syntax].name})"
        if arr.dtype.kind not in "ui":
            raise EncodeError(name, None, f"cannot store {arr.dtype} samples: the syntax holds "
                                          "unsigned or signed integers only (no cast is made)")
        frame_ndim = 2 if self.samples_per_pixel == 1 else 3
        if arr.ndim == frame_ndim:
            arr = arr[None]
        elif arr.ndim != frame_ndim + 1:
            raise EncodeError(name, None, f"a chunk of shape {arr.shape}: expected "
                                          f"{frame_ndim} dimensions (one frame) or "
                                          f"{frame_ndim + 1} (frames first)")
        if self.samples_per_pixel == 3 and arr.shape[-1] != 3:
            raise EncodeError(name, None, f"samples_per_pixel=3 but the chunk's last axis has "
                                          f"{arr.shape[-1]}")
        pi = "RGB" if self.samples_per_pixel == 3 else "MONOCHROME2"
        frames = encode_frames(arr, self.transfer_syntax, photometric_interpretation=pi,
                               bits_stored=self.bits_stored, threads=1, **self.options)
        bits = arr.dtype.itemsize * 8
        info = FrameInfo(self.transfer_syntax, arr.shape[1], arr.shape[2],
                         self.samples_per_pixel, bits,
                         bits if self.bits_stored is None else self.bits_stored,
                         1 if arr.dtype.kind == "i" else 0, pi)
        stored = get_encoder(self.transfer_syntax).encoded_attributes(
            info, **self.options)["photometric_interpretation"].encode("ascii")
        head = _HEAD.pack(_MAGIC, len(frames), info.rows, info.columns, info.samples_per_pixel,
                          info.bits_allocated, info.bits_stored, info.pixel_representation,
                          len(stored))
        lengths = struct.pack(f"<{len(frames)}Q", *map(len, frames))
        return b"".join([head, stored, lengths, *frames])

    def decode(self, buf: Any, out: Any = None) -> np.ndarray:
        from ._api import decode_frames

        from numcodecs.compat import ensure_contiguous_ndarray

        src = memoryview(ensure_contiguous_ndarray(buf)).cast("B")
        name = f"{self.codec_id} ({SYNTAXES[self.transfer_syntax].name})"
        if len(src) < _HEAD.size or bytes(src[:4]) != _MAGIC:
            raise DecodeError(name, None, "not a chunk written by this codec (no DCZ1 header)")
        _, n, rows, columns, spp, bits, stored, signed, pi_len = _HEAD.unpack_from(src)
        pos = _HEAD.size + pi_len + 8 * n
        if pos > len(src):
            raise DecodeError(name, None, "chunk cut short inside its header")
        pi = bytes(src[_HEAD.size:_HEAD.size + pi_len]).decode("ascii")
        lengths = struct.unpack_from(f"<{n}Q", src, _HEAD.size + pi_len)
        if pos + sum(lengths) > len(src):
            raise DecodeError(name, None, f"chunk cut short: {len(src)} bytes, its frames need "
                                          f"{pos + sum(lengths)}")
        frames = []
        for length in lengths:
            frames.append(src[pos:pos + length])
            pos += length
        info = FrameInfo(self.transfer_syntax, rows, columns, spp, bits, stored, signed, pi)
        get_decoder(self.transfer_syntax)  # NotImplementedError when it cannot decode
        result = decode_frames(frames, info, threads=1, as_rgb=True)
        if out is None:
            return result
        from numcodecs.compat import ndarray_copy

        return ndarray_copy(result, out)  # numcodecs checks the size and dtype


def _family_class(codec_id: str, class_name: str) -> type[DicomCodec]:
    return type(class_name, (DicomCodec,), {"codec_id": codec_id, "__module__": __name__,
                                             "__doc__": f"numcodecs codec {codec_id!r}: see "
                                                        "dicomcodecs.zarr_codecs."})


RLE = _family_class("dicomcodecs_rle", "RLE")
JPEG = _family_class("dicomcodecs_jpeg", "JPEG")
JPEGLossless = _family_class("dicomcodecs_jpeg_ll", "JPEGLossless")
JPEGLS = _family_class("dicomcodecs_jpegls", "JPEGLS")
J2K = _family_class("dicomcodecs_j2k", "J2K")
HTJ2K = _family_class("dicomcodecs_htj2k", "HTJ2K")
JPEGXL = _family_class("dicomcodecs_jpegxl", "JPEGXL")
Deflate = _family_class("dicomcodecs_deflate", "Deflate")
NUMCODECS = {c.codec_id: c for c in (RLE, JPEG, JPEGLossless, JPEGLS, J2K, HTJ2K, JPEGXL, Deflate)}


# ------------------------------------------------------------------ zarr v3

try:
    from dataclasses import dataclass

    from zarr.abc.codec import ArrayBytesCodec as _ArrayBytesCodec
except ImportError:  # numcodecs without zarr 3: the v2 codecs above still work
    _ArrayBytesCodec = None

if _ArrayBytesCodec is not None:

    @dataclass(frozen=True)
    class ZarrCodec(_ArrayBytesCodec):
        """A zarr v3 array-to-bytes codec around one of the numcodecs codecs
        (same configuration, same chunk bytes)."""

        numcodec: DicomCodec
        is_fixed_size = False
        family: ClassVar[Any] = None  # the numcodecs class, set per subclass

        def __init__(self, **config: Any) -> None:
            object.__setattr__(self, "numcodec", type(self).family(**config))

        @classmethod
        def from_dict(cls, data: dict[str, Any]) -> "ZarrCodec":
            return cls(**(data.get("configuration") or {}))

        def to_dict(self) -> dict[str, Any]:
            config = self.numcodec.get_config()
            name = config.pop("id")
            return {"name": name, "configuration": config}

        def validate(self, *, shape: Any, dtype: Any, chunk_grid: Any) -> None:
            native = np.dtype(dtype.to_native_dtype())
            if native.kind not in "ui":
                raise EncodeError(self.numcodec.codec_id, None,
                                  f"cannot store {native} samples: the syntax holds unsigned "
                                  "or signed integers only (no cast is made)")

        async def _decode_single(self, chunk_bytes: Any, chunk_spec: Any) -> Any:
            import asyncio

            arr = await asyncio.to_thread(self.numcodec.decode, chunk_bytes.as_array_like())
            arr = arr.reshape(chunk_spec.shape)
            return chunk_spec.prototype.nd_buffer.from_ndarray_like(arr)

        async def _encode_single(self, chunk_array: Any, chunk_spec: Any) -> Any:
            import asyncio

            arr = np.ascontiguousarray(chunk_array.as_numpy_array())
            data = await asyncio.to_thread(self.numcodec.encode, arr)
            return chunk_spec.prototype.buffer.from_bytes(data)

        def compute_encoded_size(self, input_byte_length: int, chunk_spec: Any) -> int:
            raise NotImplementedError  # variable: is_fixed_size is False

    def _zarr_class(numcodec: type[DicomCodec]) -> type:
        return type(f"Zarr{numcodec.__name__}", (ZarrCodec,), {
            "family": numcodec, "__module__": __name__,
            "__doc__": f"zarr v3 codec {numcodec.codec_id!r}: see dicomcodecs.zarr_codecs."})

    ZarrRLE = _zarr_class(RLE)
    ZarrJPEG = _zarr_class(JPEG)
    ZarrJPEGLossless = _zarr_class(JPEGLossless)
    ZarrJPEGLS = _zarr_class(JPEGLS)
    ZarrJ2K = _zarr_class(J2K)
    ZarrHTJ2K = _zarr_class(HTJ2K)
    ZarrJPEGXL = _zarr_class(JPEGXL)
    ZarrDeflate = _zarr_class(Deflate)
