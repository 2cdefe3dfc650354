"""The public API around the codecs: FrameInfo, decode_frames' out= and
threads, compress/decompress on real datasets, errors for what is not
served, codecs(), and the worker pool across fork()."""

from __future__ import annotations

import multiprocessing
import os
import struct
import warnings

import numpy as np
import pydicom
import pytest
from pydicom.pixels import convert_color_space

import dicomcodecs as dc
from dicomcodecs import _threads, registry
from dicomcodecs._uids import SYNTAXES

from .conftest import find_testfile
from .datafiles import RLE_AND_NATIVE

RLE = "1.2.840.10008.1.2.5"
J2K = "1.2.840.10008.1.2.4.90"
EXPLICIT = "1.2.840.10008.1.2.1"


def rle_frames(n=6, shape=(40, 50), dtype=np.int16, seed=0):
    rng = np.random.default_rng(seed)
    arr = rng.integers(-3000, 3000, (n, *shape)).astype(dtype)
    arr[:, 5:20] = 17
    return arr, dc.encode_frames(arr, RLE)


def info_of(arr, frames_axis=True):
    shape = arr.shape[1:] if frames_axis else arr.shape
    spp = 1 if len(shape) == 2 else shape[2]
    bits = arr.dtype.itemsize * 8
    return dc.FrameInfo(RLE, shape[0], shape[1], spp, bits, bits, int(arr.dtype.kind == "i"),
                        "MONOCHROME2" if spp == 1 else "RGB")


# ----------------------------------------------------------------- FrameInfo

def test_frameinfo_properties():
    info = dc.FrameInfo(RLE, 10, 20, 3, 16, 12, 1, "RGB", 1)
    assert info.shape == (10, 20, 3)
    assert info.dtype == np.int16
    assert info.frame_bytes == 10 * 20 * 3 * 2
    assert info.planar_configuration == 1
    mono = info.replace(samples_per_pixel=1, photometric_interpretation="MONOCHROME1",
                        planar_configuration=0)
    assert mono.shape == (10, 20) and mono.frame_bytes == 400
    assert info.samples_per_pixel == 3  # frozen: replace makes a copy
    with pytest.raises(Exception):
        info.rows = 5  # type: ignore[misc]
    for bits, rep, dtype in [(8, 0, np.uint8), (8, 1, np.int8), (32, 0, np.uint32),
                             (64, 1, np.int64), (1, 0, np.uint8)]:
        assert info.replace(bits_allocated=bits, bits_stored=bits,
                            pixel_representation=rep).dtype == dtype
    with pytest.raises(ValueError, match="Bits Allocated 12"):
        info.replace(bits_allocated=12)
    with pytest.raises(NotImplementedError, match="Bits Allocated 24"):
        info.replace(bits_allocated=24).dtype


@pytest.mark.parametrize("field, value", [
    ("rows", -1), ("columns", -5), ("samples_per_pixel", -1), ("bits_allocated", -8),
    ("bits_stored", -1), ("rows", 1.5), ("columns", "64"), ("rows", None),
    ("pixel_representation", 2), ("pixel_representation", -1), ("planar_configuration", 2),
])
def test_frameinfo_validation(field, value):
    base = dict(transfer_syntax=RLE, rows=4, columns=4, samples_per_pixel=1, bits_allocated=8,
                bits_stored=8, pixel_representation=0, photometric_interpretation="MONOCHROME2")
    base[field] = value
    with pytest.raises(ValueError, match=field):
        dc.FrameInfo(**base)


def test_frameinfo_accepts_numpy_integers():
    info = dc.FrameInfo(RLE, np.uint16(4), np.int64(5), 1, 8, 8, 0, "MONOCHROME2")
    assert info.shape == (4, 5)


@pytest.mark.parametrize("name, expect", [
    ("MR_small_RLE.dcm", (RLE, 64, 64, 1, 16, 16, 1, "MONOCHROME2", 0)),
    ("SC_rgb_rle_16bit.dcm", (RLE, 100, 100, 3, 16, 16, 0, "RGB", 0)),
    ("emri_small_RLE.dcm", (RLE, 64, 64, 1, 16, 12, 0, "MONOCHROME2", 0)),
    ("color-pl.dcm", (EXPLICIT, 120, 256, 3, 8, 8, 0, "RGB", 1)),
])
def test_frameinfo_from_dataset(name, expect):
    ds = pydicom.dcmread(find_testfile(name), stop_before_pixels=True)
    assert dc.FrameInfo.from_dataset(ds) == dc.FrameInfo(*expect)
    assert dc.FrameInfo.from_dataset(ds, transfer_syntax=J2K).transfer_syntax == J2K


