// A visible "Python is starting" indicator on the notebook pages (injected by site/build.py).
//
// Starting the kernel (Pyodide + numpy + tinytorch in a Web Worker) takes 10-40 s on a first visit and
// JupyterLite shows it only as a small status icon, so a learner sees a notebook that ignores
// Shift+Enter. This banner counts the seconds from page open until the kernel is idle, and comes back
// while a kernel restarts. It reads the app through window.jupyterapp ("exposeAppInBrowser": true in
// jupyter-lite.json); nothing else. data-state ("starting" | "ready") and data-seconds are for tests.
(() => {
  const t0 = performance.now();
  const box = document.createElement("div");
  box.id = "tt-kernel-start";
  box.setAttribute("role", "status");
  box.setAttribute("aria-live", "polite");
  box.style.cssText =
    "position:fixed;right:16px;bottom:16px;z-index:10000;max-width:360px;padding:10px 14px;" +
    "border-radius:6px;background:#fff8e1;border:1px solid #e0b000;color:#333;" +
    "font:14px/1.4 system-ui,sans-serif;box-shadow:0 2px 8px rgba(0,0,0,.15)";
  const bar = document.createElement("progress");
  bar.style.cssText = "display:block;width:100%;margin-top:6px";
  const text = document.createElement("span");
  box.append(text, bar);

  let startedAt = t0;
  let state = "starting";
  const show = (on) => {
    if (!box.isConnected && document.body) document.body.append(box);
    box.hidden = !on; // stays in the page (hidden) so its data-state and data-seconds can be read
  };

  const tick = () => {
    const panel = window.jupyterapp?.shell?.currentWidget;
    const status = panel?.sessionContext?.session?.kernel?.status;
    const ready = status === "idle" || status === "busy";
    if (ready && state === "starting") {
      state = "ready";
      box.dataset.seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
      box.dataset.state = state;
      show(false);
    } else if (!ready && (state === "starting" || status === "restarting" || status === "starting")) {
      if (state === "ready") startedAt = performance.now(); // a restart
      state = "starting";
      box.dataset.state = state;
      const s = Math.round((performance.now() - startedAt) / 1000);
      text.textContent = `Starting Python in this page… ${s} s (usually 10–40 s the first time, ` +
        "up to a minute on a busy computer, less once cached). Cells you run wait until it is ready.";
      show(true);
    }
  };
  box.dataset.state = state;
  setInterval(tick, 500);
  tick();
})();
