"""The `dicomcodecs` command: info, decode, transcode, bench.

Exit status: 0 everything done, 1 some inputs failed (each named, with a
one-line reason, in the summary on stderr), 2 a usage error. No traceback
unless --debug."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import functools
import math
import os
import signal
import sys
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ._clibatch import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, Outcome, reason, run_batch
from ._clifiles import Input, Refused, frame_count, read_input, skip_existing, write_whole
from ._io import pixel_data_ends

EXIT_USAGE = 2


class UsageError(Exception):
    """The command line asks for something impossible: exit 2, nothing done."""


# ------------------------------------------------------------------- info

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
    return EXIT_OK


def _libraries() -> list[tuple[str, str]]:
    """(name, version) of each third-party codec library the extensions were
    built with; a codec family left out of the build is left out here."""
    import importlib

    found = []
    for name, module, func in (("libjpeg-turbo", "_jpeg", "version"),
                               ("OpenJPEG", "_j2k", "openjpeg_version"),
                               ("OpenJPH", "_j2k", "openjph_version"),
                               ("libjxl", "_jxl", "version"),
                               ("libdeflate", "_deflate", "version")):
        try:
            version = getattr(importlib.import_module(f"dicomcodecs.{module}"), func)()
        except (ImportError, AttributeError):
            continue
        found.append((name, str(version)))
    return found


# ------------------------------------------------------- argument values

def _at_least(low: int) -> Callable[[str], int]:
    """An argparse type: a whole number >= low."""
    def convert(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if n < low:
            raise argparse.ArgumentTypeError(f"{n}: must be {low} or more")
        return n
    return convert


_positive, _natural = _at_least(1), _at_least(0)


def parse_frames(text: str) -> list[int]:
    """'0,2,5-9' -> [0, 2, 5, 6, 7, 8, 9]: frame numbers from 0, ranges
    inclusive, in the order given, each once."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        lo, dash, hi = part.partition("-")
        try:
            first = int(lo)
            last = int(hi) if dash else first
            if first < 0 or last < first:
                raise ValueError
        except ValueError:
            raise UsageError(f"--frames {text!r}: {part!r} is not a frame number or range; "
                             "frames count from 0, e.g. --frames 0,2,5-9") from None
        out.extend(i for i in range(first, last + 1) if i not in out)
    return out


# --to names for decompressing: Explicit VR Little Endian, native pixels.
_NATIVE_NAMES = ("explicit-vr-little-endian", "explicitvrlittleendian", "native")


def resolve_syntax(name: str) -> str:
    """--to's value -> UID; UsageError suggesting the close names."""
    from ._uids import EXPLICIT_LE, SYNTAXES, resolve

    if name.strip().lower() in _NATIVE_NAMES or name.strip() == EXPLICIT_LE:
        return EXPLICIT_LE  # decompress to native pixel data
    try:
        return resolve(name)
    except ValueError:
        pass
    # alias or keyword, lower case -> the syntax's alias; the native names too
    alias_of: dict[str, str] = {n: _NATIVE_NAMES[0] for n in _NATIVE_NAMES}
    for s in SYNTAXES.values():
        alias_of.setdefault(s.alias, s.alias)
        alias_of.setdefault(s.keyword.lower(), s.alias)
    close = list(dict.fromkeys(  # one name per syntax, best match first
        alias_of[n] for n in difflib.get_close_matches(name.lower(), alias_of, n=8, cutoff=0.5)))[:4]
    hint = f"did you mean {', '.join(close[:-1])} or {close[-1]}? " if len(close) > 1 else \
        f"did you mean {close[0]}? " if close else ""
    raise UsageError(f"unknown transfer syntax {name!r}; {hint}'dicomcodecs info' lists the "
                     "aliases (a UID or pydicom keyword works too)")


def _floats(text: str) -> list[float]:
    return [float(v) for v in text.split(",")]


def _int_or_pair(text: str) -> int | tuple[int, int]:
    parts = text.lower().replace("x", ",").split(",")
    if len(parts) == 1:
        return int(parts[0])
    rows, columns = (int(p) for p in parts)
    return rows, columns


def _bool(text: str) -> bool:
    value = text.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(text)


