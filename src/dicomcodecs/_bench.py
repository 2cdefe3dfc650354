"""Side-by-side benchmarks against the peers a user would pick instead, in
one process, on the same files; reports medians and ratios (peer / ours)."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

RLE = "1.2.840.10008.1.2.5"
IMAGES = ["693_UNCR.dcm", "MR2_UNCR.dcm", "RG1_UNCR.dcm", "US1_UNCR.dcm", "color3d_jpeg_baseline.dcm"]


def _find(name: str) -> Path:
    dirs = []
    try:
        import data_store

        dirs.append(Path(data_store.__file__).parent / "data")
    except ImportError:
        pass
    import pydicom

    dirs.append(Path(pydicom.__file__).parent / "data" / "test_files")
    for d in dirs:
        if (d / name).exists():
            return d / name
    raise FileNotFoundError(f"{name}: install pydicom-data (pip install pydicom-data)")


def _uncompressed(name: str, workdir: Path) -> Path:
    """The image as Explicit VR Little Endian; compressed sources are decoded
    once with pydicom's own plugins (not ours)."""
    import pydicom
    from pydicom.pixels import get_decoder

    src = _find(name)
    ds = pydicom.dcmread(src)
    if not ds.file_meta.TransferSyntaxUID.is_compressed:
        return src
    out = workdir / (Path(name).stem + "_UNC.dcm")
    if out.exists():
        return out
    arr, props = get_decoder(ds.file_meta.TransferSyntaxUID).as_array(ds, decoding_plugin="pillow")
    ds.PixelData = arr.tobytes()
    ds["PixelData"].VR = "OB" if ds.BitsAllocated <= 8 else "OW"
    ds["PixelData"].is_undefined_length = False
    ds.PhotometricInterpretation = props.get("photometric_interpretation", "RGB")
    if ds.SamplesPerPixel > 1:
        ds.PlanarConfiguration = 0
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    ds.save_as(out, enforce_file_format=True)
    return out


def rle_files(workdir: Path) -> list[Path]:
    """Each benchmark image re-encoded to RLE by DCMTK's dcmcrle (cached)."""
    workdir.mkdir(parents=True, exist_ok=True)
    tool = shutil.which("dcmcrle")
    if tool is None:
        raise SystemExit("dcmcrle (DCMTK) is needed: apt-get install dcmtk, or 'make deps'")
    files = []
    for name in IMAGES:
        out = workdir / (Path(name).stem.replace("_UNCR", "") + "_RLE.dcm")
        if not out.exists():
            subprocess.run([tool, str(_uncompressed(name, workdir)), str(out)], check=True)
        files.append(out)
    return files


