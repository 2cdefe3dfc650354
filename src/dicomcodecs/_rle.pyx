# cython: language_level=3
"""_rle: binds lib/rle, our RLE Lossless codec (PS3.5 Annex G). Thin: the
Codec lives in dicomcodecs/families/rle.py."""
include "_common.pxi"
from dc_rle cimport *


def version():
    """The engine is our own C; its version is the package's."""
    from dicomcodecs._version import __version__
    return __version__


cdef int _decode_c(const uint8_t *sp, size_t n, uint8_t *dst, size_t dstlen, const dc_frame *f,
                   void *flags, dc_error *err) noexcept nogil:
    return dc_rle_decode(sp, n, dst, dstlen, f, (<unsigned *>flags)[0], err)


def decode_into(src, info, out, *, int planar_configuration=0, bint ybr_to_rgb=False,
                bint lsb_first=False, str label="RLE Lossless", object frame=None):
    """Decode one frame into `out` (C-contiguous, sized for `info`), samples
    laid out as `planar_configuration` says."""
    cdef unsigned flags = DC_RLE_LSB_FIRST if lsb_first else 0
    _decode_frame(_decode_c, &flags, src, info, out, planar_configuration, True, ybr_to_rgb,
                  label, frame)


def encode(arr, info, *, int planar_configuration=0, str label="RLE Lossless",
           object frame=None):
    """Encode one frame held in `arr` (C-contiguous, laid out as
    `planar_configuration` says) and return the RLE frame bytes."""
    cdef dc_frame f
    cdef dc_error err
    err.msg[0] = 0
    _fill_frame(&f, info, planar_configuration)
    cdef const uint8_t[::1] src = arr.reshape(-1).view(np.uint8)
    cdef size_t bound = dc_rle_encode_bound(&f)
    if bound == 0:
        raise EncodeError(label, frame,
                          f"cannot encode {info.samples_per_pixel} samples of "
                          f"{info.bits_allocated} bits: RLE allows at most 15 segments "
                          "of 8, 16, 32 or 64-bit samples")
    out = bytearray(bound)
    cdef uint8_t[::1] dst = out
    cdef size_t n = 0
    cdef int rc
    with nogil:
        rc = dc_rle_encode(&src[0], src.shape[0], &dst[0], bound, &n, &f, &err)
    if rc != DC_OK:
        _raise(rc, &err, label, frame, False)
    del dst
    del out[n:]
    return bytes(out)
