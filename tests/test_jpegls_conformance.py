"""JPEG-LS against the standard and CharLS: the T.87 Annex E conformance
streams and the extra streams of ../shared/conformance/jpegls (decoded
exactly when lossless, within NEAR otherwise; the damaged ones refused
cleanly), sub-sampled components through the C codec, HP colour transforms,
restart markers, real-file tolerance, and our encoder byte for byte against
CharLS (pyjpegls) with default parameters."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pydicom
import pytest

import dicomcodecs as dc
from dicomcodecs import _jpegls

from .conftest import find_testfile
from .test_j2k import _read_pnm

LOSSLESS = "1.2.840.10008.1.2.4.80"
NEAR = "1.2.840.10008.1.2.4.81"
CONF = Path(__file__).resolve().parents[2] / "shared" / "conformance" / "jpegls"

needs_conformance = pytest.mark.skipif(not CONF.is_dir(), reason=f"{CONF} is absent")


def pnm(path: Path) -> np.ndarray:
    """A binary PGM/PPM as (rows, cols, samples) int64."""
    a = _read_pnm(path)
    return (a if a.ndim == 3 else a[..., None]).astype(np.int64)


def planes_of(img: np.ndarray) -> list[np.ndarray]:
    return [img[..., c] for c in range(img.shape[2])]


def max_err(a, b) -> int:
    assert a.shape == b.shape, (a.shape, b.shape)
    return int(np.abs(a.astype(np.int64) - b.astype(np.int64)).max())


def expected(name: str) -> list[np.ndarray]:
    """The source planes of a conformance or extra stream (README)."""
    if name.startswith(("t8c", "test8_ilv")):
        return planes_of(pnm(CONF / "test8.ppm"))
    if name == "t16e3.jls":
        return planes_of(pnm(CONF / "t16e3.pgm"))
    if name.startswith(("t16", "test16_rm")):
        return planes_of(pnm(CONF / "test16.pgm"))
    if name.startswith("t8nde"):
        return planes_of(pnm(CONF / "test8bs2.pgm"))
    if name.startswith("t8sse"):
        return [pnm(CONF / f"test8{n}.pgm")[..., 0] for n in ("r", "gr4", "bs2")]
    if name.startswith("banny"):
        return planes_of(pnm(CONF / "extra" / "banny.ppm"))
    if name.startswith("tulips"):
        return planes_of(pnm(CONF / "extra" / "tulips-gray-8bit-512-512.pgm"))
    raise KeyError(name)


GOOD = ["t16e0.jls", "t16e3.jls", "t8c0e0.jls", "t8c0e3.jls", "t8c1e0.jls", "t8c1e3.jls",
        "t8c2e0.jls", "t8c2e3.jls", "t8nde0.jls", "t8nde3.jls", "t8sse0.jls", "t8sse3.jls",
        "extra/banny.jls", "extra/banny-hp1.jls", "extra/banny-hp2.jls", "extra/banny-hp3.jls",
        "extra/tulips-gray-8bit-512-512-hp-encoder.jls", "extra/test8_ilv_none_rm_7.jls",
        "extra/test8_ilv_line_rm_7.jls", "extra/test8_ilv_sample_rm_7.jls",
        "extra/test8_ilv_sample_rm_300.jls", "extra/test16_rm_5.jls"]
DAMAGED = ["extra/fuzzy-input-bad-run-mode-golomb-code.jls",
           "extra/fuzzy-input-no-valid-bits-at-the-end.jls", "extra/fuzzy_input_golomb_16.jls",
           "extra/land10-10bit-rgb-hp3-invalid.jls", "extra/no_start_byte_after_encoded_scan.jls",
           # CharLS refuses this one too: an 0xFF followed by a marker-like byte in the scan
           "extra/ff_in_entropy_data.jls"]


@needs_conformance
def test_every_stream_in_the_folder_is_listed():
    found = {str(p.relative_to(CONF)) for p in CONF.rglob("*.jls")}
    assert found == set(GOOD) | set(DAMAGED) | {"extra/8bit-monochrome-2x2.jls"}


@needs_conformance
@pytest.mark.parametrize("name", GOOD)
def test_conformance_stream_decodes_to_its_source(name):
    data = (CONF / name).read_bytes()
    h = _jpegls.read_header(data)
    planes = _jpegls.decode_components(data)
    refs = expected(Path(name).name)
    assert len(planes) == len(refs) == h["components"]
    near = h["near_lossless"]
    for got, ref in zip(planes, refs):
        if near == 0 or name == "t16e3.jls":   # t16e3.pgm is the exact near-lossless decode
            np.testing.assert_array_equal(got, ref)
        else:
            assert 0 < max_err(got, ref) <= near
    assert h["transform"] == (int(name[-5]) if "hp" in name and "encoder" not in name else 0)


@needs_conformance
@pytest.mark.parametrize("name", [n for n in GOOD if "sse" not in n])
def test_conformance_stream_through_the_public_api(name):
    """The same streams as DICOM frames: interleaved and planar output, 8
    and 16-bit containers."""
    data = (CONF / name).read_bytes()
    h = _jpegls.read_header(data)
    refs = np.stack(_jpegls.decode_components(data), axis=-1)
    spp = h["components"]
    for bits in {8 if h["bits_per_sample"] <= 8 else 16, 16}:
        info = dc.FrameInfo(NEAR, h["height"], h["width"], spp, bits, h["bits_per_sample"], 0,
                            "MONOCHROME2" if spp == 1 else "RGB")
        out = dc.decode_frame(data, info)
        np.testing.assert_array_equal(out, refs[..., 0] if spp == 1 else refs)
        if spp == 3:
            planes = np.empty((3, h["height"], h["width"]), out.dtype)
            dc.registry.get_decoder(NEAR).decode_into(data, info, planes, planar_configuration=1)
            np.testing.assert_array_equal(planes, np.moveaxis(refs, -1, 0))


@needs_conformance
def test_subsampled_components_refused_through_the_public_api():
    data = (CONF / "t8sse0.jls").read_bytes()
    h = _jpegls.read_header(data)
    assert h["component_sizes"] == [(256, 256), (256, 64), (128, 128)]
    info = dc.FrameInfo(LOSSLESS, 256, 256, 3, 8, 8, 0, "RGB")
    with pytest.raises(dc.DecodeError, match="sub-sampled components.*DICOM cannot describe"):
        dc.decode_frame(data, info, frame=0)


@needs_conformance
def test_small_edge_case_stream():
    data = (CONF / "extra" / "8bit-monochrome-2x2.jls").read_bytes()
    h = _jpegls.read_header(data)
    assert (h["width"], h["height"], h["components"], h["bits_per_sample"]) == (2, 2, 1, 8)
    import imagecodecs

    np.testing.assert_array_equal(_jpegls.decode_components(data)[0],
                                  imagecodecs.jpegls_decode(data))


@needs_conformance
@pytest.mark.parametrize("name", DAMAGED)
def test_damaged_stream_raises_decode_error(name):
    data = (CONF / name).read_bytes()
    t0 = time.perf_counter()
    with pytest.raises(dc.DecodeError):
        h = _jpegls.read_header(data)
        _jpegls.decode_components(data)
    try:
        h = _jpegls.read_header(data)
    except dc.DecodeError:
        return
    if h["components"] in (1, 3) and h["width"] * h["height"] < 1 << 24:
        info = dc.FrameInfo(LOSSLESS, h["height"], h["width"], h["components"],
                            8 if h["bits_per_sample"] <= 8 else 16, h["bits_per_sample"], 0,
                            "MONOCHROME2" if h["components"] == 1 else "RGB")
        with pytest.raises(dc.DecodeError, match="^JPEG-LS Lossless: frame 3: "):
            dc.decode_frame(data, info, frame=3)
    assert time.perf_counter() - t0 < 2


# ----------------------------------------------------------- real files

def _mono8(near=0):
    arr = np.clip(pnm(CONF / "test8r.pgm")[..., 0], 0, 255).astype(np.uint8)
    frame = dc.encode_frame(arr, NEAR, jls_error=near)
    return arr, frame, dc.FrameInfo(NEAR, 256, 256, 1, 8, 8, 0, "MONOCHROME2")


@needs_conformance
@pytest.mark.parametrize("tail", [b"\x00", b"\x00" * 7, b"\xff" * 5, b"\x00\xff\x00"])
def test_padding_before_eoi_decodes_like_the_clean_stream(tail):
    arr, frame, info = _mono8()
    assert frame.endswith(b"\xff\xd9")
    padded = frame[:-2] + tail + b"\xff\xd9"
    np.testing.assert_array_equal(dc.decode_frame(padded, info), arr)


@needs_conformance
@pytest.mark.parametrize("tail", [b"\x00", b"garbage after the image", b"\xff\xd9" * 3,
                                  b"\xff\xd8\xff"])
def test_bytes_after_eoi_ignored(tail):
    arr, frame, info = _mono8(2)
    ref = dc.decode_frame(frame, info)
    assert max_err(ref, arr) <= 2
    np.testing.assert_array_equal(dc.decode_frame(frame + tail, info), ref)


@needs_conformance
def test_missing_eoi_after_a_complete_scan():
    arr, frame, info = _mono8()
    for cut in (1, 2, 3):      # the fill byte too: the scan's data is still whole
        np.testing.assert_array_equal(dc.decode_frame(frame[:-cut], info), arr)


@needs_conformance
def test_truncated_scan_fails_at_once_saying_so():
    arr, frame, info = _mono8()
    big = np.tile(arr, (8, 8))
    frame = dc.encode_frame(big, LOSSLESS)
    info = info.replace(rows=2048, columns=2048, transfer_syntax=LOSSLESS)
    for cut in (len(frame) // 10, len(frame) // 2, len(frame) - 40):
        t0 = time.perf_counter()
        with pytest.raises(dc.DecodeError, match="truncated") as exc:
            dc.decode_frame(frame[:cut], info)
        # stops at the line where the data ran out, not at the frame's end
        assert time.perf_counter() - t0 < 0.5
        assert "ends at line" in str(exc.value)


def test_spiff_header_tolerated():
    imagecodecs = pytest.importorskip("imagecodecs")
    arr = (np.arange(40 * 30) % 251).astype(np.uint8).reshape(40, 30)
    try:    # imagecodecs >= 2026.10 writes the SPIFF header only when asked
        spiff = bytes(imagecodecs.jpegls_encode(arr, spiff=True))
    except TypeError:   # older ones always write it
        spiff = bytes(imagecodecs.jpegls_encode(arr))
    assert spiff[2:4] == b"\xff\xe8" and spiff[6:11] == b"SPIFF"
    info = dc.FrameInfo(LOSSLESS, 40, 30, 1, 8, 8, 0, "MONOCHROME2")
    np.testing.assert_array_equal(dc.decode_frame(spiff, info), arr)


def test_mapping_tables_refused():
    arr = np.zeros((4, 4), np.uint8)
    frame = dc.encode_frame(arr, LOSSLESS)
    lse = b"\xff\xf8\x00\x08\x02\x05\x01\x00\x00\x00"[:8]   # LSE id 2, table 5, width 1
    bad = frame[:2] + lse + frame[2:]
    with pytest.raises(dc.DecodeError, match="mapping tables"):
        dc.decode_frame(bad, dc.FrameInfo(LOSSLESS, 4, 4, 1, 8, 8, 0, "MONOCHROME2"))


# ------------------------------------------- our encoder against CharLS

def _charls_encode(arr: np.ndarray, near: int, ilv: int, bits: int) -> bytes:
    """pyjpegls' CharLS with its defaults, at an explicit precision."""
    import _CharLS

    spp = 1 if arr.ndim == 2 else arr.shape[2]
    buf = np.ascontiguousarray(np.moveaxis(arr, -1, 0)) if spp > 1 and ilv == 0 else arr
    return bytes(_CharLS._encode(buf.tobytes(), near, ilv if spp > 1 else 0, arr.shape[0],
                                 arr.shape[1], spp, bits))


