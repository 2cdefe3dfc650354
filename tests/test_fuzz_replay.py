"""Every fuzz harness in lib/fuzz/ that has a corpus, built with gcc's
AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer and the
standalone replayer (lib/fuzz/replay.c) as lib/fuzz/families.txt says, must
get through its committed corpus cleanly."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FUZZ = ROOT / "lib" / "fuzz"



def _read_manifest() -> dict[str, dict[str, list[str]]]:
    """lib/fuzz/families.txt: `family | sources | flags` per line, sources
    relative to the repository root (besides lib/fuzz/fuzz_<family>.c and
    lib/common/*.c); flags are -I/-D (compile), `pkg:NAME` (pkg-config) or
    anything else (link)."""
    families = {}
    for line in (FUZZ / "families.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        family, sources, flags = (part.strip() for part in (line.split("|") + ["", ""])[:3])
        families[family] = {"sources": sources.split(), "flags": flags.split()}
    return families


FAMILIES = _read_manifest()

# It builds its own sanitized binaries: under `make sanitize` it would only
# repeat what `make test` ran.
pytestmark = pytest.mark.nosanitize

SAN = ["-fsanitize=address,undefined", "-fno-sanitize-recover=all", "-fno-omit-frame-pointer",
       "-g", "-O1"]


def _families_with_corpus() -> list[str]:
    found = []
    for harness in sorted(FUZZ.glob("fuzz_*.c")) + sorted(FUZZ.glob("fuzz_*.cpp")):
        family = harness.stem[len("fuzz_"):]
        if (FUZZ / "corpus" / family).is_dir():
            found.append(family)
    return found


def _clean_env() -> dict[str, str]:
    """The environment for the compiler and the replayer: no sanitizer
    runtime preloaded by `make sanitize`, leaks detected."""
    env = {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "ASAN_OPTIONS",
                                                             "UBSAN_OPTIONS", "LSAN_OPTIONS")}
    env["ASAN_OPTIONS"] = "detect_leaks=1:abort_on_error=0:exitcode=23"
    env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1"
    return env


def _flags(tokens: list[str]) -> tuple[list[str], list[str]]:
    cflags, libs = [], []
    for t in tokens:
        if t.startswith("pkg:"):
            for opt, dest in (("--cflags", cflags), ("--libs", libs)):
                dest += subprocess.run(["pkg-config", opt, t[4:]], check=True,
                                       capture_output=True, text=True).stdout.split()
        elif t.startswith(("-I", "-D", "-isystem")):
            cflags.append(t)
        else:
            libs.append(t)
    return cflags, libs


def build(out: Path, harness: Path, sources: list[str], flags: list[str] = ()) -> Path:
    """Compile each source with gcc/g++ and the sanitizers, link into `out`."""
    cc, cxx = shutil.which("gcc"), shutil.which("g++") or "g++"
    if cc is None:
        pytest.fail("gcc is not installed; run 'make deps'")
    cflags, libs = _flags(list(flags))
    files = [FUZZ / "replay.c", harness, *sorted((ROOT / "lib" / "common").glob("*.c")),
             *(ROOT / s for s in sources)]
    objs, cpp = [], False
    env = _clean_env()
    for i, src in enumerate(files):
        obj = out.parent / f"{out.name}.{i}.o"
        if src.suffix == ".c":
            cmd = [cc, "-std=c17", "-Wall", "-Wextra", "-Werror"]
        else:
            cpp = True
            cmd = [cxx, "-std=c++17", "-Wall", "-Wextra"]
        cmd += [*SAN, *cflags, "-I", str(ROOT / "lib"), "-c", str(src), "-o", str(obj)]
        r = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stderr}"
        objs.append(str(obj))
    link = [cxx if cpp else cc, *SAN, *objs, "-o", str(out), *libs]
    r = subprocess.run(link, capture_output=True, text=True, env=env)
    assert r.returncode == 0, f"{' '.join(link)}\n{r.stderr}"
    return out


def replay(binary: Path, *paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), *map(str, paths)], capture_output=True, text=True,
                          env=_clean_env(), timeout=300)


def test_every_harness_has_a_family_entry():
    for family in _families_with_corpus():
        assert family in FAMILIES, (f"lib/fuzz/fuzz_{family}.c has a corpus but no line in "
                                    "lib/fuzz/families.txt")
    assert "rle" in _families_with_corpus() and "rle" in FAMILIES
    for family, spec in FAMILIES.items():
        for src in spec["sources"]:
            assert (ROOT / src).is_file(), f"families.txt: {family}: {src} does not exist"


@pytest.mark.parametrize("family", _families_with_corpus())
def test_corpus_replays_cleanly(family, tmp_path):
    if family not in FAMILIES:
        pytest.fail(f"lib/fuzz/corpus/{family}/ exists but lib/fuzz/families.txt has no "
                    f"'{family} | sources | flags' line")
    spec = FAMILIES[family]
    harness = next(p for p in (FUZZ / f"fuzz_{family}.c", FUZZ / f"fuzz_{family}.cpp")
                   if p.exists())
    binary = build(tmp_path / f"replay_{family}", harness, spec["sources"], spec["flags"])
    corpus = FUZZ / "corpus" / family
    files = [p for p in corpus.iterdir() if p.is_file() and not p.name.startswith(".")]
    assert files, f"{corpus} is empty"
    for p in files:
        assert p.stat().st_size < 4096, f"{p} is over 4 KB; keep the committed corpus small"
    r = replay(binary, corpus)
    assert r.returncode == 0, r.stderr[-4000:]
    assert f"replay: {len(files)} inputs ran" in r.stderr


@pytest.fixture(scope="module")
def broken_harness(tmp_path_factory):
    """A harness with a heap overflow, a leak and undefined behaviour on
    demand: proves the replayer build really reports each."""
    d = tmp_path_factory.mktemp("fuzz_selftest")
    src = d / "fuzz_broken.c"
    src.write_text(r'''
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size >= 1 && data[0] == 'O') return data[size];            /* overflow */
    if (size >= 1 && data[0] == 'L') { char *p = malloc(size); memcpy(p, data, size);
                                       return p[0] == 'L' ? 0 : 1; } /* leak */
    if (size >= 1 && data[0] == 'U') { int x = INT_MAX - 1 + (int)size; return x; } /* UB */
    return 0;
}
''')
    return build(d / "replay_broken", src, []), d


@pytest.mark.parametrize("content, report", [(b"O", "heap-buffer-overflow"),
                                             (b"L", "LeakSanitizer: detected memory leaks"),
                                             (b"UU", "runtime error: signed integer overflow")])
def test_replayer_reports_sanitizer_errors(broken_harness, content, report):
    binary, d = broken_harness
    f = d / f"input_{content[0]:c}"
    f.write_bytes(content)
    r = replay(binary, f)
    assert r.returncode != 0 and report in r.stderr, r.stderr[-3000:]


def test_replayer_runs_clean_inputs_and_refuses_nothing(broken_harness, tmp_path):
    binary, _ = broken_harness
    (tmp_path / "a").write_bytes(b"fine")
    (tmp_path / "b").write_bytes(b"")
    (tmp_path / ".hidden").write_bytes(b"O")  # skipped, like .gitkeep
    r = replay(binary, tmp_path)
    assert r.returncode == 0 and "replay: 2 inputs ran" in r.stderr, r.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    assert replay(binary, empty).returncode != 0  # nothing ran: a mistake
    assert replay(binary, tmp_path / "missing").returncode != 0
