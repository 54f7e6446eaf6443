"""Open a lesson -> Python ready, in headless Chromium: what the landing page's "10-40 s" rests on.

    python benchmarks/kernel_start.py [--runs 3]          (needs `make site` first)

Four contenders, interleaved run by run:
- cold / warm at http://127.0.0.1 (a secure context: the service worker runs);
- cold / warm at http://classroom.test (mapped to 127.0.0.1; plain HTTP from "another computer": no
  service worker), as a learner in a classroom sees it.
cold = a fresh browser context (empty HTTP cache and storage: a first visit); warm = the same context
opening the lesson again. The figure is the notebook page's own kernel-start indicator
(site/pages/kernel-start.js: page open -> kernel idle). Prints medians with min-max; not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from site_driver import (  # noqa: E402  (the browser tests' driver)
    SITE,
    Browser,
    classroom_browser,
    classroom_url,
    missing_prerequisites,
    notebook_url,
    serve,
)

LESSON = "lessons/01_tensor.ipynb"
READY = "() => document.querySelector('#tt-kernel-start')?.dataset.state === 'ready'"
SECONDS = "() => Number(document.querySelector('#tt-kernel-start').dataset.seconds)"


def kernel_start(page, base: str) -> float:
    page.goto(url=notebook_url(base, LESSON))
    page.wait_for(READY, timeout_ms=240_000, polling=200)
    return page.js(SECONDS)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    reasons = missing_prerequisites()
    if reasons:
        sys.exit("kernel_start needs: " + "; ".join(reasons))
    times: dict = {}
    with serve(SITE) as base, tempfile.TemporaryDirectory() as tmp:
        browsers = {
            "127.0.0.1": (Browser(Path(tmp) / "n1.json", Path(tmp) / "d1.log"), base),
            "classroom.test": (classroom_browser(Path(tmp) / "n2.json", Path(tmp) / "d2.log"), classroom_url(base)),
        }
        try:
            for run in range(args.runs):
                for host, (browser, url) in browsers.items():
                    page = browser.new_page()
                    try:
                        times.setdefault(f"{host} cold", []).append(kernel_start(page, url))
                        times.setdefault(f"{host} warm", []).append(kernel_start(page, url))
                    finally:
                        page.close()
                print(f"run {run + 1}/{args.runs}: " + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items()))
        finally:
            for browser, _ in browsers.values():
                browser.close()
    print(f"\nopen lesson 01 -> kernel ready (median of {args.runs}, min-max), {SITE}")
    first = statistics.median(next(iter(times.values())))
    for name, values in times.items():
        med = statistics.median(values)
        print(f"  {name:22s} {med:6.1f} s  ({min(values):.1f}-{max(values):.1f})  {med / first:.2f}x")


if __name__ == "__main__":
    main()
