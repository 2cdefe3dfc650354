"""JPEG Baseline (.4.50), Extended (.4.51), Lossless P14 (.4.57) and SV1
(.4.70): every JPEG file pydicom and pydicom-data ship against DCMTK's
dcmdjpeg or the uncompressed originals, DCMTK and GDCM encodings of real
CT/MR/CR/US images, our encodings decoded by dcmdjpeg and gdcmconv (all
predictors, 2..16 bits, signed), the DICOM colour rules, multi-frame YBR
against pydicom's pillow plugin, encode options, the DCMTK-style workaround
switches, and bad input (truncation, bit flips, lying headers)."""

from __future__ import annotations

import subprocess

import numpy as np
import pydicom
import pytest

import dicomcodecs as dc
from dicomcodecs import _jpeg
from dicomcodecs.registry import get_decoder, get_encoder

from .conftest import (find_testfile, flip_bits, frames_of, require_tool, smooth_image,
                       write_native)

BASELINE = "1.2.840.10008.1.2.4.50"
EXTENDED = "1.2.840.10008.1.2.4.51"
LOSSLESS = "1.2.840.10008.1.2.4.57"
SV1 = "1.2.840.10008.1.2.4.70"


# ---------------------------------------------------------------- helpers

def max_err(a: np.ndarray, b: np.ndarray) -> int:
    assert a.shape == b.shape, (a.shape, b.shape)
    return int(np.abs(a.astype(np.int64) - b.astype(np.int64)).max())


def psnr(a: np.ndarray, b: np.ndarray, bits: int) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(((1 << bits) - 1) ** 2 / mse)


def run(*args: str) -> None:
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(args)}: {r.stderr[-500:]}"


def dcmdjpeg(src, dst) -> np.ndarray:
    run(require_tool("dcmdjpeg"), str(src), str(dst))
    return pydicom.dcmread(dst).pixel_array


def gdcm_raw(src, dst) -> np.ndarray:
    run(require_tool("gdcmconv"), "--raw", str(src), str(dst))
    return pydicom.dcmread(dst).pixel_array


def smooth(rng, shape, bits: int, signed: bool) -> np.ndarray:
    """Image-like samples spanning the whole `bits`-bit range, with noise."""
    return smooth_image(rng, shape, bits, signed, 1 << max(bits - 4, 0))


# ---------------------------------------------------------------- registry

def test_codecs_listed():
    rows = {uid: (d, e, eng, ver) for uid, d, e, eng, ver in dc.codecs()}
    for uid in (BASELINE, EXTENDED, LOSSLESS, SV1):
        assert rows[uid][0] and rows[uid][1], uid
    assert "libjpeg-turbo" in rows[BASELINE][2]
    assert rows[BASELINE][3].startswith(_jpeg.version())
    assert _jpeg.version().startswith("2.")


# ---------------------------------------------------------- reference files

# (file, reference): "dcmdjpeg" = DCMTK's decoding of the same file,
# otherwise an uncompressed file of the same image.
REFERENCE_FILES = [
    ("JPEG-lossy.dcm", "dcmdjpeg", 1),
    ("JPGExtended.dcm", "dcmdjpeg", 1),
    ("SC_jpeg_no_color_transform.dcm", "dcmdjpeg", 0),
    ("SC_jpeg_no_color_transform_2.dcm", "dcmdjpeg", 0),
    ("SC_rgb_dcmtk_+eb+cr.dcm", "SC_rgb_dcmtk_ebcr_dcmd.dcm", 0),
    ("SC_rgb_dcmtk_+eb+cy+n1.dcm", "SC_rgb_dcmtk_ebcyn1_dcmd.dcm", 0),
    ("SC_rgb_dcmtk_+eb+cy+n2.dcm", "SC_rgb_dcmtk_ebcyn2_dcmd.dcm", 0),
    ("SC_rgb_dcmtk_+eb+cy+np.dcm", "SC_rgb_dcmtk_ebcynp_dcmd.dcm", 0),
    ("SC_rgb_dcmtk_+eb+cy+s2.dcm", "SC_rgb_dcmtk_ebcys2_dcmd.dcm", 0),
    ("SC_rgb_dcmtk_+eb+cy+s4.dcm", "SC_rgb_dcmtk_ebcys4_dcmd.dcm", 0),
    ("SC_rgb_jpeg.dcm", "SC_rgb_jpeg_dcmd.dcm", 0),  # dcmdjpeg cannot parse this file
    ("SC_rgb_jpeg_app14_dcmd.dcm", "dcmdjpeg", 0),
    ("SC_rgb_jpeg_dcmtk.dcm", "dcmdjpeg", 0),
    ("SC_rgb_jpeg_gdcm.dcm", "SC_rgb.dcm", 0),  # lossless
    ("SC_rgb_jpeg_lossy_gdcm.dcm", "dcmdjpeg", 0),
    ("SC_rgb_small_odd_jpeg.dcm", "dcmdjpeg", 0),
    ("examples_ybr_color.dcm", "dcmdjpeg", 0),
    ("JPEG-LL.dcm", "dcmdjpeg", 0),  # signed 16-bit lossless
    ("JPGLosslessP14SV1_1s_1f_8b.dcm", "dcmdjpeg", 0),
    ("bad_sequence.dcm", "dcmdjpeg", 0),
]