def without_fill(ours: bytes) -> bytes:
    """Ours less the one thing we write that CharLS's defaults do not: the
    0xFF fill byte before EOI that makes DICOM fragments even."""
    if ours.endswith(b"\xff\xff\xd9"):
        return ours[:-3] + b"\xff\xd9"
    return ours


def _sources():
    out = []
    if CONF.is_dir():
        out += [("test8", pnm(CONF / "test8.ppm"), 8), ("test16", pnm(CONF / "test16.pgm"), 12),
                ("test8bs2", pnm(CONF / "test8bs2.pgm"), 8),
                ("test8gr4", pnm(CONF / "test8gr4.pgm"), 8),
                ("banny", pnm(CONF / "extra" / "banny.ppm"), 8),
                ("dots16", pnm(CONF / "extra" / "16-bit-640-480-many-dots.pgm"), 16),
                ("parrot2", pnm(CONF / "extra" / "2bit_parrot_150x200.pgm"), 2),
                ("mono4", pnm(CONF / "extra" / "4bit-monochrome.pgm"), 4)]
    for name in ("693_UNCR.dcm", "MR2_UNCR.dcm", "RG1_UNCR.dcm", "US1_UNCR.dcm", "MR_small.dcm",
                 "emri_small.dcm", "SC_rgb.dcm"):
        try:
            ds = pydicom.dcmread(find_testfile(name))
        except Exception:
            continue
        a = ds.pixel_array
        if int(ds.get("NumberOfFrames", 1) or 1) > 1:
            a = a[3]
        bits = int(ds.BitsStored)
        a = a.astype(np.int64) & ((1 << bits) - 1)     # signed: the stored two's complement
        out.append((name, a if a.ndim == 3 else a[..., None], bits))
    return out


