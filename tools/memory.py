"""Peak memory of dicomcodecs.pixel_array(file, threads=N), per codec family.

For each family a multi-frame file of a real CR image (RG1, 1955 x 1841,
16-bit; 8-bit for JPEG baseline) is written by our own encoder, then a fresh
interpreter per (family, N) measures, around pixel_array(path, threads=N):
the peak RSS above the RSS before the call (VmHWM, its high-water mark reset
just before), and the RSS left once the array is dropped.
It prints a Markdown table: peak above start = output + N x frame x k + rest,
with k the frames of scratch per thread the measurement implies.

    .venv/bin/python tools/memory.py [--frames 8] [--threads 1 2 8] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAMILIES = {
    "RLE": ("1.2.840.10008.1.2.5", {}),
    "JPEG baseline (libjpeg-turbo)": ("1.2.840.10008.1.2.4.50", {"quality": 90}),
    "JPEG lossless (ours)": ("1.2.840.10008.1.2.4.70", {}),
    "JPEG-LS": ("1.2.840.10008.1.2.4.80", {}),
    "JPEG 2000 (OpenJPEG)": ("1.2.840.10008.1.2.4.90", {}),
    "HTJ2K (OpenJPH)": ("1.2.840.10008.1.2.4.201", {}),
    "HTJ2K lossy (OpenJPH)": ("1.2.840.10008.1.2.4.203", {"qstep": 0.005}),
}

_MAKE = """
import sys
sys.path.insert(0, {root!r})
import numpy as np, pydicom, dicomcodecs as dc
from tests.conftest import find_testfile
ds = pydicom.dcmread(find_testfile("RG1_J2KR.dcm"))
arr = dc.pixel_array(ds)
uid, options, n, path = {uid!r}, {options!r}, {n}, {path!r}
if uid.endswith(".50"):
    arr = (arr >> 4).astype(np.uint8)
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 8, 8, 7
frames = np.stack([np.roll(arr, 7 * k, axis=1) for k in range(n)])
ds.PixelData = frames.tobytes()
ds.NumberOfFrames = n
ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
dc.compress(ds, uid, **options)
ds.save_as(path)
"""

_MEASURE = """
import gc, json, sys
sys.path.insert(0, {root!r})
import numpy as np, dicomcodecs as dc

def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096

def peak():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024

path, threads = {path!r}, {threads}
dc.pixel_array(path, frames=0, threads=1)  # warm-up: libraries and first-touch
gc.collect()
# The peak RSS from here on: reset the high-water mark (Linux >= 4.0). A
# child's ru_maxrss would count its parent's RSS at fork time.
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")
start = rss()
a = dc.pixel_array(path, threads=threads)
top = peak()
out, frame = a.nbytes, a[0].nbytes
del a
gc.collect()
print(json.dumps(dict(start=start, peak=top, after=rss(), out=out, frame=frame)))
"""


def measure(family: str, nframes: int, threads: list[int], out_dir: Path) -> list[dict]:
    uid, options = FAMILIES[family]
    path = out_dir / f"mem_{uid}_{nframes}.dcm"
    if not path.exists():
        subprocess.run([sys.executable, "-c", _MAKE.format(root=str(ROOT), uid=uid,
                        options=options, n=nframes, path=str(path))], check=True)
    rows = []
    for n in threads:
        proc = subprocess.run([sys.executable, "-c", _MEASURE.format(root=str(ROOT),
                               path=str(path), threads=n)], check=True, capture_output=True,
                              text=True)
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        r.update(family=family, threads=n, size=path.stat().st_size)
        rows.append(r)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=8)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2, 8])
    ap.add_argument("--family", nargs="*", default=list(FAMILIES))
    ap.add_argument("--out", default=str(ROOT / "build" / "memory"))
    args = ap.parse_args(argv)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    mib = 2 ** 20
    print("| family | threads | output MiB | frame MiB | peak above start MiB | "
          "(peak - output) / (threads x frame) | left after del MiB |")
    print("|---|---|---|---|---|---|---|")
    for fam in args.family:
        for r in measure(fam, args.frames, args.threads, out_dir):
            extra = r["peak"] - r["start"] - r["out"]
            per = extra / (r["threads"] * r["frame"])
            print(f"| {fam} | {r['threads']} | {r['out'] / mib:.1f} | {r['frame'] / mib:.2f} | "
                  f"{(r['peak'] - r['start']) / mib:.1f} | {per:.2f} | "
                  f"{(r['after'] - r['start']) / mib:.1f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
