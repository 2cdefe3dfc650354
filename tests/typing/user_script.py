"""A user's program calling every public name of dicomcodecs.

tests/test_packaging.py type-checks it with `mypy --strict` (the package must
give it precise types: py.typed, hints, the .pyi stubs of the extensions) and
runs it (what it asserts must hold)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

import dicomcodecs as dc
import dicomcodecs.pydicom

RLE = "1.2.840.10008.1.2.5"
ROWS, COLUMNS = 12, 10


def image() -> npt.NDArray[np.uint16]:
    values = np.arange(ROWS * COLUMNS, dtype=np.uint16).reshape(ROWS, COLUMNS)
    return (values * 37) % 4096


def dataset(arr: npt.NDArray[np.uint16]) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.Rows, ds.Columns = arr.shape
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 12, 11
    ds.PixelRepresentation = 0
    ds.PixelData = arr.tobytes()
    return ds


class RawCodec(dc.Codec):
    """A third party's codec: RLE's syntax, decoded as if it were raw samples."""

    name = "raw"
    engine = "numpy"
    transfer_syntaxes = (RLE,)

    def engine_version(self) -> str:
        return np.__version__

    def decode_into(self, src: Any, info: dc.FrameInfo, out: npt.NDArray[Any], *,
                    as_rgb: bool = True, reduce: int = 0, frame: int | None = None) -> None:
        out[...] = np.frombuffer(src, info.dtype).reshape(info.shape)


def frame_level(arr: npt.NDArray[np.uint16]) -> None:
    encoded: bytes = dc.encode_frame(arr, "rle", bits_stored=12)
    info = dc.FrameInfo(RLE, ROWS, COLUMNS, 1, 16, 12, 0, "MONOCHROME2")
    decoded: npt.NDArray[Any] = dc.decode_frame(encoded, info)
    assert np.array_equal(decoded, arr)
    frames: list[bytes] = dc.encode_frames(np.stack([arr, arr[::-1]]), RLE, threads=2)
    both = dc.decode_frames(frames, info, threads=2)
    assert both.shape == (2, ROWS, COLUMNS) and np.array_equal(both[1], arr[::-1])
    try:
        dc.decode_frame(b"\x01\x00", info)
    except dc.DecodeError as exc:
        assert exc.codec == "RLE Lossless", exc.codec
    else:
        raise AssertionError("two bytes decoded as RLE")
    try:
        dc.encode_frame(arr, "no-such-syntax")
    except dc.UnknownSyntaxError as exc:
        assert isinstance(exc, (dc.UnsupportedError, ValueError))
    else:
        raise AssertionError("an unknown syntax was accepted")
    try:
        dc.encode_frame(arr, "rle", quality=3)
    except dc.EncodeError as exc:
        assert "quality" in exc.cause, exc.cause
    else:
        raise AssertionError("an unknown option was accepted")


def dataset_level(arr: npt.NDArray[np.uint16]) -> None:
    ds = dc.compress(dataset(arr), "jpeg-ls-lossless")
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.80"
    assert np.array_equal(dc.pixel_array(ds), arr)
    frames: Iterator[npt.NDArray[Any]] = dc.iter_frames(ds)
    assert all(np.array_equal(f, arr) for f in frames)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "image.dcm"
        ds.save_as(path, enforce_file_format=True)
        assert np.array_equal(dc.pixel_array(path, frames=0), arr)
    try:
        dc.pixel_array(ds, frames=5)
    except dc.FrameIndexError as exc:
        assert isinstance(exc, (dc.InvalidInputError, IndexError, dc.DicomCodecsError))
    else:
        raise AssertionError("frame 5 of 1 decoded")
    dc.decompress(ds)
    assert ds.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian


def registry(arr: npt.NDArray[np.uint16]) -> None:
    rows: list[tuple[str, bool, bool, str, str]] = dc.codecs()
    assert (RLE, True, True) in [(uid, dec, enc) for uid, dec, enc, _, _ in rows]
    codec = dc.register_codec(RawCodec())
    try:
        info = dc.FrameInfo(RLE, ROWS, COLUMNS, 1, 16, 16, 0, "MONOCHROME2")
        assert np.array_equal(dc.decode_frame(arr.tobytes(), info), arr)
        assert any(engine == "numpy / dicomcodecs" for _, _, _, engine, _ in dc.codecs())
    finally:
        dc.unregister_codec(codec)


def plugin(arr: npt.NDArray[np.uint16]) -> None:
    ds = dc.compress(dataset(arr), "rle")
    dicomcodecs.pydicom.register()
    try:
        assert dicomcodecs.pydicom.is_registered()
        ds.pixel_array_options(decoding_plugin="dicomcodecs")
        assert np.array_equal(ds.pixel_array, arr)
    finally:
        dicomcodecs.pydicom.unregister()
    assert not dicomcodecs.pydicom.is_registered()


def main() -> None:
    arr = image()
    frame_level(arr)
    dataset_level(arr)
    registry(arr)
    plugin(arr)
    print(f"dicomcodecs {dc.__version__}: user script passed")


if __name__ == "__main__":
    main()
