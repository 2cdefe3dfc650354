# _common.pxi: what every _<family>.pyx shares: the one table from C status
# codes to exceptions, and FrameInfo -> dc_frame. Included, not imported, so
# each extension stays self-contained.
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
