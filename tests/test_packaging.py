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

import pytest

import dicomcodecs as dc

from .conftest import require_tool

PKG = Path(dc.__file__).resolve().parent
ROOT = Path(__file__).resolve().parents[1]          # the checkout, or the unpacked sdist
VERSION_RE = re.compile(r"\d+\.\d+(\.\d+)?")
# The compiled modules: one per src/dicomcodecs/_*.pyx (test_package_is_typed).
EXTENSIONS = ("_color", "_scratch", "_rle", "_jpeg", "_jpegls", "_j2k", "_deflate", "_jxl")


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
                for m in EXTENSIONS]
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
    assert set(listed) == {"libjpeg-turbo", "OpenJPEG", "OpenJPH", "libjxl", "libdeflate"}
    for name, version in listed.items():
        assert VERSION_RE.fullmatch(version.strip()), (name, version)
    # the same versions the engines report
    by_uid = {uid: version for uid, _, _, _, version in rows}
    assert by_uid["1.2.840.10008.1.2.4.80"] == dc.__version__     # our own JPEG-LS
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
    assert {e.name.split(".")[0] for e in exts} >= set(EXTENSIONS)
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


# ------------------------------------------------ what pip install promises

def _pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")    # Python >= 3.11
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_shipped_python_versions_are_one_list():
    """The classifiers name the CPython versions shipped as wheels
    (tools/wheel.sh builds one per classifier); cibuildwheel builds the
    same ones; requires-python is their lower bound, with no upper cap."""
    project = _pyproject()["project"]
    versions = sorted((m.group(1) for c in project["classifiers"]
                       if (m := re.fullmatch(r"Programming Language :: Python :: (3\.\d+)", c))),
                      key=lambda v: int(v.split(".")[1]))
    assert versions == ["3.10", "3.11", "3.12", "3.13"]
    assert project["requires-python"] == f">={versions[0]}"
    build = _pyproject()["tool"]["cibuildwheel"]["build"].split()
    assert build == [f"cp{v.replace('.', '')}-*" for v in versions]
    assert f"Programming Language :: Python :: {sys.version_info[0]}.{sys.version_info[1]}" \
        in project["classifiers"], "the tests run on a Python the package does not claim"


def test_pydicom_is_a_required_dependency():
    requires = metadata.requires("dicomcodecs") or []
    plain = [r for r in requires if "extra ==" not in r]
    assert any(re.match(r"pydicom\s*>=\s*3", r) for r in plain), requires
    assert any(re.match(r"numpy\s*>=", r) for r in plain), requires
    # [pydicom] stays an accepted (empty) extra for old requirement files
    assert "pydicom" in (metadata.metadata("dicomcodecs").get_all("Provides-Extra") or [])


_WITHOUT_PYDICOM = r"""
import sys

class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name == "pydicom" or name.startswith("pydicom."):
            raise ImportError(f"test: {name} is not importable")
        return None

sys.meta_path.insert(0, Blocker())
sys.modules["pydicom"] = None

import numpy as np
import dicomcodecs as dc

arr = (np.arange(40 * 30, dtype=np.uint16).reshape(40, 30) * 7) % 4096
for alias, uid in [("rle", "1.2.840.10008.1.2.5"), ("jpeg-ls-lossless", "1.2.840.10008.1.2.4.80"),
                   ("j2k-lossless", "1.2.840.10008.1.2.4.90"),
                   ("jpeg-lossless-sv1", "1.2.840.10008.1.2.4.70")]:
    info = dc.FrameInfo(uid, 40, 30, 1, 16, 12, 0, "MONOCHROME2")
    one = dc.encode_frame(arr, uid, bits_stored=12)
    assert np.array_equal(dc.decode_frame(one, info), arr), alias
    two = dc.encode_frames(np.stack([arr, arr[::-1]]), alias, bits_stored=12)
    assert np.array_equal(dc.decode_frames(two, info), np.stack([arr, arr[::-1]])), alias
try:
    dc.decode_frame(b"\xff\xd8\xff", dc.FrameInfo("1.2.840.10008.1.2.4.80", 40, 30, 1, 16, 12,
                                                  0, "MONOCHROME2"))
except dc.DecodeError as exc:
    print("DecodeError:", exc)
loaded = sorted(m for m in sys.modules if m.split(".")[0] == "pydicom" and sys.modules[m] is not None)
print("pydicom modules:", loaded)
print("ok", len(dc.codecs()))
"""


