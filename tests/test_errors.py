"""What the public API says for each kind of bad input: one exception family
(DicomCodecsError, still the built-ins callers catch), TypeError naming what
is accepted, "not a DICOM file", "truncated" wherever a file is cut, frames
out of range, threads below 1, FrameInfo validation and aliases; and that
every accepted input kind (path, PathLike, file object, bytes, Dataset)
decodes the same."""

from __future__ import annotations

import io
import pickle
import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest

import dicomcodecs as dc
from dicomcodecs import registry

from .conftest import find_testfile

RLE = "1.2.840.10008.1.2.5"
EXPLICIT = "1.2.840.10008.1.2.1"
ACCEPTED = ["path", "os.PathLike", "binary file object", "bytes", "pydicom Dataset"]


# ------------------------------------------------------------- the family

@pytest.mark.parametrize("cls, builtins", [
    (dc.DecodeError, (ValueError,)),
    (dc.EncodeError, (ValueError,)),
    (dc.InvalidInputError, (ValueError,)),
    (dc.FrameIndexError, (IndexError, ValueError)),
    (dc.UnsupportedError, (NotImplementedError,)),
    (dc.UnknownSyntaxError, (ValueError, NotImplementedError)),
    (dc.OutputTooSmallError, (ValueError,)),
    (dc.CodecMemoryError, (MemoryError,)),
])
def test_every_error_is_a_dicomcodecs_error_and_its_builtin(cls, builtins):
    assert issubclass(cls, dc.DicomCodecsError)
    for b in builtins:
        assert issubclass(cls, b)
    assert not issubclass(dc.DecodeError, dc.EncodeError)
    assert not issubclass(dc.OutputTooSmallError, dc.DecodeError)


def test_codec_errors_carry_codec_frame_cause_and_pickle():
    exc = dc.DecodeError("RLE Lossless", 3, "corrupt")
    assert (exc.codec, exc.frame, exc.cause) == ("RLE Lossless", 3, "corrupt")
    assert str(exc) == "RLE Lossless: frame 3: corrupt"
    back = pickle.loads(pickle.dumps(exc))  # crosses process pools intact
    assert type(back) is dc.DecodeError and str(back) == str(exc)


def test_registry_lookups_raise_unsupported():
    with pytest.raises(dc.UnsupportedError, match="not a compressed transfer syntax"):
        registry.get_decoder("1.2.3.4")
    with pytest.raises(dc.UnsupportedError, match="not a compressed transfer syntax"):
        registry.get_encoder(EXPLICIT)


def test_c_status_table_output_too_small():
    codec = registry.get_decoder(RLE)
    arr = np.arange(64, dtype=np.uint8).reshape(8, 8)
    enc = dc.encode_frame(arr, RLE)
    from dicomcodecs import _rle

    info = dc.FrameInfo(RLE, 8, 8, 1, 8, 8, 0, "MONOCHROME2")
    with pytest.raises(dc.OutputTooSmallError, match="RLE.*frame 5"):
        _rle.decode_into(enc, info, np.empty(10, np.uint8), frame=5)
    out = np.empty((8, 8), np.uint8)
    codec.decode_into(enc, info, out)
    assert np.array_equal(out, arr)


# ------------------------------------------------------ wrong types

@pytest.mark.parametrize("bad", [123, 1.5, None, ["a.dcm"], {"x": 1}, io.StringIO("text")])
@pytest.mark.parametrize("fn", ["pixel_array", "iter_frames", "compress", "decompress"])
def test_wrong_input_type_says_what_is_accepted(fn, bad):
    call = {
        "pixel_array": lambda: dc.pixel_array(bad),
        "iter_frames": lambda: next(dc.iter_frames(bad)),
        "compress": lambda: dc.compress(bad, "rle"),
        "decompress": lambda: dc.decompress(bad),
    }[fn]
    with pytest.raises(TypeError) as exc:
        call()
    for word in ("path", "os.PathLike", "binary file object", "bytes", "pydicom Dataset"):
        assert word in str(exc.value)


