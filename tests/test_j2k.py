"""JPEG 2000 (.90/.91) and HTJ2K (.201/.202/.203): lib/j2k + _j2k.pyx.

References: pydicom-data's uncompressed originals (bit-exact for lossless),
pydicom's own gdcm/pylibjpeg plugins (independent decoders), and the
OpenJPEG/OpenJPH command-line tools for interop both ways.
"""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import numpy as np
import pytest

import dicomcodecs as dc
from dicomcodecs import _j2k
from dicomcodecs.registry import get_decoder, get_encoder

from .conftest import find_testfile, require_tool, write_native

J2KR = "1.2.840.10008.1.2.4.90"
J2KI = "1.2.840.10008.1.2.4.91"
HTR = "1.2.840.10008.1.2.4.201"
HTRPCL = "1.2.840.10008.1.2.4.202"
HTI = "1.2.840.10008.1.2.4.203"

pydicom = pytest.importorskip("pydicom")


# ------------------------------------------------------------------ helpers

def _frames(ds):
    from pydicom.encaps import generate_frames
    n = int(ds.get("NumberOfFrames", 1) or 1)
    return [bytes(f) for f in generate_frames(ds.PixelData, number_of_frames=n)]


def _reference(ds, plugin):
    """pydicom's decode with one named plugin (not ours)."""
    from pydicom.pixels import pixel_array
    return pixel_array(ds, decoding_plugin=plugin)


def _write_pnm(path: Path, arr: np.ndarray) -> None:
    """PGM/PPM with maxval from the data type (16-bit samples big-endian)."""
    h, w = arr.shape[:2]
    magic = b"P6" if arr.ndim == 3 else b"P5"
    maxval = 255 if arr.dtype.itemsize == 1 else 65535
    body = arr.astype(">u2").tobytes() if arr.dtype.itemsize == 2 else arr.tobytes()
    path.write_bytes(magic + b"\n%d %d\n%d\n" % (w, h, maxval) + body)


def _read_pnm(path: Path) -> np.ndarray:
    data = path.read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1
    magic, w, h, maxval = fields[0], int(fields[1]), int(fields[2]), int(fields[3])
    spp = 3 if magic == b"P6" else 1
    dt = np.dtype(">u2") if maxval > 255 else np.dtype("u1")
    arr = np.frombuffer(data, dt, w * h * spp, pos).astype(dt.newbyteorder("="))
    return arr.reshape((h, w, spp) if spp == 3 else (h, w))


def _smooth(shape, dtype, bits, seed=0):
    """A photo-like image: gradients plus noise, within `bits`."""
    rng = np.random.default_rng(seed)
    h, w = shape[:2]
    y, x = np.mgrid[0:h, 0:w]
    base = (np.sin(x / 7.0) + np.cos(y / 11.0) + 2) / 4
    signed = np.dtype(dtype).kind == "i"
    top = (1 << (bits - 1)) if signed else (1 << bits)
    lo = -top if signed else 0
    planes = []
    for c in range(shape[2] if len(shape) == 3 else 1):
        v = lo + base * (top - lo - 1) * (0.6 + 0.2 * c) + rng.integers(0, 8, (h, w))
        planes.append(np.clip(v, lo, (top - 1)))
    arr = np.stack(planes, -1) if len(shape) == 3 else planes[0]
    return arr.astype(dtype)


def _info(uid, arr, bits, pi=None):
    spp = 1 if arr.ndim == 2 else arr.shape[2]
    pi = pi or ("MONOCHROME2" if spp == 1 else "RGB")
    return dc.FrameInfo(uid, arr.shape[0], arr.shape[1], spp, arr.dtype.itemsize * 8, bits,
                        int(arr.dtype.kind == "i"), pi)


def _decoded_pi(uid, arr, **options):
    info = _info(uid, arr, arr.dtype.itemsize * 8)
    return get_encoder(uid).encoded_attributes(info, **options)["photometric_interpretation"]


# ----------------------------------------------------- reference: real files

PYDICOM_FILES = [
    # (file, reference plugin): values come from pydicom with that plugin.
    ("693_J2KI.dcm", "gdcm"),
    ("GDCMJ2K_TextGBR.dcm", "gdcm"),
    ("J2K_pixelrep_mismatch.dcm", "pylibjpeg"),
    ("JPEG2000.dcm", "gdcm"),
    ("MR_small_jp2klossless.dcm", "gdcm"),
    ("examples_jpeg2k.dcm", "gdcm"),
]


@pytest.mark.parametrize("name,plugin", PYDICOM_FILES)
def test_pydicom_files_match_reference(name, plugin):
    ds = pydicom.dcmread(find_testfile(name))
    ours = dc.pixel_array(ds)
    ref = _reference(ds, plugin)
    assert ours.shape == ref.shape and ours.dtype == ref.dtype
    np.testing.assert_array_equal(ours, ref)


