"""The worker pool behind decode_frames/encode_frames: one per process,
rebuilt in a forked child (PyTorch DataLoader workers fork)."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

import numpy as np

from ._errors import InvalidInputError

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_MAX_WORKERS = 64


def cpu_count() -> int:
    """Cores this process may run on (its affinity mask), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _after_fork_in_child() -> None:
    # The parent's threads do not exist in the child; its pool object must not
    # be used there. Drop it (without joining) and build a new one on demand.
    global _pool, _pool_lock
    _pool = None
    _pool_lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_MAX_WORKERS, thread_name_prefix="dicomcodecs")
        return _pool


def check_threads(threads: int | None) -> int:
    """`threads` as a number of threads: None means every core this process
    may use; anything below 1 is refused."""
    if threads is None:
        return cpu_count()
    if isinstance(threads, bool) or not isinstance(threads, (int, np.integer)):
        raise TypeError(f"threads must be None (all cores) or an int >= 1, "
                        f"not {type(threads).__name__}")
    if threads < 1:
        raise InvalidInputError(f"threads={threads}: use None for all cores, or 1 or more "
                                "(1 runs in the calling thread)")
    return int(threads)


def resolve_threads(threads: int | None, n_items: int) -> int:
    """How many workers to run for `n_items`: check_threads, capped by the
    items and the pool size."""
    return max(1, min(check_threads(threads), n_items, _MAX_WORKERS))


def engine_threads(codec: Any, n_frames: int, threads: int | None) -> int:
    """The one rule sharing threads between frames and an engine, for the API
    and the pydicom plugin alike: frames go to `threads` workers first; the
    cores fewer frames leave idle go to each frame's engine, where the codec
    has threads of its own (``supports_engine_threads``). Returns the
    ``engine_threads`` to pass to ``decode_into`` or ``encode`` (0: none to
    give). A codec
    whose engine threads pay off only on big frames says so with
    ``engine_threads_min_bytes``; apply it per frame with engine_threads_for."""
    if not getattr(codec, "supports_engine_threads", False):
        return 0
    wanted = check_threads(threads)
    return wanted // max(1, n_frames) if wanted > n_frames else 0


def engine_threads_for(codec: Any, share: int, src: Any) -> int:
    """`share` (from engine_threads) for one frame `src` (the encoded bytes
    to decode, or the samples to encode): 0 when the frame is smaller than
    the codec's engine_threads_min_bytes."""
    if share and memoryview(src).nbytes < getattr(codec, "engine_threads_min_bytes", 0):
        return 0
    return share


def engine_threads_alone(codec: Any, src: Any) -> int:
    """engine_threads_for a frame coded alone with every core (pydicom's
    plugins decode and encode frame after frame)."""
    return engine_threads_for(codec, engine_threads(codec, 1, None), src)


def run(fn: Callable[[int], None], n_items: int, threads: int | None) -> None:
    """Call fn(i) for i in range(n_items) on `threads` workers (the calling
    thread alone when 1); the first exception stops the rest and is raised."""
    nthreads = resolve_threads(threads, n_items)
    if nthreads <= 1:
        for i in range(n_items):
            fn(i)
        return
    lock = threading.Lock()
    state = {"next": 0, "failed": False}

    def worker() -> None:
        while True:
            with lock:
                i = state["next"]
                if i >= n_items or state["failed"]:
                    return
                state["next"] = i + 1
            try:
                fn(i)
            except BaseException:
                state["failed"] = True
                raise

    pool = _get_pool()
    futures = [pool.submit(worker) for _ in range(nthreads)]
    error = None
    for fut in futures:
        exc = fut.exception()
        if exc is not None and error is None:
            error = exc
    if error is not None:
        raise error
