"""Which engine multiplies matrices: NumPy's `@`, or SciPy's BLAS (`sgemm`/`dgemm`) called directly.

Why this exists: natively NumPy is built on an optimised BLAS, so `a @ b` is already fast. The
browser's NumPy (Pyodide) is built *without* BLAS: a float32 512x512 product runs at ~0.7 GFLOP/s
there, while the same distribution's SciPy carries OpenBLAS and runs it 2.5-6x faster. So in the page
(`sys.platform == "emscripten"`) large float products go through SciPy's `_fblas` extension; natively
nothing changes. The decision is taken once per process, lazily, on the first product big enough to
benefit (or when a notebook calls `use("blas")`), so lessons that never multiply large matrices never
pay for loading it (the site's tinytorch-blas wheel, SciPy's _fblas alone, plus 6.1 MB OpenBLAS;
the whole 13.5 MB SciPy wheel where a site lacks it).

    import tinytorch as tt
    tt.backend()            # 'numpy: ...why...' or 'blas: ...why...'
    tt.backend.use("blas")  # ask for SciPy's BLAS now (natively too: that is how the tests force it)
    tt.backend.use("numpy") # back to NumPy's `@`

Only `_fblas` is loaded, never `scipy.linalg` (whose `__init__` imports 148 modules, 2-3 s in the page).
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import types
from pathlib import Path

import numpy as np

# m*k*n below this: NumPy's own loop is as fast as calling BLAS (measured in Pyodide: the crossover is
# around 32x32x32 for float32; smaller products are dominated by call overhead)
MIN_WORK = 32**3

IN_BROWSER = sys.platform == "emscripten"

_choice: str | None = None  # "numpy" or "blas"; None = not decided yet
_reason = "the first product of at least 32x32x32 decides"
_gemm: dict = {}  # dtype -> scipy's sgemm / dgemm


class BackendUnavailableError(RuntimeError):
    """Raised by use("blas") when SciPy's BLAS cannot be loaded (the message says why and what to do)."""


def which() -> str:
    """'<backend>: <why>' for the learner, e.g. 'numpy: native NumPy already uses BLAS'."""
    return f"{_choice or 'undecided'}: {_reason}"


def use(name: str) -> str:
    """Choose the backend now: "blas" (SciPy's sgemm/dgemm) or "numpy" (NumPy's `@`). Returns which()."""
    global _choice, _reason
    if name == "numpy":
        _choice, _reason = "numpy", "chosen with tt.backend.use('numpy')"
    elif name == "blas":
        _load_blas()  # raises BackendUnavailableError with the reason
        _choice, _reason = "blas", "chosen with tt.backend.use('blas'): SciPy's sgemm/dgemm via scipy.linalg._fblas"
    else:
        raise ValueError(f"unknown backend {name!r}: use 'blas' (SciPy's BLAS) or 'numpy' (NumPy's @)")
    return which()


def _decide() -> None:
    """First large product: NumPy natively; in the page, SciPy's BLAS if it can be loaded."""
    global _choice, _reason
    if not IN_BROWSER:
        _choice, _reason = "numpy", "native NumPy already multiplies through an optimised BLAS"
        return
    try:
        _load_blas()
    except BackendUnavailableError as err:
        _choice, _reason = "numpy", f"SciPy's BLAS is not available in this page ({err})"
        return
    _choice, _reason = "blas", "Pyodide's NumPy has no BLAS, so large float products use SciPy's OpenBLAS (sgemm/dgemm)"


def _load_blas() -> None:
    """Fill _gemm from scipy.linalg._fblas, loading its wheel first in the page if needed."""
    if _gemm:
        return
    fblas = _load_extension("scipy.linalg._fblas", _fblas_folder())
    _gemm[np.dtype(np.float32)] = fblas.sgemm
    _gemm[np.dtype(np.float64)] = fblas.dgemm


def _fblas_folder() -> Path:
    """The folder holding _fblas: the site's `tinytorch_blas` wheel (SciPy's _fblas alone, 63 kB; with
    OpenBLAS it loads in 0.4 s in Pyodide under Node, see site/blas_wheel.py), else SciPy's own
    `scipy/linalg` (in the page the whole SciPy wheel: 3.0 s, unpacking and compiling all of SciPy)."""
    for package, inner in (("tinytorch_blas", "."), ("scipy", "linalg")):
        if importlib.util.find_spec(package) is None and IN_BROWSER:
            _load_pyodide_package(package.replace("_", "-"))
        spec = importlib.util.find_spec(package)
        if spec is not None and spec.submodule_search_locations:
            return Path(spec.submodule_search_locations[0]) / inner
    raise BackendUnavailableError("SciPy is not installed; NumPy's @ is used instead")


def _load_pyodide_package(name: str) -> None:
    """Install a package of the site's lock now. Pyodide installs one only when asked; loadPackage is
    async, so wait with run_sync (needs JS stack switching: on in Chromium,
    `--experimental-wasm-stack-switching` in Node 20). A name the lock does not have is left alone
    (an older site has no tinytorch-blas; a trimmed one no SciPy): the caller looks for the next."""
    import pyodide_js  # exists only in Pyodide
    from pyodide.ffi import can_run_sync, run_sync

    if not can_run_sync():
        raise BackendUnavailableError(
            "this browser cannot wait for a download inside a computation; "
            f"run `await pyodide_js.loadPackage('{name}')` in a cell first, then tt.backend.use('blas')"
        )
    print(f"tinytorch: loading BLAS for large matrix products ({name}, once per kernel)...")
    try:
        run_sync(pyodide_js.loadPackage(name))
    except Exception as err:  # a JsException
        if "No known package" in str(err):
            return
        raise BackendUnavailableError(f"loading the {name} wheel failed: {err}") from err
    _forget_listed_folders()


