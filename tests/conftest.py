"""Shared fixtures: where the real test images are, and tools on PATH."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.datafiles import find_testfile  # noqa: F401  (the tests import it from here)


@pytest.fixture
def testfile():
    return find_testfile


@pytest.fixture
def spy_engine_threads(monkeypatch):
    """spy(codec_class) -> the list of the engine_threads each of its encode
    calls is given from then on (None: not passed)."""
    def spy(cls):
        given = []
        encode = cls.encode

        def recording(self, arr, info, **kw):
            given.append(kw.get("engine_threads"))
            return encode(self, arr, info, **kw)

        monkeypatch.setattr(cls, "encode", recording)
        return given

    return spy


def require_tool(name: str) -> str:
    """The path of a command-line tool the test needs. `.ci/run` installs
    every one, so a missing tool fails the test instead of skipping it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run 'make deps' (installs DCMTK, GDCM, "
                    "OpenJPEG and OpenJPH tools)")
    return path


def frames_of(path) -> list[bytes]:
    """The encoded frames of a DICOM file, split by pydicom (not by us)."""
    import pydicom
    from pydicom.encaps import generate_frames

    ds = pydicom.dcmread(path)
    n = int(ds.get("NumberOfFrames", 1) or 1)
    return list(generate_frames(ds.PixelData, number_of_frames=n))


def write_native(path, arr: np.ndarray, *, bits_stored: int, pi: str | None = None):
    """A minimal Secondary Capture dataset holding `arr` uncompressed, saved
    to `path` (when given) for the command-line tools; returns the dataset."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    spp = 1 if arr.ndim == 2 else arr.shape[2]
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.Rows, ds.Columns = arr.shape[:2]
    ds.SamplesPerPixel = spp
    ds.PhotometricInterpretation = pi or ("MONOCHROME2" if spp == 1 else "RGB")
    if spp > 1:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = arr.dtype.itemsize * 8
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = int(arr.dtype.kind == "i")
    ds.PixelData = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
    if path is not None:
        ds.save_as(path, enforce_file_format=True)
    return ds


def smooth_image(rng, shape, bits: int, signed: bool, noise: int) -> np.ndarray:
    """Image-like samples spanning the whole `bits`-bit range (both ends): a
    smooth pattern plus uniform noise in -noise..noise, in an 8 or 16-bit
    container."""
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    rows, cols = shape[:2]
    y, x = np.mgrid[0:rows, 0:cols]
    base = (np.sin(x / 7.0) + np.cos(y / 5.0) + 2) / 4 * (hi - lo) + lo
    if len(shape) == 3:
        base = np.stack([base, base[::-1], base[:, ::-1]][:shape[2]], axis=-1)
    arr = np.clip(np.rint(base) + rng.integers(-noise, noise + 1, size=shape), lo, hi)
    arr.flat[0], arr.flat[-1] = lo, hi
    return arr.astype(f"{'i' if signed else 'u'}{1 if bits <= 8 else 2}")


def flip_bits(rng, data: bytes) -> bytes:
    """`data` with one to three random bits flipped."""
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 4))):
        pos = int(rng.integers(0, len(b)))
        b[pos] ^= 1 << int(rng.integers(0, 8))
    return bytes(b)
