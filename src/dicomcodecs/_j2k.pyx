# cython: language_level=3
"""_j2k: binds lib/j2k: JPEG 2000 through OpenJPEG and HTJ2K through OpenJPH
or OpenJPEG (whichever decodes faster, the other as a fallback)."""
include "_common.pxi"
from libc.string cimport memset
from dc_j2k cimport *

import os

from dicomcodecs.registry import Codec

J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"
J2K = "1.2.840.10008.1.2.4.91"
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"
HTJ2K_LOSSLESS_RPCL = "1.2.840.10008.1.2.4.202"
HTJ2K = "1.2.840.10008.1.2.4.203"
J2K_SYNTAXES = (J2K_LOSSLESS, J2K)
HTJ2K_SYNTAXES = (HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K)

PROGRESSIONS = ("LRCP", "RLCP", "RPCL", "PCRL", "CPRL")
_MONO = ("MONOCHROME1", "MONOCHROME2")
_MCT_PI = ("YBR_ICT", "YBR_RCT")

# Which engine decodes HTJ2K first. OpenJPH measured 1.8-4.3x faster than
# OpenJPEG 2.5.0 on every codestream we tried (693/MR2/RG1/US1, lossless and
# lossy, one core); OpenJPEG takes what the shim declines to give OpenJPH.
HTJ2K_DECODER = "openjph"


def openjpeg_version():
    return dc_openjpeg_version().decode()


def openjph_version():
    return dc_ojph_version().decode()


def parse(src):
    """The main header of a codestream as a dict (SIZ, COD, CAP, TLM)."""
    cdef const uint8_t[::1] s = _as_bytes(src)
    cdef dc_j2k_info info
    cdef dc_error err
    err.msg[0] = 0
    cdef size_t n = s.shape[0]
    cdef int rc = dc_j2k_parse(&s[0] if n else NULL, n, &info, &err)
    if rc != DC_OK:
        _raise(rc, &err, "JPEG 2000", None, True)
    return dict(width=info.width, height=info.height, x0=info.x0, y0=info.y0,
                components=info.ncomps, precision=info.precision,
                is_signed=bool(info.is_signed), subsampled=bool(info.subsampled),
                mct=bool(info.mct), levels=info.levels,
                progression=PROGRESSIONS[info.progression] if info.progression < 5
                else info.progression, layers=info.layers, reversible=bool(info.reversible),
                htj2k=bool(info.htj2k), tiles=info.tiles, tlm=bool(info.has_tlm))


def _reduced(n, k):
    """ceil(n / 2**k), what OpenJPEG gives for an image at the origin."""
    return (int(n) + (1 << int(k)) - 1) >> int(k)


cdef int _fill_out_frame(dc_frame *f, info, int reduce) except -1:
    _fill_frame(f, info, 0)
    f.rows = _reduced(info.rows, reduce)
    f.columns = _reduced(info.columns, reduce)
    return 0


def decode_into(src, out, info, *, int reduce=0, int threads=0, object frame=None,
                str engine="openjpeg", str codec="JPEG 2000", bint ybr_to_rgb=False,
                bint fallback=True):
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
    opts.threads = threads if threads > 1 else 0
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
            raise DecodeError(codec, frame, f"{msg} ({_CAUSES.get(rc, rc)})")
        _raise(rc, &err, codec, frame, True)


def encode_openjpeg(arr, info, *, bint reversible=True, bint mct=True, int levels=-1,
                    tile=(0, 0), int progression=0, block=(64, 64), layers=(),
                    bint use_psnr=False, bint tlm=False, int threads=0, object frame=None,
                    str codec="JPEG 2000"):
    """Encode one interleaved frame as a raw J2K codestream with OpenJPEG."""
    cdef dc_frame f
    cdef dc_error err
    cdef dc_openjpeg_encode_opts o
    cdef dc_j2k_buf buf
    memset(&o, 0, sizeof(o))
    memset(&buf, 0, sizeof(buf))
    err.msg[0] = 0
    _fill_frame(&f, info, 0)
    o.reversible = reversible
    o.mct = mct
    o.levels = 0xFFFFFFFF if levels < 0 else levels
    o.tile_w, o.tile_h = tile[1], tile[0]
    o.progression = progression
    o.block_w, o.block_h = block[1], block[0]
    if len(layers) > DC_OPENJPEG_MAX_LAYERS:
        raise EncodeError(codec, frame, f"at most {DC_OPENJPEG_MAX_LAYERS} quality layers")
    o.nlayers = len(layers)
    for i, v in enumerate(layers):
        o.layers[i] = v
    o.use_psnr = use_psnr
    o.tlm = tlm
    o.threads = threads if threads > 1 else 0
    cdef const uint8_t[::1] src = arr.reshape(-1).view(np.uint8)
    cdef int rc
    try:
        with nogil:
            rc = dc_openjpeg_encode(&src[0], src.shape[0], &f, &o, &buf, &err)
        if rc != DC_OK:
            _raise(rc, &err, codec, frame, False)
        return bytes(<const uint8_t[:buf.len]>buf.data) if buf.len else b""
    finally:
        dc_j2k_buf_free(&buf)


