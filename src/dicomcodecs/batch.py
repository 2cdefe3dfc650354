"""Archive-scale work on Dask: transcode many files on a cluster with the
command line's guarantees, and decode a series into a lazy dask array.

Dask and distributed are an optional extra: ``pip install 'dicomcodecs[dask]'``.

Files travel as absolute paths: the client and every worker must see the
inputs and the output folder at the same paths (shared storage). A task is one
file, or a few small ones in turn (_clibatch._groups): its memory is one file's
pixel data (read, decoded and re-encoded), so a worker's memory does not grow
with the number of files.
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

__all__ = ["transcode", "TranscodeResult", "frames", "connect", "default_report"]


def _require(what: str) -> Any:
    """Import Dask's `what` ('dask', 'dask.array' or 'distributed'), or say
    which extra installs it."""
    import importlib

    try:
        return importlib.import_module(what)
    except ImportError:
        raise ImportError(f"dicomcodecs.batch needs {what} (Dask): "
                          "pip install 'dicomcodecs[dask]'") from None


@contextlib.contextmanager
def connect(scheduler: str | None = None, cluster: str | None = None,
            workers: int | None = None) -> Iterator[Any]:
    """A distributed Client for the scheduler at `scheduler`, or (cluster=
    'local') for a cluster of `workers` single-threaded worker processes on
    this machine (default: one per core), listening on loopback only. The
    local cluster is shut down on leaving the block."""
    distributed = _require("distributed")
    if scheduler is not None:
        with distributed.Client(scheduler) as client:
            yield client
        return
    if cluster != "local":
        raise ValueError(f"cluster={cluster!r}: only 'local' starts a cluster; give a "
                         "scheduler address for any other")
    n = workers or len(os.sched_getaffinity(0))
    # Dask gives its workers MALLOC_TRIM_THRESHOLD_=65536, which makes glibc
    # map and unmap every image-sized buffer afresh: measured 10-25 % more time
    # per file here (benchmarks/RESULTS.md). Our workers keep glibc's default.
    dask = _require("dask")
    environ = {k: v for k, v in dask.config.get("distributed.nanny.pre-spawn-environ").items()
               if k != "MALLOC_TRIM_THRESHOLD_"}
    # Loopback only, HTTP endpoints included (their default is every interface,
    # the scheduler's on port 8787); no dashboard. Quiet: the command line owns
    # stdout and stderr, and worker restarts show in the report.
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}), \
            distributed.LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                     host="127.0.0.1", dashboard_address=None,
                                     scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                                     worker_dashboard_address="127.0.0.1:0",
                                     silence_logs=50) as local, \
            distributed.Client(local) as client:
        yield client


def executor(client: Any) -> Any:
    """A concurrent.futures Executor that runs on `client`'s cluster. Tasks
    are not pure: a file written is a side effect, never a cached result."""
    return client.get_executor(pure=False)


def default_report(out_dir: Path) -> Path:
    """Where a Dask transcode lists every input by default: beside the output
    folder (never inside it, where it would be taken for an output)."""
    out_dir = Path(out_dir).absolute()
    return out_dir.with_name(out_dir.name + ".report.csv")


@dataclass
class TranscodeResult:
    written: int
    skipped: int
    failed: list[tuple[str, str]]     # (input, one-line reason)
    report: Path | None               # the CSV/JSON listing every input

    @property
    def ok(self) -> bool:
        return not self.failed


def _paths(inputs: Any) -> list[str]:
    if isinstance(inputs, (str, os.PathLike)):
        return [os.fspath(inputs)]
    return [os.fspath(p) for p in inputs]


def transcode(inputs: Any, to: str, out_dir: Any, client: Any = None, verify: bool = False,
              overwrite: bool = False, report: Any = None, threads: int = 1,
              **options: Any) -> TranscodeResult:
    """Transcode DICOM files (paths, folders searched recursively, glob
    patterns) to the transfer syntax `to` into `out_dir`, mirroring the inputs'
    tree, with the command line's guarantees: nothing replaced unless
    `overwrite`, each output written to a temporary file and renamed when
    whole (and, with `verify`, decoded and compared first), complete outputs
    of an earlier run skipped.

    `client`: a distributed Client; None uses the current default client if
    there is one, else a thread pool on this machine. `threads`: codec threads
    per file. `report`: a .csv or .json file listing every input; by default
    ``<out_dir>.report.csv`` beside the output folder. `options`: encoder
    options, as for ``dicomcodecs.compress``."""
    from ._api import _check_options
    from ._clibatch import run_batch
    from ._uids import resolve
    from .cli import transcode_file
    from .registry import get_encoder

    uid = resolve(to)
    _check_options(get_encoder(uid), uid, options)
    out_dir = Path(out_dir).absolute()
    record = Path(report).absolute() if report is not None else default_report(out_dir)
    if client is None:
        try:
            client = _require("distributed").default_client()
        except (ImportError, ValueError):  # no Dask, or no client: threads here
            client = None
    work = functools.partial(transcode_file, outdir=out_dir, uid=uid, options=options,
                             overwrite=overwrite, verify=verify, threads=threads)
    rep = run_batch("transcode", _paths(inputs), out_dir, work,
                    jobs=len(os.sched_getaffinity(0)), quiet=True, debug=False,
                    executor=executor(client) if client is not None else None,
                    record=record, echo=False)
    return TranscodeResult(rep.counts["written"], rep.counts["skipped"],
                           [(f.name, f.text) for f in rep.failures], record)


# ------------------------------------------------------------- decoding

_registered = threading.Lock()
_done = False


def _register_plugin() -> None:
    """The pydicom plugin, once per worker process (tasks may run anywhere)."""
    global _done
    with _registered:
        if not _done:
            from . import pydicom as plugin

            plugin.register()
            _done = True


def _decode(path: str, bare: bool, index: list[int] | None, as_rgb: bool,
            shape: tuple[int, ...]) -> Any:
    """The frames `index` (all: None) of one file, in a worker, as an array of
    (frames, *shape)."""
    import dicomcodecs as dc

    from ._clifiles import Input, read_input

    _register_plugin()
    source: Any = path
    if bare:  # no preamble: pydicom must be told to read it
        source = read_input(Input(Path(path), Path(path).name, True), pixels=True)
    arr = dc.pixel_array(source, frames=index, threads=1, as_rgb=as_rgb)
    return arr.reshape(-1, *shape)  # a lone frame comes without a frame axis


@dataclass(frozen=True)
class _Header:
    path: str
    bare: bool
    frames: int
    shape: tuple[int, ...]
    dtype: Any
    instance: int | None


def _header(item: Any, as_rgb: bool) -> _Header:
    from ._clifiles import frame_count, read_input
    from ._info import FrameInfo
    from ._uids import NATIVE
    from .registry import get_decoder

    ds = read_input(item, pixels=False)
    info = FrameInfo.from_dataset(ds)
    if info.transfer_syntax in NATIVE:
        shape, dtype = info.shape, info.dtype
    else:
        shape, dtype, _ = get_decoder(info.transfer_syntax).output_spec(info, as_rgb=as_rgb)
    try:
        instance = int(ds.InstanceNumber) if ds.get("InstanceNumber") not in (None, "") else None
    except (TypeError, ValueError):
        instance = None
    return _Header(os.path.abspath(item.path), item.bare, frame_count(ds), tuple(shape),
                   dtype, instance)


def frames(inputs: Any, *, chunks: str = "file", as_rgb: bool = True) -> Any:
    """The decoded frames of a series as a lazy dask array of shape
    (frames, rows, columns[, samples]).

    `inputs`: files, folders (searched recursively) or glob patterns. Their
    headers are read here, on the client: every file must have the same frame
    shape and dtype (else ValueError naming the first that differs). Files are
    ordered by Instance Number when every file has one, else by path. The
    pixels are decoded when the array is computed, by dicomcodecs in whichever
    scheduler computes it (threads by default, the workers of a distributed
    Client when one is active), with the pydicom plugin registered there.
    `chunks`: 'file' (one chunk per file) or 'frame' (one per frame)."""
    dask = _require("dask")
    da = _require("dask.array")
    from ._clifiles import find_inputs

    if chunks not in ("file", "frame"):
        raise ValueError(f"chunks={chunks!r}: 'file' or 'frame'")
    found = find_inputs(_paths(inputs))
    if found.problems:
        name, why = found.problems[0]
        raise ValueError(f"{name}: {why}")
    if not found.files:
        raise ValueError(f"no DICOM files in {', '.join(_paths(inputs))}")
    headers = [_header(item, as_rgb) for item in found.files]
    if all(h.instance is not None for h in headers):
        headers.sort(key=lambda h: (h.instance, h.path))
    first = headers[0]
    for h in headers[1:]:
        if (h.shape, h.dtype) != (first.shape, first.dtype):
            raise ValueError(
                f"{h.path}: frames of {'x'.join(map(str, h.shape))} {h.dtype}, but "
                f"{first.path} has {'x'.join(map(str, first.shape))} {first.dtype}; a series "
                "array needs one frame shape and dtype")
    decode = dask.delayed(_decode, pure=True)
    blocks = []
    for h in headers:
        if chunks == "file":
            blocks.append(da.from_delayed(decode(h.path, h.bare, None, as_rgb, h.shape),
                                          (h.frames, *h.shape), h.dtype))
        else:
            blocks.extend(da.from_delayed(decode(h.path, h.bare, [i], as_rgb, h.shape),
                                          (1, *h.shape), h.dtype) for i in range(h.frames))
    return da.concatenate(blocks, axis=0)
