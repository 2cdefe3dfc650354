# cython: language_level=3
"""_rle: binds lib/rle, our RLE Lossless codec (PS3.5 Annex G)."""
include "_common.pxi"
from dc_rle cimport *

from dicomcodecs.registry import Codec
from dicomcodecs._scratch import frame_buffer

CODEC = "RLE Lossless"
RLE = "1.2.840.10008.1.2.5"


def version():
    """The engine is our own C; its version is the package's."""
    from dicomcodecs._version import __version__
    return __version__


def decode_into(const uint8_t[::1] src, out, info, *, int planar=0, object frame=None,
                bint ybr_to_rgb=False, bint lsb_first=False):
    """Decode one frame into `out` (C-contiguous, sized for `info`), samples
    laid out as `planar` (the planar configuration) says."""
    cdef dc_frame f
    cdef dc_error err
    err.msg[0] = 0
    _fill_frame(&f, info, planar)
    cdef uint8_t[::1] dst = _bytes_of(out)
    cdef unsigned flags = DC_RLE_LSB_FIRST if lsb_first else 0
    cdef int rc
    cdef size_t srclen = src.shape[0]
    cdef const uint8_t *sp = &src[0] if srclen else NULL
    with nogil:
        rc = dc_rle_decode(sp, srclen, &dst[0], dst.shape[0], &f, flags, &err)
        if rc == DC_OK:
            _postprocess(&dst[0], &f, ybr_to_rgb)
    if rc != DC_OK:
        _raise(rc, &err, CODEC, frame, True)


def encode(arr, info, *, int planar_configuration=0, object frame=None):
    """Encode one frame held in `arr` (C-contiguous, laid out as
    `planar_configuration` says) and return the RLE frame bytes."""
    cdef dc_frame f
    cdef dc_error err
    err.msg[0] = 0
    _fill_frame(&f, info, planar_configuration)
    cdef const uint8_t[::1] src = arr.reshape(-1).view(np.uint8)
    cdef size_t bound = dc_rle_encode_bound(&f)
    if bound == 0:
        raise EncodeError(CODEC, frame,
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
        _raise(rc, &err, CODEC, frame, False)
    del dst
    del out[n:]
    return bytes(out)


class RLECodec(Codec):
    """RLE Lossless (PS3.5 Annex G), our own C in lib/rle."""

    name = CODEC
    engine = "dicomcodecs"
    transfer_syntaxes = (RLE,)
    encode_syntaxes = (RLE,)
    encode_options = frozenset({"rle_segment_order"})

    def engine_version(self):
        return version()

    def decode_into(self, src, info, out, *, as_rgb=True, reduce=0, frame=None,
                    planar=0, lsb_first=False):
        if reduce:
            self.output_spec(info, reduce=reduce)
        decode_into(src, out, info, planar=planar, frame=frame,
                    ybr_to_rgb=_wants_rgb(info, as_rgb) and not planar, lsb_first=lsb_first)

    def pydicom_decode(self, src, runner, info):
        """The pydicom plugin's decode: the stored bytes, colour by plane, as
        pydicom's own RLE decoder gives them. pydicom corrects unused bits
        itself (only when asked: correct_unused_bits) and takes planar data
        as a free transposed view, so neither is worth a pass here."""
        planar = 1 if info.samples_per_pixel > 1 else 0
        raw = info.replace(bits_stored=info.bits_allocated)
        buf = frame_buffer(info.frame_bytes)
        decode_into(src, np.frombuffer(buf, np.uint8), raw, planar=planar, frame=getattr(runner, "index", None),
                    lsb_first=runner.get_option("rle_segment_order", ">") == "<")
        if planar:
            # the same on every frame, so a persisted option never mislabels one
            runner.set_option("planar_configuration", 1)
        return buf

    def encode(self, arr, info, *, frame=None, **options):
        if options.get("rle_segment_order", ">") != ">":
            raise EncodeError(self.name, frame, "only the standard's big-endian segment "
                              "order ('>') can be written")
        return encode(arr, info, planar_configuration=0, frame=frame)

    def encoded_attributes(self, info, **options):
        # RLE codes each sample in its own segments whatever Planar
        # Configuration says; 0 is what pydicom and DCMTK write.
        return {"photometric_interpretation": info.photometric_interpretation,
                "planar_configuration": 0, "lossy": False}


def codecs():
    """The Codec objects this extension provides, for _builtin to register."""
    return [RLECodec()]
