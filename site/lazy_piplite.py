"""The kernel's piplite loads its installer at the first `%pip` or `piplite.install`, not at every kernel
start (a patch of the kernel's piplite wheel; the kernel's worker imports `piplite`, not `piplite.piplite`:
see early_kernel.py).

Why: jupyterlite-pyodide-kernel 0.6.1 imports `piplite.piplite` at every start to give it two settings
(no PyPI fallback, the site's package index), and that module imports micropip, packaging and
unittest.mock: 0.5 s of each start in Chromium (benchmarks/kernel_start.py, floor+kernel), for a tool
the offline course's learners hardly use.
What: piplite/__init__.py makes `piplite.piplite` a lazy module with the standard library's
importlib.util.LazyLoader: the module object exists (the kernel sets its two settings on it without
running it), and its code runs at the first attribute read or `from piplite.piplite import ...`, after
which the settings set earlier are put back (LazyLoader's rule), so `%pip` sees them.
"""

from __future__ import annotations

import wheel_files

TARGET = "piplite/__init__.py"
EAGER = b"from .piplite import install\n"
LAZY = b"""# Added by the TinyTorch course build (site/lazy_piplite.py): piplite.piplite (micropip, unittest.mock:
# 0.5 s) runs at its first use, not at every kernel start; attributes set on it before then are kept.
import importlib.util as _util
import sys as _sys

_spec = _util.find_spec(__name__ + ".piplite")
_spec.loader = _util.LazyLoader(_spec.loader)
piplite = _util.module_from_spec(_spec)
_sys.modules[_spec.name] = piplite
_spec.loader.exec_module(piplite)
del _util, _sys, _spec


def install(*args, **kwargs):
    return piplite.install(*args, **kwargs)


install.__doc__ = "See piplite.piplite.install (loaded when this is first called)."
"""


def patched_init(source: bytes) -> bytes:
    """piplite/__init__.py with its eager import replaced (once)."""
    if LAZY in source:
        return source
    if source.count(EAGER) != 1:
        raise SystemExit(f"lazy_piplite: {TARGET} does not import `install` as expected: has piplite changed?")
    return source.replace(EAGER, LAZY)


def patch_wheel(wheel_bytes: bytes) -> bytes:
    """The piplite wheel with its __init__.py patched and its RECORD rewritten."""
    return wheel_files.patch_file(wheel_bytes, TARGET, patched_init)
