"""Imports in the kernel look in the browser's storage last, not first (a patch of the kernel's piplite wheel).

Why: with a service worker, the kernel's worker mounts the browser's storage at /drive and starts in it,
and Pyodide puts "" (the working directory) first on sys.path. Every top-level import therefore asks
/drive first, and each of those look-ups is a synchronous request from the worker through the service
worker to the page and back: benchmarks/kernel_start.py counted ~110 of them during a kernel start and
measured 11-19 ms each (0.1 ms each without "" in front). With the patch 46 remain (modules that exist
nowhere, e.g. `_hashlib`, still end in /drive, and the first such miss lists the notebook's folder);
open -> first output became 0.97x cold and 0.91x warm (medians of 6 interleaved runs at load 4-6).
What: piplite is the first module the kernel imports once /drive is mounted (jupyterlite-pyodide-kernel
0.6.1's worker runs `import piplite.piplite` before `import pyodide_kernel`), so a few lines at the top of
its __init__.py move "" to the end of sys.path. A learner's own module next to the notebook still
imports; it can no longer shadow an installed package (numpy.py, random.py), a classic beginner's trap.
IPython adds "" only when it is missing, so it stays at the end.
"""

from __future__ import annotations

import wheel_files

TARGET = "piplite/__init__.py"
PROLOGUE = b"""
import sys as _sys

# Added by the TinyTorch course build (site/kernel_path.py): the working directory is /drive, the
# browser's storage, where each look-up is a synchronous request; look there after the installed packages.
if "" in _sys.path:
    _sys.path.remove("")
    _sys.path.append("")
del _sys
"""
MARKER = b"site/kernel_path.py"


def patched_init(source: bytes) -> bytes:
    """piplite/__init__.py with PROLOGUE after its docstring (once)."""
    if MARKER in source:
        return source
    docstring_end = source.index(b'"""', 3) + 3 if source.startswith(b'"""') else 0
    return source[:docstring_end] + b"\n" + PROLOGUE + source[docstring_end:]


def patch_wheel(wheel_bytes: bytes) -> bytes:
    """The piplite wheel with its __init__.py patched and its RECORD rewritten."""
    return wheel_files.patch_file(wheel_bytes, TARGET, patched_init)
