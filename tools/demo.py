"""make demo: decode every compressed sample pydicom ships that dicomcodecs
can read, and transcode the samples to each syntax it can write, verifying
lossless results bit-exact."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pydicom

import dicomcodecs as dc
from dicomcodecs import cli
from dicomcodecs._uids import SYNTAXES


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="build/demo")
    args = ap.parse_args()
    folder = Path(pydicom.__file__).parent / "data" / "test_files"
    served = {uid for uid, d, e, *_ in dc.codecs() if d}
    writable = [SYNTAXES[uid].alias for uid, d, e, *_ in dc.codecs() if e]
    decodable, plain = [], []
    for p in sorted(folder.glob("*.dcm")):
        try:
            ds = pydicom.dcmread(p, stop_before_pixels=True)
            ts = str(ds.file_meta.TransferSyntaxUID)
        except Exception:
            continue
        if "PixelData" not in pydicom.dcmread(p, specific_tags=["PixelData"]):
            continue
        if ts in served:
            decodable.append(p)
        elif ts in ("1.2.840.10008.1.2.1", "1.2.840.10008.1.2") and ds.get("BitsAllocated", 0) in (8, 16, 32):
            plain.append(p)
    print(f"Decoding {len(decodable)} compressed samples from {folder}")
    t0 = time.perf_counter()
    for p in decodable:
        try:
            arr = dc.pixel_array(p)
        except dc.DecodeError as exc:
            # pydicom ships deliberately broken samples too; a clean error
            # naming codec, frame and cause is the right answer for them.
            print(f"  {p.name:40s} DecodeError: {exc}")
            continue
        print(f"  {p.name:40s} {str(arr.shape):22s} {arr.dtype}")
    print(f"  ... {time.perf_counter() - t0:.2f} s")
    failed = 0
    for alias in writable:
        out = Path(args.out) / alias
        print(f"Transcoding {len(plain)} uncompressed samples to {alias} -> {out}")
        failed += cli.main(["transcode", *map(str, plain), "--to", alias, "-o", str(out),
                            "--verify", "--jobs", "2", "--quiet"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