def test_pixelrep_mismatch_is_sign_corrected():
    # Pixel Representation 1, codestream unsigned: pydicom sign-extends from
    # the codestream's precision; gdcm and pylibjpeg agree after pydicom's fix.
    ds = pydicom.dcmread(find_testfile("J2K_pixelrep_mismatch.dcm"))
    hdr = _j2k.read_header(_frames(ds)[0])
    assert ds.PixelRepresentation == 1 and not hdr["is_signed"]
    ours = dc.pixel_array(ds)
    assert ours.dtype == np.int16 and ours.min() < 0
    np.testing.assert_array_equal(ours, _reference(ds, "gdcm"))


def test_emri_multiframe_lossless():
    ours = dc.pixel_array(find_testfile("emri_small_jpeg_2k_lossless.dcm"), threads=2)
    orig = pydicom.dcmread(find_testfile("emri_small.dcm")).pixel_array
    np.testing.assert_array_equal(ours, orig)


@pytest.fixture(scope="session")
def pydicom_data():
    """Decode each pydicom-data original once per session (RG1 is big)."""
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = pydicom.dcmread(find_testfile(name))
        return cache[name]
    return get


@pytest.mark.parametrize("stem", ["693", "MR2", "RG1", "US1"])
def test_pydicom_data_j2kr_bit_exact(stem, pydicom_data):
    orig = pydicom_data(f"{stem}_UNCR.dcm").pixel_array
    ours = dc.pixel_array(find_testfile(f"{stem}_J2KR.dcm"))
    assert ours.dtype == orig.dtype
    np.testing.assert_array_equal(ours, orig)


@pytest.mark.parametrize("stem", ["693", "MR2", "RG1", "US1"])
def test_pydicom_data_j2ki_matches_reference(stem, pydicom_data):
    ds = pydicom_data(f"{stem}_J2KI.dcm")
    ours = dc.pixel_array(ds)
    ref = _reference(ds, "gdcm")
    assert ours.shape == ref.shape
    assert np.abs(ours.astype(np.int64) - ref).max() <= 1


def test_ybr_ict_reports_rgb():
    ds = pydicom.dcmread(find_testfile("US1_J2KI.dcm"))
    info = dc.FrameInfo.from_dataset(ds)
    assert info.photometric_interpretation == "YBR_ICT"
    codec = get_decoder(J2KI)
    for as_rgb in (True, False):
        assert codec.output_spec(info, as_rgb=as_rgb)[2] == "RGB"


# --------------------------------------------------------------- round trips

CASES = [
    (np.uint8, 8, 1), (np.uint8, 6, 1), (np.uint16, 12, 1), (np.uint16, 16, 1),
    (np.int16, 16, 1), (np.int16, 13, 1), (np.int8, 8, 1), (np.uint8, 8, 3),
    (np.uint16, 16, 3), (np.int32, 20, 1), (np.uint32, 24, 1),
]


@pytest.mark.parametrize("uid", [J2KR, HTR, HTRPCL])
@pytest.mark.parametrize("dtype,bits,spp", CASES)
def test_lossless_round_trip(uid, dtype, bits, spp):
    shape = (37, 53) if spp == 1 else (37, 53, spp)
    arr = _smooth(shape, dtype, bits)
    cs = dc.encode_frame(arr, uid, bits_stored=bits)
    info = _info(uid, arr, bits, _decoded_pi(uid, arr))
    out = dc.decode_frame(cs, info)
    np.testing.assert_array_equal(out, arr)
    hdr = _j2k.read_header(cs)
    assert hdr["precision"] == bits and hdr["reversible"]
    assert hdr["is_signed"] == (np.dtype(dtype).kind == "i")
    assert hdr["htj2k"] == (uid != J2KR)
    assert hdr["mct"] == (spp == 3)


@pytest.mark.parametrize("engine", ["openjph", "openjpeg"])
def test_htj2k_both_engines_agree(engine):
    arr = _smooth((64, 80, 3), np.uint8, 8)
    for uid, opts in ((HTR, {}), (HTI, {"qstep": 0.004})):
        cs = dc.encode_frame(arr, uid, **opts)
        info = _info(uid, arr, 8, _decoded_pi(uid, arr, **opts))
        out = np.empty(arr.shape, np.uint8)
        _j2k.decode_into(cs, info, out, engine=engine, fallback=False)
        err = np.abs(out.astype(int) - arr).max()
        assert err == 0 if uid == HTR else err <= 4


