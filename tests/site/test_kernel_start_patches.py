"""The two build-time patches that shorten a kernel start (site/service_worker.py, site/kernel_path.py),
applied to the very files JupyterLite and its Pyodide kernel ship, and run: JupyterLite's service worker in
Node with a stand-in `self`, piplite's patched __init__ in a Python whose sys.path starts with "".
What they save is measured by benchmarks/kernel_start.py, not here."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import jupyterlite_core
import kernel_path
import pytest
import service_worker

ROOT = Path(__file__).resolve().parents[2]
APP_TGZ = sorted(Path(jupyterlite_core.__file__).parent.glob("jupyterlite-app-*.tgz"))
PIPLITE = sorted(
    (Path(sys.prefix) / "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension/static/pypi").glob(
        "piplite-*.whl"
    )
)

# Loads the service worker with a stand-in `self`, dispatches one fetch event per URL given on the command
# line and prints, for each, whether the worker answered it itself (respondWith) or left it to the browser.
SW_HARNESS = r"""
const fs = require("node:fs");
const [file, ...urls] = process.argv.slice(1);  // node -e: no script path in argv
const listeners = {};
globalThis.self = { addEventListener: (t, f) => (listeners[t] = f), skipWaiting() {}, clients: { claim() {} } };
globalThis.location = new URL("http://127.0.0.1:8000/service-worker.js?enableCache=false");
globalThis.caches = { open: async () => ({ addAll: async () => {}, match: async () => null, put: async () => {} }) };
globalThis.URLPattern ??= class { constructor(parts) { Object.assign(this, parts); } };  // Node 20 has none
globalThis.fetch = async () => new Response("from the network");
eval(fs.readFileSync(file, "utf8"));
listeners.activate({ waitUntil() {} });
const routes = [];
listeners.install({ waitUntil() {}, addRoutes: async (r) => routes.push(r) });
const answered = {};
for (const url of urls) {
  let took = false;
  const request = new Request(url, url.includes("/api/drive") ? { method: "POST", body: "{}" } : {});
  listeners.fetch({ request, respondWith: () => (took = true), waitUntil() {} });
  answered[url] = took;
}
console.log(JSON.stringify({ answered, routes }));
process.exit(0);
"""


@pytest.fixture(scope="module")
def pristine_service_worker(tmp_path_factory) -> Path:
    assert APP_TGZ, "jupyterlite-core ships no jupyterlite-app-*.tgz"
    with tarfile.open(APP_TGZ[-1]) as tf:
        text = tf.extractfile("package/service-worker.js").read().decode()
    path = tmp_path_factory.mktemp("sw") / "service-worker.js"
    path.write_text(text)
    return path


def run_service_worker(path: Path, urls: list[str]) -> dict:
    out = subprocess.run(["node", "-e", SW_HARNESS, str(path), *urls], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


STATIC = [
    "http://127.0.0.1:8000/build/1053.6c533be.js",
    "http://127.0.0.1:8000/static/pyodide/pyodide.asm.wasm",
    "http://127.0.0.1:8000/static/pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl",
]
API = ["http://127.0.0.1:8000/api/service-worker-heartbeat", "http://127.0.0.1:8000/api/drive"]


def test_jupyterlites_own_service_worker_pipes_every_static_file_through_itself(pristine_service_worker):
    # what the patch is for: without it the worker answers every GET itself with fetch(request)
    got = run_service_worker(pristine_service_worker, STATIC)
    assert all(got["answered"].values()), got


def test_patched_service_worker_leaves_static_files_to_the_browser_and_keeps_the_api(pristine_service_worker):
    service_worker.patch(pristine_service_worker.parent)
    got = run_service_worker(pristine_service_worker, STATIC + API)
    assert not any(got["answered"][url] for url in STATIC), got
    assert all(got["answered"][url] for url in API), got  # /drive and the heartbeat still work
    assert got["routes"] and got["routes"][0]["source"] == "network", got  # static route installed


def test_patching_an_unknown_service_worker_fails_the_build(tmp_path):
    (tmp_path / "service-worker.js").write_text("self.addEventListener('fetch', () => {});")
    with pytest.raises(SystemExit, match="jupyterlite-core changed"):
        service_worker.patch(tmp_path)


def test_patched_piplite_moves_the_working_directory_to_the_end_of_sys_path(tmp_path):
    assert PIPLITE, "jupyterlite-pyodide-kernel ships no piplite wheel"
    wheel = kernel_path.patch_wheel(PIPLITE[-1].read_bytes())
    with zipfile.ZipFile(io.BytesIO(wheel)) as zf:
        source = zf.read(kernel_path.TARGET).decode()
        record = zf.read(next(n for n in zf.namelist() if n.endswith("RECORD"))).decode()
    assert kernel_path.patch_wheel(wheel) == wheel  # patching twice changes nothing
    assert f"{kernel_path.TARGET},sha256=" in record
    prologue = source.split("from .piplite import")[0]  # piplite itself needs micropip (Pyodide only)
    # `python -c` starts with "" first on sys.path, as Pyodide does
    code = f"import sys\nassert sys.path[0] == ''\nexec({prologue!r})\nprint(repr(sys.path[0]), repr(sys.path[-1]))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    first, last = out.stdout.split()
    assert first != "''" and last == "''", out.stdout