def test_frameinfo_from_dataset_defaults_and_errors():
    ds = pydicom.dcmread(find_testfile("MR_small_RLE.dcm"), stop_before_pixels=True)
    del ds.BitsStored
    del ds.PixelRepresentation
    info = dc.FrameInfo.from_dataset(ds)
    assert info.bits_stored == 16 and info.pixel_representation == 0
    ds.PlanarConfiguration = 1  # meaningless for one sample: ignored
    assert dc.FrameInfo.from_dataset(ds).planar_configuration == 0
    del ds.Rows
    with pytest.raises(ValueError, match="Rows"):
        dc.FrameInfo.from_dataset(ds)
    ds = pydicom.dcmread(find_testfile("MR_small_RLE.dcm"), stop_before_pixels=True)
    del ds.file_meta.TransferSyntaxUID
    with pytest.raises(ValueError, match="Transfer Syntax UID"):
        dc.FrameInfo.from_dataset(ds)


# -------------------------------------------------------- decode_frames out=

def test_decode_frames_into_out():
    arr, frames = rle_frames()
    info = info_of(arr)
    out = np.full(arr.shape, 99, arr.dtype)
    got = dc.decode_frames(frames, info, out=out)
    assert got is out
    np.testing.assert_array_equal(out, arr)
    one = np.zeros(arr.shape[1:], arr.dtype)
    assert dc.decode_frame(frames[2], info, out=one) is one
    np.testing.assert_array_equal(one, arr[2])


@pytest.mark.parametrize("make_out", [
    lambda a: np.empty(a.shape, np.uint16),                      # wrong dtype
    lambda a: np.empty((a.shape[0] + 1, *a.shape[1:]), a.dtype),  # wrong count
    lambda a: np.empty((a.shape[0], a.shape[2], a.shape[1]), a.dtype),
    lambda a: np.empty(a.shape[1:], a.dtype),                    # no frame axis
    lambda a: np.empty((a.shape[0], a.shape[1], a.shape[2] * 2), a.dtype)[:, :, ::2],
    lambda a: np.asfortranarray(np.empty(a.shape, a.dtype)),
])
def test_decode_frames_bad_out(make_out):
    arr, frames = rle_frames()
    out = make_out(arr)
    out_before = out.copy()
    with pytest.raises(ValueError, match="out must"):
        dc.decode_frames(frames, info_of(arr), out=out)
    np.testing.assert_array_equal(out, out_before)  # untouched


def test_decode_frame_bad_out():
    arr, frames = rle_frames()
    info = info_of(arr)
    with pytest.raises(ValueError, match="out must"):
        dc.decode_frame(frames[0], info, out=np.empty((40, 51), np.int16))
    with pytest.raises(ValueError, match="out must"):
        dc.decode_frame(frames[0], info, out=np.empty((40, 50), np.float32))
    ro = np.empty((40, 50), np.int16)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        dc.decode_frame(frames[0], info, out=ro)
    with pytest.raises(TypeError):
        dc.decode_frame(frames[0], info, out=bytearray(4000))


@pytest.mark.parametrize("threads", [None, 1, 2, 3, 100])
def test_decode_frames_threads(threads):
    arr, frames = rle_frames(n=7)
    np.testing.assert_array_equal(dc.decode_frames(frames, info_of(arr), threads=threads), arr)
    assert dc.encode_frames(arr, RLE, threads=threads) == frames


def test_threads_argument_checks():
    arr, frames = rle_frames(n=2)
    with pytest.raises(ValueError, match="threads"):
        dc.decode_frames(frames, info_of(arr), threads=-1)
    assert _threads.resolve_threads(None, 1000) == min(_threads.cpu_count(), 64)
    assert _threads.resolve_threads(8, 3) == 3
    assert _threads.resolve_threads(2, 0) == 1
    assert dc.decode_frames([], info_of(arr)).shape == (0, 40, 50)


