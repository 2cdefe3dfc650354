"""The `dicomcodecs` command: info, decode, transcode, bench."""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def _cmd_info(args: argparse.Namespace) -> int:
    import dicomcodecs as dc
    from ._uids import SYNTAXES

    print(f"dicomcodecs {dc.__version__}")
    rows = [("Transfer syntax", "UID", "Alias", "Decode", "Encode", "Engine", "Version")]
    for uid, can_dec, can_enc, engine, version in dc.codecs():
        s = SYNTAXES[uid]
        rows.append((s.name, uid, s.alias, "yes" if can_dec else "-", "yes" if can_enc else "-",
                     engine or "-", version or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for k, r in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if k == 0:
            print("  ".join("-" * w for w in widths))
    libs = _libraries()
    if libs:
        where = ("bundled in this wheel, licences in " + str(Path(dc.__file__).parent / "_licenses")
                 if (Path(dc.__file__).parent / "_licenses").is_dir() else "the system's")
        print(f"\nLibraries ({where}):")
        width = max(len(name) for name, _ in libs)
        for name, version in libs:
            print(f"  {name.ljust(width)}  {version}")
    return 0


def _libraries() -> list[tuple[str, str]]:
    """(name, version) of each third-party codec library the extensions were
    built with; a codec family left out of the build is left out here."""
    import importlib

    found = []
    for name, module, func in (("libjpeg-turbo", "_jpeg", "version"),
                               ("OpenJPEG", "_j2k", "openjpeg_version"),
                               ("OpenJPH", "_j2k", "openjph_version")):
        try:
            version = getattr(importlib.import_module(f"dicomcodecs.{module}"), func)()
        except (ImportError, AttributeError):
            continue
        found.append((name, str(version)))
    return found


def _cmd_decode(args: argparse.Namespace) -> int:
    import numpy as np

    import dicomcodecs as dc

    frames = None
    if args.frames:
        frames = [int(x) for x in args.frames.split(",")]
    arr = dc.pixel_array(args.file, frames=frames, threads=args.threads, as_rgb=not args.raw)
    np.save(args.output, arr)
    print(f"{args.file}: {arr.shape} {arr.dtype} -> {args.output}")
    return 0


class _Progress:
    """A one-line progress bar on stderr (a plain log line when not a tty)."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.start = total, 0, time.perf_counter()
        self.lock = threading.Lock()
        self.tty = sys.stderr.isatty()

    def step(self, label: str) -> None:
        with self.lock:
            self.done += 1
            frac = self.done / max(1, self.total)
            bar = "#" * int(30 * frac)
            elapsed = time.perf_counter() - self.start
            line = f"[{bar:<30}] {self.done}/{self.total} {elapsed:6.1f}s {label}"
            if self.tty:
                sys.stderr.write("\r" + line[:120].ljust(120))
                if self.done == self.total:
                    sys.stderr.write("\n")
            else:
                sys.stderr.write(line + "\n")
            sys.stderr.flush()


def _transcode_one(path: Path, uid: str, outdir: Path, verify: bool, threads: int | None,
                   options: dict) -> str:
    import numpy as np
    import pydicom

    import dicomcodecs as dc
    from ._uids import SYNTAXES

    ds = pydicom.dcmread(path)
    before = None
    if verify:
        # Compared as RGB on both sides: a lossless colour transform in the
        # codestream (YBR_RCT) or a stored YBR_FULL_422 then compare exactly.
        before = dc.pixel_array(ds, threads=threads)
    dc.compress(ds, uid, threads=threads, **options)
    out = outdir / path.name
    ds.save_as(out, enforce_file_format=True)
    msg = f"{path.name} -> {out}"
    if verify:
        after = dc.pixel_array(pydicom.dcmread(out), threads=threads)
        if before.shape != after.shape:
            raise RuntimeError(f"{path.name}: shape {before.shape} became {after.shape}")
        if not SYNTAXES[uid].lossy:
            if not np.array_equal(before, after):
                raise RuntimeError(f"{path.name}: lossless round trip differs")
            msg += " (verified bit-exact)"
        else:
            diff = np.abs(before.astype(np.float64) - after.astype(np.float64))
            msg += f" (max error {diff.max():.0f})"
    return msg


def _cmd_transcode(args: argparse.Namespace) -> int:
    from ._uids import resolve

    uid = resolve(args.to)
    outdir = Path(args.output)
    outdir.mkdir(parents=True, exist_ok=True)
    options = {}
    for opt in args.option or []:
        key, _, value = opt.partition("=")
        try:
            options[key] = int(value)
        except ValueError:
            try:
                options[key] = float(value)
            except ValueError:
                options[key] = value
    paths = [Path(p) for p in args.inputs]
    progress = _Progress(len(paths))
    failures = []
    jobs = max(1, args.jobs or 1)
    # With several files in flight each uses one thread; a lone file uses all.
    per_file_threads = 1 if jobs > 1 else None

    def work(p: Path) -> None:
        try:
            msg = _transcode_one(p, uid, outdir, args.verify, per_file_threads, options)
        except Exception as exc:  # report and go on with the other files
            msg = f"{p.name}: FAILED: {exc}"
            failures.append(msg)
        progress.step(p.name)
        if not args.quiet:
            print(msg)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(work, paths))
    if failures:
        print(f"{len(failures)} of {len(paths)} files failed", file=sys.stderr)
        return 1
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from . import _bench

    return _bench.main(args)


def main(argv: list[str] | None = None) -> int:
    from . import __version__

    parser = argparse.ArgumentParser(prog="dicomcodecs", description=__doc__)
    parser.add_argument("--version", action="version", version=f"dicomcodecs {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("info", help="transfer syntaxes, engines and aliases")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("decode", help="decode a DICOM file's pixel data to .npy")
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True)
    p.add_argument("--frames", help="comma-separated frame indices (default: all)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--raw", action="store_true", help="keep the stored colour space")
    p.set_defaults(func=_cmd_decode)

    p = sub.add_parser("transcode", help="re-encode DICOM files to another transfer syntax")
    p.add_argument("inputs", nargs="+")
    p.add_argument("--to", required=True, help="UID, pydicom keyword or alias (see 'info')")
    p.add_argument("-o", "--output", required=True, help="output directory")
    p.add_argument("--jobs", type=int, default=1, help="files in parallel")
    p.add_argument("--verify", action="store_true",
                   help="decode the result and check it (bit-exact for lossless syntaxes)")
    p.add_argument("--option", action="append", metavar="KEY=VALUE", help="encoder option")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(func=_cmd_transcode)

    p = sub.add_parser("bench", help="side-by-side benchmark against the peers")
    p.add_argument("--quick", action="store_true", help="3 repeats instead of 15")
    p.add_argument("--repeat", type=int, default=None, help="timed runs per measurement (median)")
    p.add_argument("--data", default=None, help="folder for generated benchmark files")
    p.add_argument("--markdown", default=None, help="also write the table to this file")
    p.add_argument("--codec", default="all", choices=["rle", "jpeg", "jpegls", "j2k", "htj2k", "all"],
                   help="codec family to benchmark (default: all)")
    p.set_defaults(func=_cmd_bench)

    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
