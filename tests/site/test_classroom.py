"""Classroom mode (site/classroom.py + site/classroom.nginx.conf on Debian's nginx): the parts the
shared contract (test_servers.py) does not cover, and the build's pre-compressed copies and mtimes."""

from __future__ import annotations

import gzip
import os
import re
import subprocess
import tempfile
from pathlib import Path

import brotli
import classroom
import precompress
from conftest import LOCK, nginx
from test_servers import request


def test_rendered_config_passes_nginx_own_check(tiny_site, tmp_path):
    conf = tmp_path / "nginx.conf"
    conf.write_text(classroom.render_config(tiny_site, tmp_path, "127.0.0.1:1", "/course/"))
    result = subprocess.run(
        [classroom.NGINX, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "e.log"), "-c", str(conf)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert not re.search(r"@[A-Z_]+@", conf.read_text().split("\n", 3)[3]), "a placeholder was left unfilled"


def test_sub_path_through_nginx(tiny_site):
    with nginx(tiny_site, prefix="/course/") as url:
        assert url.endswith("/course")
        root = url.removesuffix("/course")
        assert request(url, "/")[0].status == 200
        assert request(url, "/" + LOCK)[0].getheader("Cache-Control") == "no-cache"
        moved = request(root, "/course")[0]
        assert moved.status == 301 and moved.getheader("Location").endswith("/course/")
        assert request(root, "/index.html")[0].status == 404


def test_brotli_copy_preferred_when_the_browser_accepts_it():
    with tempfile.TemporaryDirectory() as tmp:  # not pytest's tmp_path: its 0700 parent hides it from www-data
        check_brotli_served(Path(tmp))


def check_brotli_served(tmp_path: Path):
    site = tmp_path / "site"
    (site / "static").mkdir(parents=True)
    (site / "index.html").write_text("<!doctype html>" + "x" * 5000)
    precompress.write_copies(site, tmp_path / "cache")
    for p in [tmp_path, *tmp_path.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    with nginx(site) as url:
        resp, body = request(url, "/", {"Accept-Encoding": "gzip, deflate, br"})
        assert resp.status == 200 and resp.getheader("Content-Encoding") == "br"
        assert brotli.decompress(body).startswith(b"<!doctype html>")


def test_build_copies_and_one_mtime(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "big.js").write_text("let a = 1;\n" * 2000)
    (site / "small.json").write_text("{}")  # under 1 kB: no copies
    (site / "t.whl").write_bytes(os.urandom(4000))  # a zip: not worth it
    os.utime(site / "big.js", (489024000, 489024000))  # 1985, as npm tarballs carry
    totals = precompress.write_copies(site, tmp_path / "cache")
    assert gzip.decompress((site / "big.js.gz").read_bytes()) == (site / "big.js").read_bytes()
    assert brotli.decompress((site / "big.js.br").read_bytes()) == (site / "big.js").read_bytes()
    assert not (site / "small.json.gz").exists() and not (site / "t.whl.gz").exists()
    assert totals["files"] == 1 and totals[".br"] < totals["bytes"] / 10
    precompress.stamp_mtimes(site, 1_800_000_000)
    assert {p.stat().st_mtime for p in site.iterdir()} == {1_800_000_000}


def test_wifi_arithmetic_counts_learners_times_megabytes(tmp_path, monkeypatch):
    site = tmp_path
    (site / "a.wasm").write_bytes(b"x" * 2_000_000)
    (site / "a.wasm.br").write_bytes(b"x" * 500_000)
    listing = tmp_path / "list.txt"
    listing.write_text("a.wasm\n")
    monkeypatch.setattr(classroom, "KERNEL_START_LIST", listing)
    text = classroom.wifi_arithmetic(Path(site), learners=(30,), mbit=100)
    assert "0.5 MB per learner (2.0 MB uncompressed)" in text
    assert "30 learners at once: 15 MB = about 1 s over 100 Mbit/s" in text
