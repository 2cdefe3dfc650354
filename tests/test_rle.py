"""RLE Lossless end to end: reference files against their uncompressed twins
and DCMTK, real images through DCMTK and GDCM both ways, round trips,
encoder conformance checked by an independent PackBits parser, bad input and
concurrency."""

from __future__ import annotations

import resource
import struct
import subprocess
import threading
import time

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import dicomcodecs as dc
from dicomcodecs.registry import get_decoder

from .conftest import find_testfile, flip_bits, require_tool

RLE = "1.2.840.10008.1.2.5"

# (RLE file, its uncompressed counterpart)
REFERENCE = [
    ("MR_small_RLE.dcm", "MR_small.dcm"),
    ("SC_rgb_rle.dcm", "SC_rgb.dcm"),
    ("SC_rgb_rle_2frame.dcm", "SC_rgb_2frame.dcm"),
    ("SC_rgb_rle_16bit.dcm", "SC_rgb_16bit.dcm"),
    ("SC_rgb_rle_16bit_2frame.dcm", "SC_rgb_16bit_2frame.dcm"),
    ("SC_rgb_rle_32bit.dcm", "SC_rgb_32bit.dcm"),
    ("SC_rgb_rle_32bit_2frame.dcm", "SC_rgb_32bit_2frame.dcm"),
    ("rtdose_rle.dcm", "rtdose.dcm"),
    ("rtdose_rle_1frame.dcm", "rtdose_1frame.dcm"),
    ("emri_small_RLE.dcm", "emri_small.dcm"),
    ("OBXXXX1A_rle.dcm", "OBXXXX1A.dcm"),
    ("OBXXXX1A_rle_2frame.dcm", "OBXXXX1A_2frame.dcm"),
]

# Real uncompressed images of pydicom-data: CT (signed 14-bit), MR (12-bit),
# CR (15-bit, 1955 x 1841), US (8-bit RGB).
LARGE = ["693_UNCR.dcm", "MR2_UNCR.dcm", "RG1_UNCR.dcm", "US1_UNCR.dcm"]


def info_for(arr: np.ndarray, *, frames_axis: bool = False, bits_stored: int | None = None,
             signed: bool | None = None, pi: str | None = None) -> dc.FrameInfo:
    shape = arr.shape[1:] if frames_axis else arr.shape
    spp = 1 if len(shape) == 2 else shape[2]
    bits = arr.dtype.itemsize * 8
    if signed is None:
        signed = arr.dtype.kind == "i"
    return dc.FrameInfo(RLE, shape[0], shape[1], spp, bits, bits_stored or bits, int(signed),
                        pi or ("MONOCHROME2" if spp == 1 else "RGB"))


def random_array(rng, shape, dtype, kind="random") -> np.ndarray:
    dtype = np.dtype(dtype)
    if kind == "random":
        raw = rng.integers(0, 256, (*shape, dtype.itemsize), dtype=np.uint8)
        return raw.view(dtype).reshape(shape)
    if kind == "constant":
        return np.full(shape, np.array(-5 if dtype.kind == "i" else 0xA5).astype(dtype), dtype)
    # mixed: runs of random lengths (1..300) of a few values, broken by noise
    flat = np.empty(int(np.prod(shape)), dtype)
    i = 0
    while i < flat.size:
        n = int(rng.integers(1, 300))
        flat[i:i + n] = random_array(rng, (1,), dtype)[0] if rng.random() < 0.3 else 0
        i += n
    noise = rng.random(flat.size) < 0.05
    flat[noise] = random_array(rng, (int(noise.sum()),), dtype)
    return flat.reshape(shape)


# ------------------------------------------------- an independent PackBits

def parse_rle(frame: bytes) -> list[bytes]:
    """The segments of an RLE frame, checking the header as PS3.5 G.5 says."""
    assert len(frame) >= 64, "shorter than the 64-byte header"
    header = struct.unpack("<16I", frame[:64])
    nseg = header[0]
    assert 1 <= nseg <= 15
    offsets = list(header[1:1 + nseg])
    assert offsets[0] == 64
    assert all(o == 0 for o in header[1 + nseg:]), "unused offsets must be zero"
    assert offsets == sorted(offsets) and len(set(offsets)) == nseg, "offsets must increase"
    bounds = offsets + [len(frame)]
    return [frame[bounds[i]:bounds[i + 1]] for i in range(nseg)]


