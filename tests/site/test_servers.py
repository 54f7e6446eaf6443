"""What both servers promise (site/serve.py for one learner, nginx for a classroom), checked over HTTP
the way a browser asks. The rules themselves live in site/http_policy.py."""

from __future__ import annotations

import gzip
import http.client
import socket
import urllib.parse

from conftest import HASHED, LOCK, WHEEL


def request(base: str, path: str, headers=None, method="GET"):
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    conn.request(method, url.path + path, headers=headers or {})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp, body


def raw_status(base: str, raw_path: str) -> str:
    """Send a request line as it is (no client-side quoting) and return the status line."""
    url = urllib.parse.urlsplit(base)
    with socket.create_connection((url.hostname, url.port), timeout=10) as s:
        s.sendall(f"GET {url.path}{raw_path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        return s.recv(4096).split(b"\r\n")[0].decode()


def test_security_headers_on_every_response(server):
    for path in ["/", "/" + WHEEL, "/missing"]:
        resp, _ = request(server, path)
        assert resp.getheader("X-Content-Type-Options") == "nosniff", path
        assert resp.getheader("Content-Security-Policy") == "connect-src 'self' blob: data:", path


def test_mime_types_a_module_script_and_wasm_need(server):
    assert request(server, "/app.mjs")[0].getheader("Content-Type").startswith("text/javascript")
    assert request(server, "/pyodide.asm.wasm")[0].getheader("Content-Type") == "application/wasm"


def test_names_that_do_not_change_are_revalidated_and_hashed_names_cached(server):
    for path in ["/", "/" + WHEEL, "/" + LOCK]:
        assert request(server, path)[0].getheader("Cache-Control") == "no-cache", path
    assert "immutable" in request(server, "/" + HASHED)[0].getheader("Cache-Control")


def test_etag_revalidation_answers_304(server):
    resp, body = request(server, "/" + WHEEL)
    etag = resp.getheader("ETag")
    assert etag and body == b"PK wheel v1"
    again, body = request(server, "/" + WHEEL, {"If-None-Match": etag})
    assert again.status == 304 and body == b""


def test_keep_alive_serves_many_files_on_one_connection(server):
    url = urllib.parse.urlsplit(server)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    for path in ["/", "/" + WHEEL, "/" + HASHED, "/" + LOCK] * 3:
        conn.request("GET", url.path + path)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200 and resp.version == 11, path
    sock = conn.sock
    assert sock is not None  # still the first connection: http.client would have reopened on close
    conn.close()


def test_precompressed_copy_sent_with_content_encoding(server):
    resp, body = request(server, "/" + LOCK, {"Accept-Encoding": "gzip"})
    assert resp.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(body).startswith(b'{"packages"')
    plain, body = request(server, "/" + LOCK)
    assert plain.getheader("Content-Encoding") is None and body.startswith(b'{"packages"')


def test_no_directory_listings(server):
    assert request(server, "/build/")[0].status in (403, 404)
    assert request(server, "/lab/")[0].status == 200  # a folder with index.html is its page


def test_bad_paths_get_a_clean_400_and_the_server_goes_on(server):
    assert " 400 " in raw_status(server, "/%00") + " "
    assert " 400 " in raw_status(server, "/../secret.txt") + " "
    assert request(server, "/")[0].status == 200


def test_symlinks_do_not_lead_outside_the_site(server):
    assert request(server, "/escape.txt")[0].status in (403, 404)
    assert request(server, "/escape-dir/secret.txt")[0].status in (403, 404)
