"""site/early_kernel.py, the build step that makes the kernel's worker start with the page: on the
jupyterlite-pyodide-kernel bundles installed in this environment (the ones `jupyter lite build` copies),
laid out as in the built site. The browser test in tests/browser/test_site.py checks it in Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "site"))

import early_kernel  # noqa: E402

INSTALLED = Path(sys.prefix) / "share/jupyter/labextensions" / early_kernel.EXTENSION.relative_to("extensions")


# the lock the fixture's site ships: the kernel's preloads, two dependencies, and a package nobody preloads
LOCK_DEPENDS = {
    **dict.fromkeys(["micropip", "piplite", "sqlite3", "ipykernel", "comm", "numpy"], []),
    "ipython": ["pygments"],
    "tinytorch": ["numpy"],
    "pygments": [],
    "pyodide-kernel": [],  # the key in Pyodide's form; the preload list says pyodide_kernel
    "matplotlib": ["numpy"],
}


@pytest.fixture
def site(tmp_path):
    """The extension's files, jupyter-lite.json naming its remoteEntry, and the two app pages."""
    if not INSTALLED.is_dir():
        pytest.skip(f"jupyterlite-pyodide-kernel is not installed here ({INSTALLED})")
    shutil.copytree(INSTALLED, tmp_path / early_kernel.EXTENSION)
    (entry,) = (tmp_path / early_kernel.EXTENSION / "static").glob("remoteEntry.*.js")
    config = json.loads((ROOT / "jupyter-lite.json").read_text())
    config["jupyter-config-data"]["litePluginSettings"][early_kernel.KERNEL_SETTINGS]["pyodideUrl"] = (
        "./static/pyodide/pyodide.js"
    )
    config["jupyter-config-data"]["federated_extensions"] = [
        {"name": "@jupyterlite/pyodide-kernel-extension", "load": f"static/{entry.name}", "extension": "./extension"}
    ]
    (tmp_path / "jupyter-lite.json").write_text(json.dumps(config))
    (tmp_path / "static/pyodide").mkdir(parents=True)
    (tmp_path / "static/pyodide/pyodide.asm.wasm").write_bytes(b"\0asm")
    preloads = config["jupyter-config-data"]["litePluginSettings"][early_kernel.KERNEL_SETTINGS]
    packages = {name: {"file_name": f"{name}-1.0-py3-none-any.whl", "sha256": "ab" * 32} for name in LOCK_DEPENDS}
    for name, depends in LOCK_DEPENDS.items():
        packages[name]["depends"] = depends
    assert {early_kernel.pyodide_dist.canonical(p) for p in preloads["loadPyodideOptions"]["packages"]} <= set(packages)
    (tmp_path / "static/pyodide/pyodide-lock.json").write_text(json.dumps({"packages": packages}))
    for app in early_kernel.PAGES:
        (tmp_path / app).mkdir()
        (tmp_path / app / "index.html").write_text("<html><head><title>x</title></head><body></body></html>")
    return tmp_path


def static_names(site: Path) -> set[str]:
    return {p.name for p in (site / early_kernel.EXTENSION / "static").glob("*.js")}


def test_patched_chunks_get_new_content_hashed_names_and_everything_naming_them_follows(site):
    before = static_names(site)
    early_kernel.patch_site(site)
    after = static_names(site)
    static = site / early_kernel.EXTENSION / "static"
    changed = sorted(after - before)
    # the two workers, the page chunk that creates them, and the remoteEntry that maps ids to names
    assert [name.split(".")[0] for name in changed] == ["352", "592", "620", "remoteEntry"]
    assert len(before - after) == 4, "the old names are gone"
    for name in changed:  # content-hashed, like webpack's: a changed patch can never hide behind a cached name
        assert name == early_kernel.content_name(name, (static / name).read_bytes()), name
    (entry,) = static.glob("remoteEntry.*.js")
    for name in changed[:3]:
        chunk_id, digest = name.split(".")[:2]
        assert entry.read_text().count(f'{chunk_id}:"{digest}"') == 2
    config = json.loads((site / "jupyter-lite.json").read_text())["jupyter-config-data"]
    assert config["federated_extensions"][0]["load"] == f"static/{entry.name}"
    assert entry.name in (site / early_kernel.EXTENSION / "package.json").read_text()


