"""The public functions: decode and encode frames, whole datasets and files."""

from __future__ import annotations

from typing import Any, Iterator, Sequence

import numpy as np

from . import _io, _options, _threads
from ._encaps import encapsulate, fragments_from_buffer, fragments_from_file, frame_bytes, frame_map
from ._errors import DecodeError, EncodeError, FrameIndexError, InvalidInputError
from ._info import FrameInfo
from ._scratch import trim_heap
from ._uids import BIG_ENDIAN, EXPLICIT_LE, NATIVE, SYNTAXES, describe, resolve
from .registry import get_decoder, get_encoder

_COLOUR = {"RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT", "YBR_PARTIAL_420"}
# Stored colour spaces that only make sense inside a codestream: decoding to
# an uncompressed array always turns them into RGB.
_CODESTREAM_ONLY = {"YBR_FULL_422", "YBR_ICT", "YBR_RCT", "YBR_PARTIAL_420"}


# The largest decoded frame the API allocates. An uncompressed Pixel Data
# value has a 32-bit length (at most 0xFFFFFFFE bytes), so no frame a DICOM
# file can hold natively is larger: Rows x Columns claiming more come from
# corrupt attributes, and must not make a few bytes of input reserve
# gigabytes (or raise MemoryError) before the decoder even looks at them.
MAX_FRAME_BYTES = 0xFFFFFFFE

# After a decode of this many output bytes or more, the heap's free memory
# goes back to the system: the engines free their working memory (OpenJPEG:
# 3-4 frames per thread), but glibc keeps it in each worker thread's arena.
# Measured (tools/memory.py): a few ms against >= 100 ms of decoding.
_TRIM_AFTER = 1 << 20

# --------------------------------------------------------------------- frames

def _output_spec(codec: Any, info: FrameInfo, as_rgb: bool, reduce: int, frame: int | None):
    """codec.output_spec, refusing empty and impossibly large frames with a
    DecodeError before anything is allocated."""
    shape, dtype, pi = codec.output_spec(info, as_rgb=as_rgb, reduce=reduce)
    nbytes = np.dtype(dtype).itemsize
    for n in shape:
        nbytes *= int(n)  # Python ints: no overflow
    name = getattr(codec, "name", info.transfer_syntax)
    if nbytes == 0:
        raise DecodeError(name, frame, f"empty frame: {info.rows} rows, {info.columns} columns, "
                          f"{info.samples_per_pixel} samples per pixel")
    if nbytes > MAX_FRAME_BYTES:
        raise DecodeError(name, frame, f"{info.rows} rows x {info.columns} columns x "
                          f"{info.samples_per_pixel} samples of {info.bits_allocated} bits is "
                          f"{nbytes} bytes, more than a DICOM frame can hold ({MAX_FRAME_BYTES})")
    return shape, dtype, pi


def _check_info(info: Any) -> None:
    if not isinstance(info, FrameInfo):
        raise TypeError(f"info must be a dicomcodecs.FrameInfo, not {type(info).__name__}")


