"""Shared fixtures: where the real test images are, and tools on PATH."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


def _data_dirs() -> list[Path]:
    dirs = []
    try:
        import pydicom

        dirs.append(Path(pydicom.__file__).parent / "data" / "test_files")
    except ImportError:
        pass
    try:
        import data_store  # pydicom-data

        dirs.append(Path(data_store.__file__).parent / "data")
    except ImportError:
        pass
    return dirs


def find_testfile(name: str) -> Path:
    """A file shipped with pydicom or pydicom-data, located without a download."""
    for d in _data_dirs():
        p = d / name
        if p.exists():
            return p
    raise FileNotFoundError(f"{name} is in neither pydicom's test files nor pydicom-data; "
                            "install the test extras (pip install -e .[test])")


@pytest.fixture
def testfile():
    return find_testfile


def require_tool(name: str) -> str:
    """The path of a command-line tool the test needs. `.ci/run` installs
    every one, so a missing tool fails the test instead of skipping it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed; run 'make deps' (installs DCMTK, GDCM, "
                    "OpenJPEG and OpenJPH tools)")
    return path
