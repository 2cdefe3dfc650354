"""JPEG 2000 (.90/.91) and HTJ2K (.201/.202/.203): the Codecs over
dicomcodecs._j2k (OpenJPEG, OpenJPH), with option parsing, the choice of
decoding engine and the engine-thread threshold."""

from __future__ import annotations

import numpy as np

from .. import _j2k
from .._errors import EncodeError, InvalidInputError
from .._uids import HTJ2K, HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, J2K, J2K_LOSSLESS, describe
from ..registry import Codec
from ._common import wants_rgb

PROGRESSIONS = _j2k.PROGRESSIONS
_MCT_PI = ("YBR_ICT", "YBR_RCT")

# Which engine decodes HTJ2K first. OpenJPH measured 1.8-4.3x faster than
# OpenJPEG 2.5.0 on every codestream we tried (693/MR2/RG1/US1, lossless and
# lossy, one core); OpenJPEG takes what the shim declines to give OpenJPH.
HTJ2K_DECODER = "openjph"


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
# Encoding one frame with OpenJPEG's threads (2 cores, 1 vs 2 threads, 12-bit
# in 16): 96x96 (18 KB of samples) 0.90x, 160x160 (51 KB) 1.41x, 256x256
# 1.73x: the same bound, counted in the frame's samples, holds there.
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
    Encoding takes ``engine_threads`` the same way (OpenJPEG's encoder;
    OpenJPH, which encodes HTJ2K, has no threads and ignores it).

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
    # decode_into and encode take engine_threads: the API passes the cores it
    # would otherwise leave idle when it codes fewer frames than it has cores.
    supports_engine_threads = True
    engine_threads_min_bytes = _ENGINE_THREADS_MIN_BYTES
    transfer_syntaxes = (J2K_LOSSLESS, J2K)
    encode_syntaxes = (J2K_LOSSLESS, J2K)
    encode_options = frozenset({"j2k_cr", "j2k_psnr", "reversible", "levels", "tile_size",
                                "progression", "block_size", "use_mct"})

    def engine_version(self):
        return _j2k.openjpeg_version()

    def output_spec(self, info, *, as_rgb=True, reduce=0):
        reduce = int(reduce)
        if not 0 <= reduce <= 32:
            raise InvalidInputError(f"reduce={reduce}: use 0 to 32 resolution levels")
        pi = info.photometric_interpretation
        if info.samples_per_pixel == 3 and (
                pi in _MCT_PI or (as_rgb and pi in ("YBR_FULL", "YBR_FULL_422"))):
            pi = "RGB"
        shape = (_j2k.reduced(info.rows, reduce), _j2k.reduced(info.columns, reduce))
        if info.samples_per_pixel != 1:
            shape += (info.samples_per_pixel,)
        return shape, info.dtype, pi

    def _engine(self):
        return "openjpeg"

    def decode_into(self, src, info, out, *, as_rgb=True, reduce=0, frame=None,
                    engine_threads=0):
        _j2k.decode_into(src, info, out, reduce=reduce, engine_threads=engine_threads,
                         engine=self._engine(), ybr_to_rgb=wants_rgb(info, as_rgb),
                         label=self.name, frame=frame)

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

    def encode(self, arr, info, *, frame=None, engine_threads=0, **options):
        cr, psnr = options.get("j2k_cr"), options.get("j2k_psnr")
        uid = info.transfer_syntax
        if uid == J2K_LOSSLESS and (cr or psnr):
            raise EncodeError(self.name, frame, "j2k_cr and j2k_psnr make lossy codestreams: "
                              f"use {describe(J2K)}, not JPEG 2000 Lossless")
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
        return _j2k.encode_openjpeg(
            arr, info, reversible=reversible, mct=_uses_mct(info, options),
            levels=_levels(options.get("levels"), info, tile, self.name), tile=tile,
            progression=_progression(options.get("progression", "LRCP"), self.name),
            block=_block(options.get("block_size", 64), self.name), layers=layers,
            use_psnr=bool(psnr), engine_threads=engine_threads,
            label=self.name, frame=frame)

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
    transfer_syntaxes = (HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K)
    encode_syntaxes = (HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K)
    encode_options = frozenset({"reversible", "qstep", "levels", "tile_size", "progression",
                                "block_size", "use_mct"})

    def engine_version(self):
        return f"OpenJPH {_j2k.openjph_version()}, OpenJPEG {_j2k.openjpeg_version()}"

    def _engine(self):
        return HTJ2K_DECODER

    def _lossless_syntax(self, uid):
        return uid in (HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL)

    def encode(self, arr, info, *, frame=None, engine_threads=0, **options):
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
        return _j2k.encode_openjph(arr, info, reversible=reversible, mct=_uses_mct(info, options),
                              levels=levels, tile=tile, progression=progression,
                              block=_block(options.get("block_size", 64), self.name),
                              qstep=qstep or 0, tlm=tlm, label=self.name, frame=frame)


def codecs():
    """The Codec objects of this family, for _builtin to register."""
    return [J2KCodec(), HTJ2KCodec()]
