// A notebook cell that runs long: say what to do, since Stop cannot interrupt Python here.
//
// jupyterlite-pyodide-kernel 0.6.1 never gives Pyodide an interrupt buffer (its worker does not call
// pyodide.setInterruptBuffer, whatever headers the server sends), so the Stop button does nothing
// while Python runs. The course's checks stop each case themselves after 10 s; a learner's own cell
// that loops forever can only be ended by restarting the kernel. After 20 s of an
// uninterrupted busy kernel this shows a notice saying so; it disappears when the kernel is idle.
(() => {
  const busySeconds = () => window.ttBusyHintSeconds ?? 20; // a test may shorten it
  let busySince = null;
  let notice = null;

  function show(seconds) {
    if (!notice) {
      notice = document.createElement("div");
      notice.id = "tt-busy-hint";
      notice.setAttribute("role", "status");
      notice.style.cssText =
        "position:fixed;right:16px;bottom:40px;max-width:34em;z-index:10000;padding:10px 14px;" +
        "background:#fff8e1;color:#222;border:1px solid #e0b000;border-radius:6px;font:14px/1.4 sans-serif;" +
        "box-shadow:0 2px 8px rgba(0,0,0,.2)";
      document.body.appendChild(notice);
    }
    notice.textContent =
      `This cell has been running for ${seconds} s. The Stop button cannot interrupt Python in this ` +
      "browser course. A check stops each case after 10 s by itself; if your own code loops forever, " +
      "use Kernel \u2192 Restart Kernel, then run the notebook's cells again from the top (pieces whose " +
      "checks passed stay saved in my_tinytorch/).";
  }

  function hide() {
    notice?.remove();
    notice = null;
  }

  setInterval(() => {
    const status = window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel?.status;
    if (status !== "busy") {
      busySince = null;
      hide();
      return;
    }
    busySince ??= Date.now();
    const seconds = Math.round((Date.now() - busySince) / 1000);
    if (seconds >= busySeconds()) show(seconds);
  }, 1000);
})();