def test_j2k_lossy_options():
    arr = _smooth((96, 128), np.uint16, 12)
    info = _info(J2KI, arr, 12)
    sizes = []
    for cr in ([40], [10], [40, 10, 2]):
        cs = dc.encode_frame(arr, J2KI, bits_stored=12, j2k_cr=cr)
        assert _j2k.read_header(cs)["layers"] == len(cr)
        assert not _j2k.read_header(cs)["reversible"]
        out = dc.decode_frame(cs, info)
        sizes.append(len(cs))
        assert np.abs(out.astype(int) - arr).max() < 400
    raw = arr.size * 12 / 8
    assert sizes[0] < sizes[1] and raw / sizes[0] > 25
    cs = dc.encode_frame(arr, J2KI, bits_stored=12, j2k_psnr=[30, 60])
    out = dc.decode_frame(cs, info).astype(float)
    mse = np.mean((out - arr) ** 2)
    assert 10 * np.log10(4095 ** 2 / mse) > 55
    attrs = get_encoder(J2KI).encoded_attributes(info, j2k_cr=[10])
    assert attrs["lossy"] is True


@pytest.mark.parametrize("uid", [J2KI, HTI])
def test_lossy_syntaxes_have_a_default(uid):
    """JPEG 2000 (.91) without options, like HTJ2K (.203): the irreversible
    9/7 wavelet, no rate limit; close to the original, marked lossy."""
    arr = _smooth((96, 128), np.uint16, 12)
    info = _info(uid, arr, 12)
    cs = dc.encode_frame(arr, uid, bits_stored=12)
    assert not _j2k.read_header(cs)["reversible"]
    out = dc.decode_frame(cs, info).astype(float)
    assert 10 * np.log10(4095 ** 2 / np.mean((out - arr) ** 2)) > 50
    assert get_encoder(uid).encoded_attributes(info)["lossy"] is True
    ds = dc.compress(write_native(None, arr, bits_stored=12), uid)
    assert ds.LossyImageCompression == "01"


def test_j2k_lossy_rgb_is_ybr_ict():
    arr = _smooth((64, 64, 3), np.uint8, 8)
    info = _info(J2KI, arr, 8)
    attrs = get_encoder(J2KI).encoded_attributes(info, j2k_cr=[5])
    assert attrs == {"photometric_interpretation": "YBR_ICT", "planar_configuration": 0,
                     "lossy": True}
    cs = dc.encode_frame(arr, J2KI, j2k_cr=[5])
    out = dc.decode_frame(cs, info.replace(photometric_interpretation="YBR_ICT"))
    assert np.abs(out.astype(int) - arr).mean() < 3
    no_mct = dc.encode_frame(arr, J2KR, use_mct=False)
    assert not _j2k.read_header(no_mct)["mct"]
    assert get_encoder(J2KR).encoded_attributes(
        info.replace(transfer_syntax=J2KR), use_mct=False)["photometric_interpretation"] == "RGB"


