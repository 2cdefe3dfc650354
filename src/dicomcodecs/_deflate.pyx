# cython: language_level=3
"""_deflate: binds lib/deflate, Deflated Image Frame Compression (PS3.5
A.4.13) through libdeflate, and the one-bit packing Bits Allocated 1 needs.
Thin: the Codec lives in dicomcodecs/families/deflate.py."""
include "_common.pxi"
from dc_deflate cimport *



def version():
    return dc_deflate_version().decode()


def packed_size(info):
    """Bytes of one native frame as stored: whole bytes of Bits Allocated
    samples, or ceil(samples / 8) when Bits Allocated is 1."""
    nsamples = info.rows * info.columns * info.samples_per_pixel
    return (nsamples * info.bits_allocated + 7) // 8


def unpack_bits(const uint8_t[::1] src, size_t bit, out):
    """One-bit samples from bit `bit` of src (first sample in the least
    significant bit) into `out` (uint8, C-contiguous), one 0/1 byte each."""
    cdef uint8_t[::1] dst = _bytes_of(out)
    cdef dc_error err
    err.msg[0] = 0
    cdef int rc
    cdef const uint8_t *sp = &src[0] if src.shape[0] else NULL
    with nogil:
        rc = dc_bits_unpack(sp, src.shape[0], bit, &dst[0], dst.shape[0], &err)
    if rc != DC_OK:
        _raise(rc, &err, "Bits Allocated 1", None, True)
    return out


def pack_bits(arr, uint8_t[::1] dst, size_t bit):
    """The inverse of unpack_bits: the low bit of each sample of `arr`
    written into dst from bit `bit` on; other bits of dst are kept."""
    cdef const uint8_t[::1] src = np.ascontiguousarray(arr).reshape(-1).view(np.uint8)
    cdef dc_error err
    err.msg[0] = 0
    cdef int rc
    cdef const uint8_t *sp = &src[0] if src.shape[0] else NULL
    cdef uint8_t *dp = &dst[0] if dst.shape[0] else NULL
    with nogil:
        rc = dc_bits_pack(sp, src.shape[0], dp, dst.shape[0], bit, &err)
    if rc != DC_OK:
        _raise(rc, &err, "Bits Allocated 1", None, False)


def decode_into(src, info, out, *, bint ybr_to_rgb=False,
                str label="Deflated Image Frame Compression", object frame=None):
    """Inflate one frame into `out` (C-contiguous, sized for `info`,
    interleaved); Bits Allocated 1 comes out one 0/1 byte a sample."""
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef dc_frame f
    cdef dc_error err
    err.msg[0] = 0
    cdef bint planar = info.samples_per_pixel > 1 and info.planar_configuration == 1
    cdef bint bits1 = info.bits_allocated == 1
    _fill_frame(&f, info, 0)
    cdef uint8_t[::1] dst = _bytes_of(out)
    # Packed and planar frames are inflated aside, then spread into out.
    cdef uint8_t[::1] tmp = np.empty(packed_size(info), np.uint8) if (bits1 or planar) else dst
    cdef int rc
    cdef size_t srclen = s.shape[0]
    cdef const uint8_t *sp = &s[0] if srclen else NULL
    with nogil:
        rc = dc_deflate_decode(sp, srclen, &tmp[0], tmp.shape[0], &err)
        if rc == DC_OK and bits1:
            rc = dc_bits_unpack(&tmp[0], tmp.shape[0], 0, &dst[0], dst.shape[0], &err)
    if rc != DC_OK:
        _raise(rc, &err, label, frame, True)
    if bits1:
        return
    if planar:
        spp = info.samples_per_pixel
        planes = np.asarray(tmp).view(out.dtype).reshape(spp, info.rows, info.columns)
        out[...] = planes.transpose(1, 2, 0)
    with nogil:
        _postprocess(&dst[0], &f, ybr_to_rgb)


def encode(arr, info, *, int level, str label="Deflated Image Frame Compression",
           object frame=None):
    """Deflate one frame held in `arr` (C-contiguous, interleaved; one 0/1
    byte a sample for Bits Allocated 1), padded to even length."""
    cdef dc_error err
    err.msg[0] = 0
    cdef const uint8_t[::1] src
    if info.bits_allocated == 1:
        packed = np.zeros(packed_size(info), np.uint8)
        pack_bits(arr, packed, 0)
        src = packed
    else:
        src = arr.reshape(-1).view(np.uint8)
    cdef size_t bound = dc_deflate_encode_bound(src.shape[0])
    if bound == 0:
        raise EncodeError(label, frame, f"a frame of {src.shape[0]} bytes is too large")
    out = bytearray(bound)
    cdef uint8_t[::1] dst = out
    cdef size_t n = 0
    cdef int rc
    with nogil:
        rc = dc_deflate_encode(&src[0], src.shape[0], &dst[0], bound, &n, level, &err)
    if rc != DC_OK:
        _raise(rc, &err, label, frame, False)
    del dst
    del out[n:]
    return bytes(out)
