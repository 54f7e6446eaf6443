"""Record which files a first-time learner's browser fetches to start lesson 01 (until the kernel is
idle), into benchmarks/kernel_start_files.txt: the set the classroom load benchmark replays and
site/classroom.py's Wi-Fi arithmetic sums.

    python -m benchmarks.kernel_start_files        (needs the built site, Chromium; ~1 min)

Re-run it after changing what the kernel loads at start (jupyter-lite.json preloads, the lock).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from site_driver import SITE, Browser, open_notebook, serve  # noqa: E402

LESSON = "lessons/01_tensor.ipynb"
LIST = Path(__file__).with_name("kernel_start_files.txt")


def record(notebook: str = LESSON) -> list[str]:
    """The site files a first visit to `notebook` fetches until its kernel is idle, in order."""
    with serve(SITE) as base, tempfile.TemporaryDirectory() as tmp:
        browser = Browser(netlog=Path(tmp) / "netlog.json", log=Path(tmp) / "driver.log")
        try:
            page = browser.new_page()
            open_notebook(page, base, notebook)
            urls = [r["url"] for r in browser.requests()["requests"] if r["method"] == "GET"]
        finally:
            browser.close()
    files = []
    for url in urls:
        parts = urllib.parse.urlsplit(url)
        if not url.startswith(base):
            continue
        rel = urllib.parse.unquote(parts.path).lstrip("/") or "index.html"
        if rel.endswith("/"):
            rel += "index.html"
        if (SITE / rel).is_file() and rel not in files:
            files.append(rel)
    return files


def cold_mb(files: list[str]) -> tuple[float, float]:
    """(plain, with the smallest .br/.gz copy) megabytes of `files`."""
    plain = packed = 0
    for f in files:
        path = SITE / f
        copies = [c.stat().st_size for c in (Path(f"{path}.br"), Path(f"{path}.gz")) if c.exists()]
        plain += path.stat().st_size
        packed += min(copies, default=path.stat().st_size)
    return plain / 1e6, packed / 1e6


def main(argv=None):
    """Record lesson 01's set into LIST; with --also NOTEBOOK ..., only print those notebooks' sizes."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--also", nargs="*", default=[], help="other notebooks to measure (not written)")
    args = ap.parse_args(argv)
    files = record()
    LIST.write_text("\n".join(files) + "\n")
    plain, packed = cold_mb(files)
    print(f"{LESSON}: {len(files)} files, {plain:.1f} MB ({packed:.1f} MB compressed) -> {LIST.relative_to(ROOT)}")
    for notebook in args.also:
        other = record(notebook)
        plain, packed = cold_mb(other)
        extra = [f for f in other if f not in files]
        print(f"{notebook}: {len(other)} files, {plain:.1f} MB ({packed:.1f} MB compressed); not in lesson 01: {extra}")


if __name__ == "__main__":
    main()