def unpack_rows(seg: bytes, rows: int, cols: int) -> np.ndarray:
    """Decode one segment row by row, asserting the encoder's obligations: no
    -128 code, no run or literal crossing a row boundary (G.3.1), at most
    one byte of padding after the last row."""
    out = bytearray()
    i = 0
    for r in range(rows):
        row = bytearray()
        while len(row) < cols:
            assert i < len(seg), f"segment ends inside row {r}"
            h = seg[i] - 256 if seg[i] > 127 else seg[i]
            i += 1
            assert h != -128, "the -128 no-op code must not be written"
            if h >= 0:
                n = h + 1
                assert i + n <= len(seg), "literal runs past the segment"
                lit = seg[i:i + n]
                i += n
            else:
                n = 1 - h
                assert i < len(seg)
                lit = bytes([seg[i]]) * n
                i += 1
            assert 1 <= n <= 128
            assert len(row) + n <= cols, f"a run crosses the end of row {r}"
            row += lit
        out += row
    assert len(seg) - i <= 1, f"{len(seg) - i} bytes after the last row"
    return np.frombuffer(bytes(out), np.uint8).reshape(rows, cols)


def expected_segments(arr: np.ndarray) -> list[np.ndarray]:
    """The byte planes of a frame in RLE's order: sample by sample, most
    significant byte first."""
    rows, cols = arr.shape[:2]
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    bps = arr.dtype.itemsize
    b = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).view(np.uint8)
    b = b.reshape(rows, cols, spp, bps)
    return [b[:, :, s, bps - 1 - k] for s in range(spp) for k in range(bps)]


def check_conformance(arr: np.ndarray, frame: bytes) -> None:
    segs = parse_rle(frame)
    exp = expected_segments(arr)
    assert len(segs) == len(exp)
    assert len(frame) % 2 == 0
    for k, (seg, plane) in enumerate(zip(segs, exp)):
        assert len(seg) % 2 == 0, f"segment {k} has odd length {len(seg)}"
        np.testing.assert_array_equal(unpack_rows(seg, *arr.shape[:2]), plane)


# ---------------------------------------------------- reference files

@pytest.mark.parametrize("rle_name, native_name", REFERENCE)
def test_reference_equals_uncompressed(rle_name, native_name):
    path = find_testfile(rle_name)
    ref = pydicom.dcmread(find_testfile(native_name)).pixel_array
    from_path = dc.pixel_array(path)
    from_str = dc.pixel_array(str(path))
    from_ds = dc.pixel_array(pydicom.dcmread(path))
    for arr in (from_path, from_str, from_ds):
        assert arr.dtype == ref.dtype
        np.testing.assert_array_equal(arr, ref)


@pytest.mark.parametrize("rle_name", [r for r, _ in REFERENCE])
def test_reference_equals_dcmdrle(rle_name, tmp_path):
    tool = require_tool("dcmdrle")
    path = find_testfile(rle_name)
    out = tmp_path / "d.dcm"
    subprocess.run([tool, str(path), str(out)], check=True, capture_output=True)
    ref = pydicom.dcmread(out)
    assert ref.file_meta.TransferSyntaxUID != RLE
    np.testing.assert_array_equal(dc.pixel_array(path), ref.pixel_array)


def test_reference_frames_selection_equals_uncompressed():
    ref = pydicom.dcmread(find_testfile("emri_small.dcm")).pixel_array
    path = find_testfile("emri_small_RLE.dcm")
    np.testing.assert_array_equal(dc.pixel_array(path, frames=3), ref[3])
    np.testing.assert_array_equal(dc.pixel_array(path, frames=[9, 0, 4]), ref[[9, 0, 4]])
    np.testing.assert_array_equal(dc.pixel_array(path, frames=slice(2, 8, 3)), ref[2:8:3])
    got = list(dc.iter_frames(path))
    assert len(got) == 10
    np.testing.assert_array_equal(np.stack(got), ref)


# ------------------------------------------- real images, DCMTK and GDCM

