"""The kernel's worker starts Python while JupyterLite's app is still loading (a patch of the built
jupyterlite-pyodide-kernel 0.6.1 bundles).

Why: JupyterLite creates the kernel's worker only once its app, the notebook and the session are up
(3.1 s cold, 1.8 s warm on the course's 2-core machine), and only then does the worker start Pyodide,
load the kernel's packages and import them (another 6 s): one after the other, so a learner waits for
the sum. Nothing in the worker's start depends on the app: the URLs and the package list are the
site's own settings (jupyter-lite.json), known when the site is built.
What:
1. The kernel's worker scripts (one for a cross-origin-isolated page, one for the others) get a
   prologue that, the moment the worker runs, loads Pyodide with those settings and imports what the
   kernel imports at start (piplite, whose installer is lazy: lazy_piplite.py; pyodide_kernel) and the
   course's numpy and tinytorch. The worker's `initRuntime` takes that Pyodide instead of loading its
   own when the kernel asks for the same URLs and options (always, unless the settings were changed
   without a rebuild: then it loads its own as before). The drive is mounted afterwards, as before;
   these imports no longer look in /drive at all.
   Before the packages install, the worker puts site/kernel_install.py in place (a faster wheel
   unpacker, and invalidate_caches() without listing the standard library's zip again), so they are
   loaded after loadPyodide rather than by its `packages` option; their wheels are fetched while Python
   starts, as that option would, and Pyodide's own request for each gets that response. Python, the
   kernel's packages and imports in Pyodide under Node: 5.66 -> 5.18 s (medians of 8 interleaved).
   The kernel's hard-coded start list is cut to what the site preloads: jedi (Tab completion's
   inference, 1 s to unpack and import) loads at the first completion instead, and ssl (for HTTPS,
   which the course's offline pages never reach) only when a cell imports it (the kernel loads what a
   cell imports).
2. The notebook and lab pages load site/pages/kernel-early.js first in <head>: it creates that worker
   at once; the extension's code that creates the kernel's worker takes it (a restarted kernel takes a
   new one, started the same way). The page also compiles pyodide.asm.wasm and hands the module to the
   worker, whose prologue instantiates it instead of fetching and compiling the file itself: Chromium
   reuses a page's compiled wasm on the next visit (its code cache) but not a worker's, so this makes
   every start after the first about 1 s faster (loadPyodide alone, warm: 2.4 s in a worker that
   compiles, 1.45 s with the page's module, the same as on a page).
3. The patched chunks are content-hashed and served as immutable, so they get new hashed names, and the
   extension's remoteEntry (which maps chunk ids to names) and the files naming it follow.
Any pattern not found stops the build: the bundles are minified code of one pinned version.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import app_pages
import pyodide_dist

EXTENSION = Path("extensions/@jupyterlite/pyodide-kernel-extension")
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"
PAGES = ("notebooks", "lab")
PAGE_SCRIPT = "kernel-early.js"
INSTALLER = Path(__file__).with_name("kernel_install.py")  # its source runs in the worker
WORKERS_PLACEHOLDER = "const WORKERS = null; // filled in by site/early_kernel.py"
# the name of a kernel worker the page starts: its prologue then waits for the page's compiled wasm,
# sent in a message whose one key is this name
WORKER_NAME = "tinytorch-kernel"

# in the page: `crossOriginIsolated ? new Worker(<coincident>) : new Worker(<comlink>)`
WORKER_CHOICE = re.compile(
    r"crossOriginIsolated\?(new Worker\(new URL\(n\.p\+n\.u\((\d+)\),n\.b\),\{type:void 0\}\))"
    r":(new Worker\(new URL\(n\.p\+n\.u\((\d+)\),n\.b\),\{type:void 0\}\))"
)
# in each worker: initRuntime's call of loadPyodide
LOAD_PYODIDE = "this._pyodide=await t({indexURL:i,...e.loadPyodideOptions})"
TAKE_PYODIDE = (
    "this._pyodide=await self.__ttEarlyKernel.take(i,e.loadPyodideOptions,()=>t({indexURL:i,...e.loadPyodideOptions}))"
)
# initKernel's packages, installed at start unless preloaded
START_LIST = re.compile(r'n=(\["ssl","sqlite3","ipykernel","comm","pyodide_kernel","jedi","ipython"\])')
# initPackageManager's settings for piplite: set on the lazy module, not by importing it (lazy_piplite.py)
PIPLITE_SETTINGS = r"\n      import piplite.piplite\n      piplite.piplite._PIPLITE_DISABLE_PYPI"  # in a JS template
PIPLITE_SETTINGS_LAZY = r"\n      import piplite\n      piplite.piplite._PIPLITE_DISABLE_PYPI"
# a completion request: jedi first, if it is loaded lazily
COMPLETE = "async complete(e,t){await this.setup(t);"
COMPLETE_WITH_JEDI = COMPLETE + "await self.__ttEarlyKernel.completer(this._pyodide);"

PROLOGUE = """/* Added by the TinyTorch course build (site/early_kernel.py): start Python the moment this worker runs,
   with the site's kernel settings; initRuntime takes it (once) instead of loading Pyodide itself. */
