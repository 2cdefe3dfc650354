"""Side-by-side benchmarks against the peers a user would pick instead, in
one process, on the same files; reports medians, ratios (peer / ours) and the
performance targets each codec family is held to."""

from __future__ import annotations

import importlib
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository: tests.datafiles
from tests.datafiles import find_testfile  # noqa: E402

from dicomcodecs._uids import (DEFLATED_FRAME, EXPLICIT_LE, HTJ2K_LOSSLESS,  # noqa: E402
                               J2K_LOSSLESS, JPEG_BASELINE, JPEG_LOSSLESS_SV1, JPEGLS_LOSSLESS,
                               JXL_JPEG, JXL_LOSSLESS, RLE_LOSSLESS)

# Where the sections that other scripts measure begin in RESULTS.md (kept on a rerun).
KEEP_MARK = "<!-- Sections below are measured by other scripts; dicomcodecs bench keeps them. -->"

RLE = RLE_LOSSLESS
JPEG_SV1 = JPEG_LOSSLESS_SV1
JPEGLS = JPEGLS_LOSSLESS

# The four pydicom-data images every family is measured on, and a 120-frame one.
IMAGES = ["693", "MR2", "RG1", "US1"]
COLOR3D = "color3d_jpeg_baseline.dcm"
FAMILIES = ["rle", "jpeg", "jpegls", "j2k", "htj2k", "jxl", "deflate"]
JXL_RECOMPRESSION = JXL_JPEG
DEFLATE = DEFLATED_FRAME
JPEG_QUALITY, JPEG_SUBSAMPLING = 90, 422


class _Missing:
    """Stands in for a peer module that is not installed: using it raises,
    which the timing helper reports as n/a."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __getattr__(self, attr: str) -> Any:
        raise ImportError(f"{self.name} is not installed")


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return _Missing(name)


# ------------------------------------------------------------------ files

def _find(name: str) -> Path:
    return find_testfile(name)


def _cached(out: Path, make: Callable[[Path], Any]) -> Path:
    """`out`, made once by make(tmp_path) and renamed (a killed run leaves no half file)."""
    if not out.exists():
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".part")
        make(tmp)
        tmp.replace(out)
    return out


def _dcmtk(tool: str, *opts: str) -> Callable[[Path, Path], None]:
    exe = shutil.which(tool)
    if exe is None:
        raise RuntimeError(f"{tool} (DCMTK) is needed: apt-get install dcmtk, or 'make deps'")

    def run(src: Path, out: Path) -> None:
        subprocess.run([exe, *opts, str(src), str(out)], check=True, capture_output=True)

    return run


def _uncompressed(name: str, workdir: Path) -> Path:
    """The image as Explicit VR Little Endian; compressed sources are decoded
    once with pydicom's own pillow plugin (not ours), to RGB."""
    import pydicom
    from pydicom.pixels import get_decoder

    src = _find(name if name.endswith(".dcm") else f"{name}_UNCR.dcm")
    ds = pydicom.dcmread(src, stop_before_pixels=True)
    if not ds.file_meta.TransferSyntaxUID.is_compressed:
        return src

    def make(out: Path) -> None:
        ds = pydicom.dcmread(src)
        arr, props = get_decoder(ds.file_meta.TransferSyntaxUID).as_array(ds, decoding_plugin="pillow")
        ds.PixelData = arr.tobytes()
        ds["PixelData"].VR = "OB" if ds.BitsAllocated <= 8 else "OW"
        ds["PixelData"].is_undefined_length = False
        ds.PhotometricInterpretation = props.get("photometric_interpretation", "RGB")
        if ds.SamplesPerPixel > 1:
            ds.PlanarConfiguration = 0
        ds.file_meta.TransferSyntaxUID = EXPLICIT_LE
        ds.save_as(out, enforce_file_format=True)

    return _cached(workdir / f"{src.stem}_UNC.dcm", make)


def _compressed_by_us(syntax: str) -> Callable[[Path, Path], None]:
    def make(src: Path, out: Path) -> None:
        import pydicom

        import dicomcodecs as dc

        ds = pydicom.dcmread(src)
        dc.compress(ds, syntax)
        ds.save_as(out, enforce_file_format=True)

    return make


def _derived(workdir: Path, sources: list[str], variants: list[tuple[str, Callable, Callable]]):
    """(kind, compressed path, uncompressed path) for each source x variant
    whose predicate holds; a file that cannot be made is reported and skipped."""
    import pydicom

    out, notes = [], []
    for name in sources:
        unc = _uncompressed(name, workdir)
        bits = pydicom.dcmread(unc, stop_before_pixels=True).BitsStored
        for kind, make, wanted in variants:
            if not wanted(bits):
                continue
            stem = unc.stem.replace("_UNCR", "").replace("_UNC", "")
            target = workdir / f"{stem}_{kind.replace(' ', '_')}.dcm"
            try:
                out.append((kind, _cached(target, lambda p, m=make: m(unc, p)), unc))
            except Exception as exc:  # a missing tool or a refusing encoder: say so, go on
                notes.append(f"could not make {target.name}: {exc}")
    return out, notes


def rle_files(workdir: Path):
    return _derived(workdir, [*IMAGES, COLOR3D], [("rle", _dcmtk("dcmcrle"), lambda b: True)])


def jpeg_files(workdir: Path):
    files, notes = _derived(workdir, IMAGES, [
        ("lossless SV1", _dcmtk("dcmcjpeg", "+e1"), lambda b: True),
        ("lossless P14 SV6", _dcmtk("dcmcjpeg", "+el", "+sv", "6"), lambda b: True),
        ("12-bit", _dcmtk("dcmcjpeg", "+ee"), lambda b: b > 8),
    ])
    return files + [("baseline", _find(COLOR3D), _uncompressed(COLOR3D, workdir))], notes


def jpegls_files(workdir: Path):
    return _derived(workdir, [*IMAGES, COLOR3D], [("jls", _dcmtk("dcmcjpls"), lambda b: True)])


def j2k_files(workdir: Path):
    files, notes = [], []
    for name in IMAGES:
        for kind in ("J2KR", "J2KI"):
            try:
                files.append((kind, _find(f"{name}_{kind}.dcm"), _uncompressed(name, workdir)))
            except FileNotFoundError as exc:
                notes.append(f"n/a: {exc}")
    many, more = _derived(workdir, [COLOR3D], [("j2k", _compressed_by_us("j2k-lossless"), lambda b: True)])
    return files + many, notes + more


def htj2k_files(workdir: Path):
    files, notes = _derived(workdir, IMAGES, [("htj2k", _compressed_by_us("htj2k-lossless"), lambda b: True)])
    for _, path, _ in files:
        notes.append(_ojph_check(path, workdir))
    return files, notes


