"""Serve the built site to one learner on this machine (for a classroom: `make classroom`, see README).

    python site/serve.py [DIR] [PORT] [--bind ADDR] [--prefix /course/] [--no-csp] [--log FILE]
    (defaults: site/_output 8000, bound to 127.0.0.1)

Why not plain `python -m http.server` (which this builds on):
- headers from site/http_policy.py: the right MIME types for .mjs/.wasm, the CSP that keeps the page
  and the kernel offline, `X-Content-Type-Options: nosniff`, and ETag + `Cache-Control: no-cache`
  (long-lived only for content-hashed names) so a rebuilt course reaches a returning learner;
- a listen backlog of 128 (http.server's 5 resets connections when a page asks for 150 files at once),
  HTTP/1.1 keep-alive, and idle connections closed after IDLE_SECONDS;
- no directory listings, a clean 400 for a path with NUL or `..`, and nothing outside DIR is served,
  even through a symlink inside it;
- pre-compressed copies (`x.js.br`, `x.js.gz` from the build) sent with Content-Encoding when the
  browser accepts them;
- `--prefix /course/` serves the site under a sub-path, as a shared web server would.
"""

from __future__ import annotations

import argparse
import email.utils
import http.server
import ipaddress
import posixpath
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: site/ holds http_policy
import http_policy  # noqa: E402

BACKLOG = 128
IDLE_SECONDS = 30
ENCODINGS = (("br", ".br"), ("gzip", ".gz"))  # preferred first


class SiteServer(http.server.ThreadingHTTPServer):
    request_queue_size = BACKLOG
    daemon_threads = True


class BadPath(ValueError):
    """A request path this server refuses with 400 (NUL byte, `..`, backslash)."""


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: one connection carries many files
    timeout = IDLE_SECONDS  # socket timeout: an idle keep-alive connection is closed
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **http_policy.MIME_TYPES}
    root: Path = Path(".")
    prefix = "/"
    csp = True
    log_file = None

    # -- mapping a URL to a file ------------------------------------------------------------
    def site_path(self) -> str:
        """The request's path relative to the site root ('' for the root); BadPath for a refused one;
        None when it is outside the prefix."""
        raw = urllib.parse.urlsplit(self.path).path
        path = urllib.parse.unquote(raw, errors="strict")
        if "\x00" in path or "\\" in path or ".." in path.split("/"):
            raise BadPath(raw)
        if not path.startswith(self.prefix):
            return None
        return path[len(self.prefix) :]

    def resolve(self, rel: str) -> Path | None:
        """The file for `rel`, or None: missing, or (through a symlink) outside the root."""
        target = (self.root / rel).resolve()
        if target != self.root and self.root not in target.parents:
            return None
        if target.is_dir():
            target = target / "index.html"
        return target if target.is_file() else None

    # -- responses ----------------------------------------------------------------------------
    def end_headers(self):
        if self.csp:
            self.send_header("Content-Security-Policy", http_policy.CSP)
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def send_error(self, code, message=None, explain=None):
        self.close_connection = code == 400 or self.close_connection
        super().send_error(code, message, explain)

    def send_head(self):
        try:
            rel = self.site_path()
        except (BadPath, UnicodeDecodeError):
            self.send_error(400, "Bad request path")
            return None
        if rel is None:
            if self.prefix != "/" and urllib.parse.urlsplit(self.path).path in ("/", self.prefix.rstrip("/")):
                return self.redirect(self.prefix)
            self.send_error(404, "Not found")
            return None
        file = self.resolve(rel)
        if file is None:
            self.send_error(404, "Not found")
            return None
        if file.name == "index.html" and (self.root / rel).is_dir() and rel and not rel.endswith("/"):
            return self.redirect(self.prefix + rel + "/")  # relative links in the page need the slash
        return self.send_file(file, rel)

    def redirect(self, location: str):
        self.send_response(301)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return None

    def send_file(self, file: Path, rel: str):
        body, encoding = file, None
        accepted = self.headers.get("Accept-Encoding", "")
        for name, suffix in ENCODINGS:
            if name in accepted and file.with_name(file.name + suffix).is_file():
                body, encoding = file.with_name(file.name + suffix), name
                break
        stat = body.stat()
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}{"-" + encoding if encoding else ""}"'
        headers = {
            "ETag": etag,
            "Last-Modified": email.utils.formatdate(stat.st_mtime, usegmt=True),
            "Cache-Control": http_policy.cache_control(rel or "index.html"),
            "Vary": "Accept-Encoding",
        }
        if etag in [t.strip() for t in self.headers.get("If-None-Match", "").split(",")]:
            self.send_response(304)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            return None
        f = open(body, "rb")
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(file)))
        self.send_header("Content-Length", str(stat.st_size))
        if encoding:
            self.send_header("Content-Encoding", encoding)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        return f

    def guess_type(self, path):
        return self.extensions_map.get(posixpath.splitext(path)[1].lower()) or super().guess_type(path)

    def list_directory(self, path):  # never reached (send_head serves index.html or 404); kept closed
        self.send_error(404, "Not found")
        return None

    def log_message(self, fmt, *args):
        if self.log_file:
            self.log_file.write(f"{self.log_date_time_string()} {fmt % args}\n")


def normalize_prefix(prefix: str) -> str:
    return "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return address == "localhost"


def bind_warning(bind: str) -> str | None:
    if is_loopback(bind):
        return None
    return (
        f"WARNING: listening on {bind}: other machines can reach this server. It is meant for one learner; "
        "for a classroom use `make classroom` (nginx). Over plain http:// from another machine the browser "
        "gives no service worker (see README, 'For instructors')."
    )


def make_server(
    root: Path, port: int, bind="127.0.0.1", prefix="/", csp=True, log=None, idle_seconds: float = IDLE_SECONDS
):
    handler = type(
        "BoundSiteHandler",
        (SiteHandler,),
        {
            "root": root.resolve(),
            "prefix": normalize_prefix(prefix),
            "csp": csp,
            "log_file": log,
            "timeout": idle_seconds,
        },
    )
    return SiteServer((bind, port), handler)


def main(argv=None):
    repo = Path(__file__).resolve().parents[1]
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", nargs="?", default=str(repo / "site" / "_output"))
    ap.add_argument("port", nargs="?", type=int, default=8000)
    ap.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    ap.add_argument("--prefix", default="/", help="serve the site under this URL path, e.g. /course/")
    ap.add_argument("--no-csp", action="store_true", help="do not send the Content-Security-Policy header")
    ap.add_argument("--idle-seconds", type=float, default=IDLE_SECONDS, help="close idle connections after this")
    ap.add_argument("--log", help="append every request to this file (default: no request log)")
    args = ap.parse_args(argv)
    root = Path(args.dir)
    if not (root / "index.html").is_file():
        raise SystemExit(f"{root}/index.html not found: build the site first (`make site`)")
    warning = bind_warning(args.bind)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    log = open(args.log, "a", buffering=1) if args.log else None
    server = make_server(root, args.port, args.bind, args.prefix, not args.no_csp, log, args.idle_seconds)
    prefix = normalize_prefix(args.prefix)
    print(
        f"Serving {root} at http://{args.bind}:{args.port}{prefix} (CSP {'off' if args.no_csp else 'on'}; "
        "Ctrl+C stops)",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
