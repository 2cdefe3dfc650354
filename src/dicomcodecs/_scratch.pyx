# cython: language_level=3
"""_scratch: the bytearrays frames are handed to pydicom in, uninitialised
and recycled once nothing else refers to them.

pydicom's plugin contract wants each decoded frame as a bytearray; it copies
it into its own array and drops it. A fresh multi-megabyte bytearray per
frame costs more than decoding it: ``bytearray(n)`` zero-fills, and glibc
gives such sizes their own mmap, or trims its heap when they are freed, so
every frame page-faults its memory in again (MR2, 2 MB: 2.7 ms through
pydicom against 1.0 ms when the pages stay resident). So frame_buffer makes
its bytearrays without zero-filling them, keeps a reference to each, and
lends one out again once that reference is the only one left: the caller,
every memoryview and every numpy array made from it hold references of their
own (a buffer export holds its exporter), so a bytearray still in use is
never reused. The cache keeps at most one bytearray per core, so what it
holds between calls is one frame of scratch per thread, as DESIGN.md allows.
"""
from cpython.bytearray cimport PyByteArray_FromStringAndSize, PyByteArray_Resize
from cpython.list cimport PyList_GET_ITEM
from cpython.object cimport PyObject
from dc_common cimport dc_trim_heap

import os
import threading

from dicomcodecs._threads import cpu_count

cdef extern from "Python.h":
    Py_ssize_t _refcount "Py_REFCNT" (PyObject *o)

# Below this, malloc's own free lists recycle memory without page faults.
MIN_POOLED = 1 << 18

cdef list _lent = []  # every bytearray handed out; free when only this list holds it
_lock = threading.Lock()


def _after_fork_in_child():
    global _lock
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


cdef Py_ssize_t _free_index(Py_ssize_t nbytes):
    """Index in _lent of a free bytearray, the same size if there is one;
    -1 when none is free. Call with _lock held."""
    cdef Py_ssize_t i, found = -1
    cdef PyObject *p
    for i in range(len(_lent)):
        p = PyList_GET_ITEM(_lent, i)
        if _refcount(p) == 1:  # the list's reference alone
            if len(<object>p) == nbytes:
                return i
            found = i
    return found


def frame_buffer(Py_ssize_t nbytes):
    """A bytearray of `nbytes`, not initialised (fill every byte). Its memory
    is lent again once the caller and everything made from it let go."""
    if nbytes < 0:
        raise ValueError(f"nbytes={nbytes}")
    if nbytes < MIN_POOLED:
        return PyByteArray_FromStringAndSize(NULL, nbytes)
    cdef Py_ssize_t i
    cdef object buf = None
    with _lock:
        i = _free_index(nbytes)
        if i >= 0:
            buf = _lent[i]
            if len(buf) != nbytes:
                # nothing else refers to it, so nothing exports its buffer
                PyByteArray_Resize(buf, nbytes)
            # most recently used last: the oldest goes first when full
            del _lent[i]
            _lent.append(buf)
            return buf
    buf = PyByteArray_FromStringAndSize(NULL, nbytes)
    with _lock:
        if len(_lent) >= cpu_count():
            del _lent[0]  # not ours to reuse any more; its holder keeps it
        _lent.append(buf)
    return buf


def cached_bytes():
    """Bytes of the bytearrays free to lend now (for tests)."""
    cdef Py_ssize_t i, total = 0
    cdef PyObject *p
    with _lock:
        for i in range(len(_lent)):
            p = PyList_GET_ITEM(_lent, i)
            if _refcount(p) == 1:
                total += len(<object>p)
    return total


def clear():
    """Let go of every bytearray kept."""
    with _lock:
        _lent.clear()


def trim_heap():
    """Give the heap's free memory back to the system: the engines' working
    memory of a multi-threaded decode stays in each thread's malloc arena
    otherwise (README, Memory)."""
    with nogil:
        dc_trim_heap()
