"""Streams as real archives hold them: each quirk is applied to a frame of a
real image (pydicom / pydicom-data) and must decode exactly as the clean
frame does, through decode_frame, pixel_array and the pydicom plugin; where
a stream is truly ambiguous, the error names what is wrong with it."""

from __future__ import annotations

import copy
import struct

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate as pd_encapsulate
from pydicom.uid import RLELossless

import dicomcodecs as dc
import dicomcodecs.pydicom as dcp

from .conftest import find_testfile, frames_of

J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"
HTJ2K_LOSSY = "1.2.840.10008.1.2.4.203"
JPEG_P14 = "1.2.840.10008.1.2.4.57"
ITEM = b"\xfe\xff\x00\xe0"
SEQ_END = b"\xfe\xff\xdd\xe0\x00\x00\x00\x00"


def _real(name: str):
    """(first encoded frame, FrameInfo, dataset) of a real file."""
    path = find_testfile(name)
    ds = pydicom.dcmread(path)
    return frames_of(path)[0], dc.FrameInfo.from_dataset(ds), ds


def _ours(name: str, uid: str, **options):
    """A real image re-encoded by our own encoder into `uid`."""
    ds = pydicom.dcmread(find_testfile(name))
    arr = dc.pixel_array(ds, frames=0)
    info = dc.FrameInfo.from_dataset(ds)
    cs = dc.encode_frame(arr, uid, bits_stored=info.bits_stored, **options)
    pi = "MONOCHROME2" if arr.ndim == 2 else "RGB"
    if uid in (HTJ2K_LOSSLESS, HTJ2K_LOSSY) and arr.ndim == 3:
        pi = "YBR_RCT" if uid == HTJ2K_LOSSLESS else "YBR_ICT"
    new = info.replace(transfer_syntax=uid, photometric_interpretation=pi)
    return cs, new, ds


# The clean streams: (label, builder). Built once per module.
_SOURCES = {
    "j2k-MR": lambda: _real("MR_small_jp2klossless.dcm"),
    "j2k-US1-rgb": lambda: _real("US1_J2KR.dcm"),
    "htj2k-MR": lambda: _ours("MR_small.dcm", HTJ2K_LOSSLESS),
    "htj2k-lossy-rgb": lambda: _ours("SC_rgb.dcm", HTJ2K_LOSSY),
    "jpeg-baseline": lambda: _real("SC_rgb_jpeg_gdcm.dcm"),
    "jpeg-12bit": lambda: _real("JPEG-lossy.dcm"),
    "jpeg-lossless-sv1": lambda: _real("JPEG-LL.dcm"),
    "jpeg-lossless-p14-ours": lambda: _ours("MR_small.dcm", JPEG_P14, predictor=6),
    "rle-MR": lambda: _real("MR_small_RLE.dcm"),
    "rle-rgb": lambda: _real("SC_rgb_rle.dcm"),
}


@pytest.fixture(scope="module")
def clean():
    """label -> (stream, info, dataset, the array the clean stream decodes to)."""
    out = {}
    for label, build in _SOURCES.items():
        cs, info, ds = build()
        out[label] = (bytes(cs), info, ds, dc.decode_frame(cs, info))
    return out


def _decodes_like_clean(clean, label, stream):
    """decode_frame, pixel_array (a one-frame dataset) and the pydicom plugin
    give what they give for the clean stream."""
    cs, info, ds, want = clean[label]
    np.testing.assert_array_equal(dc.decode_frame(stream, info), want)
    quirky = _single_frame_dataset(ds, info, stream)
    np.testing.assert_array_equal(dc.pixel_array(quirky), want)
    dcp.register(first=True)
    try:
        np.testing.assert_array_equal(
            _plugin_array(quirky), _plugin_array(_single_frame_dataset(ds, info, cs)))
    finally:
        dcp.unregister()


def _plugin_array(ds):
    from pydicom.pixels import pixel_array as pd_pixel_array
    return pd_pixel_array(ds, decoding_plugin="dicomcodecs")