def _preset(text: str) -> dict[str, int]:
    out = {}
    for part in text.split(","):
        key, eq, value = part.partition("=")
        if not eq:
            raise ValueError(text)
        out[key.strip().upper()] = int(value)
    return out


def _int_or_text(text: str) -> int | str:
    return int(text) if text.strip().lstrip("-").isdigit() else text


# Encoder option -> (converter, what the value must look like). The codecs
# check ranges and combinations; this only turns text into the type they take.
OPTION_TYPES: dict[str, tuple[Callable[[str], Any], str]] = {
    "quality": (int, "an integer, 1-100"),
    "subsampling": (str, "444, 422 or 420"),
    "optimize_huffman": (_bool, "true or false"),
    "restart_interval": (int, "an integer (MCUs or rows between restart markers)"),
    "photometric": (str, "RGB, YBR_FULL or YBR_FULL_422"),
    "predictor": (int, "an integer, 1-7"),
    "point_transform": (int, "an integer, 0 to Bits Stored - 1"),
    "jls_error": (int, "an integer, 0 (lossless) or more"),
    "interleave": (_int_or_text, "none, line or sample"),
    "preset": (_preset, "KEY=N pairs, e.g. T1=3,T2=7,T3=21 (MAXVAL, T1, T2, T3, RESET)"),
    "j2k_cr": (_floats, "compression ratios, one per layer, e.g. 20 or 40,10"),
    "j2k_psnr": (_floats, "PSNRs in dB, one per layer, e.g. 50 or 40,50"),
    "reversible": (_bool, "true or false"),
    "levels": (int, "an integer, 0-32"),
    "tile_size": (_int_or_pair, "an integer or ROWSxCOLUMNS"),
    "block_size": (_int_or_pair, "an integer or ROWSxCOLUMNS (powers of two, 4-1024)"),
    "progression": (str, "LRCP, RLCP, RPCL, PCRL or CPRL"),
    "use_mct": (_bool, "true or false"),
    "qstep": (float, "a number in (0, 2]"),
    "rle_segment_order": (str, "'>'"),
}


def parse_options(items: list[str], uid: str) -> dict[str, Any]:
    """--option KEY=VALUE strings -> encoder keyword arguments of the types
    the codec for `uid` takes; UsageError for anything else."""
    from ._uids import describe
    from .registry import get_encoder

    valid = sorted(getattr(get_encoder(uid), "encode_options", ()))
    valid_text = ", ".join(valid) if valid else "none"
    options: dict[str, Any] = {}
    for item in items:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq or not key:
            raise UsageError(f"--option {item!r}: give KEY=VALUE; {describe(uid)} takes "
                             f"{valid_text}")
        if key not in valid:
            raise UsageError(f"--option {key}: not an option of {describe(uid)}, which takes "
                             f"{valid_text}")
        if key in options:
            raise UsageError(f"--option {key} given twice")
        convert, expected = OPTION_TYPES.get(key, (_int_or_text, "a value"))
        try:
            options[key] = convert(value)
        except ValueError:
            raise UsageError(f"--option {key}={value}: {key} takes {expected}") from None
    return options


def _require_pydicom(command: str) -> None:
    try:
        import pydicom  # noqa: F401
    except ImportError:
        raise UsageError(f"{command} reads DICOM files with pydicom: "
                         "pip install 'dicomcodecs[pydicom]'") from None


def _common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=_positive, default=1, metavar="N",
                   help="inputs processed at the same time (default 1: one at a time, each on "
                        "all cores)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace existing outputs (and an input that is its own output)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress bar, no line per written or skipped file; failures and "
                        "the summary are still printed")


# ---------------------------------------------------------------- decode

_DICOM_SUFFIXES = (".dcm", ".dicom", ".dic")
_FORMATS = ("npy", "png")


@dataclass
class _DecodeTarget:
    fmt: str
    file: Path | None     # -o names the one output file
    folder: Path | None   # -o is the folder of a mirrored tree