@pytest.fixture(scope="session")
def large_encoded(tmp_path_factory):
    """Each LARGE image compressed by dcmcrle, by gdcmconv --rle and by our
    compress(); made once per session."""
    dcmcrle, gdcmconv = require_tool("dcmcrle"), require_tool("gdcmconv")
    d = tmp_path_factory.mktemp("rle_large")
    files = {}
    for name in LARGE:
        src = find_testfile(name)
        stem = name.split("_")[0]
        files[name, "dcmtk"] = d / f"{stem}_dcmtk.dcm"
        subprocess.run([dcmcrle, str(src), str(files[name, "dcmtk"])], check=True,
                       capture_output=True)
        files[name, "gdcm"] = d / f"{stem}_gdcm.dcm"
        subprocess.run([gdcmconv, "--rle", str(src), str(files[name, "gdcm"])], check=True,
                       capture_output=True)
        ds = pydicom.dcmread(src)
        dc.compress(ds, "rle")
        files[name, "ours"] = d / f"{stem}_ours.dcm"
        ds.save_as(files[name, "ours"], enforce_file_format=True)
    return files


@pytest.fixture(scope="session")
def originals():
    """name -> (pixel array, raw Pixel Data bytes) of the LARGE images."""
    out = {}
    for name in LARGE:
        ds = pydicom.dcmread(find_testfile(name))
        arr = ds.pixel_array
        out[name] = (arr, bytes(ds.PixelData)[:arr.nbytes])
    return out


@pytest.mark.parametrize("tool", ["dcmtk", "gdcm"])
@pytest.mark.parametrize("name", LARGE)
def test_large_decode_of_tool_output_is_bit_exact(name, tool, large_encoded, originals):
    path = large_encoded[name, tool]
    assert pydicom.dcmread(path, stop_before_pixels=True).file_meta.TransferSyntaxUID == RLE
    arr, raw = originals[name]
    ours = dc.pixel_array(path)
    assert ours.dtype == arr.dtype and ours.shape == arr.shape
    np.testing.assert_array_equal(ours, arr)
    assert ours.tobytes() == raw  # stored bits and the bits above them


@pytest.mark.parametrize("name", LARGE)
def test_large_our_encoding_conforms(name, large_encoded, originals):
    ds = pydicom.dcmread(large_encoded[name, "ours"])
    arr = originals[name][0]
    frames = list(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=1))
    assert len(frames) == 1
    check_conformance(arr, frames[0])


@pytest.mark.parametrize("tool", ["dcmdrle", "gdcmconv"])
@pytest.mark.parametrize("name", LARGE)
def test_large_our_encoding_decoded_by_tools(name, tool, large_encoded, originals, tmp_path):
    exe = require_tool(tool)
    out = tmp_path / "raw.dcm"
    args = [exe, str(large_encoded[name, "ours"]), str(out)]
    if tool == "gdcmconv":
        args.insert(1, "--raw")
    subprocess.run(args, check=True, capture_output=True)
    ds = pydicom.dcmread(out)
    assert ds.file_meta.TransferSyntaxUID in ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2")
    arr, raw = originals[name]
    np.testing.assert_array_equal(ds.pixel_array, arr)
    assert bytes(ds.PixelData)[:len(raw)] == raw


def test_multiframe_our_encoding_decoded_by_dcmdrle_and_pydicom(tmp_path):
    exe = require_tool("dcmdrle")
    src = find_testfile("emri_small.dcm")
    ref = pydicom.dcmread(src).pixel_array
    ds = pydicom.dcmread(src)
    dc.compress(ds, RLE)
    ds.save_as(tmp_path / "c.dcm", enforce_file_format=True)
    subprocess.run([exe, str(tmp_path / "c.dcm"), str(tmp_path / "d.dcm")], check=True,
                   capture_output=True)
    np.testing.assert_array_equal(pydicom.dcmread(tmp_path / "d.dcm").pixel_array, ref)
    # pydicom's own numpy RLE decoder: a third implementation
    from pydicom.pixels import get_decoder as pd_decoder

    arr, _ = pd_decoder(RLE).as_array(pydicom.dcmread(tmp_path / "c.dcm"),
                                      decoding_plugin="pydicom")
    np.testing.assert_array_equal(arr, ref)


