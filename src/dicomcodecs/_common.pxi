# _common.pxi: what every _<family>.pyx shares: the one table from C status
# codes to exceptions, FrameInfo -> dc_frame, and the calls that run a C
# function on one input (a header read, a frame decode) with the GIL
# released. Included, not imported, so each extension stays self-contained.
from libc.stdint cimport uint8_t, uint32_t
from dc_common cimport *

import numpy as np
from dicomcodecs._errors import (CodecMemoryError, DecodeError, EncodeError, InvalidInputError,
                                 OutputTooSmallError)

# One cause per status of enum dc_status in lib/common/dc_common.h;
# tests/test_errors.py checks the two against each other.
_CAUSES = {
    DC_ERR_CORRUPT: "corrupt data",
    DC_ERR_TRUNCATED: "truncated data",
    DC_ERR_OUTPUT_TOO_SMALL: "output buffer too small",
    DC_ERR_UNSUPPORTED: "unsupported feature",
    DC_ERR_NOMEM: "out of memory",
    DC_ERR_INVALID_ARG: "invalid parameters",
    DC_ERR_MISMATCH: "data disagrees with the dataset",
    DC_ERR_ENGINE: "codec library error",
}


cdef object _raise(int status, dc_error *err, str codec, object frame, bint decoding):
    """Raise the exception the table assigns to `status`."""
    cause = _CAUSES.get(status, f"status {status}")
    detail = err.msg.decode("utf-8", "replace") if err.msg[0] else cause
    if status == DC_ERR_NOMEM:
        exc = CodecMemoryError
    elif status == DC_ERR_OUTPUT_TOO_SMALL:
        # our caller's buffer, not the data, is at fault: not a DecodeError
        exc = OutputTooSmallError
    else:
        exc = DecodeError if decoding else EncodeError
    raise exc(codec, frame, f"{detail} ({cause})")


cdef int _fill_frame(dc_frame *f, info, int planar) except -1:
    f.rows = info.rows
    f.columns = info.columns
    f.samples_per_pixel = info.samples_per_pixel
    f.bits_allocated = info.bits_allocated
    f.bits_stored = info.bits_stored
    f.pixel_representation = info.pixel_representation
    f.planar_configuration = planar
    return 0


cdef uint8_t[::1] _bytes_of(arr):
    """A writable byte view of a C-contiguous array."""
    return arr.reshape(-1).view(np.uint8)


cdef void _postprocess(uint8_t *px, const dc_frame *f, bint ybr_to_rgb) noexcept nogil:
    """Unused-bit correction and YBR_FULL -> RGB, in place, on a decoded frame."""
    cdef size_t npix = <size_t>f.rows * f.columns
    if f.bits_stored < f.bits_allocated:
        dc_fix_unused_bits(px, npix * f.samples_per_pixel, f.bits_allocated,
                           f.bits_stored, f.pixel_representation)
    if ybr_to_rgb and f.bits_allocated == 8 and f.samples_per_pixel == 3 \
            and f.planar_configuration == 0:
        dc_ybr_full_to_rgb_u8(px, npix)


cdef const uint8_t[::1] _as_bytes(src):
    """A contiguous uint8 view of any bytes-like src, copying only when it is
    not already one (e.g. a non-contiguous buffer)."""
    try:
        return memoryview(src).cast("B")
    except (TypeError, ValueError):
        return memoryview(bytes(src)).cast("B")


cdef str _dotted(unsigned long v):
    """'major.minor.patch' of a version number written MMMmmmppp, as
    libjpeg-turbo and libjxl give theirs."""
    return f"{v // 1000000}.{v // 1000 % 1000}.{v % 1000}"


# A C function reading one input: a family wraps its own entry point (header
# read, check) in one of these, typed `ctx` back to its struct inside, so
# that no function pointer is ever cast to another type.
ctypedef int (*_src_fn)(const uint8_t *src, size_t srclen, void *ctx,
                        dc_error *err) noexcept nogil

# A C function decoding one frame into dst, `f` describing it; `ctx` holds
# the family's engine flags (and may take results back).
ctypedef int (*_decode_fn)(const uint8_t *src, size_t srclen, uint8_t *dst, size_t dstlen,
                           const dc_frame *f, void *ctx, dc_error *err) noexcept nogil


cdef int _call_on_src(_src_fn fn, src, void *ctx, dc_error *err) except? -1:
    """fn on the bytes of src with the GIL released; returns its status."""
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef size_t n = s.shape[0]
    cdef const uint8_t *sp = &s[0] if n else NULL
    cdef int rc
    err.msg[0] = 0
    with nogil:
        rc = fn(sp, n, ctx, err)
    return rc


cdef int _read_src(_src_fn fn, src, void *ctx, str label, object frame) except -1:
    """_call_on_src for what a decoder reads: a failing status raises."""
    cdef dc_error err
    cdef int rc = _call_on_src(fn, src, ctx, &err)
    if rc != DC_OK:
        _raise(rc, &err, label, frame, True)
    return 0


cdef int _decode_frame(_decode_fn fn, void *ctx, src, info, out, int planar_configuration,
                       bint postprocess, bint ybr_to_rgb, str label, object frame) except -1:
    """Decode src into out (C-contiguous, sized for info) with fn, the GIL
    released; then, where the engine call does not do it itself
    (postprocess), unused-bit correction and YBR_FULL -> RGB (ybr_to_rgb)."""
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef uint8_t[::1] dst = _bytes_of(out)
    cdef size_t n = s.shape[0]
    cdef const uint8_t *sp = &s[0] if n else NULL
    cdef dc_frame f
    cdef dc_error err
    cdef int rc
    if dst.shape[0] == 0:
        raise OutputTooSmallError(label, frame, "empty output")
    err.msg[0] = 0
    _fill_frame(&f, info, planar_configuration)
    with nogil:
        rc = fn(sp, n, &dst[0], dst.shape[0], &f, ctx, &err)
        if rc == DC_OK and postprocess:
            _postprocess(&dst[0], &f, ybr_to_rgb)
    if rc != DC_OK:
        _raise(rc, &err, label, frame, True)
    return 0