def test_wrong_argument_types_elsewhere():
    path = find_testfile("MR_small_RLE.dcm")
    for frames in ("0", 1.0, True, [0, "1"]):
        with pytest.raises(TypeError, match="frames must be None, an int, a slice or a list"):
            dc.pixel_array(path, frames=frames)
    with pytest.raises(TypeError, match="threads must be None"):
        dc.pixel_array(path, threads="2")
    with pytest.raises(TypeError, match="transfer syntax is a str"):
        dc.encode_frame(np.zeros((4, 4), np.uint8), 5)
    with pytest.raises(TypeError, match="transfer_syntax must be a str"):
        dc.FrameInfo(5, 4, 4, 1, 8, 8, 0, "MONOCHROME2")


# ------------------------------------------------- every accepted input kind

@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm", "MR_small.dcm",
                                  "JPEG2000.dcm", "SC_rgb_jpeg_gdcm.dcm"])
def test_every_input_kind_decodes_the_same(name):
    path = find_testfile(name)
    ref = dc.pixel_array(pydicom.dcmread(path))
    data = path.read_bytes()
    kinds = {
        "str": str(path), "PathLike": Path(path), "bytes": data, "bytearray": bytearray(data),
        "memoryview": memoryview(data), "BytesIO": io.BytesIO(data),
    }
    for kind, src in kinds.items():
        np.testing.assert_array_equal(dc.pixel_array(src), ref, err_msg=kind)
    with open(path, "rb") as f:
        np.testing.assert_array_equal(dc.pixel_array(f), ref)
    with open(path, "rb") as f:
        np.testing.assert_array_equal(np.stack(list(dc.iter_frames(f))),
                                      ref if ref.ndim == 4 or "2frame" in name else ref[None])
    # a file object is read from where it stands (e.g. after a multipart header)
    buf = io.BytesIO(b"--boundary\r\n" + data)
    buf.seek(12)
    np.testing.assert_array_equal(dc.pixel_array(buf), ref)


def test_compress_and_decompress_take_paths_and_bytes(tmp_path):
    path = find_testfile("MR_small.dcm")
    ref = pydicom.dcmread(path).pixel_array
    ds = dc.compress(path, "rle")
    assert ds.file_meta.TransferSyntaxUID == RLE
    np.testing.assert_array_equal(dc.pixel_array(ds), ref)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    back = dc.decompress(out.getvalue())
    assert back.file_meta.TransferSyntaxUID == EXPLICIT
    np.testing.assert_array_equal(back.pixel_array, ref)


# ------------------------------------------------------ not DICOM, truncated

@pytest.mark.parametrize("content", [b"", b"hello", b"\x00" * 128, b"\x00" * 128 + b"DIC"])
def test_too_short_to_tell(content):
    with pytest.raises(dc.InvalidInputError, match="truncated or not a DICOM file"):
        dc.pixel_array(content)


@pytest.mark.parametrize("content", [b"x" * 2000, b"%PDF-1.4" + b"\x00" * 300,
                                     b"\x00" * 128 + b"DICX" + b"\x00" * 100])
def test_not_dicom(content, tmp_path):
    p = tmp_path / "x.dcm"
    p.write_bytes(content)
    for src in (p, content, io.BytesIO(content)):
        with pytest.raises(dc.InvalidInputError, match="not a DICOM file"):
            dc.pixel_array(src)
    with pytest.raises(dc.InvalidInputError, match=f"{p}: not a DICOM file"):
        dc.pixel_array(str(p))
    with pytest.raises(dc.InvalidInputError, match="not a DICOM file"):
        dc.compress(p, "rle")


def test_a_folder_or_missing_file_is_an_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        dc.pixel_array(tmp_path / "missing.dcm")
    with pytest.raises(IsADirectoryError):
        dc.pixel_array(tmp_path)


