"""Install the kernel's packages faster in its worker (run there before they install; site/early_kernel.py
bakes this file's source into the worker's prologue). Two costs of Pyodide 0.27.7's installer go:

1. Unpacking. Pyodide unpacks each wheel through `shutil.unpack_archive`, whose zip unpacker reads every
   member through ZipExtFile's chunked reads and writes it through a buffered file object. In WebAssembly
   that Python per file is the cost, not the inflating: unpacking the 36 wheels the site ships took 2.8 s
   in Pyodide under Node, 1.2 s with `unpack_wheel` (stored uncompressed, shutil was no faster). It
   gives the same files (it skips the names shutil skips: absolute, or containing ".."), reading each
   member from the wheel's bytes in one slice, inflating it in one call, checking its CRC-32 and writing
   it with one os.write. Registered under Pyodide's format name ("whl"), so every wheel the kernel
   installs (at start, jedi at the first completion, %pip) goes through it.
2. Re-reading the standard library's zip. After installing, loadPackage calls
   importlib.invalidate_caches(), which makes the zip importer of every package already imported from
   python312.zip read that archive's whole directory again: 0.43-0.49 s once Pyodide has started (14
   such finders), on every loadPackage. The archive never changes while Python runs, so its importers
   keep their listing; folders (site-packages, /drive) are invalidated as before.

Standard library only: it runs before any package is installed.
"""

from __future__ import annotations

import os
import shutil
import struct
import sys
import zipfile
import zipimport
import zlib

LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature, ..., file name length, extra field length
LOCAL_SIGNATURE = b"PK\x03\x04"


def unpack_wheel(filename: str, extract_dir: str, *, filter=None) -> None:  # noqa: A002 (shutil's keyword)
    """shutil.unpack_archive's unpacker for a wheel (a zip file). `filter` is for tar files; shutil's own
    zip unpacker ignores it too."""
    with zipfile.ZipFile(filename) as archive:
        members = archive.infolist()
    with open(filename, "rb") as file:
        data = memoryview(file.read())
    made = set()
    for info in members:
        name = info.filename
        if name.startswith("/") or ".." in name:  # what shutil._unpack_zipfile skips, skipped alike
            continue
        target = os.path.join(extract_dir, *name.split("/"))
        folder = os.path.dirname(target)
        if folder not in made:
            os.makedirs(folder, exist_ok=True)
            made.add(folder)
        if name.endswith("/"):
            continue
        signature, name_length, extra_length = LOCAL_HEADER.unpack_from(data, info.header_offset)
        if signature != LOCAL_SIGNATURE:
            raise shutil.ReadError(f"{filename}: {name} has no local header at offset {info.header_offset}")
        start = info.header_offset + LOCAL_HEADER.size + name_length + extra_length
        raw = data[start : start + info.compress_size]
        if info.compress_type == zipfile.ZIP_DEFLATED:
            content = zlib.decompress(raw, -zlib.MAX_WBITS)
        elif info.compress_type == zipfile.ZIP_STORED:
            content = raw
        else:
            raise shutil.ReadError(f"{filename}: {name} uses compression method {info.compress_type}")
        if zlib.crc32(content) != info.CRC:
            raise shutil.ReadError(f"{filename}: {name} is damaged (CRC-32 mismatch)")
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            written = os.write(fd, content)
            while written < len(content):
                written += os.write(fd, content[written:])
        finally:
            os.close(fd)


def keep_stdlib_zip_listing() -> None:
    """importlib.invalidate_caches() leaves the importers of the standard library's zip as they are."""
    stdlib_zip = os.path.join(sys.prefix, "lib", f"python{sys.version_info.major}{sys.version_info.minor}.zip")
    invalidate = zipimport.zipimporter.invalidate_caches

    def invalidate_caches(self):
        if self.archive != stdlib_zip:
            invalidate(self)

    zipimport.zipimporter.invalidate_caches = invalidate_caches


def use() -> None:
    """Both, in this process. Pyodide registers shutil's unpacker under "whl" when its package loader is
    imported: it is imported first, so that this registration is the last."""
    import pyodide._package_loader  # noqa: F401, PLC0415 (Pyodide's; exists only there)

    shutil.unregister_unpack_format("whl")
    shutil.register_unpack_format("whl", [".whl", ".wheel"], unpack_wheel, description="Wheel file")
    keep_stdlib_zip_listing()
