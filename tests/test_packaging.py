"""What the package looks like once installed: one version everywhere, every
engine and library named with its version, nothing pointing back into a
build tree, and a licence for every library a wheel bundles."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import dicomcodecs as dc

from .conftest import require_tool

PKG = Path(dc.__file__).resolve().parent
ROOT = Path(__file__).resolve().parents[1]          # the checkout, or the unpacked sdist
VERSION_RE = re.compile(r"\d+\.\d+(\.\d+)?")


def _cli(*args: str) -> subprocess.CompletedProcess:
    """The installed `dicomcodecs` console script (the entry point pip wrote)."""
    exe = None
    for d in (Path(sys.executable).parent, Path(sysconfig.get_path("scripts"))):
        if (d / "dicomcodecs").exists():
            exe = str(d / "dicomcodecs")
            break
    exe = exe or shutil.which("dicomcodecs")
    assert exe, "the 'dicomcodecs' console script is not installed next to this Python"
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120)


def _extensions() -> list[Path]:
    exts = sorted(p for p in PKG.iterdir() if p.suffix in (".so", ".pyd") or ".cpython-" in p.name)
    if not exts:   # an editable install keeps the compiled modules next to the .py files' loader
        import importlib

        exts = [Path(importlib.import_module(f"dicomcodecs.{m}").__file__).resolve()
                for m in ("_color", "_scratch", "_rle", "_jpeg", "_jpegls", "_j2k", "_deflate",
                          "_jxl")]
    return exts


def test_one_version_everywhere():
    """_version.py is the one place: the wheel metadata (pyproject reads it by
    regex), the package and the command agree."""
    assert VERSION_RE.fullmatch(dc.__version__), dc.__version__
    assert metadata.version("dicomcodecs") == dc.__version__
    r = _cli("--version")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"dicomcodecs {dc.__version__}"
    r = subprocess.run([sys.executable, "-m", "dicomcodecs.cli", "--version"],
                       capture_output=True, text=True)
    assert r.stdout.strip() == f"dicomcodecs {dc.__version__}"


def test_version_is_not_written_anywhere_else():
    pyproject = ROOT / "pyproject.toml"
    assert pyproject.exists(), f"no pyproject.toml beside {ROOT / 'tests'}"
    text = pyproject.read_text()
    assert re.search(r'dynamic\s*=\s*\[[^\]]*"version"', text)
    assert not re.search(r"^\s*version\s*=", text.split("[tool.")[0], re.M), \
        "a static version in [project]"
    assert 'input = "src/dicomcodecs/_version.py"' in text
    src = ROOT / "src" / "dicomcodecs"
    holders = [p.name for p in src.rglob("*.py") if re.search(r"^__version__\s*=", p.read_text(), re.M)]
    assert holders == ["_version.py"]


def test_info_names_every_engine_and_library_with_a_version():
    r = _cli("info")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert out.splitlines()[0] == f"dicomcodecs {dc.__version__}"
    rows = dc.codecs()
    assert rows
    for uid, can_dec, can_enc, engine, version in rows:
        line = [ln for ln in out.splitlines() if f" {uid} " in f" {ln} "]
        assert line, f"{uid} missing from 'dicomcodecs info'"
        assert engine and engine in line[0]
        assert version and VERSION_RE.search(version) and version in line[0]
    libs = out.split("Libraries", 1)
    assert len(libs) == 2, "'dicomcodecs info' lists no libraries"
    listed = dict(ln.split(None, 1) for ln in libs[1].splitlines()[1:] if ln.strip())
    assert set(listed) == {"libjpeg-turbo", "CharLS", "OpenJPEG", "OpenJPH", "libjxl", "libdeflate"}
    for name, version in listed.items():
        assert VERSION_RE.fullmatch(version.strip()), (name, version)
    # the same versions the engines report
    by_uid = {uid: version for uid, _, _, _, version in rows}
    assert listed["CharLS"].strip() == by_uid["1.2.840.10008.1.2.4.80"]
    assert listed["OpenJPEG"].strip() == by_uid["1.2.840.10008.1.2.4.90"]
    assert f"OpenJPH {listed['OpenJPH'].strip()}" in by_uid["1.2.840.10008.1.2.4.201"]
    assert by_uid["1.2.840.10008.1.2.4.50"].startswith(listed["libjpeg-turbo"].strip())
    assert listed["libjxl"].strip() == by_uid["1.2.840.10008.1.2.4.110"]
    assert listed["libdeflate"].strip() == by_uid["1.2.840.10008.1.2.8.1"]


def test_imported_from_an_install_not_a_build_tree():
    site = {Path(p).resolve() for p in (sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"])}
    allowed = site | {(ROOT / "src").resolve()}
    if os.environ.get("DICOMCODECS_EXPECT_INSTALLED"):    # make sdist-test: the wheel, not src/
        allowed = site
    assert PKG.parent in allowed, f"dicomcodecs imported from {PKG}"
    for ext in _extensions():
        assert ext.parent.parent in site, f"{ext} is not installed in site-packages"
        assert "build" not in ext.relative_to(ext.parent.parent).parts


def test_extensions_have_no_rpath_into_a_build_tree():
    """No RPATH/RUNPATH but $ORIGIN-relative ones (auditwheel's
    $ORIGIN/../dicomcodecs.libs); never an absolute path (a build dir)."""
    readelf = require_tool("readelf")
    exts = _extensions()
    assert {e.name.split(".")[0] for e in exts} >= {"_color", "_scratch", "_rle", "_jpeg", "_jpegls", "_j2k",
                                                    "_deflate", "_jxl"}
    for ext in exts:
        out = subprocess.run([readelf, "-d", str(ext)], capture_output=True, text=True, check=True).stdout
        for m in re.finditer(r"\((RPATH|RUNPATH)\).*\[(.*)\]", out):
            for entry in m.group(2).split(":"):
                assert entry.startswith("$ORIGIN"), f"{ext.name}: {m.group(1)} {entry}"
        needed = re.findall(r"\(NEEDED\).*\[(.*)\]", out)
        assert needed, f"{ext.name}: no NEEDED entries?"


def test_every_bundled_library_has_its_licence():
    """A wheel that bundles libraries (dicomcodecs.libs/, auditwheel) carries
    each one's licence in dicomcodecs/_licenses/; a source or editable
    install bundles none and links the system's."""
    libs_dir = PKG.parent / "dicomcodecs.libs"
    bundled = sorted(p.name for p in libs_dir.iterdir()) if libs_dir.is_dir() else []
    lic = PKG / "_licenses"
    if not bundled:
        assert not lic.exists() or not any(lic.glob("lib*.txt"))
        return
    for name in bundled:
        stem = re.split(r"-[0-9a-f]{8}\.", name)[0]
        text = (lic / f"{stem}.txt").read_text()
        assert name in text and len(text) > 500, name
        assert re.search(r"copyright|licen[cs]e|permission", text, re.I)
    assert (lic / "README.txt").exists()
