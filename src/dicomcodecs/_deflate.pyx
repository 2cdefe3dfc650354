# cython: language_level=3
"""_deflate: binds lib/deflate, Deflated Image Frame Compression (PS3.5
A.4.13) through libdeflate, and the one-bit packing Bits Allocated 1 needs."""
include "_common.pxi"
from dc_deflate cimport *

from dicomcodecs.registry import Codec

CODEC = "Deflated Image Frame Compression"
DEFLATE = "1.2.840.10008.1.2.8.1"
DEFAULT_LEVEL = 6


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


def decode_into(const uint8_t[::1] src, out, info, *, object frame=None, bint ybr_to_rgb=False):
    """Inflate one frame into `out` (C-contiguous, sized for `info`,
    interleaved); Bits Allocated 1 comes out one 0/1 byte a sample."""
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
    cdef size_t srclen = src.shape[0]
    cdef const uint8_t *sp = &src[0] if srclen else NULL
    with nogil:
        rc = dc_deflate_decode(sp, srclen, &tmp[0], tmp.shape[0], &err)
        if rc == DC_OK and bits1:
            rc = dc_bits_unpack(&tmp[0], tmp.shape[0], 0, &dst[0], dst.shape[0], &err)
    if rc != DC_OK:
        _raise(rc, &err, CODEC, frame, True)
    if bits1:
        return
    if planar:
        spp = info.samples_per_pixel
        planes = np.asarray(tmp).view(out.dtype).reshape(spp, info.rows, info.columns)
        out[...] = planes.transpose(1, 2, 0)
    with nogil:
        _postprocess(&dst[0], &f, ybr_to_rgb)


def encode(arr, info, *, int level=DEFAULT_LEVEL, object frame=None):
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
        raise EncodeError(CODEC, frame, f"a frame of {src.shape[0]} bytes is too large")
    out = bytearray(bound)
    cdef uint8_t[::1] dst = out
    cdef size_t n = 0
    cdef int rc
    with nogil:
        rc = dc_deflate_encode(&src[0], src.shape[0], &dst[0], bound, &n, level, &err)
    if rc != DC_OK:
        _raise(rc, &err, CODEC, frame, False)
    del dst
    del out[n:]
    return bytes(out)


class DeflateCodec(Codec):
    """Deflated Image Frame Compression (PS3.5 A.4.13): each frame a raw
    Deflate stream of its native bytes, through libdeflate."""

    name = CODEC
    engine = "libdeflate"
    transfer_syntaxes = (DEFLATE,)
    encode_syntaxes = (DEFLATE,)
    encode_options = frozenset({"level"})

    def engine_version(self):
        return version()

    def output_spec(self, info, *, as_rgb=True, reduce=0):
        if info.bits_allocated == 1 and info.pixel_representation:
            raise DecodeError(CODEC, None, "Bits Allocated 1 data cannot be signed")
        return Codec.output_spec(self, info, as_rgb=as_rgb, reduce=reduce)

    def decode_into(self, src, info, out, *, as_rgb=True, reduce=0, frame=None):
        if reduce:
            self.output_spec(info, reduce=reduce)
        decode_into(_as_bytes(src), out, info, frame=frame,
                    ybr_to_rgb=_wants_rgb(info, as_rgb))

    def encode(self, arr, info, *, frame=None, level=DEFAULT_LEVEL):
        if isinstance(level, bool) or not isinstance(level, (int, np.integer)) \
                or not 0 <= level <= 12:
            raise EncodeError(CODEC, frame, f"level={level!r}: use an integer 0 (stored) "
                              "to 12 (smallest, slowest); the default is 6")
        if info.bits_allocated == 1 and info.bits_stored != 1:
            raise EncodeError(CODEC, frame, f"Bits Allocated 1 needs Bits Stored 1, "
                              f"not {info.bits_stored}")
        if info.bits_allocated == 1 and (arr > 1).any():
            raise EncodeError(CODEC, frame, "Bits Allocated 1 samples must be 0 or 1")
        return encode(arr, info, level=int(level), frame=frame)

    def encoded_attributes(self, info, **options):
        return {"photometric_interpretation": info.photometric_interpretation,
                "planar_configuration": 0, "lossy": False}


def codecs():
    """The Codec objects this extension provides, for _builtin to register."""
    return [DeflateCodec()]
