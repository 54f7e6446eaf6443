"""Add CPython 3.12 bytecode to the pure-Python modules of wheels (runs INSIDE Pyodide at build time).

Why: the kernel imports IPython, numpy and friends at every start, and Pyodide's wheels ship only
.py sources, so each start compiles them again; measured in Pyodide, precompiled bytecode halves
those imports (IPython 2.0 s -> 1.0 s, numpy 0.5 s -> 0.24 s).
How: each `x.py` gets `__pycache__/x.cpython-312.pyc` next to it, compiled by the very interpreter
that will load it (Pyodide's CPython 3.12.7, hence this runs in Pyodide, not on the host), in
"unchecked-hash" mode (PEP 552): valid whatever the files' mtimes are after unpacking. The .py
sources stay, so tracebacks still show code. RECORD is rewritten to list the new files.
"""
from __future__ import annotations

import base64
import compileall
import hashlib
import io
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path

SITE_PACKAGES = f"/lib/python{sys.version_info.major}.{sys.version_info.minor}/site-packages"
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def compile_wheel(wheel: Path) -> int:
    """Rewrite `wheel` in place with bytecode added; return the number of .pyc files added."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(wheel) as zf:
            names = zf.namelist()
            zf.extractall(root)
        compileall.compile_dir(root, quiet=2, ddir=SITE_PACKAGES, workers=1,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        added = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.pyc"))
        record = next(n for n in names if n.endswith(".dist-info/RECORD"))
        files = {n: (root / n).read_bytes() for n in names + added if n != record and not n.endswith("/")}
        lines = [_record_line(n, d) for n, d in files.items()] + [f"{record},,"]
        files[record] = ("\n".join(lines) + "\n").encode()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as out:
            for arcname, data in files.items():
                info = zipfile.ZipInfo(arcname, date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                out.writestr(info, data)
    wheel.write_bytes(buffer.getvalue())
    return len(added)


def compile_all(folder: str, file_names: list[str]) -> dict[str, int]:
    return {name: compile_wheel(Path(folder) / name) for name in file_names}