def test_workers_take_the_early_python_and_the_page_takes_the_early_worker(site):
    early_kernel.patch_site(site)
    static = site / early_kernel.EXTENSION / "static"
    for chunk_id in ("352", "620"):
        (worker,) = static.glob(f"{chunk_id}.*.js")
        source = worker.read_text()
        assert source.startswith("/* Added by the TinyTorch course build")
        assert early_kernel.TAKE_PYODIDE in source and early_kernel.LOAD_PYODIDE not in source
        assert '"imports": "import piplite\\nimport pyodide_kernel\\n' in source
        # the kernel's settings go onto the lazy piplite.piplite without running it (lazy_piplite.py)
        assert early_kernel.PIPLITE_SETTINGS_LAZY in source and early_kernel.PIPLITE_SETTINGS not in source
        # the kernel starts with what the site preloads; jedi waits for the first completion
        assert 'n=["sqlite3","ipykernel","comm","pyodide_kernel","ipython"]' in source
        assert early_kernel.COMPLETE_WITH_JEDI in source
        # every preloaded package's wheel and its dependencies' (pygments), fetched at once; not matplotlib
        wheels = json.loads(re.search(r'"wheels": (\{[^}]*\})', source).group(1))
        assert "pygments-1.0-py3-none-any.whl" in wheels and "matplotlib-1.0-py3-none-any.whl" not in wheels
        assert len(wheels) == 10
        # the integrity Pyodide fetches each with: sha256-<base64 of the lock's hex digest>
        assert set(wheels.values()) == {"sha256-q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s="}
    (page_chunk,) = static.glob("592.*.js")
    assert "self.__ttKernelWorker.take(crossOriginIsolated)" in page_chunk.read_text()
    script = (site / early_kernel.PAGE_SCRIPT).read_text()
    workers = json.loads(re.search(r"const WORKERS = (\{.*\});", script).group(1))
    assert (site / workers["plain"]).is_file() and workers["plain"].split("/")[-1].startswith("352.")
    assert (site / workers["isolated"]).is_file() and workers["isolated"].split("/")[-1].startswith("620.")
    assert workers["wasm"] == "static/pyodide/pyodide.asm.wasm" and workers["name"] == early_kernel.WORKER_NAME
    for app in early_kernel.PAGES:  # first in <head>, not deferred: the worker starts before the app loads
        html = (site / app / "index.html").read_text()
        assert html.startswith(f'<html><head>\n    <script src="../{early_kernel.PAGE_SCRIPT}"></script>')


def built_config() -> tuple[dict, dict]:
    """jupyter-lite.json's config data with the pyodideUrl the site build writes, and its kernel settings."""
    config = json.loads((ROOT / "jupyter-lite.json").read_text())["jupyter-config-data"]
    settings = config["litePluginSettings"][early_kernel.KERNEL_SETTINGS]
    settings["pyodideUrl"] = "./static/pyodide/pyodide.js"
    return config, settings


