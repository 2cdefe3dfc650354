"""The dicomcodecs command, run as a user runs it (a subprocess) on real files
in temporary folders: what it writes, what it refuses, what it says."""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pydicom
import pytest

import dicomcodecs as dc
from dicomcodecs import cli

from .conftest import find_testfile

RLE = "1.2.840.10008.1.2.5"
JLS = "1.2.840.10008.1.2.4.80"


def run(*args: str, cwd: Path | None = None, code: str | None = None) -> subprocess.CompletedProcess:
    """The CLI in a fresh interpreter (`code` runs first, in the same process).
    No run may print a traceback unless --debug asks for one."""
    if code is None:
        cmd = [sys.executable, "-m", "dicomcodecs.cli", *args]
    else:
        cmd = [sys.executable, "-c", textwrap.dedent(code) + "\nimport sys\nfrom dicomcodecs.cli "
               f"import main\nsys.exit(main({list(args)!r}))"]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    if "--debug" not in args:
        assert "Traceback" not in r.stderr + r.stdout, r.stderr
    return r


def copy(name: str, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(find_testfile(name), dest)
    return dest


def pixels(path: Path | str) -> np.ndarray:
    return pydicom.dcmread(path).pixel_array


def temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(".dicomcodecs-tmp")]


def bare_copy(name: str, dest: Path) -> Path:
    """The file's dataset without preamble and meta header, as old archives
    hold them."""
    raw = find_testfile(name).read_bytes()
    assert raw[128:132] == b"DICM"
    group_length = int.from_bytes(raw[140:144], "little")  # (0002,0000) UL, explicit VR
    dest.write_bytes(raw[144 + group_length:])
    return dest


# ----------------------------------------------------------------- basics

def test_version_matches_package():
    from importlib.metadata import version

    r = run("--version")
    assert r.returncode == 0
    assert r.stdout.strip() == f"dicomcodecs {dc.__version__}"
    assert version("dicomcodecs") == dc.__version__


def test_console_script_and_module_both_run():
    script = Path(sys.executable).parent / "dicomcodecs"
    if not script.exists():  # installed elsewhere, e.g. a user-site scripts folder
        script = Path(shutil.which("dicomcodecs") or script)
    r = subprocess.run([str(script), "--version"], capture_output=True, text=True)
    assert (r.returncode, r.stdout.strip()) == (0, f"dicomcodecs {dc.__version__}")


def test_info_lists_syntaxes_engines_and_aliases():
    r = run("info")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    rle = [ln for ln in lines if "1.2.840.10008.1.2.5 " in ln][0]
    assert "rle" in rle and "yes" in rle and "dicomcodecs" in rle
    for alias in ("jpeg-ls-lossless", "htj2k-lossless", "j2k-lossless", "jpeg-lossless-sv1"):
        assert alias in r.stdout


# -------------------------------------------------------------- transcode

