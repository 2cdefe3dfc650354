"""The pydicom plugins: registration, order, restore, and that the frames
pydicom gets through them are right (tests name the plugin, since pydicom
silently falls back to another one when a plugin raises)."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.pixels import get_decoder, get_encoder
from pydicom.uid import ExplicitVRLittleEndian, RLELossless

import dicomcodecs as dc
import dicomcodecs.pydicom as dcp
import pydicom.pixels.decoders.base as dbase

from .conftest import find_testfile
from .datafiles import RLE_AND_NATIVE


@pytest.fixture
def registered():
    dcp.register(first=True)
    try:
        yield
    finally:
        dcp.unregister()


def _plugin_order(uid):
    return list(get_decoder(uid)._available), list(get_encoder(uid)._available)


def test_register_puts_ours_first_and_unregister_restores():
    before = _plugin_order(RLELossless)
    convert_before = dbase.convert_color_space
    dcp.register(first=True)
    try:
        dec, enc = _plugin_order(RLELossless)
        assert dec[0] == "dicomcodecs" and enc[0] == "dicomcodecs"
        assert set(dec) - {"dicomcodecs"} == set(before[0])
        assert dbase.convert_color_space is not convert_before
    finally:
        dcp.unregister()
    assert _plugin_order(RLELossless) == before
    assert dbase.convert_color_space is convert_before
    assert not dcp.is_registered()


def test_register_last_keeps_builtin_order():
    before = _plugin_order(RLELossless)
    dcp.register(first=False)
    try:
        dec, enc = _plugin_order(RLELossless)
        assert dec == [*before[0], "dicomcodecs"]
        assert enc == [*before[1], "dicomcodecs"]
    finally:
        dcp.unregister()
    assert _plugin_order(RLELossless) == before


@pytest.mark.parametrize("name, reference", RLE_AND_NATIVE)
def test_decode_through_pydicom_matches_uncompressed(registered, name, reference):
    ds = pydicom.dcmread(find_testfile(name))
    ref = pydicom.dcmread(find_testfile(reference)).pixel_array
    arr, props = get_decoder(RLELossless).as_array(ds, decoding_plugin="dicomcodecs")
    np.testing.assert_array_equal(arr, ref)
    # Frame by frame: options set by the plugin on one frame must not
    # mislabel the next.
    n = int(ds.get("NumberOfFrames", 1))
    for i in range(n):
        a, _ = get_decoder(RLELossless).as_array(ds, index=i, decoding_plugin="dicomcodecs")
        np.testing.assert_array_equal(a, ref[i] if n > 1 else ref)
    frames = list(get_decoder(RLELossless).iter_array(ds, decoding_plugin="dicomcodecs"))
    np.testing.assert_array_equal(np.stack([f for f, _ in frames]).reshape(ref.shape), ref)


def test_pixel_array_goes_through_dicomcodecs(registered, monkeypatch):
    calls = []
    codec = dc.registry.get_decoder(RLELossless)
    original = codec.decode_into  # the RLE codec, reached through pydicom/decoder.py

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(codec, "decode_into", counting)
    ds = pydicom.dcmread(find_testfile("SC_rgb_rle_2frame.dcm"))
    ref = pydicom.dcmread(find_testfile("SC_rgb_2frame.dcm")).pixel_array
    np.testing.assert_array_equal(ds.pixel_array, ref)
    assert len(calls) == 2
    arr = pydicom.pixels.pixel_array(find_testfile("SC_rgb_rle_2frame.dcm"))
    np.testing.assert_array_equal(arr, ref)
    assert len(calls) == 4


def test_segment_order_option(registered):
    """pydicom's rle_segment_order '<' (non-conformant LSB-first files)."""
    arr = (np.arange(64 * 48, dtype=np.uint16).reshape(64, 48) * 37)
    frame = dc.encode_frame(arr, "rle")
    # Swap the two segments' order in the header to make an LSB-first frame.
    import struct
    n, o1, o2 = struct.unpack("<3I", frame[:12])
    seg1, seg2 = frame[o1:o2], frame[o2:]
    swapped = struct.pack("<3I", 2, 64, 64 + len(seg2)) + b"\0" * 52 + seg2 + seg1
    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = RLELossless
    ds.Rows, ds.Columns, ds.SamplesPerPixel = 64, 48, 1
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.PixelData = pydicom.encaps.encapsulate([swapped])
    out, _ = get_decoder(RLELossless).as_array(ds, decoding_plugin="dicomcodecs",
                                              rle_segment_order="<")
    np.testing.assert_array_equal(out, arr)


