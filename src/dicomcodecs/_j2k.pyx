# cython: language_level=3
"""_j2k: binds lib/j2k: JPEG 2000 through OpenJPEG and HTJ2K through OpenJPH
or OpenJPEG. Thin: the Codecs, option parsing and the engine choice live in
dicomcodecs/families/j2k.py."""
include "_common.pxi"
from libc.string cimport memset
from dc_j2k cimport *

# The progression orders, in the order of their codes in the COD segment.
PROGRESSIONS = ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL")
_MONO = ("MONOCHROME1", "MONOCHROME2")


def openjpeg_version():
    return dc_openjpeg_version().decode()


def openjph_version():
    return dc_ojph_version().decode()


cdef int _read_header_c(const uint8_t *sp, size_t n, void *info, dc_error *err) noexcept nogil:
    return dc_j2k_parse(sp, n, <dc_j2k_info *>info, err)


def read_header(src, *, str label="JPEG 2000", object frame=None):
    """The main header of a codestream as a dict (SIZ, COD, CAP, TLM)."""
    cdef dc_j2k_info info
    _read_src(_read_header_c, src, &info, label, frame)
    return dict(width=info.width, height=info.height, x0=info.x0, y0=info.y0,
                components=info.ncomps, precision=info.precision,
                is_signed=bool(info.is_signed), subsampled=bool(info.subsampled),
                mct=bool(info.mct), levels=info.levels,
                progression=PROGRESSIONS[info.progression] if info.progression < 5
                else info.progression, layers=info.layers, reversible=bool(info.reversible),
                htj2k=bool(info.htj2k), tiles=info.tiles, tlm=bool(info.has_tlm))


def reduced(n, k):
    """ceil(n / 2**k), what OpenJPEG gives for an image at the origin."""
    return (int(n) + (1 << int(k)) - 1) >> int(k)


cdef int _fill_out_frame(dc_frame *f, info, int reduce) except -1:
    _fill_frame(f, info, 0)
    f.rows = reduced(info.rows, reduce)
    f.columns = reduced(info.columns, reduce)
    return 0


def decode_into(src, info, out, *, int reduce=0, int engine_threads=0, str engine="openjpeg",
                bint fallback=True, bint ybr_to_rgb=False, str label="JPEG 2000",
                object frame=None):
    """Decode one frame into `out` (C-contiguous, sized for `info` reduced by
    `reduce`). engine: "openjpeg" or "openjph"; with `fallback` the other
    engine gets a try when the first fails."""
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef dc_frame f
    cdef dc_error err, err2
    cdef dc_j2k_decode_opts opts
    cdef dc_j2k_info hdr
    memset(&hdr, 0, sizeof(hdr))
    err.msg[0] = 0
    err2.msg[0] = 0
    _fill_out_frame(&f, info, reduce)
    opts.reduce = reduce
    opts.threads = engine_threads if engine_threads > 1 else 0
    opts.sign_correct = info.photometric_interpretation in _MONO
    cdef uint8_t[::1] dst = _bytes_of(out)
    cdef size_t srclen = s.shape[0]
    cdef const uint8_t *sp = &s[0] if srclen else NULL
    cdef bint ojph_first = engine == "openjph"
    cdef int rc, rc2 = DC_OK
    cdef bint ybr = ybr_to_rgb
    with nogil:
        # Guarded: an assert() failing inside either library becomes an error.
        rc = dc_j2k_decode_guarded(DC_ENGINE_OPENJPH if ojph_first else DC_ENGINE_OPENJPEG,
                                   sp, srclen, &dst[0], dst.shape[0], &f, &opts, &hdr, &err)
        # Only a codestream the first engine declines (valid, but outside
        # what it handles) goes to the other: both system builds keep their
        # assert()s, and OpenJPEG's HT block decoder aborts on some corrupt
        # data, so data already judged corrupt is never handed on.
        if rc == DC_ERR_UNSUPPORTED and fallback and (hdr.htj2k or not ojph_first):
            if ojph_first:
                rc2 = dc_j2k_decode_guarded(DC_ENGINE_OPENJPEG, sp, srclen, &dst[0],
                                            dst.shape[0], &f, &opts, &hdr, &err2)
            elif hdr.htj2k:
                rc2 = dc_j2k_decode_guarded(DC_ENGINE_OPENJPH, sp, srclen, &dst[0],
                                            dst.shape[0], &f, &opts, &hdr, &err2)
            else:
                rc2 = rc
            if rc2 == DC_OK:
                rc = DC_OK
        if rc == DC_OK and ybr and not hdr.mct:
            # YBR_FULL stored without the codestream's own MCT: convert here.
            _postprocess(&dst[0], &f, True)
    if rc != DC_OK:
        if err2.msg[0]:
            other = err2.msg.decode("utf-8", "replace")
            msg = err.msg.decode("utf-8", "replace") + "; then " + other
            raise DecodeError(label, frame, f"{msg} ({_CAUSES.get(rc, rc)})")
        _raise(rc, &err, label, frame, True)


