"""Encapsulated Pixel Data (dicomcodecs._encaps): offset tables, fragments,
padding, broken items, frame selection and lazy reading of files."""

from __future__ import annotations

import os
import struct

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate as pd_encapsulate
from pydicom.encaps import encapsulate_extended as pd_encapsulate_extended
from pydicom.uid import generate_uid

import dicomcodecs as dc
from dicomcodecs import _encaps
from dicomcodecs._encaps import encapsulate, fragments_from_buffer, fragments_from_file, frame_bytes, frame_map

RLE = "1.2.840.10008.1.2.5"
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
ITEM = b"\xfe\xff\x00\xe0"
SEQ_END = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"


def make_frames(n: int, rows: int = 24, cols: int = 37, seed: int = 0):
    rng = np.random.default_rng(seed)
    arr = rng.integers(0, 4, (n, rows, cols)).astype(np.uint16) * 1000
    arr[:, ::3] = rng.integers(0, 65535, (n, (rows + 2) // 3, cols), dtype=np.uint16)
    return arr, dc.encode_frames(arr, RLE)


def make_dataset(arr: np.ndarray, pixel_data: bytes, *, n_frames: int | None = None) -> Dataset:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = RLE
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.Rows, ds.Columns = arr.shape[1], arr.shape[2]
    ds.SamplesPerPixel = 1
    ds.BitsAllocated = ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.NumberOfFrames = arr.shape[0] if n_frames is None else n_frames
    ds.PixelData = pixel_data
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    return ds


def save(ds: Dataset, path) -> str:
    ds.save_as(path, enforce_file_format=True)
    return str(path)


def both_indexes(tmp_path, ds: Dataset):
    """(fragments from the in-memory value, fragments read from a saved file)."""
    path = save(ds, tmp_path / "x.dcm")
    with open(path, "rb") as f:
        pydicom.dcmread(f, stop_before_pixels=True)
        start = f.tell() + 12
    fd = os.open(path, os.O_RDONLY)
    return (fragments_from_buffer(ds.PixelData),
            fragments_from_file(lambda off, n: os.pread(fd, n, off), start, os.path.getsize(path)), fd)


# ------------------------------------------------------------- offset tables

@pytest.mark.parametrize("has_bot", [True, False])
def test_one_fragment_per_frame(has_bot, tmp_path):
    arr, frames = make_frames(5)
    data = pd_encapsulate(frames, has_bot=has_bot)
    ds = make_dataset(arr, data)
    mem, fil, fd = both_indexes(tmp_path, ds)
    try:
        for frags in (mem, fil):
            assert (len(frags.bot) == 5) == has_bot
            fmap = frame_map(frags, 5, RLE)
            assert fmap == [[k] for k in range(5)]
            for k in range(5):
                assert bytes(frame_bytes(frags, fmap[k])) == frames[k]
    finally:
        os.close(fd)
    np.testing.assert_array_equal(dc.pixel_array(ds), arr)
    np.testing.assert_array_equal(dc.pixel_array(tmp_path / "x.dcm"), arr)


def test_bot_offsets_are_the_ones_pydicom_writes():
    _, frames = make_frames(4)
    frags = fragments_from_buffer(pd_encapsulate(frames, has_bot=True))
    expect, pos = [], 0
    for f in frames:
        expect.append(pos)
        pos += 8 + len(f) + len(f) % 2
    assert frags.bot == expect
    assert frags.positions == expect


def test_extended_offset_table(tmp_path):
    arr, frames = make_frames(4, seed=1)
    data, eot, lengths = pd_encapsulate_extended(frames)
    ds = make_dataset(arr, data)
    ds.ExtendedOffsetTable = eot
    ds.ExtendedOffsetTableLengths = lengths
    assert fragments_from_buffer(data).bot == []
    offsets = list(np.frombuffer(eot, "<u8"))
    assert frame_map(fragments_from_buffer(data), 4, RLE, offsets) == [[0], [1], [2], [3]]
    np.testing.assert_array_equal(dc.pixel_array(ds), arr)
    np.testing.assert_array_equal(dc.pixel_array(save(ds, tmp_path / "e.dcm")), arr)
    np.testing.assert_array_equal(dc.pixel_array(tmp_path / "e.dcm", frames=[3, 1]), arr[[3, 1]])


def test_extended_offset_table_wins_over_the_bot():
    arr, frames = make_frames(3, seed=2)
    data = bytearray(pd_encapsulate(frames, has_bot=True))
    frags = fragments_from_buffer(bytes(data))
    # the EOT says one frame of three fragments; the BOT says three frames
    assert frame_map(frags, 1, RLE, [0]) == [[0, 1, 2]]
    assert frame_map(frags, 1, RLE) == [[0]]
    # a BOT that points nowhere is not consulted when an EOT is present
    data[12:16] = struct.pack("<I", 3)
    ds = make_dataset(arr, bytes(data), n_frames=2)
    with pytest.raises(dc.DecodeError, match="Basic Offset Table points at byte 3"):
        dc.pixel_array(ds)
    ds.NumberOfFrames = 3
    ds.ExtendedOffsetTable = struct.pack("<3Q", *frags.positions)
    ds.ExtendedOffsetTableLengths = struct.pack("<3Q", *(n for _, n in frags.spans))
    np.testing.assert_array_equal(dc.pixel_array(ds), arr)
    # EOT offsets out of order are refused
    with pytest.raises(dc.DecodeError, match="ascending"):
        frame_map(frags, 3, RLE, frags.positions[::-1])
    ds.ExtendedOffsetTable = b"\x00" * 12
    with pytest.raises(dc.DecodeError, match="multiple of 8"):
        dc.pixel_array(ds)


@pytest.mark.parametrize("has_bot", [True, False])
def test_fragments_spanning_several_items(has_bot, tmp_path):
    arr, frames = make_frames(1, rows=40, cols=70, seed=3)
    data = pd_encapsulate(frames, fragments_per_frame=3, has_bot=has_bot)
    frags = fragments_from_buffer(data)
    assert len(frags.positions) == 3
    assert frame_map(frags, 1, RLE) == [[0, 1, 2]]
    ds = make_dataset(arr, data)
    np.testing.assert_array_equal(dc.pixel_array(ds), arr[0])
    np.testing.assert_array_equal(dc.pixel_array(save(ds, tmp_path / "f.dcm")), arr[0])


def test_multiframe_fragments_spanning_items_with_bot(tmp_path):
    arr, frames = make_frames(4, rows=40, cols=70, seed=4)
    data = pd_encapsulate(frames, fragments_per_frame=3, has_bot=True)
    frags = fragments_from_buffer(data)
    assert frame_map(frags, 4, RLE) == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]
    ds = make_dataset(arr, data)
    np.testing.assert_array_equal(dc.pixel_array(ds), arr)
    path = save(ds, tmp_path / "g.dcm")
    np.testing.assert_array_equal(dc.pixel_array(path, frames=2), arr[2])
    np.testing.assert_array_equal(np.stack(list(dc.iter_frames(path))), arr)


def test_multiframe_fragments_without_any_table_are_ambiguous():
    arr, frames = make_frames(4, rows=40, cols=70, seed=4)
    data = pd_encapsulate(frames, fragments_per_frame=3, has_bot=False)
    with pytest.raises(dc.DecodeError, match="12 fragments cannot be split into 4 frames"):
        dc.pixel_array(make_dataset(arr, data))


def _fake_jpeg(rng, n: int) -> bytes:
    body = bytes(rng.integers(0, 255, n, dtype=np.uint8))  # no 0xFF: no false markers
    return b"\xff\xd8" + body + b"\xff\xd9"


@pytest.mark.parametrize("pad", [b"", b"\x00"])
def test_jpeg_family_without_bot_splits_on_eoi(pad):
    rng = np.random.default_rng(5)
    frames = [_fake_jpeg(rng, int(rng.integers(50, 400))) + pad for _ in range(3)]
    data = pd_encapsulate(frames, fragments_per_frame=4, has_bot=False)
    frags = fragments_from_buffer(data)
    assert len(frags.positions) == 12
    fmap = frame_map(frags, 3, JPEG_BASELINE)
    assert fmap == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]]
    for k, f in enumerate(frames):
        got = bytes(frame_bytes(frags, fmap[k]))
        assert got.rstrip(b"\x00") == f.rstrip(b"\x00")
    # RLE gets no such guess
    with pytest.raises(dc.DecodeError):
        frame_map(frags, 3, RLE)