# ------------------------------------------------------------ round trips

SHAPES = [(1, 1), (1, 37), (41, 1), (7, 5), (3, 129), (2, 130), (2, 257), (5, 128), (4, 300)]
LAYOUTS = [(8, 1), (8, 3), (16, 1), (16, 3), (32, 1), (32, 3), (64, 1)]


@pytest.mark.parametrize("signed", [False, True], ids=["u", "s"])
@pytest.mark.parametrize("bits, spp", LAYOUTS)
def test_round_trip(bits, spp, signed):
    rng = np.random.default_rng(bits * 10 + spp + signed)
    dtype = np.dtype(f"{'i' if signed else 'u'}{bits // 8}")
    codec = get_decoder(RLE)
    for rows, cols in SHAPES:
        shape = (rows, cols) if spp == 1 else (rows, cols, spp)
        for kind in ("random", "constant", "mixed"):
            arr = random_array(rng, shape, dtype, kind)
            info = info_for(arr)
            enc = dc.encode_frame(arr, RLE)
            assert isinstance(enc, bytes)
            check_conformance(arr, enc)
            got = dc.decode_frame(enc, info)
            assert got.dtype == dtype and got.shape == shape
            np.testing.assert_array_equal(got, arr)
            # planar output through the codec object
            planar = np.empty((spp, rows, cols), dtype)
            codec.decode_into(enc, info, planar, planar_configuration=1)
            expect = arr[None] if spp == 1 else arr.transpose(2, 0, 1)
            np.testing.assert_array_equal(planar, expect)


@pytest.mark.parametrize("bits, spp", LAYOUTS)
def test_round_trip_frames(bits, spp):
    rng = np.random.default_rng(bits + spp)
    shape = (5, 33, 129) if spp == 1 else (5, 33, 129, spp)
    arr = random_array(rng, shape, f"u{bits // 8}", "mixed")
    frames = dc.encode_frames(arr, RLE, threads=2)
    assert len(frames) == 5
    assert frames == [dc.encode_frame(a, RLE) for a in arr]
    assert frames == dc.encode_frames(arr, RLE, threads=1)
    info = info_for(arr, frames_axis=True)
    got = dc.decode_frames(frames, info, threads=2)
    np.testing.assert_array_equal(got, arr)
    # memoryview, bytearray and numpy buffers are all accepted as input
    views = [memoryview(frames[0]), bytearray(frames[1]), np.frombuffer(frames[2], np.uint8)]
    np.testing.assert_array_equal(dc.decode_frames(views, info), arr[:3])


@pytest.mark.parametrize("bits, stored", [(8, 5), (16, 12), (32, 24), (64, 40)])
def test_bits_stored_masking_and_sign_extension(bits, stored):
    rng = np.random.default_rng(stored)
    raw = random_array(rng, (9, 131), f"u{bits // 8}")  # garbage in the unused bits too
    enc = dc.encode_frame(raw, RLE)
    mask = (1 << stored) - 1
    values = [int(v) & mask for v in raw.ravel()]
    unsigned = np.array(values, dtype=f"u{bits // 8}").reshape(raw.shape)
    signed = np.array([v - (1 << stored) if v >> (stored - 1) else v for v in values],
                      dtype=f"i{bits // 8}").reshape(raw.shape)
    u = dc.decode_frame(enc, info_for(raw, bits_stored=stored, signed=False))
    np.testing.assert_array_equal(u, unsigned)
    s = dc.decode_frame(enc, info_for(raw, bits_stored=stored, signed=True))
    assert s.dtype == signed.dtype
    np.testing.assert_array_equal(s, signed)


def test_twelve_bit_signed_values():
    arr = np.array([[-2048, -1, 0, 1, 2047, -1000]], np.int16)
    enc = dc.encode_frame(arr, RLE, bits_stored=12)
    got = dc.decode_frame(enc, info_for(arr, bits_stored=12))
    np.testing.assert_array_equal(got, arr)
    # the stored code of -1 with 12 bits only: 0x0FFF must still come back as -1
    enc = dc.encode_frame((arr.view(np.uint16) & 0x0FFF), RLE)
    got = dc.decode_frame(enc, info_for(arr, bits_stored=12, signed=True))
    np.testing.assert_array_equal(got, arr)


