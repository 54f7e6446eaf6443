"""The site's Pyodide ships numpy 2.0.2 and the tinytorch wheel from its own lock."""

import pytest

pytestmark = pytest.mark.wasm


def test_numpy_and_tinytorch_import_from_the_shipped_lock(run_in_pyodide):
    code = """
import sys, numpy, tinytorch
print("SMOKE", sys.version.split()[0], sys.platform, numpy.__version__, tinytorch.__file__)
0
"""
    result = run_in_pyodide(code, packages=["numpy", "tinytorch"], timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    smoke = next((line.split() for line in result.stdout.splitlines() if line.startswith("SMOKE")), None)
    assert smoke is not None, output
    _, python, platform, numpy_version, tinytorch_file = smoke
    assert (python, platform, numpy_version) == ("3.12.7", "emscripten", "2.0.2")
    # the wheel installed from the lock, not a source tree
    assert tinytorch_file.endswith("site-packages/tinytorch/__init__.py"), tinytorch_file
