"""Running one command over many inputs: each on its own (one failing never
stops the others), `jobs` at a time, reported as written, skipped or failed,
with a progress bar on a terminal and a summary at the end."""

from __future__ import annotations

import sys
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor, as_completed
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


@dataclass
class Report:
    """Counts and prints outcomes: one line each on stdout (only failures are
    kept back with -q, for the summary), the progress bar on stderr when it is
    a terminal, the summary on stderr."""

    command: str
    total: int
    quiet: bool
    counts: dict[str, int] = field(default_factory=lambda: {"written": 0, "skipped": 0, "failed": 0})
    failures: list[Outcome] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    bar: Any = None

    def __post_init__(self) -> None:
        if not self.quiet and sys.stderr.isatty() and self.total > 1:
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
            if not self.quiet:
                label = {"written": "written", "skipped": "skipped", "failed": "FAILED "}
                sep = " -> " if outcome.status == "written" else ": "
                self._print(f"{label[outcome.status]} {outcome.name}{sep}{outcome.text}",
                            sys.stdout)
            if self.bar is not None:
                self.bar.update(1)

    def finish(self, ignored: int = 0, interrupted: bool = False) -> int:
        if self.bar is not None:
            self.bar.close()
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
        sys.stderr.flush()
        if interrupted:
            return EXIT_INTERRUPTED
        return EXIT_FAILED if self.failures else EXIT_OK


def run_batch(command: str, inputs_args: list[str], skip: Path | None,
              work: Callable[[Input, threading.Event], Outcome], *, jobs: int, quiet: bool,
              debug: bool) -> int:
    """Find the inputs, run `work` on each (`jobs` at a time), report; the
    exit status. `work` returns its Outcome or raises (a failure, in one line);
    it is given an Event that is set when the run is interrupted."""
    found = find_inputs(inputs_args, skip=skip)
    report = Report(command, len(found.files) + len(found.problems), quiet)
    for name, why in found.problems:
        report.add(Outcome("failed", name, why))
    if not found.files and not found.problems:
        print(f"{command}: no DICOM files found in {' '.join(inputs_args)}"
              + (f" ({found.ignored} other files ignored)" if found.ignored else ""),
              file=sys.stderr)
        return EXIT_FAILED
    stop = threading.Event()

    def guarded(item: Input) -> Outcome | None:
        if stop.is_set():
            return None
        try:
            return work(item, stop)
        except KeyboardInterrupt:
            return None
        except Exception as exc:  # one input failing must not stop the others
            if debug:
                print(f"{item.path}:\n{traceback.format_exc()}", file=sys.stderr)
            return Outcome("failed", str(item.path), reason(exc))

    pool = ThreadPoolExecutor(max_workers=jobs)
    futures = [pool.submit(guarded, item) for item in found.files]
    try:
        for fut in as_completed(futures):
            outcome = fut.result()
            if outcome is not None:
                report.add(outcome)
    except KeyboardInterrupt:
        # Files in flight finish their current step and are dropped before
        # they are published; nothing else starts.
        stop.set()
        for fut in futures:
            fut.cancel()
        pool.shutdown(wait=True)
        return report.finish(found.ignored, interrupted=True)
    pool.shutdown(wait=True)
    return report.finish(found.ignored)
