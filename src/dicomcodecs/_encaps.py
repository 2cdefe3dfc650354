"""Encapsulated Pixel Data (PS3.5 A.4): items, offset tables and frames, read
from memory or lazily from a file so a huge multi-frame file never has to sit
in memory whole."""

from __future__ import annotations

import os
import struct
from typing import Any, Sequence

from ._errors import DecodeError

_ITEM = b"\xfe\xff\x00\xe0"
_SEQ_END = b"\xfe\xff\xdd\xe0"
_JPEG_FAMILY_PREFIX = "1.2.840.10008.1.2.4."


class Fragments:
    """The items of one encapsulated Pixel Data element.

    `positions[k]` is where fragment k's item tag sits, counted from the first
    fragment's item tag (the origin offset tables use); `spans[k]` is
    (absolute offset of its data in the source, length)."""

    def __init__(self, bot: list[int], positions: list[int], spans: list[tuple[int, int]],
                 read: Any) -> None:
        self.bot = bot
        self.positions = positions
        self.spans = spans
        self._read = read  # read(offset, length) -> bytes-like

    def data(self, k: int):
        off, length = self.spans[k]
        return self._read(off, length)


def _parse_items(header_at: Any, start: int, end: int | None, what: str) -> tuple[list[int], list[int], list[tuple[int, int]]]:
    """Walk the items from `start`; header_at(pos) returns up to 8 bytes."""
    pos = start
    bot: list[int] | None = None
    positions: list[int] = []
    spans: list[tuple[int, int]] = []
    first = None
    while end is None or pos + 8 <= end:
        hdr = header_at(pos)
        if len(hdr) < 8:
            break
        tag, length = hdr[:4], struct.unpack("<I", hdr[4:8])[0]
        if tag == _SEQ_END:
            break
        if tag != _ITEM:
            raise DecodeError("Encapsulated Pixel Data", None,
                              f"expected an item tag at byte {pos} of {what}, found {bytes(tag).hex()}")
        if length == 0xFFFFFFFF:
            raise DecodeError("Encapsulated Pixel Data", None,
                              f"item at byte {pos} of {what} has undefined length")
        data_at = pos + 8
        if end is not None and data_at + length > end:
            length = max(0, end - data_at)  # truncated file: keep what is there
        if bot is None:
            if length % 4:
                raise DecodeError("Encapsulated Pixel Data", None,
                                  f"Basic Offset Table length {length} is not a multiple of 4")
            raw = header_at(data_at, length)
            bot = list(struct.unpack(f"<{length // 4}I", bytes(raw))) if length else []
        else:
            if first is None:
                first = pos
            positions.append(pos - first)
            spans.append((data_at, length))
        pos = data_at + length
    return bot or [], positions, spans


def fragments_from_buffer(buf: Any) -> Fragments:
    """Index the items of an in-memory encapsulated Pixel Data value."""
    mv = memoryview(buf).cast("B")
    n = len(mv)

    def header_at(pos: int, length: int = 8):
        return mv[pos:pos + length]

    bot, positions, spans = _parse_items(header_at, 0, n, "the Pixel Data")
    return Fragments(bot, positions, spans, lambda off, length: mv[off:off + length])


def fragments_from_file(fd: int, start: int, file_size: int) -> Fragments:
    """Index the items of a Pixel Data value starting at byte `start` of the
    open file `fd`, reading only the item headers; data is read on demand with
    pread (safe from many threads)."""

    def header_at(pos: int, length: int = 8):
        return os.pread(fd, length, pos)

    bot, positions, spans = _parse_items(header_at, start, file_size, "the file")
    return Fragments(bot, positions, spans, lambda off, length: os.pread(fd, length, off))


def _frames_from_table(table: Sequence[int], positions: list[int], what: str) -> list[list[int]]:
    index = {p: k for k, p in enumerate(positions)}
    starts = []
    for i, off in enumerate(table):
        if off not in index:
            raise DecodeError("Encapsulated Pixel Data", i,
                              f"the {what} points at byte {off}, where no fragment starts")
        starts.append(index[off])
    if any(b <= a for a, b in zip(starts, starts[1:])):
        raise DecodeError("Encapsulated Pixel Data", None,
                          f"the {what} is not in strictly ascending order")
    bounds = starts + [len(positions)]
    return [list(range(bounds[i], bounds[i + 1])) for i in range(len(starts))]


