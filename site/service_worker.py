"""Keep JupyterLite's service worker out of the way of the files it only passes on (run by site/build.py).

Why: JupyterLite 0.6.4's service worker is there for two things, /api/drive (the kernel's synchronous
file access to the browser's storage: /drive) and /api/stdin (input()). Every other GET it answers with
`fetch(request)` itself (its own cache is off unless `enableServiceWorkerCache`), so every file of a kernel
start, the app's ~130 scripts, pyodide.asm.wasm and the 25 preloaded wheels (30 MB decoded), is piped
through the worker's JavaScript, even when it comes from the HTTP cache. benchmarks/kernel_start.py
measured the preloaded wheels arriving 4-5 s after they were asked for through it (warm: every byte
already in the HTTP cache), against 0.3-0.5 s for the same files without it.

What changes, in the built service-worker.js (the same on every build; the build fails if JupyterLite's
file no longer has the expected code):
1. the fetch handler leaves alone the requests it would only pass on (no respondWith: the browser
   fetches them itself, HTTP cache included); /api/drive, /api/stdin and the heartbeat are unchanged;
2. at install, a static route (the Service Worker static routing API, Chromium >= 123; ignored where it
   is missing) sends every request outside */api/* to the network without waking the worker at all.
The responses are the same bytes with the same headers; only the detour is gone.
"""

from __future__ import annotations

from pathlib import Path

PASS_ON = "shouldDrop(t,a)||(n=maybeFromCache(e))"
ONLY_WHEN_CACHING = "enableCache&&!shouldDrop(t,a)&&(n=maybeFromCache(e))"

INSTALL = "function onInstall(e){self.skipWaiting(),e.waitUntil(cacheAll())}"
ROUTES = (
    'const NETWORK_ROUTE={condition:{not:{urlPattern:new URLPattern({pathname:"*/api/*"})}},source:"network"};'
    "function onInstall(e){self.skipWaiting(),e.waitUntil(cacheAll()),"
    'e.addRoutes&&e.waitUntil(e.addRoutes(NETWORK_ROUTE).catch(r=>console.warn("no static route:",r)))}'
)


def patch(output: Path) -> None:
    """Rewrite `output`/service-worker.js in place (see the module docstring)."""
    path = output / "service-worker.js"
    text = path.read_text()
    for old, new in ((PASS_ON, ONLY_WHEN_CACHING), (INSTALL, ROUTES)):
        if text.count(old) != 1:
            raise SystemExit(
                f"{path}: expected JupyterLite's code {old!r} once (found {text.count(old)}): "
                "has jupyterlite-core changed? Update site/service_worker.py."
            )
        text = text.replace(old, new)
    path.write_text(text)
