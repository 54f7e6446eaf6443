"""Serve the built site on 127.0.0.1 only (never on other interfaces).

    python site/serve.py [DIR] [PORT] [--no-csp] [--log FILE]      (defaults: site/_output 8000)

Why not plain `python -m http.server`:
- `.mjs` and `.wasm` must be sent as text/javascript and application/wasm (a module script or
  streaming wasm compile refuses anything else); http.server only gets them right where
  /etc/mime.types happens to list them;
- by default every response carries `Content-Security-Policy: connect-src 'self' blob: data:`, so
  neither the page nor the kernel's web worker can fetch from another origin: a learner's
  `micropip.install("x")` or `pyfetch("https://...")` fails at once instead of trying the internet.
  (It has to be a header: a <meta> CSP does not cover the worker.)
"""

from __future__ import annotations

import argparse
import functools
import http.server
from pathlib import Path

CSP = "connect-src 'self' blob: data:"
MIME_TYPES = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".whl": "application/zip",
    ".ipynb": "application/json",
    ".json": "application/json",
}


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}
    csp = True
    log_file = None

    def end_headers(self):
        if self.csp:
            self.send_header("Content-Security-Policy", CSP)
        super().end_headers()

    def log_message(self, fmt, *args):
        if self.log_file:
            self.log_file.write(f"{self.log_date_time_string()} {fmt % args}\n")


def main():
    repo = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default=str(repo / "site" / "_output"))
    ap.add_argument("port", nargs="?", type=int, default=8000)
    ap.add_argument("--no-csp", action="store_true", help="do not send the Content-Security-Policy header")
    ap.add_argument("--log", help="append every request to this file (default: no request log)")
    args = ap.parse_args()
    root = Path(args.dir)
    if not (root / "index.html").is_file():
        raise SystemExit(f"{root}/index.html not found: build the site first (`make site`)")
    SiteHandler.csp = not args.no_csp
    SiteHandler.log_file = open(args.log, "a", buffering=1) if args.log else None
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", args.port), functools.partial(SiteHandler, directory=str(root))
    )
    print(
        f"Serving {root} at http://127.0.0.1:{args.port}/ (CSP {'off' if args.no_csp else 'on'}; Ctrl+C stops)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