SOURCES = _sources()


@pytest.mark.parametrize("near", range(6))
@pytest.mark.parametrize("name, img, bits", SOURCES, ids=[s[0] for s in SOURCES])
def test_encoder_byte_identical_to_charls(name, img, bits, near):
    pytest.importorskip("_CharLS")
    if near > ((1 << bits) - 1) // 2:
        pytest.skip("NEAR above MAXVAL / 2")
    arr = img.astype(np.uint8 if bits <= 8 else np.uint16)
    arr = arr[..., 0] if arr.shape[2] == 1 else arr
    uid = NEAR if near else LOSSLESS
    for ilv in (0, 1, 2) if arr.ndim == 3 else (0,):
        ours = dc.encode_frame(arr, uid, bits_stored=bits, interleave=ilv,
                               **({"jls_error": near} if near else {}))
        assert len(ours) % 2 == 0
        assert without_fill(ours) == _charls_encode(arr, near, ilv, bits), (name, near, ilv)


def _edge_images(bits: int, spp: int) -> list[tuple[str, np.ndarray]]:
    """Images at the corners of the encoder's lossless loop: widths around
    its 8-pixel blocks, flat blocks next to the largest steps (the blocks it
    skips), full-range noise (16-bit gradients beyond 15 bits), the extreme
    values side by side."""
    rng = np.random.default_rng(1000 + 10 * bits + spp)
    top = (1 << bits) - 1
    out = []
    for rows, cols in ((1, 1), (1, 9), (2, 8), (3, 17), (9, 16), (12, 33)):
        shape = (rows, cols) + ((spp,) if spp > 1 else ())
        flat = np.zeros(shape, np.int64)
        r0, c0 = rng.integers(0, rows), rng.integers(0, cols)
        flat[r0:, c0:] = top                     # one step from 0 to MAXVAL
        if cols > 8:                              # and every 7th column inverted
            flat[:, ::7] = top - flat[:, ::7]
        out.append((f"steps{rows}x{cols}", flat))
        out.append((f"noise{rows}x{cols}", rng.integers(0, top + 1, shape)))
        stripes = np.zeros(shape, np.int64)
        stripes[:, 1::2] = top
        out.append((f"stripes{rows}x{cols}", stripes))
    # single dots on a flat ground, one every other row, at every column
    # (every place in and just beyond a block of 8 that a flat test must see)
    for cols in (9, 17, 40):
        shape = (2 * cols + 1, cols) + ((spp,) if spp > 1 else ())
        dots = np.zeros(shape, np.int64)
        for i in range(cols):
            dots[2 * i + 1, i] = top
        out.append((f"dots{cols}", dots))
        out.append((f"holes{cols}", top - dots))
    return out


