"""Encapsulated Pixel Data (PS3.5 A.4): items, offset tables and frames, read
from memory or lazily from a file so a huge multi-frame file never has to sit
in memory whole."""

from __future__ import annotations

import struct
from typing import Any, Sequence

from ._errors import DecodeError
from ._uids import JPEG_FAMILY_PREFIX

_ITEM = b"\xfe\xff\x00\xe0"
_SEQ_END = b"\xfe\xff\xdd\xe0"
_JPEG_FAMILY_PREFIX = JPEG_FAMILY_PREFIX


class Fragments:
    """The items of one encapsulated Pixel Data element.

    `positions[k]` is where fragment k's item tag sits, counted from the first
    fragment's item tag (the origin offset tables use); `spans[k]` is
    (absolute offset of its data in the source, length)."""

    def __init__(self, bot: list[int], positions: list[int], spans: list[tuple[int, int]],
                 read: Any, cut: str | None = None, cut_fragment: int | None = None) -> None:
        self.bot = bot
        self.positions = positions
        self.spans = spans
        self._read = read  # read(offset, length) -> bytes-like
        # Where the data ended early, in words, or None: the last fragment
        # may be short, and frames may be missing. Frames before it decode.
        self.cut = cut
        self.cut_fragment = cut_fragment  # the fragment cut short, if one was

    def data(self, k: int):
        off, length = self.spans[k]
        return self._read(off, length)


def _parse_items(header_at: Any, start: int, end: int, what: str, needs_end: bool
                 ) -> tuple[list[int], list[int], list[tuple[int, int]], str | None, int | None]:
    """Walk the items from `start`; header_at(pos) returns up to 8 bytes.
    `needs_end`: the data ends with a sequence delimiter (a file's does; a
    pydicom value has it stripped), so its absence means a cut."""
    pos = start
    bot: list[int] | None = None
    positions: list[int] = []
    spans: list[tuple[int, int]] = []
    first = None
    cut = cut_fragment = None
    while True:
        hdr = header_at(pos) if pos < end else b""
        if len(hdr) < 8:
            if needs_end or len(hdr):
                cut = (f"{what} ends at byte {end}, " + (
                    "inside an item header" if len(hdr) else "without the sequence delimiter"))
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
        if data_at + length > end:
            # keep what is there: the frames before it still decode
            where = "the Basic Offset Table" if bot is None else f"fragment {len(positions)}"
            cut = (f"{what} ends at byte {end}, inside {where} "
                   f"({end - data_at} of its {length} bytes present)")
            if bot is None:
                break
            length = end - data_at
            cut_fragment = len(positions)
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
        if cut:
            break
    return bot or [], positions, spans, cut, cut_fragment


def fragments_from_buffer(buf: Any) -> Fragments:
    """Index the items of an in-memory encapsulated Pixel Data value."""
    mv = memoryview(buf).cast("B")
    n = len(mv)

    def header_at(pos: int, length: int = 8):
        return mv[pos:pos + length]

    bot, positions, spans, cut, cut_fragment = _parse_items(header_at, 0, n, "the Pixel Data",
                                                            False)
    return Fragments(bot, positions, spans, lambda off, length: mv[off:off + length], cut,
                     cut_fragment)


def fragments_from_file(read: Any, start: int, file_size: int) -> Fragments:
    """Index the items of a Pixel Data value starting at byte `start` of a
    file, reading only the item headers; `read(offset, length)` reads the
    file (os.pread on a descriptor: safe from many threads), also for the
    data, on demand."""

    def header_at(pos: int, length: int = 8):
        return read(pos, length)

    bot, positions, spans, cut, cut_fragment = _parse_items(header_at, start, file_size,
                                                            "the file", True)
    return Fragments(bot, positions, spans, read, cut, cut_fragment)


def _frames_from_table(table: Sequence[int], positions: list[int], what: str,
                       cut: str = "") -> list[list[int]]:
    index = {p: k for k, p in enumerate(positions)}
    starts = []
    for i, off in enumerate(table):
        if off not in index:
            raise DecodeError("Encapsulated Pixel Data", i,
                              f"the {what} points at byte {off}, where no fragment starts{cut}")
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
    cut = f": truncated: {frags.cut}" if frags.cut else ""
    if nfrag == 0:
        raise DecodeError("Encapsulated Pixel Data", 0, f"the Pixel Data holds no fragments{cut}")
    if extended_offsets is not None and len(extended_offsets):
        frames = _frames_from_table(extended_offsets, frags.positions, "Extended Offset Table",
                                    cut)
    elif frags.bot:
        problem = None
        try:
            frames = _frames_from_table(frags.bot, frags.positions, "Basic Offset Table", cut)
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
                              f"without an offset table{cut}")
    if len(frames) < n_frames:
        raise DecodeError("Encapsulated Pixel Data", len(frames),
                          f"Number of Frames is {n_frames}, the Pixel Data holds {len(frames)}"
                          + cut)
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
