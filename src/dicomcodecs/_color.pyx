# cython: language_level=3
"""_color: the C colour conversions of lib/common for whole numpy arrays
(native pixel data, and pydicom's YBR->RGB step once register() swaps it)."""
include "_common.pxi"

# lib/common's in-place conversions of npixels interleaved 8-bit triplets
ctypedef void (*_convert_fn)(uint8_t *px, size_t npixels) noexcept nogil


cdef object _convert_in_place(arr, _convert_fn convert):
    if arr.dtype != np.uint8 or arr.shape[-1] != 3 or not arr.flags.c_contiguous \
            or not arr.flags.writeable:
        raise ValueError("expected a writeable C-contiguous uint8 array of shape (..., 3)")
    cdef uint8_t[::1] px = arr.reshape(-1)
    with nogil:
        convert(&px[0], <size_t>px.shape[0] // 3)
    return arr


def ybr_full_to_rgb(arr):
    """Convert an 8-bit (..., 3) C-contiguous array from YBR_FULL to RGB in place."""
    return _convert_in_place(arr, dc_ybr_full_to_rgb_u8)


def rgb_to_ybr_full(arr):
    """Convert an 8-bit (..., 3) C-contiguous array from RGB to YBR_FULL in place."""
    return _convert_in_place(arr, dc_rgb_to_ybr_full_u8)