def _check_out(out: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise TypeError("out must be a numpy array")
    if out.shape != shape or out.dtype != dtype:
        raise InvalidInputError(f"out must have shape {shape} and dtype {dtype}, "
                         f"not {out.shape} and {out.dtype}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise InvalidInputError("out must be C-contiguous and writeable")
    return out


def _decode_many(codec: Any, source: Any, indices: Sequence[int], info: FrameInfo,
                 out: np.ndarray, threads: int | None, as_rgb: bool, reduce: int) -> None:
    """Decode frame indices[k] (bytes from source(i)) into out[k] on `threads`
    workers; cores left idle by too few frames go to the engine's own threads
    where the codec has them (OpenJPEG)."""
    n = len(indices)
    share = _threads.engine_threads(codec, n, threads)

    def one(k: int) -> None:
        i = indices[k]
        src = source(i)
        if share:
            codec.decode_into(src, info, out[k], as_rgb=as_rgb, reduce=reduce, frame=i,
                              engine_threads=_threads.engine_threads_for(codec, share, src))
        else:
            codec.decode_into(src, info, out[k], as_rgb=as_rgb, reduce=reduce, frame=i)

    try:
        _threads.run(one, n, threads)
    finally:
        if out.nbytes >= _TRIM_AFTER:
            trim_heap()


def decode_frame(src: Any, info: FrameInfo, *, out: np.ndarray | None = None,
                 as_rgb: bool = True, reduce: int = 0, frame: int | None = None,
                 threads: int | None = 1) -> np.ndarray:
    """Decode one encoded frame.

    Parameters
    ----------
    src : bytes-like
        One frame's codestream (all its fragments joined).
    info : FrameInfo
        The frame's Image Pixel attributes and transfer syntax.
    out : numpy.ndarray, optional
        C-contiguous, writeable, of the shape and dtype returned.
    as_rgb : bool
        YBR_FULL / YBR_FULL_422 colour comes back as RGB (default); False
        keeps the stored colour space where the codestream allows.
    reduce : int
        JPEG 2000 / HTJ2K only: drop `reduce` resolution levels (each side
        becomes ceil(n / 2**reduce)).
    frame : int, optional
        The frame's index, for error messages.
    threads : int or None
        1 (default) decodes in the calling thread; more (None: all cores)
        lets an engine with threads of its own (OpenJPEG) use them.

    Returns
    -------
    numpy.ndarray
        (rows, columns) or (rows, columns, samples); `out` when given.

    Raises
    ------
    DecodeError
        The codestream is corrupt, truncated or disagrees with `info`.
    UnsupportedError
        No codec decodes ``info.transfer_syntax``.
    InvalidInputError
        `reduce` for another syntax, `threads` below 1.
    TypeError, ValueError
        `out` of the wrong kind, shape or dtype.

    Example
    -------
    >>> info = FrameInfo("rle", 512, 512, 1, 16, 12, 1, "MONOCHROME2")
    >>> arr = decode_frame(encoded, info)
    """
    _check_info(info)
    codec = get_decoder(info.transfer_syntax)
    shape, dtype, _ = _output_spec(codec, info, as_rgb, reduce, frame)
    if out is None:
        out = np.empty(shape, dtype)
    else:
        _check_out(out, shape, dtype)
    _decode_many(codec, lambda i: src, [0 if frame is None else frame], info, out[np.newaxis],
                 threads, as_rgb, reduce)
    return out


def decode_frames(frames: Sequence[Any], info: FrameInfo, *, out: np.ndarray | None = None,
                  threads: int | None = None, as_rgb: bool = True, reduce: int = 0) -> np.ndarray:
    """Decode many frames of one image, concurrently, into one array.

    Parameters
    ----------
    frames : sequence of bytes-like
        One codestream per frame.
    info : FrameInfo
        What every frame is.
    out : numpy.ndarray, optional
        C-contiguous, writeable, (n, rows, columns[, samples]), the dtype returned.
    threads : int or None
        None (default): all cores this process may use, capped by the frames;
        1: the calling thread only.
    as_rgb, reduce
        As for :func:`decode_frame`.

    Returns
    -------
    numpy.ndarray
        (n, rows, columns[, samples]).

    Raises
    ------
    DecodeError, UnsupportedError, InvalidInputError
        As for :func:`decode_frame`; a DecodeError names the frame.

    Example
    -------
    >>> arr = decode_frames(list_of_codestreams, info, threads=4)
    """
    _check_info(info)
    if not (hasattr(frames, "__len__") and hasattr(frames, "__getitem__")) \
            or isinstance(frames, (bytes, bytearray, memoryview, str)):
        if isinstance(frames, (bytes, bytearray, memoryview, str)) or \
                not hasattr(frames, "__iter__"):
            raise TypeError(f"frames must be a sequence of bytes-like codestreams, one per "
                            f"frame, not {type(frames).__name__}")
        frames = list(frames)
    codec = get_decoder(info.transfer_syntax)
    shape, dtype, _ = _output_spec(codec, info, as_rgb, reduce, 0)
    n = len(frames)
    if out is None:
        out = np.empty((n, *shape), dtype)
    else:
        _check_out(out, (n, *shape), dtype)
    _decode_many(codec, frames.__getitem__, range(n), info, out, threads, as_rgb, reduce)
    return out


# ----------------------------------------------------------- datasets, files

class _PixelSource:
    """The pixel data of a Dataset, a file, a file object or the bytes of a
    file, frame by frame, with what is needed to decode it; files are read
    lazily, one frame at a time."""

    def __init__(self, src: Any) -> None:
        self._close: Any = None
        _io.check_source(src, "ds_or_path")
        if _io._is_dataset(src):
            self.name = "the dataset"
            self._open_dataset(src)
        else:
            self._open_file(src)

    # The dataset: all attributes but Pixel Data.
    def _common(self, ds: Any) -> None:
        self.ds = ds
        try:
            self.info = FrameInfo.from_dataset(ds)
        except InvalidInputError as exc:
            raise type(exc)(str(exc), source=self.name) from None
        try:
            self.n_frames = int(ds.get("NumberOfFrames", 1) or 1)
        except (TypeError, ValueError):
            raise InvalidInputError(f"(0028,0008) Number of Frames is "
                                    f"{ds.get('NumberOfFrames')!r}, not a number",
                                    source=self.name) from None
        if self.n_frames < 1:
            raise InvalidInputError(f"(0028,0008) Number of Frames is {self.n_frames}",
                                    source=self.name)
        self.has_frame_axis = "NumberOfFrames" in ds and self.n_frames != 1 or self.n_frames > 1
        self.native = self.info.transfer_syntax in NATIVE
        self.codec_name = describe(self.info.transfer_syntax)

    def _index(self, frags) -> None:
        # Dataset.get with a keyword gives the value (bytes), not the element.
        raw = self.ds.get("ExtendedOffsetTable")
        offsets = None
        if raw:
            raw = bytes(raw)
            if len(raw) % 8:
                raise DecodeError("Encapsulated Pixel Data", None, f"the Extended Offset Table "
                                  f"holds {len(raw)} bytes, not a multiple of 8")
            offsets = [int(o) for o in np.frombuffer(raw, "<u8")]
        self._frags = frags
        self._map = frame_map(frags, self.n_frames, self.info.transfer_syntax, offsets)

    def _open_dataset(self, ds: Any) -> None:
        self._common(ds)
        if "PixelData" not in ds:
            raise InvalidInputError(f"{self.name} has no (7FE0,0010) Pixel Data")
        value = ds.PixelData
        if value is None:
            raise InvalidInputError(f"{self.name}'s (7FE0,0010) Pixel Data is empty")
        if self.native:
            self._native = memoryview(value)
        else:
            self._index(fragments_from_buffer(value))

    def _open_file(self, src: Any) -> None:
        head = _io.read_pixel_header(src)
        self.name = head.name
        self._close = head.close
        try:
            if head.ds_only:
                self._open_dataset(head.ds)
                return
            self._common(head.ds)
            end = head.size if head.length is None else head.start + head.length
            if self.native:
                if end > head.size:
                    raise InvalidInputError(
                        f"truncated: the Pixel Data element says {head.length} bytes, the "
                        f"file holds {head.size - head.start}", source=self.name)
                self._native = memoryview(head.read(head.start, end - head.start))
                return
            self._index(fragments_from_file(head.read, head.start, end))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None

    def __enter__(self) -> "_PixelSource":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def select(self, frames: Any) -> tuple[list[int], bool]:
        """Frame indices for `frames` (None, int, slice or list) and whether
        the result keeps a frame axis."""
        n = self.n_frames

        def check(i: Any) -> int:
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)):
                raise TypeError(f"frames must be None, an int, a slice or a list of ints; "
                                f"got {type(i).__name__} {i!r}")
            if not -n <= i < n:
                raise FrameIndexError(f"frame {int(i)} is out of range: it has {n} "
                                      f"frame{'s' if n != 1 else ''} (0 to {n - 1})",
                                      source=self.name)
            return int(i) % n

        if frames is None:
            return list(range(n)), self.has_frame_axis
        if isinstance(frames, slice):
            return list(range(n))[frames], True
        if isinstance(frames, (int, np.integer)) and not isinstance(frames, bool):
            return [check(frames)], False
        if isinstance(frames, (str, bytes)) or not hasattr(frames, "__iter__"):
            check(frames)  # raises TypeError
        return [check(i) for i in frames], True

    def frame(self, i: int):
        parts = self._map[i]
        if self._frags.cut_fragment is not None and self._frags.cut_fragment in parts:
            raise DecodeError(self.codec_name, i, f"truncated: {self._frags.cut}")
        return frame_bytes(self._frags, parts)

    def native_frames(self, idx: list[int], as_rgb: bool) -> np.ndarray:
        info = self.info
        if info.bits_allocated == 1:
            return _native_bits(self._native, idx, info)
        # Uncompressed YBR_FULL_422 stores two bytes a pixel: Y1 Y2 Cb Cr for
        # each pair of pixels (PS3.3 C.7.6.3.1.2).
        subsampled = (info.photometric_interpretation == "YBR_FULL_422"
                      and info.samples_per_pixel == 3 and info.bits_allocated == 8
                      and info.columns % 2 == 0)
        nbytes = info.frame_bytes * 2 // 3 if subsampled else info.frame_bytes
        arr = np.empty((len(idx), *info.shape), info.dtype)
        for k, i in enumerate(idx):
            raw = self._native[i * nbytes:(i + 1) * nbytes]
            if len(raw) < nbytes:
                raise DecodeError("Native Pixel Data", i, f"truncated: {len(raw)} of {nbytes} "
                                  "bytes present")
            if subsampled:
                pairs = np.frombuffer(raw, np.uint8).reshape(info.rows, info.columns // 2, 4)
                arr[k, :, 0::2, 0] = pairs[..., 0]
                arr[k, :, 1::2, 0] = pairs[..., 1]
                arr[k, :, :, 1] = np.repeat(pairs[..., 2], 2, axis=1)
                arr[k, :, :, 2] = np.repeat(pairs[..., 3], 2, axis=1)
                continue
            order = ">" if info.transfer_syntax == BIG_ENDIAN and info.bits_allocated > 8 else "<"
            a = np.frombuffer(raw, info.dtype.newbyteorder(order))
            if info.samples_per_pixel > 1 and info.planar_configuration == 1:
                a = a.reshape(info.samples_per_pixel, info.rows, info.columns).transpose(1, 2, 0)
            arr[k] = a.reshape(info.shape)
        if info.bits_stored < info.bits_allocated:
            shift = info.bits_allocated - info.bits_stored
            np.left_shift(arr, shift, out=arr)
            np.right_shift(arr, shift, out=arr)
        if as_rgb and info.photometric_interpretation in ("YBR_FULL", "YBR_FULL_422") \
                and info.samples_per_pixel == 3 and info.bits_allocated == 8:
            from ._color import ybr_full_to_rgb
            ybr_full_to_rgb(arr)
        return arr


def _native_bits(native: Any, idx: list[int], info: FrameInfo) -> np.ndarray:
    """Bits Allocated 1 frames: packed back to back, frame after frame, with
    no padding between frames (PS3.5 8.1.1), one 0/1 byte a sample here."""
    from ._deflate import unpack_bits

    nsamples = info.rows * info.columns * info.samples_per_pixel
    arr = np.empty((len(idx), *info.shape), np.uint8)
    raw = np.frombuffer(native, np.uint8)
    for k, i in enumerate(idx):
        need = ((i + 1) * nsamples + 7) // 8
        if raw.size < need:
            raise DecodeError("Native Pixel Data", i, f"truncated: the frame ends at byte "
                              f"{need}, the Pixel Data holds {raw.size}")
        try:
            unpack_bits(raw, i * nsamples, arr[k])
        except DecodeError as exc:
            raise DecodeError("Native Pixel Data", i, exc.cause) from None
    return arr


def _decode_selected(src: _PixelSource, idx: list[int], threads: int | None, as_rgb: bool,
                     reduce: int, out: np.ndarray | None = None) -> np.ndarray:
    if src.native:
        if reduce:
            raise InvalidInputError(f"reduce={reduce}: reduced-resolution decoding applies to "
                                    "JPEG 2000 and HTJ2K data only, not native data")
        return src.native_frames(idx, as_rgb)
    info = src.info
    codec = get_decoder(info.transfer_syntax)
    src.codec_name = getattr(codec, "name", info.transfer_syntax)
    shape, dtype, _ = _output_spec(codec, info, as_rgb, reduce, idx[0] if idx else None)
    if out is None:
        out = np.empty((len(idx), *shape), dtype)

    _decode_many(codec, src.frame, idx, info, out, threads, as_rgb, reduce)
    return out


def pixel_array(ds_or_path: Any, *, frames: Any = None, threads: int | None = None,
                as_rgb: bool = True, reduce: int = 0) -> np.ndarray:
    """Decode the pixel data of a DICOM file or dataset.

    Parameters
    ----------
    ds_or_path : str, os.PathLike, binary file object, bytes or pydicom Dataset
        A file's path; a file opened with ``"rb"`` (read from where it
        stands); the bytes of a whole DICOM file (as a DICOMweb server
        returns it); or a Dataset. A path is read lazily: the header, then
        only the frames asked for.
    frames : None, int, slice or list of int
        Which frames (negative indices count from the end); None: all.
    threads : int or None
        None (default): all cores; 1: the calling thread only.
    as_rgb : bool
        YBR_FULL / YBR_FULL_422 colour comes back as RGB (default).
    reduce : int
        JPEG 2000 / HTJ2K only: drop that many resolution levels.

    Returns
    -------
    numpy.ndarray
        (rows, columns[, samples]) for a single-frame image or an int
        `frames`; (n, rows, columns[, samples]) otherwise. Native Bits
        Allocated 1 data comes back as uint8 0/1, as pydicom gives it.

    Raises
    ------
    TypeError
        `ds_or_path`, `frames` or `threads` of a kind not listed above.
    InvalidInputError
        Not a DICOM file; a truncated file (the message says "truncated"
        and where); a missing or impossible Image Pixel attribute (named);
        `threads` below 1; `reduce` for another syntax.
    FrameIndexError
        A frame out of range (also an IndexError).
    DecodeError
        Corrupt or truncated pixel data; the message names codec and frame.
    UnsupportedError
        A transfer syntax no codec here decodes.
    OSError
        The path cannot be opened.

    Example
    -------
    >>> arr = pixel_array("ct.dcm")                 # all frames
    >>> first = pixel_array("cine.dcm", frames=0)   # (rows, columns[, 3])
    >>> arr = pixel_array(requests.get(url).content)
    """
    with _PixelSource(ds_or_path) as src:
        idx, frame_axis = src.select(frames)
        arr = _decode_selected(src, idx, threads, as_rgb, reduce)
    return arr if frame_axis else arr[0]


def iter_frames(ds_or_path: Any, *, frames: Any = None, as_rgb: bool = True,
                reduce: int = 0) -> Iterator[np.ndarray]:
    """Yield decoded frames one at a time, reading a file only as it goes.

    Parameters
    ----------
    ds_or_path, frames, as_rgb, reduce
        As for :func:`pixel_array`.

    Yields
    ------
    numpy.ndarray
        One frame, (rows, columns[, samples]).

    Raises
    ------
    The errors of :func:`pixel_array`; bad input is found at the first
    ``next()``, a corrupt frame when it is reached.

    Example
    -------
    >>> for frame in iter_frames("cine.dcm", frames=slice(0, None, 10)):
    ...     process(frame)
    """
    src = _PixelSource(ds_or_path)
    try:
        idx, _ = src.select(frames)
        for i in idx:
            yield _decode_selected(src, [i], 1, as_rgb, reduce)[0]
    finally:
        src.close()


# ---------------------------------------------------------------- encoding

def _encode_info(arr: np.ndarray, uid: str, photometric_interpretation: str | None,
                 bits_stored: int | None, spp: int, name: str) -> FrameInfo:
    if arr.dtype.kind not in "uib" or arr.dtype.itemsize not in (1, 2, 4, 8):
        raise EncodeError(name, None, f"cannot encode {arr.dtype} pixels; use 8 to 64-bit "
                          "integers, or bool for Bits Allocated 1")
    bits = 1 if arr.dtype.kind == "b" else arr.dtype.itemsize * 8
    if photometric_interpretation is None:
        photometric_interpretation = "MONOCHROME2" if spp == 1 else "RGB"
    try:
        return FrameInfo(uid, arr.shape[-3 if spp > 1 else -2], arr.shape[-2 if spp > 1 else -1],
                         spp, bits, bits if bits_stored is None else bits_stored,
                         1 if arr.dtype.kind == "i" else 0, photometric_interpretation, 0)
    except InvalidInputError as exc:
        raise EncodeError(name, None, str(exc).replace("FrameInfo.", "")) from None


def _check_options(codec: Any, uid: str, options: dict[str, Any]) -> None:
    allowed = getattr(codec, "encode_options", frozenset())
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise EncodeError(getattr(codec, "name", uid), None,
                          f"unknown option(s) {', '.join(unknown)}; this codec takes "
                          f"{', '.join(sorted(allowed)) or 'none'}")


def _prepare(arr: Any, transfer_syntax: str, photometric_interpretation: str | None,
             bits_stored: int | None, options: dict[str, Any], frames_axis: bool):
    uid = resolve(transfer_syntax)
    codec = get_encoder(uid)
    name = getattr(codec, "name", uid)
    _check_options(codec, uid, options)
    arr = np.asarray(arr)
    base = 3 if frames_axis else 2
    if arr.ndim == base:
        spp = 1
    elif arr.ndim == base + 1:
        spp = arr.shape[-1]
    else:
        raise EncodeError(name, None, f"expected an array of {base} or {base + 1} dimensions, "
                          f"got shape {arr.shape}")
    if 0 in arr.shape[-3 if spp > 1 else -2:]:
        raise EncodeError(name, None, f"empty frame: shape {arr.shape}")
    info = _encode_info(arr, uid, photometric_interpretation, bits_stored, spp, name)
    # Codecs read the samples' bytes as they lie: make them native-endian.
    if arr.dtype.kind == "b":  # Bits Allocated 1: one 0/1 byte a sample
        return codec, info, np.ascontiguousarray(arr).view(np.uint8)
    return codec, info, np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))


