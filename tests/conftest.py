"""Top-level pytest configuration: keeps tinytorch's global state from leaking between tests.

Markers (slow, browser, wasm) are declared in pyproject.toml. Nothing heavy is imported here:
this file is also loaded by the browser and Pyodide-in-Node suites.
"""

from __future__ import annotations

import os

# One BLAS thread, set before anything imports NumPy: on a busy 2-core machine threaded OpenBLAS
# made small training tests 5-10x slower (and it matches the browser, which has one thread).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _isolated_tinytorch_state():
    """Each test starts from float32 default, grad mode on and a seeded global generator.

    A test that fails halfway through a `no_grad()` block or a float64 section would otherwise change
    what every later test sees, and results would depend on test order.
    """
    import importlib

    # (not `import tinytorch.tensor as core`: the package's `tensor` *function* shadows that name)
    core = importlib.import_module("tinytorch.tensor")

    core.set_default_dtype("float32")
    core.manual_seed(0)
    core._grad_enabled = True
    yield
    core.set_default_dtype("float32")
    core._grad_enabled = True
