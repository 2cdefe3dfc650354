"""JPEG-LS against CharLS timed by the calling thread's CPU time.

    .venv/bin/python benchmarks/jpegls_cpu_time.py [--data benchmarks/data]

The harness (`dicomcodecs bench --codec jpegls`) times wall clock; on a
machine shared with other work (load average 8-12 on 2 cores while issue 13
was measured) its single-thread ratios swing by +-30% from one row to the
next. This times the same single-threaded calls, side by side in one
process, with `time.thread_time()`, which other processes' load does not
inflate: decode_frame against imagecodecs.jpegls_decode (a Release CharLS
2.4.3) on the harness's own files (made by `dicomcodecs bench`, DCMTK's
default parameters), decoding through pydicom against the pyjpegls plugin,
and encode_frame against imagecodecs.jpegls_encode at the precision
imagecodecs codes (the container's 8 or 16 bits). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

IMAGES = ("693", "MR2", "RG1", "US1")
LOSSLESS = "1.2.840.10008.1.2.4.80"


def _median_cpu(ours, peer, repeat: int) -> tuple[float, float]:
    """Median CPU seconds of `ours` and `peer`, called in turns (the order
    swapping each round) after one warm-up each."""
    ours(), peer()
    times: tuple[list[float], list[float]] = ([], [])
    for r in range(repeat):
        for i in ((0, 1) if r % 2 == 0 else (1, 0)):
            fn = (ours, peer)[i]
            t0 = time.thread_time()
            fn()
            times[i].append(time.thread_time() - t0)
    return statistics.median(times[0]), statistics.median(times[1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="benchmarks/data", help="the harness's data folder")
    ap.add_argument("--repeat", type=int, default=41)
    args = ap.parse_args(argv)

    import imagecodecs
    import pydicom
    from pydicom.encaps import generate_frames
    from pydicom.pixels import get_decoder

    import dicomcodecs as dc
    from dicomcodecs import _jpegls
    from dicomcodecs import pydicom as dcp

    dcp.register(first=False)
    print("| file | stream | operation | dicomcodecs ms | MP/s | peer ms (peer / ours) |")
    print("|---|---|---|---|---|---|")
    for name in IMAGES:
        path = Path(args.data) / f"{name}_jls.dcm"
        if not path.exists():
            print(f"{path} missing: run `dicomcodecs bench --codec jpegls --data {args.data}` "
                  "first", file=sys.stderr)
            return 1
        ds = pydicom.dcmread(path)
        frame = next(generate_frames(ds.PixelData, number_of_frames=1))
        h = _jpegls.read_header(frame)
        info = dc.FrameInfo.from_dataset(ds)
        mp = ds.Rows * ds.Columns / 1e6
        stream = f"P {h['bits_per_sample']}, ilv {h['interleave_mode']}"

        def row(stream, op, ours, peer):
            t, p = _median_cpu(ours, peer, args.repeat)
            print(f"| {name} | {stream} | {op} | {t * 1e3:.2f} | {mp / t:.0f} | "
                  f"{p * 1e3:.2f} ({p / t:.2f}x) |", flush=True)

        row(stream, "decode_frame vs imagecodecs.jpegls_decode",
            lambda: dc.decode_frame(frame, info), lambda: imagecodecs.jpegls_decode(frame))
        dec = get_decoder(ds.file_meta.TransferSyntaxUID)
        row(stream, "decode via pydicom vs pyjpegls",
            lambda: dec.as_array(ds, decoding_plugin="dicomcodecs"),
            lambda: dec.as_array(ds, decoding_plugin="pyjpegls"))
        arr = dc.decode_frame(frame, info)
        if ds.BitsAllocated == 16 and ds.BitsStored < 16:
            # DCMTK codes the container's 16 bits; the same image at its own
            # Bits Stored precision (our encoder, CharLS's bytes) is the
            # 12-15-bit case
            own = dc.encode_frame(arr, LOSSLESS, bits_stored=int(ds.BitsStored),
                                  photometric_interpretation=str(ds.PhotometricInterpretation))
            row(f"P {ds.BitsStored}, ilv 0", "decode_frame vs imagecodecs.jpegls_decode",
                lambda: dc.decode_frame(own, info), lambda: imagecodecs.jpegls_decode(own))
        raw = arr.view(arr.dtype.str.replace("i", "u"))
        bits = 8 * raw.dtype.itemsize
        pi = str(ds.PhotometricInterpretation)
        row(f"{bits}-bit, ilv {'sample' if raw.ndim == 3 else 'none'}",
            "encode_frame vs imagecodecs.jpegls_encode",
            lambda: dc.encode_frame(raw, LOSSLESS, bits_stored=bits, photometric_interpretation=pi),
            lambda: imagecodecs.jpegls_encode(raw))
    return 0


if __name__ == "__main__":
    sys.exit(main())
