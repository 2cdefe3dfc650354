"""The dicomcodecs command."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pydicom
import pytest

import dicomcodecs as dc
from dicomcodecs import cli

from .conftest import find_testfile


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dicomcodecs.cli", *args],
                          capture_output=True, text=True)


def test_version_matches_package():
    from importlib.metadata import version

    r = run("--version")
    assert r.returncode == 0
    assert r.stdout.strip() == f"dicomcodecs {dc.__version__}"
    assert version("dicomcodecs") == dc.__version__


def test_info_lists_syntaxes_engines_and_aliases():
    r = run("info")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    rle = [ln for ln in lines if "1.2.840.10008.1.2.5 " in ln][0]
    assert "rle" in rle and "yes" in rle and "dicomcodecs" in rle
    for alias in ("jpeg-ls-lossless", "htj2k-lossless", "j2k-lossless", "jpeg-lossless-sv1"):
        assert alias in r.stdout


def test_decode_to_npy(tmp_path):
    src = find_testfile("SC_rgb_rle_2frame.dcm")
    out = tmp_path / "x.npy"
    assert cli.main(["decode", str(src), "-o", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out), pydicom.dcmread(find_testfile("SC_rgb_2frame.dcm")).pixel_array)
    assert cli.main(["decode", str(src), "-o", str(out), "--frames", "1"]) == 0
    np.testing.assert_array_equal(np.load(out)[0], pydicom.dcmread(find_testfile("SC_rgb_2frame.dcm")).pixel_array[1])


@pytest.mark.parametrize("to", ["rle", "RLELossless", "1.2.840.10008.1.2.5"])
def test_transcode_verify(tmp_path, to, capsys):
    names = ["MR_small.dcm", "SC_rgb_2frame.dcm", "emri_small.dcm", "rtdose.dcm"]
    srcs = [str(find_testfile(n)) for n in names]
    assert cli.main(["transcode", *srcs, "--to", to, "-o", str(tmp_path), "--verify", "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("verified bit-exact") == len(names)
    for n in names:
        ds = pydicom.dcmread(tmp_path / n)
        assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.5"
        np.testing.assert_array_equal(dc.pixel_array(ds), pydicom.dcmread(find_testfile(n)).pixel_array)


def test_transcode_unknown_syntax_fails(tmp_path):
    r = run("transcode", str(find_testfile("MR_small.dcm")), "--to", "nope", "-o", str(tmp_path))
    assert r.returncode != 0
    assert "unknown transfer syntax" in r.stderr


def test_transcode_reports_failures(tmp_path, capsys):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(b"not dicom")
    rc = cli.main(["transcode", str(bad), str(find_testfile("MR_small.dcm")), "--to", "rle",
                   "-o", str(tmp_path / "o")])
    assert rc == 1
    assert "bad.dcm: FAILED" in capsys.readouterr().out
    assert (tmp_path / "o" / "MR_small.dcm").exists()


@pytest.mark.parametrize("to", ["j2k-lossless", "htj2k-lossless", "jpeg-lossless-sv1", "rle"])
def test_transcode_verify_colour_sources(tmp_path, to, capsys):
    """Stored YBR_FULL_422 (uncompressed, upsampled) and RGB sources verify
    bit-exact through syntaxes with and without a colour transform."""
    names = ["SC_ybr_full_422_uncompressed.dcm", "SC_rgb.dcm"]
    srcs = [str(find_testfile(n)) for n in names]
    assert cli.main(["transcode", *srcs, "--to", to, "-o", str(tmp_path), "--verify"]) == 0
    assert capsys.readouterr().out.count("verified bit-exact") == len(names)
