"""Where the real test images are (pydicom's test files, pydicom-data): one
finder for the tests (conftest.py) and the benchmark harness
(benchmarks/harness.py). Plain Python, no pytest."""

from __future__ import annotations

from pathlib import Path


# pydicom's RLE test files and the native files holding the same pixels.
RLE_AND_NATIVE = [
    ("MR_small_RLE.dcm", "MR_small.dcm"),
    ("SC_rgb_rle.dcm", "SC_rgb.dcm"),
    ("SC_rgb_rle_2frame.dcm", "SC_rgb_2frame.dcm"),
    ("SC_rgb_rle_16bit_2frame.dcm", "SC_rgb_16bit_2frame.dcm"),
    ("SC_rgb_rle_32bit_2frame.dcm", "SC_rgb_32bit_2frame.dcm"),
    ("emri_small_RLE.dcm", "emri_small.dcm"),
    ("rtdose_rle.dcm", "rtdose.dcm"),
]


def data_dirs() -> list[Path]:
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
    for d in data_dirs():
        p = d / name
        if p.exists():
            return p
    raise FileNotFoundError(f"{name} is in neither pydicom's test files nor pydicom-data; "
                            "install the test extras (pip install -e .[test])")