def _cut_points(data: bytes, pixel_start: int):
    """Cuts in the preamble, the file meta, the dataset, the Pixel Data
    element header, the offset table, and inside/between fragments."""
    points = {64, 140, 200, 300, 600, pixel_start - 30, pixel_start - 1, pixel_start + 3,
              pixel_start + 10, pixel_start + 16, pixel_start + 40}
    points |= set(range(pixel_start + 50, len(data) - 9, max(1, (len(data) - pixel_start) // 25)))
    return sorted(p for p in points if 0 < p < len(data) - 8)


def _pixel_start(data: bytes) -> int:
    return data.rindex(b"\xe0\x7f\x10\x00")


@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "SC_rgb_rle_2frame.dcm", "JPEG2000.dcm",
                                  "MR_small.dcm", "emri_small_jpeg_2k_lossless.dcm"])
def test_truncated_anywhere_says_truncated(name, tmp_path):
    data = find_testfile(name).read_bytes()
    ds = pydicom.dcmread(find_testfile(name))
    if "DataSetTrailingPadding" in ds:  # a cut there leaves the pixels whole
        data = data[:_pixel_start(data) + 12 + len(ds.PixelData) + 20]
    start = _pixel_start(data)
    p = tmp_path / "cut.dcm"
    for cut in _cut_points(data, start):
        part = data[:cut]
        p.write_bytes(part)
        for src in (part, p, io.BytesIO(part)):
            with pytest.raises(dc.DicomCodecsError, match="truncated") as exc:
                dc.pixel_array(src)
            assert isinstance(exc.value, ValueError), (cut, exc.value)


def test_truncated_message_names_where(tmp_path):
    data = find_testfile("MR_small_RLE.dcm").read_bytes()
    start = _pixel_start(data)
    with pytest.raises(dc.InvalidInputError, match="truncated: the file ends at byte 600, "
                                                   "before its .7FE0,0010. Pixel Data"):
        dc.pixel_array(data[:600])
    with pytest.raises(dc.InvalidInputError, match="inside the Pixel Data element's header"):
        dc.pixel_array(data[:start + 6])
    with pytest.raises(dc.DecodeError, match="inside the Basic Offset Table"):
        dc.pixel_array(data[:start + 12 + 8 + 2])
    with pytest.raises(dc.DecodeError, match=r"RLE Lossless: frame 0: truncated: the file "
                                             r"ends at byte 5000, inside fragment 0"):
        dc.pixel_array(data[:5000])


def test_truncated_dataset_read_by_pydicom(tmp_path):
    """A Dataset pydicom read from a cut file: its Pixel Data value is short."""
    data = find_testfile("MR_small_RLE.dcm").read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = pydicom.dcmread(io.BytesIO(data[:5000]))
    if "PixelData" in ds:
        with pytest.raises(dc.DecodeError, match="truncated"):
            dc.pixel_array(ds)
    native = pydicom.dcmread(find_testfile("MR_small.dcm"))
    native.PixelData = native.PixelData[:-100]
    with pytest.raises(dc.DecodeError, match="truncated: 8092 of 8192 bytes"):
        dc.pixel_array(native)


def test_read_dataset(tmp_path):
    from dicomcodecs._io import read_dataset

    path = find_testfile("MR_small_RLE.dcm")
    data = path.read_bytes()
    for src in (path, str(path), data, io.BytesIO(data)):
        ds = read_dataset(src)
        assert ds.Rows == 64 and len(ds.PixelData) > 6000
        assert "PixelData" not in read_dataset(src if not isinstance(src, io.BytesIO)
                                               else io.BytesIO(data), stop_before_pixels=True)
    ds = pydicom.dcmread(path)
    assert read_dataset(ds) is ds
    with pytest.raises(dc.InvalidInputError, match="truncated"):
        read_dataset(data[:600])
    # pydicom reads a file cut inside its Pixel Data without a word; we do not
    for cut in (len(data) - 3000, _pixel_start(data) + 30):
        for stop in (False, True):
            with pytest.raises(dc.InvalidInputError) as exc:
                read_dataset(data[:cut], stop_before_pixels=stop)
            assert exc.value.reason == "truncated: the file ends inside its Pixel Data"
            assert str(exc.value) == f"<{cut} bytes>: {exc.value.reason}"
    # no preamble: refused unless forced (the CLI forces files it recognised)
    native = find_testfile("MR_small.dcm").read_bytes()
    raw = native[144 + int.from_bytes(native[140:144], "little"):]  # no preamble, no meta
    with pytest.raises(dc.InvalidInputError, match="not a DICOM file"):
        read_dataset(raw)
    ds = read_dataset(raw, force=True)
    assert ds.file_meta.TransferSyntaxUID == EXPLICIT  # the encoding pydicom found
    np.testing.assert_array_equal(dc.pixel_array(ds), dc.pixel_array(native))
    with pytest.raises(dc.InvalidInputError, match="not a DICOM file"):
        read_dataset(b"x" * 500)
    with pytest.raises(TypeError, match="binary file object"):
        read_dataset(42)


# -------------------------------------------------------------- datasets

def test_dataset_missing_attributes_are_named():
    ds = pydicom.dcmread(find_testfile("MR_small_RLE.dcm"))
    for keyword, tag in [("Rows", "(0028,0010)"), ("BitsAllocated", "(0028,0100)"),
                         ("PhotometricInterpretation", "(0028,0004)"),
                         ("SamplesPerPixel", "(0028,0002)")]:
        broken = pydicom.dcmread(find_testfile("MR_small_RLE.dcm"))
        delattr(broken, keyword)
        with pytest.raises(dc.InvalidInputError, match=rf"has no \{tag[:-1]}\) {keyword}"):
            dc.pixel_array(broken)
        with pytest.raises(dc.InvalidInputError, match=keyword):
            dc.FrameInfo.from_dataset(broken)
    ds.Rows = 0
    with pytest.raises(dc.InvalidInputError, match=r"\(0028,0010\) Rows=0 is outside 1..65535"):
        dc.pixel_array(ds)
    ds = pydicom.dcmread(find_testfile("MR_small_RLE.dcm"))
    ds.PhotometricInterpretation = "MONOCHROME3"
    with pytest.raises(dc.InvalidInputError, match="PhotometricInterpretation 'MONOCHROME3'"):
        dc.pixel_array(ds)
    ds = pydicom.dcmread(find_testfile("MR_small_RLE.dcm"))
    del ds.PixelData
    with pytest.raises(dc.InvalidInputError, match="has no .7FE0,0010. Pixel Data"):
        dc.pixel_array(ds)
    ds = pydicom.dcmread(find_testfile("MR_small_RLE.dcm"))
    del ds.file_meta
    with pytest.raises(dc.InvalidInputError, match="Transfer Syntax UID"):
        dc.pixel_array(ds)
    ds = pydicom.dcmread(find_testfile("MR_small_RLE.dcm"))
    ds.NumberOfFrames = -2
    with pytest.raises(dc.InvalidInputError, match="Number of Frames is -2"):
        dc.pixel_array(ds)


def test_unknown_syntax_in_a_file_is_unsupported():
    ds = pydicom.dcmread(find_testfile("MR_small_RLE.dcm"))
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.4.100"  # MPEG2: no codec here
    with pytest.raises(dc.UnsupportedError, match="1.2.840.10008.1.2.4.100"):
        dc.pixel_array(ds)


# ------------------------------------------------------ frames, threads

@pytest.mark.parametrize("frames", [2, -3, [0, 2], [5]])
def test_frames_out_of_range(frames):
    path = find_testfile("SC_rgb_rle_2frame.dcm")
    with pytest.raises(dc.FrameIndexError, match="out of range: it has 2 frames .0 to 1.") as exc:
        dc.pixel_array(path, frames=frames)
    assert isinstance(exc.value, IndexError) and isinstance(exc.value, dc.DicomCodecsError)
    with pytest.raises(IndexError):
        next(dc.iter_frames(path, frames=frames))


def test_frames_in_range_still_work():
    path = find_testfile("SC_rgb_rle_2frame.dcm")
    full = dc.pixel_array(path)
    np.testing.assert_array_equal(dc.pixel_array(path, frames=-1), full[1])
    np.testing.assert_array_equal(dc.pixel_array(path, frames=np.int64(0)), full[0])
    np.testing.assert_array_equal(dc.pixel_array(path, frames=[1, 0]), full[::-1])
    assert dc.pixel_array(path, frames=[]).shape == (0, *full.shape[1:])


@pytest.mark.parametrize("threads", [0, -1, -8])
def test_threads_below_one_are_refused(threads):
    arr = np.zeros((2, 8, 8), np.uint8)
    frames = dc.encode_frames(arr, RLE)
    info = dc.FrameInfo(RLE, 8, 8, 1, 8, 8, 0, "MONOCHROME2")
    path = find_testfile("MR_small_RLE.dcm")
    calls = [
        lambda: dc.decode_frames(frames, info, threads=threads),
        lambda: dc.decode_frame(frames[0], info, threads=threads),
        lambda: dc.encode_frames(arr, RLE, threads=threads),
        lambda: dc.pixel_array(path, threads=threads),
        lambda: dc.compress(pydicom.dcmread(find_testfile("MR_small.dcm")), RLE,
                            threads=threads),
        lambda: dc.decompress(pydicom.dcmread(path), threads=threads),
    ]
    for call in calls:
        with pytest.raises(dc.InvalidInputError, match=f"threads={threads}: use None for all "
                                                       "cores, or 1 or more"):
            call()


def test_reduce_on_other_syntaxes_is_refused():
    with pytest.raises(dc.InvalidInputError, match="reduce=1"):
        dc.pixel_array(find_testfile("MR_small_RLE.dcm"), reduce=1)
    with pytest.raises(dc.InvalidInputError, match="reduce=1"):
        dc.pixel_array(find_testfile("MR_small.dcm"), reduce=1)


# ------------------------------------------------------------- FrameInfo

@pytest.mark.parametrize("field, value, match", [
    ("rows", 0, "rows=0 is outside 1..65535"),
    ("rows", 65536, "rows=65536 is outside 1..65535"),
    ("columns", 0, "columns=0"),
    ("samples_per_pixel", 2, "samples_per_pixel must be 1 or 3"),
    ("samples_per_pixel", 4, "samples_per_pixel must be 1 or 3"),
    ("bits_allocated", 12, "Bits Allocated 12 is neither 1 nor a multiple of 8"),
    ("bits_allocated", 0, "bits_allocated=0"),
    ("bits_allocated", 128, "bits_allocated=128"),
    ("bits_stored", 17, "bits_stored=17 is outside 1..16"),
    ("bits_stored", 0, "bits_stored=0"),
    ("photometric_interpretation", "MONOCHROME3", "MONOCHROME3"),
    ("photometric_interpretation", 5, "photometric_interpretation 5"),
    ("pixel_representation", True, "pixel_representation must be 0 or 1"),
    ("rows", True, "rows must be an integer"),
])
def test_frameinfo_refuses(field, value, match):
    fields = dict(transfer_syntax=RLE, rows=4, columns=4, samples_per_pixel=1,
                  bits_allocated=16, bits_stored=16, pixel_representation=0,
                  photometric_interpretation="MONOCHROME2")
    fields[field] = value
    with pytest.raises(dc.InvalidInputError, match=match):
        dc.FrameInfo(**fields)


@pytest.mark.parametrize("name", ["no-such-syntax", "1.2.3.4", "jpeg2k", ""])
def test_frameinfo_refuses_unknown_syntax(name):
    with pytest.raises(dc.UnknownSyntaxError, match="unknown transfer syntax") as exc:
        dc.FrameInfo(name, 4, 4, 1, 8, 8, 0, "MONOCHROME2")
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, NotImplementedError)
    assert "rle, jpeg-baseline" in str(exc.value)  # names what is known


