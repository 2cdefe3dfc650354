"""The command line's files: DICOM inputs found by content and read with a
check that they are whole, their places in the output tree, and outputs
written whole or not at all (or skipped when an earlier run completed them)."""

from __future__ import annotations

import glob
import os
import secrets
import socket
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

# Value representations an explicit-VR element can start with (PS3.5 6.2).
_VRS = {b"AE", b"AS", b"AT", b"CS", b"DA", b"DS", b"DT", b"FL", b"FD", b"IS", b"LO", b"LT",
        b"OB", b"OD", b"OF", b"OL", b"OV", b"OW", b"PN", b"SH", b"SL", b"SQ", b"SS", b"ST",
        b"SV", b"TM", b"UC", b"UI", b"UL", b"UN", b"UR", b"US", b"UT", b"UV"}
_TMP_SUFFIX = ".dicomcodecs-tmp"


class Refused(Exception):
    """One input cannot be processed; the message is the one-line reason."""


def sniff(path: Path) -> str | None:
    """'preamble' for a DICOM file (128-byte preamble + 'DICM'), 'bare' for a
    dataset without preamble that starts plausibly (a group 0002 or 0008
    element, either byte order, explicit or implicit VR), None otherwise.
    OSError (missing, unreadable) propagates."""
    with open(path, "rb") as f:
        head = f.read(132)
        size = os.fstat(f.fileno()).st_size
    if len(head) == 132 and head[128:132] == b"DICM":
        return "preamble"
    if len(head) < 8:
        return None
    for order in ("little", "big"):
        group = int.from_bytes(head[0:2], order)
        if group not in (0x0002, 0x0008):
            continue
        if head[4:6] in _VRS:
            return "bare"
        # Implicit VR: one of the group's first elements, an even length that fits.
        element, length = int.from_bytes(head[2:4], order), int.from_bytes(head[4:8], order)
        if element < 0x0100 and length % 2 == 0 and 8 + length <= size:
            return "bare"
    return None


@dataclass(frozen=True)
class Input:
    path: Path      # as the user named it (the argument, joined with the part below it)
    rel: Path       # its place under the output folder
    bare: bool      # no preamble: pydicom must be forced to read it


@dataclass
class Inputs:
    files: list[Input]
    problems: list[tuple[str, str]]   # (argument, one-line reason)
    ignored: int                      # files in folders that are not DICOM


def is_temporary(name: str) -> bool:
    return name.startswith(".") and name.endswith(_TMP_SUFFIX)


def _expand(args: Iterable[str]) -> list[tuple[str, str | None]]:
    """Each argument as (argument, None), except a glob pattern that is not
    itself an existing path: its matches ('**' spans folders), or (pattern,
    reason) when nothing matches."""
    out: list[tuple[str, str | None]] = []
    for arg in map(str, args):
        if os.path.lexists(arg) or not glob.has_magic(arg):
            out.append((arg, None))
            continue
        matches = sorted(glob.glob(arg, recursive=True))
        out.extend((m, None) for m in matches)
        if not matches:
            out.append((arg, "no file or folder matches this pattern"))
    return out


def find_inputs(args: Iterable[str], skip: Path | None = None) -> Inputs:
    """The DICOM files named by `args` (files, folders searched recursively,
    and glob patterns, which are expanded here for callers without a shell),
    each with its path relative to the output root: the common
    folder of all arguments (a lone folder is its own root; a lone file's
    root is its folder). So two inputs never share an output path. Files in
    folders that are not DICOM are counted, not reported; a named file that is
    not DICOM is a problem. Folders equal to `skip` (the output folder) are
    not searched unless given as an argument themselves."""
    skip_real = os.path.realpath(skip) if skip is not None else None
    found: list[tuple[Path, str, bool]] = []   # (display path, absolute path, bare)
    problems: list[tuple[str, str]] = []
    roots: list[str] = []
    ignored = 0
    seen: set[str] = set()

    def add(display: Path, kind: str) -> None:
        real = os.path.realpath(display)
        if real not in seen:
            seen.add(real)
            found.append((display, os.path.abspath(display), kind == "bare"))

    for arg, unmatched in _expand(args):
        if unmatched:
            problems.append((arg, unmatched))
            continue
        p = Path(arg)
        if not os.path.lexists(p):
            problems.append((arg, "no such file or folder"))
            continue
        if p.is_dir():
            roots.append(os.path.abspath(p))
            for folder, dirs, names in os.walk(p, onerror=lambda e: problems.append(
                    (str(e.filename), _os_reason(e)))):
                dirs[:] = sorted(d for d in dirs if skip_real is None
                                 or os.path.realpath(os.path.join(folder, d)) != skip_real)
                for name in sorted(names):
                    if is_temporary(name):
                        continue
                    f = Path(folder) / name
                    try:
                        kind = sniff(f) if f.is_file() else None
                    except OSError as exc:
                        problems.append((str(f), _os_reason(exc)))
                        continue
                    if kind:
                        add(f, kind)
                    else:
                        ignored += 1
            continue
        try:
            kind = sniff(p)
        except OSError as exc:
            problems.append((arg, _os_reason(exc)))
            continue
        if kind is None:
            problems.append((arg, "not a DICOM file (no 'DICM' at byte 128, and it does not "
                                  "start with a DICOM element)"))
            continue
        roots.append(os.path.abspath(p))
        add(p, kind)
    files = []
    if found:
        root = os.path.commonpath(roots)
        if not os.path.isdir(root):
            root = os.path.dirname(root)
        files = [Input(d, Path(os.path.relpath(a, root)), bare) for d, a, bare in found]
    return Inputs(files, problems, ignored)


