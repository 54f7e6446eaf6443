"""Fixtures for the tests that run Python inside Pyodide (WebAssembly) under Node.js.

They use what the site ships: the Pyodide dist in site/_output/static/pyodide (built by
`make site`) and the pytest wheels downloaded for Pyodide into .cache/pyodide-wheels (by the
same target). Node runs inside `unshare -n` (no network at all) when the system permits it, which
proves nothing is fetched at test time.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "site" / "_output" / "static" / "pyodide"
PYODIDE_WHEELS = REPO / ".cache" / "pyodide-wheels"
RUNNER = REPO / "site" / "run_in_pyodide.mjs"


def _offline_prefix() -> list[str]:
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-n"]
    return []


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def pyodide_dist() -> Path:
    if not (DIST / "pyodide-lock.json").is_file():
        pytest.fail(f"{DIST} is missing: build the site first (`make site`)")
    if shutil.which("node") is None:
        pytest.fail("node is not on PATH (Node.js runs Pyodide for these tests)")
    if not (REPO / "node_modules" / "pyodide").is_dir():
        pytest.fail("node_modules/pyodide is missing: run `npm ci` (or `make setup`)")
    return DIST


@pytest.fixture(scope="session")
def run_in_pyodide(pyodide_dist, tmp_path_factory):
    """run(code, packages=[], wheels=[], mounts={}, timeout=s, dist=site's) -> CompletedProcess.

    `code` runs with top-level await allowed; its last expression (an int) is the exit code.
    """
    prefix = _offline_prefix()

    def run(code: str, packages=(), wheels=(), mounts=None, timeout=900, dist=None):
        job = {
            "dist": str(dist or pyodide_dist),
            "packages": list(packages),
            "wheels": [str(w) for w in wheels],
            "mounts": mounts or {},
            "code": code,
        }
        job_file = tmp_path_factory.mktemp("pyodide") / "job.json"
        job_file.write_text(json.dumps(job))
        # stack switching (JSPI) is on by default in Chromium, behind this flag in Node 20: without it
        # Pyodide cannot run asyncio.run() / run_sync(), which work in the browser
        node = ["node", "--experimental-wasm-stack-switching"]
        return subprocess.run(
            prefix + node + [str(RUNNER), str(job_file)], cwd=REPO, capture_output=True, text=True, timeout=timeout
        )

    return run


@pytest.fixture(scope="session")
def inner_pytest_wheels() -> list[Path]:
    """pytest and its pure deps for Pyodide (packaging comes from the Pyodide lock)."""
    wheels = [
        next(iter(sorted(PYODIDE_WHEELS.glob(f"{name}-*.whl"))), None) for name in ("pytest", "pluggy", "iniconfig")
    ]
    if None in wheels:
        pytest.fail(f"pytest/pluggy/iniconfig wheels missing in {PYODIDE_WHEELS}: run `make site`")
    return wheels
