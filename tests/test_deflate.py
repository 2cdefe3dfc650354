"""Deflated Image Frame Compression (1.2.840.10008.1.2.8.1, PS3.5 A.4.13)
end to end: raw Deflate streams checked against Python's zlib both ways,
every native layout (Bits Allocated 1, 8-64, 1 or 3 samples, planar), each
Bits Allocated 1 frame packed on its own, bad input, the pydicom plugin and
the CLI."""

from __future__ import annotations

import io
import zlib

import numpy as np
import pydicom
import pytest

import dicomcodecs as dc
from dicomcodecs import _deflate
from dicomcodecs.cli import main as cli_main

from .conftest import find_testfile, frames_of, write_native

DEFLATE = "1.2.840.10008.1.2.8.1"


def info(arr, *, bits_allocated=None, bits_stored=None, pi=None, planar=0):
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    bits = bits_allocated or arr.dtype.itemsize * 8
    return dc.FrameInfo(DEFLATE, arr.shape[0], arr.shape[1], spp, bits, bits_stored or bits,
                        int(arr.dtype.kind == "i"), pi or ("MONOCHROME2" if spp == 1 else "RGB"),
                        planar)


def zlib_raw(data, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def zlib_inflate(frame):
    d = zlib.decompressobj(-15)
    out = d.decompress(frame)
    assert d.eof and d.unused_data in (b"", b"\0")
    return out


@pytest.mark.parametrize("shape, dtype", [
    ((31, 17), np.uint8), ((31, 17), np.int16), ((20, 22), np.uint16), ((9, 7), np.int32),
    ((9, 7), np.uint64), ((13, 11, 3), np.uint8), ((13, 11, 3), np.uint16),
])
def test_round_trip_and_zlib_both_ways(shape, dtype):
    rng = np.random.default_rng(1)
    info_ = np.iinfo(dtype)
    arr = rng.integers(info_.min, info_.max, shape, dtype=dtype, endpoint=True)
    arr[: shape[0] // 2] = arr[0, 0]  # something to compress
    frame = dc.encode_frame(arr, DEFLATE)
    assert len(frame) % 2 == 0
    # zlib reads ours: the native little-endian bytes
    assert zlib_inflate(frame) == arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    assert np.array_equal(dc.decode_frame(frame, info(arr)), arr)
    # we read zlib's, padded or not
    theirs = zlib_raw(arr.tobytes())
    for data in (theirs, theirs + b"\0"):
        assert np.array_equal(dc.decode_frame(data, info(arr)), arr)


def test_levels_trade_size_for_time():
    arr = np.tile(np.arange(200, dtype=np.uint16), (100, 1)) * 7
    sizes = [len(dc.encode_frame(arr, DEFLATE, level=k)) for k in (0, 1, 6, 12)]
    assert sizes[0] > arr.nbytes and sizes[0] > sizes[1] >= sizes[2] >= sizes[3]
    with pytest.raises(dc.EncodeError, match="level=13"):
        dc.encode_frame(arr, DEFLATE, level=13)


def test_planar_configuration_1_is_read_as_stored():
    rng = np.random.default_rng(2)
    arr = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
    planar = np.ascontiguousarray(arr.transpose(2, 0, 1)).tobytes()
    out = dc.decode_frame(zlib_raw(planar), info(arr, planar=1))
    assert np.array_equal(out, arr)


def test_ybr_full_becomes_rgb_unless_asked_not_to():
    rng = np.random.default_rng(3)
    arr = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    frame = dc.encode_frame(arr, DEFLATE, photometric_interpretation="YBR_FULL")
    fi = info(arr, pi="YBR_FULL")
    assert np.array_equal(dc.decode_frame(frame, fi, as_rgb=False), arr)
    from dicomcodecs._color import ybr_full_to_rgb
    assert np.array_equal(dc.decode_frame(frame, fi), ybr_full_to_rgb(arr.copy()))


def test_unused_bits_follow_bits_stored():
    arr = np.array([[0x0FFF, 0x0800], [0x07FF, 0x0001]], np.int16)
    raw = (arr | np.int16(0x7000)).tobytes()  # garbage above Bits Stored 12
    out = dc.decode_frame(zlib_raw(raw), info(arr, bits_stored=12))
    assert out.tolist() == [[-1, -2048], [2047, 1]]


# ------------------------------------------------------------- Bits Allocated 1

def segmentation(rng, frames, rows, cols):
    return rng.integers(0, 2, (frames, rows, cols)).astype(bool)


def native_bits_dataset(masks):
    """A native Bits Allocated 1 dataset: frames packed back to back."""
    ds = write_native(None, masks[0].astype(np.uint8), bits_stored=8)
    ds.BitsAllocated = ds.BitsStored = 1
    ds.HighBit = 0
    ds.NumberOfFrames = len(masks)
    packed = np.packbits(masks.reshape(-1), bitorder="little").tobytes()
    ds.PixelData = packed + b"\0" * (len(packed) % 2)
    ds["PixelData"].VR = "OB"
    return ds, packed


def test_bits_allocated_1_frames_are_packed_each_on_its_own():
    rng = np.random.default_rng(4)
    masks = segmentation(rng, 3, 5, 7)  # 35 bits a frame: frames straddle bytes natively
    ds, packed = native_bits_dataset(masks)
    assert np.array_equal(dc.pixel_array(ds), masks.astype(np.uint8))
    dc.compress(ds, "deflated-image-frame")
    assert ds.file_meta.TransferSyntaxUID == DEFLATE and ds.BitsAllocated == 1
    frames = [bytes(dc._api._PixelSource(ds).frame(i)) for i in range(3)]
    for frame, mask in zip(frames, masks):
        assert zlib_inflate(frame) == np.packbits(mask.reshape(-1), bitorder="little").tobytes()
    assert np.array_equal(dc.pixel_array(ds), masks.astype(np.uint8))
    dc.decompress(ds)
    assert bytes(ds.PixelData)[: len(packed)] == packed


def test_bits_allocated_1_from_bool_arrays():
    rng = np.random.default_rng(5)
    mask = segmentation(rng, 1, 9, 13)[0]
    frame = dc.encode_frame(mask, DEFLATE)
    assert zlib_inflate(frame) == np.packbits(mask.reshape(-1), bitorder="little").tobytes()
    fi = dc.FrameInfo(DEFLATE, 9, 13, 1, 1, 1, 0, "MONOCHROME2")
    out = dc.decode_frame(frame, fi)
    assert out.dtype == np.uint8 and np.array_equal(out, mask)
    with pytest.raises(dc.DecodeError, match="more than the 14 bytes"):
        dc.decode_frame(frame, fi.replace(columns=12))


def test_pack_and_unpack_at_any_bit_offset():
    rng = np.random.default_rng(6)
    bits = rng.integers(0, 2, 61).astype(np.uint8)
    buf = np.zeros(10, np.uint8)
    _deflate.pack_bits(bits, buf, 5)
    expect = np.packbits(np.concatenate([np.zeros(5, np.uint8), bits]), bitorder="little")
    assert np.array_equal(buf[: expect.size], expect)
    out = np.empty(61, np.uint8)
    assert np.array_equal(_deflate.unpack_bits(buf, 5, out), bits)
    with pytest.raises(dc.DecodeError, match="need more than 10 bytes"):
        _deflate.unpack_bits(buf, 20, np.empty(61, np.uint8))


def test_pydicom_reads_a_deflated_segmentation_and_compresses_ct():
    import dicomcodecs.pydicom as dcp

    was = dcp.is_registered()
    dcp.register()
    try:
        rng = np.random.default_rng(7)
        masks = segmentation(rng, 2, 6, 10)
        ds, _ = native_bits_dataset(masks)
        dc.compress(ds, DEFLATE)
        buf = io.BytesIO()
        ds.save_as(buf, enforce_file_format=True)
        back = pydicom.dcmread(io.BytesIO(buf.getvalue()))
        assert back.file_meta.TransferSyntaxUID.name == "Deflated Image Frame Compression"
        assert np.array_equal(back.pixel_array, masks.astype(np.uint8))
        ct = pydicom.dcmread(find_testfile("CT_small.dcm"))
        ref = ct.pixel_array.copy()
        ct.compress(DEFLATE)
        assert np.array_equal(dc.pixel_array(ct), ref)
        frame = frames_of_dataset(ct)[0]
        assert zlib_inflate(frame) == ref.tobytes()
    finally:
        if not was:
            dcp.unregister()


def frames_of_dataset(ds):
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    buf.seek(0)
    return frames_of(buf)


@pytest.mark.parametrize("data, match", [
    (b"", "empty"), (b"\xff\xff\xff\xff", "invalid or truncated"),
    (zlib_raw(bytes(200))[:-3], "invalid or truncated"),
    (zlib_raw(bytes(100)), "inflates to 100 bytes, the frame holds 200"),
    (zlib_raw(bytes(300)), "more than the 200 bytes"),
    (zlib_raw(bytes(200)) + b"\x07", "not NULL padding"),
])
def test_bad_input_is_a_decode_error(data, match):
    fi = dc.FrameInfo(DEFLATE, 10, 20, 1, 8, 8, 0, "MONOCHROME2")
    with pytest.raises(dc.DecodeError, match=match) as exc:
        dc.decode_frame(data, fi, frame=2)
    assert str(exc.value).startswith("Deflated Image Frame Compression: frame 2:")


def test_cli_transcodes_to_deflate(tmp_path, capsys):
    src = find_testfile("MR_small.dcm")
    assert cli_main(["transcode", str(src), "--to", "deflated-image-frame", "-o", str(tmp_path),
                     "--verify", "--option", "level=9"]) == 0
    assert "verified bit-exact" in capsys.readouterr().out
    ds = pydicom.dcmread(tmp_path / src.name)
    assert ds.file_meta.TransferSyntaxUID == DEFLATE
    assert np.array_equal(dc.pixel_array(ds), pydicom.dcmread(src).pixel_array)
