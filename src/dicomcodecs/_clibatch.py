"""Running one command over many inputs: each on its own (one failing never
stops the others), `jobs` at a time on threads or on any executor (a Dask
cluster's), reported as written, skipped or failed, with a progress bar on a
terminal, a summary at the end, and optionally a CSV or JSON record of every
input."""

from __future__ import annotations

import csv
import json
import os
import sys
import threading
import traceback
from concurrent.futures import Executor, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from ._clifiles import Input, find_inputs

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 1, 130


def reason(exc: BaseException) -> str:
    """One line, in words, for why an input failed."""
    if isinstance(exc, FileNotFoundError):
        return "no such file or folder"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a file"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, MemoryError):
        return "not enough memory"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower() + (f": {exc.filename}" if exc.filename else "")
    text = " ".join(str(exc).split())
    if not text:
        return "unexpected error (run with --debug for the details)"
    return text if len(text) <= 300 else text[:297] + "..."


@dataclass
class Outcome:
    status: str      # "written", "skipped" or "failed"
    name: str        # the input as the user knows it
    text: str        # what was written or skipped, or why it failed
    output: str = ""  # the output file, when there is one
    detail: str = ""  # the traceback of a failure, kept for --debug


class Record:
    """Every outcome as one row of a CSV file, or one object of a JSON list,
    written as it arrives (an interrupted run leaves the rows it finished)."""

    FIELDS = ("status", "input", "output", "reason")

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.json = self.path.suffix.lower() == ".json"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.file = open(self.path, "w", newline="", encoding="utf-8")
        self.rows = 0
        if self.json:
            self.file.write("[")
        else:
            self.writer = csv.writer(self.file)
            self.writer.writerow(self.FIELDS)

    def add(self, o: Outcome) -> None:
        row = (o.status, o.name, o.output, "" if o.status == "written" else o.text)
        if self.json:
            self.file.write(("," if self.rows else "") + "\n  "
                            + json.dumps(dict(zip(self.FIELDS, row))))
        else:
            self.writer.writerow(row)
        self.rows += 1
        self.file.flush()

    def close(self) -> None:
        if self.json:
            self.file.write("\n]\n")
        self.file.close()


@dataclass
class Report:
    """Counts and prints outcomes: one line each on stdout (only failures are
    kept back with -q, for the summary), the progress bar on stderr when it is
    a terminal, the summary on stderr."""

    command: str
    total: int
    quiet: bool
    record: Record | None = None
    echo: bool = True   # False: nothing printed at all (the Python API)
    debug: bool = False
    counts: dict[str, int] = field(default_factory=lambda: {"written": 0, "skipped": 0, "failed": 0})
    failures: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    bar: Any = None
    code: int = EXIT_OK

    def __post_init__(self) -> None:
        if self.echo and not self.quiet and sys.stderr.isatty() and self.total > 1:
            try:
                from tqdm import tqdm
            except ImportError:  # a dependency, but no bar is no reason to stop
                return
            self.bar = tqdm(total=self.total, file=sys.stderr, unit="file", leave=False,
                            dynamic_ncols=True)

    def _print(self, text: str, stream: Any) -> None:
        if self.bar is not None:
            self.bar.write(text, file=stream)  # clears the bar, writes, redraws it
        else:
            print(text, file=stream, flush=True)

    def add(self, outcome: Outcome) -> None:
        with self.lock:
            self.counts[outcome.status] += 1
            if outcome.status == "failed":
                self.failures.append(outcome)
            if self.record is not None:
                self.record.add(outcome)
            if self.echo and self.debug and outcome.detail:
                self._print(f"{outcome.name}:\n{outcome.detail}", sys.stderr)
            if self.echo and not self.quiet:
                label = {"written": "written", "skipped": "skipped", "failed": "FAILED "}
                sep = " -> " if outcome.status == "written" else ": "
                self._print(f"{label[outcome.status]} {outcome.name}{sep}{outcome.text}",
                            sys.stdout)
            if self.bar is not None:
                self.bar.update(1)

    def finish(self, ignored: int = 0, interrupted: bool = False) -> int:
        if self.bar is not None:
            self.bar.close()
        if self.record is not None:
            self.record.close()
        code = EXIT_INTERRUPTED if interrupted else EXIT_FAILED if self.failures else EXIT_OK
        if not self.echo:
            return code
        c = self.counts
        line = f"{self.command}: {c['written']} written, {c['skipped']} skipped, {c['failed']} failed"
        if ignored:
            line += f" ({ignored} non-DICOM file{'s' if ignored != 1 else ''} in the folders ignored)"
        if interrupted:
            done = sum(c.values())
            line = f"{self.command}: interrupted after {done} of {self.total} inputs; " \
                   + line.split(": ", 1)[1] + "; nothing half-written was left behind"
        print(line, file=sys.stderr)
        for f in self.failures:
            print(f"  FAILED {f.name}: {f.text}", file=sys.stderr)
        if self.record is not None:
            print(f"{self.command}: every input is listed in {self.record.path}", file=sys.stderr)
        sys.stderr.flush()
        return code