@pytest.mark.parametrize("name,ref,tol", REFERENCE_FILES, ids=[r[0] for r in REFERENCE_FILES])
def test_reference_files(name, ref, tol, tmp_path):
    src = find_testfile(name)
    ds = pydicom.dcmread(src)
    ours = dc.pixel_array(ds)  # RGB for YBR data, like dcmdjpeg's default
    if ref == "dcmdjpeg":
        want = dcmdjpeg(src, tmp_path / "ref.dcm")
    else:
        want = pydicom.dcmread(find_testfile(ref)).pixel_array
    assert max_err(ours, want) <= tol


def test_lossless_reference_equals_uncompressed_twin():
    ours = dc.pixel_array(find_testfile("SC_rgb_jpeg_gdcm.dcm"))
    assert ours.dtype == np.uint8
    assert np.array_equal(ours, pydicom.dcmread(find_testfile("SC_rgb.dcm")).pixel_array)


def test_signed_lossless_reference():
    arr = dc.pixel_array(find_testfile("JPEG-LL.dcm"))
    assert arr.dtype == np.int16 and arr.shape == (1024, 256)
    from pydicom.pixels import pixel_array
    assert np.array_equal(arr, pixel_array(str(find_testfile("JPEG-LL.dcm")),
                                           decoding_plugin="pylibjpeg"))


@pytest.mark.parametrize("name", ["SC_jpeg_no_color_transform.dcm", "SC_rgb_jpeg.dcm",
                                  "SC_rgb_dcmtk_+eb+cr.dcm"])
def test_rgb_photometric_is_never_colour_converted(name):
    """Photometric RGB: the components are R, G, B whatever the markers say
    (no Adobe marker and IDs 0,1,2 make libjpeg guess YCbCr)."""
    ds = pydicom.dcmread(find_testfile(name))
    info = dc.FrameInfo.from_dataset(ds)
    frame = frames_of(find_testfile(name))[0]
    rgb = dc.decode_frame(frame, info, as_rgb=True)
    stored = dc.decode_frame(frame, info, as_rgb=False)
    assert np.array_equal(rgb, stored)
    # pydicom's pillow plugin keeps the stored values for these files too
    from pydicom.pixels import pixel_array
    assert max_err(rgb, pixel_array(ds, decoding_plugin="pillow", raw=True)) == 0


def test_ybr_stored_and_converted():
    path = find_testfile("SC_rgb_dcmtk_+eb+cy+s2.dcm")
    ds = pydicom.dcmread(path)
    info = dc.FrameInfo.from_dataset(ds)
    codec = get_decoder(BASELINE)
    assert codec.output_spec(info, as_rgb=True)[2] == "RGB"
    assert codec.output_spec(info, as_rgb=False)[2] == "YBR_FULL_422"
    frame = frames_of(path)[0]
    ybr = dc.decode_frame(frame, info, as_rgb=False)
    rgb = dc.decode_frame(frame, info, as_rgb=True)
    from pydicom.pixels import convert_color_space, pixel_array
    assert max_err(ybr, pixel_array(ds, decoding_plugin="pillow", raw=True)) == 0
    assert max_err(rgb, convert_color_space(ybr, "YBR_FULL", "RGB")) <= 1


def test_multiframe_ybr_equals_pydicom_pillow():
    path = find_testfile("color3d_jpeg_baseline.dcm")
    from pydicom.pixels import convert_color_space, pixel_array
    raw = pixel_array(str(path), decoding_plugin="pillow", raw=True)
    assert raw.shape == (120, 480, 640, 3)
    ours_raw = dc.pixel_array(str(path), threads=2, as_rgb=False)
    ours = dc.pixel_array(str(path), threads=2)
    assert ours.shape == raw.shape and ours.dtype == np.uint8
    for i in range(raw.shape[0]):
        assert max_err(ours_raw[i], raw[i]) == 0, i
    # pydicom's own YBR -> RGB, frame by frame (every 3rd frame keeps CI quick)
    for i in range(0, raw.shape[0], 3):
        assert max_err(ours[i], convert_color_space(raw[i], "YBR_FULL_422", "RGB")) <= 1, i
    assert np.array_equal(dc.pixel_array(str(path), frames=[7, 100], threads=1), ours[[7, 100]])


