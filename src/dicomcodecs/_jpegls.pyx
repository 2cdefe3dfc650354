# cython: language_level=3
"""_jpegls: binds lib/jpegls, our JPEG-LS Lossless (.4.80) and Near-Lossless
(.4.81) codec."""
include "_common.pxi"
from dc_jpegls cimport *
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_RawFree, PyMem_RawMalloc
from libc.stdint cimport uint16_t

from dicomcodecs.registry import Codec

LOSSLESS = "1.2.840.10008.1.2.4.80"
NEAR_LOSSLESS = "1.2.840.10008.1.2.4.81"
_NAMES = {LOSSLESS: "JPEG-LS Lossless", NEAR_LOSSLESS: "JPEG-LS Near-Lossless"}
_INTERLEAVE = {"none": 0, "line": 1, "sample": 2, 0: 0, 1: 1, 2: 2}
_PRESET_KEYS = ("MAXVAL", "T1", "T2", "T3", "RESET")
# Sample interleave is what pydicom's pyjpegls plugin writes for
# Planar Configuration 0; see benchmarks for speed and size.
DEFAULT_INTERLEAVE = "sample"


def version():
    """The engine is our own C; its version is the package's."""
    from dicomcodecs._version import __version__
    return __version__


def read_header(src, str codec="JPEG-LS", object frame=None):
    """The stream's frame and first scan header as a dict: width, height,
    components, bits_per_sample, near_lossless, interleave_mode, transform
    (CharLS's HP colour transform, 0 none) and component_sizes ((width,
    height) of each component; smaller ones are sub-sampled)."""
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef dc_jpegls_info info
    cdef dc_error err
    err.msg[0] = 0
    cdef size_t n = s.shape[0]
    cdef const uint8_t *sp = &s[0] if n else NULL
    cdef int rc
    with nogil:
        rc = dc_jpegls_read_header(sp, n, &info, &err)
    if rc != DC_OK:
        _raise(rc, &err, codec, frame, True)
    return {"width": info.width, "height": info.height, "components": info.components,
            "bits_per_sample": info.bits_per_sample, "near_lossless": info.near_lossless,
            "interleave_mode": info.interleave_mode, "transform": info.transform,
            "component_sizes": [(info.comp_width[c], info.comp_height[c])
                                for c in range(min(info.components, 4))]}


def decode_components(src, str codec="JPEG-LS", object frame=None):
    """Every component of the stream as its own uint16 array of its own
    size: for the frames DICOM cannot describe (sub-sampled components,
    2 or 4 of them); DICOM frames go through decode_into."""
    h = read_header(src, codec, frame)
    sizes = h["component_sizes"]
    total = sum(w * ht for w, ht in sizes)
    if total > 1 << 30:
        raise DecodeError(codec, frame, f"{total} samples: more than this helper decodes")
    out = np.empty(total, np.uint16)
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef uint16_t[::1] dst = out
    cdef dc_error err
    err.msg[0] = 0
    cdef size_t n = s.shape[0]
    cdef int rc
    with nogil:
        rc = dc_jpegls_decode_components(&s[0], n, &dst[0], 2 * dst.shape[0], &err)
    if rc != DC_OK:
        _raise(rc, &err, codec, frame, True)
    planes, off = [], 0
    for w, ht in sizes:
        planes.append(out[off:off + w * ht].reshape(ht, w))
        off += w * ht
    return planes


def decode_into(src, out, info, *, int planar=0, str codec="JPEG-LS", object frame=None,
                bint ybr_to_rgb=False):
    """Decode one frame into `out` (C-contiguous, sized for `info`), samples
    laid out as `planar` says."""
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef dc_frame f
    cdef dc_error err
    err.msg[0] = 0
    _fill_frame(&f, info, planar)
    cdef uint8_t[::1] dst = _bytes_of(out)
    cdef size_t n = s.shape[0]
    cdef const uint8_t *sp = &s[0] if n else NULL
    cdef int rc
    with nogil:
        rc = dc_jpegls_decode(sp, n, &dst[0], dst.shape[0], &f, &err)
        if rc == DC_OK:
            _postprocess(&dst[0], &f, ybr_to_rgb)
    if rc != DC_OK:
        _raise(rc, &err, codec, frame, True)


def encode(arr, info, *, int near_lossless=0, int interleave_mode=2, preset=None,
           int planar_configuration=0, str codec="JPEG-LS", object frame=None):
    """Encode one frame held in `arr` (C-contiguous, laid out as
    `planar_configuration` says, 8 or 16-bit samples) with precision
    info.bits_stored; `preset` maps MAXVAL/T1/T2/T3/RESET to values."""
    cdef dc_frame f
    cdef dc_error err
    cdef dc_jpegls_params p
    err.msg[0] = 0
    _fill_frame(&f, info, planar_configuration)
    p.near_lossless = near_lossless
    p.interleave_mode = interleave_mode
    preset = preset or {}
    p.maxval = preset.get("MAXVAL", 0)
    p.t1 = preset.get("T1", 0)
    p.t2 = preset.get("T2", 0)
    p.t3 = preset.get("T3", 0)
    p.reset = preset.get("RESET", 0)
    cdef const uint8_t[::1] src = arr.reshape(-1).view(np.uint8)
    cdef size_t srclen = src.shape[0]
    if srclen == 0:
        raise EncodeError(codec, frame, "empty frame")
    cdef size_t n = 0
    cdef size_t bound
    cdef int rc = DC_ERR_OUTPUT_TOO_SMALL
    cdef int worst
    # Uninitialised memory, not bytearray(bound): zero-filling the bound and
    # faulting in pages the code never reaches cost 3-5 % of an encode.
    cdef uint8_t *dst = NULL
    try:
        for worst in range(2):
            bound = dc_jpegls_encode_bound(&f, worst)
            if bound == 0:
                raise EncodeError(codec, frame,
                                  f"cannot encode {info.samples_per_pixel} samples of "
                                  f"{info.bits_stored} bits stored in {info.bits_allocated}: "
                                  "JPEG-LS codes 2 to 16-bit samples")
            PyMem_RawFree(dst)
            dst = <uint8_t *>PyMem_RawMalloc(bound)
            if dst == NULL:
                raise CodecMemoryError(codec, frame, f"no memory for {bound} bytes of output")
            err.msg[0] = 0
            with nogil:
                rc = dc_jpegls_encode(&src[0], srclen, dst, bound, &n, &f, &p, &err)
            if rc != DC_ERR_OUTPUT_TOO_SMALL:
                break
        if rc != DC_OK:
            _raise(rc, &err, codec, frame, False)
        return PyBytes_FromStringAndSize(<char *>dst, <Py_ssize_t>n)
    finally:
        PyMem_RawFree(dst)


