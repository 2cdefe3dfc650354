"""pydicom encoder plugin 'dicomcodecs': pydicom's documented contract
(is_available, ENCODER_DEPENDENCIES, _encode_frame) over our codecs."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import EncodeError
from .._info import FrameInfo
from .._threads import engine_threads_alone
from .._uids import JPEG_BASELINE, JPEG_EXTENDED, SYNTAXES, family
from .. import registry
from ..registry import get_encoder

ENCODER_DEPENDENCIES = {uid: ("numpy", "dicomcodecs") for uid in SYNTAXES}

_JPEG_LS = family("jpegls")
_JPEG_DCT = (JPEG_BASELINE, JPEG_EXTENDED)
_J2K_FAMILY = family("j2k")


def _colour_plan(uid: str, intended: str, spp: int) -> tuple[str, dict[str, Any]]:
    """pydicom's Photometric Interpretation is the one the dataset will carry
    after encoding (the colour transform a codestream applies, e.g. YBR_RCT,
    YBR_FULL_422); ours describes the input. Returns (input photometric,
    options that make the codec write `intended`)."""
    if spp != 3:
        return intended, {}
    if uid in _JPEG_DCT:
        if intended in ("RGB", "YBR_FULL_422"):
            return "RGB", {"photometric": intended}
        return intended, {"photometric": intended}
    if uid in _J2K_FAMILY:
        if intended in ("YBR_RCT", "YBR_ICT"):
            return "RGB", {"use_mct": True}
        return intended, {"use_mct": False}
    return intended, {}


def is_available(uid: str) -> bool:
    return str(uid) in registry._encoders


def _encode_frame(src: bytes, runner: Any) -> bytes:
    """Encode one frame of little-endian pixel bytes as pydicom hands it over."""
    uid = str(runner.transfer_syntax)
    codec = get_encoder(uid)
    rows, cols, spp = runner.rows, runner.columns, runner.samples_per_pixel
    nsamples = rows * cols * spp
    itemsize = len(src) // nsamples
    if itemsize not in (1, 2, 4, 8) or itemsize * nsamples != len(src):
        raise EncodeError(codec.name, getattr(runner, "index", None),
                          f"frame of {len(src)} bytes does not hold {nsamples} samples")
    kind = "i" if runner.pixel_representation else "u"
    arr = np.frombuffer(src, f"<{kind}{itemsize}")
    # pydicom narrows samples to the smallest container for Bits Stored; our
    # codecs take the Bits Allocated container the dataset declares.
    container = np.dtype(f"{kind}{runner.bits_allocated // 8}")
    if spp > 1:
        planar = runner.planar_configuration == 1 and (not runner.is_array or uid in _JPEG_LS)
        arr = arr.reshape(spp, rows, cols).transpose(1, 2, 0) if planar else arr.reshape(rows, cols, spp)
    else:
        arr = arr.reshape(rows, cols)
    arr = np.ascontiguousarray(arr, dtype=container)
    intended = str(runner.photometric_interpretation)
    source_pi, colour = _colour_plan(uid, intended, spp)
    info = FrameInfo(uid, rows, cols, spp, runner.bits_allocated, runner.bits_stored,
                     runner.pixel_representation, source_pi, 0)
    allowed = getattr(codec, "encode_options", ())
    options = {k: runner.get_option(k) for k in allowed if runner.get_option(k) is not None}
    options.update({k: v for k, v in colour.items() if k in allowed})
    written = codec.encoded_attributes(info, **options).get("photometric_interpretation")
    if written != intended:
        # pydicom leaves Photometric Interpretation as it is: refuse rather
        # than write pixels the dataset would mislabel.
        raise EncodeError(codec.name, getattr(runner, "index", None),
                          f"would write {written} data, the dataset says {intended}")
    nthreads = engine_threads_alone(codec, arr)
    if nthreads:
        options["engine_threads"] = nthreads
    return codec.encode(arr, info, frame=None, **options)