def test_pydicom_plugin_returns_stored_colour_space():
    dc.pydicom.register()
    try:
        from pydicom.pixels import pixel_array
        path = find_testfile("examples_ybr_color.dcm")
        ours = pixel_array(str(path), decoding_plugin="dicomcodecs", raw=True, index=3)
        pil = pixel_array(str(path), decoding_plugin="pillow", raw=True, index=3)
        assert max_err(ours, pil) == 0
        ll = pixel_array(str(find_testfile("JPEG-LL.dcm")), decoding_plugin="dicomcodecs")
        assert np.array_equal(ll, dc.pixel_array(find_testfile("JPEG-LL.dcm")))
    finally:
        dc.pydicom.unregister()


# ----------------------------------------------- DCMTK / GDCM encoded images

DCMTK_OPTIONS = {
    "e1": ["+e1"],
    **{f"sv{k}": ["+el", "+sv", str(k)] for k in range(1, 8)},
    "eb": ["+eb"],
    "ee": ["+ee"],
    "e1_pt2": ["+e1", "+pt", "2"],
}
# RG1 (1955 x 1841 CR) only with a few options, for time
DCMTK_IMAGES = {"693_UNCR.dcm": list(DCMTK_OPTIONS), "MR2_UNCR.dcm": list(DCMTK_OPTIONS),
                "US1_UNCR.dcm": list(DCMTK_OPTIONS), "RG1_UNCR.dcm": ["e1", "sv6", "ee"]}
DCMTK_CASES = [(img, opt) for img, opts in DCMTK_IMAGES.items() for opt in opts]


@pytest.fixture(scope="session")
def dcmtk_encoded(tmp_path_factory):
    tool = require_tool("dcmcjpeg")
    d = tmp_path_factory.mktemp("dcmcjpeg")
    out = {}
    for img, opt in DCMTK_CASES:
        dst = d / f"{img[:-4]}_{opt}.dcm"
        run(tool, *DCMTK_OPTIONS[opt], str(find_testfile(img)), str(dst))
        out[img, opt] = dst
    return out


@pytest.mark.parametrize("img,opt", DCMTK_CASES, ids=[f"{i[:-9]}-{o}" for i, o in DCMTK_CASES])
def test_dcmtk_encodings(img, opt, dcmtk_encoded, tmp_path):
    path = dcmtk_encoded[img, opt]
    ds = pydicom.dcmread(path)
    ours = dc.pixel_array(ds)
    if opt in ("eb", "ee", "e1_pt2"):
        want, tol = dcmdjpeg(path, tmp_path / "ref.dcm"), (0 if opt == "e1_pt2" else 1)
    else:
        want, tol = pydicom.dcmread(find_testfile(img)).pixel_array, 0
        assert str(ds.file_meta.TransferSyntaxUID) == (SV1 if opt == "e1" else LOSSLESS)
        hdr = _jpeg.read_header(frames_of(path)[0])
        assert hdr["predictor"] == (1 if opt == "e1" else int(opt[2:]))
    assert max_err(ours, want) <= tol


@pytest.fixture(scope="session")
def gdcm_encoded(tmp_path_factory):
    tool = require_tool("gdcmconv")
    d = tmp_path_factory.mktemp("gdcm")
    out = {}
    for img in ("693_UNCR.dcm", "MR2_UNCR.dcm", "US1_UNCR.dcm"):
        dst = d / img
        run(tool, "--jpeg", str(find_testfile(img)), str(dst))
        out[img] = dst
    return out


@pytest.mark.parametrize("img", ["693_UNCR.dcm", "MR2_UNCR.dcm", "US1_UNCR.dcm"])
def test_gdcm_lossless_encodings(img, gdcm_encoded):
    ds = pydicom.dcmread(gdcm_encoded[img])
    assert str(ds.file_meta.TransferSyntaxUID) in (LOSSLESS, SV1)
    assert np.array_equal(dc.pixel_array(ds), pydicom.dcmread(find_testfile(img)).pixel_array)


# --------------------------------------------------- ours, decoded by tools

LOSSLESS_CASES = [(bits, signed, pred) for bits, signed in
                  ((2, False), (8, False), (12, False), (16, False), (16, True), (12, True))
                  for pred in range(1, 8)]