@pytest.mark.parametrize("uid", [s for s in __import__("dicomcodecs._uids").
                                 _uids.SYNTAXES.values()], ids=lambda s: s.alias)
def test_frameinfo_accepts_every_alias_and_keyword(uid):
    for name in (uid.uid, uid.alias, uid.keyword, uid.keyword.lower(), f" {uid.alias.upper()} "):
        assert dc.FrameInfo(name, 4, 4, 1, 8, 8, 0, "MONOCHROME2").transfer_syntax == uid.uid


def test_frameinfo_accepts_native_syntaxes_and_normalises():
    for name in (EXPLICIT, "ExplicitVRLittleEndian", "1.2.840.10008.1.2", "ExplicitVRBigEndian"):
        dc.FrameInfo(name, 4, 4, 1, 8, 8, 0, "MONOCHROME2")
    info = dc.FrameInfo(RLE, np.uint16(4), 4, 1, 8, 8, 0, " monochrome2 ")
    assert info.photometric_interpretation == "MONOCHROME2" and type(info.rows) is int


def test_decode_frame_with_an_alias():
    arr = np.arange(48, dtype=np.uint16).reshape(6, 8)
    enc = dc.encode_frame(arr, "rle")
    for name in ("rle", "RLELossless", RLE):
        info = dc.FrameInfo(name, 6, 8, 1, 16, 16, 0, "MONOCHROME2")
        np.testing.assert_array_equal(dc.decode_frame(enc, info), arr)
        np.testing.assert_array_equal(dc.decode_frames([enc, enc], info)[1], arr)
    enc = dc.encode_frame(arr, "jpeg-ls-lossless")
    info = dc.FrameInfo("jpeg-ls-lossless", 6, 8, 1, 16, 16, 0, "MONOCHROME2")
    np.testing.assert_array_equal(dc.decode_frame(enc, info), arr)


