// Start the kernel's worker with the page, not after JupyterLite's app (loaded first in <head> of the
// notebook and lab pages by site/early_kernel.py, which also fills in WORKERS).
//
// The worker starts Python the moment it runs (its prologue, see site/early_kernel.py); JupyterLite's
// Pyodide kernel, when it creates its worker 2-3 s later, takes this one instead, and a restarted
// kernel takes a new one started the same way. A page that never starts a kernel lets the first one go
// after five minutes.
//
// The page also compiles Pyodide's pyodide.asm.wasm and hands the compiled module to each worker:
// Chromium keeps a page's compiled wasm in its code cache and reuses it on the next visit, but not a
// worker's, so a worker compiling it itself starts Python about 1 s slower on every visit after the
// first (measured: loadPyodide in a worker 2.4 s warm, 1.45 s with the page's module, as on a page).
(() => {
  const WORKERS = null; // filled in by site/early_kernel.py
  const root = new URL(".", document.currentScript.src); // this file is at the site's root
  const isolated = self.crossOriginIsolated === true;
  const name = isolated ? WORKERS.isolated : WORKERS.plain;
  // the same URL webpack asks for (name + "?v=" + its hash), so both share one cached copy
  const url = new URL(`${name}?v=${name.split(".").at(-2)}`, root);
  // streaming compile (the one Chromium caches) needs the server to send application/wasm; a host that
  // does not (a static host that does not know .wasm) gets the module compiled from the bytes instead
  const compiled = fetch(new URL(WORKERS.wasm, root))
    .then((response) =>
      response.headers.get("Content-Type")?.split(";")[0].trim() === "application/wasm"
        ? WebAssembly.compileStreaming(response)
        : response.arrayBuffer().then((bytes) => WebAssembly.compile(bytes)),
    )
    .catch((error) => {
      console.warn("TinyTorch: pyodide.asm.wasm did not compile in the page; the kernel compiles it", error);
      return null;
    });
  const start = () => {
    // the name tells the worker's prologue to wait for the module (a worker JupyterLite creates has none)
    const worker = new Worker(url, { name: WORKERS.name });
    compiled.then((module) => worker.postMessage({ [WORKERS.name]: module }));
    return worker;
  };
  let early = start();
  const unused = setTimeout(() => {
    early?.terminate();
    early = null;
  }, 5 * 60 * 1000);
  self.__ttKernelWorker = {
    /** The worker started with the page, once; then a new one (a restarted kernel); null if the page's
     * isolation changed (JupyterLite then picks the other worker script itself). */
    take(crossOriginIsolated) {
      if (crossOriginIsolated !== isolated) return null;
      const taken = early ?? start();
      early = null;
      clearTimeout(unused);
      return taken;
    },
    get waiting() {
      return early !== null;
    },
  };
})();