def test_single_frame_takes_every_fragment():
    rng = np.random.default_rng(6)
    f = _fake_jpeg(rng, 1001)
    frags = fragments_from_buffer(pd_encapsulate([f], fragments_per_frame=5, has_bot=False))
    assert frame_map(frags, 1, JPEG_BASELINE) == [[0, 1, 2, 3, 4]]
    assert bytes(frame_bytes(frags, [0, 1, 2, 3, 4])).rstrip(b"\x00") == f


# ------------------------------------------------------------- our writer

@pytest.mark.parametrize("lengths", [[64, 128, 66], [65, 67, 1], [2], [3]])
def test_our_encapsulate_matches_pydicom(lengths):
    rng = np.random.default_rng(sum(lengths))
    frames = [bytes(rng.integers(0, 256, n, dtype=np.uint8)) for n in lengths]
    data, eot, eot_len = encapsulate(frames)
    assert eot is None and eot_len is None
    assert data == pd_encapsulate(frames, has_bot=True)
    data, eot, eot_len = encapsulate(frames, extended=True)
    assert (data, eot, eot_len) == pd_encapsulate_extended(frames)
    assert len(data) % 2 == 0


def test_our_encapsulate_round_trips_through_our_reader():
    _, frames = make_frames(6, seed=7)
    frames[2] = frames[2] + b"\x01"  # odd length
    data, _, _ = encapsulate(frames)
    frags = fragments_from_buffer(data)
    fmap = frame_map(frags, 6, RLE)
    for k, f in enumerate(frames):
        got = bytes(frame_bytes(frags, fmap[k]))
        assert got == f + (b"\x00" if len(f) % 2 else b"")