def test_pixel_array_threads_agree():
    path = find_testfile("emri_small_RLE.dcm")
    ref = dc.pixel_array(path, threads=1)
    for threads in (None, 2, 4):
        np.testing.assert_array_equal(dc.pixel_array(path, threads=threads), ref)


# -------------------------------------------------------- compress on datasets

COMPRESS_CASES = ["MR_small.dcm", "CT_small.dcm", "SC_rgb.dcm", "color-pl.dcm",
                  "SC_rgb_16bit_2frame.dcm", "emri_small.dcm", "rtdose.dcm",
                  "SC_ybr_full_uncompressed.dcm", "693_UNCR.dcm"]


def _items(pixel_data: bytes):
    """(BOT offsets, fragments) parsed with struct, independently of us."""
    pos, items = 0, []
    while pos + 8 <= len(pixel_data):
        tag, length = pixel_data[pos:pos + 4], struct.unpack("<I", pixel_data[pos + 4:pos + 8])[0]
        if tag == b"\xfe\xff\xdd\xe0":
            break
        assert tag == b"\xfe\xff\x00\xe0"
        items.append((pos, pixel_data[pos + 8:pos + 8 + length]))
        pos += 8 + length
    bot = list(struct.unpack(f"<{len(items[0][1]) // 4}I", items[0][1]))
    first = items[1][0]
    return bot, [p - first for p, _ in items[1:]], [d for _, d in items[1:]]


@pytest.mark.filterwarnings("ignore:Invalid value for VR UI")  # rtdose.dcm's own UIDs
@pytest.mark.parametrize("name", COMPRESS_CASES)
def test_compress_real_dataset(name, tmp_path):
    src = find_testfile(name)
    orig = pydicom.dcmread(src)
    ref = orig.pixel_array
    if orig.PhotometricInterpretation == "YBR_FULL":
        # RLE keeps the stored YBR values
        ref = np.frombuffer(orig.PixelData, np.uint8).reshape(orig.Rows, orig.Columns, 3)
    old_uid = orig.SOPInstanceUID
    ds = pydicom.dcmread(src)
    assert dc.compress(ds, "rle") is ds
    assert ds.file_meta.TransferSyntaxUID == RLE
    assert ds.PhotometricInterpretation == orig.PhotometricInterpretation
    if ds.SamplesPerPixel == 3:
        assert ds.PlanarConfiguration == 0
    else:
        assert "PlanarConfiguration" not in ds or ds.PlanarConfiguration == orig.PlanarConfiguration
    elem = ds["PixelData"]
    assert elem.VR == "OB" and elem.is_undefined_length
    n = int(ds.get("NumberOfFrames", 1) or 1)
    bot, positions, fragments = _items(ds.PixelData)
    assert bot == positions and len(bot) == n
    assert all(len(f) % 2 == 0 for f in fragments)
    # lossless: what the source said about earlier lossy steps stays as it was
    for kw in ("LossyImageCompression", "LossyImageCompressionRatio",
               "LossyImageCompressionMethod"):
        assert ds.get(kw) == orig.get(kw)
    assert ds.SOPInstanceUID != old_uid
    assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
    for attr in ("Rows", "Columns", "BitsAllocated", "BitsStored", "PixelRepresentation"):
        assert ds[attr].value == orig[attr].value
    # decoded three ways: us, from the saved file, pydicom's own RLE decoder
    np.testing.assert_array_equal(dc.pixel_array(ds, as_rgb=False), ref)
    ds.save_as(tmp_path / "c.dcm", enforce_file_format=True)
    np.testing.assert_array_equal(dc.pixel_array(tmp_path / "c.dcm", as_rgb=False), ref)
    back = pydicom.dcmread(tmp_path / "c.dcm")
    from pydicom.pixels import get_decoder

    arr, _ = get_decoder(RLE).as_array(back, decoding_plugin="pydicom", as_rgb=False)
    np.testing.assert_array_equal(arr, ref)


def test_compress_keeps_instance_uid_when_asked(tmp_path):
    ds = pydicom.dcmread(find_testfile("MR_small.dcm"))
    uid = ds.SOPInstanceUID
    dc.compress(ds, RLE, generate_instance_uid=False)
    assert ds.SOPInstanceUID == uid