def _single_frame_dataset(ds, info, stream):
    """A copy of `ds` holding `stream` as its one frame (BOT, one fragment)."""
    new = copy.deepcopy(ds)
    new.file_meta.TransferSyntaxUID = info.transfer_syntax
    new.PhotometricInterpretation = info.photometric_interpretation
    new.NumberOfFrames = 1
    if "PlanarConfiguration" in new and info.samples_per_pixel > 1:
        new.PlanarConfiguration = info.planar_configuration
    new.PixelData = _raw_encapsulate([stream], bot=True)
    new["PixelData"].VR = "OB"
    new["PixelData"].is_undefined_length = True
    return new


def _raw_encapsulate(fragments_per_frame, *, bot=True, offsets=None, pad=True):
    """Encapsulated Pixel Data built byte by byte, so that odd lengths and
    wrong tables stay as given. `fragments_per_frame`: list of frames, each
    a bytes (one fragment) or a list of fragments."""
    frames = [[f] if isinstance(f, (bytes, bytearray)) else list(f) for f in fragments_per_frame]
    body, starts = [], []
    pos = 0
    for frags in frames:
        starts.append(pos)
        for frag in frags:
            if pad and len(frag) % 2:
                frag = bytes(frag) + b"\x00"
            body.append(ITEM + struct.pack("<I", len(frag)) + bytes(frag))
            pos += 8 + len(frag)
    table = starts if offsets is None else offsets
    head = ITEM + struct.pack("<I", 4 * len(table)) + struct.pack(f"<{len(table)}I", *table) \
        if bot else ITEM + b"\x00\x00\x00\x00"
    return head + b"".join(body) + SEQ_END


# ------------------------------------------------------- J2K and HTJ2K

J2K_LABELS = ["j2k-MR", "j2k-US1-rgb", "htj2k-MR", "htj2k-lossy-rgb"]


def _before_last_marker(cs: bytes) -> bytes:
    """The stream up to its final EOC / EOI (US1_J2KR's frame ends FF D9 FF:
    padded with 0xFF by its writer, another quirk)."""
    end = cs.rindex(b"\xff\xd9")
    assert len(cs) - end <= 3, "the clean stream ends with its EOC / EOI"
    return cs[:end]


@pytest.mark.parametrize("label", J2K_LABELS)
@pytest.mark.parametrize("quirk", ["no-eoc", "bytes-after-eoc", "zero-padded", "no-eoc-padded"])
def test_j2k_stream_quirks(clean, label, quirk):
    cs = clean[label][0]
    body = _before_last_marker(cs)
    stream = {
        "no-eoc": body,
        "bytes-after-eoc": body + b"\xff\xd9" + b"vendor trailer \x01\x02\xff\x00",
        "zero-padded": body + b"\xff\xd9\x00",
        "no-eoc-padded": body + b"\x00",
    }[quirk]
    _decodes_like_clean(clean, label, stream)


