"""Shared fixtures: where the real test images are, and tools on PATH."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.datafiles import data_dirs as _data_dirs, find_testfile  # noqa: F401


@pytest.fixture
def testfile():
    return find_testfile


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