def test_frame_level_api_works_without_pydicom():
    """decode_frame(s)/encode_frame(s) on bytes and a FrameInfo never import
    pydicom: with pydicom made unimportable, they still round-trip frames."""
    r = subprocess.run([sys.executable, "-c", _WITHOUT_PYDICOM], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith("DecodeError: JPEG-LS Lossless: frame 0: "), lines
    assert lines[1] == "pydicom modules: []", lines
    assert lines[2] == f"ok {len(dc.codecs())}"


def test_pixel_array_on_a_file_needs_pydicom_and_says_so():
    """The other half of the line: reading DICOM files uses pydicom (a
    required dependency); were it missing, the error says so."""
    from pydicom.data import get_testdata_file

    path = get_testdata_file("MR_small_RLE.dcm")
    code = ("import sys; sys.modules['pydicom'] = None\n"
            "import dicomcodecs as dc\n"
            "try:\n    dc.pixel_array(sys.argv[1])\n"
            "except ImportError as exc:\n    print('ImportError:', exc)\n")
    r = subprocess.run([sys.executable, "-c", code, path], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("ImportError: reading DICOM files needs pydicom"), r.stdout


# -------------------------------------------------------------------- typing


def _mypy_config(tmp_path: Path) -> Path:
    """mypy as a user runs it against the installed package: errors inside
    dicomcodecs are not the user's (mypy never reports them for site-packages;
    for an editable install the package is found through mypy_path)."""
    lines = ["[mypy]"]
    if PKG.parent == (ROOT / "src").resolve():
        lines.append(f"mypy_path = {PKG.parent}")
    lines += ["[mypy-dicomcodecs.*]", "ignore_errors = True"]
    cfg = tmp_path / "mypy.ini"
    cfg.write_text("\n".join(lines) + "\n")
    return cfg


def test_package_is_typed():
    """py.typed and one stub per extension module, installed with the package."""
    assert (PKG / "py.typed").is_file()
    for name in EXTENSIONS:
        assert (PKG / f"{name}.pyi").is_file(), f"{name}.pyi is not installed"
    assert sorted(p.stem for p in (ROOT / "src" / "dicomcodecs").glob("_*.pyx")) == sorted(EXTENSIONS)


def test_user_script_passes_mypy_strict(tmp_path):
    """tests/typing/user_script.py calls every public name; mypy --strict
    accepts it (and rejects a wrong type, so the check has teeth); it runs."""
    pytest.importorskip("mypy", reason="mypy comes with the [test] extra")
    script = ROOT / "tests" / "typing" / "user_script.py"
    bad = tmp_path / "bad.py"
    bad.write_text("import dicomcodecs as dc\n"
                   "x: str = dc.encode_frame(b'', 'rle')\n"
                   "dc.no_such_function()\n")
    cmd = [sys.executable, "-m", "mypy", "--strict", "--config-file", str(_mypy_config(tmp_path)),
           "--cache-dir", str(tmp_path / "cache")]
    r = subprocess.run(cmd + [str(script)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no issues found" in r.stdout
    r = subprocess.run(cmd + [str(bad)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1
    assert 'has type "bytes", variable has type "str"' in r.stdout
    assert 'Module has no attribute "no_such_function"' in r.stdout
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"dicomcodecs {dc.__version__}: user script passed"


def test_extension_stubs_match_the_compiled_modules(tmp_path):
    """mypy's stubtest: every name, parameter and default in the .pyi files
    is what the compiled module has, and nothing public is missing."""
    pytest.importorskip("mypy", reason="mypy comes with the [test] extra")
    allow = tmp_path / "allowlist.txt"
    allow.write_text("# Cython adds these to modules with docstrings or a cdef class\n"
                     r".*\.__(test__|reduce_cython__|setstate_cython__)" + "\n")
    env = dict(os.environ)
    if PKG.parent == (ROOT / "src").resolve():
        env["MYPYPATH"] = str(PKG.parent)
    r = subprocess.run([sys.executable, "-m", "mypy.stubtest", *(f"dicomcodecs.{m}" for m in EXTENSIONS),
                        "--mypy-config-file", str(_mypy_config(tmp_path)), "--allowlist", str(allow)],
                       capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path)
    assert r.returncode == 0, r.stdout + r.stderr


# ------------------------------------------------ warnings as errors: ours only

def _warning_flags(*defines: str) -> list[str]:
    """The flags cmake/warnings.cmake (what CMakeLists.txt includes) gives."""
    cmake = require_tool("cmake")
    r = subprocess.run([cmake, *defines, "-P", str(ROOT / "cmake" / "warnings.cmake")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    m = re.search(r"dicomcodecs warning flags: (.*)", r.stdout + r.stderr)
    assert m, r.stdout + r.stderr
    return m.group(1).split(";")


def test_warnings_are_errors_in_our_builds_only():
    """A build from the sdist (CMake's defaults, what pip runs) never turns a
    warning into an error; make test/sanitize/wheel ask for it (DC_WERROR)."""
    assert _warning_flags() == ["-Wall", "-Wextra"]
    assert _warning_flags("-DDC_WERROR=ON") == ["-Wall", "-Wextra", "-Werror"]
    cmakelists = (ROOT / "CMakeLists.txt").read_text()
    assert "cmake/warnings.cmake" in cmakelists
    sources = [ROOT / "CMakeLists.txt", *sorted((ROOT / "lib").rglob("*.cmake"))]
    for path in sources:
        assert not re.search(r"-Werror|/WX", path.read_text()), f"{path.name} sets warnings as errors itself"
    settings = [ln for ln in (ROOT / "pyproject.toml").read_text().splitlines()
                if not ln.lstrip().startswith("#")]
    assert not [ln for ln in settings if "DC_WERROR" in ln], "pyproject turns DC_WERROR on for every build"
