"""The HTTP headers the course needs, in one place for both servers (site/serve.py for one learner,
site/classroom.py + nginx for a classroom), so the two cannot drift apart.

Why each rule:
- MIME types: a module script must come as text/javascript and streaming wasm compile needs
  application/wasm; /etc/mime.types does not list `.mjs` everywhere.
- CSP `connect-src 'self' blob: data:`: neither the page nor the kernel's worker can fetch another
  origin, so `micropip.install("x")` fails at once instead of trying the internet. It must be a
  header: a <meta> CSP does not cover the worker.
- Cache: files whose names do not change (the tinytorch wheel, pyodide-lock.json, notebooks) get
  `Cache-Control: no-cache` + ETag, so a returning learner's browser revalidates them and a rebuilt
  course reaches it (without the header browsers cache heuristically from Last-Modified, and the
  kernel silently imports the old wheel). Only content-hashed names (webpack's `1053.6c533be.js`)
  are cached for a year.
"""

from __future__ import annotations

import re

CSP = "connect-src 'self' blob: data:"

MIME_TYPES = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".whl": "application/zip",
    ".ipynb": "application/json",
    ".json": "application/json",
}

REVALIDATE = "no-cache"
IMMUTABLE = "public, max-age=31536000, immutable"

# webpack chunk names carry a content hash: build/1053.6c533be.js, extensions/x/static/568.1e2f....js
HASHED_NAME = re.compile(r"(^|/)(build|static)/[^/]*\.[0-9a-f]{7,32}\.(js|css)$")

# what a pre-compressed copy (`name.br`, `name.gz`, written by site/precompress.py) is worth for
COMPRESSIBLE = (".js", ".mjs", ".css", ".html", ".json", ".ipynb", ".wasm", ".txt", ".svg", ".map", ".py")


def cache_control(url_path: str) -> str:
    """Cache-Control for a file at `url_path` (relative to the site root, no leading prefix)."""
    return IMMUTABLE if HASHED_NAME.search(url_path) else REVALIDATE
