"""site/kernel_path.py, the build-time patch of the kernel's piplite wheel that makes imports look in /drive
last: applied to the very wheel jupyterlite-pyodide-kernel ships, and its prologue run in a Python whose
sys.path starts with "" as Pyodide's does. What it saves is measured by benchmarks/kernel_start.py; that a
learner's module next to the notebook still imports is tested in the page (tests/browser/test_site.py)."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import kernel_path

PIPLITE = sorted(
    (Path(sys.prefix) / "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension/static/pypi").glob(
        "piplite-*.whl"
    )
)


def test_patched_piplite_moves_the_working_directory_to_the_end_of_sys_path(tmp_path):
    assert PIPLITE, "jupyterlite-pyodide-kernel ships no piplite wheel"
    wheel = kernel_path.patch_wheel(PIPLITE[-1].read_bytes())
    with zipfile.ZipFile(io.BytesIO(wheel)) as zf:
        source = zf.read(kernel_path.TARGET).decode()
        record = zf.read(next(n for n in zf.namelist() if n.endswith("RECORD"))).decode()
    assert kernel_path.patch_wheel(wheel) == wheel  # patching twice changes nothing
    assert f"{kernel_path.TARGET},sha256=" in record
    assert source.startswith('"""') and "from .piplite import install" in source  # the module is still piplite
    prologue = source.split("from .piplite import")[0]  # piplite itself needs micropip (Pyodide only)
    # `python -c` starts with "" first on sys.path, as Pyodide does
    code = f"import sys\nassert sys.path[0] == ''\nexec({prologue!r})\nprint(repr(sys.path[0]), repr(sys.path[-1]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    first, last = out.stdout.split()
    assert first != "''" and last == "''", out.stdout


def test_the_unpatched_piplite_leaves_the_working_directory_first(tmp_path):
    # what the patch is for: without it, every import asks /drive first
    with zipfile.ZipFile(PIPLITE[-1]) as zf:
        source = zf.read(kernel_path.TARGET).decode()
    prologue = source.split("from .piplite import")[0]
    code = f"import sys\nexec({prologue!r})\nprint(repr(sys.path[0]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.stdout.strip() == "''", out
