#!/usr/bin/env python3
"""Run pydicom's own test suite twice, as pydicom ships it and with the
'dicomcodecs' plugins registered first, and compare the failures: the
plugin may fail nowhere pydicom does not fail without it.

pydicom's tests come from its sdist (the version installed here), downloaded
with pip once and cached under build/pydicom-suite/; nothing of it is copied
into this repository. Offline, pydicom's data manager would try to download
the test files pydicom-data lacks, with retries and sleeps: both runs set
pydicom's own network-outage switch so those lookups fail at once (and fail
the same tests in both runs).

    python tools/pydicom_suite.py [--cache DIR] [-k EXPR] [--list]

Prints each run's counts, the failures new with dicomcodecs (and those it
fixes), and exits 1 when there is a new one.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The parts of pydicom's suite that touch pixel data, encapsulation and the
# plugins.
TESTS = [
    "tests/pixels", "tests/test_dataset.py", "tests/test_encaps.py",
    "tests/test_numpy_pixel_data.py", "tests/test_rle_pixel_data.py",
    "tests/test_overlay_np.py", "tests/test_handler_util.py",
    "tests/test_JPEG_LS_transfer_syntax.py", "tests/test_filewriter.py",
]

# Loaded into both runs with -p: no downloads; the plugin when asked.
PLUGIN = '''\
"""pytest plugin for tools/pydicom_suite.py (written by it)."""
import os


def pytest_configure(config):
    import pydicom.data.download as download

    # pydicom's own switch: every download attempt raises at once.
    download._SIMULATE_NETWORK_OUTAGE = True
    if os.environ.get("DICOMCODECS_SUITE_REGISTER") == "1":
        import dicomcodecs.pydicom

        dicomcodecs.pydicom.register(first=True)
        assert dicomcodecs.pydicom.is_registered()


def pytest_report_header(config):
    import dicomcodecs.pydicom

    return f"dicomcodecs plugins registered first: {dicomcodecs.pydicom.is_registered()}"
'''


def pydicom_version() -> str:
    import pydicom

    return pydicom.__version__


def sdist_tests(cache: Path, version: str) -> Path:
    """The unpacked sdist of pydicom `version` (downloaded once)."""
    tree = cache / f"pydicom-{version}"
    if (tree / "tests").is_dir():
        return tree
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / f"pydicom-{version}.tar.gz"
    if not archive.exists():
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps",
                        "--no-binary", ":all:", f"pydicom=={version}", "-d", str(cache)],
                       check=True)
    with tarfile.open(archive) as tar:
        members = [m for m in tar.getmembers()
                   if m.name.startswith(f"pydicom-{version}/tests/") and (m.isfile() or m.isdir())]
        tar.extractall(cache, members=members)
    return tree


def run(tree: Path, cache: Path, register: bool, extra: list[str]) -> dict[str, object]:
    """One pytest run over TESTS; returns counts and the failing test ids."""
    (cache / "dc_suite_plugin.py").write_text(PLUGIN)
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(cache), *filter(None, [os.environ.get("PYTHONPATH")])]),
            DICOMCODECS_SUITE_REGISTER="1" if register else "0")
        cmd = [sys.executable, "-m", "pytest", *TESTS, "-q", "-p", "dc_suite_plugin",
               "-p", "no:cacheprovider", "-o", "addopts=", "--rootdir", str(tree),
               f"--junitxml={junit}", "-W", "ignore", *extra]
        t = time.perf_counter()
        proc = subprocess.run(cmd, cwd=tree, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - t
        if not junit.exists():
            sys.stdout.write(proc.stdout[-5000:] + proc.stderr[-5000:])
            raise SystemExit(f"pytest did not run (exit {proc.returncode})")
        failed: dict[str, str] = {}
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        for case in ET.parse(junit).getroot().iter("testcase"):
            name = f"{case.get('classname')}::{case.get('name')}"
            bad = case.find("failure")
            if bad is None:
                bad = case.find("error")
            if bad is not None:
                failed[name] = (bad.get("message") or "").splitlines()[0][:200] if bad.get("message") else ""
                counts["failed"] += 1
            elif case.find("skipped") is not None:
                counts["skipped"] += 1
            else:
                counts["passed"] += 1
    return {"counts": counts, "failed": failed, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", type=Path, default=ROOT / "build" / "pydicom-suite",
                    help="where the sdist is downloaded and unpacked (default: %(default)s)")
    ap.add_argument("-k", dest="keyword", help="pytest -k expression, to run a subset")
    ap.add_argument("--list", action="store_true", help="list every failure of both runs")
    args = ap.parse_args(argv)
    version = pydicom_version()
    tree = sdist_tests(args.cache, version)
    extra = ["-k", args.keyword] if args.keyword else []
    plain = run(tree, args.cache, False, extra)
    ours = run(tree, args.cache, True, extra)
    for label, r in (("pydicom alone", plain), ("dicomcodecs first", ours)):
        c = r["counts"]
        print(f"{label:18s} pydicom {version}: {c['passed']} passed, {c['failed']} failed, "
              f"{c['skipped']} skipped ({r['seconds']:.0f} s)")
    new = sorted(set(ours["failed"]) - set(plain["failed"]))
    fixed = sorted(set(plain["failed"]) - set(ours["failed"]))
    if args.list:
        for label, r in (("pydicom alone", plain), ("dicomcodecs first", ours)):
            for name, msg in sorted(r["failed"].items()):
                print(f"  [{label}] FAILED {name}: {msg}")
    for name in fixed:
        print(f"passes only with dicomcodecs: {name}")
    for name in new:
        print(f"NEW FAILURE with dicomcodecs: {name}: {ours['failed'][name]}")
    print(f"{len(new)} new failure(s) with dicomcodecs registered first")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
