# cython: language_level=3
"""_scratch: frame-sized buffers handed to pydicom, recycled once nothing
uses them.

pydicom asks a plugin for each frame as a buffer, copies it into its own
array and drops it. A fresh multi-megabyte buffer per frame costs more than
decoding it: glibc gives such sizes their own mmap, or trims its heap when
they are freed, so every frame page-faults its memory in again (MR2, 2 MB:
2.7 ms through pydicom against 1.0 ms when the pages stay resident). Here a
buffer's memory goes back to a small cache when the last object using it
dies, and the next frame reuses it, already resident.

Lifetime is tracked by the buffer exporter, not by a numpy array: numpy
collapses chains of views onto the array that owns the memory, but every
array made from an exported buffer keeps the exporter alive. The cache keeps
at most one block per core, so what it holds between calls is one frame of
scratch per thread, as DESIGN.md allows.
"""
cimport cython
from cpython.buffer cimport PyBuffer_FillInfo
from libc.stdlib cimport free, malloc
from dc_common cimport dc_trim_heap

import os
import threading

import numpy as np

from dicomcodecs._threads import cpu_count

# Below this, malloc's own free lists recycle memory without page faults.
MIN_POOLED = 1 << 18

cdef list _free = []  # _Block, free to lend
_lock = threading.Lock()


def _after_fork_in_child():
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


@cython.final
cdef class _Block:
    """malloc'd memory, freed with the object."""
    cdef char *data
    cdef size_t size

    def __cinit__(self, size_t size):
        self.data = <char *>malloc(size if size else 1)
        if self.data == NULL:
            raise MemoryError(f"cannot allocate {size} bytes")
        self.size = size

    def __dealloc__(self):
        free(self.data)


cdef void _give_back(_Block block) noexcept:
    # Runs when a lender dies, which the garbage collector can make happen
    # inside frame_buffer's locked section on this very thread: never wait
    # for the lock. Dropping a block now and then only costs a fresh one.
    try:
        if not _lock.acquire(False):
            return
        try:
            if len(_free) >= cpu_count():
                _free.pop(0)  # the oldest: sizes follow what is decoded now
            _free.append(block)
        finally:
            _lock.release()
    except BaseException:
        pass


@cython.final
@cython.no_gc
cdef class _Lender:
    """Exports `nbytes` of a block as a writable buffer; every array made
    from it keeps it alive, and its death returns the block to the cache."""
    cdef _Block block
    cdef Py_ssize_t nbytes

    def __getbuffer__(self, Py_buffer *view, int flags):
        PyBuffer_FillInfo(view, self, self.block.data, self.nbytes, 0, flags)

    def __dealloc__(self):
        if self.block is not None:
            _give_back(self.block)


def frame_buffer(Py_ssize_t nbytes):
    """An uninitialised 1-D uint8 array of `nbytes`. Its memory returns to
    the cache when it and every array or view made from it are gone, never
    before."""
    if nbytes < MIN_POOLED:
        return np.empty(nbytes, np.uint8)
    cdef _Block block = None
    cdef _Block b
    cdef Py_ssize_t i, best = -1
    with _lock:
        for i in range(len(_free)):
            b = _free[i]
            if b.size >= <size_t>nbytes and (best < 0 or b.size < (<_Block>_free[best]).size):
                best = i
        if best >= 0:
            block = _free.pop(best)
    if block is None:
        block = _Block(nbytes)
    cdef _Lender lender = _Lender.__new__(_Lender)
    lender.block = block
    lender.nbytes = nbytes
    return np.frombuffer(lender, np.uint8)


def cached_bytes():
    """Bytes the cache holds now (for tests)."""
    with _lock:
        return sum((<_Block>b).size for b in _free)


def clear():
    """Let go of every cached block."""
    with _lock:
        _free.clear()


def trim_heap():
    """Give the heap's free memory back to the system: the engines' working
    memory of a multi-threaded decode stays in each thread's malloc arena
    otherwise (README, Memory)."""
    with nogil:
        dc_trim_heap()