self.__ttEarlyKernel = (() => {
  const settings = __SETTINGS__;
  const root = new URL("../../../../", self.location.href); // this file is in extensions/<scope>/<name>/static/
  const pyodideUrl = new URL(settings.pyodideUrl, root).href;
  const indexURL = pyodideUrl.slice(0, pyodideUrl.lastIndexOf("/") + 1);
  const options = { ...settings.loadPyodideOptions };
  for (const [key, value] of Object.entries(options)) {
    if (key.endsWith("URL") && typeof value === "string") options[key] = new URL(value, root).href;
  }
  // a worker the page started (site/pages/kernel-early.js) gets pyodide.asm.wasm compiled by the page,
  // which Chromium's code cache keeps between visits (it keeps none for a worker's own compile)
  const wasmURL = indexURL + "pyodide.asm.wasm";
  const handed = self.name !== settings.workerName ? Promise.resolve(null) : new Promise((resolve) => {
    self.addEventListener("message", function receive(event) {
      if (!event.data || !(settings.workerName in event.data)) return;
      event.stopImmediatePropagation(); // the page's module, not a message of the kernel's protocol
      self.removeEventListener("message", receive);
      resolve(event.data[settings.workerName]);
    });
  });
  // the kernel's wheels, fetched while Python starts (it installs them only after site/kernel_install.py
  // is in place, below), once the page's compiled wasm is here (on a first visit they would compete with
  // it); Pyodide's own fetch of each then gets this response: one download, the same integrity check
  const wheels = new Map();
  handed.then(() => {
    for (const [file, integrity] of Object.entries(settings.wheels)) {
      const response = fetch(indexURL + file, { integrity });
      response.catch(() => {}); // a failure is Pyodide's to report, when it asks for the file
      wheels.set(indexURL + file, response);
    }
  });
  /** load() with the handed module instead of fetching and compiling pyodide.asm.wasm (if one comes),
   * and the wheels fetched above instead of fetching them again. */
  const withEarlyFiles = async (load) => {
    const { fetch } = self;
    const { instantiateStreaming } = WebAssembly;
    const placeholder = new Response(null); // stands for the wasm file; never read
    self.fetch = (resource, init) => {
      const url = String(resource);
      if (url === wasmURL) return handed.then((module) => (module ? placeholder : fetch.call(self, resource, init)));
      const wheel = wheels.get(url);
      wheels.delete(url); // a response can be read once
      return wheel ?? fetch.call(self, resource, init);
    };
    WebAssembly.instantiateStreaming = async (source, imports) => {
      const response = await source;
      if (response !== placeholder) return instantiateStreaming.call(WebAssembly, response, imports);
      const module = await handed;
      return { module, instance: await WebAssembly.instantiate(module, imports) };
    };
    try {
      return await load();
    } finally {
      self.fetch = fetch;
      WebAssembly.instantiateStreaming = instantiateStreaming;
    }
  };
  let early;
  try {
    importScripts(pyodideUrl);
    early = withEarlyFiles(async () => {
      const pyodide = await self.loadPyodide({ indexURL, ...options, packages: [] });
      const namespace = pyodide.globals.get("dict")(); // site/kernel_install.py, kept out of the user's namespace
      try {
        pyodide.runPython(settings.installer, { globals: namespace });
      } catch (error) { // only slower: Pyodide's own installer still works
        console.warn("TinyTorch: site/kernel_install.py failed; the kernel's packages install the slower way", error);
      } finally {
        namespace.destroy();
      }
      await pyodide.loadPackage(options.packages ?? [], { messageCallback() {} }); // as loadPyodide's option does
      return pyodide;
    }).then(async (pyodide) => {
      performance.mark("early kernel: Python and its packages ready"); // for benchmarks/kernel_start.py
      await pyodide.runPythonAsync(settings.imports);
      performance.mark("early kernel: imports done");
      return pyodide;
    });
  } catch (error) {
    early = Promise.reject(error);
  }
  early.catch(() => {}); // the kernel's initialize awaits it and reports a failure
  let jedi = settings.lazyJedi ? null : Promise.resolve();
  return {
    /** jedi on the first completion (IPython's own completer, without inference, if it cannot load). */
    completer(pyodide) {
      jedi ??= pyodide.loadPackage(["jedi"]).then(() => pyodide.runPythonAsync(settings.lazyJedi))
        .catch((error) => console.warn("TinyTorch: jedi did not load; completing without it", error));
      return jedi;
    },
    take(requestedIndexURL, requestedOptions, load) {
      const same = early && requestedIndexURL === indexURL &&
        JSON.stringify(requestedOptions || {}) === JSON.stringify(options);
      if (early && !same) console.warn("TinyTorch: kernel settings differ from the built ones; loading Pyodide again");
      const pyodide = same ? early : load();
      early = null;
      return pyodide;
    },
  };
})();
"""

# what the kernel imports at start, then the course's packages (a learner's first cell imports them)
KERNEL_IMPORTS = "import piplite\nimport pyodide_kernel\n"
# IPython looked for jedi once, at import; the kernel asks for it on every completion
JEDI_LATER = "pyodide_kernel.ipython_shell.Completer.use_jedi = False  # until jedi loads, at the first completion\n"
JEDI_NOW = """
import jedi
import jedi.api.classes
import jedi.api.helpers
import IPython.core.completer
import pyodide_kernel