def _forget_listed_folders() -> None:
    """Make the import system see the package just installed into site-packages.

    Only the folder finders need to list their folders again. importlib.invalidate_caches() would also
    re-read the directory of python312.zip once per package inside it (38 zip finders after the
    milestones' imports: 0.3-0.4 s in Pyodide, and Pyodide's loadPackage already calls it once).
    """
    for finder in list(sys.path_importer_cache.values()):
        if isinstance(finder, importlib.machinery.FileFinder):
            finder.invalidate_caches()


def _load_extension(name: str, folder: Path) -> types.ModuleType:
    """Import one compiled module by file, skipping its package's __init__ (scipy.linalg's is heavy)."""
    if name in sys.modules:
        return sys.modules[name]
    stem = name.rsplit(".", 1)[-1]
    files = [p for p in folder.glob(f"{stem}.*") if p.name.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))]
    if not files:
        raise BackendUnavailableError(f"SciPy is installed but {folder}/{stem}.* is missing")
    loader = importlib.machinery.ExtensionFileLoader(name, str(files[0]))
    module = importlib.util.module_from_spec(importlib.util.spec_from_file_location(name, files[0], loader=loader))
    loader.exec_module(module)
    return module


def matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b with NumPy's semantics; large float32/float64 products go through the chosen backend.

    Handles 2-D @ 2-D, N-D @ 2-D (the batch folded into rows when that is a free reshape) and
    N-D @ N-D with equal batch shapes (one gemm per matrix); everything else is NumPy's `@`.
    """
    if a.ndim < 2 or b.ndim < 2 or a.dtype != b.dtype or a.dtype not in (np.float32, np.float64):
        return a @ b
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    if m * k * n < MIN_WORK or k != b.shape[-2]:
        return a @ b
    if b.ndim == 2 and a.ndim > 2 and a.flags.c_contiguous:
        # (..., m, k) -> (batch*m, k) is a view, and one big product beats a loop of small ones
        # (NumPy's own batched @ too: measured 1.5x on a GPT's (32, 64, 256) @ (256, 64))
        return matmul(a.reshape(-1, k), b).reshape(*a.shape[:-1], n)
    if _choice is None:
        _decide()
    if _choice != "blas":
        return a @ b
    if b.ndim == 2:
        return _gemm2d(a, b) if a.ndim == 2 else a @ b
    if a.shape[:-2] != b.shape[:-2]:
        return a @ b
    return _gemm_batched(a, b)


def _gemm2d(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """C = A @ B through Fortran BLAS without copying C-ordered or transposed operands.

    BLAS is column-major: a C-ordered (m, n) result is the column-major (n, m) matrix C.T = B.T @ A.T,
    and the transpose of a C-ordered array is column-major for free. Each operand is passed either as
    is (trans=0) or as its transpose with trans=1, whichever is Fortran-contiguous.
    """
    first, trans_first = _fortran_operand(b.T)
    second, trans_second = _fortran_operand(a.T)
    ct = _gemm[a.dtype](1.0, first, second, trans_a=trans_first, trans_b=trans_second)
    return ct.T


def _gemm_batched(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One gemm per matrix of the batch, each writing straight into its slice of the result.

    Attention's products are small (a GPT head: 128x12x128, 80 us in sgemm in Pyodide), so the Python
    around each call shows: a fresh result copied into place, np.ndindex and a layout check per matrix
    added 35 us each. Here the layout is decided once for the whole stack (every matrix of a reshaped
    batch has the same strides), each result is written through `c=` (the slice's transpose is the
    Fortran-ordered C.T that sgemm fills, see _gemm2d), and sgemm gets positional arguments: the loop
    then runs at sgemm's own speed.
    """
    m, n = a.shape[-2], b.shape[-1]
    out = np.empty((*a.shape[:-1], n), dtype=a.dtype)
    firsts, trans_first = _fortran_stack(b)
    seconds, trans_second = _fortran_stack(a)
    gemm = _gemm[a.dtype]
    for first, second, ct in zip(firsts, seconds, out.reshape(-1, m, n).transpose(0, 2, 1), strict=True):
        gemm(1.0, first, second, 0.0, ct, trans_first, trans_second, 1)  # alpha a b beta c ta tb overwrite_c
    return out


def _fortran_stack(x: np.ndarray) -> tuple[np.ndarray, int]:
    """The matrices of x (..., r, c) as (items, c, r) Fortran-ordered x_i.T with trans=0, or as the
    C-ordered x_i themselves with trans=1: _fortran_operand's choice, once for the whole stack.
    A batch that is not one reshape away from (items, r, c) is copied once, not per item."""
    stack = x.reshape(-1, *x.shape[-2:])
    if len(stack) and not stack[0].T.flags.f_contiguous:
        if stack[0].flags.f_contiguous:  # x_i.T is C-ordered: pass x_i, Fortran-ordered, transposed
            return stack, 1
        stack = np.ascontiguousarray(stack)
    return stack.transpose(0, 2, 1), 0


def _fortran_operand(x: np.ndarray) -> tuple[np.ndarray, int]:
    if x.flags.f_contiguous:
        return x, 0
    if x.flags.c_contiguous:
        return x.T, 1
    return np.asfortranarray(x), 0


class _CallableModule(types.ModuleType):
    """Lets the learner write `tt.backend()` for the explanation (same as tt.backend.which())."""

    def __call__(self) -> str:
        return which()


sys.modules[__name__].__class__ = _CallableModule