@pytest.mark.parametrize("name", ["SC_rgb_16bit_2frame.dcm", "MR_small.dcm", "emri_small.dcm"])
def test_compress_through_pydicom(registered, name, tmp_path):
    ds = pydicom.dcmread(find_testfile(name))
    ref = ds.pixel_array.copy()
    ds.compress(RLELossless, encoding_plugin="dicomcodecs")
    assert ds.file_meta.TransferSyntaxUID == RLELossless
    # Our run choice never codes worse than pydicom's own encoder.
    ds2 = pydicom.dcmread(find_testfile(name))
    ds2.compress(RLELossless, encoding_plugin="pydicom")
    assert len(ds.PixelData) <= len(ds2.PixelData)
    ds.save_as(tmp_path / "out.dcm")
    back, _ = get_decoder(RLELossless).as_array(pydicom.dcmread(tmp_path / "out.dcm"),
                                               decoding_plugin="pydicom")
    np.testing.assert_array_equal(back, ref)


def test_ybr_to_rgb_swap_matches_pydicom():
    from pydicom.pixels.processing import convert_color_space

    rng = np.random.default_rng(1)
    ybr = rng.integers(0, 256, (3, 20, 30, 3), dtype=np.uint8)
    ref = convert_color_space(ybr, "YBR_FULL", "RGB")
    dcp.register()
    try:
        fast = dbase.convert_color_space(ybr.copy(), "YBR_FULL", "RGB")
        other = dbase.convert_color_space(ybr.copy(), "RGB", "YBR_FULL")  # falls back
    finally:
        dcp.unregister()
    assert np.abs(fast.astype(int) - ref).max() <= 1
    np.testing.assert_array_equal(other, convert_color_space(ybr, "RGB", "YBR_FULL"))


def test_raw_keeps_stored_colour_space(registered, tmp_path):
    ds = pydicom.dcmread(find_testfile("SC_rgb.dcm"))
    rgb = ds.pixel_array.copy()
    from dicomcodecs._color import rgb_to_ybr_full

    ybr = rgb_to_ybr_full(rgb.copy())
    ds.PixelData = ybr.tobytes()
    ds.PhotometricInterpretation = "YBR_FULL"
    ds.compress(RLELossless, encoding_plugin="dicomcodecs")
    raw, _ = get_decoder(RLELossless).as_array(ds, decoding_plugin="dicomcodecs", raw=True)
    np.testing.assert_array_equal(raw, ybr)
    conv, props = get_decoder(RLELossless).as_array(ds, decoding_plugin="dicomcodecs")
    assert props["photometric_interpretation"] == "RGB"
    assert np.abs(conv.astype(int) - rgb).max() <= 2


