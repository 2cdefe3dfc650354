"""make demo: what dicomcodecs does, in a minute and a screenful.

1. Decode every compressed sample pydicom ships, in-process.
2. Transcode its plain samples to every syntax dicomcodecs writes, verifying
   each result (bit-exact for the lossless syntaxes).
3. The command line as a user meets it, on a folder of real files with one
   damaged: transcode, run it again (skipped), decode to PNG.
Each part prints a few lines; the benchmark is `make bench`."""

from __future__ import annotations

import argparse
import shlex
import shutil
import subprocess
import sys
import time
import warnings
from pathlib import Path

import pydicom

import dicomcodecs as dc
from dicomcodecs._uids import SYNTAXES

SAMPLES = Path(pydicom.__file__).parent / "data" / "test_files"
PLAIN = ("1.2.840.10008.1.2", "1.2.840.10008.1.2.1")
# Lossy syntaxes need a target (pydicom's rule for JPEG 2000).
OPTIONS = {"j2k": {"j2k_cr": [20]}, "jpeg-ls-near-lossless": {"jls_error": 2}}


def _samples() -> tuple[list[Path], list[Path]]:
    """(compressed files dicomcodecs decodes, plain 8/16-bit images)."""
    served = {uid for uid, can_decode, *_ in dc.codecs() if can_decode}
    compressed, plain = [], []
    for p in sorted(SAMPLES.glob("*.dcm")):
        try:
            ds = pydicom.dcmread(p, stop_before_pixels=True)
            ts = str(ds.file_meta.TransferSyntaxUID)
        except Exception:  # pydicom ships deliberately odd files: not for this demo
            continue
        if "Rows" not in ds:
            continue
        if ts in served:
            compressed.append(p)
        elif ts in PLAIN and ds.get("BitsAllocated", 0) in (8, 16):
            plain.append(p)
    return compressed, plain


def decode_all(files: list[Path]) -> None:
    t0 = time.perf_counter()
    ok, refused = 0, []
    for p in files:
        try:
            dc.pixel_array(p)
            ok += 1
        except ValueError as exc:  # DecodeError: pydicom's deliberately broken samples
            refused.append(f"{p.name} ({getattr(exc, 'cause', exc)})")
    print(f"1. decode: {ok} of {len(files)} compressed samples of pydicom decoded in "
          f"{time.perf_counter() - t0:.2f} s")
    for r in refused:
        print(f"   refused with a clear error: {r}")


def transcode_all(files: list[Path]) -> int:
    import numpy as np

    writable = [uid for uid, _, can_encode, *_ in dc.codecs() if can_encode]
    t0 = time.perf_counter()
    done, cannot, wrong = 0, 0, []
    sources = {p: pydicom.dcmread(p) for p in files}
    for uid in writable:
        alias = SYNTAXES[uid].alias
        for p, ds in sources.items():
            try:
                before = dc.pixel_array(ds)
                out = dc.compress(pydicom.dcmread(p), uid, **OPTIONS.get(alias, {}))
                after = dc.pixel_array(out)
            except ValueError:  # EncodeError: the syntax cannot hold this image (16-bit in 8-bit JPEG)
                cannot += 1
                continue
            if SYNTAXES[uid].lossy and before.shape == after.shape:
                done += 1
            elif np.array_equal(before, after):
                done += 1
            else:
                wrong.append(f"{p.name} -> {alias}")
    print(f"2. transcode: {len(files)} plain samples x {len(writable)} syntaxes: {done} encoded "
          f"and decoded back (lossless ones bit-exact), {cannot} refused because the syntax "
          f"cannot hold the image (e.g. 16-bit in 8-bit JPEG), {len(wrong)} wrong "
          f"({time.perf_counter() - t0:.1f} s)")
    for w in wrong:
        print(f"   WRONG: {w}")
    return len(wrong)


def _cli(*args: str, cwd: Path) -> int:
    print(f"   $ dicomcodecs {shlex.join(args)}")
    r = subprocess.run([sys.executable, "-m", "dicomcodecs.cli", *args], cwd=cwd,
                       capture_output=True, text=True)
    for line in r.stderr.splitlines():
        print(f"     {line}")
    print(f"     (exit status {r.returncode})")
    return r.returncode


def command_line(work: Path) -> int:
    """A user's first run: a folder of real files, one damaged."""
    shutil.rmtree(work, ignore_errors=True)
    studies = work / "studies"
    for name, rel in (("CT_small.dcm", "ct/IM0001"), ("MR_small.dcm", "mr/IM0001"),
                      ("SC_rgb_rle_2frame.dcm", "us/IM0001"), ("JPEG2000.dcm", "xa/IM0001")):
        (studies / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAMPLES / name, studies / rel)
    (studies / "README.txt").write_text("not DICOM: ignored\n")
    (studies / "mr" / "IM0002").write_bytes((SAMPLES / "MR_small.dcm").read_bytes()[:700])
    print("3. the command line, on a folder of 5 DICOM files (one cut short) and a README:")
    status = [
        _cli("transcode", "studies", "--to", "jpeg-ls-lossless", "-o", "jls", "--verify", "-q",
             cwd=work),
        _cli("transcode", "studies", "--to", "jpeg-ls-lossless", "-o", "jls", "-q", cwd=work),
        _cli("decode", "jls/ct/IM0001", "-o", "ct.png", cwd=work),
    ]
    print(f"   outputs in {work}")
    return 0 if status == [1, 1, 0] else 1


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="build/demo", help="folder for the command-line part")
    args = ap.parse_args()
    warnings.simplefilter("ignore")  # pydicom's notes on its deliberately odd samples
    t0 = time.perf_counter()
    writable = sum(1 for _, _, can_encode, _, _ in dc.codecs() if can_encode)
    print(f"dicomcodecs {dc.__version__} writes {writable} transfer syntaxes; `dicomcodecs info` "
          "lists them with their engines")
    compressed, plain = _samples()
    decode_all(compressed)
    bad = transcode_all(plain)
    bad += command_line(Path(args.out).resolve())
    print(f"demo finished in {time.perf_counter() - t0:.0f} s; speed against the peers: make bench")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
