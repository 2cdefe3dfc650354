"""dicomcodecs' numcodecs/zarr codecs: found through their entry points, written
and read back with zarr in the v2 format (compressor) and v3 (serializer), for
2-D and 3-D chunks, mono and colour; dtypes a syntax cannot hold refused."""

from __future__ import annotations

import numpy as np
import pytest

import dicomcodecs as dc

numcodecs = pytest.importorskip("numcodecs")
zarr = pytest.importorskip("zarr", minversion="3")

from dicomcodecs import zarr_codecs as zc  # noqa: E402
from dicomcodecs.registry import get_encoder  # noqa: E402

from .conftest import find_testfile  # noqa: E402

CODECS = zc.available()
LOSSY = {"dicomcodecs_jpeg"}  # baseline JPEG has no lossless mode


def psnr(a: np.ndarray, b: np.ndarray, peak: float) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else 10 * np.log10(peak ** 2 / mse)


def image(cid: str, shape: tuple[int, ...]) -> np.ndarray:
    """Real pixels: the CT (16-bit signed, 12 bits used) or, for 8-bit-only
    baseline JPEG, an 8-bit photograph-like RGB/mono image, tiled to `shape`."""
    if cid in LOSSY:
        rgb = dc.pixel_array(find_testfile("SC_rgb.dcm"))  # 100x100x3 uint8
        src = rgb if shape[-1] == 3 else rgb[..., 0]
    else:
        src = dc.pixel_array(find_testfile("CT_small.dcm")) if shape[-1] != 3 else \
            dc.pixel_array(find_testfile("US1_J2KR.dcm"))
    reps = [int(np.ceil(n / m)) for n, m in zip(shape[-src.ndim:], src.shape)]
    tiled = np.tile(src, reps)[tuple(slice(0, n) for n in shape[-src.ndim:])]
    frames = [np.roll(tiled, 7 * i, axis=0) for i in range(shape[0])] if len(shape) > src.ndim \
        else [tiled]
    return np.ascontiguousarray(np.stack(frames) if len(shape) > src.ndim else tiled)


def check(cid: str, back: np.ndarray, src: np.ndarray) -> None:
    assert back.shape == src.shape and back.dtype == src.dtype
    if cid in LOSSY:
        assert psnr(back, src, 255) > 30
    else:
        np.testing.assert_array_equal(back, src)


def test_every_family_this_build_encodes_has_a_codec():
    expected = {"dicomcodecs_rle", "dicomcodecs_jpeg", "dicomcodecs_jpeg_ll",
                "dicomcodecs_jpegls", "dicomcodecs_j2k", "dicomcodecs_htj2k"}
    assert expected <= set(CODECS)
    for cid, uid in (("dicomcodecs_jpegxl", "1.2.840.10008.1.2.4.110"),
                     ("dicomcodecs_deflate", "1.2.840.10008.1.2.8.1")):
        try:
            get_encoder(uid)  # in builds that have the family
            assert cid in CODECS
        except NotImplementedError:
            assert cid not in CODECS
            with pytest.raises(NotImplementedError, match=f"no encoder for the {cid[12:]} family"):
                numcodecs.get_codec({"id": cid})


@pytest.mark.parametrize("cid", CODECS)
def test_entry_points_give_our_codecs_and_configs_round_trip(cid):
    codec = numcodecs.get_codec({"id": cid})  # through the numcodecs.codecs entry point
    assert isinstance(codec, zc.DicomCodec) and codec.codec_id == cid
    config = codec.get_config()
    assert config["id"] == cid and numcodecs.get_codec(config) == codec
    assert zc.SYNTAXES[config["transfer_syntax"]].lossy == (cid in LOSSY)
    from zarr.registry import get_codec_class

    v3 = get_codec_class(cid)  # through the zarr.codecs entry point
    assert v3.from_dict({"name": cid}).to_dict() == {
        "name": cid, "configuration": {k: v for k, v in config.items() if k != "id"}}