def _ends_with_eoi(data: Any) -> bool:
    tail = bytes(data[-16:]).rstrip(b"\x00")
    return tail.endswith(b"\xff\xd9")


def _frames_without_table(frags: Fragments, n_frames: int, transfer_syntax: str
                          ) -> list[list[int]] | None:
    """One fragment per frame, else all fragments for a single frame, else
    (JPEG family) the end-of-image markers; None when none of these fits."""
    nfrag = len(frags.positions)
    if nfrag == n_frames:
        return [[k] for k in range(nfrag)]
    if n_frames == 1:
        return [list(range(nfrag))]
    if nfrag > n_frames and transfer_syntax.startswith(_JPEG_FAMILY_PREFIX):
        frames, cur = [], []
        for k in range(nfrag):
            cur.append(k)
            if _ends_with_eoi(frags.data(k)):
                frames.append(cur)
                cur = []
        if cur:
            frames.append(cur)
        return frames
    return None


def frame_map(frags: Fragments, n_frames: int, transfer_syntax: str,
              extended_offsets: Sequence[int] | None = None) -> list[list[int]]:
    """Which fragments make up each frame: the Extended Offset Table, else the
    Basic Offset Table, else one fragment per frame, else all fragments for a
    single frame, else (JPEG family) the end-of-image markers. A Basic Offset
    Table that cannot be right (pointing between fragments, out of order, too
    few entries: written wrong by some archives) gives way to the rules after
    it when one of them fits; otherwise the error names what is wrong with it."""
    nfrag = len(frags.positions)
    if nfrag == 0:
        raise DecodeError("Encapsulated Pixel Data", 0, "the Pixel Data holds no fragments")
    if extended_offsets is not None and len(extended_offsets):
        frames = _frames_from_table(extended_offsets, frags.positions, "Extended Offset Table")
    elif frags.bot:
        problem = None
        try:
            frames = _frames_from_table(frags.bot, frags.positions, "Basic Offset Table")
        except DecodeError as e:
            problem, frames = e, []
        if len(frames) < n_frames:
            other = _frames_without_table(frags, n_frames, transfer_syntax)
            if other is not None and len(other) >= n_frames:
                frames = other
            elif problem is not None:
                raise problem
    else:
        frames = _frames_without_table(frags, n_frames, transfer_syntax)
        if frames is None:
            raise DecodeError("Encapsulated Pixel Data", None,
                              f"{nfrag} fragments cannot be split into {n_frames} frames "
                              "without an offset table")
    if len(frames) < n_frames:
        raise DecodeError("Encapsulated Pixel Data", len(frames),
                          f"Number of Frames is {n_frames}, the Pixel Data holds {len(frames)}")
    return frames[:n_frames]


def frame_bytes(frags: Fragments, parts: list[int]):
    """One frame's bytes: a zero-copy view for a single fragment."""
    if len(parts) == 1:
        return frags.data(parts[0])
    return b"".join(bytes(frags.data(k)) for k in parts)


def encapsulate(frames: Sequence[bytes], *, extended: bool | None = None
                ) -> tuple[bytes, bytes | None, bytes | None]:
    """Pixel Data for `frames`, one fragment each (padded to even length),
    with a Basic Offset Table, or when the offsets do not fit in 32 bits (or
    `extended` is True) an empty BOT plus the Extended Offset Table and its
    lengths. Returns (pixel data, EOT or None, EOT lengths or None)."""
    offsets, lengths, pos = [], [], 0
    for f in frames:
        offsets.append(pos)
        n = len(f) + (len(f) & 1)
        lengths.append(n)
        pos += 8 + n
    if extended is None:
        extended = bool(offsets) and offsets[-1] > 0xFFFFFFFF
    parts: list[bytes] = []
    if extended:
        parts.append(_ITEM + b"\x00\x00\x00\x00")
    else:
        parts.append(_ITEM + struct.pack("<I", 4 * len(offsets)) + struct.pack(f"<{len(offsets)}I", *offsets))
    for f, n in zip(frames, lengths):
        parts.append(_ITEM + struct.pack("<I", n))
        parts.append(bytes(f))
        if n != len(f):
            parts.append(b"\x00")
    data = b"".join(parts)
    if extended:
        return data, struct.pack(f"<{len(offsets)}Q", *offsets), struct.pack(f"<{len(lengths)}Q", *lengths)
    return data, None, None