def _decode_target(args: argparse.Namespace) -> _DecodeTarget:
    out = args.output
    as_folder = (len(args.inputs) > 1 or Path(args.inputs[0]).is_dir()
                 or out.endswith(("/", os.sep)) or Path(out).is_dir())
    ext = Path(out).suffix.lower().lstrip(".")
    if as_folder:
        if ext in _FORMATS and not Path(out).is_dir():
            raise UsageError(f"-o {out} names a file, but the inputs are several files or a "
                             "folder: give a folder (e.g. -o out/) and --format")
        return _DecodeTarget(args.format or "npy", None, Path(out))
    if ext not in _FORMATS:
        raise UsageError(f"-o {out}: unknown output type {('.' + ext) if ext else '(no extension)'}; "
                         "name a .npy or .png file, or a folder ending in /")
    if args.format and args.format != ext:
        raise UsageError(f"-o {out} is a .{ext} file but --format is {args.format}")
    return _DecodeTarget(ext, Path(out), None)


def _decode_outputs(target: _DecodeTarget, item: Input, n_in_file: int,
                    frames: list[int]) -> list[tuple[int | None, Path]]:
    """(frame, path) of each file the input becomes: one .npy, or one .png
    per frame (name_f0003.png; a single-frame image gives name.png)."""
    if target.file is not None:
        base = target.file
    else:
        name = item.rel.name
        if Path(name).suffix.lower() in _DICOM_SUFFIXES:
            name = Path(name).stem
        base = target.folder / item.rel.parent / f"{name}.{target.fmt}"
    if target.fmt == "npy":
        return [(None, base)]
    if n_in_file == 1:
        return [(0, base)]
    return [(i, base.with_name(f"{base.stem}_f{i:04d}.png")) for i in frames]


def _npy_whole(path: Path, rows: int, columns: int, samples: int, frames: int) -> bool:
    import numpy as np

    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)  # fails if cut short
    except Exception:  # not an .npy numpy can read: not ours
        return False
    ok = arr.size == frames * rows * columns * samples and (rows, columns) in (
        arr.shape[-2:], arr.shape[-3:-1])
    del arr
    return ok


def _cmd_decode(args: argparse.Namespace) -> int:
    frames_wanted = parse_frames(args.frames) if args.frames else None
    target = _decode_target(args)
    _require_pydicom("decode")
    if target.fmt == "png":
        from ._render import require_pillow

        try:
            require_pillow()
        except ImportError as exc:
            raise UsageError(str(exc)) from None
    import numpy as np

    import dicomcodecs as dc

    threads = 1 if args.jobs > 1 else args.threads

    def work(item: Input, stop: threading.Event) -> Outcome:
        header = read_input(item, pixels=item.bare)
        n = frame_count(header)
        frames = frames_wanted if frames_wanted is not None else list(range(n))
        outside = [i for i in frames if i >= n]
        if outside:
            raise Refused(f"frame {outside[0]} is out of range: the file has {n} frame"
                          f"{'s' if n != 1 else ''} (0-{n - 1})")
        outputs = _decode_outputs(target, item, n, frames)
        rows = math.ceil(int(header.Rows) / 2 ** args.reduce)
        columns = math.ceil(int(header.Columns) / 2 ** args.reduce)
        samples = int(header.SamplesPerPixel)
        if target.fmt == "png":
            from ._render import png_size

            size = (rows, columns)
            pending = [(i, p) for i, p in outputs
                       if not skip_existing(p, os.path.lexists(p) and png_size(p) == size, item,
                                    args.overwrite)]
        else:
            p = outputs[0][1]
            whole = os.path.lexists(p) and _npy_whole(p, rows, columns, samples, len(frames))
            pending = [] if skip_existing(p, whole, item, args.overwrite) else outputs
        if not pending:
            return Outcome("skipped", str(item.path), f"{_names(outputs)} already complete")
        source = header if item.bare else str(item.path)
        if target.fmt == "npy":
            arr = dc.pixel_array(source, frames=frames_wanted, threads=threads,
                                 as_rgb=not args.raw, reduce=args.reduce)

            def save_npy(tmp: Path) -> None:
                with open(tmp, "wb") as f:  # a file object: np.save would add .npy to a name
                    np.save(f, arr, allow_pickle=False)

            write_whole(pending[0][1], save_npy, replace=args.overwrite, stop=stop)
            return Outcome("written", str(item.path),
                           f"{_names(pending)} ({'x'.join(map(str, arr.shape))} {arr.dtype})")
        from ._render import display, save_png

        wanted = [i for i, _ in pending]
        arr = dc.pixel_array(source, frames=wanted, threads=threads, as_rgb=True,
                             reduce=args.reduce)
        images = display(arr, header)
        for image, (_, path) in zip(images, pending):
            write_whole(path, lambda tmp, im=image: save_png(im, tmp), replace=args.overwrite,
                        stop=stop)
        return Outcome("written", str(item.path), f"{_names(pending)} ({columns}x{rows}, 8-bit)")

    return run_batch("decode", args.inputs, target.folder, work, jobs=args.jobs,
                     quiet=args.quiet, debug=args.debug).code