@pytest.mark.parametrize("keyword, name, intended, tolerance", [
    ("JPEGLosslessSV1", "MR_small.dcm", None, 0),
    ("JPEGLossless", "SC_rgb.dcm", None, 0),
    ("JPEGBaseline8Bit", "SC_rgb.dcm", "YBR_FULL_422", 8),
    ("JPEGBaseline8Bit", "SC_rgb.dcm", None, 4),          # RGB kept, no colour transform
    ("JPEGExtended12Bit", "MR_small.dcm", None, None),
    ("HTJ2KLossless", "MR_small.dcm", None, 0),
    ("HTJ2KLossless", "SC_rgb.dcm", "YBR_RCT", 0),
    ("HTJ2KLosslessRPCL", "MR_small.dcm", None, 0),
    ("JPEG2000Lossless", "SC_rgb.dcm", "YBR_RCT", 0),
    ("JPEG2000Lossless", "SC_rgb.dcm", None, 0),
    ("JPEGLSLossless", "SC_rgb.dcm", None, 0),
])
def test_dataset_compress_every_syntax_after_register(keyword, name, intended, tolerance):
    """pydicom 3.0.2 has no JPEG or HTJ2K encoders: register() adds them, and
    Photometric Interpretation is what the dataset says it will be after
    encoding (pydicom's convention), which the plugin must honour."""
    import pydicom.uid as puid
    from pydicom.pixels.encoders.base import _PIXEL_DATA_ENCODERS

    uid = getattr(puid, keyword)
    before = dict(_PIXEL_DATA_ENCODERS)
    dcp.register()
    try:
        ds = pydicom.dcmread(find_testfile(name))
        ref = ds.pixel_array.copy()
        if keyword == "JPEGExtended12Bit":  # 12-bit profile: MR_small holds 16-bit values
            ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 0
            ref = np.clip(ref, 0, 4095).astype(np.uint16)
            ds.PixelData = ref.tobytes()
            tolerance = 64
        if intended:
            ds.PhotometricInterpretation = intended
        ds.compress(uid, encoding_plugin="dicomcodecs")
        assert ds.file_meta.TransferSyntaxUID == uid
        assert ds.PhotometricInterpretation == (intended or ds.PhotometricInterpretation)
        # read back by pydicom through another plugin where it has one
        out = dc.pixel_array(ds).astype(np.int64)
        assert np.abs(out - ref).max() <= tolerance
        if uid in (puid.JPEG2000Lossless, puid.JPEGLSLossless, puid.JPEGLosslessSV1):
            other, _ = get_decoder(uid).as_array(ds, decoding_plugin="gdcm")
            np.testing.assert_array_equal(other, ref)
    finally:
        dcp.unregister()
    assert dict(_PIXEL_DATA_ENCODERS) == before


def test_plugin_refuses_to_mislabel():
    """A photometric the codec cannot write makes the plugin raise (pydicom
    then tries its next plugin or fails) instead of mislabelling pixels."""
    dcp.register()
    try:
        ds = pydicom.dcmread(find_testfile("SC_rgb.dcm"))
        ds.PhotometricInterpretation = "YBR_ICT"  # not for a lossless syntax
        with pytest.raises(Exception):
            ds.compress(pydicom.uid.JPEGLosslessSV1, encoding_plugin="dicomcodecs")
    finally:
        dcp.unregister()


def test_as_buffer_and_iter_buffer(registered):
    """pydicom keeps the plugin's buffers as they are in these paths: they
    must be what pydicom's own RLE decoder gives (colour by plane)."""
    ds = pydicom.dcmread(find_testfile("SC_rgb_rle_16bit_2frame.dcm"))
    ref = pydicom.dcmread(find_testfile("SC_rgb_16bit_2frame.dcm"))
    dec = get_decoder(RLELossless)
    buf, props = dec.as_buffer(ds, decoding_plugin="dicomcodecs")
    own, own_props = dec.as_buffer(ds, decoding_plugin="pydicom")
    assert bytes(buf) == bytes(own)
    assert props["planar_configuration"] == own_props["planar_configuration"] == 1
    frames = [bytes(b) for b, _ in dec.iter_buffer(ds, decoding_plugin="dicomcodecs")]
    assert b"".join(frames) == bytes(own)
    arrays = [a.copy() for a, _ in dec.iter_array(ds, decoding_plugin="dicomcodecs")]
    np.testing.assert_array_equal(np.stack(arrays), ref.pixel_array)


@pytest.mark.parametrize("syntax", ["rle", "jpeg-baseline", "jpeg-lossless-sv1",
                                    "jpeg-ls-lossless", "j2k-lossless", "htj2k-lossless"])
