"""Side-by-side benchmark against the peers: `python benchmarks/run.py`
(or `make bench`). Writes benchmarks/RESULTS.md with --markdown and the
ratio chart with --chart. Not installed: `dicomcodecs bench` in the wheel
only times dicomcodecs on the user's own files."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

if __name__ == "__main__":
    sys.exit(harness.main(sys.argv[1:]))
