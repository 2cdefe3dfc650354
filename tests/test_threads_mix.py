"""Threads: 8 threads decoding a mix of every transfer syntax, 1,000 frames
each, give exactly what one thread gives (also run under `make sanitize`,
where AddressSanitizer watches the same decodes)."""

from __future__ import annotations

import threading

import numpy as np
import pydicom
import pytest

import dicomcodecs as dc

from .conftest import find_testfile, frames_of

_ALWAYS = ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51",
           "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80",
           "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",
           "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"]
THREADS = 8
FRAMES_PER_THREAD = 1000


def _images():
    """Real images, cropped small so that 8,000 decodes stay quick:
    (label, array, bits stored)."""
    mr = pydicom.dcmread(find_testfile("MR_small.dcm")).pixel_array  # int16, 64 x 64
    ct = pydicom.dcmread(find_testfile("CT_small.dcm")).pixel_array[32:96, 40:88]
    rgb = pydicom.dcmread(find_testfile("SC_rgb.dcm")).pixel_array[:48, :40]
    mr12 = (mr.astype(np.int32) - mr.min()).astype(np.uint16) >> 1
    assert mr12.max() < 4096
    return [("MR", mr, 16), ("CT", ct, 16), ("MR12", mr12, 12),
            ("RGB", rgb, 8), ("MR8", (mr12 >> 4).astype(np.uint8), 8)]


def _mix():
    """(label, encoded frame, FrameInfo) for every decodable syntax, encoded
    by us from real images, plus real files' own frames."""
    syntaxes = [uid for uid, can_decode, can_encode, *_ in dc.codecs() if can_decode and can_encode]
    mix = []
    for uid in syntaxes:
        for label, arr, bits in _images():
            options = {"j2k_cr": [20]} if uid == "1.2.840.10008.1.2.4.91" else {}
            try:
                cs = dc.encode_frame(arr, uid, bits_stored=bits, **options)
            except (dc.EncodeError, ValueError, NotImplementedError):
                continue  # e.g. JPEG baseline takes 8 bits only
            pi = "RGB" if arr.ndim == 3 else "MONOCHROME2"
            if arr.ndim == 3 and uid in ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"):
                pi = "YBR_FULL_422"
            if arr.ndim == 3 and uid in ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.201",
                                         "1.2.840.10008.1.2.4.202"):
                pi = "YBR_RCT"
            if arr.ndim == 3 and uid in ("1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.203"):
                pi = "YBR_ICT"
            info = dc.FrameInfo(uid, arr.shape[0], arr.shape[1], 1 if arr.ndim == 2 else 3,
                                arr.dtype.itemsize * 8, bits, int(arr.dtype.kind == "i"), pi)
            mix.append((f"{label}:{uid}", cs, info))
    for name in ("SC_rgb_jpeg_gdcm.dcm", "JPEG-lossy.dcm", "JPEG-LL.dcm", "SC_rgb_rle.dcm",
                 "MR_small_jpeg_ls_lossless.dcm", "emri_small_jpeg_2k_lossless.dcm",
                 "JPEGLSNearLossless_08.dcm"):
        path = find_testfile(name)
        info = dc.FrameInfo.from_dataset(pydicom.dcmread(path, stop_before_pixels=True))
        mix.append((name, bytes(frames_of(path)[0]), info))
    return mix


def test_eight_threads_decode_every_syntax_as_one_does():
    mix = _mix()
    covered = {info.transfer_syntax for _, _, info in mix}
    decodable = {uid for uid, can_decode, *_ in dc.codecs() if can_decode}
    # At least these; a syntax added later joins the mix when our encoder
    # makes a frame of it from pixels (JPEG XL's JPEG recompression does not).
    assert set(_ALWAYS) <= covered, f"no frame for {sorted(set(_ALWAYS) - covered)}"
    assert len(covered) >= len(decodable) - 2, f"no frame for {sorted(decodable - covered)}"
    reference = [dc.decode_frame(cs, info) for _, cs, info in mix]
    mismatches, errors = [], []

    def work(t):
        try:
            for k in range(FRAMES_PER_THREAD):
                j = (k * 7 + t) % len(mix)  # every thread its own order
                label, cs, info = mix[j]
                got = dc.decode_frame(cs, info)
                if not np.array_equal(got, reference[j]):
                    mismatches.append((t, k, label))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append((t, repr(e)))

    workers = [threading.Thread(target=work, args=(t,)) for t in range(THREADS)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    assert mismatches == []


def test_decode_frames_on_the_pool_matches_one_thread():
    """The same mix through decode_frames, grouped by syntax: the library's
    own pool (8 workers) against threads=1."""
    by_info = {}
    for _, cs, info in _mix():
        by_info.setdefault(info, []).append(cs)
    for info, frames in by_info.items():
        frames = (frames * 40)[:40]
        one = dc.decode_frames(frames, info, threads=1)
        np.testing.assert_array_equal(dc.decode_frames(frames, info, threads=8), one)


@pytest.fixture(autouse=True, scope="module")
def _mix_is_big_enough():
    assert len(_mix()) >= 30
