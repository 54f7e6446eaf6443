"""site/serve.py, the one-learner server: what only it promises (the shared contract is in
test_servers.py)."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import urllib.parse

import pytest
import serve
from conftest import serve_py
from test_servers import request


def test_listen_backlog_is_at_least_128(tiny_site):
    if not shutil.which("ss"):
        pytest.fail("`ss` (iproute2) is needed to read the listen backlog")
    with serve_py(tiny_site) as (url, _):
        port = urllib.parse.urlsplit(url).port
        out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
        backlog = int(out.split()[2])  # State Recv-Q Send-Q(= the backlog of a listening socket) ...
        assert backlog >= 128, out


def test_idle_connections_are_closed(tiny_site):
    with serve_py(tiny_site, "--idle-seconds", "1") as (url, _):
        port = urllib.parse.urlsplit(url).port
        with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
            t0 = time.monotonic()
            assert s.recv(1) == b""  # the server hung up on a silent client
            assert time.monotonic() - t0 < 8


def test_sub_path_prefix(tiny_site):
    with serve_py(tiny_site, "--prefix", "/course/") as (url, _):
        assert request(url, "/course/")[0].status == 200
        assert request(url, "/course/lab/")[1].startswith(b"<!doctype html><title>lab")
        moved = request(url, "/course")[0]
        assert moved.status == 301 and moved.getheader("Location") == "/course/"
        assert request(url, "/index.html")[0].status == 404


def test_startup_line_names_the_address(tiny_site):
    with serve_py(tiny_site) as (url, output):
        time.sleep(0.2)
        output.seek(0)
        assert re.search(rf"Serving .* at {re.escape(url)}/ ", output.read())


def test_bind_beyond_loopback_warns():
    assert serve.bind_warning("127.0.0.1") is None and serve.bind_warning("localhost") is None
    warning = serve.bind_warning("0.0.0.0")
    assert "other machines can reach" in warning and "make classroom" in warning
