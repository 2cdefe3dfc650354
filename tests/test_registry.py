"""The codec registry: the built-in families are present, and a third-party
codec registered with register_codec() is the one every entry point uses,
until unregister_codec() gives the syntax back."""

from __future__ import annotations

import importlib

import numpy as np
import pydicom
import pytest

import dicomcodecs as dc
from dicomcodecs import registry
from dicomcodecs._builtin import FAMILIES

from .conftest import find_testfile

RLE = "1.2.840.10008.1.2.5"
PRIVATE = "1.2.826.0.1.3680043.9.9999.1"  # a UID dicomcodecs does not know

# Codec families every build must contain; each family's engineer adds theirs.
REQUIRED_FAMILIES = ["rle", "jpeg", "jpegls", "j2k", "deflate", "jxl"]


@pytest.mark.parametrize("family", REQUIRED_FAMILIES)
def test_required_family_is_built_and_registered(family):
    assert family in FAMILIES
    importlib.import_module(f"dicomcodecs._{family}")   # the extension is built
    module = importlib.import_module(f"dicomcodecs.families.{family}")
    codecs = module.codecs()
    assert codecs, f"{family}.codecs() returned nothing"
    for codec in codecs:
        assert isinstance(codec, registry.Codec)
        assert codec.engine and codec.engine_version()
        for uid in codec.transfer_syntaxes:
            if codec.can_decode(uid):
                assert type(registry.get_decoder(uid)) is type(codec)
            if codec.can_encode(uid):
                assert type(registry.get_encoder(uid)) is type(codec)


def test_rle_is_served_by_the_builtin():
    dec, enc = registry.get_decoder(RLE), registry.get_encoder(RLE)
    assert dec.name == "RLE Lossless" and dec is enc
    assert dec.engine == "dicomcodecs" and dec.engine_version() == dc.__version__


class CountingRLE(registry.Codec):
    """A third-party codec: wraps whatever served RLE before it, counting calls
    and marking its output so the test can tell who did the work."""

    name = "Counting RLE"
    engine = "counting"
    transfer_syntaxes = (RLE,)
    encode_syntaxes = (RLE,)
    encode_options = frozenset({"tag"})

    def __init__(self, inner):
        self.inner = inner
        self.decoded = 0
        self.encoded = 0

    def engine_version(self):
        return "9.9"

    def decode_into(self, src, info, out, *, as_rgb=True, reduce=0, frame=None):
        self.decoded += 1
        self.inner.decode_into(src, info, out, as_rgb=as_rgb, reduce=reduce, frame=frame)
        out.flat[0] = 123

    def encode(self, arr, info, *, frame=None, tag=None, **options):
        self.encoded += 1
        return self.inner.encode(arr, info, frame=frame)


@pytest.fixture
def counting():
    builtin = registry.get_decoder(RLE)
    codec = CountingRLE(builtin)
    registry.register_codec(codec)
    yield codec, builtin
    try:
        dc.unregister_codec(codec)
    except ValueError:
        pass  # the test unregistered it already


def test_registered_codec_is_used_everywhere(counting, tmp_path):
    codec, builtin = counting
    assert registry.get_decoder(RLE) is codec and registry.get_encoder(RLE) is codec
    path = find_testfile("SC_rgb_rle_2frame.dcm")
    ref = pydicom.dcmread(find_testfile("SC_rgb_2frame.dcm")).pixel_array

    arr = dc.pixel_array(path)
    assert codec.decoded == 2
    assert arr[0, 0, 0, 0] == 123 and arr[1, 0, 0, 0] == 123
    np.testing.assert_array_equal(arr.reshape(2, -1)[:, 1:], ref.reshape(2, -1)[:, 1:])

    frames = list(pydicom.encaps.generate_frames(pydicom.dcmread(path).PixelData,
                                                 number_of_frames=2))
    info = dc.FrameInfo.from_dataset(pydicom.dcmread(path))
    dc.decode_frame(frames[0], info)
    dc.decode_frames(frames, info, threads=2)
    list(dc.iter_frames(path))
    assert codec.decoded == 2 + 1 + 2 + 2

    enc = dc.encode_frame(ref[0], RLE, tag="x")  # the codec's own option is accepted
    dc.encode_frames(ref, RLE)
    ds = pydicom.dcmread(find_testfile("SC_rgb_2frame.dcm"))
    dc.compress(ds, RLE)
    assert codec.encoded == 1 + 2 + 2
    with pytest.raises(dc.EncodeError, match="Counting RLE.*unknown option"):
        dc.encode_frame(ref[0], RLE, rle_segment_order=">")

    row = [r for r in dc.codecs() if r[0] == RLE][0]
    assert row == (RLE, True, True, "counting", "9.9")

    dc.unregister_codec(codec)
    assert registry.get_decoder(RLE) is builtin and registry.get_encoder(RLE) is builtin
    before = (codec.decoded, codec.encoded)
    np.testing.assert_array_equal(dc.pixel_array(path), ref)
    assert dc.encode_frame(ref[0], RLE) == enc
    assert (codec.decoded, codec.encoded) == before
    assert [r for r in dc.codecs() if r[0] == RLE][0][3] == "dicomcodecs"
    with pytest.raises(ValueError, match="not registered"):
        dc.unregister_codec(codec)


