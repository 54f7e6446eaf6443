"""site/service_worker.py on the service worker of the installed jupyterlite-core (the file `jupyter lite
build` ships), run in Node with a stand-in for the browser's service-worker globals: which requests it
answers itself and which it leaves to the browser."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "site"))

import service_worker  # noqa: E402

APP = sorted((Path(sys.prefix) / "lib").glob("python3*/site-packages/jupyterlite_core/jupyterlite-app-*.tgz"))

# the service worker's globals, then its fetch handler called for each URL: did it call respondWith?
HARNESS = """
const listeners = {};
globalThis.self = { addEventListener: (type, fn) => (listeners[type] = fn), skipWaiting() {}, clients: { claim() {} } };
globalThis.location = new URL("http://h/course/service-worker.js");
globalThis.BroadcastChannel = class { postMessage() {} addEventListener() {} removeEventListener() {} };
globalThis.fetch = async () => new Response("network");
globalThis.caches = { open: async () => ({ addAll: async () => {}, match: async () => null, put: async () => {} }) };
SOURCE
listeners.activate({ waitUntil() {} });
const answered = {};
for (const url of URLS) {
  let answer = false;
  listeners.fetch({ request: { url, method: "GET", json: async () => ({}) }, respondWith: () => (answer = true) });
  answered[url] = answer;
}
console.log(JSON.stringify(answered));
"""
URLS = [
    "http://h/course/api/drive.v1",  # the kernel's /drive
    "http://h/course/api/stdin/kernel",  # input()
    "http://h/course/static/pyodide/numpy-2.0.2-cp312-cp312-pyodide_2024_0_wasm32.whl",
    "http://h/course/static/pyodide/pyodide.asm.wasm",
    "http://h/course/build/notebooks/bundle.js",
]


def answered(source: str) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = HARNESS.replace("SOURCE", source).replace("URLS", json.dumps(URLS))
    out = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture
def shipped(tmp_path) -> Path:
    if not APP:
        pytest.skip("jupyterlite-core is not installed here")
    with tarfile.open(APP[-1]) as app:
        (tmp_path / "service-worker.js").write_bytes(app.extractfile("package/service-worker.js").read())
    return tmp_path


def test_only_drive_and_input_requests_go_through_the_service_worker(shipped):
    original = answered((shipped / "service-worker.js").read_text())
    assert all(original.values()), "the shipped service worker answers every request (what the patch changes)"
    service_worker.patch_site(shipped)
    patched = answered((shipped / "service-worker.js").read_text())
    assert patched == {url: "/api/" in url for url in URLS}


def test_an_unknown_service_worker_stops_the_build(shipped):
    service_worker.patch_site(shipped)
    with pytest.raises(SystemExit, match="not once"):
        service_worker.patch_site(shipped)
