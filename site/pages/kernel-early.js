// Start the kernel's worker with the page, not after JupyterLite's app (loaded first in <head> of the
// notebook and lab pages by site/early_kernel.py, which also fills in WORKERS).
//
// The worker starts Python the moment it runs (its prologue, see site/early_kernel.py); JupyterLite's
// Pyodide kernel, when it creates its worker 2-3 s later, takes this one instead (once). A page that
// never starts a kernel lets it go after five minutes.
(() => {
  const WORKERS = null; // filled in by site/early_kernel.py
  const root = new URL(".", document.currentScript.src); // this file is at the site's root
  const isolated = self.crossOriginIsolated === true;
  const name = isolated ? WORKERS.isolated : WORKERS.plain;
  // the same URL webpack asks for (name + "?v=" + its hash), so both share one cached copy
  const url = new URL(`${name}?v=${name.split(".").at(-2)}`, root);
  let worker = new Worker(url);
  const unused = setTimeout(() => {
    worker?.terminate();
    worker = null;
  }, 5 * 60 * 1000);
  self.__ttKernelWorker = {
    take(crossOriginIsolated) {
      if (!worker || crossOriginIsolated !== isolated) return null;
      const taken = worker;
      worker = null;
      clearTimeout(unused);
      return taken;
    },
  };
})();