def test_stacked_registrations_unwind_in_any_order():
    builtin = registry.get_decoder(RLE)
    a, b = CountingRLE(builtin), CountingRLE(builtin)
    dc.register_codec(a)
    dc.register_codec(b)
    try:
        assert registry.get_decoder(RLE) is b
        dc.unregister_codec(a)  # not in charge: nothing changes for RLE
        assert registry.get_decoder(RLE) is b
    finally:
        dc.unregister_codec(b)
    assert registry.get_decoder(RLE) is builtin and registry.get_encoder(RLE) is builtin
    # and in the natural order
    dc.register_codec(a)
    dc.register_codec(b)
    dc.unregister_codec(b)
    assert registry.get_decoder(RLE) is a
    dc.unregister_codec(a)
    assert registry.get_decoder(RLE) is builtin and registry.get_encoder(RLE) is builtin


class DecodeOnly(registry.Codec):
    """A codec for a private syntax that only decodes: 'frames' are the raw
    little-endian samples."""

    name = "Raw private"
    engine = "test"
    transfer_syntaxes = (PRIVATE,)

    def decode_into(self, src, info, out, *, as_rgb=True, reduce=0, frame=None):
        data = np.frombuffer(src, info.dtype)
        if data.size != out.size:
            raise dc.DecodeError(self.name, frame, f"{data.size} samples, need {out.size}")
        out.reshape(-1)[:] = data


def test_private_syntax_codec():
    codec = DecodeOnly()
    # a private UID is a known syntax once a codec serves it, not before
    with pytest.raises(dc.UnsupportedError, match="unknown transfer syntax"):
        dc.FrameInfo(PRIVATE, 3, 4, 1, 16, 16, 0, "MONOCHROME2")
    with pytest.raises(NotImplementedError, match="not a compressed transfer syntax"):
        registry.get_decoder(PRIVATE)
    dc.register_codec(codec)
    try:
        info = dc.FrameInfo(PRIVATE, 3, 4, 1, 16, 16, 0, "MONOCHROME2")
        arr = np.arange(12, dtype=np.uint16).reshape(3, 4)
        np.testing.assert_array_equal(dc.decode_frame(arr.tobytes(), info), arr)
        got = dc.decode_frames([arr.tobytes(), (arr + 1).tobytes()], info, threads=2)
        np.testing.assert_array_equal(got, np.stack([arr, arr + 1]))
        with pytest.raises(dc.DecodeError, match="Raw private: frame 1: 2 samples"):
            dc.decode_frames([arr.tobytes(), b"\x00" * 4], info)
        with pytest.raises(NotImplementedError):
            registry.get_encoder(PRIVATE)  # decode only
    finally:
        dc.unregister_codec(codec)
    with pytest.raises(NotImplementedError):
        registry.get_decoder(PRIVATE)


def test_register_checks_the_contract():
    class NotACodec:
        name = "x"
        transfer_syntaxes = (RLE,)

    with pytest.raises(TypeError, match="can_decode"):
        dc.register_codec(NotACodec())
    assert registry.get_decoder(RLE).name == "RLE Lossless"