def _names(outputs: list[tuple[int | None, Path]]) -> str:
    if len(outputs) == 1:
        return str(outputs[0][1])
    return f"{outputs[0][1]} ... {outputs[-1][1].name} ({len(outputs)} files)"


# ------------------------------------------------------------- transcode

def _transcoded_whole(path: Path, source: Any, uid: str) -> bool:
    """Is `path` a complete transcode of `source` (its header) to `uid`: DICOM
    with that transfer syntax, the same study, series, image size and frame
    count, and all of its Pixel Data present?"""
    import pydicom

    try:
        with open(path, "rb") as f:
            ds = pydicom.dcmread(f, stop_before_pixels=True)
            if str(ds.file_meta.get("TransferSyntaxUID", "")) != uid:
                return False
            for kw in ("StudyInstanceUID", "SeriesInstanceUID", "Rows", "Columns"):
                if ds.get(kw) != source.get(kw):
                    return False
            return frame_count(ds) == frame_count(source) and pixel_data_ends(f, f.tell()) == "whole"
    except Exception:  # unreadable in any way: not a complete output
        return False


def transcode_file(item: Input, stop: threading.Event | None, *, outdir: Path, uid: str,
                   options: dict[str, Any], overwrite: bool, verify: bool,
                   threads: int | None) -> Outcome:
    """Transcode one input into `outdir` (at its place in the mirrored tree):
    skipped when a complete output is there, written whole or not at all.
    Module-level so that it travels to Dask workers (dicomcodecs.batch)."""
    import numpy as np

    import dicomcodecs as dc
    from ._uids import SYNTAXES

    out = outdir / item.rel
    if os.path.lexists(out) and not overwrite:
        header = read_input(item, pixels=False)
        if skip_existing(out, _transcoded_whole(out, header, uid), item, False):
            return Outcome("skipped", str(item.path), f"{out} already complete", str(out))
    ds = read_input(item, pixels=True)
    before = dc.pixel_array(ds, threads=threads) if verify else None
    if uid in SYNTAXES:
        dc.compress(ds, uid, threads=threads, **options)
    else:  # Explicit VR Little Endian: decompress
        dc.decompress(ds, threads=threads)
    note = []

    def check(tmp: Path) -> None:
        after = dc.pixel_array(str(tmp), threads=threads)
        if before.shape != after.shape:
            raise Refused(f"verification failed: shape {before.shape} became {after.shape}; "
                          "nothing written")
        if uid not in SYNTAXES or not SYNTAXES[uid].lossy:
            if not np.array_equal(before, after):
                raise Refused("verification failed: the lossless result differs from the "
                              "input; nothing written")
            note.append("verified bit-exact")
        else:
            diff = np.abs(before.astype(np.float64) - after.astype(np.float64))
            note.append(f"verified, max error {diff.max():.0f}")

    write_whole(out, lambda tmp: ds.save_as(tmp, enforce_file_format=True),
                replace=overwrite, check=check if verify else None, stop=stop)
    return Outcome("written", str(item.path), f"{out}" + (f" ({note[0]})" if note else ""),
                   str(out))


