#!/usr/bin/env python3
"""What `make wheel-test` runs on the bare machine, against the installed wheel.

1. Every compressed test file pydicom (and pydicom-data, if installed) ships
   whose transfer syntax dicomcodecs decodes: `dicomcodecs.pixel_array` and
   pydicom's `ds.pixel_array` with the 'dicomcodecs' plugin (after
   `dicomcodecs.pydicom.register()`) must decode it and agree exactly; RLE
   files must also equal pydicom's own RLE decoder.
2. For every syntax dicomcodecs encodes: compress -> decode round trips of
   small random images (8-bit grey, 12-bit grey, 16-bit signed, 8-bit RGB,
   two frames), bit-exact for the lossless syntaxes and within a tolerance
   (PSNR, or the JPEG-LS NEAR bound) for the lossy ones.

Prints one line per check and a summary; exits 1 on any failure. Needs only
numpy, pydicom and the wheel (no compiler, no other pixel plugin).
"""

from __future__ import annotations

import os
import sys
import time
import traceback
import warnings
from pathlib import Path

import numpy as np

# Files no decoder can decode, by design: each must raise in both paths.
EXPECT_ERROR = {
    # 266 bytes of pixel data for a 1024 x 256 image (a pydicom parser test);
    # GDCM and pylibjpeg fail on it too.
    "JPEG2000-embedded-sequence-delimiter.dcm",
}

LOSSLESS = ["rle", "jpeg-lossless", "jpeg-lossless-sv1", "jpeg-ls-lossless", "j2k-lossless",
            "htj2k-lossless", "htj2k-lossless-rpcl", "jpeg-xl-lossless", "deflated-image-frame"]
# Lossy syntaxes: minimum PSNR in dB on a smooth image; JPEG-LS near-lossless
# is instead held to its NEAR bound.
LOSSY = {"jpeg-baseline": 30.0, "jpeg-extended": 30.0, "j2k": 30.0, "htj2k": 30.0,
         "jpeg-ls-near-lossless": None, "jpeg-xl": 30.0}
JLS_NEAR = 2
OPTIONS = {"jpeg-ls-near-lossless": {"jls_error": JLS_NEAR}, "j2k": {"j2k_cr": [8]}}

results: list[tuple[str, str, str]] = []   # (status, name, detail)


def record(status: str, name: str, detail: str = "") -> None:
    results.append((status, name, detail))
    print(f"{status:5} {name}" + (f"  {detail}" if detail else ""), flush=True)


def data_dirs() -> list[Path]:
    import pydicom

    dirs = [Path(pydicom.__file__).parent / "data" / "test_files"]
    try:
        import data_store  # pydicom-data

        dirs.append(Path(data_store.__file__).parent / "data")
    except ImportError:
        pass
    return dirs


def check_files() -> None:
    import pydicom
    from pydicom.pixels import pixel_array as pydicom_pixel_array

    import dicomcodecs as dc
    import dicomcodecs.pydicom

    served = {uid for uid, can_dec, *_ in dc.codecs() if can_dec}
    rle = "1.2.840.10008.1.2.5"
    dicomcodecs.pydicom.register()
    seen = 0
    for d in data_dirs():
        for path in sorted(p for p in d.rglob("*") if p.is_file()):
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    ds = pydicom.dcmread(path)
                    ts = str(ds.file_meta.TransferSyntaxUID)
                    has_pixels = "PixelData" in ds
            except Exception:
                continue                      # not DICOM, or not readable: not a pixel test
            if ts not in served or not has_pixels:
                continue
            seen += 1
            name = f"decode {path.name} ({ts})"
            t0 = time.perf_counter()
            try:
                ours = dc.pixel_array(ds)
                ds.pixel_array_options(decoding_plugin="dicomcodecs")
                via_pydicom = ds.pixel_array
            except Exception as exc:
                if path.name in EXPECT_ERROR:
                    record("ok", name, f"fails as expected: {type(exc).__name__}: {str(exc)[:90]}")
                else:
                    record("FAIL", name, f"{type(exc).__name__}: {exc}")
                continue
            if path.name in EXPECT_ERROR:
                record("FAIL", name, "decoded, but no decoder should be able to")
                continue
            problems = []
            if ours.shape != via_pydicom.shape or ours.dtype != via_pydicom.dtype:
                problems.append(f"dicomcodecs {ours.shape} {ours.dtype} != "
                                f"pydicom plugin {via_pydicom.shape} {via_pydicom.dtype}")
            elif not np.array_equal(ours, via_pydicom):
                diff = np.abs(ours.astype(np.int64) - via_pydicom.astype(np.int64)).max()
                problems.append(f"dicomcodecs and the pydicom plugin differ (max {diff})")
            if ts == rle:
                ref = pydicom_pixel_array(path, decoding_plugin="pydicom")
                if ref.shape != ours.shape or not np.array_equal(ref, ours):
                    problems.append("differs from pydicom's own RLE decoder")
            ms = (time.perf_counter() - t0) * 1e3
            detail = f"{ours.shape} {ours.dtype}, {ms:.0f} ms" + (" (= pydicom RLE)" if ts == rle else "")
            record("FAIL" if problems else "ok", name, "; ".join(problems) or detail)
    if seen == 0:
        record("FAIL", "decode", "found no compressed test file: is pydicom installed?")


