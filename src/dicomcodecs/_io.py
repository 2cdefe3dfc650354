"""Reading DICOM input, for the API and the command line alike: what a
caller may hand over (path, os.PathLike, binary file object, bytes of a
whole file, pydicom Dataset) turned into a pydicom Dataset, or a header plus
the place of its Pixel Data, with one clear error for a wrong type, a file
that is not DICOM and a truncated file."""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from typing import Any, BinaryIO, Callable

from ._errors import InvalidInputError
from ._uids import BIG_ENDIAN, DEFLATED_LE, EXPLICIT_LE, IMPLICIT_LE

ACCEPTED = ("a path (str or os.PathLike), a binary file object, bytes holding a whole DICOM "
            "file (as DICOMweb returns it) or a pydicom Dataset")

_PIXEL_TAG = {"little": b"\xe0\x7f\x10\x00", "big": b"\x7f\xe0\x00\x10"}
_DEFLATED = DEFLATED_LE
_BIG_ENDIAN = BIG_ENDIAN
_BYTES = (bytes, bytearray, memoryview)


def _is_dataset(obj: Any) -> bool:
    try:
        from pydicom.dataset import Dataset
    except ImportError:  # no pydicom, so no Dataset either
        return False
    return isinstance(obj, Dataset)


def _pydicom() -> Any:
    try:
        import pydicom
    except ImportError:
        raise ImportError("reading DICOM files needs pydicom: pip install "
                          "'dicomcodecs[pydicom]'") from None
    return pydicom


def _is_binary_file(obj: Any) -> bool:
    if not hasattr(obj, "read") or not hasattr(obj, "seek"):
        return False
    if isinstance(obj, io.TextIOBase):
        return False
    return "b" in getattr(obj, "mode", "b")


def name_of(src: Any) -> str:
    """How messages name an input."""
    if isinstance(src, (str, os.PathLike)):
        return os.fspath(src)
    if isinstance(src, _BYTES):
        return f"<{len(src)} bytes>"
    name = getattr(src, "name", None)
    return str(name) if isinstance(name, (str, os.PathLike)) else f"<{type(src).__name__}>"


def check_source(src: Any, what: str = "the input") -> None:
    """TypeError naming what is accepted, unless `src` is one of those."""
    if isinstance(src, (str, os.PathLike, *_BYTES)) or _is_dataset(src) or _is_binary_file(src):
        return
    if hasattr(src, "read"):
        raise TypeError(f"{what} is a file object opened in text mode or without seek(); "
                        f"open it with 'rb'. Accepted: {ACCEPTED}")
    raise TypeError(f"{what} cannot be a {type(src).__name__}; accepted: {ACCEPTED}")


def _reader(f: BinaryIO) -> tuple[Callable[[int, int], bytes], int]:
    """(read(offset, length), size) for an open binary file: pread on a real
    file, seek and read otherwise (the position is restored)."""
    try:
        fd = f.fileno()
        return (lambda off, n: os.pread(fd, n, off)), os.fstat(fd).st_size
    except (AttributeError, OSError, io.UnsupportedOperation):
        pass

    def read(off: int, n: int) -> bytes:
        here = f.tell()
        try:
            f.seek(off)
            return f.read(n)
        finally:
            f.seek(here)

    here = f.tell()
    size = f.seek(0, os.SEEK_END)
    f.seek(here)
    return read, size


def pixel_data_ends(f: BinaryIO, pos: int) -> str:
    """Where a Pixel Data element that starts at byte `pos` of the open file
    `f` ends: 'whole' inside the file (encapsulated: every item and the
    sequence delimiter present), 'cut' beyond its end, 'damaged' where an
    item should start and none does, 'absent' when no Pixel Data element
    starts there (none in the file, or a deflated body)."""
    read, size = _reader(f)
    head = read(pos, 12)
    order = {tag: o for o, tag in _PIXEL_TAG.items()}.get(head[:4])
    if order is None:
        return "absent"
    if len(head) < 12:
        return "cut"
    if head[4:6] in (b"OB", b"OW", b"UN"):  # explicit VR: 2 reserved bytes, 4-byte length
        length, pos = int.from_bytes(head[8:12], order), pos + 12
    else:
        length, pos = int.from_bytes(head[4:8], order), pos + 8
    if length != 0xFFFFFFFF:
        return "whole" if pos + length <= size else "cut"
    while True:  # items of encapsulated data, always little endian
        item = read(pos, 8)
        if len(item) < 8:
            return "cut"
        if item[:4] == b"\xfe\xff\xdd\xe0":
            return "whole"
        if item[:4] != b"\xfe\xff\x00\xe0":
            return "damaged"
        pos += 8 + int.from_bytes(item[4:8], "little")
        if pos > size:
            return "cut"


