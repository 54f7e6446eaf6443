"""site/kernel_install.py in CPython: the kernel worker's wheel unpacker against shutil's own (the same
files with the same bytes, the same names skipped, a damaged wheel refused), and invalidate_caches()
keeping the standard library zip's listing only. (In Pyodide, on the wheels the site ships:
tests/wasm/test_wasm_kernel_install.py.)"""

from __future__ import annotations

import os
import shutil
import sys
import zipfile
import zipimport
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "site"))

import kernel_install  # noqa: E402


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
    kernel_install.unpack_wheel(str(wheel), str(ours))
    shutil._unpack_zipfile(str(wheel), str(theirs))
    assert tree(ours) == tree(theirs)
    assert tree(ours)["demo/sub/deep/data.bin"] == zipfile.ZipFile(wheel).read("demo/sub/deep/data.bin")
    assert "demo/a..b.py" not in tree(ours) and not (tmp_path / "escape.py").exists()


def test_overwrites_a_file_already_there(wheel, tmp_path):
    # a package installed again (e.g. %pip install of a newer wheel) replaces the old bytes entirely
    target = tmp_path / "site-packages"
    (target / "demo").mkdir(parents=True)
    (target / "demo/__init__.py").write_text("an older and much longer version of this module\n" * 10)
    kernel_install.unpack_wheel(str(wheel), str(target))
    assert (target / "demo/__init__.py").read_text() == "x = 1\n"


def test_a_damaged_wheel_is_refused_not_unpacked_wrong(wheel, tmp_path):
    data = bytearray(wheel.read_bytes())
    info = zipfile.ZipFile(wheel).getinfo("demo/stored.txt")
    start = data.index(b"stored, not deflated", info.header_offset)
    data[start] ^= 0xFF
    wheel.write_bytes(bytes(data))
    with pytest.raises(shutil.ReadError, match="demo/stored.txt is damaged"):
        kernel_install.unpack_wheel(str(wheel), str(tmp_path / "out"))


def test_shutil_unpack_archive_calls_it_once_registered(wheel, tmp_path, monkeypatch):
    # what use() does in Pyodide, without Pyodide's loader (which registered shutil's own as "whl")
    monkeypatch.setitem(sys.modules, "pyodide", type(sys)("pyodide"))
    monkeypatch.setitem(sys.modules, "pyodide._package_loader", type(sys)("pyodide._package_loader"))
    shutil.register_unpack_format("whl", [".whl", ".wheel"], shutil._unpack_zipfile)
    calls = []
    monkeypatch.setattr(kernel_install, "unpack_wheel", lambda *a, **k: calls.append(a))
    try:
        kernel_install.use()
        shutil.unpack_archive(str(wheel), str(tmp_path / "out"))
    finally:
        shutil.unregister_unpack_format("whl")
    assert calls == [(str(wheel), str(tmp_path / "out"))]


def test_invalidate_caches_lists_every_zip_again_but_the_standard_librarys(tmp_path, monkeypatch):
    monkeypatch.setattr(zipimport.zipimporter, "invalidate_caches", zipimport.zipimporter.invalidate_caches)
    monkeypatch.setattr(sys, "prefix", str(tmp_path))
    stdlib_zip = tmp_path / "lib" / f"python{sys.version_info.major}{sys.version_info.minor}.zip"
    other_zip = tmp_path / "other.zip"
    stdlib_zip.parent.mkdir()
    for path in (stdlib_zip, other_zip):
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("first.py", "")
    stdlib, other = zipimport.zipimporter(str(stdlib_zip)), zipimport.zipimporter(str(other_zip))
    kernel_install.keep_stdlib_zip_listing()
    for path in (stdlib_zip, other_zip):
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("second.py", "")
    stdlib.invalidate_caches()
    other.invalidate_caches()
    assert other.find_spec("second") is not None, "any other zip is read again, as before"
    assert stdlib.find_spec("second") is None, "the standard library's zip keeps the listing it had"
