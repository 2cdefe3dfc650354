"""pydicom's own test suite (pixels, encapsulation, datasets, writing), from
its sdist, fails nowhere with the dicomcodecs plugins registered first where
it does not fail without them (tools/pydicom_suite.py runs both and compares)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.nosanitize  # two runs of pydicom's suite: minutes under ASan
def test_pydicom_suite_has_no_new_failures_with_dicomcodecs_first():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "pydicom_suite.py")],
                          capture_output=True, text=True, timeout=1800)
    out = proc.stdout + proc.stderr
    assert "dicomcodecs first" in out and "pydicom alone" in out, out[-3000:]
    assert proc.returncode == 0 and "\n0 new failure(s)" in out, out[-3000:]
    # the run with the plugin really ran tests (not an empty collection)
    line = next(l for l in out.splitlines() if l.startswith("dicomcodecs first"))
    assert int(line.split(": ")[1].split(" passed")[0]) > 1000, line
