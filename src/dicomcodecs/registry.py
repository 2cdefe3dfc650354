"""The codec registry: which codec decodes and encodes each transfer syntax.

A codec is any object with the attributes and methods of :class:`Codec`;
subclassing it is the easy way. ``register_codec(codec)`` puts it in charge of
the syntaxes it lists for the directions it supports, replacing the codec that
served them before (built-in or not). ``unregister_codec(codec)`` undoes that.

The contract, for a third party:

- ``name``: label used in error messages and ``codecs()``.
- ``engine`` / ``engine_version()``: what does the work, and its version.
- ``transfer_syntaxes``: the UIDs it serves.
- ``can_decode(uid)`` / ``can_encode(uid)``.
- ``decode_into(src, info, out, *, as_rgb, reduce, frame[, engine_threads])``:
  decode one frame (``src`` a bytes-like object) into ``out``, a C-contiguous
  array of ``output_spec(info, as_rgb=..., reduce=...)``'s shape and dtype. It
  should release the GIL while it works so that ``decode_frames`` scales, and
  raise :class:`DecodeError` for bad data. ``engine_threads=n`` is passed only
  to a codec with ``supports_engine_threads`` True: n threads of the engine's
  own for this frame, as ``_threads.engine_threads`` (the one rule, used by the
  API and the pydicom plugin) shares them out; ``engine_threads_min_bytes``
  says below which frame size the engine's threads do not pay.
- ``output_spec(info, *, as_rgb, reduce) -> (shape, dtype, photometric)``: what
  one decoded frame looks like; the default is ``info.shape``/``info.dtype``.
- ``encode(arr, info, *, frame, engine_threads=0, **options) -> bytes``:
  encode one frame given as a C-contiguous ``(rows, columns[, samples])``
  array; ``info`` describes it (its transfer_syntax is the target). Raise
  :class:`EncodeError`. ``engine_threads`` follows the rule of
  ``decode_into``: passed (n > 0) only to a codec with
  ``supports_engine_threads``, shared out by ``_threads.engine_threads``,
  and not for frames of fewer samples' bytes than ``engine_threads_min_bytes``.
  It is not an encoder option: the caller's ``threads`` decides it.
- ``encode_options``: the option names ``encode`` accepts; any other raises
  ``EncodeError`` before ``encode`` is called.
- ``encoded_attributes(info, **options) -> dict``: what the dataset must say
  about the encoded frames: ``photometric_interpretation``,
  ``planar_configuration`` and ``lossy`` (bool).

The built-in codecs follow one layout and one naming scheme (a new family
follows it too; docs/ARCHITECTURE.md lists the files to add):

- ``dicomcodecs._<family>`` (``_<family>.pyx``) binds ``lib/<family>`` and
  holds only calls into C, released from the GIL: ``version()``,
  ``read_header(src, *, label, frame) -> dict``,
  ``decode_into(src, info, out, *, planar_configuration=0, ybr_to_rgb=False,
  <engine flags>, label, frame)`` and ``encode(arr, info, *, <engine
  parameters>, planar_configuration=0, label, frame) -> bytes`` (a family with
  two engines names each: ``encode_turbo``/``encode_ljpeg``,
  ``encode_openjpeg``/``encode_openjph``). Arguments come in the order of
  :class:`Codec`'s methods (source, info, destination); ``label`` is the
  name errors carry; engine threads are ``engine_threads``.
- ``dicomcodecs.families.<family>`` holds the family's :class:`Codec`
  classes: option parsing, engine choice, thresholds, and ``codecs()``,
  which ``_builtin`` registers. UIDs come from ``_uids`` (``Syntax.family``).
- What a pydicom version needs of a codec lives in ``dicomcodecs.pydicom``.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from ._errors import DecodeError, EncodeError, InvalidInputError, UnsupportedError
from ._info import FrameInfo
from ._uids import SYNTAXES, describe

__all__ = ["Codec", "register_codec", "unregister_codec", "get_decoder", "get_encoder", "codecs"]


class Codec:
    """Base class for codecs; see the module docstring for the contract."""

    name = "codec"
    engine = "unknown"
    transfer_syntaxes: tuple[str, ...] = ()
    decode_syntaxes: tuple[str, ...] | None = None   # None: all transfer_syntaxes
    encode_syntaxes: tuple[str, ...] = ()
    encode_options: frozenset[str] = frozenset()
    # True when decode_into and encode accept engine_threads=n to code one
    # frame on n threads of the engine's own (OpenJPEG's, libjxl's); see
    # _threads.engine_threads.
    supports_engine_threads = False
    engine_threads_min_bytes = 0

    def engine_version(self) -> str:
        return ""

    def can_decode(self, uid: str) -> bool:
        syntaxes = self.transfer_syntaxes if self.decode_syntaxes is None else self.decode_syntaxes
        return uid in syntaxes

    def can_encode(self, uid: str) -> bool:
        return uid in self.encode_syntaxes

    def output_spec(self, info: FrameInfo, *, as_rgb: bool = True, reduce: int = 0
                    ) -> tuple[tuple[int, ...], np.dtype, str]:
        if reduce:
            raise InvalidInputError(f"reduce={reduce}: reduced-resolution decoding is only "
                             f"possible for JPEG 2000 and HTJ2K, not {describe(info.transfer_syntax)}")
        pi = info.photometric_interpretation
        if as_rgb and pi in ("YBR_FULL", "YBR_FULL_422") and info.samples_per_pixel == 3:
            pi = "RGB"
        return info.shape, info.dtype, pi

    def decode_into(self, src: Any, info: FrameInfo, out: np.ndarray, *, as_rgb: bool = True,
                    reduce: int = 0, frame: int | None = None) -> None:
        raise DecodeError(self.name, frame, "this codec does not decode")

    def encode(self, arr: np.ndarray, info: FrameInfo, *, frame: int | None = None,
               engine_threads: int = 0, **options: Any) -> bytes:
        raise EncodeError(self.name, frame, "this codec does not encode")

    def encoded_attributes(self, info: FrameInfo, **options: Any) -> dict[str, Any]:
        return {
            "photometric_interpretation": info.photometric_interpretation,
            "planar_configuration": 0,
            "lossy": SYNTAXES[info.transfer_syntax].lossy if info.transfer_syntax in SYNTAXES else False,
        }


_lock = threading.Lock()
_decoders: dict[str, Codec] = {}
_encoders: dict[str, Codec] = {}
_replaced: list[tuple[Codec, dict[str, Codec | None], dict[str, Codec | None]]] = []


def register_codec(codec: Codec) -> Codec:
    """Make `codec` serve every syntax it lists, in each direction it
    supports, replacing the codec that served it (built-in or not).

    Parameters
    ----------
    codec : Codec
        An object with the attributes and methods of :class:`Codec` (the
        module docstring gives the contract).

    Returns
    -------
    Codec
        `codec`, so it can be used as a class decorator's result.

    Raises
    ------
    TypeError
        `codec` lacks part of the contract; the message names what.

    Example
    -------
    >>> class MyJPEGXL(Codec):
    ...     name, engine = "JPEG XL", "libjxl"
    ...     transfer_syntaxes = ("1.2.840.10008.1.2.4.110",)
    ...     def decode_into(self, src, info, out, *, as_rgb=True, reduce=0, frame=None): ...
    >>> register_codec(MyJPEGXL())
    """
    for attr in ("name", "transfer_syntaxes", "can_decode", "can_encode", "decode_into", "encode"):
        if not hasattr(codec, attr):
            raise TypeError(f"a codec needs '{attr}'; see dicomcodecs.registry.Codec")
    with _lock:
        old_dec: dict[str, Codec | None] = {}
        old_enc: dict[str, Codec | None] = {}
        for uid in codec.transfer_syntaxes:
            uid = str(uid)
            if codec.can_decode(uid):
                old_dec[uid] = _decoders.get(uid)
                _decoders[uid] = codec
            if codec.can_encode(uid):
                old_enc[uid] = _encoders.get(uid)
                _encoders[uid] = codec
        _replaced.append((codec, old_dec, old_enc))
    return codec


def unregister_codec(codec: Codec) -> None:
    """Remove `codec`, giving each syntax back to the codec it replaced.

    Parameters
    ----------
    codec : Codec
        A codec passed to :func:`register_codec` before.

    Returns
    -------
    None

    Raises
    ------
    ValueError
        `codec` is not registered.

    Example
    -------
    >>> unregister_codec(my_codec)
    """
    with _lock:
        for i in range(len(_replaced) - 1, -1, -1):
            c, old_dec, old_enc = _replaced[i]
            if c is not codec:
                continue
            for k, table, old in ((1, _decoders, old_dec), (2, _encoders, old_enc)):
                for uid, prev in old.items():
                    if table.get(uid) is codec:
                        if prev is None:
                            table.pop(uid, None)
                        else:
                            table[uid] = prev
                    # A codec registered later replaced this one: it must fall
                    # back to this one's predecessor, not to this one.
                    for later in _replaced[i + 1:]:
                        if later[k].get(uid) is codec:
                            later[k][uid] = prev
            del _replaced[i]
            return
    raise ValueError(f"codec {getattr(codec, 'name', codec)!r} is not registered")


def _lookup(table: dict[str, Codec], uid: str, verb: str) -> Codec:
    try:
        return table[str(uid)]
    except KeyError:
        if str(uid) in SYNTAXES:
            raise UnsupportedError(
                f"no codec {verb} {describe(uid)} yet in this build of dicomcodecs") from None
        raise UnsupportedError(f"{describe(uid)} is not a compressed transfer syntax "
                                  "dicomcodecs knows") from None


def get_decoder(uid: str) -> Codec:
    """The codec that decodes `uid`; UnsupportedError (a NotImplementedError)
    naming the syntax when none does."""
    return _lookup(_decoders, uid, "decodes")


def get_encoder(uid: str) -> Codec:
    """The codec that encodes `uid`; UnsupportedError (a NotImplementedError)
    naming the syntax when none does."""
    return _lookup(_encoders, uid, "encodes")


def codecs() -> list[tuple[str, bool, bool, str, str]]:
    """What this build serves: one row per transfer syntax dicomcodecs knows.

    Returns
    -------
    list of (str, bool, bool, str, str)
        (transfer syntax UID, can decode, can encode, engine, engine version).

    Raises
    ------
    Nothing.

    Example
    -------
    >>> [uid for uid, dec, enc, *_ in codecs() if dec and enc]
    """
    rows = []
    for uid in SYNTAXES:
        dec, enc = _decoders.get(uid), _encoders.get(uid)
        c = dec or enc
        engine = c.engine if c else ""
        version = c.engine_version() if c else ""
        if dec and enc and dec is not enc:
            engine = f"{dec.engine} / {enc.engine}"
            version = f"{dec.engine_version()} / {enc.engine_version()}"
        rows.append((uid, dec is not None, enc is not None, engine, version))
    return rows
