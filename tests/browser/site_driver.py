"""Python side of the browser tests: serve the built site on 127.0.0.1, drive headless Chromium through
``driver.mjs``, and work a JupyterLite notebook the way a learner does.

Used by ``tests/browser/`` (pytest fixtures in conftest.py) and by ``benchmarks/site_bench.py``.
Needs the built site (``make site``), Node with ``playwright-core`` (``npm ci``) and Debian's Chromium.
"""

from __future__ import annotations

import contextlib
import http.server
import itertools
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("TINYTORCH_SITE_DIR", ROOT / "site" / "_output"))
DRIVER = Path(__file__).with_name("driver.mjs")
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/lib/chromium/chromium"))
KERNEL_TIMEOUT_MS = int(os.environ.get("TINYTORCH_KERNEL_TIMEOUT_MS", 180_000))
LOCAL = re.compile(r"^(https?|wss?)://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/")
NON_NETWORK = re.compile(r"^(data|blob|file|about|chrome|chrome-extension|devtools|chrome-error):")


def missing_prerequisites() -> list[str]:
    """What is missing to run the browser tests, as reasons a person can act on."""
    reasons = []
    if not (SITE / "index.html").exists():
        reasons.append(f"no built site at {SITE} (run `make site`)")
    if not CHROMIUM.exists():
        reasons.append(f"no Chromium at {CHROMIUM} (run `make setup`)")
    if not (ROOT / "node_modules" / "playwright-core").exists():
        reasons.append("no node_modules/playwright-core (run `npm ci`)")
    return reasons


def is_local(url: str) -> bool:
    return bool(LOCAL.match(url) or NON_NETWORK.match(url))


# ------------------------------------------------------------------------------------------------
# The server
# ------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Fallback used only while site/serve.py does not exist: same MIME types and CSP header."""

    extensions_map = {
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".mjs": "text/javascript",
        ".js": "text/javascript",
        ".wasm": "application/wasm",
        ".json": "application/json",
        ".ipynb": "application/json",
        ".whl": "application/zip",
    }

    def end_headers(self):
        self.send_header("Content-Security-Policy", "connect-src 'self' blob: data:")
        super().end_headers()

    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serve(site: Path = SITE):
    """Serve `site` on a free 127.0.0.1 port with the project's server (site/serve.py); yield the base URL."""
    port = free_port()
    serve_py = ROOT / "site" / "serve.py"
    if serve_py.exists():
        with tempfile.TemporaryFile("w+") as output:  # a file, so a chatty server never blocks on a pipe
            proc = subprocess.Popen(
                [sys.executable, str(serve_py), str(site), str(port)], stdout=output, stderr=subprocess.STDOUT
            )
            try:
                _wait_for_port(port, proc, output)
                yield f"http://127.0.0.1:{port}"
            finally:
                proc.terminate()
                proc.wait(timeout=10)
    else:
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), partial(_Handler, directory=str(site)))
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.shutdown()
            server.server_close()


