"""The recycled frame buffers handed to pydicom (_scratch): memory comes back
only when nothing views it any more, and the cache stays bounded."""

import gc

import numpy as np
import pytest

from dicomcodecs import _scratch
from dicomcodecs._threads import cpu_count

BIG = _scratch.MIN_POOLED * 2


def _addr(a):
    return a.__array_interface__["data"][0]


@pytest.fixture(autouse=True)
def _empty_cache():
    _scratch.clear()
    yield
    _scratch.clear()


def test_small_buffers_are_plain_arrays():
    a = _scratch.frame_buffer(100)
    assert a.dtype == np.uint8 and a.shape == (100,) and a.flags.writeable
    del a
    assert _scratch.cached_bytes() == 0


def test_memory_is_reused_once_released():
    a = _scratch.frame_buffer(BIG)
    assert a.shape == (BIG,) and a.flags.writeable and a.flags.c_contiguous
    where = _addr(a)
    del a
    assert _scratch.cached_bytes() == BIG
    b = _scratch.frame_buffer(BIG - 10)  # a smaller frame fits the same block
    assert _addr(b) == where and b.shape == (BIG - 10,)
    assert _scratch.cached_bytes() == 0


def test_never_reused_while_a_derived_array_lives():
    a = _scratch.frame_buffer(BIG)
    a[:] = 7
    kept = np.frombuffer(a, np.uint16)  # what pydicom does with the buffer
    del a
    assert _scratch.cached_bytes() == 0
    b = _scratch.frame_buffer(BIG)
    b[:] = 9
    assert _addr(b) != _addr(kept)
    assert (kept == 0x0707).all()
    del kept
    gc.collect()
    assert _scratch.cached_bytes() == BIG


def test_cache_is_bounded_by_the_core_count():
    live = [_scratch.frame_buffer(BIG) for _ in range(cpu_count() + 3)]
    del live
    assert _scratch.cached_bytes() == cpu_count() * BIG


def test_best_fit_block_is_taken():
    small, large = _scratch.frame_buffer(BIG), _scratch.frame_buffer(4 * BIG)
    where_small = _addr(small)
    del small, large
    c = _scratch.frame_buffer(BIG)
    assert _addr(c) == where_small
    d = _scratch.frame_buffer(8 * BIG)  # nothing fits: a fresh block
    assert d.shape == (8 * BIG,)
    assert _scratch.cached_bytes() == 4 * BIG


def test_frames_decoded_in_a_row_through_pydicom_keep_their_values(tmp_path):
    """Frame after frame through pydicom reuses one recycled buffer; every
    result must still hold its own frame."""
    pytest.importorskip("pydicom")
    from .conftest import write_native
    from pydicom.pixels import get_decoder

    from dicomcodecs import compress
    from dicomcodecs.pydicom import register, unregister

    rng = np.random.default_rng(5)
    frames = rng.integers(0, 4096, (4, 512, 384), dtype=np.uint16)
    datasets = []
    for i, f in enumerate(frames):
        ds = write_native(None, f, bits_stored=12)
        compress(ds, "RLELossless")
        datasets.append(ds)
    register(first=True)
    try:
        dec = get_decoder(datasets[0].file_meta.TransferSyntaxUID)
        held = [dec.as_buffer(ds, decoding_plugin="dicomcodecs")[0] for ds in datasets]
        arrays = [dec.as_array(ds, decoding_plugin="dicomcodecs")[0] for ds in datasets]
    finally:
        unregister()
    for i in range(4):
        np.testing.assert_array_equal(np.frombuffer(held[i], "<u2").reshape(512, 384), frames[i])
        np.testing.assert_array_equal(arrays[i], frames[i])
