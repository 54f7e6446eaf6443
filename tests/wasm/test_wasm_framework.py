"""The framework's unit tests (tests/framework) pass inside Pyodide too, i.e. in the browser's Python.

The repository is mounted into Pyodide (NODEFS, read in place) with its root first on sys.path, so
the tests exercise the current source. Tests that need native-only packages (torch, nbclient) must
skip themselves when those cannot be imported.
"""

import json

import pytest

pytestmark = pytest.mark.wasm

INNER = """
import json, os, sys
os.chdir("/repo")
sys.path.insert(0, "/repo")
sys.dont_write_bytecode = True      # never write Python 3.12 caches into the mounted repo
import pytest

class CountCollected:
    collected = 0
    def pytest_collection_finish(self, session):
        CountCollected.collected = len(session.items)

counter = CountCollected()
rc = int(pytest.main(["-p", "no:cacheprovider", "-m", "not slow", "-rfE", "tests/framework"],
                     plugins=[counter]))
print("WASM_PYTEST " + json.dumps({"exit": rc, "collected": counter.collected}))
rc
"""


def test_framework_suite_passes_in_pyodide(run_in_pyodide, inner_pytest_wheels, repo_root, capsys):
    result = run_in_pyodide(
        INNER,
        packages=["numpy", "matplotlib", "micropip", "packaging"],
        wheels=inner_pytest_wheels,
        mounts={"/repo": str(repo_root)},
    )
    lines = result.stdout.splitlines()
    marker = next((line for line in lines if line.startswith("WASM_PYTEST ")), None)
    summary = "\n".join(line for line in lines[-15:] if not line.startswith("WASM_PYTEST "))
    with capsys.disabled():
        print(f"\n[pyodide pytest tests/framework]\n{summary}\n{result.stderr.strip()[-2000:]}")
    assert marker is not None, f"inner pytest did not finish:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    inner = json.loads(marker.removeprefix("WASM_PYTEST "))
    assert inner["collected"] > 0, f"no framework tests collected under Pyodide:\n{result.stdout[-4000:]}"
    assert inner["exit"] == 0 and result.returncode == 0, (
        f"framework tests failed under Pyodide (exit {inner['exit']}):\n{result.stdout[-6000:]}"
    )
