"""Keep the memory NumPy frees for its next arrays, instead of handing it back to the OS (glibc only).

Why: a training step allocates and frees the same large arrays (activations, gradients) on every
step. glibc's malloc returns freed heap memory to the kernel as soon as more than a few MB sit free
at the top of the heap, so the next step gets fresh pages and the kernel zero-fills each on first
touch. Measured on a GPT training step (2 blocks, embed 64, context 64, batch 32, one BLAS thread):
10,000 page faults and ~40 % of the step's time. Raising malloc's trim and mmap thresholds once
keeps up to `KEEP_MB` of freed memory for reuse, and the same step has no page faults. PyTorch users
get this from jemalloc or tcmalloc (its CPU performance guide says so); NumPy alone cannot.

The cost: the process holds up to KEEP_MB it no longer uses. `release()` hands it back.
TINYTORCH_KEEP_FREED_MEMORY=0 in the environment leaves malloc as it is. Nothing happens on other C
libraries (macOS, Windows, musl) or in the browser, where WebAssembly memory is never returned anyway.
"""

from __future__ import annotations

import ctypes
import os
import sys

KEEP_MB = 256
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameter numbers from glibc's malloc.h
_MMAP_MB = 32  # arrays up to this size come from the reusable heap (glibc's own dynamic maximum)

_kept = False


def uses_glibc() -> bool:
    """Linux with the GNU C library (not musl, not the browser's Emscripten libc)."""
    return (
        sys.platform == "linux"
        and "CS_GNU_LIBC_VERSION" in getattr(os, "confstr_names", {})
        and bool(os.confstr("CS_GNU_LIBC_VERSION"))
    )


def keep_freed_memory() -> bool:
    """Ask glibc's malloc to keep freed memory for reuse. True if it now does (idempotent)."""
    global _kept
    if not _kept and uses_glibc() and os.environ.get("TINYTORCH_KEEP_FREED_MEMORY", "1") != "0":
        libc = ctypes.CDLL(None)
        _kept = bool(libc.mallopt(_M_MMAP_THRESHOLD, _MMAP_MB << 20)) and bool(
            libc.mallopt(_M_TRIM_THRESHOLD, KEEP_MB << 20)
        )
    return _kept


def release() -> None:
    """Hand the freed memory kept so far back to the OS now (e.g. after training, before other work)."""
    if uses_glibc():
        ctypes.CDLL(None).malloc_trim(0)