@pytest.mark.parametrize("label", ["j2k-MR", "htj2k-MR"])
def test_j2k_cut_inside_a_tile_part_names_it(clean, label):
    cs, info = clean[label][0], clean[label][1]
    body = _before_last_marker(cs)
    with pytest.raises(dc.DecodeError) as exc:
        dc.decode_frame(body[:len(body) * 2 // 3], info, frame=4)
    text = str(exc.value)
    assert "frame 4" in text and "(truncated data)" in text, text


# ------------------------------------------------------------------ JPEG

JPEG_LABELS = ["jpeg-baseline", "jpeg-12bit", "jpeg-lossless-sv1", "jpeg-lossless-p14-ours"]


@pytest.mark.parametrize("label", JPEG_LABELS)
@pytest.mark.parametrize("quirk", ["bytes-after-eoi", "no-eoi", "zero-padded", "no-eoi-padded",
                                   "two-eoi"])
def test_jpeg_stream_quirks(clean, label, quirk):
    cs = clean[label][0]
    body = _before_last_marker(cs)
    stream = {
        "bytes-after-eoi": body + b"\xff\xd9" + b"\x00\x01trailer\xff\xd8",
        "no-eoi": body,
        "zero-padded": body + b"\xff\xd9\x00",
        "no-eoi-padded": body + b"\x00",
        "two-eoi": body + b"\xff\xd9\xff\xd9",
    }[quirk]
    _decodes_like_clean(clean, label, stream)


@pytest.mark.parametrize("label", JPEG_LABELS)
def test_jpeg_scan_cut_short_names_it(clean, label):
    cs, info = clean[label][0], clean[label][1]
    sos = cs.index(b"\xff\xda")
    cut = cs[:sos + (len(cs) - sos) // 2]
    with pytest.raises(dc.DecodeError) as exc:
        dc.decode_frame(cut, info, frame=3)
    assert "frame 3" in str(exc.value)


# ------------------------------------------------------------------- RLE

def _rle_segments(frame: bytes) -> list[bytes]:
    n = struct.unpack("<I", frame[:4])[0]
    offs = list(struct.unpack("<15I", frame[4:64]))[:n] + [len(frame)]
    return [frame[offs[i]:offs[i + 1]] for i in range(n)]


def _rle_frame(segments: list[bytes], *, count: int | None = None, trailer: bytes = b"") -> bytes:
    """An RLE frame with its segments laid end to end, unpadded."""
    offs, pos = [], 64
    for s in segments:
        offs.append(pos)
        pos += len(s)
    count = len(segments) if count is None else count
    offs += [0] * (15 - len(offs))
    return struct.pack("<16I", count, *offs) + b"".join(segments) + trailer


def _literal_segment(plane: bytes, odd: bool) -> bytes:
    """A PackBits segment of literal runs only, sized so that its length is
    odd (or even): runs of 128 bytes, the last one split when needed."""
    out, i = [], 0
    chunks = [plane[i:i + 128] for i in range(0, len(plane), 128)]
    if ((len(plane) + len(chunks)) % 2 == 1) != odd:
        last = chunks.pop()
        if len(last) > 1:
            chunks += [last[:1], last[1:]]
        else:
            chunks += [last]
            chunks[-2:] = [chunks[-2][:-1], chunks[-2][-1:] + last]
    for c in chunks:
        out.append(bytes([len(c) - 1]) + c)
    seg = b"".join(out)
    assert (len(seg) % 2 == 1) == odd
    return seg


def _planes(arr: np.ndarray) -> list[bytes]:
    """RLE's byte planes of a frame: per sample, most significant byte first."""
    a = arr.reshape(arr.shape[0], arr.shape[1], -1)
    nbytes = a.dtype.itemsize
    planes = []
    for s in range(a.shape[2]):
        v = a[:, :, s].astype(a.dtype.newbyteorder(">")).view(np.uint8)
        v = v.reshape(a.shape[0], a.shape[1], nbytes)
        for b in range(nbytes):
            planes.append(v[:, :, b].tobytes())
    return planes


@pytest.mark.parametrize("label", ["rle-MR", "rle-rgb"])
@pytest.mark.parametrize("quirk", ["odd-segments", "extra-segment", "trailing-padding",
                                   "odd-segments-padded"])
def test_rle_stream_quirks(clean, label, quirk):
    cs, info, ds, want = clean[label]
    raw = dc.decode_frame(cs, info, as_rgb=False)
    planes = _planes(raw)
    if quirk.startswith("odd-segments"):
        segs = [_literal_segment(p, odd=True) for p in planes]
        stream = _rle_frame(segs, trailer=b"\x00" if quirk.endswith("padded") else b"")
    elif quirk == "extra-segment":
        # the header counts one segment more than the frame needs (a
        # vendor's alpha or padding plane): the extra one is ignored
        segs = _rle_segments(cs)
        stream = _rle_frame(segs + [segs[-1]], count=len(segs) + 1)
    else:
        stream = cs + b"\x00" * 6
    _decodes_like_clean(clean, label, stream)


def test_rle_too_few_segments_names_them(clean):
    cs, info = clean["rle-rgb"][0], clean["rle-rgb"][1]
    segs = _rle_segments(cs)
    with pytest.raises(dc.DecodeError, match=r"RLE Lossless: frame 1: .*segment"):
        dc.decode_frame(_rle_frame(segs[:2]), info, frame=1)


# ------------------------------------------------------- encapsulation

@pytest.fixture(scope="module")
def multiframe():
    """A real multi-frame JPEG 2000 file: (dataset, frames, decoded array)."""
    path = find_testfile("emri_small_jpeg_2k_lossless.dcm")
    ds = pydicom.dcmread(path)
    frames = frames_of(path)
    return ds, frames, dc.pixel_array(ds)


def _with_pixel_data(ds, data, **extra):
    new = copy.deepcopy(ds)
    new.PixelData = data
    new["PixelData"].VR = "OB"
    new["PixelData"].is_undefined_length = True
    for k, v in extra.items():
        setattr(new, k, v)
    return new


def _split(frame: bytes, n: int, odd: bool = False) -> list[bytes]:
    """`frame` over about n fragments, of even lengths but the last (as
    writers split), or with `odd` some of odd lengths too."""
    cuts = {len(frame) * k // n for k in range(1, n)}
    cuts = sorted(cuts | {1, 3}) if odd else sorted(c & ~1 for c in cuts)
    bounds = [0] + [c for c in cuts if 0 < c < len(frame)] + [len(frame)]
    return [frame[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)]


@pytest.mark.parametrize("case", ["empty-bot", "wrong-bot-zeros", "wrong-bot-shifted",
                                  "bot-too-short", "eot", "many-fragments", "odd-fragments"])
def test_encapsulation_quirks(multiframe, case, tmp_path):
    ds, frames, want = multiframe
    n = len(frames)
    if case == "empty-bot":
        data = _raw_encapsulate(frames, bot=False)
    elif case == "wrong-bot-zeros":
        data = _raw_encapsulate(frames, offsets=[0] * n)
    elif case == "wrong-bot-shifted":
        good = _raw_encapsulate(frames)
        table = struct.unpack(f"<{n}I", good[8:8 + 4 * n])
        data = _raw_encapsulate(frames, offsets=[t + 8 for t in table])
    elif case == "bot-too-short":
        data = _raw_encapsulate(frames, offsets=[0])
    elif case == "eot":
        data, eot, eotl = dc._encaps.encapsulate(frames, extended=True)
        ext = _with_pixel_data(ds, data + SEQ_END)
        ext.ExtendedOffsetTable = eot
        ext.ExtendedOffsetTableLengths = eotl
        np.testing.assert_array_equal(dc.pixel_array(ext), want)
        np.testing.assert_array_equal(dc.pixel_array(ext, frames=[3, 1]), want[[3, 1]])
        return
    elif case == "many-fragments":
        data = _raw_encapsulate([_split(f, 5) for f in frames])
    else:  # odd-fragments: odd lengths left unpadded, no BOT, one frame split
        data = _raw_encapsulate([_split(f, 3, odd=True) for f in frames], bot=True, pad=False)
    new = _with_pixel_data(ds, data)
    np.testing.assert_array_equal(dc.pixel_array(new), want)
    np.testing.assert_array_equal(dc.pixel_array(new, frames=[n - 1, 0]), want[[n - 1, 0]])
    path = tmp_path / "q.dcm"
    new.save_as(path, enforce_file_format=True)
    np.testing.assert_array_equal(dc.pixel_array(str(path)), want)
    np.testing.assert_array_equal(np.stack(list(dc.iter_frames(str(path)))), want)


def test_wrong_bot_with_fragments_that_cannot_be_split_names_the_table():
    path = find_testfile("emri_small_RLE.dcm")
    ds = pydicom.dcmread(path)
    frames = frames_of(path)
    # two fragments per frame and a BOT that points nowhere: RLE has no
    # end marker, so nothing tells where the frames begin
    data = _raw_encapsulate([_split(f, 2) for f in frames], offsets=[6] * len(frames))
    with pytest.raises(dc.DecodeError, match="Basic Offset Table points at byte 6"):
        dc.pixel_array(_with_pixel_data(ds, data))


def test_jpeg_many_fragments_no_bot_split_on_eoi():
    """A multi-frame baseline JPEG file with its frames spread over several
    fragments each and no BOT: the frames end where an EOI ends a fragment."""
    path = find_testfile("color3d_jpeg_baseline.dcm")
    ds = pydicom.dcmread(path)
    frames = frames_of(path)[:6]
    want = dc.pixel_array(ds, frames=slice(0, 6))
    data = _raw_encapsulate([_split(f, 3) for f in frames], bot=False)
    new = _with_pixel_data(ds, data, NumberOfFrames=6)
    np.testing.assert_array_equal(dc.pixel_array(new), want)