def _dcmread(fp: Any, name: str, size: int, *, stop_before_pixels: bool,
             force: bool = False) -> Any:
    """pydicom.dcmread, its failures turned into 'not a DICOM file' and
    'truncated' InvalidInputErrors. `force` reads a file without preamble
    (recognised by its content beforehand); its transfer syntax is then the
    encoding pydicom found."""
    pydicom = _pydicom()
    from pydicom.errors import InvalidDicomError

    def refuse(reason: str) -> InvalidInputError:
        return InvalidInputError(reason, source=name)

    start = fp.tell()
    head = fp.read(132)
    fp.seek(start)
    if not force and (len(head) < 132 or head[128:132] != b"DICM"):
        if len(head) < 132 and (len(head) <= 128 or b"DICM".startswith(head[128:])):
            raise refuse(f"truncated or not a DICOM file: {len(head)} bytes, fewer than the "
                         "128-byte preamble and 'DICM' prefix")
        raise refuse("not a DICOM file (no 'DICM' prefix at byte 128)")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = pydicom.dcmread(fp, stop_before_pixels=stop_before_pixels, force=force)
        except InvalidDicomError as exc:
            raise refuse(f"not a DICOM file ({exc})") from None
        except (EOFError, OSError) as exc:
            raise refuse(f"truncated: {exc}") from None
        except Exception as exc:  # pydicom's parser on damaged bytes
            at = fp.tell() - start
            if at >= size:
                raise refuse(f"truncated: the file ends at byte {size} "
                             f"({type(exc).__name__}: {exc})") from None
            raise refuse(f"not a readable DICOM file: damaged near byte {at}: "
                         f"{type(exc).__name__}: {exc}") from None
    for w in caught:
        text = str(w.message)
        if "End of file reached" in text or "before delimiter" in text:
            raise refuse(f"truncated: {text}")
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    meta = ds.file_meta
    if "TransferSyntaxUID" not in meta:
        implicit, little = getattr(ds, "original_encoding", (None, None))
        if fp.tell() - start >= size and (not force or len(ds) == 0):
            raise refuse(f"truncated: the file ends at byte {size}, inside its file meta "
                         "information")
        if force and implicit is not None:
            meta.TransferSyntaxUID = (IMPLICIT_LE if implicit else
                                      EXPLICIT_LE if little else _BIG_ENDIAN)
        elif force:
            raise refuse("no Transfer Syntax UID in the file and its encoding is unknown")
    return ds


def _cut_short(ds: Any, end: int) -> bool:
    """Whether a dataset pydicom read without finding Pixel Data stops short
    of `end` (absolute position where the file ends): pydicom drops an
    element the file ends inside, silently. An image's attributes (Rows)
    without Pixel Data, or no dataset at all, count as cut short too."""
    if len(ds) == 0 or "Rows" in ds:
        return True
    return _element_end(ds, 0) < end


def _element_end(ds: Any, base: int) -> int:
    """Where the last element pydicom kept ends, from `base`; very large
    when pydicom did not say (a parsed element, undefined length)."""
    big = 1 << 62
    if len(ds) == 0:
        return big
    last = ds._dict.get(list(ds.keys())[-1])
    tell, length = getattr(last, "value_tell", None), getattr(last, "length", None)
    if tell is None or length is None or length == 0xFFFFFFFF:
        return big
    return tell + length - base


def _open(src: Any) -> tuple[Any, str, int, bool]:
    """(binary file object positioned at the file's start, name, size from
    there, whether we opened it and must close it)."""
    check_source(src)
    name = name_of(src)
    if isinstance(src, (str, os.PathLike)):
        f = open(os.fspath(src), "rb")
        return f, name, os.fstat(f.fileno()).st_size, True
    if isinstance(src, _BYTES):
        mv = memoryview(src).cast("B")
        return io.BytesIO(mv), name, len(mv), True
    pos = src.tell()
    end = src.seek(0, os.SEEK_END)
    src.seek(pos)
    return src, name, end - pos, False