def test_compress_with_extended_offset_table():
    ds = pydicom.dcmread(find_testfile("emri_small.dcm"))
    ref = ds.pixel_array
    dc.compress(ds, "RLELossless", encapsulate_ext=True)
    offsets = np.frombuffer(ds.ExtendedOffsetTable, "<u8")
    lengths = np.frombuffer(ds.ExtendedOffsetTableLengths, "<u8")
    bot, positions, fragments = _items(ds.PixelData)
    assert bot == [] and list(offsets) == positions
    assert list(lengths) == [len(f) for f in fragments]
    np.testing.assert_array_equal(dc.pixel_array(ds), ref)
    # compressing again drops the now stale table
    dc.compress(ds, RLE)
    assert "ExtendedOffsetTable" not in ds and "ExtendedOffsetTableLengths" not in ds
    np.testing.assert_array_equal(dc.pixel_array(ds), ref)


def test_compress_a_compressed_dataset():
    ds = pydicom.dcmread(find_testfile("SC_rgb_rle_32bit_2frame.dcm"))
    ref = pydicom.dcmread(find_testfile("SC_rgb_32bit_2frame.dcm")).pixel_array
    dc.compress(ds, RLE)
    np.testing.assert_array_equal(dc.pixel_array(ds), ref)


@pytest.mark.parametrize("name, native", RLE_AND_NATIVE)
def test_decompress(name, native, tmp_path):
    ref = pydicom.dcmread(find_testfile(native))
    ds = pydicom.dcmread(find_testfile(name))
    assert dc.decompress(ds) is ds
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    elem = ds["PixelData"]
    assert not elem.is_undefined_length
    assert elem.VR == ("OB" if ds.BitsAllocated == 8 else "OW")
    assert "ExtendedOffsetTable" not in ds
    assert ds.PhotometricInterpretation == ref.PhotometricInterpretation
    assert len(ds.PixelData) == len(ref.PixelData)
    ds.save_as(tmp_path / "d.dcm", enforce_file_format=True)
    back = pydicom.dcmread(tmp_path / "d.dcm")
    np.testing.assert_array_equal(back.pixel_array, ref.pixel_array)
    # a native dataset is left as it is
    assert dc.decompress(back) is back and back.PixelData == ds.PixelData


def test_decompress_ybr_full_gives_rgb():
    ds = pydicom.dcmread(find_testfile("SC_ybr_full_uncompressed.dcm"))
    ybr = dc.pixel_array(ds, as_rgb=False)
    dc.compress(ds, RLE)
    assert ds.PhotometricInterpretation == "YBR_FULL"
    dc.decompress(ds)
    assert ds.PhotometricInterpretation == "RGB"
    rgb = np.frombuffer(ds.PixelData, np.uint8).reshape(ybr.shape)
    ref = convert_color_space(ybr.copy(), "YBR_FULL", "RGB")
    assert np.abs(rgb.astype(int) - ref.astype(int)).max() <= 1


# ------------------------------------------------- what is not served

def test_syntax_without_codec_names_it(monkeypatch):
    monkeypatch.delitem(registry._decoders, J2K, raising=False)
    monkeypatch.delitem(registry._encoders, J2K, raising=False)
    info = dc.FrameInfo(J2K, 8, 8, 1, 8, 8, 0, "MONOCHROME2")
    with pytest.raises(NotImplementedError, match=r"JPEG 2000 Lossless \(1\.2\.840\.10008\.1\.2\.4\.90\)"):
        dc.decode_frame(b"\xff\x4f\xff\x51", info)
    with pytest.raises(NotImplementedError, match="JPEG 2000 Lossless"):
        dc.decode_frames([b""], info)
    with pytest.raises(NotImplementedError, match="JPEG 2000 Lossless"):
        dc.encode_frame(np.zeros((8, 8), np.uint8), J2K)
    with pytest.raises(NotImplementedError, match="JPEG 2000 Lossless"):
        dc.encode_frame(np.zeros((8, 8), np.uint8), "JPEG2000Lossless")
    ds = pydicom.dcmread(find_testfile("MR_small.dcm"))
    with pytest.raises(NotImplementedError, match="JPEG 2000 Lossless"):
        dc.compress(ds, "j2k-lossless")
    assert ds.file_meta.TransferSyntaxUID == EXPLICIT  # untouched
    ds = pydicom.dcmread(find_testfile("MR_small_jp2klossless.dcm"))
    with pytest.raises(NotImplementedError, match="JPEG 2000 Lossless"):
        dc.pixel_array(ds)
    row = [r for r in dc.codecs() if r[0] == J2K][0]
    assert row[1] is False and row[2] is False


