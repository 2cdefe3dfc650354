"""Outputs past 2**31 bytes: a generated multi-frame file of more than
2.5 GB (RLE, and JPEG Lossless SV1, each written frame by frame by our own
encoder) decoded by pixel_array, by the pydicom plugin and by iter_frames,
which holds at most a few frames in memory (GDCM fails here, pydicom#2227).

Minutes of CPU and 2 x 2.6 GB of disk, so not in the default run:
`make test-large` (DICOMCODECS_LARGE=1) runs it; its last result is in the
README. DICOMCODECS_LARGE_BYTES sets the output size (default 2.6e9)."""

from __future__ import annotations

import gc
import io
import os
import struct
import time

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import generate_uid

import dicomcodecs as dc
import dicomcodecs.pydicom as dcp

pytestmark = [
    pytest.mark.nosanitize,
    pytest.mark.skipif(not os.environ.get("DICOMCODECS_LARGE"),
                       reason="minutes and 5 GB of disk: make test-large"),
]

ROWS = COLS = 1024
TOTAL = int(float(os.environ.get("DICOMCODECS_LARGE_BYTES", "2.6e9")))
NFRAMES = -(-TOTAL // (ROWS * COLS * 2))
SYNTAXES = {"rle": "1.2.840.10008.1.2.5", "jpeg-lossless-sv1": "1.2.840.10008.1.2.4.70"}
ITEM = b"\xfe\xff\x00\xe0"


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


_BASE = None


def _frame(k: int) -> np.ndarray:
    """Frame k: 16-bit noise (incompressible, so the file is as large as the
    output), different for every frame, cheap to make again."""
    global _BASE
    if _BASE is None:
        _BASE = np.random.default_rng(2227).integers(0, 65536, (ROWS, COLS), dtype=np.uint16)
    return np.roll(_BASE, 7 * k, axis=1) ^ np.uint16(k & 0xFFFF)


def _write(path, uid: str) -> None:
    """The dataset's header by pydicom, then Pixel Data written one frame at
    a time (empty Basic Offset Table, one fragment per frame)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = uid
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.Rows, ds.Columns = ROWS, COLS
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
    ds.PixelRepresentation = 0
    ds.NumberOfFrames = NFRAMES
    head = io.BytesIO()
    ds.save_as(head, enforce_file_format=True)
    with open(path, "wb") as f:
        f.write(head.getvalue())
        f.write(b"\xe0\x7f\x10\x00OB\x00\x00\xff\xff\xff\xff")
        f.write(ITEM + b"\x00\x00\x00\x00")
        for k in range(NFRAMES):
            cs = dc.encode_frame(_frame(k), uid, bits_stored=16)
            if len(cs) % 2:
                cs += b"\x00"
            f.write(ITEM + struct.pack("<I", len(cs)))
            f.write(cs)
        f.write(b"\xfe\xff\xdd\xe0\x00\x00\x00\x00")


@pytest.fixture(scope="module", params=sorted(SYNTAXES))
def large_file(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("large") / f"{request.param}.dcm"
    t = time.perf_counter()
    _write(path, SYNTAXES[request.param])
    print(f"\n{request.param}: wrote {os.path.getsize(path) / 1e9:.2f} GB, {NFRAMES} frames, "
          f"in {time.perf_counter() - t:.0f} s")
    yield request.param, str(path)
    os.remove(path)


def _check_all(arr: np.ndarray) -> None:
    assert arr.shape == (NFRAMES, ROWS, COLS)
    for k in range(NFRAMES):
        if not np.array_equal(arr[k], _frame(k)):
            raise AssertionError(f"frame {k} differs")


def test_past_2_gib(large_file):
    label, path = large_file
    assert os.path.getsize(path) > 0.96 * TOTAL  # noise: the file is as large as the output
    if TOTAL >= 2.5e9:
        assert os.path.getsize(path) > 2.5e9 and NFRAMES * ROWS * COLS * 2 > 2 ** 31
    gc.collect()

    # iter_frames first, in a process that has not yet held the whole array
    t = time.perf_counter()
    start, most = _rss(), 0
    for k, frame in enumerate(dc.iter_frames(path)):
        if not np.array_equal(frame, _frame(k)):
            raise AssertionError(f"iter_frames: frame {k} differs")
        if k % 16 == 0:
            most = max(most, _rss() - start)
    assert k == NFRAMES - 1
    frame_bytes = ROWS * COLS * 2
    print(f"{label}: iter_frames {time.perf_counter() - t:.0f} s, RSS at most "
          f"{most / 2**20:.0f} MiB above its start ({most / frame_bytes:.1f} frames)")
    assert most < 16 * frame_bytes + 32 * 2 ** 20

    t = time.perf_counter()
    arr = dc.pixel_array(path)
    print(f"{label}: pixel_array {time.perf_counter() - t:.0f} s, {arr.nbytes / 2**30:.2f} GiB")
    _check_all(arr)
    del arr
    gc.collect()

    t = time.perf_counter()
    dcp.register(first=True)
    try:
        from pydicom.pixels import pixel_array as pd_pixel_array
        arr = pd_pixel_array(path, decoding_plugin="dicomcodecs")
    finally:
        dcp.unregister()
    print(f"{label}: pydicom plugin {time.perf_counter() - t:.0f} s")
    _check_all(arr)
