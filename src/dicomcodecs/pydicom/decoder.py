"""pydicom decoder plugin 'dicomcodecs': pydicom's documented contract
(is_available, DECODER_DEPENDENCIES, _decode_frame) over our codecs."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._info import FrameInfo
from .._scratch import frame_buffer
from .._threads import cpu_count
from .._uids import SYNTAXES
from ..registry import get_decoder

DECODER_DEPENDENCIES = {uid: ("numpy", "dicomcodecs") for uid in SYNTAXES}


def is_available(uid: str) -> bool:
    try:
        get_decoder(uid)
    except NotImplementedError:
        return False
    return True


def _info(runner: Any) -> FrameInfo:
    spp = runner.samples_per_pixel
    return FrameInfo(
        transfer_syntax=str(runner.transfer_syntax),
        rows=runner.rows,
        columns=runner.columns,
        samples_per_pixel=spp,
        bits_allocated=runner.bits_allocated,
        bits_stored=runner.bits_stored,
        pixel_representation=runner.pixel_representation,
        photometric_interpretation=str(runner.photometric_interpretation),
        planar_configuration=0,
    )


def _decode_frame(src: bytes, runner: Any) -> bytearray:
    """Decode one frame for pydicom, in the colour space it is stored in
    (pydicom converts afterwards, or not with raw=True), interleaved, as the
    bytearray pydicom's contract asks for."""
    info = _info(runner)
    codec = get_decoder(info.transfer_syntax)
    hook = getattr(codec, "pydicom_decode", None)
    if hook is not None:  # a codec that must read or set runner options itself
        return hook(src, runner, info)
    shape, dtype, _ = codec.output_spec(info, as_rgb=False)
    # Uninitialised and recycled: pydicom copies the frame out and drops
    # it, and neither zero-filling (3 ms on a 7 MB CR) nor faulting in fresh
    # pages per frame is worth paying for memory overwritten anyway.
    buf = frame_buffer(int(np.prod(shape)) * np.dtype(dtype).itemsize)
    kwargs = {}
    if getattr(codec, "supports_engine_threads", False):
        # pydicom decodes frame after frame: give each one every core.
        kwargs["engine_threads"] = cpu_count()
    codec.decode_into(src, info, np.frombuffer(buf, dtype).reshape(shape), as_rgb=False,
                      reduce=0, frame=getattr(runner, "index", None), **kwargs)
    if info.samples_per_pixel > 1:
        # Our output is always interleaved; saying so on every frame keeps a
        # persisted option from mislabelling the next one.
        runner.set_option("planar_configuration", 0)
    return buf