def _cmd_transcode(args: argparse.Namespace) -> int:
    uid = resolve_syntax(args.to)
    from ._uids import EXPLICIT_LE
    from .registry import get_encoder

    if uid == EXPLICIT_LE:
        if args.option:
            raise UsageError("--option: decompressing to native pixel data takes no options")
        options: dict[str, Any] = {}
    else:
        try:
            get_encoder(uid)
        except NotImplementedError as exc:
            raise UsageError(str(exc)) from None
        options = parse_options(args.option or [], uid)
    _require_pydicom("transcode")
    outdir = Path(args.output)
    if outdir.exists() and not outdir.is_dir():
        raise UsageError(f"-o {outdir} is a file; transcode writes into a folder")
    on_dask = args.scheduler is not None or args.cluster is not None
    if args.scheduler is not None and args.cluster is not None:
        raise UsageError("--scheduler uses a running cluster, --cluster local starts one: "
                         "give one or the other")
    if args.workers is not None and args.cluster is None:
        raise UsageError("--workers sets the size of a --cluster local; a --scheduler's "
                         "cluster has the workers it has")
    if on_dask and args.jobs > 1:
        raise UsageError("--jobs is for a run on this machine alone; on Dask the workers "
                         "(--workers N with --cluster local) set how many files run at once")
    if on_dask:
        outdir = outdir.absolute()  # workers may run in other folders, or elsewhere
    # With several inputs in flight each uses one thread; a lone one uses all.
    work = functools.partial(transcode_file, outdir=outdir, uid=uid, options=options,
                             overwrite=args.overwrite, verify=args.verify,
                             threads=1 if on_dask or args.jobs > 1 else None)
    record = Path(args.report) if args.report else None
    if not on_dask:
        return run_batch("transcode", args.inputs, outdir, work, jobs=args.jobs,
                         quiet=args.quiet, debug=args.debug, record=record).code
    from . import batch

    with contextlib.ExitStack() as stack:
        try:
            client = stack.enter_context(batch.connect(
                scheduler=args.scheduler, cluster=args.cluster, workers=args.workers))
        except ImportError as exc:
            raise UsageError(str(exc)) from None
        return run_batch("transcode", args.inputs, outdir, work, jobs=1, quiet=args.quiet,
                         debug=args.debug, executor=batch.executor(client),
                         record=record or batch.default_report(outdir)).code


# ------------------------------------------------------------------ bench

def _best_of(fn: Callable[[], Any], repeat: int) -> float:
    import time

    best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _cmd_bench(args: argparse.Namespace) -> int:
    """Time dicomcodecs on the user's own files: decode (and with --encode,
    encode back to the file's syntax), best of --repeat, in MP/s. The
    side-by-side harness against the peers is benchmarks/run.py in the
    repository, not part of the package."""
    import pydicom

    import dicomcodecs as dc

    code = EXIT_OK
    print("file\tsyntax\tframes\tdecode ms\tdecode MP/s" + ("\tencode ms\tencode MP/s"
                                                             if args.encode else ""))
    for path in args.files:
        try:
            ds = pydicom.dcmread(path)
            uid = str(ds.file_meta.TransferSyntaxUID)
            arr = dc.pixel_array(ds, threads=args.threads)
            mpix = arr.size / max(1, int(ds.get("SamplesPerPixel", 1))) / 1e6
            t = _best_of(lambda: dc.pixel_array(ds, threads=args.threads), args.repeat)
            nframes = int(ds.get("NumberOfFrames", 1) or 1)
            row = [str(path), uid, str(nframes),
                   f"{t * 1e3:.2f}", f"{mpix / t:.1f}"]
            if args.encode:
                raw = dc.pixel_array(ds, threads=args.threads, as_rgb=False)
                raw = raw[None] if nframes == 1 else raw
                pi = str(ds.PhotometricInterpretation)
                te = _best_of(lambda: dc.encode_frames(raw, uid, photometric_interpretation=pi,
                                                       bits_stored=int(ds.BitsStored),
                                                       threads=args.threads), args.repeat)
                row += [f"{te * 1e3:.2f}", f"{mpix / te:.1f}"]
            print("\t".join(row), flush=True)
        except Exception as exc:  # one file failing must not stop the others
            print(f"bench: {path}: {type(exc).__name__}: {exc}", file=sys.stderr)
            code = EXIT_FAILED
    return code


# ------------------------------------------------------------------- main

