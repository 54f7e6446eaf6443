"""A classroom at once, on loopback: N simulated learners each fetch the kernel-start set of lesson 01
(benchmarks/kernel_start_files.txt: what Chromium fetched on a first visit) over 6 keep-alive
connections, as a browser does, from three servers on the same built site:

- plain nginx: Debian's nginx with a minimal config (plain files, no pre-compressed copies): the yardstick;
- classroom:   site/classroom.py's nginx config (`make classroom`: .br/.gz copies, keep-alive, headers);
- serve.py:    site/serve.py, the one-learner server.

    python -m benchmarks.classroom_load [--learners 30 100] [--rounds 3]     (needs `make site`, nginx)

Contenders are interleaved within each round; prints per learner count the median time until every
learner has every file, errors (resets, timeouts, non-200s) and MB per learner, and the ratio to
plain nginx. Bounded: each run stops after --run-timeout s (unfinished files count as errors). Nothing
leaves 127.0.0.1. The client is one asyncio process: on a 2-core machine it shares the CPU with the
server, so absolute times are pessimistic; the ratios are the point.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "site"))

import classroom  # noqa: E402

SITE = ROOT / "site" / "_output"
FILES = Path(__file__).with_name("kernel_start_files.txt")
CONNECTIONS_PER_LEARNER = 6  # what Chromium opens per host over HTTP/1.1
ACCEPT = "gzip, deflate, br"  # what Chromium sends over plain http:// (br included since Chromium 50+ on localhost)

PLAIN_NGINX = """
@USER@
worker_processes auto;
pid @RUN@/nginx.pid;
error_log @RUN@/error.log warn;
events { worker_connections 4096; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    client_body_temp_path @RUN@/client_body;
    server { listen 127.0.0.1:@PORT@ backlog=511; root @ROOT@; }
}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def plain_nginx(site: Path):
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="tinytorch-plain-nginx-") as run:
        Path(run).chmod(0o755)
        conf = Path(run) / "nginx.conf"
        user = "user www-data;" if os.geteuid() == 0 else ""
        conf.write_text(
            PLAIN_NGINX.replace("@USER@", user)
            .replace("@RUN@", run)
            .replace("@PORT@", str(port))
            .replace("@ROOT@", str(site.resolve()))
        )
        proc = subprocess.Popen(
            [classroom.NGINX, "-p", run, "-e", f"{run}/error.log", "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            classroom.wait_listening("127.0.0.1", port, proc)
            yield f"http://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@contextlib.contextmanager
def classroom_nginx(site: Path):
    with classroom.running(site, free_port(), "127.0.0.1") as url:
        yield url


@contextlib.contextmanager
def serve_py(site: Path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "site" / "serve.py"), str(site), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        classroom.wait_listening("127.0.0.1", port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


CONTENDERS = {"plain nginx": plain_nginx, "classroom": classroom_nginx, "serve.py": serve_py}


class Tally:
    def __init__(self):
        self.errors = 0
        self.bytes = 0


async def fetch_on_connection(port: int, prefix: str, queue: list[str], tally: Tally, deadline: float):
    """One browser connection: take the learner's next file until none is left; reconnect on a close."""
    reader = writer = None
    while queue:
        path = queue.pop()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            request = f"GET {prefix}/{path} HTTP/1.1\r\nHost: classroom\r\nAccept-Encoding: {ACCEPT}\r\n\r\n"
            writer.write(request.encode())
            timeout = max(0.1, deadline - time.monotonic())
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split()[1])
            headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
            body = await asyncio.wait_for(reader.readexactly(int(headers.get("content-length", 0))), timeout)
            tally.bytes += len(head) + len(body)
            if status != 200:
                tally.errors += 1
            if headers.get("connection", "").lower() == "close":
                writer.close()
                reader = writer = None
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError, ValueError):
            tally.errors += 1
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def classroom_run(base: str, files: list[str], learners: int, run_timeout: float) -> dict:
    url = urllib.parse.urlsplit(base)
    port, prefix = url.port, url.path
    tally = Tally()
    t0 = time.monotonic()
    deadline = t0 + run_timeout
    tasks = []
    for _ in range(learners):
        queue = list(reversed(files))  # shared by this learner's connections, in the page's order
        tasks += [
            fetch_on_connection(port, prefix.rstrip("/"), queue, tally, deadline)
            for _ in range(CONNECTIONS_PER_LEARNER)
        ]
    await asyncio.gather(*tasks)
    return {"seconds": time.monotonic() - t0, "errors": tally.errors, "mb_per_learner": tally.bytes / 1e6 / learners}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--learners", type=int, nargs="+", default=[30, 100])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--run-timeout", type=float, default=120.0)
    args = ap.parse_args(argv)
    if not (SITE / "index.html").is_file():
        sys.exit(f"{SITE} not built: run `make site` first")
    files = FILES.read_text().split()
    size = sum((SITE / f).stat().st_size for f in files)
    print(f"kernel-start set: {len(files)} files, {size / 1e6:.1f} MB; {CONNECTIONS_PER_LEARNER} connections/learner")
    results = {(name, n): [] for name in CONTENDERS for n in args.learners}
    for r in range(args.rounds):
        for n in args.learners:
            for name, start in CONTENDERS.items():  # interleaved: the machine's load hits each alike
                with start(SITE) as base:
                    run = asyncio.run(classroom_run(base, files, n, args.run_timeout))
                results[(name, n)].append(run)
                print(f"  round {r + 1} {n:3d} learners {name:12s} {run['seconds']:6.2f} s  errors {run['errors']}")
    header = ("learners", "server", "all done (median)", "vs plain nginx", "errors", "MB/learner")
    print("\n{:>8}  {:12s} {:>18} {:>15} {:>7} {:>10}".format(*header))
    for n in args.learners:
        base = statistics.median(r["seconds"] for r in results[("plain nginx", n)])
        for name in CONTENDERS:
            runs = results[(name, n)]
            med = statistics.median(r["seconds"] for r in runs)
            errors = sum(r["errors"] for r in runs)
            mb = statistics.median(r["mb_per_learner"] for r in runs)
            print(f"{n:8d}  {name:12s} {med:16.2f} s {med / base:14.2f}x {errors:7d} {mb:10.1f}")
    print("goal: classroom within 1.2x of plain nginx with 0 errors; serve.py with 0 errors")


if __name__ == "__main__":
    main()