def test_buffers_are_bytearrays_as_pydicom_documents(syntax, registered):
    """pydicom's Decoder.as_buffer/iter_buffer return what the plugin gives;
    its contract says bytes or bytearray (one frame: the plugin's own
    buffer, passed through), for every codec family (the RLE
    and JPEG ones answer through their own hooks in pydicom/decoder.py)."""
    from .conftest import write_native

    rng = np.random.default_rng(3)
    arr = rng.integers(0, 256, (2, 48, 40), dtype=np.uint8)
    ds = write_native(None, arr.reshape(96, 40), bits_stored=8)
    ds.Rows, ds.NumberOfFrames = 48, 2
    dc.compress(ds, syntax)
    dec = get_decoder(ds.file_meta.TransferSyntaxUID)
    buf, _ = dec.as_buffer(ds, decoding_plugin="dicomcodecs")
    assert type(buf) is bytes and len(buf) == arr.nbytes  # pydicom joins the frames
    single, _ = dec.as_buffer(ds, index=1, decoding_plugin="dicomcodecs")
    assert type(single) is bytearray and len(single) == arr[1].nbytes
    frames = [b for b, _ in dec.iter_buffer(ds, decoding_plugin="dicomcodecs")]
    assert all(type(b) is bytearray for b in frames) and len(frames) == 2
    if syntax != "jpeg-baseline":  # lossy
        assert bytes(buf) == arr.tobytes()
        assert bytes(single) == arr[1].tobytes()
        assert b"".join(frames) == arr.tobytes()
    got = dec.as_array(ds, decoding_plugin="dicomcodecs")[0]
    if syntax != "jpeg-baseline":
        np.testing.assert_array_equal(got, arr)


def _decode_in_worker(path):
    """Runs in a spawned worker: ds.pixel_array, and whether our plugin
    decoded it (a frame this large goes through _scratch's cache)."""
    import dicomcodecs.pydicom
    from dicomcodecs import _scratch

    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    return arr, dicomcodecs.pydicom.is_registered(), _scratch.cached_bytes()


@pytest.mark.nosanitize  # two interpreters started under ASan: slow, and not what it checks
def test_spawned_workers_use_dicomcodecs_with_register_in_worker(tmp_path):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from .conftest import write_native

    arr = np.random.default_rng(9).integers(0, 4096, (512, 512), dtype=np.uint16)
    ds = write_native(None, arr, bits_stored=12)
    dc.compress(ds, "rle")
    path = tmp_path / "rle.dcm"
    ds.save_as(path, enforce_file_format=True)
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx, initializer=dcp.register_in_worker) as pool:
        got, registered, cached = pool.submit(_decode_in_worker, str(path)).result()
    np.testing.assert_array_equal(got, arr)
    assert registered and cached == arr.nbytes
    # without the initializer a spawned worker decodes with pydicom's own plugins
    with ProcessPoolExecutor(1, mp_context=ctx) as pool:
        got, registered, cached = pool.submit(_decode_in_worker, str(path)).result()
    np.testing.assert_array_equal(got, arr)
    assert not registered and cached == 0


def test_encoder_plugin_gives_a_big_frame_every_core(registered, spy_engine_threads):
    """pydicom encodes frame after frame: as in the decoder plugin, each big
    frame may have every core as engine threads (the one rule,
    _threads.engine_threads), and the codestream is the one a thread writes."""
    from dicomcodecs._threads import cpu_count
    from dicomcodecs.families.j2k import J2KCodec

    ds = pydicom.dcmread(find_testfile("MR_small.dcm"))
    big = np.tile(ds.pixel_array, (4, 4))  # 256 x 256, 128 KiB: above the threshold
    ds.Rows, ds.Columns = big.shape
    ds.PixelData = big.tobytes()
    given = spy_engine_threads(J2KCodec)
    ds.compress(pydicom.uid.JPEG2000Lossless, encoding_plugin="dicomcodecs")
    assert given == [cpu_count() if cpu_count() > 1 else None]
    frame = next(pydicom.encaps.generate_frames(ds.PixelData, number_of_frames=1))
    assert frame.rstrip(b"\0") == dc.encode_frame(
        big, "j2k-lossless", bits_stored=ds.BitsStored).rstrip(b"\0")
    np.testing.assert_array_equal(dc.pixel_array(ds), big)
