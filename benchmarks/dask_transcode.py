"""Archive transcode on Dask, side by side in one process: the same archive of
real images transcoded by the local `transcode --jobs 2` (threads in this
process) and by dicomcodecs.batch on a LocalCluster of 1 and of 2 worker
processes, codec threads fixed at 1; then one large multi-frame file as one
file task against the same file split into frame-range tasks.

    .venv/bin/python benchmarks/dask_transcode.py [--files 200] [--repeat 3]

Prints a markdown section for benchmarks/RESULTS.md."""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

# Real images of pydicom / pydicom-data, native and compressed, mono and colour.
SOURCES = ["CT_small.dcm", "MR_small.dcm", "693_UNCR.dcm", "US1_UNCR.dcm", "OBXXXX1A.dcm",
           "MR2_UNCR.dcm", "emri_small.dcm", "JPGLosslessP14SV1_1s_1f_8b.dcm", "US1_J2KR.dcm",
           "SC_rgb_rle.dcm", "MR_small_jpeg_ls_lossless.dcm", "693_J2KR.dcm"]
BIG = "color3d_jpeg_baseline.dcm"  # 120 frames of 480x640 RGB


def find(name: str) -> Path:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.conftest import find_testfile

    return find_testfile(name)


def archive(root: Path, n: int) -> int:
    """n files: the sources round-robin, each copy its own file; bytes total."""
    total = 0
    for i in range(n):
        name = SOURCES[i % len(SOURCES)]
        dest = root / f"d{i % 10}" / f"{i:04d}_{name}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(find(name), dest)
        total += dest.stat().st_size
    return total


def cpu_seconds() -> float:
    """CPU time of this process and all its live children (the cluster's
    scheduler runs in this process; nannies and workers are children)."""
    import psutil

    me = psutil.Process()
    total = 0.0
    for p in [me, *me.children(recursive=True)]:
        try:
            t = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += t.user + t.system
    return total


