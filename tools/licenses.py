#!/usr/bin/env python3
"""Add the licence text of every library a repaired wheel bundles.

    python tools/licenses.py WHEEL [--license-dir DIR]

After `auditwheel repair` (or delocate / delvewheel) the wheel carries copies
of libopenjp2, libjpeg, libopenjph, libjxl (with libjxl_threads and
what it links: libhwy, libbrotli*, liblcms2) and libdeflate, and with them the duty to
ship their licences. This writes, for each bundled library,
``dicomcodecs/_licenses/<library>.txt`` (where it came from, then the licence
text) and ``dicomcodecs/_licenses/README.txt`` (the list), into the wheel in
place, rewriting its RECORD (plain zipfile: runs on any Python, e.g. inside
a manylinux image's repair step). The texts
are taken at build time from the system that built the wheel, never
committed:

- Debian/Ubuntu: the package owning the library (``dpkg -S``), its
  ``/usr/share/doc/<package>/copyright``;
- RPM systems (manylinux images): ``rpm -qf``, the package's licence files
  (``rpm -qL``);
- anything else (a library built from a release tarball in cibuildwheel's
  before-all, Homebrew, vcpkg): ``--license-dir DIR`` or
  ``$DICOMCODECS_LICENSE_DIR``, holding ``<library>.*`` files (e.g.
  ``libopenjp2.LICENSE``, ``libopenjph.LICENSE``) copied there by whoever
  built the library.

Exits non-zero when a bundled library's licence cannot be found: such a wheel
must not be published.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

LICENSES = "dicomcodecs/_licenses"
LIB_DIRS = ("dicomcodecs.libs", "dicomcodecs/.dylibs")   # auditwheel/delvewheel, delocate
LIB_SUFFIX = re.compile(r"\.(so(\.[0-9.]+)?|dylib|dll)$")
# auditwheel: <stem>-<8 hex>.<rest of the original name>; delvewheel: <stem>-<32 hex>.dll
HASHED = re.compile(r"^(?P<stem>.+?)-(?P<hash>[0-9a-f]{8}|[0-9a-f]{32})\.(?P<ext>.+)$")


def run(*cmd: str) -> str | None:
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return None
    return r.stdout if r.returncode == 0 else None


def original_name(bundled: str) -> tuple[str, str]:
    """(library stem, original file name) of a bundled copy's name."""
    m = HASHED.match(bundled)
    if not m:
        stem = bundled.split(".", 1)[0]
        return stem, bundled
    return m["stem"], f"{m['stem']}.{m['ext']}"


def find_system_library(name: str) -> Path | None:
    """Where the system keeps the library the wheel bundled a copy of."""
    out = run("ldconfig", "-p") or ""
    for line in out.splitlines():
        left, _, path = line.partition("=>")
        if left.strip().split(" ")[0] == name and path.strip():
            return Path(path.strip())
    dirs = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/x86_64-linux-gnu",
            "/lib/aarch64-linux-gnu", "/usr/local/lib", "/usr/local/lib64", "/usr/lib64", "/usr/lib"]
    for d in dirs:
        p = Path(d) / name
        if p.exists():
            return p
    return None


def debian_owner(path: Path) -> tuple[str, str, list[Path]] | None:
    """(package, version, licence files) from dpkg, trying the paths merged-/usr may list."""
    candidates = {str(path), os.path.realpath(path)}
    for c in list(candidates):
        if c.startswith("/usr/lib/"):
            candidates.add(c[len("/usr"):])
        elif c.startswith("/lib/"):
            candidates.add("/usr" + c)
    for c in sorted(candidates):
        out = run("dpkg", "-S", c)
        if not out:
            continue
        pkg = out.split(":", 1)[0].strip()
        if "," in pkg:          # diversions: "pkg1, pkg2: path"
            pkg = pkg.split(",")[0].strip()
        version = (run("dpkg-query", "-W", "-f=${Version}", pkg) or "").strip()
        copyright_file = Path("/usr/share/doc") / pkg / "copyright"
        if not copyright_file.exists():    # a doc dir that is a symlink to the source's
            source = (run("dpkg-query", "-W", "-f=${source:Package}", pkg) or "").strip()
            copyright_file = Path("/usr/share/doc") / source / "copyright"
        files = [copyright_file] if copyright_file.exists() else []
        return pkg, version, files
    return None


def rpm_owner(path: Path) -> tuple[str, str, list[Path]] | None:
    for c in (str(path), os.path.realpath(path)):
        out = run("rpm", "-qf", "--qf", "%{NAME} %{VERSION}-%{RELEASE}\n", c)
        if out and " " in out:
            name, version = out.splitlines()[0].split(" ", 1)
            files = [Path(p) for p in (run("rpm", "-qL", name) or "").split() if Path(p).is_file()]
            return name, version, files
    return None