def test_transcode_folder_mirrors_tree_and_survives_a_damaged_file(tmp_path):
    """Recursive, DICOM recognised by content (a file without extension, one
    without preamble), other files ignored, a damaged file named and the
    others written anyway."""
    src = tmp_path / "in"
    copy("MR_small.dcm", src / "MR_small.dcm")
    copy("CT_small.dcm", src / "sub" / "deeper" / "IM0001")
    bare_copy("MR_small.dcm", src / "sub" / "bare.dcm")
    (src / "notes.txt").write_text("not an image")
    (src / "sub" / "damaged.dcm").write_bytes(find_testfile("CT_small.dcm").read_bytes()[:600])
    rle = find_testfile("MR_small_RLE.dcm").read_bytes()
    (src / "cut_fragment.dcm").write_bytes(rle[:len(rle) - 3000])
    (src / "cut_native.dcm").write_bytes(find_testfile("CT_small.dcm").read_bytes()[:30000])
    r = run("transcode", "in", "--to", "rle", "-o", "out", "--verify", cwd=tmp_path)
    assert r.returncode == 1, r.stderr
    out = tmp_path / "out"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == \
        ["MR_small.dcm", "sub/bare.dcm", "sub/deeper/IM0001"]
    for rel, name in (("MR_small.dcm", "MR_small.dcm"), ("sub/deeper/IM0001", "CT_small.dcm"),
                      ("sub/bare.dcm", "MR_small.dcm")):
        assert pydicom.dcmread(out / rel).file_meta.TransferSyntaxUID == RLE
        np.testing.assert_array_equal(dc.pixel_array(out / rel), pixels(find_testfile(name)))
    assert r.stdout.count("(verified bit-exact)") == 3
    assert "transcode: 3 written, 0 skipped, 3 failed (1 non-DICOM file in the folders ignored)" \
        in r.stderr
    failed = sorted(ln for ln in r.stderr.splitlines() if ln.startswith("  FAILED"))
    assert failed[0] == "  FAILED in/cut_fragment.dcm: truncated: the file ends inside its Pixel Data"
    assert failed[1] == "  FAILED in/cut_native.dcm: truncated: the file ends inside its Pixel Data"
    assert failed[2] == ("  FAILED in/sub/damaged.dcm: truncated: the file ends at byte 600, "
                         "before its (7FE0,0010) Pixel Data element")


