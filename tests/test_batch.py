"""dicomcodecs.batch on a real distributed.LocalCluster (worker processes on
127.0.0.1): transcode with the command line's guarantees, a worker killed
mid-batch, re-runs, and series decoded into a dask array."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pydicom
import pytest

import dicomcodecs as dc

from .conftest import find_testfile

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

from dicomcodecs import batch  # noqa: E402
from dicomcodecs.cli import main as cli_main  # noqa: E402

RLE = "1.2.840.10008.1.2.5"
JLS = "1.2.840.10008.1.2.4.80"
# Real images of several kinds: 16-bit CT/MR, 10-frame MR, RGB J2K, 8-bit JPEG lossless.
SAMPLES = {"a/CT_small.dcm": "CT_small.dcm", "a/MR_small.dcm": "MR_small.dcm",
           "b/emri_small.dcm": "emri_small.dcm", "b/US1_J2KR.dcm": "US1_J2KR.dcm",
           "b/c/lossless8.dcm": "JPGLosslessP14SV1_1s_1f_8b.dcm"}


@pytest.fixture(scope="module")
def client():
    with batch.connect(cluster="local", workers=2) as c:
        yield c


def tree(root: Path, damaged: bool = True) -> Path:
    for rel, name in SAMPLES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(find_testfile(name), root / rel)
    if damaged:  # cut inside its header: unreadable
        (root / "b" / "cut.dcm").write_bytes(find_testfile("CT_small.dcm").read_bytes()[:3000])
    return root


def files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_cluster_transcode_equals_the_local_run_and_reports_every_file(tmp_path, client):
    src = tree(tmp_path / "in")
    assert cli_main(["transcode", str(src), "--to", "jpeg-ls-lossless", "-o",
                     str(tmp_path / "local"), "-q", "--jobs", "2",
                     "--report", str(tmp_path / "local.json")]) == 1  # the damaged file fails
    local = json.loads((tmp_path / "local.json").read_text())
    assert sorted(r["status"] for r in local) == ["failed"] + ["written"] * len(SAMPLES)
    result = batch.transcode([src], "jpeg-ls-lossless", tmp_path / "dask", client=client,
                             verify=True)
    assert (result.written, result.skipped) == (len(SAMPLES), 0)
    assert [(Path(n).name, "truncated" in why or "cut short" in why)
            for n, why in result.failed] == [("cut.dcm", True)]
    assert files(tmp_path / "dask") == files(tmp_path / "local") == sorted(SAMPLES)
    for rel, name in SAMPLES.items():
        mine, local = (pydicom.dcmread(tmp_path / d / rel) for d in ("dask", "local"))
        assert mine.file_meta.TransferSyntaxUID == JLS
        assert mine.PixelData == local.PixelData  # the same codestreams, byte for byte
        np.testing.assert_array_equal(dc.pixel_array(tmp_path / "dask" / rel),
                                      dc.pixel_array(find_testfile(name)))
    # The report: beside the output folder, not inside it; every input once.
    assert result.report == tmp_path / "dask.report.csv"
    rows = list(csv.DictReader(open(result.report)))
    assert sorted((r["status"], Path(r["input"]).relative_to(src).as_posix()) for r in rows) == \
        sorted([("written", rel) for rel in SAMPLES] + [("failed", "b/cut.dcm")])
    assert all(r["output"] == str(tmp_path / "dask" / Path(r["input"]).relative_to(src))
               for r in rows if r["status"] == "written")
    assert [r["reason"] for r in rows if r["status"] == "failed"][0]

    # A second run skips everything it finished and replaces nothing.
    stamps = {p: p.stat().st_mtime_ns for p in (tmp_path / "dask").rglob("*.dcm")}
    again = batch.transcode([src], "jpeg-ls-lossless", tmp_path / "dask", client=client,
                            report=tmp_path / "again.json")
    assert (again.written, again.skipped, len(again.failed)) == (0, len(SAMPLES), 1)
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    listed = json.loads((tmp_path / "again.json").read_text())
    assert sorted(r["status"] for r in listed) == ["failed"] + ["skipped"] * len(SAMPLES)


def test_globs_are_expanded_and_nothing_is_replaced(tmp_path, client):
    src = tree(tmp_path / "in", damaged=False)
    # The matches' common folder (in/a) is the root of the mirrored tree.
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "CT_small.dcm").write_bytes(b"not ours")  # must survive
    result = batch.transcode([str(src / "a" / "*.dcm")], "rle", tmp_path / "out", client=client)
    assert result.written == 1 and [Path(n).name for n, _ in result.failed] == ["CT_small.dcm"]
    assert "--overwrite" in result.failed[0][1]
    assert (tmp_path / "out" / "CT_small.dcm").read_bytes() == b"not ours"
    forced = batch.transcode([str(src / "a" / "*.dcm")], "rle", tmp_path / "out", client=client,
                             overwrite=True)
    assert (forced.written, forced.failed) == (2, [])
    assert pydicom.dcmread(tmp_path / "out" / "CT_small.dcm").file_meta.TransferSyntaxUID == RLE
    assert files(tmp_path / "out") == ["CT_small.dcm", "MR_small.dcm"]


def test_small_files_travel_in_groups_and_each_is_reported(tmp_path, client):
    from dicomcodecs._clibatch import _groups
    from dicomcodecs._clifiles import find_inputs

    src = tmp_path / "in"
    src.mkdir()
    for i in range(70):
        shutil.copyfile(find_testfile("CT_small.dcm"), src / f"ct{i:02d}.dcm")
    (src / "ct33.dcm").write_bytes((src / "ct33.dcm").read_bytes()[:-1000])  # cut in its pixels
    groups = _groups(find_inputs([src]).files)
    assert len(groups) == 35 and {len(g) for g in groups} == {2}  # >= 32 tasks, 2 files each
    result = batch.transcode(src, "rle", tmp_path / "out", client=client)
    assert result.written == 69
    assert [(Path(n).name, "truncated" in why) for n, why in result.failed] == [("ct33.dcm", True)]
    rows = list(csv.DictReader(open(result.report)))
    assert sorted(Path(r["input"]).name for r in rows) == sorted(p.name for p in src.iterdir())
    assert len(files(tmp_path / "out")) == 69


def test_without_a_client_the_same_runs_on_threads(tmp_path):
    src = tree(tmp_path / "in", damaged=False)
    result = batch.transcode(src, "rle", tmp_path / "out", report=tmp_path / "r.csv")
    assert (result.written, result.failed) == (len(SAMPLES), [])
    assert files(tmp_path / "out") == sorted(SAMPLES)
    assert len(list(csv.DictReader(open(tmp_path / "r.csv")))) == len(SAMPLES)


def test_cli_on_a_scheduler_address(tmp_path, client):
    tree(tmp_path / "in")
    r = subprocess.run([sys.executable, "-m", "dicomcodecs.cli", "transcode", "in", "--to", "rle",
                        "-o", "out", "--scheduler", client.scheduler.address],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 1, r.stderr  # the damaged file
    assert "Traceback" not in r.stdout + r.stderr
    # stdout holds the result lines and nothing else (no Dask progress text)
    lines = r.stdout.splitlines()
    assert len(lines) == len(SAMPLES) + 1
    assert all(ln.startswith(("written ", "FAILED ")) for ln in lines), lines
    assert "1 failed" in r.stderr and "out.report.csv" in r.stderr
    assert (tmp_path / "out.report.csv").is_file() and files(tmp_path / "out") == sorted(SAMPLES)
    # --workers only sizes a local cluster; --jobs is for a local run
    for extra in (["--workers", "2"], ["--jobs", "2"], ["--cluster", "local"]):
        bad = subprocess.run([sys.executable, "-m", "dicomcodecs.cli", "transcode", "in", "--to",
                              "rle", "-o", "o2", "--scheduler", client.scheduler.address, *extra],
                             capture_output=True, text=True, cwd=tmp_path)
        assert bad.returncode == 2 and "error:" in bad.stderr and not (tmp_path / "o2").exists()


def test_cli_starts_a_local_cluster(tmp_path):
    tree(tmp_path / "in", damaged=False)
    r = subprocess.run([sys.executable, "-m", "dicomcodecs.cli", "transcode", "in", "--to",
                        "htj2k-lossless", "-o", "out", "--cluster", "local", "--workers", "2",
                        "--report", "list.json", "--verify", "-q"],
                       capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout == "" and "Traceback" not in r.stderr
    assert f"{len(SAMPLES)} written, 0 skipped, 0 failed" in r.stderr
    listed = json.loads((tmp_path / "list.json").read_text())
    assert sorted(x["status"] for x in listed) == ["written"] * len(SAMPLES)


def test_a_missing_extra_is_named():
    with pytest.raises(ImportError, match=r"dicomcodecs\[dask\]"):
        batch._require("dask_not_installed_here")


# ------------------------------------------------------------ decode

def series(root: Path, n: int = 5) -> list[np.ndarray]:
    """n single-frame files, Instance Numbers in the reverse of path order."""
    root.mkdir(parents=True, exist_ok=True)
    truth = []
    for i in range(n):
        ds = pydicom.dcmread(find_testfile("CT_small.dcm"))
        arr = ds.pixel_array.copy()
        arr[i, :] = i * 100  # each file different
        ds.PixelData = arr.tobytes()
        ds.InstanceNumber = n - i
        dc.compress(ds, "jpeg-ls-lossless")
        ds.save_as(root / f"f{i}.dcm", enforce_file_format=True)
        truth.append(arr)
    return truth[::-1]  # in Instance Number order


def test_frames_threads_and_cluster(tmp_path, client):
    truth = np.stack(series(tmp_path / "s"))
    arr = batch.frames(tmp_path / "s")
    assert isinstance(arr, da.Array) and arr.shape == truth.shape and arr.dtype == truth.dtype
    assert arr.numblocks[0] == 5  # one chunk per file
    np.testing.assert_array_equal(arr.compute(scheduler="threads"), truth)
    np.testing.assert_array_equal(client.compute(arr).result(), truth)
    np.testing.assert_array_equal(client.compute(arr[1:3, 10:20].sum(axis=0)).result(),
                                  truth[1:3, 10:20].sum(axis=0))
    # The pydicom plugin is registered in the workers that decoded
    assert any(client.run(lambda: __import__("dicomcodecs.batch").batch._done).values())


def test_frames_of_a_multiframe_file_one_chunk_per_frame(client):
    path = find_testfile("emri_small.dcm")
    arr = batch.frames([path], chunks="frame")
    assert arr.numblocks[0] == 10
    np.testing.assert_array_equal(client.compute(arr).result(), dc.pixel_array(path))


def test_frames_mismatch_names_the_first_file_that_differs(tmp_path):
    series(tmp_path / "s", 3)
    shutil.copyfile(find_testfile("MR_small.dcm"), tmp_path / "s" / "zz_mr.dcm")
    shutil.copyfile(find_testfile("emri_small.dcm"), tmp_path / "s" / "zz_other.dcm")
    with pytest.raises(ValueError, match=r"zz_mr\.dcm: frames of 64x64 int16.*128x128"):
        batch.frames(tmp_path / "s")


# ------------------------------------------------- a worker dies mid-batch

def test_a_killed_worker_s_files_run_elsewhere_once(tmp_path, client):
    src = tmp_path / "in"
    src.mkdir()
    big = find_testfile("MR2_UNCR.dcm")  # 1024x1024 16-bit: a few tenths of a second each
    n = 16
    for i in range(n):
        shutil.copyfile(big, src / f"img{i:02d}.dcm")
    pids = client.run(os.getpid)
    out = tmp_path / "out"
    done: dict = {}
    t = threading.Thread(target=lambda: done.setdefault(
        "r", batch.transcode(src, "j2k-lossless", out, client=client)))
    t.start()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(out.glob("*.dcm"))) < 3:
        time.sleep(0.02)
    written_before = len(list(out.glob("*.dcm")))
    victim = sorted(pids.values())[0]
    os.kill(victim, signal.SIGKILL)
    t.join(timeout=240)
    assert not t.is_alive()
    assert written_before < n  # the kill did land in the middle of the batch
    r = done["r"]
    assert r.failed == [] and r.written + r.skipped == n
    assert sorted(p.name for p in out.iterdir()) == [f"img{i:02d}.dcm" for i in range(n)]
    expected = dc.pixel_array(big)
    for p in out.iterdir():
        np.testing.assert_array_equal(dc.pixel_array(p), expected)
    again = batch.transcode(src, "j2k-lossless", out, client=client)
    assert (again.written, again.skipped, again.failed) == (0, n, [])
    client.wait_for_workers(2, timeout=60)