# ------------------------------------------------- padding and broken data

def test_odd_frames_and_trailing_padding(tmp_path):
    arr, frames = make_frames(3, seed=8)
    # an odd-length item (not conformant, seen in the wild) and extra padding
    raw = [frames[0] + b"\x00\x00", frames[1], frames[2]]
    parts = [ITEM + struct.pack("<I", 0)]
    for f in raw:
        parts.append(ITEM + struct.pack("<I", len(f)) + f)
    parts.append(SEQ_END)
    data = b"".join(parts)
    ds = make_dataset(arr, data)
    np.testing.assert_array_equal(dc.pixel_array(ds), arr)
    np.testing.assert_array_equal(dc.pixel_array(save(ds, tmp_path / "p.dcm")), arr)


def test_missing_sequence_delimiter_is_tolerated():
    arr, frames = make_frames(2, seed=9)
    data = pd_encapsulate(frames, has_bot=True)
    assert data.endswith(frames[1]) or data.endswith(frames[1] + b"\x00")
    frags = fragments_from_buffer(data)
    assert len(frags.positions) == 2
    frags = fragments_from_buffer(data + SEQ_END + b"junk after the end")
    assert len(frags.positions) == 2


def test_truncated_last_item(tmp_path):
    arr, frames = make_frames(3, seed=10)
    data = pd_encapsulate(frames, has_bot=True)
    cut = data[:-40]
    ds = make_dataset(arr, cut)
    with pytest.raises(dc.DecodeError, match=r"RLE Lossless: frame 2: "):
        dc.pixel_array(ds)
    np.testing.assert_array_equal(dc.pixel_array(ds, frames=[0, 1]), arr[:2])
    # the same in a file that simply ends early
    path = save(make_dataset(arr, data), tmp_path / "t.dcm")
    size = os.path.getsize(path)
    with open(path, "r+b") as f:
        f.truncate(size - 40 - len(SEQ_END))
    with pytest.raises(dc.DecodeError, match=r"RLE Lossless: frame 2: "):
        dc.pixel_array(path)
    np.testing.assert_array_equal(dc.pixel_array(path, frames=slice(0, 2)), arr[:2])


def test_item_header_cut_short():
    arr, frames = make_frames(2, seed=10)
    data = pd_encapsulate(frames, has_bot=False)
    frags = fragments_from_buffer(data + ITEM[:3])
    assert len(frags.positions) == 2