def _encode_many(codec: Any, arr: np.ndarray, info: FrameInfo, threads: int | None,
                 options: dict[str, Any]) -> list[bytes]:
    """Encode each arr[i] (an (n, rows, columns[, samples]) array) on
    `threads` workers; cores left idle by too few frames go to the engine's
    own threads where the codec has them, by the rule decoding follows."""
    n = arr.shape[0]
    share = _threads.engine_threads(codec, n, threads)
    out: list[bytes] = [b""] * n

    def one(i: int) -> None:
        if share:
            out[i] = codec.encode(arr[i], info, frame=i, **options,
                                  engine_threads=_threads.engine_threads_for(codec, share, arr[i]))
        else:
            out[i] = codec.encode(arr[i], info, frame=i, **options)

    _threads.run(one, n, threads)
    return out


def encode_frame(arr: Any, transfer_syntax: str, *, photometric_interpretation: str | None = None,
                 bits_stored: int | None = None, threads: int | None = 1,
                 **options: Any) -> bytes:
    """Encode one frame.

    Parameters
    ----------
    arr : array-like of integers
        (rows, columns) or (rows, columns, 3); 8 to 64-bit, signed or not
        (Pixel Representation follows the dtype).
    transfer_syntax : str
        UID, pydicom keyword or alias (``"rle"``, ``"jpeg-ls-lossless"``, ...).
    photometric_interpretation : str, optional
        What the samples are: MONOCHROME2 (one sample) or RGB (three) by default.
    bits_stored : int, optional
        Default: the dtype's width.
    threads : int or None
        1 (default) encodes in the calling thread; more (None: all cores)
        lets an engine with threads of its own (OpenJPEG, libjxl) use them.
    **options
        The syntax's encoder options, below; any other raises EncodeError.

    Returns
    -------
    bytes
        The codestream (not padded to even length).

    Raises
    ------
    EncodeError
        Pixels, options or attributes the codec cannot code; the message says why.
    UnknownSyntaxError
        A transfer syntax name dicomcodecs does not know.
    UnsupportedError
        No codec encodes that syntax.
    InvalidInputError
        `threads` below 1.

    Example
    -------
    >>> cs = encode_frame(arr, "jpeg-ls-near-lossless", bits_stored=12, jls_error=2)

    Encoder options
    ---------------
{options}
    """
    codec, info, arr = _prepare(arr, transfer_syntax, photometric_interpretation, bits_stored,
                                options, False)
    return _encode_many(codec, arr[np.newaxis], info, threads, options)[0]