def measured(fn) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process tree)."""
    c, t = cpu_seconds(), time.perf_counter()
    fn()
    return time.perf_counter() - t, cpu_seconds() - c


def frame_tasks(client, path: Path, out: Path, uid: str, parts: int) -> None:
    """The prototype of frame tasks: each worker decodes and encodes a range
    of frames, the encoded frames travel back, the client writes the file."""
    import pydicom

    import dicomcodecs as dc
    from dicomcodecs._encaps import encapsulate

    ds = pydicom.dcmread(path, stop_before_pixels=True)
    n = int(ds.NumberOfFrames)
    bounds = [n * k // parts for k in range(parts + 1)]

    def part(lo: int, hi: int) -> list[bytes]:
        arr = dc.pixel_array(str(path), frames=list(range(lo, hi)), threads=1)
        return dc.encode_frames(arr, uid, threads=1)

    futures = [client.submit(part, lo, hi, pure=False) for lo, hi in zip(bounds, bounds[1:])]
    frames = [f for fut in futures for f in fut.result()]
    full = pydicom.dcmread(path)
    data, _, _ = encapsulate(frames)
    full.PixelData = data
    full["PixelData"].VR = "OB"
    full["PixelData"].is_undefined_length = True
    full.file_meta.TransferSyntaxUID = uid
    full.PhotometricInterpretation = "RGB"
    full.save_as(out, enforce_file_format=True)


def _burn(seconds: float) -> float:
    t, c = time.time(), time.process_time()
    while time.time() - t < seconds:
        pass
    return time.process_time() - c


def cpu_share(processes: int, seconds: float = 2.0) -> float:
    """CPU seconds that `processes` busy processes get per wall second: what
    this machine grants this session right now (2.0 on an idle 2-core box)."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(processes) as pool:
        return sum(pool.map(_burn, [seconds] * processes)) / seconds


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--to", default="htj2k-lossless")
    args = ap.parse_args()

    from dicomcodecs import batch, cli
    from dicomcodecs._uids import resolve

    work = Path(tempfile.mkdtemp(prefix="dc-dask-bench-"))
    try:
        size = archive(work / "in", args.files)
        print(f"archive: {args.files} files, {size / 1e6:.0f} MB, from {len(SOURCES)} images",
              file=sys.stderr)
        loads = [os.getloadavg()]
        share = (cpu_share(1), cpu_share(2))
        times: dict[str, list[float]] = {"local --jobs 2": [], "dask 1 worker": [],
                                         "dask 2 workers": []}
        cpu: dict[str, list[float]] = {k: [] for k in times}
        with batch.connect(cluster="local", workers=1) as one, \
                batch.connect(cluster="local", workers=2) as two:
            runs = [("local --jobs 2", lambda out: cli.main(
                        ["transcode", str(work / "in"), "--to", args.to, "-o", str(out),
                         "--jobs", "2", "-q"])),
                    ("dask 1 worker", lambda out: batch.transcode(
                        work / "in", args.to, out, client=one)),
                    ("dask 2 workers", lambda out: batch.transcode(
                        work / "in", args.to, out, client=two))]
            for _, run in runs:  # warm-up: imports in the workers, page cache
                run(work / "warm")
                shutil.rmtree(work / "warm")
            from distributed import get_task_stream

            time.sleep(1)
            idle_wall, idle_cpu = measured(lambda: time.sleep(3))
            background = idle_cpu / idle_wall  # heartbeats and monitors of both clusters

            busy: list[float] = []  # sum / max of the 2 workers' compute time
            for r in range(args.repeat):  # interleaved, so drifting load hits all alike
                for name, run in runs:
                    out = work / f"out-{r}"
                    with get_task_stream(client=two) as stream:
                        wall, used = measured(lambda: run(out))
                    if name == "dask 2 workers":
                        per: dict[str, float] = {}
                        for task in stream.data:
                            per[task["worker"]] = per.get(task["worker"], 0.0) + sum(
                                s["stop"] - s["start"] for s in task["startstops"]
                                if s["action"] == "compute")
                        busy.append(sum(per.values()) / max(per.values()))
                    times[name].append(wall)
                    cpu[name].append(used)
                    assert sum(1 for _ in out.rglob("*.dcm")) == args.files, name
                    shutil.rmtree(out)
                    print(name, f"{wall:.2f} s, {used:.2f} CPU s", os.getloadavg(),
                          file=sys.stderr)
            loads.append(os.getloadavg())

            # One big multi-frame file: one file task vs frame-range tasks on 2 workers.
            big = find(BIG)
            uid = resolve(args.to)
            single, split = [], []
            for r in range(args.repeat):
                out = work / f"big-{r}"
                single.append(measured(lambda: batch.transcode(big, args.to, out, client=two)))
                split.append(measured(lambda: frame_tasks(two, big, work / f"big-{r}.dcm", uid,
                                                          2)))
            loads.append(os.getloadavg())
    finally:
        shutil.rmtree(work, ignore_errors=True)

    med = {k: statistics.median(v) for k, v in times.items()}
    mcpu = {k: statistics.median(v) for k, v in cpu.items()}
    print("\n## Archive transcode on Dask\n")
    print(f"Command: `.venv/bin/python benchmarks/dask_transcode.py --files {args.files} "
          f"--repeat {args.repeat} --to {args.to}`\n")
    print(f"Archive: {args.files} files ({size / 1e6:.0f} MB) copied from {len(SOURCES)} real "
          f"images of pydicom and pydicom-data (CT, MR, US colour, 8/16-bit, native, JPEG "
          f"lossless, J2K, RLE, JPEG-LS) in 10 folders; transcoded to {args.to}. Codec "
          f"threads 1 everywhere; LocalCluster worker processes with 1 thread each, started "
          f"before timing; median of {args.repeat} interleaved runs after a warm-up. Load "
          f"average (1/5/15 min) at the start {fmt(loads[0])}, after the archive runs "
          f"{fmt(loads[1])}, at the end {fmt(loads[2])} (2 cores, shared). CPU this "
          f"session was granted at the start: {share[0]:.2f} CPU s per second with 1 busy "
          f"process, {share[1]:.2f} with 2 (an idle 2-core machine gives 1.00 and 2.00).\n")
    print("| run | wall s (median) | files/s | CPU s (median) | CPU ms per file | all runs: wall s |")
    print("|---|---|---|---|---|---|")
    for k, v in times.items():
        print(f"| {k} | {med[k]:.2f} | {args.files / med[k]:.0f} | {mcpu[k]:.2f} | "
              f"{1000 * mcpu[k] / args.files:.0f} | {', '.join(f'{x:.2f}' for x in v)} |")
    print()
    print(f"- 2 workers / 1 worker: **{med['dask 1 worker'] / med['dask 2 workers']:.2f}x** "
          f"(target >= 1.7x); balance of the 2 workers (their summed compute time / the busier "
          f"one's, 2.00 = perfectly even): {', '.join(f'{b:.2f}' for b in busy)}")
    print(f"- Dask overhead against the local `--jobs 2`: **"
          f"{(med['dask 2 workers'] / med['local --jobs 2'] - 1) * 100:+.0f} %** "
          f"(target <= +15 %); in CPU time (all processes: client, scheduler, nannies, "
          f"workers): **{(mcpu['dask 2 workers'] / mcpu['local --jobs 2'] - 1) * 100:+.0f} %**")
    net = {k: mcpu[k] - background * med[k] for k in mcpu}
    extra = (net["dask 2 workers"] - net["local --jobs 2"]) / args.files
    print(f"- The two idle clusters (1 + 2 workers, scheduler and nannies) use "
          f"{background:.3f} CPU s per second by themselves (heartbeats, monitors), a cost "
          f"that grows with wall time, which the shared machine stretches. Net of it, Dask "
          f"costs **{1000 * extra:+.1f} ms of CPU per file** "
          f"({(net['dask 2 workers'] / net['local --jobs 2'] - 1) * 100:+.0f} %) against "
          f"the local run.")
    wall1, cpu1 = (statistics.median(x[i] for x in single) for i in (0, 1))
    wall2, cpu2 = (statistics.median(x[i] for x in split) for i in (0, 1))
    print(f"- One {BIG} (120 frames 480x640 RGB) on 2 workers: one file task "
          f"{wall1:.2f} s wall / {cpu1:.2f} CPU s; two frame-range tasks (frames encoded in "
          f"the workers, gathered and written by the client) {wall2:.2f} s wall / "
          f"{cpu2:.2f} CPU s (runs, wall: {', '.join(f'{x[0]:.2f}' for x in single)} / "
          f"{', '.join(f'{x[0]:.2f}' for x in split)})")
    return 0


def fmt(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.1f}" for x in load)


if __name__ == "__main__":
    sys.exit(main())
