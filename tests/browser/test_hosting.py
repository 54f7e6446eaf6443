"""Hosting the built course (issue 15), in headless Chromium as a learner meets it:

- an instructor rebuilds the course with a changed tinytorch wheel; a learner who visited before comes
  back in the same browser (same HTTP cache) and the kernel imports the NEW wheel;
- the course served from a sub-path (/course/) by the classroom nginx works: landing page, lesson, kernel;
- a static host that sends .wasm as application/octet-stream still starts the kernel;
- opened from file:// the landing page says why nothing loads and what to do.

Each test serves its own copy of site/_output (the rebuild edits files); one Chromium for the session.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import sys
import tempfile
import threading
import time
import zipfile
from functools import partial
from pathlib import Path

import pytest
from site_driver import (
    LANDING_READY,
    ROOT,
    SITE,
    free_port,
    open_landing,
    open_notebook,
    run_code,
    save_notebook,
    serve,
)

sys.path.insert(0, str(ROOT / "site"))
import classroom  # noqa: E402
import precompress  # noqa: E402

pytestmark = pytest.mark.browser

LESSON_01 = "lessons/01_tensor.ipynb"
MARKER = "tinytorch/_build_marker.py"
READ_MARKER = "import tinytorch._build_marker as m\nprint('BUILD', m.BUILD)"


@pytest.fixture
def site_copy():
    """A copy of the built site, readable by nginx's workers, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="tinytorch-hosting-") as tmp:
        site = Path(tmp) / "site"
        shutil.copytree(SITE, site)
        Path(tmp).chmod(0o755)
        yield site


def rebuild(site: Path, build: str, when: float) -> None:
    """What a rebuild changes for a returning learner: a new tinytorch wheel (here with a module
    naming the build), the lock's sha256 for it, fresh .br/.gz copies, and the build's mtime
    (precompress.py: the same last step as site/build.py)."""
    pyodide = site / "static" / "pyodide"
    (wheel,) = pyodide.glob("tinytorch-*.whl")
    rebuilt = wheel.with_suffix(".new")
    with zipfile.ZipFile(wheel) as old, zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            if item.filename != MARKER:
                new.writestr(item, old.read(item))
        new.writestr(MARKER, f"BUILD = {build!r}\n")
    rebuilt.replace(wheel)
    lock_path = pyodide / "pyodide-lock.json"
    lock = json.loads(lock_path.read_text())
    lock["packages"]["tinytorch"]["sha256"] = hashlib.sha256(wheel.read_bytes()).hexdigest()
    lock_path.write_text(json.dumps(lock))
    for copy in pyodide.glob("pyodide-lock.json.*"):
        copy.unlink()
    precompress.write_copies(site, ROOT / ".cache" / "precompressed")
    precompress.stamp_mtimes(site, when)


def test_rebuilt_course_reaches_a_returning_learner(browser, site_copy):
    rebuild(site_copy, "first", when=time.time() - 86400)  # built the day before class
    with serve(site_copy) as base:
        page = browser.new_page()
        try:
            open_notebook(page, base, LESSON_01)
            first = run_code(page, READ_MARKER)
            assert "BUILD first" in first["text"], first

            save_notebook(page)  # no "leave the page?" prompt

            rebuild(site_copy, "again", when=time.time())  # same size: only the content and mtime differ
            returning = page.sibling()  # the same browser comes back: same HTTP cache and storage
            open_notebook(returning, base, LESSON_01)
            second = run_code(returning, READ_MARKER)
            assert "BUILD again" in second["text"], f"the kernel imported the old wheel after a rebuild: {second}"
        finally:
            page.close()


def test_course_under_a_sub_path_through_the_classroom_server(browser, site_copy):
    with classroom.running(site_copy, free_port(), "127.0.0.1", "/course/") as base:
        assert base.endswith("/course")
        page = browser.new_page()
        try:
            items = open_landing(page, base)
            assert len([i for i in items if i["kind"] == "lesson"]) == 20
            open_notebook(page, base, LESSON_01)
            out = run_code(page, "import tinytorch, numpy\nprint('OK', tinytorch.__version__)")
            assert out["error"] == [] and "OK " in out["text"], out
            port = base.split(":")[2].split("/")[0]
            errors = [e for e in browser.requests()["http_errors"] if f":{port}/" in e["url"]]
            assert errors == [], f"files missing under /course/: {errors[:10]}"
        finally:
            page.close()


class _HostWithoutWasmType(http.server.SimpleHTTPRequestHandler):
    """A static host that does not know .wasm: it sends Pyodide's runtime as application/octet-stream."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/octet-stream"}

    def log_message(self, *args):
        pass


def test_a_host_that_sends_wasm_as_octet_stream_still_starts_the_kernel(browser):
    # streaming compile refuses a .wasm without application/wasm; the page script (site/pages/kernel-early.js)
    # then compiles Pyodide from the bytes and hands the module to the kernel's worker, which never needs the
    # type (before: the worker's streaming compile failed and the kernel never started)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), partial(_HostWithoutWasmType, directory=SITE))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page = browser.new_page()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        open_notebook(page, base, LESSON_01)
        out = run_code(page, "import tinytorch, numpy\nprint('OK', tinytorch.__version__)")
        assert out["error"] == [] and "OK " in out["text"], out
    finally:
        page.close()
        server.shutdown()
        server.server_close()


def test_file_url_says_how_to_serve_the_course(page):
    page.goto(url=(SITE / "index.html").as_uri())
    page.wait_for("() => document.body.dataset.protocol === 'file'", timeout_ms=10_000)
    text = page.js("() => document.getElementById('file-protocol')?.textContent ?? ''")
    assert "file://" in text and "serve" in text.lower() and "http://" in text
    assert page.js(f"() => ({LANDING_READY})()") is False  # the course itself does not pretend to load