def encode_frames(arr: Any, transfer_syntax: str, *, photometric_interpretation: str | None = None,
                  bits_stored: int | None = None, threads: int | None = None,
                  **options: Any) -> list[bytes]:
    """Encode every frame of an (n, rows, columns[, samples]) array, concurrently.

    Parameters
    ----------
    arr, transfer_syntax, photometric_interpretation, bits_stored, **options
        As for :func:`encode_frame` (its docstring lists the options).
    threads : int or None
        None (default): all cores; 1: the calling thread only. Cores that
        fewer frames leave idle go to the engine's own threads (OpenJPEG,
        libjxl), as for :func:`decode_frames`.

    Returns
    -------
    list of bytes
        One codestream per frame.

    Raises
    ------
    EncodeError, UnknownSyntaxError, UnsupportedError
        As for :func:`encode_frame`.
    InvalidInputError
        `threads` below 1.

    Example
    -------
    >>> frames = encode_frames(volume, "htj2k-lossless")
    """
    codec, info, arr = _prepare(arr, transfer_syntax, photometric_interpretation, bits_stored,
                                options, True)
    return _encode_many(codec, arr, info, threads, options)


# ------------------------------------------------------------ whole datasets

def _fmt_ds(value: float) -> str:
    """A Decimal String of at most 16 characters."""
    for digits in range(8, 0, -1):
        s = f"{value:.{digits}g}"
        if len(s) <= 16:
            return s
    return f"{value:.0f}"


