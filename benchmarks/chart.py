"""One chart of benchmarks/RESULTS.md: per codec family, how many times
faster dicomcodecs is than the best (fastest) peer, for decode and encode,
as the median over the family's rows. `make bench` redraws it; by hand:
`python benchmarks/chart.py benchmarks/RESULTS.md benchmarks/ratios.png`."""

from __future__ import annotations

import re
import statistics
import sys
from pathlib import Path

_RATIO = re.compile(r"\(([0-9.]+)x\)")


def best_peer_ratios(markdown: str) -> dict[str, dict[str, float]]:
    """{family: {"decode"/"encode": median over rows of (best peer ms / ours)}}.
    A row's best peer is the one with the smallest ratio (the fastest);
    rows with no peer measured, and thread-scaling rows, are left out."""
    out: dict[str, dict[str, list[float]]] = {}
    family = None
    for line in markdown.splitlines():
        if line.startswith("## "):
            family = line[3:].strip()
            continue
        if family is None or not line.startswith("| ") or "---" in line:
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) < 5 or cells[0] == "file" or "threads=2" in cells[1]:
            continue
        ratios = [float(r) for r in _RATIO.findall(cells[-1])]
        if not ratios or "decode_frames(threads=1)" in cells[-1]:
            continue
        op = "encode" if "encode" in cells[1] or " to " in cells[0] else "decode"
        out.setdefault(family, {}).setdefault(op, []).append(min(ratios))
    return {f: {op: statistics.median(v) for op, v in ops.items()} for f, ops in out.items()}


def draw(markdown_path: str | Path, png_path: str | Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    data = best_peer_ratios(Path(markdown_path).read_text())
    families = [f for f in data if data[f]]
    fig, ax = plt.subplots(figsize=(8, 4), dpi=100)
    width = 0.38
    for k, op in enumerate(("decode", "encode")):
        xs = [i + (k - 0.5) * width for i in range(len(families))]
        ys = [data[f].get(op, 0.0) for f in families]
        bars = ax.bar(xs, ys, width, label=op)
        for x, y in zip(xs, ys):
            if y:
                ax.text(x, y, f"{y:.1f}x", ha="center", va="bottom", fontsize=8)
        del bars
    ax.axhline(1.0, color="grey", linewidth=0.8, linestyle="--")
    labels = [re.sub(r"\s*\(.*?\)", "", f).replace(" and ", "\n+ ") for f in families]
    ax.set_xticks(range(len(families)), labels, fontsize=8)
    ax.set_ylabel("best peer time / dicomcodecs time")
    ax.set_title("dicomcodecs vs the fastest peer (median per family; > 1: faster)",
                 fontsize=10)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png_path)
    plt.close(fig)
    return Path(png_path)


if __name__ == "__main__":
    md = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/RESULTS.md"
    png = sys.argv[2] if len(sys.argv) > 2 else "benchmarks/ratios.png"
    print(draw(md, png))