def test_unknown_syntaxes():
    with pytest.raises(NotImplementedError, match="1.2.3.4"):
        dc.FrameInfo("1.2.3.4", 8, 8, 1, 8, 8, 0, "MONOCHROME2")
    with pytest.raises(ValueError, match="unknown transfer syntax"):
        dc.encode_frame(np.zeros((8, 8), np.uint8), "no-such-syntax")
    ds = pydicom.dcmread(find_testfile("MR_small.dcm"))
    with pytest.raises(ValueError, match="unknown transfer syntax"):
        dc.compress(ds, "1.2.3.4.5")
    ds.file_meta.TransferSyntaxUID = "1.2.3.4.5"
    with pytest.raises(NotImplementedError, match="1.2.3.4.5"):
        dc.pixel_array(ds)


def test_unknown_encode_options():
    arr = np.zeros((8, 8), np.uint8)
    with pytest.raises(dc.EncodeError, match=r"^RLE Lossless: unknown option\(s\) quality"):
        dc.encode_frame(arr, RLE, quality=90)
    with pytest.raises(dc.EncodeError, match="j2k_cr, spam"):
        dc.encode_frames(arr[None], RLE, spam=1, j2k_cr=[10])
    ds = pydicom.dcmread(find_testfile("MR_small.dcm"))
    with pytest.raises(dc.EncodeError, match="unknown option"):
        dc.compress(ds, RLE, predictor=1)
    assert ds.file_meta.TransferSyntaxUID == EXPLICIT
    # the one RLE option: only the standard's order can be written
    assert dc.encode_frame(arr, RLE, rle_segment_order=">") == dc.encode_frame(arr, RLE)
    with pytest.raises(dc.EncodeError, match="segment order"):
        dc.encode_frame(arr, RLE, rle_segment_order="<")


def test_syntax_names_resolve():
    arr = np.arange(64, dtype=np.uint8).reshape(8, 8)
    ref = dc.encode_frame(arr, RLE)
    for name in ("rle", "RLE", "RLELossless", " 1.2.840.10008.1.2.5 "):
        assert dc.encode_frame(arr, name) == ref


# ---------------------------------------------------------------- codecs()

def test_codecs_rows():
    rows = dc.codecs()
    assert [r[0] for r in rows] == list(SYNTAXES)
    for uid, dec, enc, engine, version in rows:
        assert isinstance(dec, bool) and isinstance(enc, bool)
        assert isinstance(engine, str) and isinstance(version, str)
        assert (engine != "") == (dec or enc)
    assert (RLE, True, True, "dicomcodecs", dc.__version__) in rows


# -------------------------------------------------------------------- fork

def _child_decode(conn, frames, info, expected):
    try:
        out = dc.decode_frames(frames, info, threads=2)
        conn.send(bool(np.array_equal(out, expected)))
    except BaseException as exc:  # noqa: BLE001 - sent to the parent
        conn.send(repr(exc))
    finally:
        conn.close()


def test_pool_survives_fork():
    arr, frames = rle_frames(n=8)
    info = info_of(arr)
    # the parent builds its pool first
    np.testing.assert_array_equal(dc.decode_frames(frames, info, threads=2), arr)
    assert _threads._pool is not None
    ctx = multiprocessing.get_context("fork")
    results = []
    for _ in range(2):
        parent, child = ctx.Pipe(duplex=False)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads, 3.12+
            p = ctx.Process(target=_child_decode, args=(child, frames, info, arr))
            p.start()
        child.close()
        assert parent.poll(60), "the forked child hung"
        results.append(parent.recv())
        p.join(30)
        assert p.exitcode == 0
    assert results == [True, True]
    # the parent's pool still works
    np.testing.assert_array_equal(dc.decode_frames(frames, info, threads=2), arr)