def encode_openjph(arr, info, *, bint reversible=True, bint mct=True, int levels=5,
                   tile=(0, 0), int progression=2, block=(64, 64), float qstep=0,
                   bint tlm=False, object frame=None, str codec="HTJ2K"):
    """Encode one interleaved frame as a raw HTJ2K codestream with OpenJPH."""
    cdef dc_frame f
    cdef dc_error err
    cdef dc_ojph_encode_opts o
    cdef dc_j2k_buf buf
    memset(&o, 0, sizeof(o))
    memset(&buf, 0, sizeof(buf))
    err.msg[0] = 0
    _fill_frame(&f, info, 0)
    o.reversible = reversible
    o.mct = mct
    o.levels = levels
    o.tile_w, o.tile_h = tile[1], tile[0]
    o.progression = progression
    o.block_w, o.block_h = block[1], block[0]
    o.qstep = qstep
    o.tlm = tlm
    cdef const uint8_t[::1] src = arr.reshape(-1).view(np.uint8)
    cdef int rc
    try:
        with nogil:
            rc = dc_ojph_encode(&src[0], src.shape[0], &f, &o, &buf, &err)
        if rc != DC_OK:
            _raise(rc, &err, codec, frame, False)
        return bytes(<const uint8_t[:buf.len]>buf.data) if buf.len else b""
    finally:
        dc_j2k_buf_free(&buf)


# ------------------------------------------------------------------ options

def _pair(value, name, codec):
    """An int or (rows, columns) pair."""
    if isinstance(value, (int, np.integer)):
        value = (int(value), int(value))
    try:
        h, w = (int(v) for v in value)
    except (TypeError, ValueError):
        raise EncodeError(codec, None, f"{name} must be an int or a (rows, columns) pair, "
                          f"not {value!r}") from None
    if h < 1 or w < 1:
        raise EncodeError(codec, None, f"{name} {value!r} must be positive")
    return h, w


def _block(value, codec):
    h, w = _pair(value, "block_size", codec)
    for v in (h, w):
        if v < 4 or v > 1024 or v & (v - 1):
            raise EncodeError(codec, None, f"block_size {value!r}: each side must be a power "
                              "of two from 4 to 1024")
    if h * w > 4096:
        raise EncodeError(codec, None, f"block_size {value!r}: at most 4096 samples per block")
    return h, w


def _progression(value, codec):
    p = str(value).upper()
    if p not in PROGRESSIONS:
        raise EncodeError(codec, None, f"progression {value!r}: use one of "
                          f"{', '.join(PROGRESSIONS)}")
    return PROGRESSIONS.index(p)


def _default_levels(info, tile):
    side = min(tile[0] or info.rows, tile[1] or info.columns, info.rows, info.columns)
    levels = 5
    while levels > 0 and side >> levels == 0:
        levels -= 1
    return levels


def _levels(value, info, tile, codec):
    if value is None:
        return _default_levels(info, tile)
    try:
        levels = int(value)
    except (TypeError, ValueError):
        raise EncodeError(codec, None, f"levels must be an int, not {value!r}") from None
    if not 0 <= levels <= 32:
        raise EncodeError(codec, None, f"levels {levels} outside 0..32")
    return levels


def _ratios(value, name, codec):
    try:
        vals = [float(v) for v in value]
    except TypeError:
        vals = [float(value)]
    except ValueError:
        raise EncodeError(codec, None, f"{name} must be a list of numbers, not {value!r}") from None
    if not vals or any(v <= 0 for v in vals):
        raise EncodeError(codec, None, f"{name} {value!r}: give one positive value per layer")
    return vals


def _uses_mct(info, options):
    return (info.samples_per_pixel == 3 and info.photometric_interpretation == "RGB"
            and bool(options.get("use_mct", True)))


