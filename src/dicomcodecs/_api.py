"""The public functions: decode and encode frames, whole datasets and files."""

from __future__ import annotations

import os
from typing import Any, Iterator, Sequence

import numpy as np

from . import _threads
from ._encaps import encapsulate, fragments_from_buffer, fragments_from_file, frame_bytes, frame_map
from ._errors import DecodeError, EncodeError
from ._info import FrameInfo
from ._scratch import trim_heap
from ._uids import BIG_ENDIAN, NATIVE, SYNTAXES, resolve
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


def _check_out(out: np.ndarray, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    if not isinstance(out, np.ndarray):
        raise TypeError("out must be a numpy array")
    if out.shape != shape or out.dtype != dtype:
        raise ValueError(f"out must have shape {shape} and dtype {dtype}, "
                         f"not {out.shape} and {out.dtype}")
    if not out.flags.c_contiguous or not out.flags.writeable:
        raise ValueError("out must be C-contiguous and writeable")
    return out


def _decode_many(codec: Any, source: Any, indices: Sequence[int], info: FrameInfo,
                 out: np.ndarray, threads: int | None, as_rgb: bool, reduce: int) -> None:
    """Decode frame indices[k] (bytes from source(i)) into out[k] on `threads`
    workers; cores left idle by too few frames go to the engine's own threads
    where the codec has them (OpenJPEG)."""
    n = len(indices)
    kwargs: dict[str, Any] = {}
    if getattr(codec, "supports_engine_threads", False):
        wanted = _threads.cpu_count() if threads in (None, 0) else max(1, int(threads))
        if wanted > n:
            kwargs["engine_threads"] = wanted // max(1, n)

    def one(k: int) -> None:
        i = indices[k]
        codec.decode_into(source(i), info, out[k], as_rgb=as_rgb, reduce=reduce, frame=i,
                          **kwargs)

    try:
        _threads.run(one, n, threads)
    finally:
        if out.nbytes >= _TRIM_AFTER:
            trim_heap()


def decode_frame(src: Any, info: FrameInfo, *, out: np.ndarray | None = None,
                 as_rgb: bool = True, reduce: int = 0, frame: int | None = None,
                 threads: int | None = 1) -> np.ndarray:
    """Decode one encoded frame to an array of shape (rows, columns[, samples]).
    `threads` > 1 (None: all cores) lets an engine with threads of its own
    (OpenJPEG) spend them on this one frame."""
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
    """Decode many frames, concurrently, into one (n, rows, columns[, samples]) array."""
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
    """The pixel data of a Dataset or a file, frame by frame, with what is
    needed to decode it; files are read lazily, one frame at a time."""

    def __init__(self, ds_or_path: Any) -> None:
        self._fd: int | None = None
        if isinstance(ds_or_path, (str, os.PathLike)):
            self._open_file(os.fspath(ds_or_path))
        else:
            self._open_dataset(ds_or_path)

    # The dataset: all attributes but Pixel Data.
    def _common(self, ds: Any) -> None:
        self.ds = ds
        self.info = FrameInfo.from_dataset(ds)
        self.n_frames = int(ds.get("NumberOfFrames", 1) or 1)
        self.has_frame_axis = "NumberOfFrames" in ds and self.n_frames != 1 or self.n_frames > 1
        self.native = self.info.transfer_syntax in NATIVE
        if not self.native and self.info.transfer_syntax not in SYNTAXES:
            raise NotImplementedError(f"transfer syntax {self.info.transfer_syntax} is neither "
                                      "native little endian nor one dicomcodecs decodes")

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
            raise ValueError("the dataset has no Pixel Data")
        value = ds.PixelData
        if self.native:
            self._native = memoryview(value)
        else:
            self._index(fragments_from_buffer(value))

    def _open_file(self, path: str) -> None:
        import pydicom

        f = open(path, "rb")
        try:
            ds = pydicom.dcmread(f, stop_before_pixels=True)
            pos = f.tell()
            if str(ds.file_meta.get("TransferSyntaxUID", "")) == "1.2.840.10008.1.2.1.99":
                # Deflated: the bytes on disk are not the dataset; let pydicom inflate it.
                f.close()
                self._open_dataset(pydicom.dcmread(path))
                return
            self._common(ds)
            size = os.fstat(f.fileno()).st_size
            head = os.pread(f.fileno(), 12, pos)
            order = "big" if self.info.transfer_syntax == BIG_ENDIAN else "little"
            tag = b"\x7f\xe0\x00\x10" if order == "big" else b"\xe0\x7f\x10\x00"
            if len(head) < 8 or head[:4] != tag:
                raise ValueError(f"{path}: no Pixel Data element")
            # Files whose body is implicit VR despite an explicit transfer
            # syntax exist (pydicom reads them with a warning): look at the
            # bytes, not the UID.
            explicit = head[4:6] in (b"OB", b"OW", b"UN", b"OF", b"OD")
            if explicit:
                length, start = int.from_bytes(head[8:12], order), pos + 12
            else:
                length, start = int.from_bytes(head[4:8], order), pos + 8
            if self.native:
                end = size if length == 0xFFFFFFFF else min(size, start + length)
                self._native = memoryview(os.pread(f.fileno(), end - start, start))
                f.close()
                return
            self._fd = os.dup(f.fileno())
            f.close()
            self._index(fragments_from_file(self._fd, start, size))
        except BaseException:
            f.close()
            self.close()
            raise

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "_PixelSource":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def select(self, frames: Any) -> tuple[list[int], bool]:
        """Frame indices for `frames` (None, int, slice or list) and whether
        the result keeps a frame axis."""
        n = self.n_frames
        if frames is None:
            return list(range(n)), self.has_frame_axis
        if isinstance(frames, (int, np.integer)):
            i = int(frames)
            if not -n <= i < n:
                raise IndexError(f"frame {i} out of range for {n} frames")
            return [i % n], False
        if isinstance(frames, slice):
            return list(range(n))[frames], True
        idx = [int(i) for i in frames]
        for i in idx:
            if not -n <= i < n:
                raise IndexError(f"frame {i} out of range for {n} frames")
        return [i % n for i in idx], True

    def frame(self, i: int):
        return frame_bytes(self._frags, self._map[i])

    def native_frames(self, idx: list[int], as_rgb: bool) -> np.ndarray:
        info = self.info
        if info.bits_allocated % 8:
            raise NotImplementedError(f"Bits Allocated {info.bits_allocated} native data")
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
                raise DecodeError("Native Pixel Data", i, f"{len(raw)} of {nbytes} bytes present")
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


def _decode_selected(src: _PixelSource, idx: list[int], threads: int | None, as_rgb: bool,
                     reduce: int, out: np.ndarray | None = None) -> np.ndarray:
    if src.native:
        if reduce:
            raise ValueError("reduce applies to JPEG 2000 and HTJ2K data only")
        return src.native_frames(idx, as_rgb)
    info = src.info
    codec = get_decoder(info.transfer_syntax)
    shape, dtype, _ = _output_spec(codec, info, as_rgb, reduce, idx[0] if idx else None)
    if out is None:
        out = np.empty((len(idx), *shape), dtype)

    _decode_many(codec, src.frame, idx, info, out, threads, as_rgb, reduce)
    return out


def pixel_array(ds_or_path: Any, *, frames: Any = None, threads: int | None = None,
                as_rgb: bool = True, reduce: int = 0) -> np.ndarray:
    """Decode the chosen frames (all by default; an int, slice or list) of a
    pydicom Dataset or a DICOM file. A single-frame image, or an int `frames`,
    gives (rows, columns[, samples]); otherwise (n, rows, columns[, samples])."""
    with _PixelSource(ds_or_path) as src:
        idx, frame_axis = src.select(frames)
        arr = _decode_selected(src, idx, threads, as_rgb, reduce)
    return arr if frame_axis else arr[0]


def iter_frames(ds_or_path: Any, *, frames: Any = None, as_rgb: bool = True,
                reduce: int = 0) -> Iterator[np.ndarray]:
    """Yield decoded frames one at a time, reading a file only as it goes."""
    src = _PixelSource(ds_or_path)
    try:
        idx, _ = src.select(frames)
        for i in idx:
            yield _decode_selected(src, [i], 1, as_rgb, reduce)[0]
    finally:
        src.close()


# ---------------------------------------------------------------- encoding

def _encode_info(arr: np.ndarray, uid: str, photometric_interpretation: str | None,
                 bits_stored: int | None, spp: int) -> FrameInfo:
    if arr.dtype.kind not in "ui" or arr.dtype.itemsize not in (1, 2, 4, 8):
        raise EncodeError(SYNTAXES[uid].name if uid in SYNTAXES else uid, None,
                          f"cannot encode {arr.dtype} pixels; use 8 to 64-bit integers")
    bits = arr.dtype.itemsize * 8
    if photometric_interpretation is None:
        photometric_interpretation = "MONOCHROME2" if spp == 1 else "RGB"
    return FrameInfo(uid, arr.shape[-3 if spp > 1 else -2], arr.shape[-2 if spp > 1 else -1],
                     spp, bits, bits if bits_stored is None else int(bits_stored),
                     1 if arr.dtype.kind == "i" else 0, str(photometric_interpretation), 0)


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
    _check_options(codec, uid, options)
    arr = np.asarray(arr)
    base = 3 if frames_axis else 2
    if arr.ndim == base:
        spp = 1
    elif arr.ndim == base + 1:
        spp = arr.shape[-1]
    else:
        raise EncodeError(getattr(codec, "name", uid), None,
                          f"expected an array of {base} or {base + 1} dimensions, got shape {arr.shape}")
    info = _encode_info(arr, uid, photometric_interpretation, bits_stored, spp)
    if info.bits_stored < 1 or info.bits_stored > info.bits_allocated:
        raise EncodeError(getattr(codec, "name", uid), None,
                          f"bits_stored {info.bits_stored} outside 1..{info.bits_allocated}")
    if 0 in arr.shape[-3 if spp > 1 else -2:]:
        raise EncodeError(getattr(codec, "name", uid), None, f"empty frame: shape {arr.shape}")
    # Codecs read the samples' bytes as they lie: make them native-endian.
    return codec, info, np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("="))