def test_encoded_sizes_are_what_packbits_gives():
    # 64 x 64 constant 8-bit: every row one replicate code (2 bytes)
    enc = dc.encode_frame(np.full((64, 64), 9, np.uint8), RLE)
    assert len(enc) == 64 + 64 * 2
    # a constant 1 x 300 row: runs of 128, 128 and 44
    enc = dc.encode_frame(np.full((1, 300), 9, np.uint8), RLE)
    assert enc[64:] == bytes([129, 9, 129, 9, 213, 9])
    # 1 x 3 all different: one literal, padded to even length
    enc = dc.encode_frame(np.array([[1, 2, 3]], np.uint8), RLE)
    assert enc[64:] == bytes([2, 1, 2, 3])
    # a 200-byte literal row is split into 128 + 72
    row = np.arange(200, dtype=np.uint8)[None]
    enc = dc.encode_frame(row, RLE)
    assert enc[64] == 127 and enc[64 + 129] == 71 and len(enc) == 64 + 202
    # 16-bit: two segments, high bytes first
    enc = dc.encode_frame(np.array([[0x0102, 0x0102]], np.uint16), RLE)
    assert struct.unpack("<3I", enc[:12]) == (2, 64, 66)
    assert enc[64:] == bytes([255, 1, 255, 2])


def test_lsb_first_segment_order_through_codec():
    arr = random_array(np.random.default_rng(3), (6, 7), np.uint16)
    enc = bytearray(dc.encode_frame(arr, RLE))
    # swap the two segment offsets: segments now hold the low byte first
    o1, o2 = struct.unpack("<2I", enc[4:12])
    seg1, seg2 = bytes(enc[o1:o2]), bytes(enc[o2:])
    swapped = bytes(enc[:64]) + seg2 + seg1
    swapped = swapped[:4] + struct.pack("<2I", 64, 64 + len(seg2)) + swapped[12:]
    out = np.empty_like(arr)
    get_decoder(RLE).decode_into(swapped, info_for(arr), out, lsb_first=True)
    np.testing.assert_array_equal(out, arr)
    # read in the standard's order it is the byte-swapped image
    got = dc.decode_frame(swapped, info_for(arr))
    np.testing.assert_array_equal(got, arr.byteswap())


def test_ybr_full_converted_unless_asked_not_to():
    from pydicom.pixels import convert_color_space

    rng = np.random.default_rng(5)
    ybr = random_array(rng, (16, 17, 3), np.uint8)
    enc = dc.encode_frame(ybr, RLE, photometric_interpretation="YBR_FULL")
    info = info_for(ybr, pi="YBR_FULL")
    np.testing.assert_array_equal(dc.decode_frame(enc, info, as_rgb=False), ybr)
    rgb = dc.decode_frame(enc, info)
    ref = convert_color_space(ybr.copy(), "YBR_FULL", "RGB")
    assert np.abs(rgb.astype(int) - ref.astype(int)).max() <= 1


_layouts = st.sampled_from([(np.uint8, 1), (np.int8, 3), (np.uint16, 1), (np.int16, 3),
                            (np.uint32, 1), (np.int32, 3), (np.uint64, 1), (np.int64, 1)])


@st.composite
def _frames(draw):
    dtype, spp = draw(_layouts)
    rows = draw(st.integers(1, 6))
    cols = draw(st.integers(1, 270))
    shape = (rows, cols) if spp == 1 else (rows, cols, spp)
    # few distinct values, so runs of every length occur
    elements = st.sampled_from(np.array([0, 1, 255, -1, 77], dtype=np.int64).astype(dtype)
                               .tolist()) if draw(st.booleans()) else None
    return draw(hnp.arrays(dtype, shape, elements=elements))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_frames())
def test_round_trip_property(arr):
    enc = dc.encode_frame(arr, RLE)
    check_conformance(arr, enc)
    np.testing.assert_array_equal(dc.decode_frame(enc, info_for(arr)), arr)


# ------------------------------------------------------------- encode errors

