"""The recycled frame buffers handed to pydicom (_scratch): bytearrays, as
pydicom's plugin contract asks; reused only when nothing else refers to them
any more, and the cache stays bounded."""

import numpy as np
import pytest

from dicomcodecs import _scratch
from dicomcodecs._threads import cpu_count

BIG = _scratch.MIN_POOLED * 2
MARK = b"dicomcodecs"


@pytest.fixture(autouse=True)
def _empty_cache():
    _scratch.clear()
    yield
    _scratch.clear()


def test_small_buffers_are_plain_bytearrays():
    a = _scratch.frame_buffer(100)
    assert type(a) is bytearray and len(a) == 100
    del a
    assert _scratch.cached_bytes() == 0


def test_memory_is_reused_once_released():
    a = _scratch.frame_buffer(BIG)
    assert type(a) is bytearray and len(a) == BIG
    a[:len(MARK)] = MARK
    assert _scratch.cached_bytes() == 0  # lent out
    del a
    assert _scratch.cached_bytes() == BIG
    b = _scratch.frame_buffer(BIG)
    assert b[:len(MARK)] == MARK  # the same bytearray, not filled again
    assert _scratch.cached_bytes() == 0


def test_a_free_bytearray_of_another_size_is_resized():
    a = _scratch.frame_buffer(BIG)
    a[:len(MARK)] = MARK
    del a
    b = _scratch.frame_buffer(BIG - 10)
    assert len(b) == BIG - 10 and b[:len(MARK)] == MARK


@pytest.mark.parametrize("holder", [
    lambda a: np.frombuffer(a, np.uint16),  # what pydicom does with the buffer
    memoryview,
    lambda a: [a],
])
def test_never_reused_while_anything_refers_to_it(holder):
    a = _scratch.frame_buffer(BIG)
    a[:] = b"\x07" * BIG
    kept = holder(a)
    del a
    assert _scratch.cached_bytes() == 0
    b = _scratch.frame_buffer(BIG)
    b[:] = b"\x09" * BIG
    view = np.frombuffer(kept[0] if isinstance(kept, list) else kept, np.uint8)
    assert (view == 7).all()
    del view, kept
    assert _scratch.cached_bytes() == BIG


def test_cache_is_bounded_by_the_core_count():
    live = [_scratch.frame_buffer(BIG) for _ in range(cpu_count() + 3)]
    del live
    assert _scratch.cached_bytes() == cpu_count() * BIG


def test_same_size_is_preferred():
    small, large = _scratch.frame_buffer(BIG), _scratch.frame_buffer(4 * BIG)
    small[:len(MARK)] = MARK
    del small, large
    c = _scratch.frame_buffer(BIG)
    assert c[:len(MARK)] == MARK
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