def test_encode_errors_for_impossible_frames():
    with pytest.raises(dc.EncodeError, match="bits_stored=9 is outside 1..8"):
        dc.encode_frame(np.zeros((2, 2), np.uint8), RLE, bits_stored=9)
    with pytest.raises(dc.EncodeError, match="samples_per_pixel must be 1 or 3"):
        dc.encode_frame(np.zeros((2, 2, 2), np.uint8), RLE)
    with pytest.raises(dc.EncodeError, match="MONOCHROME3"):
        dc.encode_frame(np.zeros((2, 2), np.uint8), RLE, photometric_interpretation="MONOCHROME3")
    with pytest.raises(dc.UnknownSyntaxError, match="unknown transfer syntax 'jpeg2k'"):
        dc.encode_frame(np.zeros((2, 2), np.uint8), "jpeg2k")


def test_no_attribute_index_or_key_error_escapes_on_garbage():
    """Random damage to a real file: every outcome is a decode or one of our
    errors, never AttributeError/IndexError/KeyError from inside."""
    rng = np.random.default_rng(0)
    data = bytearray(find_testfile("SC_rgb_rle_2frame.dcm").read_bytes())
    start = _pixel_start(bytes(data))
    for _ in range(150):
        bad = bytearray(data)
        for pos in rng.integers(132, len(bad), 3):
            bad[pos] = int(rng.integers(0, 256))
        if rng.random() < 0.3:
            pos = int(rng.integers(start - 200, start + 40))
            bad[pos:pos + 4] = rng.integers(0, 256, 4, dtype=np.uint8).tobytes()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                dc.pixel_array(bytes(bad))
            except dc.DicomCodecsError:
                pass
            except (AttributeError, KeyError) as exc:
                pytest.fail(f"{type(exc).__name__} escaped: {exc}")
            except IndexError as exc:
                assert isinstance(exc, dc.FrameIndexError), exc


