"""Record which files a first-time learner's browser fetches to start lesson 01 (until the kernel is
idle), into benchmarks/kernel_start_files.txt: the set the classroom load benchmark replays and
site/classroom.py's Wi-Fi arithmetic sums.

    python -m benchmarks.kernel_start_files        (needs the built site, Chromium; ~1 min)

Re-run it after changing what the kernel loads at start (jupyter-lite.json preloads, the lock).
"""

from __future__ import annotations

import sys
import tempfile
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from site_driver import SITE, Browser, open_notebook, serve  # noqa: E402

LESSON = "lessons/01_tensor.ipynb"
LIST = Path(__file__).with_name("kernel_start_files.txt")


def record() -> list[str]:
    with serve(SITE) as base, tempfile.TemporaryDirectory() as tmp:
        browser = Browser(netlog=Path(tmp) / "netlog.json", log=Path(tmp) / "driver.log")
        try:
            page = browser.new_page()
            open_notebook(page, base, LESSON)
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


def main():
    files = record()
    LIST.write_text("\n".join(files) + "\n")
    size = sum((SITE / f).stat().st_size for f in files)
    print(f"{len(files)} files, {size / 1e6:.1f} MB -> {LIST.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