@pytest.fixture(scope="session")
def our_lossless(tmp_path_factory):
    d = tmp_path_factory.mktemp("ours_lossless")
    rng = np.random.default_rng(7)
    out = {}
    for bits, signed, pred in LOSSLESS_CASES:
        arr = smooth(rng, (40, 37), bits, signed)
        ds = write_native(None, arr, bits_stored=bits)
        dc.compress(ds, LOSSLESS, predictor=pred)
        path = d / f"b{bits}{'s' if signed else 'u'}_p{pred}.dcm"
        ds.save_as(path, enforce_file_format=True)
        out[bits, signed, pred] = (path, arr)
    return out


# gdcmconv 3.0 aborts (assertion BitsAllocated == BitsStored in
# gdcmImageCodec.cxx DecodeByStreams) on 8-bit containers with Bits Stored < 8
# before decoding anything, so 2-bit data is checked with dcmdjpeg only.
_TOOL_CASES = [(tool, b, s, p) for tool in ("dcmdjpeg", "gdcmconv")
               for b, s, p in LOSSLESS_CASES if not (tool == "gdcmconv" and b == 2)]


@pytest.mark.parametrize("tool,bits,signed,pred", _TOOL_CASES,
                         ids=[f"{b}{'s' if s else 'u'}-p{p}-{t}" for t, b, s, p in _TOOL_CASES])
def test_our_lossless_decoded_by_tools(bits, signed, pred, tool, our_lossless, tmp_path):
    path, arr = our_lossless[bits, signed, pred]
    assert _jpeg.read_header(frames_of(path)[0])["predictor"] == pred
    assert np.array_equal(dc.pixel_array(path), arr)
    got = dcmdjpeg(path, tmp_path / "d.dcm") if tool == "dcmdjpeg" else \
        gdcm_raw(path, tmp_path / "g.dcm")
    if signed and bits < 16:
        # the tools return the low bits; compare as DICOM defines them
        got = got.astype(np.int64)
        got = np.where(got >= (1 << (bits - 1)), got - (1 << bits), got)
    assert max_err(got, arr) == 0


@pytest.mark.parametrize("syntax,src", [(BASELINE, "US1_UNCR.dcm"), (BASELINE, "SC_rgb.dcm"),
                                        (EXTENDED, "MR2_UNCR.dcm"), (EXTENDED, "US1_UNCR.dcm")])
def test_our_lossy_decoded_by_tools(syntax, src, tmp_path):
    """Default quality: PSNR > 35 dB, and DCMTK/GDCM decode what we decode
    within 1 (libjpeg's IDCT vs ours)."""
    orig = pydicom.dcmread(find_testfile(src))
    want = orig.pixel_array
    ds = pydicom.dcmread(find_testfile(src))
    dc.compress(ds, syntax)
    assert ds.LossyImageCompression == "01"
    assert ds.LossyImageCompressionMethod == "ISO_10918_1"
    path = tmp_path / "ours.dcm"
    ds.save_as(path, enforce_file_format=True)
    ours = dc.pixel_array(path)
    bits = int(orig.BitsStored)
    quality = psnr(ours, want, bits)
    print(f"{syntax} {src}: {quality:.1f} dB, {len(ds.PixelData)} bytes")
    assert quality > 35
    assert max_err(dcmdjpeg(path, tmp_path / "d.dcm"), ours) <= 1
    assert max_err(gdcm_raw(path, tmp_path / "g.dcm"), ours) <= 1


# ------------------------------------------------------------ encode / API

@pytest.mark.parametrize("syntax", ["jpeg-lossless-sv1", "jpeg-lossless", "jpeg-baseline",
                                    "jpeg-extended"])
def test_compress_api(syntax):
    ds = pydicom.dcmread(find_testfile("MR2_UNCR.dcm" if syntax != "jpeg-baseline"
                                       else "US1_UNCR.dcm"))
    orig = ds.pixel_array.copy()
    dc.compress(ds, syntax)
    uid = str(ds.file_meta.TransferSyntaxUID)
    back = dc.pixel_array(ds)
    if "lossless" in syntax:
        assert uid in (LOSSLESS, SV1)
        assert np.array_equal(back, orig)
        assert "LossyImageCompression" not in ds
    else:
        assert ds.LossyImageCompression == "01"
        assert psnr(back, orig, int(ds.BitsStored)) > 35
    if syntax == "jpeg-baseline":
        assert ds.PhotometricInterpretation == "YBR_FULL_422"


