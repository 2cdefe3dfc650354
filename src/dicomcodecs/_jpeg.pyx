# cython: language_level=3
"""_jpeg: binds lib/jpeg: JPEG Baseline (.4.50), Extended (.4.51), Lossless
P14 (.4.57) and Lossless SV1 (.4.70). 8-bit DCT streams go through the
system libjpeg-turbo (dc_turbo.c); 12-bit DCT and lossless streams through
our own codec (ljpeg_*.c).

Decoding routes each frame by its SOF marker, not by the transfer syntax:
files in the wild carry lossless streams under lossy UIDs and the reverse.

Colour (PS3.5 8.2.1, and what DCMTK's dcmdjpeg does by default): the
Photometric Interpretation says what the three components are, whatever
JFIF/Adobe markers or component IDs suggest. RGB is never colour-converted;
YBR_FULL / YBR_FULL_422 is converted to RGB only when the caller asks for
RGB (inside libjpeg-turbo for 8-bit streams it decodes).

Thin: the Codec, option parsing and engine choice for encoding live in
dicomcodecs/families/jpeg.py.
"""
include "_common.pxi"
from dc_jpeg cimport *

cdef enum:
    SOF_LOSSLESS = 0xC3
    # which engine decoded a frame (decode_into's result, for tests and benchmarks)
    _ENGINE_TURBO = 1
    _ENGINE_LJPEG = 2

ENGINE_TURBO = _ENGINE_TURBO
ENGINE_LJPEG = _ENGINE_LJPEG


def version():
    """libjpeg-turbo's version (compile time), e.g. '2.1.5'."""
    return _dotted(dc_turbo_version())


cdef int _read_header_c(const uint8_t *sp, size_t n, void *h, dc_error *err) noexcept nogil:
    return dc_ljpeg_read_header(sp, n, <dc_ljpeg_info *>h, err)


def read_header(src, *, str label="JPEG", object frame=None):
    """The frame header of a JPEG stream as our parser reads it: rows,
    columns, components, precision, process, sof_marker, predictor,
    point_transform, sampling, component_ids, restart_interval, has_jfif,
    has_adobe, adobe_transform."""
    cdef dc_ljpeg_info h
    _read_src(_read_header_c, src, &h, label, frame)
    nc = min(h.components, 4)
    return {"rows": h.rows, "columns": h.columns, "components": h.components,
            "precision": h.precision, "process": h.process, "sof_marker": h.sof_marker,
            "predictor": h.predictor, "point_transform": h.point_transform,
            "sampling": [(h.hsamp[i], h.vsamp[i]) for i in range(nc)],
            "component_ids": [h.component_ids[i] for i in range(nc)],
            "restart_interval": h.restart_interval, "has_jfif": bool(h.has_jfif),
            "has_adobe": bool(h.has_adobe), "adobe_transform": h.adobe_transform}


cdef struct _decode_opts:
    unsigned jflags     # DC_LJPEG_FLAG_*
    unsigned tflags     # DC_TURBO_FLAG_*
    bint ybr_to_rgb
    int engine          # out: _ENGINE_TURBO or _ENGINE_LJPEG


cdef int _decode_c(const uint8_t *sp, size_t n, uint8_t *dst, size_t dstlen,
                   const dc_frame *f, void *opts, dc_error *err) noexcept nogil:
    """Read the header, pick the engine by SOF marker and precision, decode,
    then fix unused bits (and convert YBR -> RGB where libjpeg-turbo did not)."""
    cdef _decode_opts *o = <_decode_opts *>opts
    cdef dc_ljpeg_info h
    cdef dc_error err2
    cdef unsigned tflags = o.tflags | (DC_TURBO_FLAG_TO_RGB if o.ybr_to_rgb else 0)
    cdef int rc = dc_ljpeg_read_header(sp, n, &h, err)
    cdef bint turbo
    if rc != DC_OK:
        # libjpeg-turbo may still read an 8-bit stream our parser refuses
        # (e.g. junk before a marker); keep our message if it cannot either.
        if f.bits_allocated != 8 or rc == DC_ERR_TRUNCATED:
            return rc
        err2.msg[0] = 0
        if dc_turbo_decode(sp, n, dst, dstlen, f, tflags, &err2) != DC_OK:
            return rc
        o.engine = _ENGINE_TURBO
        _postprocess(dst, f, False)
        return DC_OK
    turbo = (h.sof_marker != SOF_LOSSLESS and h.precision == 8 and f.bits_allocated == 8
             and (h.components == 1 or h.components == 3))
    if turbo:
        o.engine = _ENGINE_TURBO
        rc = dc_turbo_decode(sp, n, dst, dstlen, f, tflags, err)
        if rc == DC_OK:
            _postprocess(dst, f, False)
        return rc
    o.engine = _ENGINE_LJPEG
    rc = dc_ljpeg_decode(sp, n, dst, dstlen, f, o.jflags, err)
    if rc == DC_OK:
        _postprocess(dst, f, o.ybr_to_rgb)
    return rc


