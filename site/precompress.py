"""The built site's last touch: one modification time for every file, and `.br` / `.gz` copies.

Why one modification time: npm tarballs and the Pyodide dist carry 1985 dates, and a web server's
ETag is made of mtime + size. A rebuilt wheel or lock of the same size with the same 1985 date would
keep its ETag, and a returning learner's browser (told to revalidate) would get "304 Not Modified"
and run the old tinytorch. Stamping every file with the build's time changes every ETag per build:
a returning learner downloads the course again once, and never runs a stale one.

Why copies: nginx's gzip_static/brotli_static and site/serve.py send `x.br` / `x.gz` as they are (no
compression per request, so a laptop serves a classroom): 37 MB per learner at the kernel start
becomes about 22 MB. Copies are kept only where they save at least 10 %, and are cached by content
(.cache/precompressed) so a rebuild compresses only what changed.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from pathlib import Path

import brotli  # dev dependency (requirements-dev.txt); the course itself never imports it
import http_policy

MIN_BYTES = 1024
MIN_SAVING = 0.10
BROTLI_QUALITY = 9  # 11 is 15x slower for 13 % less on pyodide.asm.wasm
ENCODERS = {
    ".br": lambda data: brotli.compress(data, quality=BROTLI_QUALITY),
    ".gz": lambda data: gzip.compress(data, compresslevel=9, mtime=0),
}


def compressible(path: Path) -> bool:
    return path.suffix in http_policy.COMPRESSIBLE and path.stat().st_size >= MIN_BYTES


def write_copies(output: Path, cache: Path) -> dict:
    """Write `.br` and `.gz` next to each compressible file; return byte totals for the build log."""
    cache.mkdir(parents=True, exist_ok=True)
    totals = {"files": 0, "bytes": 0, ".br": 0, ".gz": 0}
    for path in sorted(p for p in output.rglob("*") if p.is_file() and compressible(p)):
        data = path.read_bytes()
        key = hashlib.sha256(data).hexdigest()[:32]
        totals["files"] += 1
        totals["bytes"] += len(data)
        for suffix, encode in ENCODERS.items():
            cached = cache / (key + suffix)
            if not cached.exists():
                tmp = cached.with_suffix(".tmp")
                tmp.write_bytes(encode(data))
                tmp.replace(cached)
            packed = cached.read_bytes()
            if len(packed) <= (1 - MIN_SAVING) * len(data):
                path.with_name(path.name + suffix).write_bytes(packed)
                totals[suffix] += len(packed)
            else:
                totals[suffix] += len(data)
    return totals


def stamp_mtimes(output: Path, when: float) -> int:
    """Give every file (copies included) the same modification time `when`."""
    files = [p for p in output.rglob("*") if p.is_file()]
    for p in files:
        os.utime(p, (when, when))
    return len(files)