@pytest.mark.parametrize("options,pi,sampling,adobe", [
    ({}, "YBR_FULL_422", [(2, 1), (1, 1), (1, 1)], False),
    ({"subsampling": 444}, "YBR_FULL", [(1, 1)] * 3, False),
    ({"subsampling": "4:2:0"}, "YBR_FULL_422", [(2, 2), (1, 1), (1, 1)], False),
    ({"photometric": "RGB"}, "RGB", [(1, 1)] * 3, True),
    ({"photometric": "YBR_FULL"}, "YBR_FULL", [(1, 1)] * 3, False),
])
def test_baseline_rgb_options(options, pi, sampling, adobe):
    rgb = pydicom.dcmread(find_testfile("US1_UNCR.dcm")).pixel_array
    codec = get_encoder(BASELINE)
    info = dc.FrameInfo(BASELINE, 480, 640, 3, 8, 8, 0, "RGB")
    attrs = codec.encoded_attributes(info, **options)
    assert attrs["photometric_interpretation"] == pi and attrs["lossy"]
    stream = dc.encode_frame(rgb, BASELINE, **options)
    hdr = _jpeg.read_header(stream)
    assert hdr["sampling"] == sampling and hdr["process"] == 1
    assert hdr["has_adobe"] == adobe
    if adobe:
        assert hdr["adobe_transform"] == 0 and hdr["component_ids"] == [82, 71, 66]
    back = dc.decode_frame(stream, info.replace(photometric_interpretation=pi))
    # 4:2:0 halves the chroma of this ultrasound's coloured overlays again
    assert psnr(back, rgb, 8) > {"RGB": 40, "YBR_FULL": 38}.get(pi, 33)


def test_baseline_options_change_the_stream():
    arr = smooth(np.random.default_rng(1), (64, 80), 8, False)
    a = dc.encode_frame(arr, BASELINE, quality=95)
    b = dc.encode_frame(arr, BASELINE, quality=40)
    assert len(b) < len(a)
    c = dc.encode_frame(arr, BASELINE, optimize_huffman=False)
    assert len(c) > len(dc.encode_frame(arr, BASELINE))
    r = dc.encode_frame(arr, BASELINE, restart_interval=2)
    assert _jpeg.read_header(r)["restart_interval"] == 2
    assert b"\xff\xd0" in r
    info = dc.FrameInfo(BASELINE, 64, 80, 1, 8, 8, 0, "MONOCHROME2")
    assert psnr(dc.decode_frame(r, info), arr, 8) > 35


def test_baseline_matches_libjpeg_turbo_direct():
    """Our libjpeg-turbo glue gives what libjpeg-turbo gives through
    imagecodecs with the same settings (both ISLOW, 4:4:4, quality 90)."""
    imagecodecs = pytest.importorskip("imagecodecs")
    rgb = pydicom.dcmread(find_testfile("US1_UNCR.dcm")).pixel_array
    ours = dc.encode_frame(rgb, BASELINE, subsampling=444)
    info = dc.FrameInfo(BASELINE, 480, 640, 3, 8, 8, 0, "YBR_FULL")
    theirs = imagecodecs.jpeg8_decode(ours)
    assert max_err(dc.decode_frame(ours, info), theirs) <= 1


def test_extended_processes():
    rng = np.random.default_rng(3)
    a8 = smooth(rng, (48, 40), 8, False)
    a12 = smooth(rng, (48, 40), 12, False)
    s8 = dc.encode_frame(a8, EXTENDED)
    s12 = dc.encode_frame(a12, EXTENDED, bits_stored=12)
    assert _jpeg.read_header(s8)["precision"] == 8
    h12 = _jpeg.read_header(s12)
    assert h12["precision"] == 12 and h12["process"] == 4
    info12 = dc.FrameInfo(EXTENDED, 48, 40, 1, 16, 12, 0, "MONOCHROME2")
    assert psnr(dc.decode_frame(s12, info12), a12, 12) > 45
    with pytest.raises(dc.EncodeError, match="at most 12-bit"):
        dc.encode_frame(smooth(rng, (8, 8), 16, False), EXTENDED)
    with pytest.raises(dc.EncodeError, match="12-bit"):
        dc.encode_frame(a12, BASELINE, bits_stored=12)


@pytest.mark.parametrize("bits,signed", [(2, False), (7, False), (8, False), (8, True),
                                         (12, True), (15, False), (16, False), (16, True)])