def encode_frame(arr: Any, transfer_syntax: str, *, photometric_interpretation: str | None = None,
                 bits_stored: int | None = None, **options: Any) -> bytes:
    """Encode one (rows, columns[, samples]) frame."""
    codec, info, arr = _prepare(arr, transfer_syntax, photometric_interpretation, bits_stored,
                                options, False)
    return codec.encode(arr, info, frame=0, **options)


def encode_frames(arr: Any, transfer_syntax: str, *, photometric_interpretation: str | None = None,
                  bits_stored: int | None = None, threads: int | None = None,
                  **options: Any) -> list[bytes]:
    """Encode every frame of an (n, rows, columns[, samples]) array, concurrently."""
    codec, info, arr = _prepare(arr, transfer_syntax, photometric_interpretation, bits_stored,
                                options, True)
    out: list[bytes] = [b""] * arr.shape[0]

    def one(i: int) -> None:
        out[i] = codec.encode(arr[i], info, frame=i, **options)

    _threads.run(one, arr.shape[0], threads)
    return out


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


def compress(ds: Any, transfer_syntax: str, *, threads: int | None = None,
             generate_instance_uid: bool = True, encapsulate_ext: bool = False,
             **options: Any) -> Any:
    """Compress `ds` in place to `transfer_syntax` (UID, keyword or alias) and
    return it. Compressed sources are decoded first."""
    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import generate_uid

    uid = resolve(transfer_syntax)
    codec = get_encoder(uid)
    _check_options(codec, uid, options)
    src_info = FrameInfo.from_dataset(ds)
    as_rgb = src_info.photometric_interpretation in _CODESTREAM_ONLY
    arr = pixel_array(ds, threads=threads, as_rgb=as_rgb)
    n = int(ds.get("NumberOfFrames", 1) or 1)
    arr = arr.reshape(n, *src_info.shape)
    pi = "RGB" if as_rgb else src_info.photometric_interpretation
    frames = encode_frames(arr, uid, photometric_interpretation=pi,
                           bits_stored=src_info.bits_stored, threads=threads, **options)
    info = src_info.replace(transfer_syntax=uid, photometric_interpretation=pi)
    attrs = codec.encoded_attributes(info, **options)

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
    if not hasattr(ds, "file_meta") or ds.file_meta is None:
        ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = uid
    ds.PhotometricInterpretation = attrs["photometric_interpretation"]
    if src_info.samples_per_pixel > 1:
        ds.PlanarConfiguration = attrs.get("planar_configuration", 0)
    if attrs.get("lossy"):
        original = arr.nbytes
        compressed = sum(len(f) for f in frames) or 1
        ds.LossyImageCompression = "01"
        _append_multi(ds, "LossyImageCompressionRatio", _fmt_ds(original / compressed))
        _append_multi(ds, "LossyImageCompressionMethod", SYNTAXES[uid].method)
    if generate_instance_uid:
        new = generate_uid()
        ds.SOPInstanceUID = new
        ds.file_meta.MediaStorageSOPInstanceUID = new
    _clear_pydicom_cache(ds)
    return ds


def decompress(ds: Any, *, threads: int | None = None, as_rgb: bool = True) -> Any:
    """Decode `ds`'s Pixel Data in place to Explicit VR Little Endian; return it."""
    info = FrameInfo.from_dataset(ds)
    if info.transfer_syntax in NATIVE:
        return ds
    arr = pixel_array(ds, threads=threads, as_rgb=as_rgb)
    codec = get_decoder(info.transfer_syntax)
    _, _, pi = codec.output_spec(info, as_rgb=as_rgb)
    ds.PixelData = arr.tobytes()
    elem = ds["PixelData"]
    elem.VR = "OB" if info.bits_allocated <= 8 else "OW"
    elem.is_undefined_length = False
    for kw in ("ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        if kw in ds:
            del ds[kw]
    ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.1"
    ds.PhotometricInterpretation = pi
    if info.samples_per_pixel > 1:
        ds.PlanarConfiguration = 0
    _clear_pydicom_cache(ds)
    return ds
