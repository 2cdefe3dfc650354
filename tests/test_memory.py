"""Memory is known: the peak RSS of pixel_array(file, threads=N) stays within
the output plus N frames' worth of each engine's working memory plus a fixed
amount, and what the engines used goes back to the system afterwards (the
figures for every family: README, Memory; measured by tools/memory.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("dc_memory_tool", ROOT / "tools" / "memory.py")
memory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(memory)

MIB = 2 ** 20
FIXED = 48 * MIB
# Frames of working memory per thread each engine needs at its peak (RG1,
# 16-bit): OpenJPEG holds every component as int32 plus its tile buffers.
PER_THREAD = {"RLE": 3.0, "JPEG 2000 (OpenJPEG)": 5.0, "HTJ2K (OpenJPH)": 2.5}


@pytest.mark.nosanitize  # ASan's allocator makes RSS meaningless
@pytest.mark.parametrize("family", sorted(PER_THREAD))
def test_peak_rss_is_output_plus_frames_per_thread(family, tmp_path_factory):
    out_dir = tmp_path_factory.getbasetemp() / "memory"
    out_dir.mkdir(exist_ok=True)
    threads = 2
    (r,) = memory.measure(family, 4, [threads], out_dir)
    bound = r["out"] + threads * PER_THREAD[family] * r["frame"] + FIXED
    grown = r["peak"] - r["start"]
    assert grown <= bound, (f"{family}: peak {grown / MIB:.1f} MiB above start, bound "
                            f"{bound / MIB:.1f} MiB")
    # afterwards: at most each thread's kept frame of scratch, and slack
    left = r["after"] - r["start"]
    assert left <= threads * r["frame"] + 24 * MIB, f"{family}: {left / MIB:.1f} MiB left"
