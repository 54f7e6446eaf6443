"""tinytorch.backend in Pyodide (the browser's Python), under Node, offline, from the built site's dist.

1. With the dist as shipped: the first large product loads the tinytorch-blas wheel (SciPy's _fblas
   alone, never preloaded; the whole SciPy wheel is not loaded) and routes float products through
   OpenBLAS sgemm/dgemm; the numbers equal NumPy's `@` (tolerance) through matmul, Linear, conv2d and
   attention, forward and backward.
2. With a dist without tinytorch-blas (a site built before it): the same, from the whole SciPy wheel.
3. With a dist whose lock lacks SciPy too (a trimmed one): NumPy multiplies, training still works,
   and tt.backend() says why.
"""

from __future__ import annotations

import json
import os

import pytest

pytestmark = pytest.mark.wasm

PRELUDE = """
import json, sys
sys.path.insert(0, "/repo")
sys.dont_write_bytecode = True
import numpy as np
import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch import backend
report = {"scipy_preloaded": "scipy" in sys.modules, "first": tt.backend()}
"""

SAME_NUMBERS = (
    PRELUDE
    + """
rng = np.random.default_rng(0)
x = tt.randn(64, 64)
_ = x @ x                                   # the first large product decides
report["after_first_product"] = tt.backend()
report["scipy_linalg_imported"] = "scipy.linalg" in sys.modules   # only _fblas, not the heavy package
import pyodide_js
report["packages_loaded"] = sorted(name for name in pyodide_js.loadedPackages.object_keys()
                                   if name in ("scipy", "tinytorch-blas", "openblas"))

def step():
    r = np.random.default_rng(3)
    x = tt.tensor(r.standard_normal((4, 40, 48)).astype(np.float32), requires_grad=True)
    w = tt.tensor(r.standard_normal((64, 48)).astype(np.float32) * 0.1, requires_grad=True)
    img = tt.tensor(r.standard_normal((8, 3, 12, 12)).astype(np.float32), requires_grad=True)
    k = tt.tensor(r.standard_normal((16, 3, 3, 3)).astype(np.float32) * 0.1, requires_grad=True)
    h = F.linear(x, w).reshape(4, 40, 2, 32).transpose(1, 2)
    att = F.scaled_dot_product_attention(h, h, h)
    loss = (att * att).sum() + (F.conv2d(img, k, padding=1) ** 2).sum()
    loss.backward()
    return [loss.data, x.grad.data, w.grad.data, img.grad.data, k.grad.data]

errors = {}
for dtype in (np.float32, np.float64):
    a = rng.standard_normal((96, 130)).astype(dtype)
    b = rng.standard_normal((130, 70)).astype(dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-10
    errors[np.dtype(dtype).name] = bool(np.allclose(backend.matmul(a, b), a @ b, rtol=tol, atol=tol)
                                        and np.allclose(backend.matmul(b.T, a.T), (a @ b).T, rtol=tol, atol=tol))
backend.use("numpy")
expected = step()
backend.use("blas")
got = step()
errors["training_step"] = all(np.allclose(g, e, rtol=2e-4, atol=2e-4) for g, e in zip(got, expected))
report["same_numbers"] = errors
print("WASM_BACKEND " + json.dumps(report))
0
"""
)

WITHOUT_SCIPY = (
    PRELUDE
    + """
layer = tt.nn.Linear(64, 64)
x = tt.randn(64, 64, requires_grad=True)
layer(x).sum().backward()
report["grad_shape"] = list(x.grad.shape)
report["after_first_product"] = tt.backend()
try:
    backend.use("blas")
    report["use_blas"] = "no error"
except backend.BackendUnavailableError as err:
    report["use_blas"] = str(err)
print("WASM_BACKEND " + json.dumps(report))
0
"""
)


def _report(result) -> dict:
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith("WASM_BACKEND ")), None)
    assert line is not None and result.returncode == 0, (
        f"Pyodide run failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return json.loads(line.removeprefix("WASM_BACKEND "))


def test_blas_backend_loads_lazily_and_equals_numpy_in_pyodide(run_in_pyodide, repo_root):
    report = _report(run_in_pyodide(SAME_NUMBERS, packages=["numpy"], mounts={"/repo": str(repo_root)}))
    assert report["scipy_preloaded"] is False
    assert report["first"].startswith("undecided:")
    assert report["after_first_product"].startswith("blas: Pyodide's NumPy has no BLAS"), report
    assert report["scipy_linalg_imported"] is False
    assert report["packages_loaded"] == ["openblas", "tinytorch-blas"], "the whole SciPy wheel was loaded"
    assert report["same_numbers"] == {"float32": True, "float64": True, "training_step": True}


def _dist_without(pyodide_dist, packages, folder):
    """The site's dist with `packages` taken out of its lock and their files left out (others symlinked)."""
    lock = json.loads((pyodide_dist / "pyodide-lock.json").read_text())
    dropped = [lock["packages"].pop(name)["file_name"] for name in packages]
    for item in pyodide_dist.iterdir():
        if item.name not in dropped and item.name != "pyodide-lock.json":
            os.symlink(item, folder / item.name)
    (folder / "pyodide-lock.json").write_text(json.dumps(lock))
    return folder


def test_site_without_tinytorch_blas_loads_scipy_instead(run_in_pyodide, pyodide_dist, repo_root, tmp_path):
    dist = _dist_without(pyodide_dist, ["tinytorch-blas"], tmp_path)
    report = _report(run_in_pyodide(SAME_NUMBERS, packages=["numpy"], mounts={"/repo": str(repo_root)}, dist=dist))
    assert report["after_first_product"].startswith("blas: Pyodide's NumPy has no BLAS"), report
    assert report["packages_loaded"] == ["openblas", "scipy"]
    assert report["same_numbers"] == {"float32": True, "float64": True, "training_step": True}


def test_page_without_scipy_still_trains_with_numpy(run_in_pyodide, pyodide_dist, repo_root, tmp_path):
    """A dist whose lock ships neither SciPy nor tinytorch-blas (nor OpenBLAS)."""
    dist = _dist_without(pyodide_dist, ["tinytorch-blas", "scipy", "openblas"], tmp_path)
    report = _report(run_in_pyodide(WITHOUT_SCIPY, packages=["numpy"], mounts={"/repo": str(repo_root)}, dist=dist))
    assert report["grad_shape"] == [64, 64]
    assert report["after_first_product"].startswith("numpy: SciPy's BLAS is not available in this page"), report
    assert report["use_blas"] != "no error"
