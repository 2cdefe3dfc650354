"""JPEG-LS (.4.80 lossless, .4.81 near-lossless) through our own codec
(lib/jpegls): pydicom's reference files against their uncompressed twins and DCMTK, DCMTK and GDCM
encodings of real images (every interleave mode, 8/12/16-bit precision,
signed CT), our encodings decoded by DCMTK and GDCM, the DICOM sign rule,
round trips over 2..16 bits, encode options, bad input."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pydicom
import pytest

import dicomcodecs as dc
from dicomcodecs import _jpegls
from dicomcodecs.registry import get_decoder, get_encoder

from .conftest import find_testfile, frames_of, require_tool, smooth_image, write_native

LOSSLESS = "1.2.840.10008.1.2.4.80"
NEAR = "1.2.840.10008.1.2.4.81"


def header(path) -> dict:
    return _jpegls.read_header(frames_of(path)[0])


def native(path) -> np.ndarray:
    """An uncompressed file's pixels (dicomcodecs' native path, no codec)."""
    return dc.pixel_array(str(path))


def max_err(a: np.ndarray, b: np.ndarray) -> int:
    assert a.shape == b.shape, (a.shape, b.shape)
    return int(np.abs(a.astype(np.int64) - b.astype(np.int64)).max())


def smooth(rng, shape, bits: int, signed: bool) -> np.ndarray:
    """Image-like samples of `bits` bits (so JPEG-LS has something to predict)
    with noise, spanning the whole range including both ends."""
    return smooth_image(rng, shape, bits, signed, 3)


# ------------------------------------------------------------ the registry

def test_codecs_listed_as_our_own_engine():
    rows = {r[0]: r for r in dc.codecs()}
    for uid in (LOSSLESS, NEAR):
        _, can_decode, can_encode, engine, version = rows[uid]
        assert can_decode and can_encode and engine == "dicomcodecs"
        assert version == _jpegls.version() == dc.__version__
    assert get_decoder(LOSSLESS).name == "JPEG-LS Lossless"
    assert get_decoder(NEAR).name == "JPEG-LS Near-Lossless"


# ------------------------------------------------- pydicom's reference files

@pytest.mark.parametrize("jls_name, native_name", [
    ("MR_small_jpeg_ls_lossless.dcm", "MR_small.dcm"),          # signed 16-bit
    ("emri_small_jpeg_ls_lossless.dcm", "emri_small.dcm"),      # 10 frames, BS 12 in P 16
])
def test_reference_lossless_equals_uncompressed(jls_name, native_name):
    ours = dc.pixel_array(find_testfile(jls_name))
    ref = native(find_testfile(native_name))
    assert ours.dtype == ref.dtype
    np.testing.assert_array_equal(ours, ref)
    # the same through a Dataset and through decode_frames with threads
    ds = pydicom.dcmread(find_testfile(jls_name))
    np.testing.assert_array_equal(dc.pixel_array(ds, threads=2), ref)


@pytest.fixture(scope="session")
def dcmdjpls_refs(tmp_path_factory):
    tool = require_tool("dcmdjpls")
    out = {}
    d = tmp_path_factory.mktemp("jls_ref")
    for name in ("JPEGLSNearLossless_08.dcm", "JPEGLSNearLossless_16.dcm",
                 "SC_rgb_jls_lossy_line.dcm", "SC_rgb_jls_lossy_sample.dcm"):
        subprocess.run([tool, str(find_testfile(name)), str(d / name)], check=True,
                       capture_output=True)
        out[name] = native(d / name)
    return out


@pytest.mark.parametrize("name, ilv", [
    ("JPEGLSNearLossless_08.dcm", 0), ("JPEGLSNearLossless_16.dcm", 0),
    ("SC_rgb_jls_lossy_line.dcm", 1), ("SC_rgb_jls_lossy_sample.dcm", 2),
])
def test_reference_near_lossless_equals_dcmdjpls(name, ilv, dcmdjpls_refs):
    path = find_testfile(name)
    h = header(path)
    assert (h["near_lossless"], h["interleave_mode"]) == (2, ilv)
    np.testing.assert_array_equal(dc.pixel_array(path), dcmdjpls_refs[name])


@pytest.mark.parametrize("name", ["SC_rgb_jls_lossy_line.dcm", "SC_rgb_jls_lossy_sample.dcm"])
def test_reference_near_lossless_within_near_of_original(name):
    ours = dc.pixel_array(find_testfile(name))
    assert 0 < max_err(ours, native(find_testfile("SC_rgb.dcm"))) <= 2


# --------------------------------------- real images encoded by DCMTK / GDCM

# (source, tool arguments, NEAR, stream precision, interleave mode).
# DCMTK's default "raw" mode codes the 16-bit words (precision 16), "+pc"
# ("cooked") codes Bits Stored bits; DCMTK refuses near-lossless and cooked
# mode for signed data, so the signed CT is lossless raw only (GDCM too).
TOOL_CASES = [
    ("693_UNCR.dcm", ["dcmcjpls"], 0, 16, 0),
    ("693_UNCR.dcm", ["gdcmconv", "--jpegls"], 0, 16, 0),
    ("MR2_UNCR.dcm", ["dcmcjpls"], 0, 16, 0),
    ("MR2_UNCR.dcm", ["dcmcjpls", "+pc"], 0, 12, 0),
    ("MR2_UNCR.dcm", ["dcmcjpls", "+pc", "+en", "+md", "3"], 3, 12, 0),
    # custom preset coding parameters (an LSE segment: T1 5, T2 20, T3 80, RESET 32)
    ("MR2_UNCR.dcm", ["dcmcjpls", "+pc", "+t1", "5", "+t2", "20", "+t3", "80", "+rs", "32"],
     0, 12, 0),
    ("MR2_UNCR.dcm", ["gdcmconv", "--jpegls"], 0, 16, 0),
    ("MR2_UNCR.dcm", ["gdcmconv", "--jpegls", "--lossy", "-e", "2"], 2, 16, 0),
    ("RG1_UNCR.dcm", ["dcmcjpls", "+pc"], 0, 15, 0),
    ("US1_UNCR.dcm", ["dcmcjpls", "+in"], 0, 8, 0),
    ("US1_UNCR.dcm", ["dcmcjpls", "+il"], 0, 8, 1),
    ("US1_UNCR.dcm", ["dcmcjpls", "+is"], 0, 8, 2),
    ("US1_UNCR.dcm", ["dcmcjpls", "+in", "+en", "+md", "2"], 2, 8, 0),
    ("US1_UNCR.dcm", ["dcmcjpls", "+is", "+en", "+md", "4"], 4, 8, 2),
    ("US1_UNCR.dcm", ["gdcmconv", "--jpegls"], 0, 8, 2),
    ("mono8", ["dcmcjpls", "+pc"], 0, 8, 0),
    ("mono8", ["dcmcjpls", "+pc", "+en", "+md", "1"], 1, 8, 0),
    ("mono16", ["dcmcjpls", "+pc"], 0, 16, 0),
    ("mono16", ["dcmcjpls", "+pc", "+en", "+md", "5"], 5, 16, 0),
    ("rgb16", ["dcmcjpls", "+pc", "+in"], 0, 16, 0),
    ("rgb16", ["dcmcjpls", "+pc", "+il"], 0, 16, 1),
]


@pytest.fixture(scope="session")
def sources(tmp_path_factory):
    """Uncompressed inputs: pydicom-data's real images plus odd-sized
    synthetic 8-bit and 16-bit (full range) ones."""
    d = tmp_path_factory.mktemp("jls_src")
    rng = np.random.default_rng(80)
    paths = {n: find_testfile(n) for n in ("693_UNCR.dcm", "MR2_UNCR.dcm", "RG1_UNCR.dcm",
                                           "US1_UNCR.dcm")}
    for name, arr, bs in (("mono8", smooth(rng, (67, 45), 8, False), 8),
                          ("mono16", smooth(rng, (33, 71), 16, False), 16),
                          ("rgb16", smooth(rng, (21, 39, 3), 16, False), 16)):
        paths[name] = d / f"{name}.dcm"
        write_native(paths[name], arr, bits_stored=bs)
    return paths


@pytest.fixture(scope="session")
def originals(sources):
    return {name: native(p) for name, p in sources.items()}


@pytest.fixture(scope="session")
def tool_encoded(sources, tmp_path_factory):
    d = tmp_path_factory.mktemp("jls_tools")
    out = {}
    for i, (name, args, *_rest) in enumerate(TOOL_CASES):
        exe = require_tool(args[0])
        dst = d / f"{i}.dcm"
        subprocess.run([exe, *args[1:], str(sources[name]), str(dst)], check=True,
                       capture_output=True)
        out[i] = dst
    return out


@pytest.mark.parametrize("i", range(len(TOOL_CASES)),
                         ids=[f"{c[0]}-{'_'.join(c[1])}" for c in TOOL_CASES])
def test_tool_encodings_decode_within_near(i, tool_encoded, originals):
    name, args, near, precision, ilv = TOOL_CASES[i]
    path = tool_encoded[i]
    h = header(path)
    if "+t1" in args:
        assert b"\xff\xf8\x00\x0d\x01\x0f\xff\x00\x05\x00\x14" in frames_of(path)[0]
    assert (h["near_lossless"], h["bits_per_sample"], h["interleave_mode"]) == \
        (near, precision, ilv)
    ours = dc.pixel_array(path)
    assert ours.dtype == originals[name].dtype
    err = max_err(ours, originals[name])
    assert err <= near
    if near == 0:
        np.testing.assert_array_equal(ours, originals[name])


# ------------------------------------ our encodings decoded by DCMTK / GDCM

OUR_CASES = [
    ("693_UNCR.dcm", LOSSLESS, {}),
    ("693_UNCR.dcm", NEAR, {"jls_error": 2}),           # signed near-lossless
    ("MR2_UNCR.dcm", LOSSLESS, {}),
    ("MR2_UNCR.dcm", NEAR, {"jls_error": 3}),
    ("US1_UNCR.dcm", LOSSLESS, {"interleave": "none"}),
    ("US1_UNCR.dcm", LOSSLESS, {"interleave": "line"}),
    ("US1_UNCR.dcm", LOSSLESS, {"interleave": "sample"}),
    ("US1_UNCR.dcm", NEAR, {"jls_error": 1, "interleave": 1}),
    ("mono8", NEAR, {"jls_error": 4}),
    ("mono16", LOSSLESS, {"preset": {"T1": 20, "T2": 60, "T3": 200, "RESET": 32}}),
    ("rgb16", LOSSLESS, {"interleave": "none"}),
]


@pytest.fixture(scope="session")
def our_encoded(sources, tmp_path_factory):
    d = tmp_path_factory.mktemp("jls_ours")
    out = {}
    for i, (name, uid, opts) in enumerate(OUR_CASES):
        ds = pydicom.dcmread(sources[name])
        dc.compress(ds, uid, **opts)
        out[i] = d / f"{i}.dcm"
        ds.save_as(out[i])
    return out


@pytest.mark.parametrize("tool", ["dcmdjpls", "gdcmconv"])
@pytest.mark.parametrize("i", range(len(OUR_CASES)),
                         ids=[f"{c[0]}-{c[1][-2:]}-{'_'.join(map(str, c[2].values()))}"
                              for c in OUR_CASES])
def test_our_encodings_decoded_by_tools(i, tool, our_encoded, originals, tmp_path):
    name, uid, opts = OUR_CASES[i]
    near = opts.get("jls_error", 0)
    exe = require_tool(tool)
    out = tmp_path / "d.dcm"
    args = [exe, str(our_encoded[i]), str(out)] if tool == "dcmdjpls" else \
           [exe, "--raw", str(our_encoded[i]), str(out)]
    subprocess.run(args, check=True, capture_output=True)
    theirs = native(out)
    ours = dc.pixel_array(our_encoded[i])
    assert max_err(theirs, originals[name]) <= near
    # both decoders agree exactly, lossy or not
    np.testing.assert_array_equal(theirs, ours)
    if near == 0:
        np.testing.assert_array_equal(ours, originals[name])


def test_our_encoding_attributes(our_encoded):
    lossless = pydicom.dcmread(our_encoded[4])      # US1 RGB lossless
    assert lossless.file_meta.TransferSyntaxUID == LOSSLESS
    assert lossless.PhotometricInterpretation == "RGB"
    assert lossless.PlanarConfiguration == 0
    assert "LossyImageCompression" not in lossless or lossless.LossyImageCompression != "01"
    lossy = pydicom.dcmread(our_encoded[3])         # MR2 NEAR 3
    assert lossy.file_meta.TransferSyntaxUID == NEAR
    assert lossy.LossyImageCompression == "01"
    assert "ISO_14495_1" in str(lossy.LossyImageCompressionMethod)
    h = header(our_encoded[3])
    assert (h["near_lossless"], h["bits_per_sample"]) == (3, 12)
    assert header(our_encoded[5])["interleave_mode"] == 1
    # every frame is of even length through an 0xFF fill byte (as CharLS's EVEN_DESTINATION_SIZE writes), not a zero pad
    for path in our_encoded.values():
        f = frames_of(path)[0]
        assert len(f) % 2 == 0 and f[-2:] == b"\xff\xd9"


def test_preset_parameters_are_written():
    arr = smooth(np.random.default_rng(1), (40, 30), 12, False)
    plain = dc.encode_frame(arr, LOSSLESS, bits_stored=12)
    custom = dc.encode_frame(arr, LOSSLESS, bits_stored=12,
                             preset={"T1": 10, "T2": 40, "T3": 300, "reset": 40, "maxval": 4095})
    lse = custom.index(b"\xff\xf8")                 # LSE, ID 1: MAXVAL T1 T2 T3 RESET
    assert custom[lse + 4] == 1
    assert np.frombuffer(custom[lse + 5:lse + 15], ">u2").tolist() == [4095, 10, 40, 300, 40]
    assert custom != plain
    info = dc.FrameInfo(LOSSLESS, 40, 30, 1, 16, 12, 0, "MONOCHROME2")
    np.testing.assert_array_equal(dc.decode_frame(custom, info), arr)


# ------------------------------------------------------------ the sign rule

@pytest.fixture(scope="session")
def signed12(tmp_path_factory):
    d = tmp_path_factory.mktemp("jls_signed")
    arr = smooth(np.random.default_rng(12), (37, 29), 12, True)
    write_native(d / "native.dcm", arr, bits_stored=12)
    ds = pydicom.dcmread(d / "native.dcm")
    dc.compress(ds, LOSSLESS)
    ds.save_as(d / "jls.dcm")
    return arr, d


def test_signed_stored_as_low_bits_stored_bits(signed12):
    arr, d = signed12
    frame = frames_of(d / "jls.dcm")[0]
    assert _jpegls.read_header(frame)["bits_per_sample"] == 12
    # decoded as the unsigned JPEG-LS samples they are: two's complement masked
    info = dc.FrameInfo(LOSSLESS, 37, 29, 1, 16, 12, 0, "MONOCHROME2")
    np.testing.assert_array_equal(dc.decode_frame(frame, info), arr.astype(np.uint16) & 0xFFF)
    # and as the dataset says: sign-extended from the precision
    np.testing.assert_array_equal(dc.pixel_array(d / "jls.dcm"), arr)


def test_signed_decoded_alike_by_dcmdjpls(signed12, tmp_path):
    arr, d = signed12
    subprocess.run([require_tool("dcmdjpls"), str(d / "jls.dcm"), str(tmp_path / "n.dcm")],
                   check=True, capture_output=True)
    np.testing.assert_array_equal(native(tmp_path / "n.dcm"), arr)


def test_signed_decoded_alike_by_pydicom_pyjpegls(signed12):
    pytest.importorskip("jpeg_ls")
    from pydicom.pixels import get_decoder as pd_decoder

    arr, d = signed12
    ds = pydicom.dcmread(d / "jls.dcm")
    theirs, _ = pd_decoder(LOSSLESS).as_array(ds, decoding_plugin="pyjpegls")
    np.testing.assert_array_equal(theirs, arr)


def test_signed_precision_below_container_from_dcmtk_style_stream():
    # 8-bit signed in a 16-bit container coded with precision 8, as pydicom's
    # rule expects: sign-extend from the precision, not from Bits Allocated.
    arr = np.array([[-128, -1, 0, 1, 127, -50]], np.int16)
    frame = dc.encode_frame(arr.astype(np.int8), LOSSLESS, bits_stored=8)
    assert _jpegls.read_header(frame)["bits_per_sample"] == 8
    info = dc.FrameInfo(LOSSLESS, 1, 6, 1, 16, 8, 1, "MONOCHROME2")
    np.testing.assert_array_equal(dc.decode_frame(frame, info), arr)


def test_signed_near_lossless_keeps_away_from_the_wrap():
    arr = np.array([[-2048, 0, 2047]] * 4, np.int16)
    with pytest.raises(dc.EncodeError, match="sign may flip"):
        dc.encode_frame(arr, NEAR, bits_stored=12, jls_error=2)
    ok = np.clip(arr, -2046, 2045)
    frame = dc.encode_frame(ok, NEAR, bits_stored=12, jls_error=2)
    info = dc.FrameInfo(NEAR, 4, 3, 1, 16, 12, 1, "MONOCHROME2")
    assert max_err(dc.decode_frame(frame, info), ok) <= 2


# ------------------------------------------------------------- round trips

@pytest.mark.parametrize("bits", range(2, 17))
@pytest.mark.parametrize("spp", [1, 3])
@pytest.mark.parametrize("signed", [False, True])
def test_round_trip(bits, spp, signed):
    rng = np.random.default_rng(bits * 10 + spp + signed)
    shape = (13 + bits, 7 + 2 * bits) if spp == 1 else (11 + bits, 5 + bits, 3)
    arr = smooth(rng, shape, bits, signed)
    for ilv in (("none", "line", "sample") if spp == 3 else ("none",)):
        frame = dc.encode_frame(arr, LOSSLESS, bits_stored=bits, interleave=ilv)
        h = _jpegls.read_header(frame)
        assert h["bits_per_sample"] == bits and h["components"] == spp
        info = dc.FrameInfo(LOSSLESS, shape[0], shape[1], spp, arr.dtype.itemsize * 8, bits,
                            int(signed), "MONOCHROME2" if spp == 1 else "RGB")
        np.testing.assert_array_equal(dc.decode_frame(frame, info), arr)
    near = max(1, min(3, ((1 << bits) - 1) // 8))
    if signed:
        lo, hi = -(1 << (bits - 1)) + near, (1 << (bits - 1)) - 1 - near
        arr = np.clip(arr, lo, hi).astype(arr.dtype)
    frame = dc.encode_frame(arr, NEAR, bits_stored=bits, jls_error=near)
    info = dc.FrameInfo(NEAR, shape[0], shape[1], spp, arr.dtype.itemsize * 8, bits,
                        int(signed), "MONOCHROME2" if spp == 1 else "RGB")
    assert _jpegls.read_header(frame)["near_lossless"] == near
    assert max_err(dc.decode_frame(frame, info), arr) <= near


@pytest.mark.parametrize("bits", [8, 16])
def test_round_trip_of_noise_needs_no_more_than_the_bound(bits):
    # uniform noise is JPEG-LS's worst case: it expands a little
    rng = np.random.default_rng(bits)
    arr = rng.integers(0, 1 << bits, (64, 96, 3)).astype(f"u{bits // 8}")
    frame = dc.encode_frame(arr, LOSSLESS, interleave="sample")
    assert len(frame) > arr.nbytes
    info = dc.FrameInfo(LOSSLESS, 64, 96, 3, bits, bits, 0, "RGB")
    np.testing.assert_array_equal(dc.decode_frame(frame, info), arr)


def test_round_trip_frames_threads_and_16bit_container_for_8bit():
    rng = np.random.default_rng(5)
    arr = np.stack([smooth(rng, (31, 17), 7, False) for _ in range(6)]).astype(np.uint16)
    frames = dc.encode_frames(arr, LOSSLESS, bits_stored=7, threads=3)
    # 7-bit samples in a 16-bit container: coded with precision 7 in 8-bit
    # units, widened back in place on decode
    assert all(_jpegls.read_header(f)["bits_per_sample"] == 7 for f in frames)
    info = dc.FrameInfo(LOSSLESS, 31, 17, 1, 16, 7, 0, "MONOCHROME2")
    np.testing.assert_array_equal(dc.decode_frames(frames, info, threads=3), arr)


def test_planar_output_and_input_layouts():
    arr = smooth(np.random.default_rng(7), (9, 14, 3), 10, False)
    info = dc.FrameInfo(LOSSLESS, 9, 14, 3, 16, 10, 0, "RGB")
    codec = get_decoder(LOSSLESS)
    for ilv in ("none", "line", "sample"):
        frame = dc.encode_frame(arr, LOSSLESS, bits_stored=10, interleave=ilv)
        planes = np.empty((3, 9, 14), np.uint16)
        codec.decode_into(frame, info, planes, planar_configuration=1)
        np.testing.assert_array_equal(planes, arr.transpose(2, 0, 1))
        np.testing.assert_array_equal(dc.decode_frame(frame, info), arr)
    planar_frame = _jpegls.encode(np.ascontiguousarray(arr.transpose(2, 0, 1)), info,
                                  interleave_mode=2, planar_configuration=1)
    np.testing.assert_array_equal(dc.decode_frame(planar_frame, info), arr)


def test_ybr_full_converted_unless_asked_not_to():
    ybr = smooth(np.random.default_rng(9), (8, 8, 3), 8, False)
    frame = dc.encode_frame(ybr, LOSSLESS, photometric_interpretation="YBR_FULL")
    info = dc.FrameInfo(LOSSLESS, 8, 8, 3, 8, 8, 0, "YBR_FULL")
    np.testing.assert_array_equal(dc.decode_frame(frame, info, as_rgb=False), ybr)
    from pydicom.pixels import convert_color_space

    rgb = dc.decode_frame(frame, info)
    assert max_err(rgb, convert_color_space(ybr, "YBR_FULL", "RGB")) <= 1


def test_wide_container_is_narrowed_like_pydicom():
    arr = smooth(np.random.default_rng(3), (10, 12), 12, True).astype(np.int32)
    frame = dc.encode_frame(arr, LOSSLESS, bits_stored=12)
    info = dc.FrameInfo(LOSSLESS, 10, 12, 1, 16, 12, 1, "MONOCHROME2")
    np.testing.assert_array_equal(dc.decode_frame(frame, info), arr)


# ---------------------------------------------------------- encode options

def test_jls_error_on_lossless_syntax_refused():
    arr = np.zeros((4, 4), np.uint8)
    with pytest.raises(dc.EncodeError, match="JPEG-LS Lossless.*jls_error"):
        dc.encode_frame(arr, LOSSLESS, jls_error=1)
    # NEAR 0 on the near-lossless syntax writes a lossless stream (pydicom's default)
    frame = dc.encode_frame(arr, NEAR)
    assert _jpegls.read_header(frame)["near_lossless"] == 0
    info = dc.FrameInfo(NEAR, 4, 4, 1, 8, 8, 0, "MONOCHROME2")
    assert get_encoder(NEAR).encoded_attributes(info)["lossy"] is False
    assert get_encoder(NEAR).encoded_attributes(info, jls_error=2)["lossy"] is True
    assert get_encoder(LOSSLESS).encoded_attributes(info.replace(transfer_syntax=LOSSLESS))[
        "lossy"] is False


@pytest.mark.parametrize("options, match", [
    ({"jls_error": -1}, "jls_error"),
    ({"jls_error": 1.5}, "jls_error"),
    ({"jls_error": 200}, "NEAR"),                   # > MAXVAL / 2 for 8 bits
    ({"interleave": "planar"}, "interleave"),
    ({"interleave": 3}, "interleave"),
    ({"preset": {"T4": 1}}, "preset key"),
    ({"preset": [1, 2]}, "preset"),
    ({"preset": {"T1": 9, "T2": 3}}, "T1 9, T2 3, T3 .* not in order"),
    ({"quality": 90}, "unknown option"),
])
def test_bad_encode_options(options, match):
    arr = smooth(np.random.default_rng(0), (6, 5, 3), 8, False)
    with pytest.raises(dc.EncodeError, match=match):
        dc.encode_frame(arr, NEAR, **options)


@pytest.mark.parametrize("arr, bits_stored", [
    (np.array([[0, 4096]], np.uint16), 12),
    (np.array([[-2049, 0]], np.int16), 12),
    (np.array([[0, 2048]], np.int16), 12),
    (np.array([[0, 200]], np.uint8), 7),
])
def test_values_outside_bits_stored_refused(arr, bits_stored):
    with pytest.raises(dc.EncodeError, match="outside"):
        dc.encode_frame(arr, LOSSLESS, bits_stored=bits_stored)


@pytest.mark.parametrize("bits_stored", [1, 17])
def test_precision_outside_2_to_16_refused(bits_stored):
    arr = np.zeros((4, 4), np.uint32 if bits_stored > 16 else np.uint8)
    with pytest.raises(dc.EncodeError, match="2 to 16"):
        dc.encode_frame(arr, LOSSLESS, bits_stored=bits_stored)


# ------------------------------------------------------------- bad input

@pytest.fixture(scope="session")
def small_streams():
    mr = frames_of(find_testfile("MR_small_jpeg_ls_lossless.dcm"))[0]
    mr_info = dc.FrameInfo.from_dataset(pydicom.dcmread(find_testfile("MR_small.dcm"))) \
        .replace(transfer_syntax=LOSSLESS)
    rgb = smooth(np.random.default_rng(2), (16, 20, 3), 8, False)
    rgb_info = dc.FrameInfo(NEAR, 16, 20, 3, 8, 8, 0, "RGB")
    none = dc.encode_frame(rgb, NEAR, jls_error=1, interleave="none")
    return [(mr, mr_info), (none, rgb_info)]


def test_truncated_raises_decode_error_at_once(small_streams):
    # CharLS 2.4.1 spent seconds on scan data that runs off the end of the
    # buffer; ours reads zero bits there and stops at the line's end.
    for src, info in small_streams:
        for cut in (0, 1, 2, 10, 30, len(src) // 3, len(src) // 2, len(src) - 12):
            t0 = time.perf_counter()
            with pytest.raises(dc.DecodeError) as exc:
                dc.decode_frame(src[:cut], info, frame=4)
            assert time.perf_counter() - t0 < 0.5
            assert str(exc.value).startswith(f"{get_decoder(info.transfer_syntax).name}: frame 4: ")
            assert "truncated" in exc.value.cause


def test_missing_eoi_tolerated_when_the_pixels_are_all_there(small_streams):
    src, info = small_streams[0]
    full = dc.decode_frame(src, info)
    assert src[-2:] == b"\xff\xd9"
    for cut in (1, 2):
        np.testing.assert_array_equal(dc.decode_frame(src[:-cut], info), full)
    np.testing.assert_array_equal(dc.decode_frame(src + b"\x00", info), full)


@pytest.mark.parametrize("changes, match", [
    ({"rows": 63}, "64 columns x 64 rows, the dataset says 64 x 63"),
    ({"columns": 65}, "the dataset says 65 x 64"),
    ({"samples_per_pixel": 3, "photometric_interpretation": "RGB"},
     "1 components, Samples per Pixel is 3"),
    ({"bits_allocated": 8, "bits_stored": 8, "pixel_representation": 0},
     "precision is 16 bits, more than Bits Allocated 8"),
    ({"bits_allocated": 32}, "8 or 16-bit containers"),
])
def test_frame_info_disagreeing_with_stream(changes, match, small_streams):
    src, info = small_streams[0]
    with pytest.raises(dc.DecodeError, match=match) as exc:
        dc.decode_frame(src, info.replace(**changes), frame=0)
    assert "JPEG-LS" in str(exc.value)


@pytest.mark.parametrize("garbage", [b"garbage" * 10, b"\xff\xd8\xff\xf7" + bytes(40),
                                     bytes(1000), b"\xff\xd8\xff\xd9"])
def test_garbage_raises_decode_error(garbage, small_streams):
    _, info = small_streams[0]
    with pytest.raises(dc.DecodeError, match="JPEG-LS Lossless: frame 2: .*(SOI|frame header|"
                       "has length|truncated)"):
        dc.decode_frame(garbage, info, frame=2)


def test_random_bit_flips_never_crash(small_streams):
    rng = np.random.default_rng(300)
    failures = 0
    for k in range(300):
        src, info = small_streams[k % 2]
        buf = bytearray(src)
        for _ in range(int(rng.integers(1, 4))):
            pos = int(rng.integers(len(buf)))
            buf[pos] ^= 1 << int(rng.integers(8))
        try:
            out = dc.decode_frame(bytes(buf), info, frame=k)
            assert out.shape == info.shape
        except dc.DecodeError as exc:
            assert f"frame {k}:" in str(exc)
            failures += 1
    assert failures > 100      # most flips are detected


def _sos_offsets(frame: bytes) -> list[int]:
    return [i for i in range(len(frame) - 1) if frame[i:i + 2] == b"\xff\xda"]


def _set(frame: bytes, pos: int, value: int) -> bytes:
    return frame[:pos] + bytes([value]) + frame[pos + 1:]


# SOS: FF DA, length (2), Ns, then per component Cs and Tm, then NEAR, ILV, Al/Ah
@pytest.mark.parametrize("edit, match", [
    # CharLS 2.4.1 trusted these and wrote past its output; we refuse them
    (lambda f, sos: _set(f, sos[2] + 8, 2), "interleave mode 2, the first scan 0"),
    (lambda f, sos: _set(f, sos[1] + 5, 7), "component 7, which the frame header does not list"),
    (lambda f, sos: _set(f, sos[2] + 5, 1),
     "component 1, which the frame header lists once, a second time"),
    (lambda f, sos: _set(_set(_set(f, sos[0] + 8, 1), sos[1] + 8, 1), sos[2] + 8, 1),
     "scan 1 codes 1 of 3 components with interleave mode 1"),
])
def test_inconsistent_scans_refused(edit, match):
    rgb = smooth(np.random.default_rng(4), (6, 7, 3), 8, False)
    frame = dc.encode_frame(rgb, LOSSLESS, interleave="none")
    sos = _sos_offsets(frame)
    assert len(sos) == 3 and frame[sos[2] + 8] == 0      # ILV byte of the third scan
    info = dc.FrameInfo(LOSSLESS, 6, 7, 3, 8, 8, 0, "RGB")
    np.testing.assert_array_equal(dc.decode_frame(frame, info), rgb)
    with pytest.raises(dc.DecodeError, match=match):
        dc.decode_frame(edit(frame, sos), info, frame=0)


CORPUS = sorted((Path(__file__).resolve().parents[1] / "lib" / "fuzz" / "corpus" / "jpegls")
                .glob("*"))


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_fuzz_corpus_decodes_or_raises(path):
    data = path.read_bytes()
    try:
        h = _jpegls.read_header(data)
    except dc.DecodeError:
        return
    if h["width"] * h["height"] * h["components"] > 1 << 20 or h["components"] not in (1, 3):
        return
    for bits, signed in ((8 if h["bits_per_sample"] <= 8 else 16, 0), (16, 1)):
        info = dc.FrameInfo(LOSSLESS, h["height"], h["width"], h["components"], bits,
                            h["bits_per_sample"], signed,
                            "MONOCHROME2" if h["components"] == 1 else "RGB")
        try:
            dc.decode_frame(data, info, frame=0)
        except dc.DecodeError as exc:
            assert str(exc).startswith("JPEG-LS Lossless: frame 0: ")


def test_corpus_present():
    assert 3 <= len(CORPUS) <= 20


def test_corrupt_frame_in_dataset_names_the_frame(tmp_path):
    ds = pydicom.dcmread(find_testfile("emri_small_jpeg_ls_lossless.dcm"))
    frames = frames_of(find_testfile("emri_small_jpeg_ls_lossless.dcm"))
    frames[7] = frames[7][:len(frames[7]) // 3]
    from pydicom.encaps import encapsulate

    ds.PixelData = encapsulate(frames)
    with pytest.raises(dc.DecodeError, match="JPEG-LS Lossless: frame 7: "):
        dc.pixel_array(ds, threads=2)
