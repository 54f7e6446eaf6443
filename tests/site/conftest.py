"""A tiny site standing in for site/_output, and the two servers running on it, started as a person
starts them: site/serve.py as a process (`serve.py SITE PORT`), nginx through site/classroom.py.
Loopback only."""

from __future__ import annotations

import contextlib
import gzip
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE_SRC = ROOT / "site"
sys.path.insert(0, str(SITE_SRC))

import classroom  # noqa: E402

HASHED = "build/1053.6c533be.js"
WHEEL = "static/pyodide/tinytorch-0.1.0-py3-none-any.whl"
LOCK = "static/pyodide/pyodide-lock.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_site(root: Path) -> Path:
    """index.html, a hashed chunk, a wheel and lock, a folder without index, a lab/ app folder, a
    pre-compressed copy, and a symlink pointing outside the site."""
    site = root / "site"
    files = {
        "index.html": "<!doctype html><title>course</title>",
        HASHED: "console.log('chunk');" * 100,
        WHEEL: "PK wheel v1",
        LOCK: '{"packages": {"tinytorch": {}}}' * 50,
        "build/plain.txt": "no index here",
        "lab/index.html": "<!doctype html><title>lab</title>",
        "app.mjs": "export const x = 1;",
        "pyodide.asm.wasm": "\0asm",
    }
    for rel, text in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_text(text)
    (site / (LOCK + ".gz")).write_bytes(gzip.compress((site / LOCK).read_bytes()))
    secret = root / "secret.txt"
    secret.write_text("outside the site")
    os.symlink(secret, site / "escape.txt")
    os.symlink(root, site / "escape-dir")
    for p in [root, *root.rglob("*")]:  # nginx's workers (www-data when run as root) must read it
        if not p.is_symlink():
            p.chmod(0o755 if p.is_dir() else 0o644)
    return site


@pytest.fixture(scope="session")
def tiny_site():
    with tempfile.TemporaryDirectory(prefix="tinytorch-site-") as tmp:
        yield make_site(Path(tmp))


@contextlib.contextmanager
def serve_py(site: Path, *options: str):
    """site/serve.py SITE PORT [options] as a process; yields (base URL, process output file)."""
    port = free_port()
    with tempfile.TemporaryFile("w+") as output:
        proc = subprocess.Popen(
            [sys.executable, str(SITE_SRC / "serve.py"), str(site), str(port), *options],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 15
            while True:
                assert proc.poll() is None, f"serve.py exited: {output.seek(0) or output.read()}"
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
                assert time.monotonic() < deadline, "serve.py did not listen within 15 s"
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port}", output
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@contextlib.contextmanager
def nginx(site: Path, prefix: str = "/"):
    if not Path(classroom.NGINX).exists():
        pytest.fail(f"{classroom.NGINX} missing: `make setup` installs Debian's nginx-light for the classroom mode")
    with classroom.running(site, free_port(), "127.0.0.1", prefix) as url:
        yield url


@pytest.fixture(scope="module", params=["serve.py", "nginx"])
def server(request, tiny_site):
    """Base URL (no trailing slash) of each server on the tiny site."""
    if request.param == "serve.py":
        with serve_py(tiny_site) as (url, _):
            yield url
    else:
        with nginx(tiny_site) as url:
            yield url
