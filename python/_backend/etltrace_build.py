# SPDX-License-Identifier: MIT
"""A PEP 517 build backend for the etltrace package, standard library only.

pip builds in an isolated environment into which it would first download
the backend named by pyproject.toml (setuptools, ...): with no package index
reachable that fails. This backend lives in the tree (`backend-path`) and
needs nothing (`requires = []`), so `pip install ./python` works offline.

It builds a pure-Python wheel (py3-none-any) of the etltrace/ package, an
sdist (.tar.gz) of this directory's sources, and an editable wheel (a .pth
file naming this directory). Archives are reproducible: members sorted,
times from SOURCE_DATE_EPOCH (default 1980-01-01), modes normalised.
"""

import base64
import gzip
import hashlib
import io
import os
import re
import tarfile
import time
import zipfile

NAME = "etltrace"
SUMMARY = "Markers for etltrace: name a Python ETL job's operations for BPF tracing"
REQUIRES_PYTHON = ">=3.8"
TAG = "py3-none-any"

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE_DIR = os.path.join(ROOT, NAME)
# What the sdist carries, relative to ROOT (directories are walked).
SDIST_SOURCES = ("pyproject.toml", "README.md", "_backend", NAME, "tests")


def _version():
    """__version__ from the package, read without importing it."""
    with open(os.path.join(PACKAGE_DIR, "__init__.py"), encoding="utf-8") as f:
        m = re.search(r'^__version__ = "([^"]+)"$', f.read(), re.M)
    if not m:
        raise RuntimeError(f"no __version__ in {PACKAGE_DIR}/__init__.py")
    return m.group(1)


def _epoch():
    return int(os.environ.get("SOURCE_DATE_EPOCH", "315532800"))


def _files(top):
    """Source files under ROOT/top (or top itself), sorted, as relative paths;
    bytecode caches left out."""
    path = os.path.join(ROOT, top)
    if os.path.isfile(path):
        return [top]
    found = []
    for d, dirs, names in os.walk(path):
        dirs[:] = sorted(x for x in dirs if x != "__pycache__")
        for n in sorted(names):
            if not n.endswith((".pyc", ".pyo")):
                found.append(os.path.relpath(os.path.join(d, n), ROOT))
    return found


def _read(rel):
    with open(os.path.join(ROOT, rel), "rb") as f:
        return f.read()


def _metadata():
    readme = _read("README.md").decode("utf-8")
    return (f"Metadata-Version: 2.1\n"
            f"Name: {NAME}\n"
            f"Version: {_version()}\n"
            f"Summary: {SUMMARY}\n"
            f"License: MIT\n"
            f"Requires-Python: {REQUIRES_PYTHON}\n"
            f"Classifier: Operating System :: POSIX :: Linux\n"
            f"Classifier: Programming Language :: Python :: 3\n"
            f"Description-Content-Type: text/markdown\n"
            f"\n{readme}")


def _dist_info_files():
    return {
        "METADATA": _metadata(),
        "WHEEL": (f"Wheel-Version: 1.0\nGenerator: etltrace_build {_version()}\n"
                  f"Root-Is-Purelib: true\nTag: {TAG}\n"),
        "top_level.txt": f"{NAME}\n",
    }


def _dist_info_name():
    return f"{NAME}-{_version()}.dist-info"


def _record_line(arcname, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return f"{arcname},sha256={digest.decode()},{len(data)}\n"


def _write_wheel(wheel_directory, members):
    """Writes a wheel of members [(arcname, bytes)] plus its dist-info and
    RECORD; returns its file name."""
    dist_info = _dist_info_name()
    members = list(members) + [(f"{dist_info}/{n}", t.encode("utf-8"))
                               for n, t in sorted(_dist_info_files().items())]
    record_name = f"{dist_info}/RECORD"
    record = "".join(_record_line(a, d) for a, d in members) + f"{record_name},,\n"
    members.append((record_name, record.encode("utf-8")))
    filename = f"{NAME}-{_version()}-{TAG}.whl"
    stamp = time.gmtime(max(_epoch(), 315532800))[:6]
    os.makedirs(wheel_directory, exist_ok=True)
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w",
                         zipfile.ZIP_DEFLATED) as zf:
        for arcname, data in members:
            info = zipfile.ZipInfo(arcname, date_time=stamp)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return filename


# ---- PEP 517 / PEP 660 hooks ------------------------------------------------

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    dist_info = _dist_info_name()
    path = os.path.join(metadata_directory, dist_info)
    os.makedirs(path, exist_ok=True)
    for name, text in _dist_info_files().items():
        with open(os.path.join(path, name), "w", encoding="utf-8") as f:
            f.write(text)
    return dist_info


def prepare_metadata_for_build_editable(metadata_directory, config_settings=None):
    return prepare_metadata_for_build_wheel(metadata_directory, config_settings)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    members = [(rel.replace(os.sep, "/"), _read(rel)) for rel in _files(NAME)
               if rel.endswith(".py")]
    return _write_wheel(wheel_directory, members)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    pth = f"__editable__.{NAME}-{_version()}.pth"
    return _write_wheel(wheel_directory, [(pth, (ROOT + "\n").encode("utf-8"))])


def build_sdist(sdist_directory, config_settings=None):
    base = f"{NAME}-{_version()}"
    filename = f"{base}.tar.gz"
    members = [(rel, _read(rel)) for top in SDIST_SOURCES for rel in _files(top)]
    members.append(("PKG-INFO", _metadata().encode("utf-8")))
    os.makedirs(sdist_directory, exist_ok=True)
    out = os.path.join(sdist_directory, filename)
    # Through GzipFile: the gzip header carries a time of its own.
    with open(out, "wb") as raw, \
            gzip.GzipFile(fileobj=raw, mode="wb", mtime=_epoch(), filename="") as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel, data in sorted(members):
            info = tarfile.TarInfo(f"{base}/{rel.replace(os.sep, '/')}")
            info.size = len(data)
            info.mtime = _epoch()
            info.mode = 0o644
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return filename