jedi.settings.case_insensitive_completion = False  # what IPython sets when it finds jedi at import
IPython.core.completer.jedi = jedi
IPython.core.completer.JEDI_INSTALLED = True
pyodide_kernel.ipython_shell.Completer.use_jedi = True
"""
COURSE_IMPORTS = """
try:
    import numpy
    import tinytorch
except Exception:  # not swallowed: the learner's own `import tinytorch` raises it again, in their cell
    pass
"""


def content_name(name: str, content: bytes) -> str:
    """`352.cc74f63a8f779ace30b6.js` -> the same id with a hash of `content` (webpack's 20 hex digits)."""
    chunk, _old, ext = name.split(".", 2)
    return f"{chunk}.{hashlib.sha256(content).hexdigest()[:20]}.{ext}"


def chunk_file(static: Path, chunk_id: str) -> Path:
    (path,) = [p for p in static.glob(f"{chunk_id}.*.js") if re.fullmatch(rf"{chunk_id}\.[0-9a-f]+\.js", p.name)]
    return path


def preloads(config: dict) -> list[str]:
    """The packages the kernel preloads (jupyter-lite.json's loadPyodideOptions)."""
    return config["litePluginSettings"][KERNEL_SETTINGS].get("loadPyodideOptions", {}).get("packages", [])


def worker_prologue(config: dict, wheels: dict[str, str]) -> str:
    """The prologue with the site's settings baked in; `wheels`: the files of the preloaded packages and
    their dependencies, with their integrity (fetched early)."""
    settings = config["litePluginSettings"][KERNEL_SETTINGS]
    preloaded = preloads(config)
    course = COURSE_IMPORTS if {"numpy", "tinytorch"} <= set(preloaded) else ""
    lazy_jedi = "jedi" not in preloaded
    baked = {
        "pyodideUrl": settings["pyodideUrl"],
        "loadPyodideOptions": settings.get("loadPyodideOptions", {}),
        "imports": KERNEL_IMPORTS + (JEDI_LATER if lazy_jedi else "") + course,
        "lazyJedi": JEDI_NOW if lazy_jedi else None,
        "workerName": WORKER_NAME,
        "installer": INSTALLER.read_text() + "\nuse()\n",
        "wheels": wheels,
    }
    return PROLOGUE.replace("__SETTINGS__", json.dumps(baked))


def preloaded_wheels(output: Path, config: dict) -> dict[str, str]:
    """The files of the packages the kernel preloads and of everything they depend on (the site's lock),
    each with the subresource integrity Pyodide fetches it with (sha256-<base64 of the lock's sha256>)."""
    index = (output / config["litePluginSettings"][KERNEL_SETTINGS]["pyodideUrl"]).parent
    packages = json.loads((index / "pyodide-lock.json").read_text())["packages"]
    keys = pyodide_dist.closure(packages, preloads(config))
    entries = sorted((packages[key] for key in keys), key=lambda e: e["file_name"])
    return {e["file_name"]: "sha256-" + base64.b64encode(bytes.fromhex(e["sha256"])).decode() for e in entries}


def patch_site(output: Path) -> str:
    """Patch the built site in `output` (see the module's docstring); returns what was done, for the log."""
    static = output / EXTENSION / "static"
    config = json.loads((output / "jupyter-lite.json").read_text())["jupyter-config-data"]
    (entry,) = static.glob("remoteEntry.*.js")
    page_chunks = [p for p in static.glob("*.js") if WORKER_CHOICE.search(p.read_text())]
    if len(page_chunks) != 1:
        raise SystemExit(f"early_kernel: {len(page_chunks)} chunks create the kernel's worker, expected 1")
    (page_chunk,) = page_chunks
    choice = WORKER_CHOICE.search(page_chunk.read_text())
    isolated_id, plain_id = choice.group(2), choice.group(4)

    renamed = {}  # chunk id -> (old name, new name)
    prologue = worker_prologue(config, preloaded_wheels(output, config))
    preloaded = preloads(config)
    for chunk_id in (isolated_id, plain_id):
        path = chunk_file(static, chunk_id)
        source = path.read_text()
        for pattern in (LOAD_PYODIDE, COMPLETE, PIPLITE_SETTINGS):
            if source.count(pattern) != 1:
                raise SystemExit(f"early_kernel: {path.name} has `{pattern}` {source.count(pattern)} times, not once")
        start_list = START_LIST.search(source)
        if start_list is None:
            raise SystemExit(f"early_kernel: {path.name} has no start list {START_LIST.pattern}")
        started = [name for name in json.loads(start_list.group(1)) if name in preloaded]
        source = source.replace(start_list.group(0), f"n={json.dumps(started, separators=(',', ':'))}")
        source = source.replace(LOAD_PYODIDE, TAKE_PYODIDE).replace(COMPLETE, COMPLETE_WITH_JEDI)
        source = source.replace(PIPLITE_SETTINGS, PIPLITE_SETTINGS_LAZY)
        renamed[chunk_id] = write_renamed(path, prologue + source)
    created = f"crossOriginIsolated?{choice.group(1)}:{choice.group(3)}"
    take = f"(self.__ttKernelWorker&&self.__ttKernelWorker.take(crossOriginIsolated))||({created})"
    page_source = page_chunk.read_text()
    renamed[page_chunk.name.split(".")[0]] = write_renamed(page_chunk, page_source.replace(choice.group(0), take))

    entry_source = entry.read_text()
    for chunk_id, (old, new) in renamed.items():
        old_hash, new_hash = old.split(".")[1], new.split(".")[1]
        before = f'{chunk_id}:"{old_hash}"'
        if entry_source.count(before) != 2:  # the chunk's name and its ?v= cache-buster
            raise SystemExit(f"early_kernel: {entry.name} names chunk {chunk_id} {entry_source.count(before)} times")
        entry_source = entry_source.replace(before, f'{chunk_id}:"{new_hash}"')
    old_entry, new_entry = write_renamed(entry, entry_source)
    for named in [output / "jupyter-lite.json", output / EXTENSION / "package.json"]:
        text = named.read_text()
        if old_entry not in text:
            raise SystemExit(f"early_kernel: {named} does not name {old_entry}")
        named.write_text(text.replace(old_entry, new_entry))

    add_page_script(output, static, renamed[isolated_id][1], renamed[plain_id][1], config)
    return f"kernel worker starts with the page: {renamed[plain_id][1]} (+ {renamed[isolated_id][1]}), {new_entry}"


def write_renamed(path: Path, text: str) -> tuple[str, str]:
    """Write `text` under its content-hashed name, remove the old file; (old name, new name)."""
    content = text.encode()
    new = path.with_name(content_name(path.name, content))
    new.write_bytes(content)
    path.unlink()
    return path.name, new.name


def add_page_script(output: Path, static: Path, isolated: str, plain: str, config: dict):
    """site/pages/kernel-early.js with the two workers' URLs and Pyodide's wasm, loaded first in the app
    pages' <head>."""
    folder = static.relative_to(output).as_posix()
    pyodide_url = config["litePluginSettings"][KERNEL_SETTINGS]["pyodideUrl"]  # ./static/pyodide/pyodide.js
    wasm = pyodide_url.removeprefix("./").rsplit("/", 1)[0] + "/pyodide.asm.wasm"
    if not (output / wasm).is_file():
        raise SystemExit(f"early_kernel: {output / wasm} is missing")
    workers = {"isolated": f"{folder}/{isolated}", "plain": f"{folder}/{plain}", "wasm": wasm, "name": WORKER_NAME}
    source = (Path(__file__).parent / "pages" / PAGE_SCRIPT).read_text()
    if WORKERS_PLACEHOLDER not in source:
        raise SystemExit(f"early_kernel: site/pages/{PAGE_SCRIPT} lacks `{WORKERS_PLACEHOLDER}`")
    (output / PAGE_SCRIPT).write_text(source.replace(WORKERS_PLACEHOLDER, f"const WORKERS = {json.dumps(workers)};"))
    app_pages.load_script(output, PAGES, PAGE_SCRIPT, first=True)