def _ojph_check(path: Path, workdir: Path) -> str:
    """Does OpenJPH's own ojph_expand decode our codestream? (checked once per file)."""
    stamp = path.with_suffix(".ojph-ok")
    if stamp.exists():
        return f"{path.name}: ojph_expand decodes it (checked when made)"
    exe = shutil.which("ojph_expand")
    if exe is None:
        return f"{path.name}: ojph_expand not installed, not checked"
    import pydicom

    ds = pydicom.dcmread(path)
    j2c, image = workdir / "check.j2c", workdir / ("check.ppm" if ds.SamplesPerPixel == 3 else "check.pgm")
    j2c.write_bytes(_frame_bytes(ds)[0])
    r = subprocess.run([exe, "-i", str(j2c), "-o", str(image)], capture_output=True, text=True)
    if r.returncode == 0 and image.exists() and image.stat().st_size:
        stamp.touch()
        return f"{path.name}: ojph_expand decodes it"
    return f"{path.name}: ojph_expand FAILED: {(r.stderr or r.stdout).strip()[:200]}"


def _frame_bytes(ds: Any) -> list[bytes]:
    from pydicom.encaps import generate_frames

    n = int(ds.get("NumberOfFrames", 1) or 1)
    return list(generate_frames(ds.PixelData, number_of_frames=n))


def _frames_array(ds: Any) -> np.ndarray:
    """The dataset's pixels as (frames, rows, columns[, samples])."""
    arr = ds.pixel_array
    n = int(ds.get("NumberOfFrames", 1) or 1)
    return arr.reshape(n, *arr.shape[-3 if ds.SamplesPerPixel > 1 else -2:])


# ------------------------------------------------------------- measuring

