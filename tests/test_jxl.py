"""JPEG XL (.4.110 lossless, .4.111 JPEG recompression, .4.112) end to end:
round trips, interop both ways with cjxl/djxl (libjxl-tools) and
imagecodecs' newer libjxl, byte-identical JPEG reconstruction on pydicom's
and pydicom-data's baseline files, PS3.5 Table 8.2.15-1, lossy attributes,
bad input, the pydicom plugin and the CLI."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pydicom
import pytest

import dicomcodecs as dc
from dicomcodecs import _jxl
from dicomcodecs.families import jxl as jxl_codecs
from dicomcodecs.cli import main as cli_main
from dicomcodecs.registry import get_encoder

from .conftest import find_testfile, frames_of, require_tool, write_native

LOSSLESS = "1.2.840.10008.1.2.4.110"
RECOMPRESSION = "1.2.840.10008.1.2.4.111"
JXL = "1.2.840.10008.1.2.4.112"
BASELINE = "1.2.840.10008.1.2.4.50"

# Every JPEG Baseline file of pydicom and pydicom-data (colour, odd sizes,
# restart markers, 422 and 444 sampling, multi-frame).
BASELINE_FILES = [
    "SC_jpeg_no_color_transform.dcm", "SC_jpeg_no_color_transform_2.dcm",
    "SC_rgb_dcmtk_+eb+cr.dcm", "SC_rgb_dcmtk_+eb+cy+n1.dcm", "SC_rgb_dcmtk_+eb+cy+n2.dcm",
    "SC_rgb_dcmtk_+eb+cy+np.dcm", "SC_rgb_dcmtk_+eb+cy+s2.dcm", "SC_rgb_dcmtk_+eb+cy+s4.dcm",
    "SC_rgb_jpeg.dcm", "SC_rgb_jpeg_app14_dcmd.dcm", "SC_rgb_jpeg_dcmtk.dcm",
    "SC_rgb_jpeg_lossy_gdcm.dcm", "SC_rgb_small_odd_jpeg.dcm", "examples_ybr_color.dcm",
    "color3d_jpeg_baseline.dcm",
]


def info(uid, arr, bits_stored=None, signed=None, pi=None):
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    bits = arr.dtype.itemsize * 8
    signed = arr.dtype.kind == "i" if signed is None else signed
    return dc.FrameInfo(uid, arr.shape[0], arr.shape[1], spp, bits, bits_stored or bits,
                        int(signed), pi or ("MONOCHROME2" if spp == 1 else "RGB"))


def image(rng, shape, dtype, bits, smooth=False):
    """Random samples of `bits` bits (two's complement range when signed)."""
    dtype = np.dtype(dtype)
    if smooth:
        y, x = np.mgrid[:shape[0], :shape[1]]
        base = (np.sin(x / 9.0) + np.cos(y / 7.0) + 2) / 4
        if len(shape) == 3:
            base = np.stack([base, base[::-1], base[:, ::-1]], axis=-1)
        v = (base * ((1 << bits) - 1)).astype(np.int64)
        if dtype.kind == "i":
            v -= 1 << (bits - 1)
        return v.astype(dtype)
    lo, hi = (-(1 << (bits - 1)), 1 << (bits - 1)) if dtype.kind == "i" else (0, 1 << bits)
    return rng.integers(lo, hi, shape).astype(dtype)


def psnr(a, b, bits):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(((1 << bits) - 1) ** 2 / mse)


def sign_extend(values, bits, dtype):
    """Codestream values (unsigned, `bits` bits) read as two's complement."""
    v = values.astype(np.int64)
    v = np.where(v >= 1 << (bits - 1), v - (1 << bits), v)
    return v.astype(dtype)


# ------------------------------------------------------------------ lossless

LOSSLESS_CASES = [
    ((37, 53), np.uint8, 8), ((37, 53), np.uint8, 6), ((40, 31), np.uint16, 16),
    ((40, 31), np.uint16, 12), ((40, 31), np.uint16, 10), ((16, 16), np.uint16, 1),
    ((33, 29), np.int16, 16), ((33, 29), np.int16, 12), ((21, 19), np.int8, 8),
    ((25, 27, 3), np.uint8, 8), ((25, 27, 3), np.uint16, 16), ((25, 27, 3), np.uint16, 12),
]


@pytest.mark.parametrize("uid", [LOSSLESS, JXL])
@pytest.mark.parametrize("shape, dtype, bits", LOSSLESS_CASES)
def test_lossless_round_trip_is_bit_exact(uid, shape, dtype, bits):
    rng = np.random.default_rng(bits + len(shape))
    arr = image(rng, shape, dtype, bits)
    options = {} if uid == LOSSLESS else {"lossless": True}
    enc = dc.encode_frame(arr, uid, bits_stored=bits, **options)
    head = _jxl.read_header(enc)
    assert (head["width"], head["height"], head["bits"], head["lossless"]) == \
        (shape[1], shape[0], bits, True)
    assert head["channels"] == (1 if len(shape) == 2 else 3)
    out = dc.decode_frame(enc, info(uid, arr, bits))
    assert out.dtype == arr.dtype and np.array_equal(out, arr)


def test_decode_frames_on_threads_and_one_frame_on_libjxl_threads():
    rng = np.random.default_rng(5)
    arr = image(rng, (6, 64, 48), np.uint16, 12)
    frames = dc.encode_frames(arr, LOSSLESS, bits_stored=12, threads=2)
    fi = info(LOSSLESS, arr[0], 12)
    assert np.array_equal(dc.decode_frames(frames, fi, threads=2), arr)
    assert np.array_equal(dc.decode_frame(frames[3], fi, threads=2), arr[3])
    out = np.zeros_like(arr[0])
    assert dc.decode_frame(frames[1], fi, out=out) is out and np.array_equal(out, arr[1])


def test_one_frame_encodes_on_libjxl_threads(spy_engine_threads):
    """Encoding follows decoding's thread rule: one frame with threads=2
    gets 2 libjxl threads, and still codes losslessly."""
    rng = np.random.default_rng(6)
    arr = image(rng, (256, 192), np.uint16, 12)
    given = spy_engine_threads(type(get_encoder(LOSSLESS)))
    one = dc.encode_frame(arr, LOSSLESS, bits_stored=12)
    two = dc.encode_frame(arr, LOSSLESS, bits_stored=12, threads=2)
    assert given == [None, 2] and one == two
    fi = info(LOSSLESS, arr, 12)
    assert np.array_equal(dc.decode_frame(one, fi), arr)
    assert np.array_equal(dc.decode_frame(two, fi), arr)


# ------------------------------------------------- interop: imagecodecs, cjxl

imagecodecs = pytest.importorskip("imagecodecs")


@pytest.mark.parametrize("shape, dtype, bits", LOSSLESS_CASES)
def test_imagecodecs_decodes_ours(shape, dtype, bits):
    """Unsigned samples come back as they are; signed ones as their Bits
    Stored-bit two's complement pattern, which sign-extends to ours."""
    rng = np.random.default_rng(11)
    arr = image(rng, shape, dtype, bits)
    theirs = imagecodecs.jpegxl_decode(dc.encode_frame(arr, LOSSLESS, bits_stored=bits))
    theirs = theirs.reshape(arr.shape)
    if arr.dtype.kind == "i":
        theirs = sign_extend(theirs, bits, arr.dtype)
    assert np.array_equal(theirs, arr)


@pytest.mark.parametrize("shape, dtype, bits", [((37, 53), np.uint8, 8), ((40, 31), np.uint16, 16),
                                                ((40, 31), np.uint16, 12),
                                                ((25, 27, 3), np.uint8, 8),
                                                ((25, 27, 3), np.uint16, 16)])
def test_we_decode_imagecodecs_lossless(shape, dtype, bits):
    rng = np.random.default_rng(12)
    arr = image(rng, shape, dtype, bits)
    enc = imagecodecs.jpegxl_encode(arr, lossless=True, bitspersample=bits)
    assert np.array_equal(dc.decode_frame(enc, info(LOSSLESS, arr, bits)), arr)


def _pnm(arr, maxval):
    magic = b"P5" if arr.ndim == 2 else b"P6"
    body = arr.astype(">u2" if maxval > 255 else "u1").tobytes()
    return magic + f"\n{arr.shape[1]} {arr.shape[0]}\n{maxval}\n".encode() + body


def _read_pnm(data):
    parts = data.split(maxsplit=4)
    w, h, maxval = int(parts[1]), int(parts[2]), int(parts[3])
    body = parts[4]
    dt = ">u2" if maxval > 255 else "u1"
    spp = 3 if parts[0] == b"P6" else 1
    arr = np.frombuffer(body[-w * h * spp * np.dtype(dt).itemsize:], dt)
    return arr.reshape((h, w, spp) if spp == 3 else (h, w)), maxval


@pytest.mark.parametrize("shape, dtype", [((37, 53), np.uint8), ((40, 31), np.uint16),
                                          ((25, 27, 3), np.uint8), ((25, 27, 3), np.uint16)])
def test_cjxl_and_djxl_both_ways(tmp_path, shape, dtype):
    cjxl, djxl = require_tool("cjxl"), require_tool("djxl")
    rng = np.random.default_rng(13)
    arr = image(rng, shape, dtype, np.dtype(dtype).itemsize * 8)
    maxval = 255 if arr.dtype.itemsize == 1 else 65535
    # theirs -> ours
    ext = ".pgm" if arr.ndim == 2 else ".ppm"
    src, enc = tmp_path / f"in{ext}", tmp_path / "in.jxl"
    src.write_bytes(_pnm(arr, maxval))
    subprocess.run([cjxl, str(src), str(enc), "-d", "0", "-e", "3"], check=True,
                   capture_output=True)
    assert np.array_equal(dc.decode_frame(enc.read_bytes(), info(LOSSLESS, arr)), arr)
    # ours -> theirs
    ours, out = tmp_path / "ours.jxl", tmp_path / f"out{ext}"
    ours.write_bytes(dc.encode_frame(arr, LOSSLESS))
    subprocess.run([djxl, str(ours), str(out)], check=True, capture_output=True)
    back, _ = _read_pnm(out.read_bytes())
    assert np.array_equal(back, arr)


def test_djxl_reads_12_bit_frames(tmp_path):
    """djxl 0.7 writes a 12-bit image as PGM with maxval 4095 but samples
    scaled to 16 bits; scaled back they are ours exactly."""
    djxl = require_tool("djxl")
    rng = np.random.default_rng(14)
    arr = image(rng, (30, 20), np.uint16, 12)
    (tmp_path / "a.jxl").write_bytes(dc.encode_frame(arr, LOSSLESS, bits_stored=12))
    subprocess.run([djxl, str(tmp_path / "a.jxl"), str(tmp_path / "a.pgm")], check=True,
                   capture_output=True)
    back, _ = _read_pnm((tmp_path / "a.pgm").read_bytes())
    back = back.astype(np.int64)
    if back.max() > 4095:
        back = (back * 4095 + 32767) // 65535
    assert np.array_equal(back, arr)


# ------------------------------------------------------------ .111 recompression

@pytest.mark.parametrize("name", BASELINE_FILES)
def test_recompression_rebuilds_the_jpeg_byte_for_byte(name):
    path = find_testfile(name)
    original = frames_of(path)
    ds = pydicom.dcmread(path)
    before = dc.pixel_array(ds)
    photometric = ds.PhotometricInterpretation
    dc.compress(ds, "jpeg-xl-recompression")
    assert ds.file_meta.TransferSyntaxUID == RECOMPRESSION
    assert ds.PhotometricInterpretation == photometric
    n = len(original)
    jxl_frames = dc._api._PixelSource(ds)
    stored = [bytes(jxl_frames.frame(i)) for i in range(n)]
    assert all(_jxl.read_header(f)["has_jpeg"] for f in stored)
    assert [_jxl.to_jpeg(f) for f in stored] == original
    # smaller than the JPEG it holds, but for the container's ~60 bytes on
    # the tiniest images
    assert sum(map(len, stored)) < sum(map(len, original)) + 64 * n
    # pixels: exactly what libjpeg-turbo gives for the rebuilt JPEG
    assert np.array_equal(dc.pixel_array(ds), before)
    # transcoded back to JPEG Baseline: the same frames
    back = ds
    dc.compress(back, "jpeg-baseline")
    assert back.file_meta.TransferSyntaxUID == BASELINE
    from pydicom.encaps import generate_frames
    assert list(generate_frames(back.PixelData, number_of_frames=n)) == original


def test_djxl_rebuilds_our_jpeg_and_we_rebuild_cjxls(tmp_path):
    cjxl, djxl = require_tool("cjxl"), require_tool("djxl")
    jpeg = frames_of(find_testfile("SC_rgb_jpeg_dcmtk.dcm"))[0]
    jpeg = jpeg.rstrip(b"\0") if jpeg.endswith(b"\xff\xd9\0") else jpeg
    (tmp_path / "ours.jxl").write_bytes(_jxl.from_jpeg(jpeg))
    subprocess.run([djxl, str(tmp_path / "ours.jxl"), str(tmp_path / "back.jpg")], check=True,
                   capture_output=True)
    assert (tmp_path / "back.jpg").read_bytes() == jpeg
    (tmp_path / "in.jpg").write_bytes(jpeg)
    subprocess.run([cjxl, str(tmp_path / "in.jpg"), str(tmp_path / "theirs.jxl")], check=True,
                   capture_output=True)
    theirs = (tmp_path / "theirs.jxl").read_bytes()
    assert _jxl.to_jpeg(theirs) == jpeg
    fi = dc.FrameInfo(RECOMPRESSION, 100, 100, 3, 8, 8, 0, "YBR_FULL")
    jpeg_info = fi.replace(transfer_syntax=BASELINE)
    assert np.array_equal(dc.decode_frame(theirs, fi), dc.decode_frame(jpeg, jpeg_info))


def test_recompression_saves_a_tenth_on_the_baseline_files():
    before = after = 0
    for name in BASELINE_FILES[:-1]:
        frames = frames_of(find_testfile(name))
        before += sum(map(len, frames))
        after += sum(len(_jxl.from_jpeg(f)) for f in frames)
    assert after < 0.9 * before, (before, after)  # 17% measured (libjxl 0.7)


@pytest.mark.parametrize("name, reason", [("JPEG-lossy.dcm", "12-bit JPEG"),
                                          ("JPEG-LL.dcm", "lossless JPEG")])
def test_jpegs_libjxl_cannot_take_are_refused_with_the_reason(name, reason):
    ds = pydicom.dcmread(find_testfile(name))
    with pytest.raises(dc.EncodeError, match=reason) as exc:
        dc.compress(ds, RECOMPRESSION)
    assert "JPEG XL JPEG Recompression" in str(exc.value) and "frame 0" in str(exc.value)


def test_recompression_takes_effort_only_and_jpeg_options_mean_reencoding():
    ds = pydicom.dcmread(find_testfile("SC_rgb_jpeg_dcmtk.dcm"))
    original = frames_of(find_testfile("SC_rgb_jpeg_dcmtk.dcm"))
    with pytest.raises(dc.EncodeError, match="distance: recompressing a JPEG takes only"):
        dc.compress(ds, RECOMPRESSION, distance=1.0)
    dc.compress(ds, RECOMPRESSION, effort=9)
    assert _jxl.to_jpeg(bytes(dc._api._PixelSource(ds).frame(0))) == original[0]
    dc.compress(ds, BASELINE, quality=50)  # re-encoded from pixels: a new JPEG
    assert bytes(dc._api._PixelSource(ds).frame(0)) != original[0]
    assert ds.LossyImageCompressionMethod[-1] == "ISO_10918_1"


def test_pixels_cannot_be_encoded_as_recompression():
    arr = np.zeros((8, 8), np.uint8)
    with pytest.raises(dc.EncodeError, match="holds a JPEG bitstream, not pixels"):
        dc.encode_frame(arr, RECOMPRESSION)
    ds = write_native(None, arr, bits_stored=8)
    with pytest.raises(dc.EncodeError, match="not pixels"):
        dc.compress(ds, RECOMPRESSION)


def test_check_jpeg_reasons():
    with pytest.raises(dc.EncodeError, match="no SOI"):
        _jxl.from_jpeg(b"\x00\x01\x02\x03")
    # an arithmetic-coded SOF9 header
    sof9 = b"\xff\xd8\xff\xc9\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00\xff\xd9"
    with pytest.raises(dc.EncodeError, match="arithmetic-coded"):
        _jxl.from_jpeg(sof9)


# ------------------------------------------------------------------ .112 lossy

def test_lossy_distance_quality_and_effort():
    rng = np.random.default_rng(3)
    arr = image(rng, (96, 80, 3), np.uint8, 8, smooth=True)
    fi = info(JXL, arr)
    sizes = {}
    for d in (0.5, 1.0, 4.0):
        enc = dc.encode_frame(arr, JXL, distance=d)
        assert not _jxl.read_header(enc)["lossless"]
        sizes[d] = len(enc)
        assert psnr(dc.decode_frame(enc, fi), arr, 8) > (40 if d <= 1 else 30)
    assert sizes[0.5] > sizes[1.0] > sizes[4.0]
    # quality 90 is cjxl's distance 1
    assert jxl_codecs.distance_for_quality(90) == pytest.approx(1.0)
    q90 = dc.encode_frame(arr, JXL, quality=90)
    assert abs(len(q90) - sizes[1.0]) <= sizes[1.0] // 20
    assert np.array_equal(dc.decode_frame(dc.encode_frame(arr, JXL, quality=100), fi), arr)
    assert np.array_equal(dc.decode_frame(dc.encode_frame(arr, JXL, distance=0), fi), arr)
    fast = dc.encode_frame(arr, JXL, distance=1.0, effort=1)
    assert psnr(dc.decode_frame(fast, fi), arr, 8) > 35


def test_lossy_16_bit_gray_and_signed():
    rng = np.random.default_rng(4)
    arr = image(rng, (64, 64), np.int16, 12, smooth=True)
    enc = dc.encode_frame(arr, JXL, bits_stored=12, distance=0.5)
    out = dc.decode_frame(enc, info(JXL, arr, 12))
    assert out.dtype == np.int16 and psnr(out, arr, 12) > 30
    assert out.min() >= -2048 and out.max() <= 2047


def test_compress_sets_the_lossy_attributes_only_when_lossy():
    rng = np.random.default_rng(6)
    arr = image(rng, (64, 48, 3), np.uint8, 8, smooth=True)
    ds = write_native(None, arr, bits_stored=8)
    dc.compress(ds, "jpeg-xl", distance=1.0)
    assert ds.file_meta.TransferSyntaxUID == JXL
    assert ds.LossyImageCompression == "01"
    assert ds.LossyImageCompressionMethod == "ISO_18181_1"
    assert float(ds.LossyImageCompressionRatio) > 1
    assert ds.PhotometricInterpretation == "RGB"
    ds = write_native(None, arr, bits_stored=8)
    dc.compress(ds, "jpeg-xl", lossless=True)
    assert "LossyImageCompression" not in ds and np.array_equal(dc.pixel_array(ds), arr)
    ds = write_native(None, arr, bits_stored=8)
    dc.compress(ds, "JPEGXLLossless", effort=3)
    assert "LossyImageCompression" not in ds and np.array_equal(dc.pixel_array(ds), arr)


# ------------------------------------------------------------- PS3.5 8.2.15

@pytest.mark.parametrize("uid, arr, kwargs, match", [
    (LOSSLESS, np.zeros((4, 4, 3), np.uint8), {"photometric_interpretation": "YBR_FULL"},
     "YBR_FULL is not allowed"),
    (JXL, np.zeros((4, 4), np.uint8), {"photometric_interpretation": "PALETTE COLOR"},
     "PALETTE COLOR is not allowed"),
    (LOSSLESS, np.zeros((4, 4, 3), np.int16), {}, "must be unsigned"),
    (LOSSLESS, np.zeros((4, 4), np.uint32), {}, "Bits Allocated 8 or 16"),
    (LOSSLESS, np.zeros((4, 4, 4), np.uint8), {"photometric_interpretation": "RGB"},
     "must be 1 or 3"),
    (LOSSLESS, np.zeros((4, 4), np.uint8), {"distance": 1.0}, "takes only 'effort'"),
    (JXL, np.zeros((4, 4), np.uint8), {"distance": 30}, "distance=30"),
    (JXL, np.zeros((4, 4), np.uint8), {"effort": 0}, "effort=0"),
    (JXL, np.zeros((4, 4), np.uint8), {"distance": 1, "quality": 90}, "not both"),
    (JXL, np.zeros((4, 4), np.uint8), {"lossless": True, "distance": 2}, "contradicts"),
    (LOSSLESS, np.zeros((4, 4), np.uint8), {"colour": 1}, "unknown option"),
])
def test_what_the_syntax_forbids_is_an_encode_error(uid, arr, kwargs, match):
    with pytest.raises(dc.EncodeError, match=match):
        dc.encode_frame(arr, uid, **kwargs)


def test_palette_colour_lossless_round_trips():
    arr = np.arange(256, dtype=np.uint16).reshape(16, 16) * 3
    enc = dc.encode_frame(arr, LOSSLESS, photometric_interpretation="PALETTE COLOR",
                          bits_stored=10)
    fi = info(LOSSLESS, arr, 10, pi="PALETTE COLOR")
    assert np.array_equal(dc.decode_frame(enc, fi), arr)


# ------------------------------------------------------------------ bad input

@pytest.fixture(scope="module")
def good():
    arr = np.arange(24 * 20, dtype=np.uint16).reshape(24, 20)
    return arr, dc.encode_frame(arr, LOSSLESS, bits_stored=9)


@pytest.mark.parametrize("mutate, match", [
    (lambda b: b"", "empty"),
    (lambda b: b"\x00" * 40, "no JPEG XL signature"),
    (lambda b: b[: len(b) // 2], "truncated|ends before|invalid"),
    (lambda b: b[:2] + bytes(x ^ 0x5A for x in b[2:40]) + b[40:], "invalid|corrupt|mismatch|codestream"),
])
def test_bad_input_is_a_decode_error(good, mutate, match):
    arr, enc = good
    fi = info(LOSSLESS, arr, 9)
    with pytest.raises(dc.DecodeError, match=match) as exc:
        dc.decode_frame(mutate(enc), fi, frame=3)
    assert "JPEG XL Lossless: frame 3" in str(exc.value)


@pytest.mark.parametrize("change, match", [
    ({"rows": 23}, "the dataset says"), ({"samples_per_pixel": 3,
                                         "photometric_interpretation": "RGB"},
                                        "colour channels"),
    ({"bits_allocated": 8, "bits_stored": 8}, "do not fit Bits Allocated 8"),
    ({"bits_allocated": 32, "bits_stored": 32}, "Bits Allocated 32"),
])
def test_frame_disagreeing_with_the_dataset_is_a_decode_error(good, change, match):
    arr, enc = good
    fi = info(LOSSLESS, arr, 9).replace(**change)
    with pytest.raises(dc.DecodeError, match=match):
        dc.decode_frame(enc, fi)


def test_recompression_data_without_jpeg_decodes_its_pixels_and_cannot_rebuild(good):
    arr, enc = good
    fi = info(RECOMPRESSION, arr, 9)
    assert np.array_equal(dc.decode_frame(enc, fi), arr)
    with pytest.raises(dc.DecodeError, match="no JPEG reconstruction data"):
        _jxl.to_jpeg(enc)


# ------------------------------------------------------- pydicom plugin, CLI

def _saved(ds):
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return pydicom.dcmread(io.BytesIO(buf.getvalue()))


def test_pydicom_decodes_and_encodes_jpeg_xl_once_registered():
    import dicomcodecs.pydicom as dcp
    from pydicom._uid_dict import UID_dictionary
    from pydicom.pixels import get_decoder

    from dicomcodecs.pydicom import _uids

    was_registered = dcp.is_registered()
    dcp.unregister()
    for uid in (LOSSLESS, JXL):
        _uids.untaught(uid)
    try:
        ct = pydicom.dcmread(find_testfile("CT_small.dcm"))
        reference = ct.pixel_array.copy()
        dcp.register()
        assert pydicom.uid.UID(LOSSLESS).name == "JPEG XL Lossless"
        assert pydicom.uid.UID(JXL).keyword == "JPEGXL"
        assert pydicom.uid.UID(LOSSLESS).is_transfer_syntax
        assert pydicom.uid.UID(LOSSLESS).is_encapsulated
        ct.compress(LOSSLESS)
        back = _saved(ct)
        assert back.file_meta.TransferSyntaxUID == LOSSLESS
        arr, _ = get_decoder(LOSSLESS).as_array(back, decoding_plugin="dicomcodecs")
        assert np.array_equal(arr, reference)
        assert np.array_equal(back.pixel_array, reference)
        rgb = pydicom.dcmread(find_testfile("SC_rgb.dcm"))
        ref_rgb = rgb.pixel_array.copy()
        rgb.compress(JXL, distance=0.5)
        assert psnr(_saved(rgb).pixel_array, ref_rgb, 8) > 30
        jpeg = pydicom.dcmread(find_testfile("SC_rgb_jpeg_dcmtk.dcm"))
        ref_jpeg = jpeg.pixel_array.copy()
        dc.compress(jpeg, RECOMPRESSION)
        assert np.array_equal(_saved(jpeg).pixel_array, ref_jpeg)
        dcp.unregister()
        # register() took back the UIDs it taught
        assert LOSSLESS not in UID_dictionary and not hasattr(pydicom.uid, "JPEGXLLossless")
        with pytest.raises(NotImplementedError):
            get_decoder(LOSSLESS)
    finally:
        dcp.unregister()
        if was_registered:
            dcp.register()


def test_compress_teaches_pydicom_so_the_dataset_can_be_saved():
    from dicomcodecs.pydicom import _uids

    _uids.untaught(JXL)
    arr = np.arange(64, dtype=np.uint8).reshape(8, 8)
    ds = write_native(None, arr, bits_stored=8)
    dc.compress(ds, JXL, distance=0)
    back = _saved(ds)
    assert back.file_meta.TransferSyntaxUID.name == "JPEG XL"
    assert np.array_equal(dc.pixel_array(back), arr)


@pytest.mark.parametrize("alias, uid, source", [
    ("jpeg-xl-lossless", LOSSLESS, "CT_small.dcm"),
    ("jpeg-xl", JXL, "SC_rgb.dcm"),
    ("jpeg-xl-recompression", RECOMPRESSION, "SC_rgb_jpeg_dcmtk.dcm"),
])
def test_cli_transcodes_to_jpeg_xl(tmp_path, capsys, alias, uid, source):
    src = find_testfile(source)
    rc = cli_main(["transcode", str(src), "--to", alias, "-o", str(tmp_path), "--verify"])
    out = capsys.readouterr().out
    assert rc == 0, out
    ds = pydicom.dcmread(tmp_path / src.name)
    assert ds.file_meta.TransferSyntaxUID == uid
    assert "verified bit-exact" in out or "max error" in out
    if uid == RECOMPRESSION:
        assert "max error 0" in out


def test_info_lists_jpeg_xl_and_libjxl(capsys):
    assert cli_main(["info"]) == 0
    out = capsys.readouterr().out
    for alias in ("jpeg-xl-lossless", "jpeg-xl-recompression", "jpeg-xl",
                  "deflated-image-frame"):
        assert alias in out
    assert "libjxl" in out and _jxl.version() in out and "libdeflate" in out
