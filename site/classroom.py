"""Classroom mode: serve the built site to a room of learners on the local network with nginx.

    python site/classroom.py [--site site/_output] [--bind ADDR] [--port 8080] [--prefix /]   (`make classroom`)

Prints the address learners type and the Wi-Fi arithmetic (learners x MB of a cold lesson start),
then runs Debian's nginx in the foreground (Ctrl+C stops it) with site/classroom.nginx.conf: the
build's .br/.gz copies with Content-Encoding, keep-alive with timeouts, ETag + `Cache-Control:
no-cache` (a year only for content-hashed names), no directory listings, nosniff and the CSP header.
COOP/COEP are not sent: over plain http:// from another machine the page is not a secure context,
so they would not enable cross-origin isolation anyway (see README, "For instructors").
nginx comes from `make setup` (apt: nginx-light, libnginx-mod-http-brotli-static).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script: site/ holds http_policy
import http_policy  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = Path(__file__).with_name("classroom.nginx.conf")
NGINX = os.environ.get("NGINX", "/usr/sbin/nginx")
MIME_TYPES_FILE = "/etc/nginx/mime.types"
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")
WIFI_MBIT = 100  # what a busy room's Wi-Fi 5 access point really delivers, shared by all (not the label)
# cold start of lesson 01 (all files the browser fetches until the kernel is idle), measured by
# benchmarks/classroom_load.py from benchmarks/kernel_start_files.txt
KERNEL_START_LIST = REPO / "benchmarks" / "kernel_start_files.txt"


def lan_address() -> str:
    """The address of the interface that carries the default route (no packet is sent)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: routing decision only
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def normalize_prefix(prefix: str) -> str:
    return "/" + prefix.strip("/") + "/" if prefix.strip("/") else "/"


def render_config(site: Path, run: Path, listen: str, prefix: str = "/", access_log: str = "off") -> str:
    prefix = normalize_prefix(prefix)
    # only what /etc/nginx/mime.types lacks (.mjs, .whl, .ipynb): nginx warns about a duplicate
    listed = set(Path(MIME_TYPES_FILE).read_text().split()) if Path(MIME_TYPES_FILE).exists() else set()
    types = "\n".join(
        f"        {mime} {ext.lstrip('.')};"
        for ext, mime in http_policy.MIME_TYPES.items()
        if f"{ext.lstrip('.')};" not in listed and ext.lstrip(".") not in listed
    )
    values = {
        "LOAD_BROTLI": f"load_module {BROTLI_MODULE};" if BROTLI_MODULE.exists() else "# no brotli_static module",
        "BROTLI_STATIC": "brotli_static on;" if BROTLI_MODULE.exists() else "",
        # as root, workers drop to www-data (which must be able to read the site); otherwise they run as you
        "USER": "user www-data;" if os.geteuid() == 0 else "",
        "RUN": str(run),
        "TYPES": types,
        "ACCESS_LOG": access_log,
        "HASHED": http_policy.HASHED_NAME.pattern,
        "IMMUTABLE": http_policy.IMMUTABLE,
        "REVALIDATE": http_policy.REVALIDATE,
        "LISTEN": listen,
        "CSP": http_policy.CSP,
        "PREFIX": prefix,
        # /course -> /course/ (relative links in the pages need the slash)
        "PREFIX_REDIRECT": f"location = {prefix.rstrip('/')} {{ return 301 {prefix}; }}" if prefix != "/" else "",
        "ROOT": str(site.resolve()),
    }
    text = TEMPLATE.read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def check_nginx() -> None:
    if not Path(NGINX).exists():
        raise SystemExit(f"{NGINX} not found: run `make setup` (it installs Debian's nginx-light)")


@contextlib.contextmanager
def running(site: Path, port: int, bind: str = "127.0.0.1", prefix: str = "/", access_log: str = "off"):
    """Start nginx on bind:port serving `site`; yield its base URL; stop it. For tests and benchmarks."""
    check_nginx()
    with tempfile.TemporaryDirectory(prefix="tinytorch-nginx-") as run:
        run = Path(run)
        os.chmod(run, 0o755)
        conf = run / "nginx.conf"
        conf.write_text(render_config(site, run, f"{bind}:{port}", prefix, access_log))
        proc = subprocess.Popen(
            [NGINX, "-p", str(run), "-e", str(run / "error.log"), "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_listening(bind, port, proc)
            yield f"http://{bind}:{port}{normalize_prefix(prefix)}".rstrip("/")
        finally:
            proc.send_signal(signal.SIGQUIT)  # graceful stop
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def wait_listening(host: str, port: int, proc: subprocess.Popen, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"nginx exited with {proc.returncode}: {proc.stderr.read()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {host}:{port} within {timeout} s")


def cold_start_mb(site: Path) -> tuple[float, float]:
    """MB a learner's browser downloads to start lesson 01 cold: plain, and with the .br/.gz copies."""
    plain = packed = 0
    for rel in KERNEL_START_LIST.read_text().split():
        f = site / rel
        if not f.is_file():
            continue
        size = f.stat().st_size
        plain += size
        copies = [c.stat().st_size for c in (f.with_name(f.name + ".br"), f.with_name(f.name + ".gz")) if c.exists()]
        packed += min(copies, default=size)
    return plain / 1e6, packed / 1e6


def wifi_arithmetic(site: Path, learners=(30, 100), mbit: float = WIFI_MBIT) -> str:
    plain, packed = cold_start_mb(site)
    lines = [f"A cold lesson start downloads {packed:.1f} MB per learner ({plain:.1f} MB uncompressed)."]
    for n in learners:
        total = n * packed
        lines.append(
            f"  {n} learners at once: {total:.0f} MB = about {total * 8 / mbit:.0f} s over {mbit:.0f} Mbit/s of Wi-Fi"
        )
    lines.append("  A returning learner revalidates (304s, a few kB) unless the course was rebuilt.")
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", type=Path, default=REPO / "site" / "_output")
    ap.add_argument("--bind", default=None, help="address to listen on (default: this machine's LAN address)")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--prefix", default="/", help="serve under this URL path, e.g. /course/")
    ap.add_argument("--wifi-mbit", type=float, default=WIFI_MBIT, help="usable Wi-Fi throughput for the arithmetic")
    args = ap.parse_args(argv)
    if not (args.site / "index.html").is_file():
        raise SystemExit(f"{args.site}/index.html not found: build the site first (`make site`)")
    check_nginx()
    bind = args.bind or lan_address()
    prefix = normalize_prefix(args.prefix)
    print(f"Learners open:  http://{bind}:{args.port}{prefix}")
    if bind.startswith("127."):
        print("  (no network found: only this machine can reach it; join the room's Wi-Fi and start again)")
    print(wifi_arithmetic(args.site, mbit=args.wifi_mbit))
    print("Ctrl+C stops the server.", flush=True)
    with running(args.site, args.port, bind, prefix, access_log="off") as _:
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