def attempt(work: Callable[[Input, threading.Event | None], Outcome], item: Input,
            stop: threading.Event | None, debug: bool) -> Outcome | None:
    """`work(item, stop)`, its failure turned into an Outcome (one input
    failing must not stop the others); None once the run is interrupted.
    Module-level, so that it travels to a Dask worker."""
    if stop is not None and stop.is_set():
        return None
    try:
        return work(item, stop)
    except KeyboardInterrupt:
        return None
    except Exception as exc:
        return Outcome("failed", str(item.path), reason(exc),
                       detail=traceback.format_exc() if debug else "")


def attempt_each(work: Callable[[Input, threading.Event | None], Outcome], items: list[Input],
                 stop: threading.Event | None, debug: bool) -> list[Outcome | None]:
    """`attempt` on each of `items`, one after the other: one task."""
    return [attempt(work, item, stop, debug) for item in items]


# A task on another executor (a Dask worker) costs a few milliseconds of CPU
# in the client, the scheduler and the worker; a small file takes about as
# long to transcode. So small files travel in groups of up to GROUP_BYTES
# (and GROUP_FILES), never so large that there would be fewer than
# MIN_TASKS tasks to spread over the workers. Measured in benchmarks/RESULTS.md.
GROUP_BYTES, GROUP_FILES, MIN_TASKS = 8 << 20, 16, 32


def _groups(items: list[Input]) -> list[list[Input]]:
    most = max(1, min(GROUP_FILES, len(items) // MIN_TASKS))
    groups: list[list[Input]] = []
    size = 0
    for item in items:
        try:
            n = os.path.getsize(item.path)
        except OSError:
            n = 0  # its task reports why
        if not groups or len(groups[-1]) >= most or size + n > GROUP_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(item)
        size += n
    return groups


def run_batch(command: str, inputs_args: list[str], skip: Path | None,
              work: Callable[[Input, threading.Event | None], Outcome], *, jobs: int, quiet: bool,
              debug: bool, executor: Executor | None = None, record: Path | None = None,
              echo: bool = True) -> Report:
    """Find the inputs, run `work` on each, report; the Report (its `code` is
    the exit status). `work` returns its Outcome or raises (a failure, in one
    line). On the default thread pool (`jobs` threads) each input is a task
    and `work` is given an Event that is set when the run is interrupted; on
    another `executor` (one whose workers may be other processes or machines)
    small inputs go in groups (see _groups), `work` gets None and the input
    with an absolute path, and must be picklable. `record`: a .csv or .json
    file listing every input's outcome."""
    found = find_inputs(inputs_args, skip=skip)
    report = Report(command, len(found.files) + len(found.problems), quiet,
                    record=Record(record) if record is not None else None, echo=echo,
                    debug=debug)
    for name, why in found.problems:
        report.add(Outcome("failed", name, why))
    if not found.files and not found.problems:
        if echo:
            print(f"{command}: no DICOM files found in {' '.join(map(str, inputs_args))}"
                  + (f" ({found.ignored} other files ignored)" if found.ignored else ""),
                  file=sys.stderr)
        if report.record is not None:
            report.record.close()
        report.code = EXIT_FAILED
        return report
    stop = threading.Event()
    own = executor is None
    pool = ThreadPoolExecutor(max_workers=jobs) if own else executor
    futures = {}
    if own:
        for item in found.files:
            futures[pool.submit(attempt_each, work, [item], stop, debug)] = [item]
    else:
        for group in _groups(found.files):
            travelling = [Input(Path(os.path.abspath(i.path)), i.rel, i.bare) for i in group]
            futures[pool.submit(attempt_each, work, travelling, None, debug)] = group
    try:
        for fut in as_completed(futures):
            items = futures[fut]
            try:
                outcomes = fut.result()
            except Exception as exc:  # the executor lost the task (e.g. Dask gave up on it)
                outcomes = [Outcome("failed", "", reason(exc)) for _ in items]
            for item, outcome in zip(items, outcomes):
                if outcome is not None:
                    outcome.name = str(item.path)  # as the user named it
                    report.add(outcome)
    except KeyboardInterrupt:
        # Files in flight finish their current step and are dropped before
        # they are published; nothing else starts.
        stop.set()
        for fut in futures:
            fut.cancel()
        if own:
            pool.shutdown(wait=True)
        report.code = report.finish(found.ignored, interrupted=True)
        return report
    if own:
        pool.shutdown(wait=True)
    report.code = report.finish(found.ignored)
    return report