@pytest.mark.parametrize("spp", [1, 3])
def test_lossless_round_trip(bits, signed, spp):
    rng = np.random.default_rng(bits * 10 + spp)
    arr = smooth(rng, (33, 29, spp) if spp > 1 else (33, 29), bits, signed)
    for pred in (1, 4, 6, 7):
        s = dc.encode_frame(arr, LOSSLESS, bits_stored=bits, predictor=pred)
        info = dc.FrameInfo(LOSSLESS, 33, 29, spp, arr.dtype.itemsize * 8, bits, int(signed),
                            "MONOCHROME2" if spp == 1 else "RGB")
        assert np.array_equal(dc.decode_frame(s, info), arr), pred
    s = dc.encode_frame(arr, SV1, bits_stored=bits)
    assert np.array_equal(dc.decode_frame(s, info.replace(transfer_syntax=SV1)), arr)


def test_lossless_point_transform_and_attributes():
    arr = smooth(np.random.default_rng(5), (20, 20), 12, False)
    s = dc.encode_frame(arr, LOSSLESS, bits_stored=12, point_transform=2)
    assert _jpeg.read_header(s)["point_transform"] == 2
    info = dc.FrameInfo(LOSSLESS, 20, 20, 1, 16, 12, 0, "MONOCHROME2")
    assert np.array_equal(dc.decode_frame(s, info), arr >> 2 << 2)
    codec = get_encoder(LOSSLESS)
    assert codec.encoded_attributes(info, point_transform=2)["lossy"]
    assert not codec.encoded_attributes(info)["lossy"]
    rgb = info.replace(samples_per_pixel=3, photometric_interpretation="RGB")
    assert codec.encoded_attributes(rgb)["photometric_interpretation"] == "RGB"
    # full-resolution YCbCr (as decoded from YBR_FULL_422) is coded as YBR_FULL
    ybr = rgb.replace(photometric_interpretation="YBR_FULL_422")
    assert codec.encoded_attributes(ybr)["photometric_interpretation"] == "YBR_FULL"


def test_encode_frames_threads_equal_serial():
    rng = np.random.default_rng(9)
    arr = np.stack([smooth(rng, (64, 64), 12, False) for _ in range(6)])
    a = dc.encode_frames(arr, SV1, bits_stored=12, threads=2)
    b = dc.encode_frames(arr, SV1, bits_stored=12, threads=1)
    assert a == b
    info = dc.FrameInfo(SV1, 64, 64, 1, 16, 12, 0, "MONOCHROME2")
    assert np.array_equal(dc.decode_frames(a, info, threads=2), arr)


@pytest.mark.parametrize("syntax,options,match", [
    (SV1, {"predictor": 2}, "selection value 1"),
    (LOSSLESS, {"predictor": 8}, "predictor"),
    (LOSSLESS, {"point_transform": 12}, "point_transform"),
    (LOSSLESS, {"quality": 90}, "unknown option"),
    (BASELINE, {"quality": 0}, "quality"),
    (BASELINE, {"subsampling": 411}, "subsampling"),
    (BASELINE, {"predictor": 1}, "unknown option"),
    (BASELINE, {"photometric": "RGB", "subsampling": 422}, "without subsampling"),
    (BASELINE, {"photometric": "YBR_ICT"}, "photometric"),
    (EXTENDED, {"subsampling": 420}, "420"),
])
def test_bad_encode_options(syntax, options, match):
    arr = np.zeros((16, 16, 3), np.uint8) if syntax in (BASELINE, EXTENDED) else \
        np.zeros((16, 16), np.uint16)
    with pytest.raises(dc.EncodeError, match=match):
        dc.encode_frame(arr, syntax, bits_stored=None if arr.dtype == np.uint8 else 12,
                        **options)


def test_baseline_refuses_signed_and_wide_values():
    with pytest.raises(dc.EncodeError, match="unsigned"):
        dc.encode_frame(np.zeros((8, 8), np.int8), BASELINE)
    with pytest.raises(dc.EncodeError, match="outside"):
        dc.encode_frame(np.full((8, 8), 300, np.uint16), BASELINE, bits_stored=8)
    # 8-bit values in a 16-bit container are narrowed
    s = dc.encode_frame(np.full((8, 8), 200, np.uint16), BASELINE, bits_stored=8)
    assert _jpeg.read_header(s)["precision"] == 8


# ------------------------------------------------------- DICOM workarounds