def test_pool_survives_os_fork():
    arr, frames = rle_frames(n=4)
    info = info_of(arr)
    dc.decode_frames(frames, info, threads=2)
    r, w = os.pipe()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 1
        try:
            os.close(r)
            ok = np.array_equal(dc.decode_frames(frames, info, threads=2), arr)
            os.write(w, b"1" if ok else b"0")
            code = 0
        finally:
            os._exit(code)
    os.close(w)
    import select

    ready, _, _ = select.select([r], [], [], 60)
    assert ready, "the forked child hung"
    got = os.read(r, 1)
    os.close(r)
    _, status = os.waitpid(pid, 0)
    assert got == b"1" and os.waitstatus_to_exitcode(status) == 0


def test_native_ybr_full_422_is_upsampled_like_pydicom():
    """Uncompressed YBR_FULL_422 holds Y1 Y2 Cb Cr per pixel pair."""
    import pydicom
    from pydicom.pixels import pixel_array as pd_pixel_array

    from .conftest import find_testfile

    path = find_testfile("SC_ybr_full_422_uncompressed.dcm")
    ds = pydicom.dcmread(path)
    np.testing.assert_array_equal(dc.pixel_array(path), ds.pixel_array)
    np.testing.assert_array_equal(dc.pixel_array(ds, as_rgb=False), pd_pixel_array(path, raw=True))


# --------------------------------------------------- native Bits Allocated 1

@pytest.mark.parametrize("name", ["liver.dcm", "liver_1frame.dcm", "liver_expb.dcm",
                                  "liver_expb_1frame.dcm"])
def test_bits_allocated_1_decodes_as_pydicom_does(name):
    path = find_testfile(name)
    ds = pydicom.dcmread(path)
    ref = ds.pixel_array
    got = dc.pixel_array(path)
    assert got.dtype == np.uint8 and got.shape == ref.shape
    np.testing.assert_array_equal(got, ref)
    np.testing.assert_array_equal(dc.pixel_array(ds), ref)
    assert set(np.unique(got)) <= {0, 1}
    if ref.ndim == 3:
        np.testing.assert_array_equal(dc.pixel_array(path, frames=1), ref[1])
        np.testing.assert_array_equal(np.stack(list(dc.iter_frames(path))), ref)


@pytest.mark.parametrize("rows, cols, n", [(5, 7, 3), (3, 3, 5), (8, 8, 2), (1, 13, 4)])
def test_bits_allocated_1_frames_packed_across_byte_boundaries(rows, cols, n):
    """Frames whose size is not a whole number of bytes follow each other
    bit by bit (as pydicom's pack_bits writes them and its decoder reads)."""
    from pydicom.pixels import pack_bits

    rng = np.random.default_rng(rows * cols + n)
    arr = rng.integers(0, 2, (n, rows, cols), dtype=np.uint8)
    ds = write_native_bits(arr, pack_bits(arr))
    np.testing.assert_array_equal(ds.pixel_array, arr)  # pydicom's own reading
    np.testing.assert_array_equal(dc.pixel_array(ds), arr)
    for i in range(n):
        np.testing.assert_array_equal(dc.pixel_array(ds, frames=i), arr[i])
    np.testing.assert_array_equal(dc.pixel_array(ds, frames=[n - 1, 0]), arr[[n - 1, 0]])


def write_native_bits(arr, packed):
    from .conftest import write_native

    ds = write_native(None, arr[0], bits_stored=8)
    ds.NumberOfFrames = arr.shape[0]
    ds.BitsAllocated = ds.BitsStored = 1
    ds.HighBit = 0
    ds.PixelData = packed + b"\x00" * (len(packed) % 2)
    return ds


def test_bits_allocated_1_truncated():
    from pydicom.pixels import pack_bits

    arr = np.ones((3, 5, 7), np.uint8)
    ds = write_native_bits(arr, pack_bits(arr)[:-2])  # frame 2 short of 2 bytes
    with pytest.raises(dc.DecodeError, match="Native Pixel Data: frame 2: truncated"):
        dc.pixel_array(ds)
    np.testing.assert_array_equal(dc.pixel_array(ds, frames=[0, 1]), arr[:2])