def run_node(script: str) -> subprocess.CompletedProcess:
    """`script` as an ES module in Node (the worker's prologue is plain JavaScript)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    return subprocess.run([node, "--input-type=module", "-e", script], capture_output=True, text=True, check=True)


TAKE = """
globalThis.self = globalThis;
self.location = { href: "http://h/course/extensions/@jupyterlite/pyodide-kernel-extension/static/352.x.js" };
const loaded = [];
const fetched = [];
self.fetch = async (url, init) => (fetched.push([String(url), init?.integrity]), new Response("a wheel"));
self.importScripts = (url) => loaded.push(url);
self.loadPyodide = async (options) => ({
  options,
  globals: { get: (name) => () => ({ name, destroy: () => loaded.push(`${name} destroyed`) }) },
  runPython: (code, { globals }) => loaded.push([globals.name, code]),
  runPythonAsync: async (code) => loaded.push(code),
  loadPackage: async (names) => loaded.push(names),
});
PROLOGUE
const early = self.__ttEarlyKernel;
const index = "http://h/course/static/pyodide/";
const fresh = async () => "fresh";
const first = await early.take(index, OPTIONS, fresh);
const second = await early.take(index, OPTIONS, fresh);
const before = loaded.length;
await Promise.all([early.completer(first), early.completer(first)]);
await early.completer(first);
const completion = loaded.slice(before);
PROLOGUE
const other = await self.__ttEarlyKernel.take("http://elsewhere/static/pyodide/", OPTIONS, fresh);
console.log(JSON.stringify({ loaded, fetched, first: first.options, second, other, completion }));
"""


def test_the_early_python_is_taken_once_and_only_for_the_built_settings():
    config, settings = built_config()
    options = json.dumps(settings["loadPyodideOptions"])
    wheels = {"numpy-2.0.2-cp312-wasm32.whl": "sha256-A=", "tinytorch-0.1.0-py3-none-any.whl": "sha256-B="}
    prologue = early_kernel.worker_prologue(config, wheels)
    script = TAKE.replace("PROLOGUE", prologue).replace("OPTIONS", options)
    out = run_node(script)
    got = json.loads(out.stdout)
    # Pyodide from the site's own folder (resolved from the worker's URL, so a sub-path works too), the
    # kernel's wheels fetched early, site/kernel_install.py run (in a namespace of its own) before
    # the kernel's packages load, then the kernel's and the course's imports run
    assert got["fetched"][:2] == [[f"http://h/course/static/pyodide/{w}", sri] for w, sri in wheels.items()]
    assert got["loaded"][0] == "http://h/course/static/pyodide/pyodide.js"
    assert got["first"]["indexURL"] == "http://h/course/static/pyodide/"
    assert got["first"]["packages"] == [], "the packages load after kernel_install.py, not in loadPyodide"
    namespace, installer = got["loaded"][1]
    assert namespace == "dict" and installer == early_kernel.INSTALLER.read_text() + "\nuse()\n"
    assert got["loaded"][2] == "dict destroyed"
    assert got["loaded"][3] == settings["loadPyodideOptions"]["packages"]
    assert "import pyodide_kernel" in got["loaded"][4] and "import tinytorch" in got["loaded"][4]
    assert "use_jedi = False" in got["loaded"][4]
    # jedi: loaded and switched on at the first completion, once
    assert got["completion"][0] == ["jedi"] and "use_jedi = True" in got["completion"][1]
    assert len(got["completion"]) == 2
    assert got["second"] == "fresh", "a second kernel in the same worker must not share the first one's Python"
    assert got["other"] == "fresh", "settings changed without a rebuild: the kernel's own Pyodide, not the early one"


def test_a_failing_installer_only_makes_the_start_slower():
    # site/kernel_install.py is a speed-up: if it raised, the kernel must still start (Pyodide's own unpacker)
    config, settings = built_config()
    broken = TAKE.replace(
        "runPython: (code, { globals }) => loaded.push([globals.name, code]),",
        'runPython: () => { throw new Error("broken installer"); },',
    )
    assert broken != TAKE
    script = broken.replace("PROLOGUE", early_kernel.worker_prologue(config, {})).replace(
        "OPTIONS", json.dumps(settings["loadPyodideOptions"])
    )
    out = run_node(script)
    got = json.loads(out.stdout)
    assert got["loaded"][1] == "dict destroyed"
    assert got["loaded"][2] == settings["loadPyodideOptions"]["packages"]
    assert "import pyodide_kernel" in got["loaded"][3]
    assert "kernel_install.py failed" in out.stderr and "broken installer" in out.stderr


HANDED = """
globalThis.self = globalThis;
self.name = NAME;
self.location = { href: "http://h/course/extensions/@jupyterlite/pyodide-kernel-extension/static/352.x.js" };
const fetched = [];
let served = 0;
self.fetch = async (url, init) => {
  fetched.push([String(url), init?.integrity ?? null]);
  return new Response(`file ${++served}`);
};
WebAssembly.instantiateStreaming = async () => ({ instance: "compiled by the worker", module: null });
WebAssembly.instantiate = async (module) => `an instance of ${module}`;
const before = [self.fetch, WebAssembly.instantiateStreaming];
const listeners = [];
self.addEventListener = (type, listener) => listeners.push(listener);
self.removeEventListener = (type, listener) => listeners.splice(listeners.indexOf(listener), 1);
self.importScripts = () => {};
const wheelsRead = [];
self.loadPyodide = async (options) => {  // what Pyodide 0.27's loader does with the wasm and the wheels
  const wasm = self.fetch(new URL("pyodide.asm.wasm", options.indexURL), {});
  const { instance } = await WebAssembly.instantiateStreaming(wasm);
  self.fetch(new URL("pyodide-lock.json", options.indexURL));
  return {
    instance,
    globals: { get: () => () => ({ destroy() {} }) },
    runPython() {},
    loadPackage: async () => {
      for (const [name, integrity] of [["a.whl", "sha256-A="], ["b.whl", "sha256-B="]]) {
        const response = await self.fetch(new URL(name, options.indexURL), { integrity });
        wheelsRead.push(await response.text());
      }
    },
    runPythonAsync: async () => {},
  };
};
PROLOGUE
let stopped = 0;
const send = (data) =>
  listeners.slice().forEach((listener) => listener({ data, stopImmediatePropagation: () => stopped++ }));