@pytest.mark.parametrize("garbage", [b"\x00\x00\x00\x00\x10\x00\x00\x00",
                                     b"\xe0\x7f\x10\x00\x08\x00\x00\x00",
                                     b"\xfe\xff\x0d\xe0\x00\x00\x00\x00"])
def test_garbage_tag_is_a_decode_error(garbage, tmp_path):
    arr, frames = make_frames(2, seed=11)
    good = pd_encapsulate(frames, has_bot=True)
    bot_len = struct.unpack("<I", good[4:8])[0]
    second = 8 + bot_len + 8 + len(frames[0]) + len(frames[0]) % 2
    bad = good[:second] + garbage + good[second + 8:]
    with pytest.raises(dc.DecodeError, match="Encapsulated Pixel Data.*expected an item tag"):
        fragments_from_buffer(bad)
    with pytest.raises(dc.DecodeError, match="expected an item tag"):
        dc.pixel_array(make_dataset(arr, bad))
    path = save(make_dataset(arr, bad), tmp_path / "g.dcm")
    with pytest.raises(dc.DecodeError, match="expected an item tag"):
        dc.pixel_array(path)


def test_undefined_length_item_is_a_decode_error():
    data = ITEM + b"\x00" * 4 + ITEM + b"\xff\xff\xff\xff" + b"\x00" * 64
    with pytest.raises(dc.DecodeError, match="undefined length"):
        fragments_from_buffer(data)


def test_bad_offset_tables():
    arr, frames = make_frames(3, seed=12)
    data = bytearray(pd_encapsulate(frames, has_bot=True))
    # an offset pointing into the middle of a fragment
    bad = bytearray(data)
    bad[12:16] = struct.pack("<I", 10)
    with pytest.raises(dc.DecodeError, match="Basic Offset Table points at byte 10"):
        frame_map(fragments_from_buffer(bytes(bad)), 2, RLE)
    # ... which gives way when one fragment per frame fits (tests/test_archive_quirks.py)
    assert frame_map(fragments_from_buffer(bytes(bad)), 3, RLE) == [[0], [1], [2]]
    # a BOT length that is not a multiple of 4
    odd = ITEM + struct.pack("<I", 6) + b"\x00" * 6 + bytes(data[8 + 12:])
    with pytest.raises(dc.DecodeError, match="multiple of 4"):
        fragments_from_buffer(odd)
    # fewer frames than Number of Frames says
    with pytest.raises(dc.DecodeError, match="Number of Frames is 5"):
        frame_map(fragments_from_buffer(bytes(data)), 5, RLE)
    # no fragments at all
    with pytest.raises(dc.DecodeError, match="no fragments"):
        frame_map(fragments_from_buffer(ITEM + b"\x00" * 4 + SEQ_END), 1, RLE)
    # EOT offsets that match no fragment
    with pytest.raises(dc.DecodeError, match="Extended Offset Table"):
        frame_map(fragments_from_buffer(bytes(data)), 3, RLE, [0, 1, 2])


def test_more_fragments_than_frames_with_bot_keeps_listed_frames():
    arr, frames = make_frames(3, seed=13)
    data = pd_encapsulate(frames, has_bot=True)
    # Number of Frames 2: the third frame is ignored
    np.testing.assert_array_equal(dc.pixel_array(make_dataset(arr[:2], data, n_frames=2)),
                                  arr[:2])


# ------------------------------------------------------ frame selection

@pytest.fixture(scope="module")
def multiframe_file(tmp_path_factory):
    """60 frames of 256 x 256 16-bit noise, about 8 MB compressed."""
    rng = np.random.default_rng(14)
    arr = rng.integers(0, 65535, (60, 256, 256), dtype=np.uint16)
    arr[:, :, :40] = 7  # a bit of compressible data too
    frames = dc.encode_frames(arr, RLE)
    data, _, _ = encapsulate(frames)
    path = tmp_path_factory.mktemp("encaps") / "multi.dcm"
    save(make_dataset(arr, data), path)
    return arr, str(path), len(frames[0])