def _os_reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


# ------------------------------------------------------------------- writing

class OutputExists(Exception):
    """The target appeared while we wrote, and we may not replace it."""


# Workers on several machines may share the output folder: a temporary file
# names its host as well as its process, and only the host's own are judged
# by their pid.
_HOST = f"{zlib.crc32(socket.gethostname().encode()):08x}"


def _temporary(target: Path) -> Path:
    return target.with_name(f".{target.name}.{os.getpid()}-{_HOST}-{secrets.token_hex(4)}"
                            f"{_TMP_SUFFIX}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_temporaries(target: Path) -> None:
    """Temporary files for `target` left by a process that no longer runs (a
    run killed outright, which no `finally` survives)."""
    for tmp in target.parent.glob(f".{target.name}.*{_TMP_SUFFIX}"):
        pid, host, _ = (tmp.name[len(target.name) + 2:].split("-", 2) + ["", ""])[:3]
        if host == _HOST and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            try:
                tmp.unlink()
            except OSError:
                pass


def write_whole(target: Path, write: Callable[[Path], None], *, replace: bool,
                check: Callable[[Path], None] | None = None,
                stop: threading.Event | None = None) -> None:
    """Create `target` by `write(tmp)` to a temporary file beside it, then
    `check(tmp)` (raises if wrong), then one rename: `target` is either absent
    or complete, never half-written. An existing `target` is replaced only if
    `replace`; otherwise OutputExists. A set `stop` discards the file before
    it is published."""
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(target)
    tmp = _temporary(target)
    try:
        write(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        if check is not None:
            check(tmp)
        if stop is not None and stop.is_set():
            raise KeyboardInterrupt
        if replace:
            os.replace(tmp, target)
            return
        try:
            # A hard link never replaces what exists: no window between a
            # check and the rename in which another writer could be lost.
            os.link(tmp, target)
        except FileExistsError:
            raise OutputExists(f"{target} exists") from None
        except OSError:  # a file system without hard links
            if os.path.lexists(target):
                raise OutputExists(f"{target} exists") from None
            os.rename(tmp, target)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


# ------------------------------------------------------------------- reading

def read_input(item: Input, *, pixels: bool) -> Any:
    """The input as a pydicom Dataset (without Pixel Data unless `pixels`),
    with a Transfer Syntax UID even when the file has no meta header; read
    and checked (truncation included) by _io, as the API reads files."""
    from ._errors import InvalidInputError
    from ._io import read_dataset

    try:
        ds = read_dataset(item.path, stop_before_pixels=not pixels, force=item.bare)
    except InvalidInputError as exc:
        raise Refused(exc.reason) from None
    missing = [kw for kw in ("Rows", "Columns", "SamplesPerPixel", "BitsAllocated",
                             "PhotometricInterpretation") if kw not in ds]
    if missing:
        raise Refused(f"no {', '.join(missing)}: truncated before its image attributes, "
                      "or not an image")
    if pixels and "PixelData" not in ds:
        raise Refused("no Pixel Data: truncated before its pixels, or not an image")
    return ds


def frame_count(ds: Any) -> int:
    try:
        return max(1, int(ds.get("NumberOfFrames", 1) or 1))
    except (TypeError, ValueError):
        return 1


def skip_existing(target: Path, whole: bool, source: Input, overwrite: bool) -> bool:
    """Is `target` a complete output to skip? False when it may be written;
    Refused when it exists and may not be replaced."""
    if overwrite or not os.path.lexists(target):
        return False
    if whole:
        # A run killed between publishing and tidying up leaves its temporary.
        remove_stale_temporaries(target)
        return True
    if os.path.realpath(target) == os.path.realpath(source.path):
        raise Refused(f"the output {target} is the input itself; --overwrite replaces it")
    raise Refused(f"{target} exists and is not a complete output of this input; "
                  "--overwrite replaces it")