send({ id: 1, type: "GET" });  // a message of the kernel's own protocol: not taken
setTimeout(() => send({ [NAME]: MODULE }), 20);
const pyodide = await self.__ttEarlyKernel.take("http://h/course/static/pyodide/", OPTIONS, async () => "fresh");
const restored = self.fetch === before[0] && WebAssembly.instantiateStreaming === before[1];
const listening = listeners.length;
console.log(JSON.stringify({ instance: pyodide.instance, fetched, wheelsRead, stopped, listening, restored }));
"""


@pytest.mark.parametrize("module", ["the page's module", None])
def test_a_worker_the_page_started_instantiates_the_pages_compiled_wasm(module):
    # site/pages/kernel-early.js compiles pyodide.asm.wasm in the page (whose code cache Chromium keeps)
    # and posts the module to the worker it names; the prologue instantiates that instead of fetching the
    # file (no second download) and compiling it; if the page could not compile it (null), it does both.
    # The kernel's wheels are fetched once the wasm is there, and Pyodide's own requests get those
    # responses (b.whl, which the prologue did not fetch, is fetched when Pyodide asks)
    config, settings = built_config()
    script = (
        HANDED.replace("PROLOGUE", early_kernel.worker_prologue(config, wheels={"a.whl": "sha256-A="}))
        .replace("OPTIONS", json.dumps(settings["loadPyodideOptions"]))
        .replace("NAME", json.dumps(early_kernel.WORKER_NAME))
        .replace("MODULE", json.dumps(module))
    )
    out = run_node(script)
    got = json.loads(out.stdout)
    index = "http://h/course/static/pyodide/"
    early_wheel, late_wheel = [index + "a.whl", "sha256-A="], [index + "b.whl", "sha256-B="]
    lock = [index + "pyodide-lock.json", None]
    if module:
        assert got["instance"] == "an instance of the page's module"
        assert got["fetched"] == [early_wheel, lock, late_wheel], "pyodide.asm.wasm fetched, yet the page sent it"
        assert got["wheelsRead"] == ["file 1", "file 3"], "Pyodide must get the early response, not a second download"
    else:
        assert got["instance"] == "compiled by the worker"
        assert got["fetched"] == [early_wheel, [index + "pyodide.asm.wasm", None], lock, late_wheel]
        assert got["wheelsRead"] == ["file 1", "file 4"]
    assert got["stopped"] == 1 and got["listening"] == 0, "only the page's message is taken, and only once"
    assert got["restored"], "fetch and instantiateStreaming are the worker's own again after the start"