# OpenJPEG's own threads pay off only with enough code-blocks to share out.
# Measured on 2 cores over the J2K files of pydicom and pydicom-data, one
# frame, 1 vs 2 threads: every codestream of 30 KB or less decoded slower
# (0.17-0.74x; GDCMJ2K_TextGBR, 30 KB, 8 -> 16 ms), every one of 57 KB or more
# faster (1.37x for US1_J2KI at 57.6 KB, up to 1.9x). Decide by its size.
_ENGINE_THREADS_MIN_BYTES = 48 * 1024


class J2KCodec(Codec):
    """JPEG 2000 (ISO 15444-1) through OpenJPEG.

    Decoding: OpenJPEG undoes the codestream's multiple component transform
    itself, so YBR_ICT and YBR_RCT frames always come out RGB (as_rgb or not:
    the transform is part of the codestream). ``reduce=k`` discards the k
    highest resolution levels; each side becomes ceil(n / 2**k).
    ``engine_threads=n`` (n > 1) lets OpenJPEG decode one frame with n worker
    threads: worth it for one big frame, not when decode_frames already
    spreads frames over cores (the default, 0, uses the calling thread only).

    Encode options (pydicom's names where it has them): ``j2k_cr`` (list of
    compression ratios, one per quality layer, decreasing, e.g. [20, 5]) or
    ``j2k_psnr`` (list of PSNRs in dB, increasing), for JPEG 2000 (.91)
    only; without either, .91 writes the irreversible 9/7 wavelet with no
    rate limit (quantisation alone loses detail, as HTJ2K's default does).
    ``reversible`` (5/3 wavelet + RCT; default True for .90, False for .91), ``levels`` (decomposition levels, default 5,
    fewer for small images), ``tile_size`` (int or (rows, columns)),
    ``progression`` ('LRCP' default, 'RLCP', 'RPCL', 'PCRL', 'CPRL'),
    ``block_size`` (int or (rows, columns), default 64), ``use_mct`` (default
    True: RGB is written as YBR_RCT (reversible) or YBR_ICT).
    """

    name = "JPEG 2000"
    engine = "OpenJPEG"
    # decode_into takes engine_threads: the API passes the cores it would
    # otherwise leave idle when it decodes a single frame.
    supports_engine_threads = True
    transfer_syntaxes = J2K_SYNTAXES
    encode_syntaxes = J2K_SYNTAXES
    encode_options = frozenset({"j2k_cr", "j2k_psnr", "reversible", "levels", "tile_size",
                                "progression", "block_size", "use_mct", "engine_threads"})

    def engine_version(self):
        return openjpeg_version()

    def output_spec(self, info, *, as_rgb=True, reduce=0):
        reduce = int(reduce)
        if not 0 <= reduce <= 32:
            raise InvalidInputError(f"reduce={reduce}: use 0 to 32 resolution levels")
        pi = info.photometric_interpretation
        if info.samples_per_pixel == 3 and (
                pi in _MCT_PI or (as_rgb and pi in ("YBR_FULL", "YBR_FULL_422"))):
            pi = "RGB"
        shape = (_reduced(info.rows, reduce), _reduced(info.columns, reduce))
        if info.samples_per_pixel != 1:
            shape += (info.samples_per_pixel,)
        return shape, info.dtype, pi

    def _engine(self):
        return "openjpeg"

    def decode_into(self, src, info, out, *, as_rgb=True, reduce=0, frame=None,
                    engine_threads=0):
        if memoryview(src).nbytes < _ENGINE_THREADS_MIN_BYTES:
            engine_threads = 0  # thread start-up costs more than it saves
        decode_into(src, out, info, reduce=reduce, threads=engine_threads, frame=frame,
                    engine=self._engine(), codec=self.name,
                    ybr_to_rgb=_wants_rgb(info, as_rgb))

    def _lossless_syntax(self, uid):
        return uid == J2K_LOSSLESS

    def _reversible(self, info, options, frame):
        lossless = self._lossless_syntax(info.transfer_syntax)
        rev = options.get("reversible")
        if rev is None:
            return lossless
        if lossless and not rev:
            raise EncodeError(self.name, frame, "reversible=False is lossy: use the lossy "
                              "transfer syntax")
        return bool(rev)

    def encode(self, arr, info, *, frame=None, **options):
        cr, psnr = options.get("j2k_cr"), options.get("j2k_psnr")
        uid = info.transfer_syntax
        if uid == J2K_LOSSLESS and (cr or psnr):
            raise EncodeError(self.name, frame, "j2k_cr and j2k_psnr make lossy codestreams: "
                              "use JPEG 2000 (1.2.840.10008.1.2.4.91), not JPEG 2000 Lossless")
        if cr and psnr:
            raise EncodeError(self.name, frame, "give j2k_cr or j2k_psnr, not both")
        # JPEG 2000 (.91) without j2k_cr/j2k_psnr: the irreversible 9/7
        # wavelet with OpenJPEG's default quantisation and no rate limit, the
        # counterpart of HTJ2K's default (irreversible, OpenJPH's qstep)
        reversible = self._reversible(info, options, frame)
        tile = _pair(options["tile_size"], "tile_size", self.name) \
            if options.get("tile_size") else (0, 0)
        layers = _ratios(cr, "j2k_cr", self.name) if cr else \
            _ratios(psnr, "j2k_psnr", self.name) if psnr else ()
        return encode_openjpeg(
            arr, info, reversible=reversible, mct=_uses_mct(info, options),
            levels=_levels(options.get("levels"), info, tile, self.name), tile=tile,
            progression=_progression(options.get("progression", "LRCP"), self.name),
            block=_block(options.get("block_size", 64), self.name), layers=layers,
            use_psnr=bool(psnr), threads=int(options.get("engine_threads", 0) or 0),
            frame=frame, codec=self.name)

    def encoded_attributes(self, info, **options):
        lossless_syntax = self._lossless_syntax(info.transfer_syntax)
        rev = options.get("reversible")
        reversible = lossless_syntax if rev is None else bool(rev)
        truncated = bool(options.get("j2k_cr") or options.get("j2k_psnr") or options.get("qstep"))
        pi = info.photometric_interpretation
        if _uses_mct(info, options):
            pi = "YBR_RCT" if reversible else "YBR_ICT"
        return {"photometric_interpretation": pi, "planar_configuration": 0,
                "lossy": not reversible or (truncated and not lossless_syntax)}


