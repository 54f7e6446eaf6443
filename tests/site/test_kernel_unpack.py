"""site/kernel_unpack.py, the wheel unpacker of the kernel's worker, against shutil's own in CPython: the
same files with the same bytes, the same names skipped, and a damaged wheel refused. (In Pyodide, on the
wheels the site ships: tests/wasm/test_wasm_kernel_unpack.py.)"""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "site"))

import kernel_unpack  # noqa: E402


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every path under folder -> its bytes (None for a folder)."""
    return {
        p.relative_to(folder).as_posix(): (None if p.is_dir() else p.read_bytes()) for p in sorted(folder.rglob("*"))
    }


@pytest.fixture
def wheel(tmp_path) -> Path:
    """A wheel-shaped zip with what real wheels hold, plus the names shutil refuses to unpack."""
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    big = os.urandom(300_000) + bytes(700_000)  # incompressible, then very compressible
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("demo/", "")  # a folder entry
        archive.writestr("demo/__init__.py", "x = 1\n", compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("demo/sub/deep/data.bin", big, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("demo/stored.txt", "stored, not deflated\n", compress_type=zipfile.ZIP_STORED)
        archive.writestr("demo/empty.py", "", compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("demo/ünïcode.py", "y = 2\n", compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("demo-1.0.dist-info/RECORD", "demo/__init__.py,,\n", compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("demo/../escape.py", "outside", compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("/absolute.py", "outside", compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr("demo/a..b.py", "shutil skips any name with '..'", compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_unpacks_the_same_files_as_shutil(wheel, tmp_path):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    kernel_unpack.unpack_wheel(str(wheel), str(ours))
    shutil._unpack_zipfile(str(wheel), str(theirs))
    assert tree(ours) == tree(theirs)
    assert tree(ours)["demo/sub/deep/data.bin"] == zipfile.ZipFile(wheel).read("demo/sub/deep/data.bin")
    assert "demo/a..b.py" not in tree(ours) and not (tmp_path / "escape.py").exists()


def test_overwrites_a_file_already_there(wheel, tmp_path):
    # a package installed again (e.g. %pip install of a newer wheel) replaces the old bytes entirely
    target = tmp_path / "site-packages"
    (target / "demo").mkdir(parents=True)
    (target / "demo/__init__.py").write_text("an older and much longer version of this module\n" * 10)
    kernel_unpack.unpack_wheel(str(wheel), str(target))
    assert (target / "demo/__init__.py").read_text() == "x = 1\n"


def test_a_damaged_wheel_is_refused_not_unpacked_wrong(wheel, tmp_path):
    data = bytearray(wheel.read_bytes())
    info = zipfile.ZipFile(wheel).getinfo("demo/stored.txt")
    start = data.index(b"stored, not deflated", info.header_offset)
    data[start] ^= 0xFF
    wheel.write_bytes(bytes(data))
    with pytest.raises(shutil.ReadError, match="demo/stored.txt is damaged"):
        kernel_unpack.unpack_wheel(str(wheel), str(tmp_path / "out"))


def test_shutil_unpack_archive_calls_it_once_registered(wheel, tmp_path, monkeypatch):
    # what use() does in Pyodide, without Pyodide's loader (which registered shutil's own as "whl")
    monkeypatch.setitem(sys.modules, "pyodide", type(sys)("pyodide"))
    monkeypatch.setitem(sys.modules, "pyodide._package_loader", type(sys)("pyodide._package_loader"))
    shutil.register_unpack_format("whl", [".whl", ".wheel"], shutil._unpack_zipfile)
    calls = []
    monkeypatch.setattr(kernel_unpack, "unpack_wheel", lambda *a, **k: calls.append(a))
    try:
        kernel_unpack.use()
        shutil.unpack_archive(str(wheel), str(tmp_path / "out"))
    finally:
        shutil.unregister_unpack_format("whl")
    assert calls == [(str(wheel), str(tmp_path / "out"))]