@pytest.mark.parametrize("options", [
    {"progression": "RPCL"}, {"progression": "cprl", "levels": 2},
    {"tile_size": 32}, {"tile_size": (16, 48), "block_size": 16},
    {"block_size": (32, 64), "levels": 0}, {"levels": 6}, {"tile_size": 8, "levels": 3},
    {"tile_size": (64, 33)},
])
@pytest.mark.parametrize("uid", [J2KR, HTR])
def test_encode_options(uid, options):
    arr = _smooth((100, 130), np.uint16, 12)
    cs = dc.encode_frame(arr, uid, bits_stored=12, **options)
    hdr = _j2k.read_header(cs)
    assert hdr["progression"] == options.get("progression", "LRCP" if uid == J2KR
                                                 else "RPCL").upper()
    tile = options.get("tile_size", (100, 130))
    tile = (tile, tile) if isinstance(tile, int) else tile
    default = min(5, int(np.log2(min(tile))))  # five, fewer for small tiles
    assert hdr["levels"] == options.get("levels", default)
    if "tile_size" in options:
        t = options["tile_size"]
        t = (t, t) if isinstance(t, int) else t
        assert hdr["tiles"] == -(-100 // t[0]) * -(-130 // t[1])
    np.testing.assert_array_equal(dc.decode_frame(cs, _info(uid, arr, 12)), arr)


@pytest.mark.parametrize("uid,options,match", [
    (J2KR, {"j2k_cr": [10]}, "lossy"),
    (J2KI, {"j2k_cr": [10], "j2k_psnr": [40]}, "not both"),
    (J2KR, {"reversible": False}, "lossy"),
    (J2KR, {"progression": "XYZW"}, "progression"),
    (J2KR, {"block_size": 48}, "power of two"),
    (J2KR, {"block_size": 128}, "4096"),
    (J2KR, {"levels": 40}, "levels"),
    (HTRPCL, {"progression": "LRCP"}, "RPCL"),
    (HTR, {"qstep": 0.1}, "qstep"),
    (HTR, {"j2k_cr": [5]}, "unknown option"),
    (J2KR, {"bogus": 1}, "unknown option"),
])
def test_encode_option_errors(uid, options, match):
    arr = np.zeros((16, 16), np.uint8)
    with pytest.raises(dc.EncodeError, match=match):
        dc.encode_frame(arr, uid, **options)


def test_encode_rejects_samples_outside_bits_stored():
    arr = np.full((8, 8), 300, np.uint16)
    for uid in (J2KR, HTR):
        with pytest.raises(dc.EncodeError, match="does not fit in Bits Stored 8"):
            dc.encode_frame(arr, uid, bits_stored=8)


def test_compress_dataset_round_trip():
    ds = pydicom.dcmread(find_testfile("US1_UNCR.dcm"))
    orig = ds.pixel_array.copy()
    for uid, pi in ((J2KR, "YBR_RCT"), (HTR, "YBR_RCT"), (HTRPCL, "YBR_RCT")):
        c = dc.compress(pydicom.dcmread(find_testfile("US1_UNCR.dcm")), uid)
        assert c.PhotometricInterpretation == pi
        np.testing.assert_array_equal(dc.pixel_array(c), orig)
        # pydicom's own plugins read our codestreams too (J2K via gdcm).
        if uid == J2KR:
            np.testing.assert_array_equal(_reference(c, "gdcm"), orig)


# ------------------------------------------------------ HTJ2K Lossless RPCL

def _tile_parts(cs: bytes):
    """(Isot, Psot) of every tile-part, walking SOT markers from the first."""
    pos = 2
    while cs[pos:pos + 2] != b"\xff\x90":
        pos += 2 + int.from_bytes(cs[pos + 2:pos + 4], "big")
    parts = []
    while cs[pos:pos + 2] == b"\xff\x90":
        isot = int.from_bytes(cs[pos + 4:pos + 6], "big")
        psot = int.from_bytes(cs[pos + 6:pos + 10], "big")
        parts.append((isot, psot))
        pos += psot
    assert cs[pos:pos + 2] == b"\xff\xd9"
    return parts


def _tlm_entries(cs: bytes):
    pos, entries, first_sot = 2, [], None
    while pos < len(cs):
        marker = cs[pos:pos + 2]
        if marker == b"\xff\x90":
            first_sot = pos
            break
        length = int.from_bytes(cs[pos + 2:pos + 4], "big")
        if marker == b"\xff\x55":
            stlm = cs[pos + 5]
            st, sp = (stlm >> 4) & 3, (stlm >> 6) & 1
            size = st + (4 if sp else 2)
            body = cs[pos + 6:pos + 2 + length]
            assert len(body) % size == 0
            for k in range(0, len(body), size):
                t = int.from_bytes(body[k:k + st], "big") if st else None
                p = int.from_bytes(body[k + st:k + size], "big")
                entries.append((t, p))
        pos += 2 + length
    return entries, first_sot


@pytest.mark.parametrize("shape,tile", [((512, 700), None), ((1955, 1841), None),
                                        ((300, 260), 128), ((40, 30), None)])
def test_htj2k_rpcl_structure(shape, tile):
    arr = _smooth(shape, np.uint16, 12)
    opts = {"tile_size": tile} if tile else {}
    cs = dc.encode_frame(arr, HTRPCL, bits_stored=12, **opts)
    hdr = _j2k.read_header(cs)
    assert hdr["progression"] == "RPCL" and hdr["htj2k"] and hdr["reversible"] and hdr["tlm"]
    side = max(tile or shape[0], tile or shape[1])
    assert -(-side // (1 << hdr["levels"])) <= 64
    parts = _tile_parts(cs)
    entries, first_sot = _tlm_entries(cs)
    assert entries == [(i, p) for i, p in parts]
    assert first_sot is not None
    np.testing.assert_array_equal(dc.decode_frame(cs, _info(HTRPCL, arr, 12)), arr)


# -------------------------------------------------------------------- interop

@pytest.fixture(scope="module")
def interop_image():
    return {"gray16": _smooth((120, 90), np.uint16, 16), "gray8": _smooth((77, 101), np.uint8, 8),
            "rgb": _smooth((64, 96, 3), np.uint8, 8)}


def _tool_codestream(tool_name, arr, out, args):
    """arr written as PGM/PPM and compressed by a reference tool's CLI."""
    tool = require_tool(tool_name)
    src = out.parent / ("in.ppm" if arr.ndim == 3 else "in.pgm")
    _write_pnm(src, arr)
    subprocess.run([tool, "-i", str(src), "-o", str(out), *args], check=True,
                   capture_output=True)
    return out.read_bytes()


@pytest.mark.parametrize("args", [
    [], ["-p", "RPCL"], ["-p", "PCRL", "-t", "32,32"], ["-p", "CPRL", "-n", "3"],
    ["-p", "RLCP", "-b", "16,16"], ["-r", "20,5,1"], ["-t", "40,50", "-SOP", "-EPH"],
])
@pytest.mark.parametrize("kind", ["gray16", "gray8", "rgb"])
def test_opj_compress_files_decode(tmp_path, interop_image, kind, args):
    arr = interop_image[kind]
    cs = _tool_codestream("opj_compress", arr, tmp_path / "out.j2k", args)
    pi = "YBR_RCT" if arr.ndim == 3 else "MONOCHROME2"
    info = _info(J2KR, arr, arr.dtype.itemsize * 8, pi)
    # Wrapped in a dataset and read back through the file path too.
    from pydicom.encaps import encapsulate
    ds = pydicom.dcmread(find_testfile("MR_small_jp2klossless.dcm"))
    ds.Rows, ds.Columns = info.rows, info.columns
    ds.SamplesPerPixel, ds.PhotometricInterpretation = info.samples_per_pixel, pi
    ds.BitsAllocated = ds.BitsStored = info.bits_allocated
    ds.HighBit, ds.PixelRepresentation = info.bits_allocated - 1, 0
    if info.samples_per_pixel == 3:
        ds.PlanarConfiguration = 0
    ds.PixelData = encapsulate([cs])
    path = tmp_path / "wrapped.dcm"
    ds.save_as(path)
    np.testing.assert_array_equal(dc.pixel_array(path), arr)
    np.testing.assert_array_equal(dc.decode_frame(cs, info), arr)


@pytest.mark.parametrize("args", [
    ["-reversible", "true"], ["-reversible", "true", "-prog_order", "LRCP", "-num_decomps", "3"],
    ["-reversible", "true", "-tile_size", "{32,48}"], ["-reversible", "true", "-block_size", "{16,32}"],
    ["-qstep", "0.002"],
])
@pytest.mark.parametrize("kind", ["gray16", "gray8", "rgb"])
def test_ojph_compress_files_decode(tmp_path, interop_image, kind, args):
    arr = interop_image[kind]
    cs = _tool_codestream("ojph_compress", arr, tmp_path / "out.j2c", args)
    lossy = "-qstep" in args
    uid = HTI if lossy else HTR
    pi = ("YBR_ICT" if lossy else "YBR_RCT") if arr.ndim == 3 else "MONOCHROME2"
    info = _info(uid, arr, arr.dtype.itemsize * 8, pi)
    routed = dc.decode_frame(cs, info)
    only_openjpeg = np.empty(arr.shape, arr.dtype)
    _j2k.decode_into(cs, info, only_openjpeg, engine="openjpeg", fallback=False)
    # The 9/7 path rounds floats differently in the two engines: within 1.
    assert np.abs(routed.astype(np.int64) - only_openjpeg).max() <= (1 if lossy else 0)
    for out_arr in (routed, only_openjpeg):
        diff = np.abs(out_arr.astype(np.int64) - arr).max()
        if lossy:
            assert diff <= (8 if arr.dtype == np.uint8 else 400)
        else:
            assert diff == 0


@pytest.mark.parametrize("kind", ["gray16", "gray8", "rgb"])
@pytest.mark.parametrize("uid", [J2KR, HTR, HTRPCL])
def test_tools_decode_ours(tmp_path, interop_image, kind, uid):
    arr = interop_image[kind]
    cs = dc.encode_frame(arr, uid, progression="RPCL" if uid != J2KR else "LRCP")
    ext = ".ppm" if arr.ndim == 3 else ".pgm"
    src = tmp_path / ("ours.j2k" if uid == J2KR else "ours.j2c")
    src.write_bytes(cs)
    tools = [("opj_decompress", ["-i", str(src), "-o"])]
    if uid != J2KR:
        tools.append(("ojph_expand", ["-i", str(src), "-o"]))
    for name, args in tools:
        out = tmp_path / f"{name}{ext}"
        subprocess.run([require_tool(name), *args, str(out)], check=True, capture_output=True)
        np.testing.assert_array_equal(_read_pnm(out), arr)


@pytest.mark.parametrize("k", [1, 2])
@pytest.mark.parametrize("uid", [J2KR, HTR])
def test_reduce_matches_opj_decompress(tmp_path, interop_image, uid, k):
    arr = _smooth((101, 75), np.uint16, 16)
    cs = dc.encode_frame(arr, uid)
    info = _info(uid, arr, 16)
    ours = dc.decode_frame(cs, info, reduce=k)
    assert ours.shape == (-(-101 // 2 ** k), -(-75 // 2 ** k))
    assert get_decoder(uid).output_spec(info, reduce=k)[0] == ours.shape
    src = tmp_path / "r.j2k"
    src.write_bytes(cs)
    out = tmp_path / "r.pgm"
    subprocess.run([require_tool("opj_decompress"), "-i", str(src), "-o", str(out), "-r", str(k)],
                   check=True, capture_output=True)
    np.testing.assert_array_equal(ours, _read_pnm(out))
    if uid == HTR:  # both engines give the same reduced image
        other = np.empty_like(ours)
        _j2k.decode_into(cs, info, other, reduce=k, engine="openjpeg", fallback=False)
        np.testing.assert_array_equal(other, ours)


def test_reduce_too_far_raises():
    arr = _smooth((64, 64), np.uint8, 8)
    for uid in (J2KR, HTR):
        cs = dc.encode_frame(arr, uid, levels=2)
        with pytest.raises(dc.DecodeError):
            dc.decode_frame(cs, _info(uid, arr, 8), reduce=3)


def test_engine_threads_same_result():
    ds = pydicom.dcmread(find_testfile("MR2_J2KR.dcm"))
    info = dc.FrameInfo.from_dataset(ds)
    frame = _frames(ds)[0]
    codec = get_decoder(J2KR)
    a = np.empty(info.shape, info.dtype)
    b = np.empty(info.shape, info.dtype)
    codec.decode_into(frame, info, a)
    codec.decode_into(frame, info, b, engine_threads=2)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("uid", [J2KR, J2KI])
def test_encoder_threads_same_bytes(uid, spy_engine_threads):
    """Encoding follows decoding's thread rule: one big frame with threads=2
    gets 2 OpenJPEG threads, and the codestream is byte for byte the one
    threads=1 writes."""
    arr = _smooth((512, 512), np.uint16, 12)
    given = spy_engine_threads(type(get_encoder(uid)))
    one = dc.encode_frames(arr[np.newaxis], uid, bits_stored=12, threads=1)
    two = dc.encode_frames(arr[np.newaxis], uid, bits_stored=12, threads=2)
    single = dc.encode_frame(arr, uid, bits_stored=12, threads=2)
    assert given == [None, 2, 2]
    assert one == two == [single]
    # small frames (below engine_threads_min_bytes of samples) get none
    dc.encode_frame(arr[:64, :64], uid, bits_stored=12, threads=2)
    assert given[-1] == 0


def test_engine_threads_is_not_an_encoder_option():
    arr = _smooth((64, 64), np.uint16, 12)
    with pytest.raises(dc.EncodeError, match=r"unknown option\(s\) engine_threads; this codec "
                       r"takes block_size, j2k_cr, j2k_psnr, levels, progression, reversible, "
                       r"tile_size, use_mct"):
        dc.encode_frame(arr, J2KR, engine_threads=2)


# ----------------------------------------------------------------- bad input

@pytest.fixture(scope="module")
def good_streams():
    arr = _smooth((64, 48), np.uint16, 12)
    return {uid: (dc.encode_frame(arr, uid, bits_stored=12), _info(uid, arr, 12))
            for uid in (J2KR, HTR)}


def _siz_offset(cs):
    assert cs[2:4] == b"\xff\x51"
    return 4


@pytest.mark.parametrize("uid", [J2KR, HTR])
@pytest.mark.parametrize("mutate", [
    "empty", "garbage", "soc_only", "trunc_header", "trunc_10", "trunc_half", "trunc_last",
    "siz_huge", "siz_zero_comps", "siz_len", "cod_levels", "cod_len", "qcd_bogus",
    "components", "precision",
])
def test_bad_input_raises_decode_error(uid, mutate, good_streams):
    cs, info = good_streams[uid]
    b = bytearray(cs)
    s = _siz_offset(cs)
    if mutate == "empty":
        b = bytearray()
    elif mutate == "garbage":
        b = bytearray(np.random.default_rng(1).integers(0, 256, 500, dtype=np.uint8).tobytes())
    elif mutate == "soc_only":
        b = b[:2]
    elif mutate == "trunc_header":
        b = b[:30]
    elif mutate == "trunc_10":
        b = b[:len(b) // 10]
    elif mutate == "trunc_half":
        b = b[:len(b) // 2]
    elif mutate == "trunc_last":
        b = b[:-40]
    elif mutate == "siz_huge":
        b[s + 4:s + 8] = (0x7FFFFFFF).to_bytes(4, "big")  # Xsiz
        b[s + 8:s + 12] = (0x7FFFFFFF).to_bytes(4, "big")
        b[s + 20:s + 24] = (0x7FFFFFFF).to_bytes(4, "big")
        b[s + 24:s + 28] = (0x7FFFFFFF).to_bytes(4, "big")
    elif mutate == "siz_zero_comps":
        b[s + 36:s + 38] = b"\x00\x00"
    elif mutate == "siz_len":
        b[s:s + 2] = b"\x00\x05"
    elif mutate in ("cod_levels", "cod_len", "qcd_bogus"):
        marker = b"\xff\x52" if mutate.startswith("cod") else b"\xff\x5c"
        p = bytes(b).index(marker)
        if mutate == "cod_levels":
            b[p + 9] = 40
        elif mutate == "cod_len":
            b[p + 2:p + 4] = b"\xff\xf0"
        else:
            b[p + 4] = 0xFF  # Sqcd: reserved quantisation style
            b[p + 5:p + 9] = b"\xff\xff\xff\xff"
    elif mutate == "components":
        info = info.replace(samples_per_pixel=3, photometric_interpretation="RGB")
    elif mutate == "precision":
        info = info.replace(bits_allocated=8, bits_stored=8, pixel_representation=0)
    out = np.empty(get_decoder(uid).output_spec(info)[0], info.dtype)
    with pytest.raises(dc.DecodeError) as exc:
        get_decoder(uid).decode_into(bytes(b), info, out, frame=7)
    text = str(exc.value)
    assert text.startswith(("JPEG 2000", "HTJ2K")) and "frame 7" in text
    assert len(text) > 30


def test_bad_input_carries_engine_message(good_streams):
    cs, info = good_streams[J2KR]
    with pytest.raises(dc.DecodeError, match="OpenJPEG .*failed: .+"):
        dc.decode_frame(cs[:len(cs) // 2], info)
    cs, info = good_streams[HTR]
    b = bytearray(cs)
    p = bytes(b).index(b"\xff\x52")
    b[p + 9] = 40  # 40 decomposition levels
    # The shim's own header check refuses it before OpenJPH (whose assert()s
    # would abort on it); corrupt HTJ2K data is not handed on to OpenJPEG.
    with pytest.raises(dc.DecodeError, match="HTJ2K: frame 2: COD: invalid parameters"):
        dc.decode_frame(bytes(b), info, frame=2)
    with pytest.raises(dc.DecodeError, match="OpenJPH decode failed: .*Pcap"):
        dc.decode_frame(_bad_cap(cs), info)


def _bad_cap(cs):
    b = bytearray(cs)
    p = bytes(b).index(b"\xff\x50")
    b[p + 4:p + 8] = b"\0\0\0\0"  # Pcap without its Part 15 bit
    return bytes(b)


def test_concurrent_decodes_keep_their_messages(good_streams):
    cs, info = good_streams[J2KR]
    hcs, hinfo = good_streams[HTR]
    jobs = [(cs[:len(cs) // 2], info, "Stream too short|inconsistent"),
            (_bad_cap(hcs), hinfo, "OpenJPH decode failed: .*Pcap"),
            (cs, info, None), (hcs, hinfo, None)]
    errors = []

    def work(k):
        src, inf, pattern = jobs[k % len(jobs)]
        for _ in range(30):
            try:
                dc.decode_frame(src, inf, frame=k)
                ok = pattern is None
            except dc.DecodeError as e:
                import re
                ok = pattern is not None and re.search(pattern, str(e)) is not None \
                    and f"frame {k}" in str(e)
            if not ok:
                errors.append(k)
                return

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_decode_frames_threads_equal_serial():
    ds = pydicom.dcmread(find_testfile("emri_small_jpeg_2k_lossless.dcm"))
    frames = _frames(ds)
    info = dc.FrameInfo.from_dataset(ds)
    np.testing.assert_array_equal(dc.decode_frames(frames, info, threads=1),
                                  dc.decode_frames(frames, info, threads=4))


# Two codestreams the fuzzer found on which the Debian builds of OpenJPEG 2.5.0
# (ht_dec.c mel_init) and OpenJPH 0.9.0 (bb_read_bits) fail an assert() and
# call abort(); the guarded decode must turn that into a DecodeError.
_ABORTS = {
    "openjpeg-mel_init": (
        "/0//UQApQAAAAAAUAAAAEAAAAAAAAAAAAAAAFAAAABAAAAAAAAAAAAABBwEB/1AACAACAAAAA/9SAAwAAgAB"
        "AAIEBEAB/1wACiBQWFhYUFBY/2QAFgABT3BlbkpQSCBWZXIgNS45LjAu/1UACkBgAAAAAADl/5AACgAAAAAA"
        "5QAB/5PAFqh/kqjklPD/SeiNYi79O+QgC9I2uADACugBXwArAAaE/////////wFJuXkAk5NADIX+RZsgseX4"
        "OnkAxCQ6zEGPaxhlfXgAwBcwAF1cALrwFgNYkavtfLaRAyqUBRqETQGboUwFfmD9S7fEiPMe8JpVVvT/UOoQ"
        "V1h1AVokfMQkm4otENNIBAMkMYy+5tIhff5pz7jSj26v034vHjj4muT9KFUBvFowJRIaglKgHmnXTO6GwkhC"
        "Kv1QGb1YcvplGLrOz0d7HxM4ZocWtIUgVkssZHUB/9k=", "openjpeg", 16, 20, 8),
    "openjph-bb_read_bits": (
        "/0//UQApQAAAAAAQAAAAEAAAAAAAAAAAAAA6EAAAABAAAAAAAAAAAAABjAEB/1AACAACAAAAIP9SAAwAAgAB"
        "AAIEBEAA/1wAESJJ8EpCSkJKlkIgQiBB2P9kABYAAU9wZW5KUEggVmVyIDAuOS4wLv+QAAoAAAAAAEIAAf+T"
        "wC0QWbBO0BXh7oaTZI0mQ0jVlgDAJ/////////9zAJfAKey1AAAAEAAAAAAAAAAArrqWAP/ZZW5kIG9gc3Ry"
        "ZWFt", "openjph", 16, 16, 16),
}


@pytest.mark.parametrize("case", sorted(_ABORTS))
def test_library_abort_becomes_decode_error(case):
    import base64
    import faulthandler

    from dicomcodecs import _j2k

    data, engine, rows, cols, bits = _ABORTS[case]
    cs = base64.b64decode(data)
    info = dc.FrameInfo(HTR, rows, cols, 1, bits, bits if bits == 8 else 13, 0,
                        "MONOCHROME2")
    faulthandler.enable()  # a SIGABRT handler of Python's own must not defeat the guard
    for _ in range(3):  # again and again: the guard re-arms
        out = np.empty(info.shape, info.dtype)
        with pytest.raises(dc.DecodeError):
            _j2k.decode_into(cs, info, out, engine=engine, fallback=False)
    # ... and through the public API, whichever engine it picks first.
    with pytest.raises(dc.DecodeError):
        dc.decode_frame(cs, info)


# Codestreams fuzz_j2k found crashing or exhausting OpenJPH 0.9.0
# (lib/fuzz/FUZZING.md), each refused before OpenJPH sees it: rows, columns
# and signedness as its SIZ says, and what the refusal names.
_OJPH_REFUSED = {
    # writes past a code-block buffer: a packet declares more than the tile holds
    "ojph_overflow_packet_length.j2c": (16, 16, 0, "packet header declares 1444"),
    # 3.5 GB for 28,672 nominally 14864-wide tiles over a 14-wide image
    "ojph_oom_nominal_tiles.j2c": (458744, 14, 1, "28672 tiles of 14864 x 16 over a 14 x 458744"),
    # NULL dereference: YTsiz 0xFFFFFFFF in its 32-bit signed tile arithmetic
    "ojph_null_tile_past_2g.j2c": (16, 768, 1, "tile reaches past 2.31"),
}


@pytest.mark.parametrize("name", sorted(_OJPH_REFUSED))
def test_fuzz_findings_never_reach_openjph(name):
    from pathlib import Path

    from dicomcodecs import _j2k

    rows, cols, signed, match = _OJPH_REFUSED[name]
    cs = (Path(__file__).resolve().parents[1] / "lib" / "fuzz" / "corpus" / "j2k" /
          name).read_bytes()
    # The binding reads only these attributes; FrameInfo itself refuses the
    # 458744 rows one of these codestreams declares (DICOM's limit is 65535),
    # and it is the C check that must refuse it here.
    from types import SimpleNamespace

    info = SimpleNamespace(transfer_syntax=HTR, rows=rows, columns=cols, samples_per_pixel=1,
                           bits_allocated=16, bits_stored=13, pixel_representation=signed,
                           photometric_interpretation="MONOCHROME2", planar_configuration=0)
    out = np.empty((rows, cols), np.int16 if signed else np.uint16)
    with pytest.raises(dc.DecodeError, match=match):
        _j2k.decode_into(cs, info, out, engine="openjph", fallback=False)
    if name == "ojph_overflow_packet_length.j2c":  # valid otherwise: OpenJPEG judges it
        with pytest.raises(dc.DecodeError, match="packet header declares .*; then OpenJPEG"):
            dc.decode_frame(cs, dc.FrameInfo(HTR, rows, cols, 1, 16, 13, signed, "MONOCHROME2"))


def test_second_siz_never_reaches_openjph():
    """fuzz_j2k (corpus/j2k/ojph_null_second_siz.j2c): OpenJPH 0.9.0 reads a
    second SIZ in the main header over the first (and that one's tile then
    ends in a NULL dereference); dc_j2k_check_ojph refuses the repeat."""
    from dicomcodecs import _j2k

    arr = np.arange(32 * 40, dtype=np.uint16).reshape(32, 40)
    cs = dc.encode_frame(arr, HTR, bits_stored=16)
    lsiz = int.from_bytes(cs[4:6], "big")
    siz = cs[2:4 + lsiz]
    twice = cs[:4 + lsiz] + siz + cs[4 + lsiz:]
    info = dc.FrameInfo(HTR, 32, 40, 1, 16, 16, 0, "MONOCHROME2")
    out = np.empty(info.shape, info.dtype)
    _j2k.decode_into(cs, info, out, engine="openjph", fallback=False)
    np.testing.assert_array_equal(out, arr)
    with pytest.raises(dc.DecodeError, match="a second FF51 marker segment"):
        _j2k.decode_into(twice, info, out, engine="openjph", fallback=False)