def test_decode_frame_argument_types():
    arr = np.arange(16, dtype=np.uint8).reshape(4, 4)
    enc = dc.encode_frame(arr, RLE)
    info = dc.FrameInfo(RLE, 4, 4, 1, 8, 8, 0, "MONOCHROME2")
    with pytest.raises(TypeError, match="info must be a dicomcodecs.FrameInfo, not str"):
        dc.decode_frame(enc, "rle")
    with pytest.raises(TypeError, match="info must be a dicomcodecs.FrameInfo"):
        dc.decode_frames([enc], None)
    with pytest.raises(TypeError, match="frames must be a sequence of bytes-like"):
        dc.decode_frames(enc, info)
    with pytest.raises(TypeError, match="frames must be a sequence of bytes-like"):
        dc.decode_frames(5, info)
    # any iterable of codestreams will do
    np.testing.assert_array_equal(dc.decode_frames((e for e in [enc, enc]), info)[1], arr)
    with pytest.raises(dc.InvalidInputError, match="out must have shape"):
        dc.decode_frame(enc, info, out=np.zeros(3))


def test_cause_table_matches_the_c_status_enum():
    """_common.pxi's _CAUSES (compiled into every family) names exactly the
    failure statuses of enum dc_status in lib/common/dc_common.h."""
    import importlib
    import re
    from pathlib import Path

    header = Path(__file__).resolve().parent.parent / "lib" / "common" / "dc_common.h"
    enum = re.search(r"typedef enum dc_status \{(.*?)\}", header.read_text(), re.S).group(1)
    statuses = {int(v) for name, v in re.findall(r"\b(DC_\w+)\s*=\s*(\d+)", enum)
                if name != "DC_OK"}
    assert len(statuses) == 8
    for family in ("rle", "jpeg", "jpegls", "j2k", "jxl", "deflate"):
        causes = importlib.import_module(f"dicomcodecs._{family}")._CAUSES
        assert set(causes) == statuses, family
        assert all(isinstance(c, str) and c for c in causes.values())