def _append_multi(ds: Any, keyword: str, value: str) -> None:
    if keyword in ds and ds[keyword].value not in (None, ""):
        old = ds[keyword].value
        values = list(old) if ds[keyword].VM > 1 else [old]
        setattr(ds, keyword, [*values, value])
    else:
        setattr(ds, keyword, value)


def _clear_pydicom_cache(ds: Any) -> None:
    for name, value in (("_pixel_array", None), ("_pixel_id", {})):
        if hasattr(ds, name):
            setattr(ds, name, value)


def _store_frames(ds: Any, uid: str, frames: list[bytes], encapsulate_ext: bool,
                  generate_instance_uid: bool) -> None:
    """Encapsulated Pixel Data of `frames` (with the offset tables they need),
    the Transfer Syntax UID `uid` and a new SOP Instance UID when asked into
    ds, which has file meta."""
    from pydicom.uid import generate_uid

    data, eot, eot_lengths = encapsulate(frames, extended=True if encapsulate_ext else None)
    ds.PixelData = data
    elem = ds["PixelData"]
    elem.VR = "OB"
    elem.is_undefined_length = True
    for kw in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        if kw in ds:
            del ds[kw]
    if eot is not None:
        ds.ExtendedOffsetTable = eot
        ds.ExtendedOffsetTableLengths = eot_lengths
    ds.file_meta.TransferSyntaxUID = uid
    if generate_instance_uid:
        new = generate_uid()
        ds.SOPInstanceUID = new
        ds.file_meta.MediaStorageSOPInstanceUID = new
    _clear_pydicom_cache(ds)