def from_license_dir(stem: str, license_dir: Path | None) -> list[Path]:
    """Files in license_dir whose name (before the first dot, less a "lib"
    prefix) starts the library's: `openjp2.LICENSE` for libopenjp2.so.7 or
    openjp2.dll, `jpeg.LICENSE` for libjpeg.so.62 or jpeg62.dll."""
    if license_dir is None or not license_dir.is_dir():
        return []
    want = stem.lower().removeprefix("lib")
    found = []
    for p in sorted(license_dir.iterdir()):
        key = p.name.split(".", 1)[0].lower().removeprefix("lib")
        if p.is_file() and key and want.startswith(key):
            found.append(p)
    return found


def licence_for(bundled: str, license_dir: Path | None) -> tuple[str, str, str] | None:
    """(stem, header, text) for one bundled library, or None if not found."""
    stem, orig = original_name(bundled)
    files = from_license_dir(stem, license_dir)
    origin = f"licence files from {license_dir}" if files else ""
    if not files:
        path = find_system_library(orig)
        if path is not None:
            owner = debian_owner(path) or rpm_owner(path)
            if owner and owner[2]:
                pkg, version, files = owner
                origin = f"{path}, package {pkg} {version}"
    if not files:
        return None
    header = (f"{bundled} in this wheel is a copy of {orig} ({origin}).\n"
              f"Its licence, as that distribution ships it ({', '.join(map(str, files))}):\n")
    text = "\n\n".join(f.read_text(errors="replace") for f in files)
    return stem, header, text


def rewrite_wheel(wheel: Path, added: dict[str, bytes]) -> None:
    """Rewrite the wheel (a zip) with `added` files in it (replacing earlier
    copies) and a RECORD that lists them, keeping every other member and its
    permissions as they were."""
    import base64
    import hashlib

    def digest(data: bytes) -> str:
        return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()

    with zipfile.ZipFile(wheel) as z:
        infos = [i for i in z.infolist() if i.filename not in added]
        record_name = next(i.filename for i in infos if re.fullmatch(r"[^/]+\.dist-info/RECORD", i.filename))
        members = [(i, z.read(i)) for i in infos if i.filename != record_name]
    for name, data in sorted(added.items()):
        info = zipfile.ZipInfo(name, date_time=members[0][0].date_time)
        info.external_attr = 0o100644 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        members.append((info, data))
    # RECORD last, as the wheel spec recommends; .dist-info files after the package
    members.sort(key=lambda m: (".dist-info/" in m[0].filename, m[0].filename))
    record = "".join(f"{i.filename},{digest(d)},{len(d)}\n" for i, d in members
                     if not i.is_dir()) + f"{record_name},,\n"
    rinfo = zipfile.ZipInfo(record_name, date_time=members[0][0].date_time)
    rinfo.external_attr = 0o100644 << 16
    rinfo.compress_type = zipfile.ZIP_DEFLATED
    mode = os.stat(wheel).st_mode & 0o777
    fd, tmp = tempfile.mkstemp(dir=wheel.parent, suffix=".whl.tmp")
    os.close(fd)
    os.chmod(tmp, mode)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for info, data in members:
                out.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
            out.writestr(rinfo, record)
        os.replace(tmp, wheel)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("wheel")
    ap.add_argument("--license-dir", default=os.environ.get("DICOMCODECS_LICENSE_DIR"),
                    help="folder of <library>* licence files for libraries no package manager owns")
    args = ap.parse_args(argv)
    wheel = Path(args.wheel).resolve()
    license_dir = Path(args.license_dir) if args.license_dir else None

    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
    bundled = sorted(Path(n).name for n in names
                     if any(n.startswith(d + "/") for d in LIB_DIRS) and LIB_SUFFIX.search(n))
    if not bundled:
        print(f"licenses: {wheel.name} bundles no library; nothing to add")
        return 0
    added: dict[str, bytes] = {}
    missing, summary = [], []
    for name in bundled:
        found = licence_for(name, license_dir)
        if found is None:
            missing.append(name)
            continue
        stem, header, text = found
        added[f"{LICENSES}/{stem}.txt"] = (header + "\n" + text).encode()
        summary.append(header.splitlines()[0])
        print(f"licenses: {header.splitlines()[0]}")
    if missing:
        print(f"licenses: no licence found for {', '.join(missing)} (install the library from a "
              "package, or pass --license-dir)", file=sys.stderr)
        return 1
    added[f"{LICENSES}/README.txt"] = (
        "dicomcodecs is MIT-licensed. This wheel also contains the following third-party\n"
        "libraries; each one's licence is in the file named after it in this folder.\n\n"
        + "\n".join(summary) + "\n").encode()
    rewrite_wheel(wheel, added)
    print(f"licenses: {len(bundled)} licence(s) added to {wheel.name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