def _wait_for_port(port: int, proc: subprocess.Popen, output, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output.seek(0)
            raise RuntimeError(f"site/serve.py exited with {proc.returncode}: {output.read()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"site/serve.py did not listen on 127.0.0.1:{port} within {timeout} s")


# ------------------------------------------------------------------------------------------------
# The browser
# ------------------------------------------------------------------------------------------------
class DriverError(RuntimeError):
    pass


class Browser:
    """One headless Chromium, driven through driver.mjs over JSON lines."""

    def __init__(self, netlog: Path, log: Path):
        self.netlog, self.log = Path(netlog), Path(log)
        self._ids = itertools.count(1)
        self._stderr = open(self.log, "w")
        self._proc = subprocess.Popen(
            ["node", str(DRIVER), str(self.netlog)],
            cwd=ROOT,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )
        self.closed = None  # the close() report once closed

    def call(self, cmd: str, **args):
        if self.closed is not None:
            raise DriverError("the browser was closed")
        msg_id = next(self._ids)
        self._proc.stdin.write(json.dumps({"id": msg_id, "cmd": cmd, "args": args}) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise DriverError(
                f"driver.mjs exited ({self._proc.poll()}); see {self.log}:\n" + self.log.read_text()[-3000:]
            )
        reply = json.loads(line)
        if not reply["ok"]:
            raise DriverError(f"{cmd}: {reply['error']}")
        return reply["result"]

    def new_page(self, viewport=None) -> Page:
        ctx = self.call("newContext", **({"viewport": viewport} if viewport else {}))
        return Page(self, ctx, self.call("newPage", ctx=ctx))

    def requests(self) -> dict:
        return self.call("requests")

    def close(self) -> dict:
        """Close Chromium; return {requests, failed, netlog_urls, netlog_hosts} for the whole session."""
        if self.closed is None:
            self.closed = self.call("close")
            self._proc.wait(timeout=30)
            self._stderr.close()
        return self.closed


class Page:
    """A page in its own fresh context (empty storage and cache: a first-time visitor)."""

    def __init__(self, browser: Browser, ctx: int, page: int):
        self.browser, self.ctx, self.id = browser, ctx, page

    def __getattr__(self, cmd):
        """page.goto(url=...), page.click(selector=...) ...: the driver.mjs command of that name."""
        return partial(self.browser.call, cmd, page=self.id)

    def js(self, fn: str, arg=None):
        """Call a JavaScript function (source text) in the page with one JSON argument; return its JSON result."""
        return self.browser.call("evaluate", page=self.id, fn=fn, arg=arg)

    def wait_for(self, fn: str, arg=None, timeout_ms: int = 60_000, polling: int = 100):
        return self.browser.call("waitForFunction", page=self.id, fn=fn, arg=arg, timeout=timeout_ms, polling=polling)

    def sibling(self) -> Page:
        """Another page in the same context (same storage, e.g. the landing page next to a notebook)."""
        return Page(self.browser, self.ctx, self.browser.call("newPage", ctx=self.ctx))

    def close(self):
        if self.browser.closed is None:  # closing the browser closed its pages already
            self.browser.call("closeContext", ctx=self.ctx)


# ------------------------------------------------------------------------------------------------
# JupyterLite notebooks (needs "exposeAppInBrowser": true in jupyter-lite.json -> window.jupyterapp)
# ------------------------------------------------------------------------------------------------
def notebook_url(base: str, path: str) -> str:
    return f"{base}/notebooks/index.html?path={path}"


_PANEL = "window.jupyterapp?.shell?.currentWidget"

KERNEL_IDLE = f"""() => {{
  const w = {_PANEL};
  return !!(w?.context?.isReady && w.content?.widgets?.length && w.sessionContext?.session?.kernel?.status === "idle");
}}"""

# the panel shows a placeholder cell until its file is loaded: wait for context.isReady
NOTEBOOK_VISIBLE = f"""(path) => {{
  const w = {_PANEL};
  return !!(w?.context?.path === path && w.context.isReady && w.content?.widgets?.length
            && document.querySelector(".jp-Notebook .jp-Cell"));
}}"""


def open_notebook(page: Page, base: str, path: str, wait_kernel: bool = True) -> dict:
    """Open `path` (relative to the site's files/) in the notebook app; wait until it is shown and, by
    default, until its kernel is idle -- pressing Shift+Enter earlier can land in a "Select Kernel"
    dialog and the run is lost. Returns timings in seconds."""
    t0 = time.perf_counter()
    page.goto(url=notebook_url(base, path))
    page.wait_for(NOTEBOOK_VISIBLE, path, timeout_ms=60_000)
    timings = {"visible_s": time.perf_counter() - t0}
    if wait_kernel:
        wait_kernel_idle(page)
        timings["kernel_idle_s"] = time.perf_counter() - t0
    return timings


def wait_kernel_idle(page: Page, timeout_ms: int = KERNEL_TIMEOUT_MS) -> None:
    try:
        page.wait_for(KERNEL_IDLE, timeout_ms=timeout_ms, polling=200)
    except DriverError as err:
        tail = "\n".join(page.console()[-25:])
        raise DriverError(
            f"the kernel did not become idle within {timeout_ms / 1000:.0f} s: {err}\nlast console lines:\n{tail}"
        ) from None


def cell_count(page: Page) -> int:
    return page.js(f"() => {_PANEL}.content.widgets.length")


_APPEND_AND_RUN = f"""async (code) => {{
  const panel = {_PANEL};
  const nb = panel.content;
  const index = nb.model.sharedModel.cells.length;
  nb.model.sharedModel.insertCell(index, {{ cell_type: "code", source: code }});
  nb.activeCellIndex = index;
  nb.deselectAll();
  window.jupyterapp.commands.execute("notebook:run-cell");   // resolves late; completion is polled
  return index;
}}"""

_CELL_DONE = f"""(index) => {{
  const cell = {_PANEL}.content.widgets[index];
  return cell?.model?.executionCount != null && {_PANEL}.sessionContext.session.kernel.status === "idle";
}}"""

_CELL_OUTPUT = f"""(index) => {{
  const cell = {_PANEL}.content.widgets[index];
  const outputs = cell.model.outputs.toJSON();
  const text = outputs.map((o) => {{
    if (o.output_type === "stream") return [].concat(o.text).join("");
    if (o.output_type === "error") return o.ename + ": " + o.evalue + "\\n";
    const d = o.data || {{}};
    return d["text/plain"] !== undefined ? [].concat(d["text/plain"]).join("") + "\\n" : "";
  }}).join("");
  return {{
    text,
    error: outputs.filter((o) => o.output_type === "error").map((o) => o.ename + ": " + o.evalue),
    stderr: outputs.filter((o) => o.output_type === "stream" && o.name === "stderr")
      .map((o) => [].concat(o.text).join("")),
    images: cell.node.querySelectorAll(".jp-OutputArea-output img").length,
    mimetypes: outputs.flatMap((o) => Object.keys(o.data || {{}})),
  }};
}}"""


def run_code(page: Page, code: str, timeout_ms: int = KERNEL_TIMEOUT_MS) -> dict:
    """Append a code cell with `code` to the open notebook, run it, wait for it to finish; return
    {text, error, stderr, images, mimetypes, seconds}."""
    wait_kernel_idle(page)
    t0 = time.perf_counter()
    index = page.js(_APPEND_AND_RUN, code)
    page.wait_for(_CELL_DONE, index, timeout_ms=timeout_ms, polling=50)
    result = page.js(_CELL_OUTPUT, index)
    result["seconds"] = time.perf_counter() - t0
    result["index"] = index
    return result


_RUN_ALL = f"""() => {{
  window.jupyterapp.commands.execute("notebook:run-all-cells");
  return {_PANEL}.content.widgets.length;
}}"""

_ALL_DONE = f"""() => {{
  const panel = {_PANEL};
  const code = panel.content.widgets.filter((c) => c.model.type === "code");
  return code.every((c) => c.model.executionCount != null) && panel.sessionContext.session.kernel.status === "idle";
}}"""


def run_all(page: Page, timeout_ms: int = KERNEL_TIMEOUT_MS) -> list[dict]:
    """Run every cell of the open notebook; return each code cell's output (as run_code does)."""
    wait_kernel_idle(page)
    n = page.js(_RUN_ALL)
    page.wait_for(_ALL_DONE, timeout_ms=timeout_ms, polling=200)
    kinds = page.js(f"() => {_PANEL}.content.widgets.map((c) => c.model.type)")
    return [dict(page.js(_CELL_OUTPUT, i), index=i) for i in range(n) if kinds[i] == "code"]


def save_notebook(page: Page) -> None:
    page.js(f"async () => {{ await {_PANEL}.context.save(); }}")


def set_cell_sources(page: Page, sources: list[str]) -> None:
    """Replace the code cells' sources, in order (e.g. with a lesson's reference solution)."""
    page.js(
        f"""(sources) => {{
      const cells = {_PANEL}.content.widgets.filter((c) => c.model.type === "code");
      if (cells.length !== sources.length)
        throw new Error(`notebook has ${{cells.length}} code cells, got ${{sources.length}} sources`);
      cells.forEach((c, i) => c.model.sharedModel.setSource(sources[i]));
    }}""",
        sources,
    )


def create_notebook(page: Page, base: str, path: str, cells: list[str]) -> None:
    """Create a notebook in the browser's JupyterLite storage (not on the server), e.g. a scratch
    notebook for a test while the lessons are not built yet."""
    page.goto(url=f"{base}/tree/index.html")
    page.wait_for("() => !!window.jupyterapp?.serviceManager?.contents", timeout_ms=60_000)
    nb = {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}},
        "cells": [
            {"cell_type": "code", "metadata": {}, "source": c, "outputs": [], "execution_count": None} for c in cells
        ],
    }
    page.js(
        """async ([path, nb]) => {
      await window.jupyterapp.serviceManager.contents.save(path, { type: "notebook", format: "json", content: nb });
    }""",
        [path, nb],
    )


# ------------------------------------------------------------------------------------------------
# Landing page
# ------------------------------------------------------------------------------------------------
LANDING_READY = "() => document.body.dataset.ready === 'true'"

LANDING_ITEMS = """() => [...document.querySelectorAll("li.item")].map((li) => ({
  id: li.dataset.id,
  kind: li.dataset.kind,
  href: li.querySelector(".item-title a")?.getAttribute("href") ?? null,
  status: li.querySelector(".status")?.dataset.status ?? null,
  status_text: li.querySelector(".status")?.textContent ?? null,
  tier: li.closest("section.tier")?.querySelector("h3")?.firstChild?.textContent ?? null,
}))"""


def open_landing(page: Page, base: str) -> list[dict]:
    page.goto(url=f"{base}/")
    page.wait_for(LANDING_READY, timeout_ms=30_000)
    return page.js(LANDING_ITEMS)


def read_progress_db(page: Page) -> dict:
    """The records in the IndexedDB that tinytorch_course.progress writes (same origin as the page)."""
    return page.js("""async () => {
      const db = await new Promise((ok, no) => { const r = indexedDB.open("tinytorch", 1);
        r.onupgradeneeded = () => r.result.createObjectStore("progress", { keyPath: "id" });
        r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
      const rows = await new Promise((ok, no) => {
        const r = db.transaction("progress").objectStore("progress").getAll();
        r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
      db.close();
      return Object.fromEntries(rows.map((r) => [r.id, r]));
    }""")


# ------------------------------------------------------------------------------------------------
# A classroom: the site reached by a non-localhost name over plain HTTP
# ------------------------------------------------------------------------------------------------
CLASSROOM_HOST = "classroom.test"


def classroom_browser(netlog: Path, log: Path, host: str = CLASSROOM_HOST) -> Browser:
    """A Chromium that resolves `host` to 127.0.0.1, so `http://classroom.test:PORT/` is what a learner
    on a classroom's Wi-Fi sees: not a secure context, so no service worker and no /drive in the kernel."""
    previous = os.environ.get("TINYTORCH_CHROMIUM_ARGS")
    os.environ["TINYTORCH_CHROMIUM_ARGS"] = json.dumps([f"--host-resolver-rules=MAP {host} 127.0.0.1"])
    try:
        return Browser(netlog=netlog, log=log)
    finally:
        if previous is None:
            del os.environ["TINYTORCH_CHROMIUM_ARGS"]
        else:
            os.environ["TINYTORCH_CHROMIUM_ARGS"] = previous


def classroom_url(base_url: str, host: str = CLASSROOM_HOST) -> str:
    """`base_url` (http://127.0.0.1:PORT) with the classroom host name instead of the loopback address."""
    return re.sub(r"^http://(127\.0\.0\.1|localhost)", f"http://{host}", base_url)


# ------------------------------------------------------------------------------------------------
# A cell that keeps running (the learner loop tests): start it, do not wait for it
# ------------------------------------------------------------------------------------------------
def start_code(page: Page, code: str) -> int:
    """Append a code cell with `code` and start running it; return its index without waiting."""
    wait_kernel_idle(page)
    return page.js(_APPEND_AND_RUN, code)


def wait_cell(page: Page, index: int, timeout_ms: int = KERNEL_TIMEOUT_MS) -> dict:
    """Wait for the cell at `index` to finish; return its output as run_code does."""
    page.wait_for(_CELL_DONE, index, timeout_ms=timeout_ms, polling=100)
    return dict(page.js(_CELL_OUTPUT, index), index=index)