def compress(ds: Any, transfer_syntax: str, *, threads: int | None = None,
             generate_instance_uid: bool = True, encapsulate_ext: bool = False,
             **options: Any) -> Any:
    """Compress a dataset's Pixel Data to `transfer_syntax`, in place.

    Sets Transfer Syntax UID, Photometric Interpretation (what the
    codestream holds, e.g. YBR_FULL_422, YBR_RCT), Planar Configuration,
    encapsulation with a Basic Offset Table (Extended Offset Table when
    needed or asked for) and, for lossy results, Lossy Image Compression,
    its Ratio and Method. Compressed sources are decoded first.

    Parameters
    ----------
    ds : pydicom Dataset, str, os.PathLike, binary file object or bytes
        A Dataset is changed in place; anything else is read into a new one.
    transfer_syntax : str
        UID, pydicom keyword or alias.
    threads : int or None
        None (default): all cores; 1: the calling thread only.
    generate_instance_uid : bool
        Give the result a new SOP Instance UID (default True).
    encapsulate_ext : bool
        Write an Extended Offset Table even when a Basic one would do.
    **options
        The syntax's encoder options, below.

    Returns
    -------
    pydicom.Dataset
        `ds` itself (or the dataset read), for chaining.

    Raises
    ------
    TypeError
        `ds` is none of the kinds above.
    EncodeError, UnknownSyntaxError, UnsupportedError
        As for :func:`encode_frame`; `ds` is left unchanged.
    InvalidInputError, DecodeError
        The source pixel data cannot be read, as for :func:`pixel_array`.

    Example
    -------
    >>> ds = pydicom.dcmread("ct.dcm")
    >>> compress(ds, "j2k", j2k_cr=[20]).save_as("ct_j2k.dcm")

    Encoder options
    ---------------
{options}
    """
    from pydicom.dataset import FileMetaDataset

    _io.check_source(ds, "ds")
    ds = _io.read_dataset(ds)
    uid = resolve(transfer_syntax)
    codec = get_encoder(uid)
    _check_options(codec, uid, options)
    _teach_pydicom(uid)
    src_info = FrameInfo.from_dataset(ds)
    transcode = _transcoder(src_info.transfer_syntax, uid, codec, options)
    if transcode is not None:
        return _compress_transcoded(ds, uid, transcode, threads, generate_instance_uid,
                                    encapsulate_ext)
    as_rgb = src_info.photometric_interpretation in _CODESTREAM_ONLY
    arr = pixel_array(ds, threads=threads, as_rgb=as_rgb)
    n = int(ds.get("NumberOfFrames", 1) or 1)
    arr = arr.reshape(n, *src_info.shape)
    if src_info.bits_allocated == 1:
        arr = arr.astype(bool)
    pi = "RGB" if as_rgb else src_info.photometric_interpretation
    frames = encode_frames(arr, uid, photometric_interpretation=pi,
                           bits_stored=src_info.bits_stored, threads=threads, **options)
    info = src_info.replace(transfer_syntax=uid, photometric_interpretation=pi)
    attrs = codec.encoded_attributes(info, **options)

    if not hasattr(ds, "file_meta") or ds.file_meta is None:
        ds.file_meta = FileMetaDataset()
    _store_frames(ds, uid, frames, encapsulate_ext, generate_instance_uid)
    ds.PhotometricInterpretation = attrs["photometric_interpretation"]
    if src_info.samples_per_pixel > 1:
        ds.PlanarConfiguration = attrs.get("planar_configuration", 0)
    if attrs.get("lossy"):
        original = arr.nbytes
        compressed = sum(len(f) for f in frames) or 1
        ds.LossyImageCompression = "01"
        _append_multi(ds, "LossyImageCompressionRatio", _fmt_ds(original / compressed))
        _append_multi(ds, "LossyImageCompressionMethod", SYNTAXES[uid].method)
    return ds