def build_parser() -> argparse.ArgumentParser:
    from . import __version__

    debug = argparse.ArgumentParser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                       help="show tracebacks")
    parser = argparse.ArgumentParser(
        prog="dicomcodecs", parents=[debug],
        description="Decode and transcode DICOM pixel data. Exit status: 0 all done, 1 some "
                    "inputs failed, 2 usage error.")
    parser.add_argument("--version", action="version", version=f"dicomcodecs {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("info", parents=[debug], help="transfer syntaxes, aliases and engines")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser(
        "decode", parents=[debug], help="decode DICOM files to .npy arrays or .png images",
        description="Decode the pixel data of DICOM files (and of the DICOM files in "
                    "folders, recursively) to .npy (every selected frame in one array) or "
                    ".png (8-bit, one per frame, with the modality LUT, VOI LUT or window "
                    "and MONOCHROME1 inversion applied).")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="DICOM files and folders")
    p.add_argument("-o", "--output", required=True,
                   help="a .npy or .png file for one input file; otherwise (several inputs, "
                        "a folder, a name ending in /, an existing folder) the folder that "
                        "mirrors the inputs")
    p.add_argument("--format", choices=_FORMATS, default=None,
                   help="output type when -o is a folder (default npy)")
    p.add_argument("--frames", help="frame numbers from 0, e.g. 0,2,5-9 (default: all)")
    p.add_argument("--reduce", type=_natural, default=0, metavar="K",
                   help="JPEG 2000 / HTJ2K only: decode at 1/2^K of the size")
    p.add_argument("--threads", type=_positive, default=None, metavar="N",
                   help="threads for one input's frames (default: all cores)")
    p.add_argument("--raw", action="store_true",
                   help=".npy: keep the stored colour space (no YBR to RGB)")
    _common_args(p)
    p.set_defaults(func=_cmd_decode)

    p = sub.add_parser(
        "transcode", parents=[debug], help="re-encode DICOM files to another transfer syntax",
        description="Re-encode DICOM files (and the DICOM files in folders, recursively) "
                    "into a folder that mirrors the inputs. Existing files are never replaced "
                    "without --overwrite; complete outputs of an earlier run are skipped.")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="DICOM files and folders")
    p.add_argument("--to", required=True,
                   help="target transfer syntax: alias (see 'dicomcodecs info'), UID or "
                        "pydicom keyword; explicit-vr-little-endian (or native) decompresses")
    p.add_argument("-o", "--output", required=True, help="output folder")
    p.add_argument("--verify", action="store_true",
                   help="decode each result before it is put in place and compare (bit-exact "
                        "for lossless syntaxes, the largest error is reported for lossy ones)")
    p.add_argument("--option", action="append", metavar="KEY=VALUE",
                   help="encoder option, repeatable (e.g. quality=90, j2k_cr=20, jls_error=2)")
    p.add_argument("--report", metavar="FILE",
                   help="list every input (written, skipped or failed, and why) in this .csv "
                        "or .json file; on Dask the default is OUTPUT.report.csv beside the "
                        "output folder")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on the Dask cluster whose scheduler is at ADDRESS (e.g. "
                        "tcp://10.0.0.5:8786; needs dicomcodecs[dask]); inputs and output "
                        "must be on storage every worker sees at the same path")
    p.add_argument("--cluster", choices=["local"],
                   help="run on a Dask cluster of worker processes started on this machine")
    p.add_argument("--workers", type=_positive, metavar="N",
                   help="worker processes of --cluster local (default: one per core)")
    _common_args(p)
    p.set_defaults(func=_cmd_transcode)

    p = sub.add_parser("bench", parents=[debug],
                       help="time dicomcodecs on your own files (decode, optionally encode; "
                            "MP/s); the side-by-side benchmark is benchmarks/run.py")
    p.add_argument("files", nargs="+", help="DICOM files")
    p.add_argument("--repeat", type=_positive, default=5, help="timed runs per file (best)")
    p.add_argument("--encode", action="store_true",
                   help="also time encoding the pixels back to the file's syntax")
    p.add_argument("--threads", type=_positive, default=1, help="threads (default 1)")
    p.set_defaults(func=_cmd_bench)
    return parser


def _terminate(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # usage errors exit 2 here
    args.debug = getattr(args, "debug", False)
    previous = None
    if threading.current_thread() is threading.main_thread():
        # SIGTERM cleans up like Ctrl-C: no temporary file is left behind.
        previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        with warnings.catch_warnings():
            if not args.debug:
                warnings.simplefilter("ignore")  # pydicom's notes on odd files
            return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"dicomcodecs {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"dicomcodecs {args.command}: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if args.debug:
            raise
        print(f"dicomcodecs {args.command}: {reason(exc)} (--debug shows the traceback)",
              file=sys.stderr)
        return EXIT_FAILED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
