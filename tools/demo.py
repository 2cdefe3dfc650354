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
    global SYNTAXES_BY_ALIAS
    SYNTAXES_BY_ALIAS = {s.alias: uid for uid, s in SYNTAXES.items()}
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
    # Lossy syntaxes need a target (pydicom's rule for JPEG 2000).
    options = {"j2k": {"j2k_cr": [20]}, "jpeg-ls-near-lossless": {"jls_error": 2}}
    failed = 0
    for alias in writable:
        out = Path(args.out) / alias
        out.mkdir(parents=True, exist_ok=True)
        done, refused, broken = 0, [], []
        for p in plain:
            try:
                cli._transcode_one(p, SYNTAXES_BY_ALIAS[alias], out, True, None,
                                   options.get(alias, {}))
                done += 1
            except dc.EncodeError as exc:  # the syntax cannot hold this image
                refused.append(f"{p.name} ({exc.cause})")
            except ValueError as exc:  # a deliberately broken sample (DecodeError too)
                broken.append(f"{p.name} ({getattr(exc, 'cause', exc)})")
            except RuntimeError as exc:  # --verify found a difference
                print(f"  FAILED {p.name}: {exc}")
                failed += 1
        print(f"{alias:22s} {done} transcoded and verified -> {out}")
        for what, items in (("refused", refused), ("unreadable source", broken)):
            if items:
                print(f"  {what}: " + "; ".join(items))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
