# cython: language_level=3
"""_jpegls: binds lib/jpegls, our JPEG-LS Lossless (.4.80) and Near-Lossless
(.4.81) codec. Thin: the Codec lives in dicomcodecs/families/jpegls.py."""
include "_common.pxi"
from dc_jpegls cimport *
from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.mem cimport PyMem_RawFree, PyMem_RawMalloc
from libc.stdint cimport uint16_t


def version():
    """The engine is our own C; its version is the package's."""
    from dicomcodecs._version import __version__
    return __version__


cdef int _read_header_c(const uint8_t *sp, size_t n, void *info, dc_error *err) noexcept nogil:
    return dc_jpegls_read_header(sp, n, <dc_jpegls_info *>info, err)


def read_header(src, *, str label="JPEG-LS", object frame=None):
    """The stream's frame and first scan header as a dict: width, height,
    components, bits_per_sample, near_lossless, interleave_mode, transform
    (CharLS's HP colour transform, 0 none) and component_sizes ((width,
    height) of each component; smaller ones are sub-sampled)."""
    cdef dc_jpegls_info info
    _read_src(_read_header_c, src, &info, label, frame)
    return {"width": info.width, "height": info.height, "components": info.components,
            "bits_per_sample": info.bits_per_sample, "near_lossless": info.near_lossless,
            "interleave_mode": info.interleave_mode, "transform": info.transform,
            "component_sizes": [(info.comp_width[c], info.comp_height[c])
                                for c in range(min(info.components, 4))]}


def decode_components(src, *, str label="JPEG-LS", object frame=None):
    """Every component of the stream as its own uint16 array of its own
    size: for the frames DICOM cannot describe (sub-sampled components,
    2 or 4 of them); DICOM frames go through decode_into."""
    h = read_header(src, label=label, frame=frame)
    sizes = h["component_sizes"]
    total = sum(w * ht for w, ht in sizes)
    if total > 1 << 30:
        raise DecodeError(label, frame, f"{total} samples: more than this helper decodes")
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
        _raise(rc, &err, label, frame, True)
    planes, off = [], 0
    for w, ht in sizes:
        planes.append(out[off:off + w * ht].reshape(ht, w))
        off += w * ht
    return planes


cdef int _decode_c(const uint8_t *sp, size_t n, uint8_t *dst, size_t dstlen, const dc_frame *f,
                   void *unused, dc_error *err) noexcept nogil:
    return dc_jpegls_decode(sp, n, dst, dstlen, f, err)


def decode_into(src, info, out, *, int planar_configuration=0, bint ybr_to_rgb=False,
                str label="JPEG-LS", object frame=None):
    """Decode one frame into `out` (C-contiguous, sized for `info`), samples
    laid out as `planar_configuration` says."""
    _decode_frame(_decode_c, NULL, src, info, out, planar_configuration, True, ybr_to_rgb,
                  label, frame)


def encode(arr, info, *, int near_lossless=0, int interleave_mode=2, preset=None,
           int planar_configuration=0, str label="JPEG-LS", object frame=None):
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
        raise EncodeError(label, frame, "empty frame")
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
                raise EncodeError(label, frame,
                                  f"cannot encode {info.samples_per_pixel} samples of "
                                  f"{info.bits_stored} bits stored in {info.bits_allocated}: "
                                  "JPEG-LS codes 2 to 16-bit samples")
            PyMem_RawFree(dst)
            dst = <uint8_t *>PyMem_RawMalloc(bound)
            if dst == NULL:
                raise CodecMemoryError(label, frame, f"no memory for {bound} bytes of output")
            err.msg[0] = 0
            with nogil:
                rc = dc_jpegls_encode(&src[0], srclen, dst, bound, &n, &f, &p, &err)
            if rc != DC_ERR_OUTPUT_TOO_SMALL:
                break
        if rc != DC_OK:
            _raise(rc, &err, label, frame, False)
        return PyBytes_FromStringAndSize(<char *>dst, <Py_ssize_t>n)
    finally:
        PyMem_RawFree(dst)