def test_encode_refuses_24_segments():
    arr = np.zeros((4, 4, 3), np.uint64)
    with pytest.raises(dc.EncodeError, match="RLE Lossless") as exc:
        dc.encode_frame(arr, RLE)
    assert "15" in str(exc.value)
    with pytest.raises(dc.EncodeError):
        dc.encode_frames(arr[None], RLE)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.complex64, bool])
def test_encode_refuses_non_integers(dtype):
    with pytest.raises(dc.EncodeError, match="RLE Lossless"):
        dc.encode_frame(np.zeros((4, 4), dtype), RLE)


def test_encode_takes_any_byte_order_and_layout():
    arr = np.array([[1, 2, 300], [65535, 256, 0]], np.uint16)
    info = info_for(arr)
    ref = dc.encode_frame(arr, RLE)
    for variant in (arr.astype(">u2"), np.asfortranarray(arr), arr[::-1][::-1],
                    np.array(arr.T).T):
        assert dc.encode_frame(variant, RLE) == ref
    np.testing.assert_array_equal(dc.decode_frame(ref, info), arr)
    frames = dc.encode_frames(np.stack([arr, arr]).astype(">u2"), RLE)
    assert frames == [ref, ref]


def test_encode_refuses_bad_shapes_and_bits_stored():
    for shape in ((0, 5), (5, 0), (0, 5, 3)):
        with pytest.raises(dc.EncodeError, match="RLE Lossless.*empty frame"):
            dc.encode_frame(np.zeros(shape, np.uint8), RLE)
    with pytest.raises(dc.EncodeError, match="empty frame"):
        dc.encode_frames(np.zeros((2, 0, 5), np.uint8), RLE)
    with pytest.raises(dc.EncodeError):
        dc.encode_frame(np.zeros(16, np.uint8), RLE)
    with pytest.raises(dc.EncodeError):
        dc.encode_frame(np.zeros((2, 2, 2, 2, 2), np.uint8), RLE)
    with pytest.raises(dc.EncodeError, match="bits_stored"):
        dc.encode_frame(np.zeros((2, 2), np.uint8), RLE, bits_stored=9)


# ---------------------------------------------------------------- bad input

@pytest.fixture(scope="module")
def good16():
    arr = random_array(np.random.default_rng(11), (10, 12), np.int16, "mixed")
    return arr, dc.encode_frame(arr, RLE)


def _header(count, *offsets):
    offs = list(offsets) + [0] * (15 - len(offsets))
    return struct.pack("<16I", count, *offs)


def _bad_cases(arr, enc):
    body = enc[64:]
    o2 = struct.unpack("<I", enc[8:12])[0]
    return {
        "empty": (b"", "shorter than the 64-byte"),
        "63 bytes": (enc[:63], "shorter than the 64-byte"),
        "count 0": (_header(0) + body, "declares 0 segments"),
        "count 16": (_header(16, *range(64, 64 + 15)) + body, "declares 16 segments"),
        "count 255": (_header(255, 64, o2) + body, "declares 255 segments"),
        "count mismatched": (_header(1, 64) + body, "declares 1 segments"),
        "count 4": (_header(4, 64, o2, o2, o2) + body, "declares 4 segments"),
        "offset past end": (_header(2, 64, len(enc) + 2) + body, "outside"),
        "offset inside header": (_header(2, 10, o2) + body, "outside"),
        "offsets decreasing": (_header(2, o2, 64) + body, "precedes"),
        "truncated segment": (enc[:-6], "decodes to"),
        "empty segment": (_header(2, 64, 64) + body, "decodes to"),
    }


@pytest.mark.parametrize("case", ["empty", "63 bytes", "count 0", "count 16", "count 255",
                                  "count mismatched", "count 4", "offset past end",
                                  "offset inside header", "offsets decreasing",
                                  "truncated segment", "empty segment"])
def test_bad_input_raises_decode_error(case, good16):
    arr, enc = good16
    data, cause = _bad_cases(arr, enc)[case]
    info = info_for(arr)
    with pytest.raises(dc.DecodeError) as exc:
        dc.decode_frame(data, info, frame=7)
    msg = str(exc.value)
    assert "RLE Lossless" in msg and "frame 7" in msg and cause in msg, msg
    assert exc.value.codec == "RLE Lossless" and exc.value.frame == 7
    # and the frame number decode_frames reports is the frame's index
    with pytest.raises(dc.DecodeError, match="frame 2"):
        dc.decode_frames([enc, enc, data], info, threads=1)


