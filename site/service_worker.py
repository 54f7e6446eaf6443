"""JupyterLite's service worker answers only what needs it: the kernel's /drive and input() requests
(a patch of the built service-worker.js of JupyterLite 0.6).

Why: the service worker exists so the kernel's worker can reach the browser's storage (/drive) and the
keyboard (input()) with synchronous requests. It also intercepted every other request of the page and
of the kernel's worker and answered it with its own `fetch()` of the same request (its cache is off:
`enableCache` is never set), so each of the ~20 wheels and the Python runtime the kernel loads at start
was piped through the service worker's thread while the page's main thread was busy starting the app.
Not answering them lets the browser fetch them itself, from its HTTP cache or the server, exactly as the
pass-through did. Measured with the kernel's worker starting with the page (site/early_kernel.py), 3
interleaved runs: open -> first output 0.93x warm, 0.97x cold; the wheels arrived by 0.9 s instead of 4.7 s.
"""

from __future__ import annotations

from pathlib import Path

# onFetch: requests for /api/drive and /api/stdin are broadcast to the page, other /api/ requests and
# non-GETs dropped (the browser's default), everything else answered by maybeFromCache
ANSWER_ALL = "shouldDrop(t,a)||(n=maybeFromCache(e))"
ANSWER_CACHED = "shouldDrop(t,a)||!enableCache||(n=maybeFromCache(e))"


def patch_site(output: Path) -> str:
    """Patch output/service-worker.js (see the module's docstring); returns what was done, for the log."""
    worker = output / "service-worker.js"
    source = worker.read_text()
    if source.count(ANSWER_ALL) != 1:
        raise SystemExit(f"service_worker: {worker} has `{ANSWER_ALL}` {source.count(ANSWER_ALL)} times, not once")
    worker.write_text(source.replace(ANSWER_ALL, ANSWER_CACHED))
    return "service worker answers only /drive and input() requests"