class HTJ2KCodec(J2KCodec):
    """HTJ2K (ISO 15444-15): decoded by OpenJPH or OpenJPEG (HTJ2K_DECODER
    first, the other as a fallback), encoded by OpenJPH.

    Encode options: ``reversible`` (default True for .201/.202, False for
    .203), ``qstep`` (quantisation step of the irreversible 9/7 path, .203),
    ``levels``, ``tile_size``, ``progression`` (default 'RPCL'),
    ``block_size``, ``use_mct``. HTJ2K Lossless RPCL (.202) always writes
    RPCL, enough levels that the lowest resolution is at most 64 samples on
    each side, and TLM marker segments (PS3.5 A.4.6)."""

    name = "HTJ2K"
    engine = "OpenJPH+OpenJPEG"
    transfer_syntaxes = HTJ2K_SYNTAXES
    encode_syntaxes = HTJ2K_SYNTAXES
    encode_options = frozenset({"reversible", "qstep", "levels", "tile_size", "progression",
                                "block_size", "use_mct"})

    def engine_version(self):
        return f"OpenJPH {openjph_version()}, OpenJPEG {openjpeg_version()}"

    def _engine(self):
        return HTJ2K_DECODER

    def _lossless_syntax(self, uid):
        return uid in (HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL)

    def encode(self, arr, info, *, frame=None, **options):
        uid = info.transfer_syntax
        reversible = self._reversible(info, options, frame)
        qstep = options.get("qstep")
        if qstep is not None:
            if reversible:
                raise EncodeError(self.name, frame, "qstep applies to irreversible (lossy) "
                                  "coding only")
            qstep = float(qstep)
            if not 0 < qstep <= 2:
                raise EncodeError(self.name, frame, f"qstep {qstep} outside (0, 2]")
        tile = _pair(options["tile_size"], "tile_size", self.name) \
            if options.get("tile_size") else (0, 0)
        levels = _levels(options.get("levels"), info, tile, self.name)
        progression = _progression(options.get("progression", "RPCL"), self.name)
        tlm = False
        if uid == HTJ2K_LOSSLESS_RPCL:
            if progression != 2:
                raise EncodeError(self.name, frame, "HTJ2K Lossless RPCL requires the RPCL "
                                  "progression")
            # PS3.5: the lowest resolution at most 64 x 64.
            side = max(tile[0] or info.rows, tile[1] or info.columns)
            while -(-side // (1 << levels)) > 64:
                levels += 1
            tlm = True
        return encode_openjph(arr, info, reversible=reversible, mct=_uses_mct(info, options),
                              levels=levels, tile=tile, progression=progression,
                              block=_block(options.get("block_size", 64), self.name),
                              qstep=qstep or 0, tlm=tlm, frame=frame, codec=self.name)


def codecs():
    """The Codec objects this extension provides, for _builtin to register."""
    return [J2KCodec(), HTJ2KCodec()]