def test_more_rows_claimed_than_encoded(good16):
    arr, enc = good16
    info = info_for(arr).replace(rows=arr.shape[0] + 1)
    with pytest.raises(dc.DecodeError, match=r"RLE Lossless: frame 0: .*decodes to 120 bytes"):
        dc.decode_frame(enc, info, frame=0)


def test_fewer_rows_claimed_than_encoded(good16):
    arr, enc = good16
    info = info_for(arr).replace(rows=arr.shape[0] - 2)
    with pytest.raises(dc.DecodeError, match=r"RLE Lossless: frame 1: .*more data"):
        dc.decode_frame(enc, info, frame=1)


def test_wrong_samples_or_bits_claimed(good16):
    arr, enc = good16
    with pytest.raises(dc.DecodeError, match="segments"):
        dc.decode_frame(enc, info_for(arr).replace(bits_allocated=8, bits_stored=8))
    with pytest.raises(dc.DecodeError, match="segments"):
        dc.decode_frame(enc, info_for(arr).replace(samples_per_pixel=3,
                                                   photometric_interpretation="RGB"))


@pytest.mark.parametrize("rows, cols, spp", [(0, 12, 1), (10, 0, 1), (0, 0, 3), (10, 12, 0)])
def test_empty_frame_is_refused_by_frameinfo(rows, cols, spp):
    field = "rows" if rows == 0 else "columns" if cols == 0 else "samples_per_pixel"
    with pytest.raises(dc.InvalidInputError, match=f"FrameInfo.{field}"):
        dc.FrameInfo(RLE, rows, cols, spp, 16, 16, 1, "MONOCHROME2")