def read_dataset(src: Any, *, stop_before_pixels: bool = False, force: bool = False) -> Any:
    """The pydicom Dataset in `src`, checked whole: a file cut anywhere,
    its Pixel Data included, is refused (pydicom reads those silently).

    Parameters
    ----------
    src : str, os.PathLike, binary file object, bytes or pydicom Dataset
        A Dataset is returned as it is; a file object is read from where it
        stands; bytes hold a whole DICOM file (Part 10, with preamble).
    stop_before_pixels : bool
        Stop before (7FE0,0010) Pixel Data, as pydicom's ``dcmread`` does
        (the Pixel Data is still checked for a cut).
    force : bool
        Read a file without the preamble and 'DICM' (recognised as DICOM by
        its content beforehand); without a Transfer Syntax UID, the
        encoding pydicom found becomes it.

    Returns
    -------
    pydicom.Dataset

    Raises
    ------
    TypeError
        `src` is none of the accepted kinds; the message lists them.
    InvalidInputError
        "not a DICOM file", or "truncated" when the file ends inside its
        header, an element or the Pixel Data; ``.reason`` is the message
        without the input's name.
    OSError
        The path cannot be opened.

    Example
    -------
    >>> ds = read_dataset("ct.dcm", stop_before_pixels=True)
    """
    if _is_dataset(src):
        return src
    fp, name, size, owned = _open(src)
    try:
        start = fp.tell()
        ds = _dcmread(fp, name, size, stop_before_pixels=True, force=force)
        deflated = str(ds.file_meta.get("TransferSyntaxUID", "")) == _DEFLATED
        if not deflated:
            ends = pixel_data_ends(fp, fp.tell())
            if ends == "cut":
                raise InvalidInputError("truncated: the file ends inside its Pixel Data",
                                        source=name)
            if ends == "absent" and fp.tell() - start >= size and _cut_short(ds, start + size):
                raise InvalidInputError(f"truncated: the file ends at byte {size}, before its "
                                        "(7FE0,0010) Pixel Data element", source=name)
        if stop_before_pixels:
            return ds
        fp.seek(start)
        return _dcmread(fp, name, size, stop_before_pixels=False, force=force)
    finally:
        if owned:
            fp.close()


@dataclass
class PixelHeader:
    """A file's dataset without Pixel Data, and where the Pixel Data value
    lies: `read(offset, length)` reads from the file (thread-safe),
    `start`/`length` place the value (length None: undefined), `size` is
    where the file ends. `ds_only` is set when the whole Dataset had to be
    read instead (deflated files): use `ds` alone then."""

    ds: Any
    name: str
    start: int = 0
    length: int | None = None
    size: int = 0
    read: Callable[[int, int], Any] | None = None
    close: Callable[[], None] | None = None
    ds_only: bool = False


def read_pixel_header(src: Any) -> PixelHeader:
    """Parse the dataset of a path, file object or bytes up to its Pixel
    Data element, without reading the pixels (a path is read with pread
    later, frame by frame). Raises like read_dataset, and "truncated" when
    the file ends before or inside the Pixel Data element header; a cut
    further in is found per frame, so the frames before it still decode."""
    fp, name, size, owned = _open(src)
    fd = None

    def refuse(reason: str) -> InvalidInputError:
        return InvalidInputError(reason, source=name)

    try:
        base = fp.tell()
        ds = _dcmread(fp, name, size, stop_before_pixels=True)
        if str(ds.file_meta.get("TransferSyntaxUID", "")) == _DEFLATED:
            # the bytes after the meta are not the dataset: let pydicom inflate it
            fp.seek(base)
            return PixelHeader(read_dataset(fp), name, ds_only=True)
        pos = fp.tell() - base
        if isinstance(src, (str, os.PathLike)):
            fd = os.dup(fp.fileno())

            def read(off: int, length: int, _fd: int = fd):
                return os.pread(_fd, length, off)

            def close(_fd: int = fd) -> None:
                os.close(_fd)
        else:
            if isinstance(src, _BYTES):
                data = memoryview(src).cast("B")
            else:
                fp.seek(base)
                data = memoryview(fp.read())

            def read(off: int, length: int, _mv=data):
                return _mv[off:off + length]

            close = None
        at_end = pos >= size
        if at_end:
            # pydicom drops an element the file ends inside (a partial tag
            # included): look where the last one it kept ended instead
            pos = min(pos, _element_end(ds, base))
        head = bytes(read(pos, 12))
        order = "big" if str(ds.file_meta.get("TransferSyntaxUID", "")) == _BIG_ENDIAN else "little"
        if head[:4] != _PIXEL_TAG[order]:
            if at_end and (len(head) or _cut_short(ds, base + size)):
                raise refuse(f"truncated: the file ends at byte {size}, before its (7FE0,0010) "
                             "Pixel Data element")
            if at_end:
                raise refuse(f"the file ends at byte {size} without a (7FE0,0010) Pixel Data "
                             "element: truncated, or not an image")
            raise refuse(f"no Pixel Data element at byte {pos} (found tag {head[:4].hex()})")
        if len(head) < 12:
            raise refuse(f"truncated: the file ends at byte {size}, inside the Pixel Data "
                         "element's header")
        # Files whose body is implicit VR despite an explicit transfer syntax
        # exist (pydicom reads them with a warning): look at the bytes.
        if head[4:6] in (b"OB", b"OW", b"UN", b"OF", b"OD"):
            length, start = int.from_bytes(head[8:12], order), pos + 12
        else:
            length, start = int.from_bytes(head[4:8], order), pos + 8
        fd = None  # owned by `close` now
        return PixelHeader(ds, name, start, None if length == 0xFFFFFFFF else length, size,
                           read, close)
    finally:
        if fd is not None:
            os.close(fd)
        if owned:
            fp.close()