def _teach_pydicom(uid: str) -> None:
    """Make the installed pydicom know `uid` (a syntax newer than it) so the
    dataset can be saved; a no-op for the syntaxes it knows."""
    from .pydicom._uids import teach

    teach(uid)


def _transcoder(src_uid: str, dst_uid: str, dst_codec: Any, options: dict[str, Any]) -> Any:
    """A function(frame_bytes, index) -> bytes that turns src_uid frames into
    dst_uid frames without decoding pixels (JPEG <-> JPEG XL recompression),
    offered by either codec for these encode options; None when the pixels
    must be decoded."""
    if src_uid == dst_uid:
        return None
    candidates = [dst_codec]
    try:
        candidates.append(get_decoder(src_uid))
    except NotImplementedError:
        pass
    for c in candidates:
        offer = getattr(c, "transcoder", None)
        fn = offer(src_uid, dst_uid, **options) if offer is not None else None
        if fn is not None:
            return fn
    return None


def _compress_transcoded(ds: Any, uid: str, transcode: Any, threads: int | None,
                         generate_instance_uid: bool, encapsulate_ext: bool) -> Any:
    """compress() for a frame-by-frame transcode: the image attributes stay
    as they are (the pixels do not change), only the container does."""
    with _PixelSource(ds) as src:
        n = src.n_frames
        frames: list[bytes] = [b""] * n

        def one(i: int) -> None:
            frames[i] = transcode(bytes(src.frame(i)), i)

        _threads.run(one, n, threads)
    _store_frames(ds, uid, frames, encapsulate_ext, generate_instance_uid)
    return ds


