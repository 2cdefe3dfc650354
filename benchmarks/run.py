"""Side-by-side benchmark: `python benchmarks/run.py` (or `make bench`,
`dicomcodecs bench`). Writes benchmarks/RESULTS.md with --markdown."""

import sys

from dicomcodecs import cli

if __name__ == "__main__":
    sys.exit(cli.main(["bench", *sys.argv[1:]]))