@pytest.mark.parametrize("fmt", [2, 3])
@pytest.mark.parametrize("cid", CODECS)
def test_zarr_array_of_frames_3d_chunks(tmp_path, cid, fmt):
    src = image(cid, (5, 100, 90))  # chunks on the edges are partial
    dtype = src.dtype
    kw = ({"compressors": numcodecs.get_codec({"id": cid})} if fmt == 2 else
          {"serializer": {"name": cid}, "compressors": None})
    z = zarr.create_array(store=str(tmp_path / "a.zarr"), shape=src.shape, chunks=(2, 64, 64),
                          dtype=dtype, zarr_format=fmt, **kw)
    z[...] = src
    back = zarr.open_array(str(tmp_path / "a.zarr"), mode="r")  # codec found by name
    check(cid, back[...], src)
    check(cid, back[3, 10:70, 5:80], src[3, 10:70, 5:80])
    stored = sum(p.stat().st_size for p in (tmp_path / "a.zarr").rglob("*") if p.is_file())
    if cid not in ("dicomcodecs_rle",):  # RLE barely packs CT noise
        assert stored < src.nbytes


@pytest.mark.parametrize("fmt", [2, 3])
@pytest.mark.parametrize("cid", CODECS)
def test_zarr_2d_chunks_and_colour(tmp_path, cid, fmt):
    mono = image(cid, (130, 110))
    rgb = image(cid, (2, 48, 40, 3))
    for name, src, chunks, spp in (("m", mono, (64, 64), 1), ("c", rgb, (1, 48, 40, 3), 3)):
        codec = numcodecs.get_codec({"id": cid, "samples_per_pixel": spp})
        kw = ({"compressors": codec} if fmt == 2 else
              {"serializer": {"name": cid, "configuration": {"samples_per_pixel": spp}},
               "compressors": None})
        z = zarr.create_array(store=str(tmp_path / f"{name}.zarr"), shape=src.shape,
                              chunks=chunks, dtype=src.dtype, zarr_format=fmt, **kw)
        z[...] = src
        check(cid, zarr.open_array(str(tmp_path / f"{name}.zarr"), mode="r")[...], src)


def test_options_choose_a_lossy_syntax_and_are_checked():
    src = image("dicomcodecs_j2k", (1, 128, 128))
    lossless = numcodecs.get_codec({"id": "dicomcodecs_j2k"})
    lossy = numcodecs.get_codec({"id": "dicomcodecs_j2k", "transfer_syntax": "j2k",
                                 "j2k_cr": [20]})
    small = lossy.encode(src)
    assert len(small) < len(lossless.encode(src)) / 3
    assert psnr(lossy.decode(small).reshape(src.shape), src, 4096) > 30
    with pytest.raises(ValueError, match="unknown option"):
        zc.J2K(quality=90)
    with pytest.raises(ValueError, match="not one of this family"):
        zc.J2K(transfer_syntax="rle")


@pytest.mark.parametrize("cid, dtype, words", [
    ("dicomcodecs_rle", np.float32, "float32"),
    ("dicomcodecs_j2k", np.float64, "float64"),
    ("dicomcodecs_jpeg", np.uint16, "at most 8-bit"),
    ("dicomcodecs_jpegls", np.uint32, "2 to 16-bit"),
    ("dicomcodecs_htj2k", np.int64, "64"),
])
def test_a_dtype_the_syntax_cannot_hold_is_refused(tmp_path, cid, dtype, words):
    codec = numcodecs.get_codec({"id": cid})
    with pytest.raises(dc.EncodeError, match=words):
        codec.encode(np.ones((16, 16), dtype))
    with pytest.raises(dc.EncodeError, match=words):  # zarr v3: refused at create or write
        z = zarr.create_array(store={}, shape=(16, 16), chunks=(16, 16), dtype=dtype,
                              serializer={"name": cid}, compressors=None)
        z[...] = 1


def test_decode_into_a_given_buffer():
    src = image("dicomcodecs_jpegls", (3, 40, 30))
    codec = zc.JPEGLS()
    out = np.zeros(src.size, src.dtype)
    assert codec.decode(codec.encode(src), out=out) is out
    np.testing.assert_array_equal(out.reshape(src.shape), src)


def test_damaged_chunks_raise_decode_errors():
    codec = zc.RLE()
    data = codec.encode(image("dicomcodecs_rle", (2, 32, 32)))
    with pytest.raises(dc.DecodeError, match="DCZ1"):
        codec.decode(b"garbage!" * 8)
    with pytest.raises(dc.DecodeError, match="cut short"):
        codec.decode(data[:-10])