ctypedef fused _encode_opts:
    dc_openjpeg_encode_opts
    dc_ojph_encode_opts


cdef bytes _encode_c(arr, info, _encode_opts *o, bint reversible, bint mct, tile,
                     int progression, block, bint tlm, str label, object frame):
    """Encode one interleaved frame with the engine `o` is for, after
    filling in the options both engines share."""
    cdef dc_frame f
    cdef dc_error err
    cdef dc_j2k_buf buf
    memset(&buf, 0, sizeof(buf))
    err.msg[0] = 0
    _fill_frame(&f, info, 0)
    o.reversible, o.mct, o.progression, o.tlm = reversible, mct, progression, tlm
    o.tile_w, o.tile_h = tile[1], tile[0]
    o.block_w, o.block_h = block[1], block[0]
    cdef const uint8_t[::1] src = arr.reshape(-1).view(np.uint8)
    cdef int rc
    try:
        with nogil:
            if _encode_opts is dc_openjpeg_encode_opts:
                rc = dc_openjpeg_encode(&src[0], src.shape[0], &f, o, &buf, &err)
            else:
                rc = dc_ojph_encode(&src[0], src.shape[0], &f, o, &buf, &err)
        if rc != DC_OK:
            _raise(rc, &err, label, frame, False)
        return bytes(<const uint8_t[:buf.len]>buf.data) if buf.len else b""
    finally:
        dc_j2k_buf_free(&buf)


def encode_openjpeg(arr, info, *, bint reversible=True, bint mct=True, int levels=-1,
                    tile=(0, 0), int progression=0, block=(64, 64), layers=(),
                    bint use_psnr=False, bint tlm=False, int engine_threads=0,
                    str label="JPEG 2000", object frame=None):
    """Encode one interleaved frame as a raw J2K codestream with OpenJPEG."""
    cdef dc_openjpeg_encode_opts o
    memset(&o, 0, sizeof(o))
    o.levels = 0xFFFFFFFF if levels < 0 else levels
    if len(layers) > DC_OPENJPEG_MAX_LAYERS:
        raise EncodeError(label, frame, f"at most {DC_OPENJPEG_MAX_LAYERS} quality layers")
    o.nlayers = len(layers)
    for i, v in enumerate(layers):
        o.layers[i] = v
    o.use_psnr = use_psnr
    o.threads = engine_threads if engine_threads > 1 else 0
    return _encode_c(arr, info, &o, reversible, mct, tile, progression, block, tlm, label,
                     frame)


def encode_openjph(arr, info, *, bint reversible=True, bint mct=True, int levels=5,
                   tile=(0, 0), int progression=2, block=(64, 64), float qstep=0,
                   bint tlm=False, str label="HTJ2K", object frame=None):
    """Encode one interleaved frame as a raw HTJ2K codestream with OpenJPH."""
    cdef dc_ojph_encode_opts o
    memset(&o, 0, sizeof(o))
    o.levels = levels
    o.qstep = qstep
    return _encode_c(arr, info, &o, reversible, mct, tile, progression, block, tlm, label,
                     frame)