@pytest.mark.nosanitize  # ASan's allocator and shadow memory change both measures
@pytest.mark.parametrize("spp, bits", [(3, 8), (1, 64), (3, 16), (1, 32), (1, 8)])
def test_absurd_size_fails_fast_without_memory(spp, bits):
    info = dc.FrameInfo(RLE, 65535, 65535, spp, bits, bits, 0,
                        "RGB" if spp == 3 else "MONOCHROME2")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    for data in (b"\x02" + bytes(15), _header(spp * bits // 8, 64) + b"\x00\x00"):
        with pytest.raises(dc.DecodeError, match="RLE Lossless: frame 0"):
            dc.decode_frame(data, info, frame=0)
        with pytest.raises(dc.DecodeError, match="RLE Lossless"):
            dc.decode_frames([data, data], info)
    assert time.perf_counter() - t < 2.0
    # ru_maxrss is in KiB: nothing near the claimed gigabytes was touched
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss < 200 * 1024


def test_frames_above_the_dicom_limit_are_refused_before_allocation():
    from dicomcodecs import _api

    info = dc.FrameInfo(RLE, 65535, 65535, 3, 8, 8, 0, "RGB")  # 12.9 GB
    with pytest.raises(dc.DecodeError, match="more than a DICOM frame can hold"):
        dc.decode_frame(b"", info)
    assert _api.MAX_FRAME_BYTES == 0xFFFFFFFE


def test_dataset_claiming_absurd_dimensions(tmp_path):
    ds = pydicom.dcmread(find_testfile("MR_small_RLE.dcm"))
    ds.Rows = ds.Columns = 65535  # 8.6 GB of 16-bit samples from 7 KB
    with pytest.raises(dc.DecodeError, match="RLE Lossless: frame 0: .*more than a DICOM"):
        dc.pixel_array(ds)
    ds.save_as(tmp_path / "huge.dcm")
    with pytest.raises(dc.DecodeError, match="RLE Lossless: frame 0: "):
        dc.pixel_array(tmp_path / "huge.dcm")
    with pytest.raises(dc.DecodeError, match="RLE Lossless: frame 0: "):
        next(dc.iter_frames(tmp_path / "huge.dcm"))


def test_every_truncation_fails_cleanly(good16):
    arr, enc = good16
    info = info_for(arr)
    for n in range(len(enc)):
        try:
            got = dc.decode_frame(enc[:n], info, frame=0)
        except dc.DecodeError as exc:
            assert "RLE Lossless: frame 0" in str(exc)
        else:
            # only the even-length padding byte may go
            assert n >= len(enc) - 1, n
            np.testing.assert_array_equal(got, arr)


def test_trailing_padding_is_tolerated(good16):
    arr, enc = good16
    for pad in (b"\x00", b"\x00\x00", b"\x00" * 4, b"\xff\x00", b"\x02\x01\x02\x03"):
        np.testing.assert_array_equal(dc.decode_frame(enc + pad, info_for(arr)), arr)
    # but a whole extra row of data is not padding
    flat = np.full((10, 12), 0x0102, np.int16)
    enc = dc.encode_frame(flat, RLE)
    assert len(enc) == 64 + 2 * 10 * 2  # one replicate code per row, no padding
    extra_row = bytes([256 - 11, 2])  # a replicate run of 12 = Columns
    np.testing.assert_array_equal(dc.decode_frame(enc + extra_row[:1], info_for(flat)), flat)
    with pytest.raises(dc.DecodeError, match="segment 2 holds more data"):
        dc.decode_frame(enc + extra_row + b"\x00", info_for(flat))


def test_random_bit_flips_never_crash():
    rng = np.random.default_rng(2024)
    arr = random_array(rng, (12, 140, 3), np.uint16, "mixed")
    enc = dc.encode_frame(arr, RLE)
    info = info_for(arr)
    decoded = failed = 0
    for _ in range(500):
        data = flip_bits(rng, enc)
        try:
            got = dc.decode_frame(data, info, frame=0)
        except dc.DecodeError as exc:
            assert str(exc).startswith("RLE Lossless: frame 0: ")
            failed += 1
        else:
            assert got.shape == arr.shape and got.dtype == arr.dtype
            decoded += 1
    assert failed > 0 and decoded > 0  # both paths were exercised


def test_corrupt_frame_in_file_names_its_index(tmp_path):
    ds = pydicom.dcmread(find_testfile("emri_small_RLE.dcm"))
    frames = list(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=10))
    frames[6] = frames[6][:100]
    ds.PixelData = pydicom.encaps.encapsulate(frames)
    ds.save_as(tmp_path / "bad.dcm")
    for threads in (1, 2):
        with pytest.raises(dc.DecodeError, match="RLE Lossless: frame 6: "):
            dc.pixel_array(tmp_path / "bad.dcm", threads=threads)
    ref = pydicom.dcmread(find_testfile("emri_small.dcm")).pixel_array
    np.testing.assert_array_equal(dc.pixel_array(tmp_path / "bad.dcm", frames=[0, 5]),
                                  ref[[0, 5]])


# ------------------------------------------------------------------ threads

def test_many_python_threads_decode_the_same_frames():
    rng = np.random.default_rng(8)
    arr = random_array(rng, (12, 96, 131), np.uint16, "mixed")
    frames = dc.encode_frames(arr, RLE)
    info = info_for(arr, frames_axis=True)
    errors = []
    start = threading.Barrier(8)

    def work(k):
        try:
            start.wait()
            for _ in range(10):
                for i in range(len(frames)):
                    j = (i + k) % len(frames)
                    np.testing.assert_array_equal(dc.decode_frame(frames[j], info), arr[j])
                np.testing.assert_array_equal(dc.decode_frames(frames, info, threads=2), arr)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]


def test_threads_two_equals_one():
    rng = np.random.default_rng(9)
    arr = random_array(rng, (9, 64, 257, 3), np.uint8, "mixed")
    frames = dc.encode_frames(arr, RLE, threads=2)
    info = info_for(arr, frames_axis=True)
    one = dc.decode_frames(frames, info, threads=1)
    two = dc.decode_frames(frames, info, threads=2)
    np.testing.assert_array_equal(one, arr)
    np.testing.assert_array_equal(two, arr)
    # an error in one worker stops the batch and surfaces
    bad = list(frames)
    bad[4] = b"\x00" * 10
    with pytest.raises(dc.DecodeError, match="frame 4"):
        dc.decode_frames(bad, info, threads=2)