def test_frame_selectors(multiframe_file):
    arr, path, _ = multiframe_file
    np.testing.assert_array_equal(dc.pixel_array(path, frames=7), arr[7])
    np.testing.assert_array_equal(dc.pixel_array(path, frames=np.int64(7)), arr[7])
    np.testing.assert_array_equal(dc.pixel_array(path, frames=-1), arr[-1])
    np.testing.assert_array_equal(dc.pixel_array(path, frames=[5, 2, 5]), arr[[5, 2, 5]])
    np.testing.assert_array_equal(dc.pixel_array(path, frames=[-2]), arr[[-2]])
    np.testing.assert_array_equal(dc.pixel_array(path, frames=slice(10, 50, 7)), arr[10:50:7])
    np.testing.assert_array_equal(dc.pixel_array(path, frames=slice(None, None, -13)),
                                  arr[::-13])
    assert dc.pixel_array(path, frames=[]).shape == (0, 256, 256)
    assert dc.pixel_array(path, frames=7).shape == (256, 256)
    assert dc.pixel_array(path, frames=[7]).shape == (1, 256, 256)
    for bad in (60, -61, [0, 60]):
        with pytest.raises(IndexError):
            dc.pixel_array(path, frames=bad)
    got = list(dc.iter_frames(path, frames=[3, 1]))
    np.testing.assert_array_equal(np.stack(got), arr[[3, 1]])


def test_iter_frames_reads_lazily(multiframe_file, monkeypatch):
    arr, path, frame_len = multiframe_file
    total = os.path.getsize(path)
    counted = {"bytes": 0, "calls": 0}
    real_pread = os.pread

    def counting_pread(fd, n, off):
        data = real_pread(fd, n, off)
        counted["bytes"] += len(data)
        counted["calls"] += 1
        return data

    monkeypatch.setattr(os, "pread", counting_pread)
    it = dc.iter_frames(path)
    assert counted["bytes"] == 0  # nothing happens until the first frame is asked for
    first = next(it)
    np.testing.assert_array_equal(first, arr[0])
    # item headers (8 bytes each) + the BOT + one frame; far from the whole file
    assert counted["bytes"] < frame_len + 60 * 8 + 60 * 4 + 64, counted
    assert counted["bytes"] < total / 20
    second = next(it)
    np.testing.assert_array_equal(second, arr[1])
    it.close()
    # pixel_array of one frame reads as little
    counted["bytes"] = 0
    np.testing.assert_array_equal(dc.pixel_array(path, frames=59), arr[59])
    assert counted["bytes"] < 2 * frame_len


def test_iter_frames_closes_its_file(multiframe_file):
    _, path, _ = multiframe_file
    before = set(os.listdir("/proc/self/fd"))
    for _ in range(5):
        it = dc.iter_frames(path)
        next(it)
        it.close()
        dc.pixel_array(path, frames=0)
    with pytest.raises(IndexError):
        dc.pixel_array(path, frames=1000)
    assert set(os.listdir("/proc/self/fd")) <= before


@pytest.mark.nosanitize  # a timing comparison
def test_first_frame_of_a_big_file_reads_little(multiframe_file, monkeypatch):
    """iter_frames reads a file lazily: the first frame costs its own bytes
    and the fragment index, not the whole file (counted, not timed)."""
    import os

    _, path, frame_len = multiframe_file
    got = []
    real = os.pread

    def counting(fd, n, off):
        data = real(fd, n, off)
        got.append(len(data))
        return data

    monkeypatch.setattr(os, "pread", counting)
    first = next(iter(dc.iter_frames(path)))
    assert first.shape == (256, 256)
    size = os.path.getsize(path)
    assert sum(got) < 2 * frame_len + 64 * 1024, (sum(got), frame_len, size)
    assert sum(got) < size / 10


def test_file_with_implicit_vr_body_under_explicit_syntax():
    """pydicom's SC_rgb_jpeg.dcm says Explicit VR (JPEG baseline) but its
    body, Pixel Data included, is implicit VR: read from the path it must give
    what pydicom's dataset gives."""
    import numpy as np
    import pydicom

    import dicomcodecs as dc

    from .conftest import find_testfile

    path = find_testfile("SC_rgb_jpeg.dcm")
    with pytest.warns(UserWarning):
        ds = pydicom.dcmread(path)
    np.testing.assert_array_equal(dc.pixel_array(path), dc.pixel_array(ds))
