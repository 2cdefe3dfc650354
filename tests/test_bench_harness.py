"""The side-by-side harness (benchmarks/harness.py, not installed): its
timing rounds give each call its own median, take turns, and report a call
that fails instead of stopping."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

HARNESS = Path(__file__).resolve().parent.parent / "benchmarks" / "harness.py"


@pytest.fixture(scope="module")
def harness():
    spec = importlib.util.spec_from_file_location("dc_bench_harness", HARNESS)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    yield mod
    del sys.modules[spec.name]


def test_rounds_take_turns_and_rotate(harness, monkeypatch):
    monkeypatch.setattr(harness, "FILL_SECONDS", 0.0)
    calls = []
    fns = {name: (lambda n=name: calls.append(n), None) for name in ("a", "b", "c")}
    out = harness._median_rounds(fns, repeat=3)
    assert calls[:3] == ["a", "b", "c"]  # the warm-ups
    assert calls[3:] == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert {name: out[name][2] for name in out} == {"a": 3, "b": 3, "c": 3}


def test_each_call_gets_its_own_median(harness, monkeypatch):
    monkeypatch.setattr(harness, "FILL_SECONDS", 0.0)
    clock = iter(range(10_000))
    # perf_counter advances 1 per read; a call of `cost` reads it `cost` more times
    monkeypatch.setattr(harness.time, "perf_counter", lambda: next(clock))

    def costly(cost):
        return lambda: [harness.time.perf_counter() for _ in range(cost)]

    out = harness._median_rounds({"fast": (costly(1), None), "slow": (costly(4), None)},
                                 repeat=5)
    assert out["fast"][0] == 2 and out["slow"][0] == 5
    assert out["fast"][2] == out["slow"][2] == 5


def test_a_failing_call_is_na_and_the_others_are_timed(harness):
    def broken():
        raise ValueError("no such codec")

    out = harness._median_rounds({"ok": (lambda: 7, None), "bad": (broken, None)}, repeat=3)
    assert out["bad"][0] is None and isinstance(out["bad"][1], ValueError)
    assert out["ok"][0] is not None and out["ok"][1] == 7 and out["ok"][2] >= 3


def test_fast_calls_get_more_runs_slow_ones_fewer(harness):
    assert harness._runs(1e-4, 15, 30.0, 5) == harness.MAX_RUNS
    assert harness._runs(harness.FILL_SECONDS / 40, 15, 30.0, 5) == 40
    assert harness._runs(1.0, 15, 30.0, 5) == 15
    assert harness._runs(10.0, 15, 30.0, 5) == 5


def test_every_family_says_what_it_needs(harness):
    """`make bench` checks each family's peers before it starts: a family
    without an entry would stop the whole run with a KeyError."""
    assert set(harness.NEEDS) == set(harness.FAMILIES)
    for family in harness.FAMILIES:
        dists, tools = harness.missing(family)
        assert isinstance(dists, list) and isinstance(tools, list)
        assert callable(getattr(harness, f"bench_{family}"))


@pytest.mark.nosanitize  # it runs the compiler, which must not get the sanitizer's preload
def test_jpegls_encoder_without_simd_writes_the_same_bytes(tmp_path):
    """The JPEG-LS encoder built without its SSE2 pass (as on a machine
    without SSE2: the general loop for every scan) compiles without warnings
    and writes the bytes the SSE2 build writes: 8-bit RGB with a flat band,
    16-bit noise beside a flat block, 12-bit grey."""
    import shutil
    import subprocess

    import numpy as np

    import dicomcodecs as dc

    if not all(shutil.which(t) for t in ("gcc", "ld", "nm", "objcopy")):
        pytest.skip("needs gcc and binutils")
    root = HARNESS.parent.parent
    rng = np.random.default_rng(2)
    rgb = rng.integers(0, 256, (40, 48, 3), dtype=np.uint8)
    rgb[10:30] = 128
    grey16 = rng.integers(0, 65536, (33, 41), dtype=np.uint16)
    grey16[5:20, 8:32] = 65535
    grey12 = (np.add.outer(np.arange(30), np.arange(37)) * 50 % 4096).astype(np.uint16)
    script = root / "benchmarks" / "ab" / "jpegls_ab.sh"
    env = dict(os.environ, AB_CFLAGS_A="-DJLS_NO_SIMD -Wall -Wextra -Werror")
    for name, arr, kw in (("rgb", rgb, {"photometric_interpretation": "RGB"}),
                          ("grey16", grey16, {}), ("grey12", grey12, {"bits_stored": 12})):
        stream = tmp_path / f"{name}.jls"
        stream.write_bytes(dc.encode_frame(arr, "jpeg-ls-lossless", **kw))
        out = subprocess.run(["sh", str(script), str(root / "lib"), str(root / "lib"), str(stream),
                              "enc", "3"], capture_output=True, text=True, timeout=300, env=env)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip().endswith("same output 1"), (name, out.stdout)


def test_jpegls_ab_compares_two_builds_in_one_process(tmp_path):
    """benchmarks/ab/jpegls_ab.sh: both builds decode and encode the stream,
    the encoders' bytes are compared, and a ratio is printed."""
    import shutil
    import subprocess

    import numpy as np

    import dicomcodecs as dc

    if not all(shutil.which(t) for t in ("gcc", "ld", "nm", "objcopy")):
        pytest.skip("needs gcc and binutils")
    root = HARNESS.parent.parent
    rgb = np.random.default_rng(1).integers(0, 256, (40, 48, 3), dtype=np.uint8)
    rgb[10:30] = 128  # a flat band: run mode too
    stream = tmp_path / "rgb.jls"
    stream.write_bytes(dc.encode_frame(rgb, "jpeg-ls-lossless", photometric_interpretation="RGB"))
    script = root / "benchmarks" / "ab" / "jpegls_ab.sh"
    for mode in ("dec", "enc"):
        out = subprocess.run(["sh", str(script), str(root / "lib"), str(root / "lib"), str(stream),
                              mode, "5"], capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        assert f"{stream} {mode}: A " in out.stdout and "median A/B" in out.stdout
        assert out.stdout.strip().endswith("same output 1")