def _runs(warm: float, repeat: int, budget: float, min_runs: int) -> int:
    """How many timed calls a call whose warm-up took `warm` seconds gets:
    `repeat`, more for a fast call (enough for FILL_SECONDS, at most
    MAX_RUNS), fewer for one so slow that `repeat` would pass `budget`
    seconds (at least `min_runs`)."""
    fits = budget / max(warm, 1e-9)
    runs = repeat if fits >= repeat else max(min_runs, int(fits))
    if runs == repeat:
        runs = max(runs, min(MAX_RUNS, int(FILL_SECONDS // max(warm, 1e-9))))
    return runs


FILL_SECONDS = 0.3
MAX_RUNS = 200


def _median(fn: Callable[..., Any], repeat: int, setup: Callable[[], Any] | None = None,
            budget: float = float("inf"), min_runs: int = 1):
    """(median seconds of the calls after one warm-up call (_runs says how
    many), the warm-up's result, the number of timed calls); (None,
    exception, 0) when the call fails. `setup()`, untimed, makes a fresh
    argument for each call."""
    return _median_rounds({"": (fn, setup)}, repeat, budget, min_runs)[""]


def _median_rounds(calls: dict[str, tuple[Callable[..., Any], Callable[[], Any] | None]],
                   repeat: int, budget: float = float("inf"), min_runs: int = 1
                   ) -> dict[str, tuple[float | None, Any, int]]:
    """_median for several calls at once, timed in rounds (one call of each
    in turn, the order rotating from round to round), so that a change of
    machine speed during the measurement (other load, clock) falls on all of
    them alike instead of on whichever was timed then."""
    result: dict[str, tuple[float | None, Any, int]] = {}
    runs: dict[str, int] = {}
    for name, (fn, setup) in calls.items():
        try:
            t0 = time.perf_counter()
            first = fn(setup()) if setup else fn()
            warm = time.perf_counter() - t0
        except Exception as exc:  # the peer cannot handle it: n/a, and say why
            result[name] = (None, exc, 0)
            continue
        runs[name] = _runs(warm, repeat, budget, min_runs)
        result[name] = (warm, first, 0)
    times: dict[str, list[float]] = {name: [] for name in runs}
    order = list(runs)
    for r in range(max(runs.values(), default=0)):
        k = r % len(order)
        for name in order[k:] + order[:k]:
            if r >= runs[name]:
                continue
            fn, setup = calls[name]
            args = (setup(),) if setup else ()
            try:
                t0 = time.perf_counter()
                fn(*args)
                times[name].append(time.perf_counter() - t0)
            except Exception as exc:
                result[name] = (None, exc, 0)
                runs[name] = 0
    for name, n in runs.items():
        warm, first, _ = result[name]
        if n or warm is None:
            if warm is not None:
                result[name] = (statistics.median(times[name]), first, n)
        else:  # min_runs=0: a very slow call counts its warm-up
            result[name] = (warm, first, 0)
    return result


def _via_pydicom(ds: Any, plugin: str, encode: str | None = None) -> Callable[[], Any] | None:
    """A fresh pydicom decode (`as_array`) or encode (`iter_encode` to the
    `encode` UID) call through one named plugin; None if pydicom lacks it."""
    from pydicom.pixels import get_decoder, get_encoder

    uid = encode or ds.file_meta.TransferSyntaxUID
    try:
        coder = get_encoder(uid) if encode else get_decoder(uid)
    except NotImplementedError:
        return None
    if coder is None or plugin not in coder.available_plugins:
        return None
    if encode:
        return lambda: list(get_encoder(uid).iter_encode(ds, encoding_plugin=plugin))
    return lambda: get_decoder(uid).as_array(ds, decoding_plugin=plugin)[0]


@dataclass
class Row:
    label: str
    op: str
    ours: float | None
    mpix: float
    peers: dict[str, float | None]

    def ratio(self, peer: str) -> float | None:
        t = self.peers.get(peer)
        return t / self.ours if t and self.ours else None

    def fastest(self, names: tuple[str, ...] | None = None) -> float | None:
        ts = [t for p, t in self.peers.items() if t and (names is None or p in names)]
        return min(ts) if ts else None


@dataclass
class Target:
    text: str
    ratio: float | None
    need: float
    at_most: bool = False  # the ratio must stay at or below `need`

    @property
    def result(self) -> str:
        if self.ratio is None:
            return "n/a"
        return "PASS" if (self.ratio <= self.need if self.at_most else self.ratio >= self.need) else "MISS"


@dataclass
class Section:
    """One codec family's table, targets and notes."""
    title: str
    repeat: int
    budget: float = float("inf")
    min_runs: int = 1
    rows: list[Row] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def measure(self, label: str, op: str, mpix: float, ours: Callable | float | None,
                peers: dict[str, Callable | float | None], ref: np.ndarray | None = None,
                tol: int = 0, setup: dict[str, Callable] | None = None) -> Row:
        """Time ours and each peer (a callable, an already measured time, or
        None for n/a); with `ref`, check that each decoded result matches it."""
        setup = setup or {}
        times = {}
        everyone = [("dicomcodecs", ours), *peers.items()]
        timed = _median_rounds({name: (fn, setup.get(name)) for name, fn in everyone
                                if fn is not None and not isinstance(fn, float)},
                               self.repeat, self.budget, self.min_runs)
        for name, fn in everyone:
            if fn is None or isinstance(fn, float):
                times[name] = fn
                continue
            times[name], first, runs = timed[name]
            if times[name] is not None and runs < self.repeat:
                what = f"{runs} time(s)" if runs else "its warm-up only"
                self.notes.append(f"{label}, {op}: {name} timed {what} (slow)")
            if times[name] is None:
                self.notes.append(f"{label}, {op}: {name} n/a ({type(first).__name__}: "
                                  f"{str(first)[:150]})")
            elif ref is not None:
                self._check(label, op, name, first, ref, tol)
        row = Row(label, op, times.pop("dicomcodecs"), mpix, times)
        self.rows.append(row)
        cells = _row_cells(row)
        print(f"  {cells[0]}, {cells[1]}: {cells[2]} ms; {cells[4]}", file=sys.stderr, flush=True)
        return row

    def _check(self, label: str, op: str, name: str, got: Any, ref: np.ndarray, tol: int) -> None:
        got = np.asarray(got)
        if got.dtype.itemsize == ref.dtype.itemsize:  # a peer that ignores the sign: same bits
            got = got.view(ref.dtype)
        if got.size != ref.size:
            self.notes.append(f"{label}, {op}: {name} gave shape {got.shape}, ours {ref.shape}")
            return
        diff = np.abs(got.reshape(ref.shape).astype(np.int64) - ref.astype(np.int64)).max()
        if diff > tol:
            self.notes.append(f"{label}, {op}: {name} differs from our pixel_array by up to {diff}")

    def target(self, text: str, peer: float | None, ours: float | None, need: float,
               at_most: bool = False) -> None:
        ratio = peer / ours if peer and ours else None
        self.targets.append(Target(text, ratio, need, at_most))


def _describe(ds: Any, kind: str, path: Path) -> tuple[str, float]:
    n = int(ds.get("NumberOfFrames", 1) or 1)
    frames = f", {n} fr" if n > 1 else ""
    label = (f"{path.stem} ({kind}, {ds.Columns}x{ds.Rows}x{ds.SamplesPerPixel}, "
             f"{ds.BitsStored}-bit{frames})")
    return label, ds.Rows * ds.Columns * n / 1e6


def _decode_rows(sec: Section, ds: Any, label: str, mpix: float, peers: tuple[str, ...],
                 tol: int = 0) -> tuple[Row, Row, np.ndarray]:
    """Through pydicom (ours vs each peer plugin), then our direct
    pixel_array(threads=1) against the same peer times."""
    import dicomcodecs as dc

    ref = dc.pixel_array(ds, threads=1)
    via = sec.measure(label, "decode via pydicom", mpix, _via_pydicom(ds, "dicomcodecs"),
                      {p: _via_pydicom(ds, p) for p in peers}, ref=ref, tol=tol)
    direct = sec.measure(label, "decode pixel_array(threads=1)", mpix,
                         lambda: dc.pixel_array(ds, threads=1), dict(via.peers))
    return via, direct, ref


def _encode_rows(sec: Section, unc: Any, uid: str, label: str, mpix: float,
                 pydicom_peers: tuple[str, ...], direct_peers: dict[str, Callable | None],
                 setup: dict[str, Callable] | None = None, **options: Any) -> tuple[Row | None, Row]:
    """Encoding `unc` (native pixel data): ours through pydicom vs pydicom's
    encoder plugins (when pydicom has any for `uid`), then our direct
    encode_frames(threads=1) vs those and `direct_peers`."""
    import dicomcodecs as dc

    arr = _frames_array(unc)
    pi, bits = str(unc.PhotometricInterpretation), int(unc.BitsStored)
    peers = {p: _via_pydicom(unc, p, encode=uid) for p in pydicom_peers}
    via = None
    if any(peers.values()):
        via = sec.measure(label, "encode via pydicom", mpix, _via_pydicom(unc, "dicomcodecs", uid), peers)
        peers = dict(via.peers)
    direct = sec.measure(label, "encode_frames(threads=1)", mpix, lambda: dc.encode_frames(
        arr, uid, photometric_interpretation=pi, bits_stored=bits, threads=1, **options),
        {**peers, **direct_peers}, setup=setup)
    return via, direct


def _threads_row(sec: Section, label: str, mpix: float, op: str, decode: Callable[[int], Any],
                 peers: dict) -> Row:
    """decode(threads=2) vs decode(threads=1) and `peers`."""
    return sec.measure(label, f"{op}(threads=2)", mpix, lambda: decode(2),
                       {f"{op}(threads=1)": lambda: decode(1), **peers})


def _pixel_array(ds: Any) -> Callable[[int], Any]:
    import dicomcodecs as dc

    return lambda threads: dc.pixel_array(ds, threads=threads)


def _dcmread(path: Path) -> Any:
    import pydicom

    return pydicom.dcmread(path)


# ------------------------------------------------------------- families

def _each_file(sec: Section, files_of: Callable, workdir: Path):
    """(kind, path, uncompressed path, dataset, uncompressed dataset, label,
    megapixels) for each file a family's maker gives; its notes go to the
    section."""
    files, notes = files_of(workdir)
    sec.notes += notes
    for kind, path, unc_path in files:
        ds, unc = _dcmread(path), _dcmread(unc_path)
        label, mpix = _describe(ds, kind, path)
        yield kind, path, unc_path, ds, unc, label, mpix


def bench_rle(sec: Section, workdir: Path) -> None:
    import dicomcodecs as dc

    for kind, path, unc_path, ds, unc, label, mpix in _each_file(sec, rle_files, workdir):
        via, _, _ = _decode_rows(sec, ds, label, mpix, ("pylibjpeg", "gdcm", "pydicom"))
        sec.target(f"{path.stem}: decode via pydicom >= 1.5x pylibjpeg",
                   via.peers.get("pylibjpeg"), via.ours, 1.5)
        enc_via, enc = _encode_rows(sec, unc, RLE, label, mpix, ("pylibjpeg", "gdcm", "pydicom"), {})
        if enc_via:
            sec.target(f"{path.stem}: encode via pydicom >= 1.5x fastest peer plugin",
                       enc_via.fastest(), enc_via.ours, 1.5)
        sec.target(f"{path.stem}: encode_frames >= 1.5x fastest peer plugin", enc.fastest(), enc.ours, 1.5)
        if int(ds.get("NumberOfFrames", 1) or 1) > 1:
            frames, info = _frame_bytes(ds), dc.FrameInfo.from_dataset(ds)
            row = _threads_row(sec, label, mpix, "decode_frames",
                               lambda n: dc.decode_frames(frames, info, threads=n), {})
            sec.target(f"{path.stem}: decode_frames threads=2 >= 1.8x threads=1",
                       row.peers["decode_frames(threads=1)"], row.ours, 1.8)


def _gdcm_encode(path: Path, syntax: str) -> tuple[Callable | None, Callable | None]:
    """(fn, setup) encoding with python-gdcm in process: setup reads the file
    (untimed, gdcm converts the image it is given in place), fn changes its
    transfer syntax."""
    try:
        import gdcm
    except ImportError:
        return None, None

    def setup():
        r = gdcm.ImageReader()
        r.SetFileName(str(path))
        if not r.Read():
            raise RuntimeError(f"gdcm cannot read {path}")
        return r  # keeps the image alive

    def fn(reader):
        c = gdcm.ImageChangeTransferSyntax()
        c.SetTransferSyntax(gdcm.TransferSyntax(getattr(gdcm.TransferSyntax, syntax)))
        c.SetInput(reader.GetImage())
        if not c.Change():
            raise RuntimeError("gdcm ImageChangeTransferSyntax failed")
        return c.GetOutput()

    return fn, setup


def bench_jpeg(sec: Section, workdir: Path) -> None:
    imagecodecs = _optional("imagecodecs")

    import dicomcodecs as dc

    encoded = set()
    for kind, path, unc_path, ds, unc, label, mpix in _each_file(sec, jpeg_files, workdir):
        lossy = kind in ("12-bit", "baseline")
        via, _, ref = _decode_rows(sec, ds, label, mpix, ("gdcm", "pylibjpeg", "pillow"),
                                   tol=3 if lossy or ds.SamplesPerPixel > 1 else 0)
        if kind.startswith("lossless"):
            sec.target(f"{path.stem}: decode via pydicom >= 1.5x fastest of gdcm/pylibjpeg",
                       via.fastest(("gdcm", "pylibjpeg")), via.ours, 1.5)
            frame, info = _frame_bytes(ds)[0], dc.FrameInfo.from_dataset(ds)
            row = sec.measure(label, "decode_frame vs imagecodecs direct", mpix,
                              lambda: dc.decode_frame(frame, info),
                              {"imagecodecs.ljpeg_decode": lambda: imagecodecs.ljpeg_decode(frame)},
                              ref=ref, tol=0)
            sec.target(f"{path.stem}: decode_frame >= 1.0x imagecodecs.ljpeg_decode",
                       row.peers["imagecodecs.ljpeg_decode"], row.ours, 1.0)
        if kind == "12-bit":
            sec.target(f"{path.stem}: 12-bit decode via pydicom >= 2x pylibjpeg",
                       via.peers.get("pylibjpeg"), via.ours, 2.0)
        if kind == "baseline":
            _jpeg_color(sec, ds, label, mpix, via, ref)
        if unc_path in encoded:
            continue
        encoded.add(unc_path)
        elabel, _ = _describe(unc, "native", unc_path)
        if kind != "baseline":
            fn, setup = _gdcm_encode(unc_path, "JPEGLosslessProcess14_1")
            _, row = _encode_rows(sec, unc, JPEG_SV1, f"{elabel} to lossless SV1", mpix, (),
                                  {"gdcm API": fn}, setup={"gdcm API": setup})
            sec.target(f"{unc_path.stem}: lossless SV1 encode >= 1.5x gdcm",
                       row.peers["gdcm API"], row.ours, 1.5)
        if unc.BitsAllocated == 8:
            arr = _frames_array(unc)
            _, row = _encode_rows(sec, unc, JPEG_BASELINE, f"{elabel} to baseline", mpix, (),
                                  {"imagecodecs.jpeg8_encode": lambda a=arr: [
                                      imagecodecs.jpeg8_encode(f, level=JPEG_QUALITY, optimize=True,
                                                               subsampling=str(JPEG_SUBSAMPLING))
                                      for f in a]},
                                  quality=JPEG_QUALITY, subsampling=JPEG_SUBSAMPLING)
            sec.target(f"{unc_path.stem}: baseline encode within 10% of libjpeg-turbo (imagecodecs)",
                       row.peers["imagecodecs.jpeg8_encode"], row.ours, 0.9)
    sec.notes.append("gdcm encode: python-gdcm ImageChangeTransferSyntax(JPEGLosslessProcess14_1) "
                     "in process on an image read (untimed) from the uncompressed file; "
                     f"baseline: quality {JPEG_QUALITY}, 4:2:2, optimized Huffman tables on both sides.")


def _jpeg_color(sec: Section, ds: Any, label: str, mpix: float, via: Row, ref: np.ndarray) -> None:
    """The many-frame YBR_FULL_422 baseline file to RGB with 2 threads."""
    imagecodecs = _optional("imagecodecs")
    from pydicom.pixels import get_decoder

    import dicomcodecs as dc
    from dicomcodecs import pydicom as dcp

    frames = _frame_bytes(ds)
    # The user's baseline: pydicom as shipped, pillow plugin, pydicom's own
    # numpy YBR->RGB (register() replaces that step for every plugin).
    dcp.unregister()
    try:
        stock, _, _ = _median(lambda: get_decoder(ds.file_meta.TransferSyntaxUID).as_array(
            ds, decoding_plugin="pillow"), sec.repeat, budget=sec.budget, min_runs=sec.min_runs)
    finally:
        dcp.register(first=False)
    pool = ThreadPoolExecutor(2)
    try:
        row = sec.measure(label, "to RGB, 2 threads", mpix, lambda: dc.pixel_array(ds, threads=2), {
            "pydicom+pillow as shipped": stock,
            "pydicom+pillow (our YBR->RGB)": via.peers.get("pillow"),
            "imagecodecs.jpeg8_decode, 2-thread pool": lambda: np.stack(
                list(pool.map(imagecodecs.jpeg8_decode, frames)))}, ref=ref, tol=3)
    finally:
        pool.shutdown()
    dcp.unregister()
    dcp.register(first=True)
    try:
        first = sec.measure(label, "via pydicom, dicomcodecs registered first", mpix,
                            lambda: get_decoder(ds.file_meta.TransferSyntaxUID).as_array(ds)[0],
                            {"pydicom+pillow as shipped": stock,
                             "pydicom+pillow (our YBR->RGB)": via.peers.get("pillow")})
    finally:
        dcp.unregister()
        dcp.register(first=False)
    sec.target("color3d: pixel_array(threads=2) >= 5x pydicom+pillow (as shipped)",
               row.peers["pydicom+pillow as shipped"], row.ours, 5.0)
    sec.target("color3d: pixel_array(threads=2) >= 1.0x imagecodecs 2-thread pool",
               row.peers["imagecodecs.jpeg8_decode, 2-thread pool"], row.ours, 1.0)
    sec.target("color3d: pydicom with dicomcodecs first >= 3x pydicom+pillow (as shipped)",
               first.peers["pydicom+pillow as shipped"], first.ours, 3.0)


def bench_jpegls(sec: Section, workdir: Path) -> None:
    from dicomcodecs import registry

    try:
        registry.get_decoder(JPEGLS)
        registry.get_encoder(JPEGLS)
    except Exception as exc:
        sec.notes.append(f"skipped: dicomcodecs has no JPEG-LS codec yet ({exc})")
        return
    import dicomcodecs as dc

    jpeg_ls = _optional("jpeg_ls")
    imagecodecs = _optional("imagecodecs")
    for kind, path, unc_path, ds, unc, label, mpix in _each_file(sec, jpegls_files, workdir):
        via, _, ref = _decode_rows(sec, ds, label, mpix, ("pyjpegls", "gdcm", "pylibjpeg"))
        sec.target(f"{path.stem}: decode via pydicom >= 1.2x pyjpegls",
                   via.peers.get("pyjpegls"), via.ours, 1.2)
        sec.target(f"{path.stem}: decode via pydicom >= 2x gdcm", via.peers.get("gdcm"), via.ours, 2.0)
        nframes = int(ds.get("NumberOfFrames", 1) or 1)
        frame, info = _frame_bytes(ds)[0], dc.FrameInfo.from_dataset(ds)
        fmp = mpix / nframes
        if imagecodecs is not None:
            # CharLS 2.4.3 built Release (imagecodecs), the same stream
            row = sec.measure(label, "decode_frame vs imagecodecs direct", fmp,
                              lambda: dc.decode_frame(frame, info),
                              {"imagecodecs.jpegls_decode": lambda: imagecodecs.jpegls_decode(frame)},
                              ref=ref[0] if nframes > 1 else ref, tol=0)
            sec.target(f"{path.stem}: decode_frame >= 1.2x imagecodecs.jpegls_decode",
                       row.peers["imagecodecs.jpegls_decode"], row.ours, 1.2)
        arr = _frames_array(unc)
        if imagecodecs is not None:
            # imagecodecs codes a container's full width (8 or 16 bits), so
            # ours is given the same precision; unsigned bits, as CharLS takes them
            f0 = arr[0].view(arr.dtype.str.replace("i", "u"))
            bits = 8 * f0.dtype.itemsize
            pi = str(unc.PhotometricInterpretation)
            row = sec.measure(label, "encode_frame vs imagecodecs direct", fmp,
                              lambda: dc.encode_frame(f0, JPEGLS, bits_stored=bits,
                                                      photometric_interpretation=pi),
                              {"imagecodecs.jpegls_encode": lambda: imagecodecs.jpegls_encode(f0)})
            sec.target(f"{path.stem}: encode_frame >= 1.2x imagecodecs.jpegls_encode",
                       row.peers["imagecodecs.jpegls_encode"], row.ours, 1.2)
        enc_via, enc = _encode_rows(sec, unc, JPEGLS, label, mpix, ("pyjpegls", "gdcm"), {
            # jpeg_ls takes unsigned samples only: give it the same bits as unsigned.
            "jpeg_ls.encode": lambda a=arr.view(arr.dtype.str.replace("i", "u")):
                [jpeg_ls.encode(f) for f in a]})
        if enc_via:
            sec.target(f"{path.stem}: encode via pydicom >= 1.0x pyjpegls plugin",
                       enc_via.peers.get("pyjpegls"), enc_via.ours, 1.0)
        sec.target(f"{path.stem}: encode_frames >= 1.0x jpeg_ls.encode",
                   enc.peers.get("jpeg_ls.encode"), enc.ours, 1.0)
        if nframes > 1:
            row = _threads_row(sec, label, mpix, "pixel_array", _pixel_array(ds),
                               {"pydicom+pyjpegls": via.peers.get("pyjpegls")})
            sec.target(f"{path.stem}: pixel_array(threads=2) >= 2.2x pyjpegls via pydicom",
                       row.peers["pydicom+pyjpegls"], row.ours, 2.2)


J2K_PEERS = ("gdcm", "pylibjpeg")


def _pinned(repeat: int, budget: float, min_runs: int,
            paths: list[str]) -> dict[str, dict[str, float | None]]:
    """Run in a child under `taskset -c 0`: via-pydicom decode times per file."""
    from dicomcodecs import pydicom as dcp

    dcp.register(first=False)
    out = {}
    for p in paths:
        ds = _dcmread(Path(p))
        out[p] = {name: fn and _median(fn, repeat, None, budget, min_runs)[0]
                  for name in ("dicomcodecs", *J2K_PEERS) for fn in [_via_pydicom(ds, name)]}
    return out


def _run_pinned(sec: Section, paths: list[Path]) -> dict[str, dict[str, float | None]] | str:
    exe = shutil.which("taskset")
    if exe is None:
        return "taskset not found (util-linux)"
    here = str(Path(__file__).resolve().parent)
    code = (f"import json, sys; sys.path.insert(0, {here!r}); import harness; "
            "print(json.dumps(harness._pinned(int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), "
            "sys.argv[4:])))")
    r = subprocess.run([exe, "-c", "0", sys.executable, "-c", code, str(sec.repeat), str(sec.budget),
                        str(sec.min_runs), *map(str, paths)],
                       capture_output=True, text=True)
    if r.returncode:
        return f"pinned run failed: {r.stderr.strip()[-300:]}"
    return json.loads(r.stdout.strip().splitlines()[-1])


def bench_j2k(sec: Section, workdir: Path) -> None:
    files, notes = j2k_files(workdir)
    sec.notes += notes
    single = [f for f in files if f[0] != "j2k"]
    print("  pinned to core 0 (child process)...", file=sys.stderr, flush=True)
    pinned = _run_pinned(sec, [p for _, p, _ in single])
    if isinstance(pinned, str):
        sec.notes.append(pinned)
        pinned = {}
    for kind, path, _ in files:
        ds = _dcmread(path)
        label, mpix = _describe(ds, kind, path)
        if kind == "j2k":  # the 120-frame file: all cores on the frames
            via = sec.measure(label, "decode via pydicom", mpix, _via_pydicom(ds, "dicomcodecs"),
                              {p: _via_pydicom(ds, p) for p in J2K_PEERS})
            row = _threads_row(sec, label, mpix, "pixel_array", _pixel_array(ds),
                               {f"pydicom+{p}": t for p, t in via.peers.items()})
            sec.target(f"{path.stem}: pixel_array(threads=2) >= 1.8x fastest plugin via pydicom",
                       via.fastest(), row.ours, 1.8)
            continue
        times = dict(pinned.get(str(path), {}))
        if times:
            row = sec.measure(label, "via pydicom, pinned to 1 core", mpix, times.pop("dicomcodecs"), times)
            sec.target(f"{path.stem}: pinned to 1 core >= 1.0x fastest peer", row.fastest(), row.ours, 1.0)
        via, _, _ = _decode_rows(sec, ds, label, mpix, J2K_PEERS, tol=0 if kind == "J2KR" else 2)
        sec.target(f"{path.stem}: via pydicom, default threads >= 1.1x fastest peer",
                   via.fastest(), via.ours, 1.1)
        if path.stem == "RG1_J2KR":
            row = _threads_row(sec, label, mpix, "pixel_array", _pixel_array(ds), {})
            sec.target("RG1_J2KR: pixel_array threads=2 >= 1.8x threads=1",
                       row.peers["pixel_array(threads=1)"], row.ours, 1.8)
    sec.notes.append("pinned: a child process under `taskset -c 0` (gdcm's and OpenJPEG's own "
                     "threads included); unpinned: each plugin with its default threading.")


def bench_htj2k(sec: Section, workdir: Path) -> None:
    imagecodecs = _optional("imagecodecs")

    import dicomcodecs as dc

    for kind, path, unc_path, ds, unc, label, mpix in _each_file(sec, htj2k_files, workdir):
        via, _, ref = _decode_rows(sec, ds, label, mpix, ("pylibjpeg", "gdcm"))
        sec.target(f"{path.stem}: decode via pydicom >= 1.5x pylibjpeg",
                   via.peers.get("pylibjpeg"), via.ours, 1.5)
        frame, info = _frame_bytes(ds)[0], dc.FrameInfo.from_dataset(ds)
        sec.measure(label, "decode_frame vs imagecodecs direct", mpix, lambda: dc.decode_frame(frame, info),
                    {"imagecodecs.htj2k_decode": lambda: imagecodecs.htj2k_decode(frame)}, ref=ref)
        arr = _frames_array(unc)
        pi, bits = str(unc.PhotometricInterpretation), int(unc.BitsStored)
        _, enc = _encode_rows(sec, unc, HTJ2K_LOSSLESS, label, mpix, (), {
            "imagecodecs.htj2k_encode": lambda: [imagecodecs.htj2k_encode(f, reversible=True) for f in arr],
            "our J2K lossless": lambda: dc.encode_frames(arr, J2K_LOSSLESS, photometric_interpretation=pi,
                                                         bits_stored=bits, threads=1)})
        sec.target(f"{unc_path.stem}: HTJ2K encode >= 1.0x imagecodecs.htj2k_encode",
                   enc.peers["imagecodecs.htj2k_encode"], enc.ours, 1.0)
        sec.target(f"{unc_path.stem}: HTJ2K encode >= 5x our J2K lossless encode",
                   enc.peers["our J2K lossless"], enc.ours, 5.0)
        sizes = [sum(map(len, dc.encode_frames(arr, uid, photometric_interpretation=pi, bits_stored=bits)))
                 for uid in (HTJ2K_LOSSLESS, J2K_LOSSLESS)]
        sec.target(f"{unc_path.stem}: HTJ2K lossless size / our J2K lossless size ({sizes[0]} / "
                   f"{sizes[1]} bytes)", float(sizes[0]), float(sizes[1]), 1.1, at_most=True)


def _size(arr: np.ndarray, uid: str, pi: str, bits: int) -> int:
    import dicomcodecs as dc

    return sum(map(len, dc.encode_frames(arr, uid, photometric_interpretation=pi,
                                         bits_stored=bits)))


def _native(name: str, workdir: Path, kind: str):
    """(path, dataset, frames array, photometric, bits stored, label, MP) of
    a real uncompressed image, labelled as becoming `kind`."""
    path = _uncompressed(name, workdir)
    unc = _dcmread(path)
    label, mpix = _describe(unc, kind, path)
    return (path, unc, _frames_array(unc), str(unc.PhotometricInterpretation),
            int(unc.BitsStored), label, mpix)


def bench_jxl(sec: Section, workdir: Path) -> None:
    """JPEG XL lossless against imagecodecs' libjxl (a newer release, one
    thread each, effort 7 both), sizes against JPEG-LS and J2K lossless, and
    .111 recompression of real JPEG Baseline files."""
    imagecodecs = _optional("imagecodecs")

    import dicomcodecs as dc
    from dicomcodecs import _jxl

    try:
        theirs = f"imagecodecs {imagecodecs.__version__} with {imagecodecs.jpegxl_version()}"
    except Exception as exc:
        theirs = f"imagecodecs n/a ({exc})"
    sec.notes.append(f"ours: libjxl {_jxl.version()} (Debian 12); theirs: {theirs}")
    for name in IMAGES:
        unc_path, unc, arr, pi, bits, label, mpix = _native(name, workdir, "to JPEG XL lossless")
        # imagecodecs takes no signed samples and returns them unsigned (the
        # codestream's values): n/a and "differs" notes for signed images.
        sec.measure(label, "encode_frames(threads=1), effort 7", mpix, lambda: dc.encode_frames(
            arr, JXL_LOSSLESS, photometric_interpretation=pi, bits_stored=bits, threads=1),
            {"imagecodecs.jpegxl_encode": lambda: [imagecodecs.jpegxl_encode(
                f, lossless=True, effort=7, bitspersample=bits, numthreads=1) for f in arr]})
        frames = dc.encode_frames(arr, JXL_LOSSLESS, photometric_interpretation=pi, bits_stored=bits)
        info = dc.FrameInfo.from_dataset(unc).replace(transfer_syntax=JXL_LOSSLESS)
        # Speed is reported, not a target: the two sides run different libjxl releases.
        sec.measure(label, "decode_frames(threads=1)", mpix,
                    lambda: dc.decode_frames(frames, info, threads=1),
                    {"imagecodecs.jpegxl_decode": lambda: np.stack(
                        [imagecodecs.jpegxl_decode(f, numthreads=1) for f in frames])},
                    ref=arr)
        sizes = {uid: _size(arr, uid, pi, bits)
                 for uid in (JXL_LOSSLESS, JPEGLS, J2K_LOSSLESS)}
        sec.notes.append(f"{unc_path.stem} ({arr.nbytes} bytes native): lossless sizes: JPEG XL "
                         f"{sizes[JXL_LOSSLESS]}, JPEG-LS {sizes[JPEGLS]}, J2K "
                         f"{sizes[J2K_LOSSLESS]} bytes (JPEG XL / JPEG-LS "
                         f"{sizes[JXL_LOSSLESS] / sizes[JPEGLS]:.3f}, / J2K "
                         f"{sizes[JXL_LOSSLESS] / sizes[J2K_LOSSLESS]:.3f})")
    # .111: real JPEG Baseline files, recompressed and rebuilt without pixels.
    jpegs, notes = _derived(workdir, ["US1"], [("baseline", _dcmtk("dcmcjpeg", "+eb"),
                                                lambda b: b == 8)])
    sec.notes += notes
    for kind, path, unc_path in jpegs + [("baseline", _find(COLOR3D), None)]:
        ds = _dcmread(path)
        label, mpix = _describe(ds, kind, path)
        src = _frame_bytes(ds)
        ref = dc.pixel_array(ds, threads=1)
        rec = sec.measure(label, "to .111: from_jpeg per frame (effort 7)", mpix,
                          lambda: [_jxl.from_jpeg(f) for f in src], {})
        jxl = [_jxl.from_jpeg(f) for f in src]
        if [_jxl.to_jpeg(f) for f in jxl] != src:
            sec.notes.append(f"{label}: the rebuilt JPEG differs from the source")
        info = dc.FrameInfo.from_dataset(ds).replace(transfer_syntax=JXL_RECOMPRESSION)
        jinfo = info.replace(transfer_syntax=JPEG_BASELINE)
        sec.measure(label, ".111 decode_frames(threads=1)", mpix,
                    lambda: dc.decode_frames(jxl, info, threads=1),
                    {"the .50 JPEG, decode_frames": lambda: dc.decode_frames(src, jinfo, threads=1)},
                    ref=ref)
        n_src, n_jxl = sum(map(len, src)), sum(map(len, jxl))
        size_note = f"{path.stem}: JPEG {n_src} bytes -> .111 {n_jxl} bytes " \
                    f"({100 * (1 - n_jxl / n_src):.1f}% smaller; JPEG rebuilt byte for byte)"
        if len(src) == 1:  # for scale: the decoded pixels stored losslessly
            pix = ref[None]
            pi8 = "RGB" if pix.ndim == 4 else "MONOCHROME2"
            sizes = {u: _size(pix, u, pi8, 8) for u in (JXL_LOSSLESS, JPEGLS, J2K_LOSSLESS)}
            size_note += (f"; its decoded pixels losslessly: JPEG XL {sizes[JXL_LOSSLESS]}, "
                          f"JPEG-LS {sizes[JPEGLS]}, J2K {sizes[J2K_LOSSLESS]} bytes")
        sec.notes.append(size_note)
        sec.target(f"{path.stem}: .111 size / source JPEG size", float(n_jxl), float(n_src),
                   1.0, at_most=True)


def bench_deflate(sec: Section, workdir: Path) -> None:
    """Deflated Image Frame Compression (libdeflate) against Python's zlib
    on the same raw Deflate frames, one thread each."""
    import zlib

    import dicomcodecs as dc

    for name in IMAGES:
        unc_path, unc, arr, pi, bits, label, mpix = _native(name, workdir, "deflate")

        def zlib_encode():
            out = []
            for f in arr:
                c = zlib.compressobj(6, zlib.DEFLATED, -15)
                out.append(c.compress(f.tobytes()) + c.flush())
            return out

        sec.measure(label, "encode_frames(threads=1), level 6", mpix, lambda: dc.encode_frames(
            arr, DEFLATE, photometric_interpretation=pi, bits_stored=bits, threads=1),
            {"zlib level 6": zlib_encode})
        frames = dc.encode_frames(arr, DEFLATE, photometric_interpretation=pi, bits_stored=bits)
        info = dc.FrameInfo.from_dataset(unc).replace(transfer_syntax=DEFLATE)
        dec = sec.measure(label, "decode_frames(threads=1)", mpix,
                          lambda: dc.decode_frames(frames, info, threads=1),
                          {"zlib.decompress(wbits=-15)": lambda: [
                              zlib.decompress(f, -15) for f in frames]})
        sec.target(f"{unc_path.stem}: deflate decode >= 1.5x zlib.decompress",
                   dec.peers["zlib.decompress(wbits=-15)"], dec.ours, 1.5)
        sec.notes.append(f"{unc_path.stem}: {arr.nbytes} bytes -> {sum(map(len, frames))} "
                         "bytes deflated (level 6)")


BENCHES = {"rle": ("RLE Lossless", bench_rle), "jpeg": ("JPEG", bench_jpeg),
           "jpegls": ("JPEG-LS", bench_jpegls), "j2k": ("JPEG 2000", bench_j2k),
           "htj2k": ("HTJ2K", bench_htj2k), "jxl": ("JPEG XL", bench_jxl),
           "deflate": ("Deflated Image Frame Compression", bench_deflate)}

# What each family cannot run without: (module, pip distribution) of the test
# images and the peers it measures against, and the DCMTK tools that make its
# files. pydicom's pillow plugin makes the uncompressed sources for all.
_COMMON = [("pydicom", "pydicom"), ("data_store", "pydicom-data"), ("PIL", "pillow")]
NEEDS = {
    "rle": (_COMMON + [("pylibjpeg", "pylibjpeg"), ("rle", "pylibjpeg-rle"), ("gdcm", "python-gdcm")],
            ["dcmcrle"]),
    "jpeg": (_COMMON + [("pylibjpeg", "pylibjpeg"), ("libjpeg", "pylibjpeg-libjpeg"),
                        ("gdcm", "python-gdcm"), ("imagecodecs", "imagecodecs")], ["dcmcjpeg"]),
    "jpegls": (_COMMON + [("jpeg_ls", "pyjpegls"), ("gdcm", "python-gdcm"),
                          ("pylibjpeg", "pylibjpeg"), ("libjpeg", "pylibjpeg-libjpeg")], ["dcmcjpls"]),
    "j2k": (_COMMON + [("pylibjpeg", "pylibjpeg"), ("openjpeg", "pylibjpeg-openjpeg"),
                       ("gdcm", "python-gdcm")], []),
    "htj2k": (_COMMON + [("pylibjpeg", "pylibjpeg"), ("openjpeg", "pylibjpeg-openjpeg"),
                         ("gdcm", "python-gdcm"), ("imagecodecs", "imagecodecs")], []),
    "jxl": (_COMMON + [("imagecodecs", "imagecodecs")], []),
    "deflate": (_COMMON, []),
}


def missing(family: str) -> tuple[list[str], list[str]]:
    """(pip distributions, command-line tools) the family lacks here."""
    import importlib.util

    modules, tools = NEEDS[family]
    dists = [dist for module, dist in modules if importlib.util.find_spec(module) is None]
    return dists, [t for t in tools if shutil.which(t) is None]


# ------------------------------------------------------------- reporting

def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("dicomcodecs", "pydicom", "numpy", "pylibjpeg", "pylibjpeg-rle", "python-gdcm",
                "pylibjpeg-libjpeg", "pylibjpeg-openjpeg", "pyjpegls", "pillow", "imagecodecs"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    try:
        import dicomcodecs as dc

        engines = {f"{e} {v}" for _, _, _, e, v in dc.codecs() if e and e != "dicomcodecs"}
        out["our engines"] = "; ".join(sorted(engines))
    except Exception:
        pass
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from dicomcodecs._threads import cpu_count

    load = ", load average %.2f %.2f %.2f" % os.getloadavg() if hasattr(os, "getloadavg") else ""
    return (f"{cpu}, {cpu_count()} cores usable, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}{load}")


def _ms(t: float | None) -> str:
    return "n/a" if t is None else f"{t * 1e3:.2f}"


def _row_cells(r: Row) -> list[str]:
    peers = "; ".join(f"{p}: {_ms(t)}" + (f" ({r.ratio(p):.2f}x)" if r.ratio(p) else "")
                      for p, t in r.peers.items())
    speed = f"{r.mpix / r.ours:.0f}" if r.ours else "n/a"
    return [r.label, r.op, _ms(r.ours), speed, peers or "-"]


def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(c.replace("|", "/") for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _section_text(sec: Section) -> str:
    out = [f"## {sec.title}", ""]
    if sec.rows:
        out += [_table(["file", "operation", "dicomcodecs ms", "MP/s", "peers: ms (peer / ours)"],
                       [_row_cells(r) for r in sec.rows]), ""]
    out += [f"- {n}" for n in sec.notes]
    return "\n".join(out).rstrip() + "\n"


def _targets_text(sections: list[Section]) -> str:
    rows = [[s.title, t.text, "n/a" if t.ratio is None else f"{t.ratio:.2f}x",
             f"{'<=' if t.at_most else '>='} {t.need:.2f}x", t.result]
            for s in sections for t in s.targets]
    counts = {k: sum(r[-1] == k for r in rows) for k in ("PASS", "MISS", "n/a")}
    summary = ", ".join(f"{v} {k}" for k, v in counts.items())
    table = _table(["family", "target", "measured", "need", "result"], rows)
    return f"## Targets\n\n{summary}\n\n{table}\n"


def parse_args(argv: list[str] | None) -> Any:
    import argparse

    p = argparse.ArgumentParser(prog="benchmarks/run.py",
                                description="side-by-side benchmark against the peers "
                                            "(needs dicomcodecs[bench])")
    p.add_argument("--quick", action="store_true", help="3 repeats instead of 15")
    p.add_argument("--repeat", type=int, default=None,
                   help="timed runs per measurement (median)")
    p.add_argument("--data", default=None, help="folder for generated benchmark files")
    p.add_argument("--markdown", default=None, help="also write the table to this file")
    p.add_argument("--codec", default="all", choices=[*FAMILIES, "all"],
                   help="codec family to benchmark (default: all)")
    p.add_argument("--chart", default=None,
                   help="also draw the ratio chart (PNG) from the --markdown table")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    families = FAMILIES if args.codec == "all" else [args.codec]
    lacking = {fam: missing(fam) for fam in families}
    lacking = {fam: m for fam, m in lacking.items() if m[0] or m[1]}
    if lacking:
        for fam, (dists, tools) in lacking.items():
            parts = ([f"Python packages {', '.join(dists)}"] if dists else []) + \
                    ([f"tools {', '.join(tools)} (Debian: apt-get install dcmtk)"] if tools else [])
            print(f"bench: the {BENCHES[fam][0]} benchmark cannot run without "
                  + " and ".join(parts), file=sys.stderr)
        print("bench: install the peers with: pip install 'dicomcodecs[bench]'", file=sys.stderr)
        ready = [f for f in families if f not in lacking]
        if ready:
            print(f"bench: these can run now: --codec {' / '.join(ready)}", file=sys.stderr)
        return 1

    from dicomcodecs import pydicom as dcp

    repeat = args.repeat or (3 if args.quick else 15)
    # Pure-Python peers can be 50x slower than us: cap each measurement's time.
    budget, min_runs = (1.0, 0) if args.quick else (30.0, 5)
    floor = f"{min_runs} runs" if min_runs else "its warm-up alone"
    workdir = Path(args.data or os.environ.get("DICOMCODECS_BENCH_DATA", "benchmarks/data"))
    workdir.mkdir(parents=True, exist_ok=True)
    header = [
        "# dicomcodecs side-by-side benchmark", "",
        f"Command: `{shlex.join(getattr(sys, 'orig_argv', sys.argv))}`", "",
        f"Machine: {machine()}", "",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in _versions().items()), "",
        f"Median of {repeat} runs after one warm-up (a fast call gets more runs, up to "
        f"{MAX_RUNS} or {FILL_SECONDS} s of calls; a call so slow that {repeat} runs would "
        f"take over {budget:.1f} s gets fewer, down to {floor}; the notes say which), all in this "
        "process on the same files, ours and the peers' calls taking turns, round by round; "
        "one thread unless stated. Ratio = peer time / dicomcodecs time (> 1: we are faster). "
        "'via pydicom' = a fresh `get_decoder(uid).as_array(ds, decoding_plugin=NAME)` "
        "(or `get_encoder(uid).iter_encode(ds, encoding_plugin=NAME)`) per call, with the "
        "'dicomcodecs' plugins registered last (`register(first=False)`; this also swaps "
        "pydicom's YBR->RGB step for our C one, for every plugin).", "",
    ]
    print("\n".join(header), flush=True)
    t_start = time.perf_counter()
    sections = []
    aborted: list[str] = []
    dcp.register(first=False)
    try:
        for fam in families:
            title, fn = BENCHES[fam]
            sec = Section(title, repeat, budget, min_runs)
            print(f"[{fam}]", file=sys.stderr, flush=True)
            t0 = time.perf_counter()
            try:
                fn(sec, workdir)
            except Exception as exc:  # one family failing must not lose the others
                sec.notes.append(f"family aborted: {type(exc).__name__}: {exc}")
                aborted.append(title)
            sec.notes.append(f"{title} took {time.perf_counter() - t0:.0f} s")
            sections.append(sec)
            print(_section_text(sec), flush=True)
    finally:
        dcp.unregister()
    load = " (load average at the end %.2f %.2f %.2f)" % os.getloadavg() if hasattr(os, "getloadavg") else ""
    tail = _targets_text(sections) + f"\nTotal time {time.perf_counter() - t_start:.0f} s{load}.\n"
    print(tail)
    if args.markdown:
        # Sections measured by other scripts (benchmarks/dask_transcode.py)
        # follow KEEP_MARK and survive a rerun of this benchmark.
        old = Path(args.markdown).read_text() if Path(args.markdown).exists() else ""
        kept = old[old.index(KEEP_MARK):] if KEEP_MARK in old else ""
        Path(args.markdown).write_text("\n".join(header) + "\n" +
                                       "\n".join(_section_text(s) for s in sections) + "\n" + tail
                                       + ("\n" + kept if kept else ""))
    if args.chart and args.markdown:
        from chart import draw

        draw(args.markdown, args.chart)
    if aborted:
        print(f"bench: {', '.join(aborted)} could not run to the end (see the notes above)",
              file=sys.stderr)
        return 1
    return 0
