"""pydicom integration: register()/unregister() the 'dicomcodecs' decoder and
encoder plugins, ahead of pydicom's own when first=True, and swap pydicom's
numpy YBR->RGB step for our C conversion while registered."""

from __future__ import annotations

from typing import Any

from . import _uids as _new_uids
from .._uids import HTJ2K, HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL

LABEL = "dicomcodecs"
_DECODER = ("dicomcodecs.pydicom.decoder", "_decode_frame")
_ENCODER = ("dicomcodecs.pydicom.encoder", "_encode_frame")

# What register() changed, so unregister() can put pydicom back exactly.
_state: dict[str, Any] | None = None

_HTJ2K_SYNTAXES = (HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K)


def _pydicom_version() -> tuple[int, int]:
    import pydicom

    major, minor = (int(x) for x in pydicom.__version__.split(".")[:2])
    return major, minor


def _move_first(coder: Any) -> list[str] | None:
    """Put our plugin first in pydicom's plugin table (a private dict: only
    on pydicom versions we know). Returns the previous order."""
    available = getattr(coder, "_available", None)
    if not isinstance(available, dict) or LABEL not in available:
        return None
    before = list(available)
    ours = available.pop(LABEL)
    rest = dict(available)
    available.clear()
    available[LABEL] = ours
    available.update(rest)
    return before


def _fast_convert_color_space(original):
    import numpy as np

    def convert_color_space(arr, current, desired, per_frame=False):
        cur, want = str(current).upper(), str(desired).upper()
        if (cur in ("YBR_FULL", "YBR_FULL_422") and want == "RGB" and arr.dtype == np.uint8
                and arr.ndim >= 3 and arr.shape[-1] == 3):
            from .._color import ybr_full_to_rgb

            out = np.ascontiguousarray(arr)
            if out is arr and not out.flags.writeable:
                out = out.copy()
            return ybr_full_to_rgb(out)
        return original(arr, current, desired, per_frame=per_frame)

    convert_color_space.__wrapped__ = original
    return convert_color_space


# Encoding profiles (PS3.5 8.2.14) for the syntaxes pydicom 3.0 has none for.
def _htj2k_profiles(lossless: bool) -> list:
    bits = (8, 16, 24, 32, 40)
    colour = "YBR_RCT" if lossless else "YBR_ICT"
    return [
        ("MONOCHROME1", 1, (0, 1), bits, range(1, 39)),
        ("MONOCHROME2", 1, (0, 1), bits, range(1, 39)),
        ("PALETTE COLOR", 1, (0,), (8, 16), range(1, 17)),
        (colour, 3, (0,), bits, range(1, 39)),
        ("RGB", 3, (0,), bits, range(1, 39)),
        ("YBR_FULL", 3, (0,), bits, range(1, 39)),
    ]


def _add_encoder(uid: str, state: dict[str, Any]) -> Any:
    """A pydicom Encoder for a syntax pydicom cannot encode (JPEG, HTJ2K),
    entered in pydicom's encoder table so Dataset.compress finds it."""
    import pydicom.pixels.encoders.base as ebase
    from pydicom.uid import UID

    table = getattr(ebase, "_PIXEL_DATA_ENCODERS", None)
    profiles = getattr(ebase, "ENCODING_PROFILES", None)
    if not isinstance(table, dict) or not isinstance(profiles, dict):
        return None
    enc = ebase.Encoder(UID(uid))
    table[UID(uid)] = (enc, "dicomcodecs")
    state["added_encoders"].append(UID(uid))
    if UID(uid) not in profiles and uid in _HTJ2K_SYNTAXES:
        profiles[UID(uid)] = _htj2k_profiles(uid != HTJ2K)
        state["added_profiles"].append(UID(uid))
    elif UID(uid) not in profiles and uid in _new_uids.ENCODING_PROFILES:
        profiles[UID(uid)] = list(_new_uids.ENCODING_PROFILES[uid])
        state["added_profiles"].append(UID(uid))
    return enc


def _add_decoder(uid: str, state: dict[str, Any]) -> Any:
    """A pydicom Decoder for a syntax pydicom has none for (JPEG XL and
    deflate on pydicom 3.0), entered in its decoder table so get_decoder
    and Dataset.pixel_array find it."""
    import pydicom.pixels.decoders.base as dbase
    from pydicom.uid import UID

    table = getattr(dbase, "_PIXEL_DATA_DECODERS", None)
    if not isinstance(table, dict) or uid not in _new_uids.NEW_SYNTAXES:
        return None
    dec = dbase.Decoder(UID(uid))
    table[UID(uid)] = (dec, "dicomcodecs")
    state["added_decoders"].append(UID(uid))
    return dec