def smooth(rng: np.random.Generator, shape: tuple[int, ...], lo: int, hi: int) -> np.ndarray:
    """A random image with low-frequency content (lossy codecs keep it well)
    plus a little noise, in [lo, hi]."""
    rows, cols = shape[:2]
    extra = shape[2:]
    coarse = rng.random((rows // 8 + 2, cols // 8 + 2) + extra)
    # bilinear upsampling of the coarse grid
    y = np.linspace(0, coarse.shape[0] - 1.001, rows)
    x = np.linspace(0, coarse.shape[1] - 1.001, cols)
    y0, x0 = y.astype(int), x.astype(int)
    fy, fx = (y - y0)[:, None], (x - x0)[None, :]
    if extra:
        fy, fx = fy[..., None], fx[..., None]
    img = (coarse[y0][:, x0] * (1 - fy) * (1 - fx) + coarse[y0 + 1][:, x0] * fy * (1 - fx)
           + coarse[y0][:, x0 + 1] * (1 - fy) * fx + coarse[y0 + 1][:, x0 + 1] * fy * fx)
    img = img * 0.97 + rng.random(img.shape) * 0.03
    return np.round(lo + img * (hi - lo)).astype(np.int64)


def make_dataset(arr: np.ndarray, bits_stored: int, signed: bool, pi: str):
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    multi = arr.ndim == 4 or (arr.ndim == 3 and pi != "RGB")
    frames = arr.shape[0] if multi else 1
    rows, cols = arr.shape[1:3] if multi else arr.shape[:2]
    spp = 3 if pi == "RGB" else 1
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, spp
    ds.PhotometricInterpretation = pi
    if spp == 3:
        ds.PlanarConfiguration = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    ds.BitsAllocated = 8 if bits_stored <= 8 else 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.PixelData = np.ascontiguousarray(arr).tobytes()
    return ds


# (label, bits stored, signed, photometric, frames); the syntaxes each applies to
CASES = [
    ("8-bit grey", 8, False, "MONOCHROME2", 1),
    ("12-bit grey", 12, False, "MONOCHROME2", 1),
    ("16-bit signed", 16, True, "MONOCHROME2", 1),
    ("8-bit RGB", 8, False, "RGB", 1),
    ("8-bit grey x2 frames", 8, False, "MONOCHROME2", 2),
]
NOT_FOR = {
    # JPEG baseline is 8-bit only; JPEG extended is 8 or 12 bits (unsigned here).
    "jpeg-baseline": {"12-bit grey", "16-bit signed"},
    "jpeg-extended": {"16-bit signed"},
}


def check_round_trips() -> None:
    import dicomcodecs as dc
    from dicomcodecs._uids import SYNTAXES

    encodable = {SYNTAXES[uid].alias for uid, _, can_enc, *_ in dc.codecs() if can_enc}
    for alias in LOSSLESS + list(LOSSY):
        if alias not in encodable:
            record("FAIL", f"round trip {alias}", "no encoder registered")
    rng = np.random.default_rng(20240607)
    for alias in LOSSLESS + list(LOSSY):
        if alias not in encodable:
            continue
        for label, bits, signed, pi, frames in CASES:
            if label in NOT_FOR.get(alias, ()):
                continue
            name = f"round trip {alias}: {label}"
            lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
            shape = (37, 53, 3) if pi == "RGB" else (37, 53)       # odd sizes on purpose
            if frames > 1:
                shape = (frames,) + shape
                arr = np.stack([smooth(rng, shape[1:], lo, hi) for _ in range(frames)])
            else:
                arr = smooth(rng, shape, lo, hi)
            dtype = (np.int16 if signed else np.uint16) if bits > 8 else np.uint8
            arr = arr.astype(dtype)
            options = OPTIONS.get(alias, {})
            try:
                ds = make_dataset(arr, bits, signed, pi)
                dc.compress(ds, alias, **options)
                nbytes = sum(len(f) for f in _fragments(ds))
                out = dc.pixel_array(ds)
            except Exception as exc:
                record("FAIL", name, f"{type(exc).__name__}: {exc}")
                continue
            if out.shape != arr.shape:
                record("FAIL", name, f"shape {arr.shape} came back as {out.shape}")
                continue
            diff = np.abs(out.astype(np.int64) - arr.astype(np.int64))
            ratio = arr.nbytes / max(1, nbytes)
            if alias in LOSSLESS:
                ok = out.dtype == arr.dtype and not diff.any()
                detail = f"bit-exact, ratio {ratio:.2f}" if ok else f"max error {diff.max()} (must be 0)"
            elif LOSSY[alias] is None:
                ok = diff.max() <= JLS_NEAR
                detail = f"max error {diff.max()} <= NEAR {JLS_NEAR}, ratio {ratio:.2f}"
            else:
                mse = float((diff.astype(np.float64) ** 2).mean())
                psnr = float("inf") if mse == 0 else 10 * np.log10((hi - lo) ** 2 / mse)
                ok = psnr >= LOSSY[alias]
                detail = f"PSNR {psnr:.1f} dB (>= {LOSSY[alias]}), max error {diff.max()}, ratio {ratio:.2f}"
            record("ok" if ok else "FAIL", name, detail)


def _fragments(ds) -> list[bytes]:
    from pydicom.encaps import generate_frames

    n = int(ds.get("NumberOfFrames", 1) or 1)
    return list(generate_frames(ds.PixelData, number_of_frames=n))


def check_version() -> None:
    """One version: the package, the installed wheel's metadata, the command."""
    import subprocess
    from importlib import metadata

    import dicomcodecs as dc

    meta = metadata.version("dicomcodecs")
    cli = subprocess.run([sys.executable, "-m", "dicomcodecs.cli", "--version"],
                         capture_output=True, text=True).stdout.strip()
    ok = meta == dc.__version__ and cli == f"dicomcodecs {dc.__version__}"
    record("ok" if ok else "FAIL", "version",
           f"__version__ {dc.__version__}, metadata {meta}, CLI '{cli}'")


def check_loaded_libraries() -> None:
    """Linux: which codec libraries the process really mapped. From a wheel
    they must be the bundled copies in dicomcodecs.libs/."""
    import dicomcodecs as dc
    from dicomcodecs import _j2k, _jpeg, _jpegls  # noqa: F401  (load every extension)
    from dicomcodecs import _deflate, _jxl  # noqa: F401

    maps = Path("/proc/self/maps")
    if not maps.exists():
        return
    libs = sorted({line.split()[-1] for line in maps.read_text().splitlines()
                   if any(k in line for k in ("libopenjp2", "libjpeg", "libcharls", "libopenjph",
                                              "libjxl", "libdeflate"))})
    bundled = Path(dc.__file__).resolve().parent.parent / "dicomcodecs.libs"
    for lib in libs:
        if "libcharls" in Path(lib).name:   # JPEG-LS is our own C now
            record("FAIL", f"loaded {Path(lib).name}", "CharLS is no longer a dependency")
            continue
        inside = Path(lib).resolve().parent == bundled.resolve()
        ok = inside or not bundled.is_dir()
        record("ok" if ok else "FAIL", f"loaded {Path(lib).name}",
               "bundled copy" if inside else f"from {lib}" + ("" if ok else ", not the bundled copy"))
    if len(libs) < 5:
        record("FAIL", "loaded libraries",
               f"expected OpenJPEG, libjpeg, OpenJPH, libjxl, libdeflate; mapped {libs}")


def check_typing() -> None:
    """The wheel is typed: py.typed, and a stub beside every compiled module."""
    import dicomcodecs as dc

    pkg = Path(dc.__file__).resolve().parent
    compiled = sorted(p.name.split(".")[0] for p in pkg.iterdir() if p.suffix == ".so")
    missing = [m for m in compiled if not (pkg / f"{m}.pyi").is_file()]
    ok = (pkg / "py.typed").is_file() and compiled and not missing
    record("ok" if ok else "FAIL", "typing",
           f"py.typed {'present' if (pkg / 'py.typed').is_file() else 'MISSING'}; "
           f"stubs for {', '.join(compiled)}" + (f"; no stub for {', '.join(missing)}" if missing else ""))


def main() -> int:
    import dicomcodecs as dc

    t0 = time.perf_counter()
    print(f"dicomcodecs {dc.__version__} from {os.path.dirname(dc.__file__)}")
    for uid, can_dec, can_enc, engine, version in dc.codecs():
        print(f"  {uid:24} {'dec' if can_dec else '-  '} {'enc' if can_enc else '-  '} {engine} {version}")
    for step in (check_version, check_typing, check_loaded_libraries, check_files,
                 check_round_trips):
        try:
            step()
        except Exception:
            record("FAIL", step.__name__, traceback.format_exc())
    failed = [r for r in results if r[0] == "FAIL"]
    decoded = sum(1 for r in results if r[1].startswith("decode"))
    trips = sum(1 for r in results if r[1].startswith("round trip"))
    print()
    for status, name, detail in failed:
        print(f"FAILED: {name}: {detail}")
    print(f"wheel check: {decoded} files decoded, {trips} round trips, "
          f"{time.perf_counter() - t0:.1f} s")
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