def test_pred6_wrap_switch_reaches_the_decoder():
    """Predictor 6 on 16-bit samples >= 32768: correct decoding by default;
    DCMTK's +w6 emulation (int16 arithmetic) only when asked for."""
    rng = np.random.default_rng(11)
    arr = smooth(rng, (32, 32), 16, False)
    s = dc.encode_frame(arr, LOSSLESS, predictor=6)
    info = dc.FrameInfo(LOSSLESS, 32, 32, 1, 16, 16, 0, "MONOCHROME2")
    codec = get_decoder(LOSSLESS)
    out = np.empty((32, 32), np.uint16)
    codec.decode_into(s, info, out)
    assert np.array_equal(out, arr)
    codec.decode_into(s, info, out, pred6_wrap=True)
    assert not np.array_equal(out, arr)
    codec.pred6_wrap = True
    try:
        assert not np.array_equal(dc.decode_frame(s, info), arr)
    finally:
        codec.pred6_wrap = False
    assert np.array_equal(dc.decode_frame(s, info), arr)


def test_cornell_switches_keep_correct_streams_exact():
    arr = smooth(np.random.default_rng(12), (32, 32), 16, False)
    arr[::3, ::5] = 0
    arr[1::3, ::5] = 65535  # differences of category 16
    s = dc.encode_frame(arr, LOSSLESS, predictor=1)
    info = dc.FrameInfo(LOSSLESS, 32, 32, 1, 16, 16, 0, "MONOCHROME2")
    codec = get_decoder(LOSSLESS)
    out = np.empty((32, 32), np.uint16)
    for cornell in (None, False):
        codec.decode_into(s, info, out, cornell=cornell)
        assert np.array_equal(out, arr)


@pytest.fixture(scope="session")
def streams():
    rng = np.random.default_rng(2)
    a8 = smooth(rng, (64, 48, 3), 8, False)
    a12 = smooth(rng, (64, 48), 12, False)
    return {
        "baseline": (dc.encode_frame(a8, BASELINE),
                     dc.FrameInfo(BASELINE, 64, 48, 3, 8, 8, 0, "YBR_FULL_422")),
        "extended": (dc.encode_frame(a12, EXTENDED, bits_stored=12),
                     dc.FrameInfo(EXTENDED, 64, 48, 1, 16, 12, 0, "MONOCHROME2")),
        "lossless": (dc.encode_frame(a12, LOSSLESS, bits_stored=12, predictor=6),
                     dc.FrameInfo(LOSSLESS, 64, 48, 1, 16, 12, 0, "MONOCHROME2")),
    }


KINDS = ["baseline", "extended", "lossless"]


