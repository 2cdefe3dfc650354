"""pydicom decoder plugin 'dicomcodecs': pydicom's documented contract
(is_available, DECODER_DEPENDENCIES, _decode_frame) over our codecs."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._info import FrameInfo
from .._scratch import frame_buffer
from .._threads import engine_threads_alone
from .._uids import SYNTAXES
from ..families.jpeg import JPEGCodec
from ..families.rle import RLECodec
from .. import registry
from ..registry import get_decoder

DECODER_DEPENDENCIES = {uid: ("numpy", "dicomcodecs") for uid in SYNTAXES}


def is_available(uid: str) -> bool:
    return str(uid) in registry._decoders


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
    hook = _HOOKS.get(type(codec))
    if hook is not None:  # a codec that must read or set runner options itself
        return hook(codec, src, runner, info)
    shape, dtype, _ = codec.output_spec(info, as_rgb=False)
    # Uninitialised and recycled: pydicom copies the frame out and drops
    # it, and neither zero-filling (3 ms on a 7 MB CR) nor faulting in fresh
    # pages per frame is worth paying for memory overwritten anyway.
    buf = frame_buffer(int(np.prod(shape)) * np.dtype(dtype).itemsize)
    nthreads = engine_threads_alone(codec, src)
    kwargs = {"engine_threads": nthreads} if nthreads else {}
    codec.decode_into(src, info, np.frombuffer(buf, dtype).reshape(shape), as_rgb=False,
                      reduce=0, frame=getattr(runner, "index", None), **kwargs)
    if info.samples_per_pixel > 1:
        # Our output is always interleaved; saying so on every frame keeps a
        # persisted option from mislabelling the next one.
        runner.set_option("planar_configuration", 0)
    return buf


def _decode_rle(codec: RLECodec, src: bytes, runner: Any, info: FrameInfo) -> bytearray:
    """The stored bytes, colour by plane, as pydicom's own RLE decoder gives
    them. pydicom corrects unused bits itself (only when asked:
    correct_unused_bits) and takes planar data as a free transposed view, so
    neither is worth a pass here. Runner option rle_segment_order '<' reads
    little-endian segments."""
    planar = 1 if info.samples_per_pixel > 1 else 0
    raw = info.replace(bits_stored=info.bits_allocated)
    buf = frame_buffer(info.frame_bytes)
    codec.decode_into(src, raw, np.frombuffer(buf, np.uint8), as_rgb=False,
                      frame=getattr(runner, "index", None), planar_configuration=planar,
                      lsb_first=runner.get_option("rle_segment_order", ">") == "<")
    if planar:
        # the same on every frame, so a persisted option never mislabels one
        runner.set_option("planar_configuration", 1)
    return buf


def _decode_jpeg(codec: JPEGCodec, src: bytes, runner: Any, info: FrameInfo) -> bytearray:
    """The stored colour space, interleaved; runner options
    jpeg_allow_truncated / jpeg_cornell / jpeg_pred6_wrap set the workarounds
    (the codec's attributes when absent)."""
    shape, dtype, _ = codec.output_spec(info, as_rgb=False)
    buf = frame_buffer(int(np.prod(shape)) * np.dtype(dtype).itemsize)
    out = np.frombuffer(buf, dtype).reshape(shape)
    codec.decode_into(src, info, out, as_rgb=False, frame=getattr(runner, "index", None),
                      allow_truncated=runner.get_option("jpeg_allow_truncated",
                                                        codec.allow_truncated),
                      cornell=runner.get_option("jpeg_cornell", codec.cornell),
                      pred6_wrap=runner.get_option("jpeg_pred6_wrap", codec.pred6_wrap))
    if info.samples_per_pixel > 1:
        runner.set_option("planar_configuration", 0)
    return buf


# Built-in codecs whose pydicom decode reads or sets runner options.
_HOOKS: dict[type, Any] = {RLECodec: _decode_rle, JPEGCodec: _decode_jpeg}