@pytest.mark.parametrize("bits", [2, 8, 12, 15, 16])
@pytest.mark.parametrize("spp", [1, 3])
def test_encoder_byte_identical_to_charls_on_edge_images(bits, spp):
    pytest.importorskip("_CharLS")
    for name, img in _edge_images(bits, spp):
        arr = img.astype(np.uint8 if bits <= 8 else np.uint16)
        for ilv in (0, 1, 2) if spp > 1 else (0,):
            for near in (0, 1):
                uid = NEAR if near else LOSSLESS
                ours = dc.encode_frame(arr, uid, bits_stored=bits, interleave=ilv,
                                       **({"jls_error": near} if near else {}))
                try:
                    theirs = _charls_encode(arr, near, ilv, bits)
                except RuntimeError as e:   # pyjpegls sizes its buffer too small for noise
                    assert "too small" in str(e), (name, e)
                    theirs = None
                if theirs is None:
                    import _CharLS

                    back = _CharLS.decode(np.frombuffer(ours, np.uint8))
                    assert max_err(back.reshape(arr.shape), arr) <= near, (name, ilv, near)
                else:
                    assert without_fill(ours) == theirs, (name, ilv, near)
                info = dc.FrameInfo(uid, arr.shape[0], arr.shape[1], spp,
                                    arr.dtype.itemsize * 8, bits, 0,
                                    "RGB" if spp > 1 else "MONOCHROME2")
                got = dc.decode_frame(ours, info)
                assert max_err(got, arr) <= near, (name, ilv, near)


@pytest.mark.parametrize("name, img, bits", SOURCES[:3], ids=[s[0] for s in SOURCES[:3]])
def test_charls_reads_our_fill_byte_and_lse(name, img, bits):
    """What differs is read by the other side: the fill byte before EOI
    (always), and the LSE we write with non-default presets. (CharLS, and
    DCMTK and GDCM with it, cannot read a sample-interleaved scan with a
    RESET other than 64 -- DCMTK's encoder crashes writing one -- so the
    presets are shown with line interleave.)"""
    jpeg_ls = pytest.importorskip("jpeg_ls")
    arr = img.astype(np.uint8 if bits <= 8 else np.uint16)
    arr = arr[..., 0] if arr.shape[2] == 1 else arr
    for opts in ({"interleave": "sample"},
                 {"interleave": "line", "preset": {"T1": 5, "T2": 9, "T3": 30, "RESET": 40}}):
        ours = dc.encode_frame(arr, LOSSLESS, bits_stored=bits, **opts)
        if "preset" in opts:
            assert b"\xff\xf8\x00\x0d\x01" in ours
        np.testing.assert_array_equal(jpeg_ls.decode(np.frombuffer(ours, np.uint8)), arr)