@pytest.mark.parametrize("kind", KINDS)
def test_truncated_raises_unless_allowed(kind, streams):
    s, info = streams[kind]
    codec = get_decoder(info.transfer_syntax)
    good = dc.decode_frame(s, info)
    for cut in (len(s) // 2, len(s) - 40, 30, 2):
        with pytest.raises(dc.DecodeError, match="JPEG") as e:
            dc.decode_frame(s[:cut], info)
        assert "frame" in str(e.value)
    out = np.empty(good.shape, good.dtype)
    codec.decode_into(s[: len(s) * 3 // 4], info, out, allow_truncated=True)
    rows = info.rows // 3
    assert max_err(out[:rows], good[:rows]) <= 1  # the part that was there


@pytest.mark.parametrize("kind", KINDS)
def test_missing_eoi_is_harmless(kind, streams):
    s, info = streams[kind]
    assert s.endswith(b"\xff\xd9")
    assert np.array_equal(dc.decode_frame(s[:-2], info), dc.decode_frame(s, info))


@pytest.mark.parametrize("kind", KINDS)
def test_bit_flips_never_crash(kind, streams):
    s, info = streams[kind]
    rng = np.random.default_rng(42)
    errors = 0
    for _ in range(300):
        b = flip_bits(rng, s)
        try:
            dc.decode_frame(b, info)
        except dc.DecodeError as e:
            assert "JPEG" in str(e)
            errors += 1
    # lossless data has no redundancy to notice most flips by
    assert errors > 10


def _segments(s: bytes):
    """(marker, offset) of each marker segment before the entropy data."""
    out, i = [], 2
    while i + 4 <= len(s) and s[i] == 0xFF:
        m = s[i + 1]
        out.append((m, i))
        if m == 0xDA:
            break
        i += 2 + int.from_bytes(s[i + 2:i + 4], "big")
    return out


def _patch(s: bytes, marker: int, offset: int, value: bytes) -> bytes:
    i = next(o for m, o in _segments(s) if m == marker)
    return s[:i + 4 + offset] + value + s[i + 4 + offset + len(value):]


# Baseline without DHT is not a lying header for libjpeg-turbo: it decodes it
# with the Annex K tables (Motion-JPEG style), so that pair is left out.
_LYING = [(k, c) for k in KINDS
          for c in ("huge_sof", "zero_columns", "precision", "components", "bad_dht",
                    "sos_before_sof", "no_dht", "not_jpeg")
          if not (c == "no_dht" and k == "baseline")]


@pytest.mark.parametrize("kind,case", _LYING)
def test_lying_headers(kind, case, streams):
    s, info = streams[kind]
    sof = next(m for m, _ in _segments(s) if m in (0xC0, 0xC1, 0xC3))
    if case == "huge_sof":
        bad = _patch(s, sof, 1, b"\xff\xff\xff\xff")
    elif case == "zero_columns":
        bad = _patch(s, sof, 3, b"\x00\x00")
    elif case == "precision":
        bad = _patch(s, sof, 0, b"\x11")
    elif case == "components":
        bad = _patch(s, sof, 5, b"\x02")
    elif case == "bad_dht":
        bad = _patch(s, 0xC4, 1, b"\xff" * 16)  # counts add up to far more than 256
    elif case == "sos_before_sof":
        segs = dict((m, o) for m, o in _segments(s))
        i, j = segs[sof], segs[0xDA]
        n = 2 + int.from_bytes(s[i + 2:i + 4], "big")
        m = 2 + int.from_bytes(s[j + 2:j + 4], "big")
        bad = s[:i] + s[j:j + m] + s[i:i + n] + s[i + n:j] + s[j + m:]
    elif case == "no_dht":
        segs = [o for m, o in _segments(s) if m == 0xC4]
        bad = s
        for o in reversed(segs):
            n = 2 + int.from_bytes(bad[o + 2:o + 4], "big")
            bad = bad[:o] + bad[o + n:]
    else:
        bad = b"\x00\x01" + s[2:]
    with pytest.raises(dc.DecodeError, match="JPEG") as e:
        dc.decode_frames([s, bad], info, threads=1)
    assert "frame 1" in str(e.value)


def test_dataset_disagreeing_with_stream(streams):
    s, info = streams["extended"]
    with pytest.raises(dc.DecodeError, match="JPEG.*(disagree|12)"):
        dc.decode_frame(s, info.replace(bits_allocated=8, bits_stored=8))
    with pytest.raises(dc.DecodeError, match="disagrees"):
        dc.decode_frame(s, info.replace(rows=63))
    s, info = streams["baseline"]
    with pytest.raises(dc.DecodeError, match="disagrees"):
        dc.decode_frame(s, info.replace(columns=47))


def test_lossless_stream_under_lossy_uid_and_reverse(streams):
    """Route by SOF marker, not by the transfer syntax."""
    s, info = streams["lossless"]
    want = dc.decode_frame(s, info)
    assert np.array_equal(dc.decode_frame(s, info.replace(transfer_syntax=EXTENDED)), want)
    s, info = streams["baseline"]
    want = dc.decode_frame(s, info)
    out = np.empty(want.shape, want.dtype)
    engine = get_decoder(SV1).decode_into(s, info.replace(transfer_syntax=SV1), out)
    assert engine == _jpeg.ENGINE_TURBO and np.array_equal(out, want)
    s, info = streams["extended"]
    engine = get_decoder(BASELINE).decode_into(s, info, np.empty((64, 48), np.uint16))
    assert engine == _jpeg.ENGINE_LJPEG


@pytest.mark.parametrize("spp,bits", [(1, 12), (3, 8)])
@pytest.mark.parametrize("pred", range(1, 8))
def test_lossless_restart_intervals_decoded_by_dcmdjpeg(spp, bits, pred, tmp_path):
    """Restart intervals of whole rows (what IJG-based decoders accept):
    every interval restarts prediction; DCMTK reads ours bit-exact."""
    rng = np.random.default_rng(pred * 10 + spp)
    shape = (24, 19, spp) if spp > 1 else (24, 19)
    arr = smooth(rng, shape, bits, False)
    ds = write_native(None, arr, bits_stored=bits)
    dc.compress(ds, LOSSLESS, predictor=pred, restart_interval=2 * 19)
    path = tmp_path / "rst.dcm"
    ds.save_as(path, enforce_file_format=True)
    frame = frames_of(path)[0]
    assert _jpeg.read_header(frame)["restart_interval"] == 38
    assert frame.count(b"\xff\xd0") >= 1 and frame.count(b"\xff\xd4") >= 1  # RST0 .. RST4
    assert np.array_equal(dc.pixel_array(path), arr)
    assert max_err(dcmdjpeg(path, tmp_path / "d.dcm"), arr) == 0
    with pytest.raises(dc.EncodeError, match="multiple of the 19 columns"):
        dc.encode_frame(arr, LOSSLESS, bits_stored=bits, restart_interval=20)