def decode_into(src, info, out, *, int planar_configuration=0, bint ybr_to_rgb=False,
                bint allow_truncated=False, object cornell=None, bint pred6_wrap=False,
                bint fast_idct=False, str label="JPEG", object frame=None):
    """Decode one frame into `out` (C-contiguous, sized for `info`), samples
    laid out as `planar_configuration` says; returns ENGINE_TURBO or
    ENGINE_LJPEG (which engine decoded it).

    allow_truncated: decode what there is of truncated or corrupt entropy
        data (DCMTK +wi) instead of raising.
    cornell: None retries a failing 16-bit lossless stream with the Cornell
        workaround (default); True always applies it (DCMTK +wc); False never.
    pred6_wrap: lossless predictor-6 int16 overflow emulation (DCMTK +w6).
    fast_idct: libjpeg-turbo's JDCT_IFAST instead of JDCT_ISLOW.
    """
    cdef _decode_opts o
    o.jflags = o.tflags = 0
    o.ybr_to_rgb = ybr_to_rgb
    o.engine = 0
    if allow_truncated:
        o.jflags |= DC_LJPEG_FLAG_ALLOW_TRUNCATED
        o.tflags |= DC_TURBO_FLAG_ALLOW_TRUNCATED
    if cornell is True:
        o.jflags |= DC_LJPEG_FLAG_CORNELL
    elif cornell is False:
        o.jflags |= DC_LJPEG_FLAG_NO_CORNELL_AUTO
    if pred6_wrap:
        o.jflags |= DC_LJPEG_FLAG_PRED6_WRAP
    if fast_idct:
        o.tflags |= DC_TURBO_FLAG_FAST_IDCT
    pi = info.photometric_interpretation
    if info.samples_per_pixel == 3:
        if pi == "RGB":
            o.tflags |= DC_TURBO_FLAG_STORED_RGB
        elif pi in ("YBR_FULL", "YBR_FULL_422"):
            o.tflags |= DC_TURBO_FLAG_STORED_YBR
    # _decode_c corrects the frame itself: which engine decoded decides how
    _decode_frame(_decode_c, &o, src, info, out, planar_configuration, False, False, label,
                  frame)
    return o.engine


ctypedef fused _encode_params:
    dc_turbo_params
    dc_ljpeg_params


cdef bytes _encode_c(arr, const dc_frame *f, const _encode_params *p, size_t bound, int tries,
                     str label, object frame):
    """Encode arr's samples with the engine `p` is for into `bound` bytes,
    doubled up to `tries` times while the engine finds it too small."""
    cdef const uint8_t[::1] src = arr.reshape(-1).view(np.uint8)
    cdef size_t srclen = src.shape[0]
    if srclen == 0:
        raise EncodeError(label, frame, "empty frame")
    cdef size_t n = 0
    cdef int rc = DC_ERR_OUTPUT_TOO_SMALL
    cdef dc_error err
    cdef uint8_t[::1] dst
    for _ in range(tries):
        out = np.empty(bound, np.uint8)  # not zero-filled: the bound is ~2x the frame
        dst = out
        err.msg[0] = 0
        with nogil:
            if _encode_params is dc_turbo_params:
                rc = dc_turbo_encode(&src[0], srclen, f, p, &dst[0], bound, &n, &err)
            else:
                rc = dc_ljpeg_encode(&src[0], srclen, f, p, &dst[0], bound, &n, &err)
        if rc != DC_ERR_OUTPUT_TOO_SMALL:
            break
        bound *= 2
    if rc != DC_OK:
        _raise(rc, &err, label, frame, False)
    return out[:n].tobytes()


def encode_turbo(arr, info, *, int quality, int subsampling, bint optimize_huffman=True,
                 int restart_interval=0, bint color_transform=True, bint input_ybr=False,
                 bint progressive=False, int planar_configuration=0, str label="JPEG",
                 object frame=None):
    """Encode one 8-bit frame with libjpeg-turbo; returns the codestream."""
    cdef dc_frame f
    _fill_frame(&f, info, planar_configuration)
    cdef dc_turbo_params p = dc_turbo_params(
        quality=quality, subsampling=subsampling, optimize_huffman=optimize_huffman,
        restart_interval=restart_interval, color_transform=color_transform,
        input_ybr=input_ybr, progressive=progressive)
    cdef size_t bound = dc_turbo_encode_bound(&f)
    if bound == 0:
        raise EncodeError(label, frame, f"cannot encode {info.columns}x{info.rows} with "
                          f"{info.samples_per_pixel} samples of {info.bits_allocated} bits: "
                          "libjpeg-turbo codes 1 or 3 8-bit samples, at most 65500 a side")
    return _encode_c(arr, &f, &p, bound, 3, label, frame)


def encode_ljpeg(arr, info, *, int process, int predictor=1, int point_transform=0,
                 int quality=90, bint optimize_huffman=True, int restart_interval=0,
                 int subsampling=444, bint chroma_tables=False, int planar_configuration=0,
                 str label="JPEG", object frame=None):
    """Encode one frame with our codec, ljpeg (process 14 lossless, 1/2/4 DCT)."""
    cdef dc_frame f
    _fill_frame(&f, info, planar_configuration)
    cdef dc_ljpeg_params p = dc_ljpeg_params(
        process=process, predictor=predictor, point_transform=point_transform,
        quality=quality, optimize_huffman=optimize_huffman,
        restart_interval=restart_interval, subsampling=subsampling,
        chroma_tables=chroma_tables)
    cdef size_t bound = dc_ljpeg_encode_bound(&f, &p)
    if bound == 0:
        raise EncodeError(label, frame, f"cannot encode {info.samples_per_pixel} samples of "
                          f"{info.bits_stored} bits stored in {info.bits_allocated} with "
                          f"process {process} (predictor {predictor}, point transform "
                          f"{point_transform})")
    return _encode_c(arr, &f, &p, bound, 1, label, frame)


def rgb_to_ybr_u8(arr):
    """RGB -> YBR_FULL on a copy of an 8-bit interleaved frame."""
    out = np.array(arr, dtype=np.uint8, order="C", copy=True)
    cdef uint8_t[::1] px = out.reshape(-1)
    cdef size_t npix = px.shape[0] // 3
    with nogil:
        dc_rgb_to_ybr_full_u8(&px[0], npix)
    return out