def _median_time(fn: Callable[[], Any], repeat: int) -> float:
    fn()  # warm up (imports, first-call costs)
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("dicomcodecs", "pydicom", "numpy", "pylibjpeg", "pylibjpeg-rle", "python-gdcm",
                "pylibjpeg-libjpeg", "pylibjpeg-openjpeg", "pyjpegls", "pillow", "imagecodecs"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
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
    from ._threads import cpu_count

    return f"{cpu}, {cpu_count()} cores usable, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def bench_rle(workdir: Path, repeat: int) -> tuple[list[list[str]], list[str]]:
    import pydicom
    from pydicom.pixels import get_decoder, get_encoder

    import dicomcodecs as dc
    from dicomcodecs import pydicom as dcp

    dcp.register(first=False)
    decoder, encoder = get_decoder(RLE), get_encoder(RLE)
    dec_peers = [p for p in ("pylibjpeg", "gdcm", "pydicom") if p in decoder.available_plugins]
    enc_peers = [p for p in ("pylibjpeg", "gdcm", "pydicom") if p in encoder.available_plugins]
    rows = []
    notes = []
    for path in rle_files(workdir):
        ds = pydicom.dcmread(path)
        nframes = int(ds.get("NumberOfFrames", 1) or 1)
        mpix = ds.Rows * ds.Columns * nframes / 1e6
        label = f"{path.stem} ({ds.Columns}x{ds.Rows}x{ds.SamplesPerPixel}, {nframes} fr, {ds.BitsAllocated}-bit)"
        # -- decode through pydicom: a fresh as_array call per contender
        t = {}
        for name in ["dicomcodecs", *dec_peers]:
            t[name] = _median_time(lambda n=name: decoder.as_array(ds, decoding_plugin=n), repeat)
        ours = t["dicomcodecs"]
        fastest = min(t[p] for p in dec_peers)
        direct = _median_time(lambda: dc.pixel_array(ds, threads=1), repeat)
        rows.append([label, "decode via pydicom", f"{ours * 1e3:.2f}", f"{mpix / ours:.0f}",
                     *[f"{t[p] * 1e3:.2f} ({t[p] / ours:.2f}x)" for p in dec_peers],
                     f"{fastest / ours:.2f}x"])
        rows.append([label, "decode direct (pixel_array, 1 thread)", f"{direct * 1e3:.2f}",
                     f"{mpix / direct:.0f}", "", "", "", ""])
        # -- encode: our encode_frames vs pydicom's encoder plugins
        ref = pydicom.dcmread(path)
        arr = dc.pixel_array(ref, threads=1).reshape(nframes, ref.Rows, ref.Columns, -1)
        if ref.SamplesPerPixel == 1:
            arr = arr[..., 0]
        unc = pydicom.dcmread(path)
        dc.decompress(unc, threads=1)
        e = {}
        for name in enc_peers:
            e[name] = _median_time(lambda n=name: list(encoder.iter_encode(unc, encoding_plugin=n)), repeat)
        e_plugin = _median_time(lambda: list(encoder.iter_encode(unc, encoding_plugin="dicomcodecs")), repeat)
        e_ours = _median_time(lambda: dc.encode_frames(arr, RLE, photometric_interpretation=str(ref.PhotometricInterpretation), threads=1), repeat)
        fastest = min(e[p] for p in enc_peers)
        rows.append([label, "encode via pydicom", f"{e_plugin * 1e3:.2f}", f"{mpix / e_plugin:.0f}",
                     *[f"{e[p] * 1e3:.2f} ({e[p] / e_plugin:.2f}x)" for p in enc_peers],
                     f"{fastest / e_plugin:.2f}x"])
        rows.append([label, "encode direct (encode_frames, 1 thread)", f"{e_ours * 1e3:.2f}",
                     f"{mpix / e_ours:.0f}", "", "", "", f"{fastest / e_ours:.2f}x"])
        if nframes > 1:
            frames = [bytes(dc._encaps.frame_bytes(s._frags, s._map[i])) for s in [dc._api._PixelSource(ds)] for i in range(nframes)]
            info = dc.FrameInfo.from_dataset(ds)
            t1 = _median_time(lambda: dc.decode_frames(frames, info, threads=1), repeat)
            t2 = _median_time(lambda: dc.decode_frames(frames, info, threads=2), repeat)
            notes.append(f"{path.stem}: decode_frames threads=1 {t1 * 1e3:.2f} ms, threads=2 "
                         f"{t2 * 1e3:.2f} ms: {t1 / t2:.2f}x")
    dcp.unregister()
    header = ["file", "operation", "dicomcodecs ms", "MP/s",
              *[f"{p} ms (ratio)" for p in dec_peers], "vs fastest peer"]
    return [header, *rows], notes


def _table(rows: list[list[str]]) -> str:
    head, body = rows[0], rows[1:]
    width = len(head)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * width]
    for r in body:
        r = (r + [""] * width)[:width]
        lines.append("| " + " | ".join(r) + " |")
    return "\n".join(lines)


def main(args: Any) -> int:
    repeat = args.repeat or (3 if args.quick else 15)
    workdir = Path(args.data or os.environ.get("DICOMCODECS_BENCH_DATA", "benchmarks/data"))
    rows, notes = bench_rle(workdir, repeat)
    versions = ", ".join(f"{k} {v}" for k, v in _versions().items())
    text = (f"Machine: {machine()}\n\nVersions: {versions}\n\nMedian of {repeat} runs, one thread "
            f"unless stated; ratio = peer time / dicomcodecs time (> 1: we are faster).\n\n"
            f"{_table(rows)}\n\n" + "\n".join(f"- {n}" for n in notes) + "\n")
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)
    return 0
