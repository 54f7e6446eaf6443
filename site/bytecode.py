"""Add CPython 3.12 bytecode to the modules a lesson imports (runs INSIDE Pyodide at build time).

Why: the kernel imports IPython, numpy and friends at every start, and Pyodide's wheels ship only
.py sources, so every kernel start compiles them again. Measured in Pyodide under Node, precompiled
bytecode halves those imports (IPython 2.0 s -> 1.0 s, numpy 0.5 s -> 0.24 s).
Which modules: those imported by a kernel start plus numpy, the tinytorch wheel (all of it: tinytorch and
tinytorch_course) and matplotlib,
found by importing them here (`imported_files`). Compiling every module of every wheel would also
work but doubles the wheels (pygments' 500 lexers, fonttools), and unpacking them costs start time.
How: `x.py` gets `__pycache__/x.cpython-312.pyc` next to it, compiled by the very interpreter that
loads it (Pyodide's CPython 3.12.7: hence this runs in Pyodide, not on the host), in "unchecked-hash"
mode (PEP 552), valid whatever the files' mtimes are after unpacking. The .py sources stay, so
tracebacks still show code. The wheel's RECORD is rewritten to list the new files.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import importlib.util
import io
import py_compile
import site
import sys
import tempfile
import zipfile
from pathlib import Path

# what a kernel start and a lesson import (the packages must be loaded before `imported_files`)
IMPORTS = [
    "pyodide_kernel",
    "IPython",
    "jedi",
    "numpy",
    "tinytorch",
    "tinytorch_course.checks",
    "matplotlib.pyplot",
    "matplotlib_inline.backend_inline",
    "micropip",
    "piplite.piplite",
]
COMPILE_ALL_OF = ["tinytorch"]  # wheels by name; the tinytorch wheel holds tinytorch and tinytorch_course: all compiled
SITE_PACKAGES = site.getsitepackages()[0]  # "/lib/python3.12/site-packages" in Pyodide
FIXED_TIME = (2020, 1, 1, 0, 0, 0)


def imported_files() -> set[str]:
    """Paths (relative to site-packages) of the .py files that IMPORTS load."""
    for name in IMPORTS:
        importlib.import_module(name)
    files = set()
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None) or ""
        if path.startswith(SITE_PACKAGES + "/") and path.endswith(".py"):
            files.add(path[len(SITE_PACKAGES) + 1 :])
    return files


def _record_line(arcname: str, data: bytes) -> str:
    # the same as wheel_files.record_line/write, repeated: this file runs as one source text inside
    # Pyodide, where nothing else of site/ is importable
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def compile_wheel(wheel: Path, wanted: set[str]) -> int:
    """Rewrite `wheel` in place with bytecode for the .py files in `wanted` (or for all of them
    if the wheel is a COMPILE_ALL_OF package); return how many modules were compiled."""
    everything = wheel.name.split("-")[0] in COMPILE_ALL_OF
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(wheel) as zf:
            names = [n for n in zf.namelist() if not n.endswith("/")]
            zf.extractall(root)
        added = []
        for name in names:
            if name.endswith(".py") and (everything or name in wanted):
                source = root / name
                cfile = Path(importlib.util.cache_from_source(str(source)))
                if py_compile.compile(
                    str(source),
                    cfile=str(cfile),
                    dfile=f"{SITE_PACKAGES}/{name}",
                    invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
                ):
                    added.append(cfile.relative_to(root).as_posix())
        if not added:
            return 0
        record = next(n for n in names if n.endswith(".dist-info/RECORD"))
        files = {n: (root / n).read_bytes() for n in names + added if n != record}
        files[record] = ("\n".join([_record_line(n, d) for n, d in files.items()] + [f"{record},,"]) + "\n").encode()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as out:
            for arcname, data in files.items():
                info = zipfile.ZipInfo(arcname, date_time=FIXED_TIME)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                out.writestr(info, data)
    wheel.write_bytes(buffer.getvalue())
    return len(added)


def needs_trace(file_names: list[str]) -> bool:
    """Only wheels compiled selectively need `imported_files` (and their packages loaded)."""
    return any(name.split("-")[0] not in COMPILE_ALL_OF for name in file_names)


def compile_all(folder: str, file_names: list[str]) -> dict[str, int]:
    wanted = imported_files() if needs_trace(file_names) else set()
    return {name: compile_wheel(Path(folder) / name, wanted) for name in file_names}