def test_rerun_skips_complete_outputs(tmp_path):
    for name in ("MR_small.dcm", "SC_rgb_2frame.dcm"):
        copy(name, tmp_path / "in" / name)
    args = ("transcode", "in", "--to", "jpeg-ls-lossless", "-o", "out")
    first = run(*args, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "2 written, 0 skipped, 0 failed" in first.stderr
    stamp = (tmp_path / "out" / "MR_small.dcm").stat().st_mtime_ns
    again = run(*args, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "0 written, 2 skipped, 0 failed" in again.stderr
    assert again.stdout.count("already complete") == 2
    assert (tmp_path / "out" / "MR_small.dcm").stat().st_mtime_ns == stamp
    # An output in another syntax is not "complete" for this one: refused, kept.
    other = run("transcode", "in", "--to", "rle", "-o", "out", cwd=tmp_path)
    assert other.returncode == 1
    assert "exists and is not a complete output" in other.stderr
    assert pydicom.dcmread(tmp_path / "out" / "MR_small.dcm").file_meta.TransferSyntaxUID == JLS
    # An output folder inside the input folder is not read back as input.
    for _ in range(2):
        inside = run("transcode", "in", "--to", "rle", "-o", "in/rle", cwd=tmp_path)
    assert inside.returncode == 0 and "0 written, 2 skipped, 0 failed" in inside.stderr
    assert sorted(p.name for p in (tmp_path / "in" / "rle").iterdir()) == \
        ["MR_small.dcm", "SC_rgb_2frame.dcm"]


def test_same_name_in_two_folders_gives_two_outputs(tmp_path):
    copy("MR_small.dcm", tmp_path / "a" / "x.dcm")
    copy("CT_small.dcm", tmp_path / "b" / "x.dcm")
    r = run("transcode", "a/x.dcm", "b/x.dcm", "--to", "rle", "-o", "out", "--verify",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(pixels(tmp_path / "out" / "a" / "x.dcm"),
                                  pixels(find_testfile("MR_small.dcm")))
    np.testing.assert_array_equal(pixels(tmp_path / "out" / "b" / "x.dcm"),
                                  pixels(find_testfile("CT_small.dcm")))
    # A lone file lands directly in -o; two folders keep their names.
    copy("MR_small.dcm", tmp_path / "c" / "x.dcm")
    assert run("transcode", "a", "c", "--to", "rle", "-o", "two", cwd=tmp_path).returncode == 0
    assert (tmp_path / "two" / "a" / "x.dcm").exists() and (tmp_path / "two" / "c" / "x.dcm").exists()
    assert run("transcode", "a/x.dcm", "--to", "rle", "-o", "one", cwd=tmp_path).returncode == 0
    assert [p.name for p in (tmp_path / "one").iterdir()] == ["x.dcm"]


def test_input_is_its_own_output_only_with_overwrite(tmp_path):
    ct = copy("CT_small.dcm", tmp_path / "same" / "ct.dcm")
    original = ct.read_bytes()
    r = run("transcode", "same/ct.dcm", "--to", "jpeg-ls-lossless", "-o", "same", cwd=tmp_path)
    assert r.returncode == 1
    assert "the output same/ct.dcm is the input itself; --overwrite replaces it" in r.stderr
    assert ct.read_bytes() == original
    r = run("transcode", "same/ct.dcm", "--to", "jpeg-ls-lossless", "-o", "same", "--overwrite",
            "--verify", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert pydicom.dcmread(ct).file_meta.TransferSyntaxUID == JLS
    np.testing.assert_array_equal(dc.pixel_array(ct), pixels(find_testfile("CT_small.dcm")))
    assert sorted(p.name for p in (tmp_path / "same").iterdir()) == ["ct.dcm"]


def test_existing_file_is_never_replaced_without_overwrite(tmp_path):
    copy("MR_small.dcm", tmp_path / "in" / "mr.dcm")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mr.dcm").write_bytes(b"someone else's file")
    r = run("transcode", "in", "--to", "rle", "-o", "out", cwd=tmp_path)
    assert r.returncode == 1
    assert "FAILED in/mr.dcm: out/mr.dcm exists and is not a complete output of this input; " \
        "--overwrite replaces it" in r.stderr
    assert (tmp_path / "out" / "mr.dcm").read_bytes() == b"someone else's file"
    r = run("transcode", "in", "--to", "rle", "-o", "out", "--overwrite", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert pydicom.dcmread(tmp_path / "out" / "mr.dcm").file_meta.TransferSyntaxUID == RLE
    assert temporaries(tmp_path) == []


# The write itself is interrupted: half the file is on disk when the signal
# comes. SIGTERM is cleaned up; SIGKILL cannot be, but the next run removes
# what it left and the real name never held half a file.
_HALF_WRITE = """
import os, signal, time, pydicom.dataset
real = pydicom.dataset.Dataset.save_as
def half(self, filename, *a, **k):
    import io
    buf = io.BytesIO()
    real(self, buf, *a, **k)
    with open(filename, "wb") as f:
        f.write(buf.getvalue()[:len(buf.getvalue()) // 2])
        f.flush()
        os.kill(os.getpid(), signal.{sig})
        # The handler runs in the main thread: give it the time a real
        # interrupted write would take, or this thread publishes the half file.
        time.sleep(1)
pydicom.dataset.Dataset.save_as = half
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM/SIGKILL are POSIX")
def test_interrupted_write_leaves_no_partial_file(tmp_path):
    copy("MR_small.dcm", tmp_path / "in" / "mr.dcm")
    args = ("transcode", "in", "--to", "rle", "-o", "out")
    r = run(*args, cwd=tmp_path, code=_HALF_WRITE.format(sig="SIGTERM"))
    assert r.returncode == 130
    assert "interrupted" in r.stderr
    assert not (tmp_path / "out" / "mr.dcm").exists()
    assert temporaries(tmp_path) == []

    r = run(*args, cwd=tmp_path, code=_HALF_WRITE.format(sig="SIGKILL"))
    assert r.returncode == -9
    assert not (tmp_path / "out" / "mr.dcm").exists()
    assert len(temporaries(tmp_path)) == 1   # what no process can clean up after SIGKILL
    r = run(*args, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "1 written" in r.stderr
    assert temporaries(tmp_path) == []
    np.testing.assert_array_equal(dc.pixel_array(tmp_path / "out" / "mr.dcm"),
                                  pixels(find_testfile("MR_small.dcm")))


def test_failed_verification_publishes_nothing(tmp_path, monkeypatch, capsys):
    copy("MR_small.dcm", tmp_path / "in" / "mr.dcm")
    real = dc.pixel_array
    # The second decode (of the written file) comes back different.
    monkeypatch.setattr(dc, "pixel_array",
                        lambda src, **k: real(src, **k) + (0 if not isinstance(src, str) else 1))
    rc = cli.main(["transcode", str(tmp_path / "in"), "--to", "rle", "-o", str(tmp_path / "out"),
                   "--verify"])
    assert rc == 1
    assert "verification failed: the lossless result differs from the input; nothing written" \
        in capsys.readouterr().err
    assert list((tmp_path / "out").rglob("*")) == []


@pytest.mark.parametrize("args, message", [
    (("--to", "jpeg2k"), "unknown transfer syntax 'jpeg2k'; did you mean j2k"),
    (("--to", "explicit-vr-litle-endian"),
     "unknown transfer syntax 'explicit-vr-litle-endian'; did you mean explicit-vr-little-endian"),
    (("--to", "rle", "--option", "j2k_cr"), "--option 'j2k_cr': give KEY=VALUE; RLE Lossless"),
    (("--to", "j2k", "--option", "ratio=20"),
     "--option ratio: not an option of JPEG 2000 (1.2.840.10008.1.2.4.91), which takes "
     "block_size, j2k_cr, j2k_psnr, levels, progression, reversible, "
     "tile_size, use_mct"),
    (("--to", "jpeg-baseline", "--option", "quality=high"),
     "--option quality=high: quality takes an integer, 1-100"),
    (("--to", "rle", "--jobs", "0"), "argument --jobs: 0: must be 1 or more"),
])
def test_transcode_usage_errors(tmp_path, args, message):
    mr = copy("MR_small.dcm", tmp_path / "mr.dcm")
    r = run("transcode", str(mr), "-o", str(tmp_path / "out"), *args)
    assert r.returncode == 2
    assert message in r.stderr
    assert not (tmp_path / "out").exists()


def test_options_reach_the_encoder_with_their_types(tmp_path):
    mr = copy("MR_small.dcm", tmp_path / "mr.dcm")
    r = run("transcode", str(mr), "--to", "j2k", "--option", "j2k_cr=40,10", "--option",
            "levels=3", "-o", str(tmp_path / "out"), "--verify")
    assert r.returncode == 0, r.stderr
    assert "verified, max error" in r.stdout
    ds = pydicom.dcmread(tmp_path / "out" / "mr.dcm")
    assert ds.LossyImageCompression == "01"
    assert float(ds.LossyImageCompressionRatio) > 5
    assert cli.parse_options(["tile_size=64x32", "reversible=no", "j2k_psnr=45"],
                             "1.2.840.10008.1.2.4.91") == \
        {"tile_size": (64, 32), "reversible": False, "j2k_psnr": [45.0]}
    assert cli.parse_options(["preset=t1=3,T2=7", "interleave=line"],
                             "1.2.840.10008.1.2.4.81") == \
        {"preset": {"T1": 3, "T2": 7}, "interleave": "line"}


def test_missing_and_non_dicom_inputs_are_named(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    mr = copy("MR_small.dcm", tmp_path / "mr.dcm")
    r = run("transcode", "gone.dcm", "notes.txt", "mr.dcm", "--to", "rle", "-o", "out",
            cwd=tmp_path)
    assert r.returncode == 1
    assert "1 written, 0 skipped, 2 failed" in r.stderr
    assert "FAILED gone.dcm: no such file or folder" in r.stderr
    assert "FAILED notes.txt: not a DICOM file" in r.stderr
    assert (tmp_path / "out" / mr.name).exists()


def test_quiet_still_names_failures(tmp_path):
    copy("MR_small.dcm", tmp_path / "in" / "good.dcm")
    (tmp_path / "in" / "bad.dcm").write_bytes(find_testfile("CT_small.dcm").read_bytes()[:600])
    r = run("transcode", "in", "--to", "rle", "-o", "out", "-q", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stdout == ""
    lines = r.stderr.splitlines()
    assert lines[0] == "transcode: 1 written, 0 skipped, 1 failed"
    assert lines[1].startswith("  FAILED in/bad.dcm: ") and len(lines) == 2


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_progress_bar_on_a_terminal_keeps_result_lines_whole(tmp_path):
    import fcntl
    import pty
    import termios

    for k in range(3):
        copy("MR_small.dcm", tmp_path / "in" / f"{k}.dcm")
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a real size
    p = subprocess.Popen([sys.executable, "-m", "dicomcodecs.cli", "transcode", "in", "--to",
                          "rle", "-o", "out"], cwd=tmp_path, stdout=subprocess.PIPE,
                         stderr=slave, text=True)
    os.close(slave)
    err = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    out = p.communicate()[0]
    os.close(master)
    assert p.returncode == 0
    assert b"file/s" in err or b"s/file" in err  # tqdm drew its bar on the terminal
    assert b"transcode: 3 written" in err
    assert [ln.split(" ")[0] for ln in out.splitlines()] == ["written"] * 3


# ----------------------------------------------------------------- decode

def test_decode_to_npy(tmp_path):
    src = find_testfile("SC_rgb_rle_2frame.dcm")
    ref = pixels(find_testfile("SC_rgb_2frame.dcm"))
    r = run("decode", str(src), "-o", str(tmp_path / "x.npy"))
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "x.npy"), ref)
    r = run("decode", str(src), "-o", str(tmp_path / "f.npy"), "--frames", "1,0")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "f.npy"), ref[[1, 0]])


def test_decode_frame_ranges():
    assert cli.parse_frames("0,2,5-9") == [0, 2, 5, 6, 7, 8, 9]
    assert cli.parse_frames("3-3,1, 3") == [3, 1]
    for bad in ("1-", "-1", "a", "3-1", ""):
        with pytest.raises(cli.UsageError, match="frames count from 0"):
            cli.parse_frames(bad)


def test_decode_folder_mirrors_and_skips(tmp_path):
    copy("emri_small.dcm", tmp_path / "in" / "emri.dcm")
    copy("CT_small.dcm", tmp_path / "in" / "sub" / "IM1")
    (tmp_path / "in" / "readme").write_text("x")
    r = run("decode", "in", "-o", "arrays/", "--frames", "1-3", cwd=tmp_path)
    assert r.returncode == 1  # CT_small has one frame
    assert "FAILED in/sub/IM1: frame 1 is out of range: the file has 1 frame (0-0)" in r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "arrays" / "emri.npy"),
                                  pixels(find_testfile("emri_small.dcm"))[1:4])
    r = run("decode", "in", "-o", "arrays", cwd=tmp_path)  # an existing folder
    assert r.returncode == 1  # emri.npy exists with other frames: not this output
    assert "arrays/emri.npy exists and is not a complete output" in r.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "arrays" / "sub" / "IM1.npy"),
                                  pixels(find_testfile("CT_small.dcm")))
    r = run("decode", "in", "-o", "arrays", "--frames", "1-3", "-q", cwd=tmp_path)
    assert "0 written, 1 skipped, 1 failed" in r.stderr


def test_decode_png_per_frame_without_npy(tmp_path):
    from PIL import Image

    src = find_testfile("SC_rgb_rle_2frame.dcm")
    r = run("decode", str(src), "-o", str(tmp_path / "cine.png"))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cine_f0000.png", "cine_f0001.png"]
    ref = pixels(find_testfile("SC_rgb_2frame.dcm"))
    for i in range(2):
        np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / f"cine_f{i:04d}.png")), ref[i])
    # A run cut short after frame 0: the next run writes frame 1 only.
    (tmp_path / "cine_f0001.png").unlink()
    stamp = (tmp_path / "cine_f0000.png").stat().st_mtime_ns
    r = run("decode", str(src), "-o", str(tmp_path / "cine.png"))
    assert r.returncode == 0 and f"-> {tmp_path / 'cine_f0001.png'} (100x100, 8-bit)" in r.stdout
    assert (tmp_path / "cine_f0000.png").stat().st_mtime_ns == stamp
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "cine_f0001.png")), ref[1])
    r = run("decode", str(find_testfile("CT_small.dcm")), "-o", f"{tmp_path / 'pngs'}/",
            "--format", "png")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "pngs" / "CT_small.png").exists()


def _png(path: Path) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(path))


def test_png_applies_window_and_monochrome1(tmp_path):
    ds = pydicom.dcmread(find_testfile("MR_small.dcm"))
    raw = ds.pixel_array
    ds.WindowCenter, ds.WindowWidth = 1000, 400
    ds.save_as(tmp_path / "m2.dcm")
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.save_as(tmp_path / "m1.dcm")
    assert run("decode", "m2.dcm", "m1.dcm", "-o", "png/", "--format", "png",
               cwd=tmp_path).returncode == 0
    m2, m1 = _png(tmp_path / "png" / "m2.png"), _png(tmp_path / "png" / "m1.png")
    assert m2.dtype == np.uint8 and m2.shape == raw.shape
    assert (m2[raw <= 800] == 0).all() and (m2[raw >= 1200] == 255).all()
    inside = (raw > 850) & (raw < 1150)
    assert inside.any() and ((m2[inside] > 0) & (m2[inside] < 255)).all()
    np.testing.assert_array_equal(m1, 255 - m2)
    # No window: the image's own range spans black to white.
    assert run("decode", str(find_testfile("CT_small.dcm")), "-o", "ct.png",
               cwd=tmp_path).returncode == 0
    ct = _png(tmp_path / "ct.png")
    assert (ct.min(), ct.max()) == (0, 255)


def test_png_without_pillow_names_the_extra(tmp_path):
    r = run("decode", str(find_testfile("CT_small.dcm")), "-o", str(tmp_path / "ct.png"),
            code="import sys; sys.modules['PIL'] = None")
    assert r.returncode == 2
    assert "PNG output needs Pillow: pip install 'dicomcodecs[png]'" in r.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("output, message", [
    ("cine.jpg", "-o cine.jpg: unknown output type .jpg; name a .npy or .png file"),
    ("cine", "-o cine: unknown output type (no extension)"),
])
def test_decode_unknown_output_type(tmp_path, output, message):
    r = run("decode", str(find_testfile("CT_small.dcm")), "-o", output, cwd=tmp_path)
    assert r.returncode == 2
    assert message in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_decode_several_inputs_need_a_folder(tmp_path):
    r = run("decode", str(find_testfile("CT_small.dcm")), str(find_testfile("MR_small.dcm")),
            "-o", "x.npy", cwd=tmp_path)
    assert r.returncode == 2
    assert "-o x.npy names a file, but the inputs are several files or a folder" in r.stderr


def test_debug_shows_the_traceback(tmp_path):
    bad = tmp_path / "bad.dcm"
    bad.write_bytes(find_testfile("CT_small.dcm").read_bytes()[:600])
    r = run("decode", str(bad), "-o", str(tmp_path / "x.npy"), "--debug")
    assert r.returncode == 1
    assert "Traceback" in r.stderr


# ------------------------------------------------------------------ bench

def test_bench_without_its_peers_says_which_extra(tmp_path):
    """The side-by-side harness (benchmarks/run.py, not installed) names the
    peers it lacks."""
    harness = Path(__file__).resolve().parent.parent / "benchmarks" / "run.py"
    r = subprocess.run([sys.executable, "-c", "import sys, runpy; sys.modules['jpeg_ls'] = None; "
                        f"sys.argv = ['run.py', '--codec', 'jpegls', '--data', {str(tmp_path)!r}]; "
                        f"runpy.run_path({str(harness)!r}, run_name='__main__')"],
                       capture_output=True, text=True)
    assert r.returncode == 1
    assert "the JPEG-LS benchmark cannot run without Python packages pyjpegls" in r.stderr
    assert "pip install 'dicomcodecs[bench]'" in r.stderr
    assert r.stdout == ""


def test_bench_times_the_users_files(capsys):
    """`dicomcodecs bench` needs no peers: one row per file with decode and
    encode speeds."""
    files = [str(find_testfile(n)) for n in ("MR_small_RLE.dcm", "SC_rgb_jpeg_gdcm.dcm")]
    assert cli.main(["bench", *files, "--encode", "--repeat", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split("\t")[-1] == "encode MP/s"
    rows = [line.split("\t") for line in lines[1:]]
    assert [r[1] for r in rows] == ["1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.70"]
    assert all(float(r[4]) > 0 and float(r[6]) > 0 for r in rows)


# ------------------------------------------------- transcode correctness

@pytest.mark.parametrize("to", ["rle", "RLELossless", "1.2.840.10008.1.2.5"])
def test_transcode_verify(tmp_path, to, capsys):
    names = ["MR_small.dcm", "SC_rgb_2frame.dcm", "emri_small.dcm", "rtdose.dcm"]
    srcs = [str(find_testfile(n)) for n in names]
    assert cli.main(["transcode", *srcs, "--to", to, "-o", str(tmp_path), "--verify",
                     "--jobs", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("verified bit-exact") == len(names)
    for n in names:
        ds = pydicom.dcmread(next(tmp_path.rglob(n)))  # under the inputs' common folder
        assert ds.file_meta.TransferSyntaxUID == RLE
        np.testing.assert_array_equal(dc.pixel_array(ds), pixels(find_testfile(n)))


@pytest.mark.parametrize("to", ["j2k-lossless", "htj2k-lossless", "jpeg-lossless-sv1", "rle"])
def test_transcode_verify_colour_sources(tmp_path, to, capsys):
    """Stored YBR_FULL_422 (uncompressed, upsampled) and RGB sources verify
    bit-exact through syntaxes with and without a colour transform."""
    names = ["SC_ybr_full_422_uncompressed.dcm", "SC_rgb.dcm"]
    srcs = [str(find_testfile(n)) for n in names]
    assert cli.main(["transcode", *srcs, "--to", to, "-o", str(tmp_path), "--verify"]) == 0
    assert capsys.readouterr().out.count("verified bit-exact") == len(names)


def test_transcode_to_native_decompresses_and_resumes(tmp_path):
    """--to explicit-vr-little-endian writes native pixel data (the decompress
    to disk), verified, with the same never-replace and re-run rules."""
    import numpy as np
    import pydicom

    src = copy("MR_small.dcm", tmp_path / "in" / "mr.dcm")
    r = run("transcode", str(src), "--to", "jpeg-ls-lossless", "-o", str(tmp_path / "jls"))
    assert r.returncode == 0, r.stderr
    jls = tmp_path / "jls" / "mr.dcm"
    r = run("transcode", str(jls), "--to", "explicit-vr-little-endian", "-o",
            str(tmp_path / "raw"), "--verify")
    assert r.returncode == 0, r.stderr
    assert "verified bit-exact" in r.stdout
    out = pydicom.dcmread(tmp_path / "raw" / "mr.dcm")
    assert out.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.1"
    np.testing.assert_array_equal(out.pixel_array, pydicom.dcmread(src).pixel_array)
    r = run("transcode", str(jls), "--to", "native", "-o", str(tmp_path / "raw"))
    assert r.returncode == 0 and "1 skipped" in r.stderr
    r = run("transcode", str(jls), "--to", "native", "-o", str(tmp_path / "raw2"),
            "--option", "level=3")
    assert r.returncode == 2 and "takes no options" in r.stderr