def _interleave_of(value, codec, frame):
    key = value.lower() if isinstance(value, str) else value
    try:
        return _INTERLEAVE[key]
    except (KeyError, TypeError):
        raise EncodeError(codec, frame, f"interleave={value!r}: use 'none', 'line' or "
                          "'sample' (or 0, 1, 2)") from None


def _preset_of(value, codec, frame):
    if value is None:
        return None
    if not isinstance(value, dict):
        raise EncodeError(codec, frame, "preset must be a dict of MAXVAL, T1, T2, T3, RESET")
    out = {}
    for k, v in value.items():
        key = str(k).upper()
        if key not in _PRESET_KEYS:
            raise EncodeError(codec, frame, f"preset key {k!r} is not one of "
                              f"{', '.join(_PRESET_KEYS)}")
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= v <= 65535:
            raise EncodeError(codec, frame, f"preset {key}={v!r} is not an integer in 0..65535")
        out[key] = int(v)
    return out


def _near_of(uid, value, codec, frame):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise EncodeError(codec, frame, f"jls_error={value!r} is not a non-negative integer")
    if value and uid == LOSSLESS:
        # pydicom's message for the same mistake
        raise EncodeError(codec, frame, f"a 'jls_error' value of '{value}' is being used with "
                          "a transfer syntax of 'JPEG-LS Lossless' - did you mean to use "
                          "'JPEG-LS Near Lossless' instead?")
    return int(value)


class JPEGLSCodec(Codec):
    """JPEG-LS (ISO/IEC 14495-1), our own C in lib/jpegls. One instance per
    transfer syntax so error messages name the right one."""

    engine = "dicomcodecs"
    encode_options = frozenset({"jls_error", "interleave", "preset"})

    def __init__(self, uid):
        self.uid = uid
        self.name = _NAMES[uid]
        self.transfer_syntaxes = (uid,)
        self.encode_syntaxes = (uid,)

    def engine_version(self):
        return version()

    def decode_into(self, src, info, out, *, as_rgb=True, reduce=0, frame=None, planar=0):
        if reduce:
            self.output_spec(info, reduce=reduce)
        decode_into(src, out, info, planar=planar, codec=self.name, frame=frame,
                    ybr_to_rgb=_wants_rgb(info, as_rgb) and not planar)

    def encode(self, arr, info, *, frame=None, **options):
        near = _near_of(self.uid, options.get("jls_error", 0), self.name, frame)
        ilv = _interleave_of(options.get("interleave", DEFAULT_INTERLEAVE), self.name, frame)
        preset = _preset_of(options.get("preset"), self.name, frame)
        if info.bits_allocated > 16 and 2 <= info.bits_stored <= 16:
            arr, info = self._narrow(arr, info, frame)
        return encode(arr, info, near_lossless=near, interleave_mode=ilv, preset=preset,
                      planar_configuration=0, codec=self.name, frame=frame)

    def _narrow(self, arr, info, frame):
        """32/64-bit containers of <= 16-bit samples -> 16-bit, as pydicom
        does before encoding; values outside Bits Stored's range are refused."""
        bs = info.bits_stored
        lo, hi = (-(1 << (bs - 1)), (1 << (bs - 1)) - 1) if info.pixel_representation else \
                 (0, (1 << bs) - 1)
        if arr.size and (arr.min() < lo or arr.max() > hi):
            raise EncodeError(self.name, frame, f"sample values {arr.min()}..{arr.max()} are "
                              f"outside {lo}..{hi}, the range of {bs}-bit samples")
        bits = 8 if bs <= 8 else 16
        dtype = np.dtype(f"{'i' if info.pixel_representation else 'u'}{bits // 8}")
        return np.ascontiguousarray(arr.astype(dtype)), info.replace(bits_allocated=bits)

    def encoded_attributes(self, info, **options):
        # No colour transform: the samples are coded as they are, so the
        # photometric interpretation stays (RGB stays RGB). Near-lossless with
        # NEAR 0 writes a lossless stream: only NEAR > 0 loses information.
        near = options.get("jls_error", 0) or 0
        return {"photometric_interpretation": info.photometric_interpretation,
                "planar_configuration": 0,
                "lossy": self.uid == NEAR_LOSSLESS and near > 0}


def codecs():
    """The Codec objects this extension provides, for _builtin to register."""
    return [JPEGLSCodec(LOSSLESS), JPEGLSCodec(NEAR_LOSSLESS)]