def register(first: bool = True) -> None:
    """Add the 'dicomcodecs' plugins to every pydicom decoder and encoder
    whose transfer syntax dicomcodecs serves; a second call does nothing.

    Parameters
    ----------
    first : bool
        True (default): ahead of pydicom's own plugins, so ``ds.pixel_array``
        uses dicomcodecs (pydicom 3 only: it reorders pydicom's plugin table);
        False: after them, used when they are missing or fail.

    Returns
    -------
    None

    Raises
    ------
    ImportError
        pydicom is not installed (``pip install 'dicomcodecs[pydicom]'``).

    Example
    -------
    >>> import dicomcodecs.pydicom
    >>> dicomcodecs.pydicom.register()
    >>> pydicom.dcmread("ct_j2k.dcm").pixel_array   # decoded by dicomcodecs

    Worker processes started with *spawn* do not inherit this: pass
    :func:`register_in_worker` as the pool's ``initializer``.
    """
    global _state
    if _state is not None:
        return
    import pydicom.pixels.decoders.base as dbase
    import pydicom.pixels.encoders.base as ebase
    from pydicom.pixels import get_decoder as pd_get_decoder
    from pydicom.pixels import get_encoder as pd_get_encoder

    from .._uids import SYNTAXES
    from . import decoder as our_decoder
    from . import encoder as our_encoder

    known = _pydicom_version()[0] == 3
    state: dict[str, Any] = {"decoders": {}, "encoders": {}, "convert": None,
                             "added_encoders": [], "added_profiles": [], "added_decoders": [],
                             "taught": [u for u in _new_uids.NEW_SYNTAXES if _new_uids.teach(u)]}
    for uid in SYNTAXES:
        if our_decoder.is_available(uid):
            try:
                dec = pd_get_decoder(uid)
            except NotImplementedError:
                dec = _add_decoder(uid, state) if known else None
            if dec is not None and LABEL not in dec.available_plugins:
                dec.add_plugin(LABEL, _DECODER)
                state["decoders"][uid] = _move_first(dec) if first and known else None
        if our_encoder.is_available(uid):
            try:
                enc = pd_get_encoder(uid)
            except (NotImplementedError, KeyError):
                enc = _add_encoder(uid, state) if known else None
            if enc is not None and LABEL not in enc.available_plugins:
                enc.add_plugin(LABEL, _ENCODER)
                state["encoders"][uid] = _move_first(enc) if first and known else None
    if known and hasattr(dbase, "convert_color_space"):
        state["convert"] = dbase.convert_color_space
        dbase.convert_color_space = _fast_convert_color_space(dbase.convert_color_space)
    _state = state
    del ebase


def register_in_worker(first: bool = True) -> None:
    """Register the plugins in a worker process: pass it as the
    ``initializer`` of a process pool, since a worker started with *spawn* or
    *forkserver* (the default on macOS and Windows, and for
    ``concurrent.futures`` under Python 3.14) imports pydicom afresh, without
    the parent's registration. A *fork*ed worker inherits it.

    Parameters
    ----------
    first : bool
        As for :func:`register`: ahead of pydicom's own plugins (default).

    Returns and Raises
    ------------------
    As :func:`register` (None; ImportError without pydicom in the worker).

    Example
    -------
    >>> from concurrent.futures import ProcessPoolExecutor
    >>> import dicomcodecs.pydicom
    >>> with ProcessPoolExecutor(initializer=dicomcodecs.pydicom.register_in_worker) as pool:
    ...     shapes = list(pool.map(load_pixel_array_shape, paths))

    ``multiprocessing.Pool(initializer=dicomcodecs.pydicom.register_in_worker)``
    works the same way; with ``initargs=(False,)`` the plugins go last.
    """
    register(first=first)


def unregister() -> None:
    """Remove everything :func:`register` added and restore pydicom's
    plugin order; does nothing when not registered.

    Returns
    -------
    None

    Raises
    ------
    Nothing.

    Example
    -------
    >>> dicomcodecs.pydicom.unregister()
    """
    global _state
    if _state is None:
        return
    import pydicom.pixels.decoders.base as dbase
    from pydicom.pixels import get_decoder as pd_get_decoder
    from pydicom.pixels import get_encoder as pd_get_encoder

    import pydicom.pixels.encoders.base as ebase

    for table, getter in (("decoders", pd_get_decoder), ("encoders", pd_get_encoder)):
        for uid, order in _state[table].items():
            if uid in _state["added_" + table]:
                continue  # the whole Decoder or Encoder goes below
            coder = getter(uid)
            coder.remove_plugin(LABEL)
            available = getattr(coder, "_available", None)
            if order and isinstance(available, dict):
                saved = dict(available)
                available.clear()
                for name in order:
                    if name in saved:
                        available[name] = saved.pop(name)
                available.update(saved)
    for uid in _state["added_encoders"]:
        ebase._PIXEL_DATA_ENCODERS.pop(uid, None)
    for uid in _state["added_profiles"]:
        ebase.ENCODING_PROFILES.pop(uid, None)
    for uid in _state["added_decoders"]:
        dbase._PIXEL_DATA_DECODERS.pop(uid, None)
    for uid in _state["taught"]:
        _new_uids.untaught(uid)
    if _state["convert"] is not None:
        dbase.convert_color_space = _state["convert"]
    _state = None


def is_registered() -> bool:
    """Whether :func:`register` is in effect in this process.

    Example
    -------
    >>> dicomcodecs.pydicom.is_registered()
    False
    """
    return _state is not None