def decompress(ds: Any, *, threads: int | None = None, as_rgb: bool = True) -> Any:
    """Decode a dataset's Pixel Data in place to Explicit VR Little Endian.

    Parameters
    ----------
    ds : pydicom Dataset, str, os.PathLike, binary file object or bytes
        A Dataset is changed in place; anything else is read into a new one.
        A native dataset is returned as it is.
    threads : int or None
        None (default): all cores; 1: the calling thread only.
    as_rgb : bool
        YBR_FULL(_422) becomes RGB (default); Photometric Interpretation is
        set to what the pixels are.

    Returns
    -------
    pydicom.Dataset
        `ds` itself (or the dataset read).

    Raises
    ------
    The errors of :func:`pixel_array`.

    Example
    -------
    >>> decompress(pydicom.dcmread("ct_j2k.dcm")).save_as("ct.dcm")
    """
    _io.check_source(ds, "ds")
    ds = _io.read_dataset(ds)
    info = FrameInfo.from_dataset(ds)
    if info.transfer_syntax in NATIVE:
        return ds
    arr = pixel_array(ds, threads=threads, as_rgb=as_rgb)
    codec = get_decoder(info.transfer_syntax)
    _, _, pi = codec.output_spec(info, as_rgb=as_rgb)
    if info.bits_allocated == 1:
        # Packed, frames back to back (PS3.5 8.1.1), padded to even length.
        packed = np.packbits(arr.reshape(-1) & 1, bitorder="little")
        ds.PixelData = packed.tobytes() + b"\0" * (packed.size % 2)
    else:
        ds.PixelData = arr.tobytes()
    elem = ds["PixelData"]
    elem.VR = "OB" if info.bits_allocated <= 8 else "OW"
    elem.is_undefined_length = False
    for kw in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        if kw in ds:
            del ds[kw]
    ds.file_meta.TransferSyntaxUID = EXPLICIT_LE
    ds.PhotometricInterpretation = pi
    if info.samples_per_pixel > 1:
        ds.PlanarConfiguration = 0
    _clear_pydicom_cache(ds)
    return ds


for _fn in (encode_frame, compress):
    _fn.__doc__ = _fn.__doc__.replace("{options}", _options.text_table())
