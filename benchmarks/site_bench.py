"""The browser course, measured: built site size, notebook open -> first output (cold and warm), and
one training epoch of the digits MLP in the page vs natively.

    python benchmarks/site_bench.py [--runs 3] [--epochs 5]        (needs `make site` first)

- cold: a fresh browser context per run (empty HTTP cache and storage: a first visit);
- warm: the same context visited again (HTTP cache filled, as for a learner coming back);
- "open -> first output": from navigating to the notebook's URL until the output of
  `import numpy, tinytorch; print(...)` is in the page (kernel start included);
- the epoch: the model of benchmarks/mlp_epoch.py (64 -> 128 -> 10, ReLU, Adam, batch 32) on
  `tinytorch.datasets.digits()`, after one warm-up epoch; median of --epochs epochs, same code both sides.
Prints medians with min-max; nothing here is a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from site_driver import (  # noqa: E402  (the browser tests' driver: one way to drive the site)
    SITE,
    Browser,
    create_notebook,
    missing_prerequisites,
    open_notebook,
    run_code,
    serve,
)

LESSON = "lessons/01_tensor.ipynb"
SCRATCH = "site-bench-scratch.ipynb"
FIRST_CELL = "import numpy, tinytorch\nprint('first output', numpy.__version__, tinytorch.__version__)"

EPOCH_CODE = """
import json, statistics, time
import numpy as np
import tinytorch as tt
from tinytorch import datasets, nn, optim
from tinytorch.data import DataLoader, TensorDataset
EPOCHS = {epochs}
d = datasets.digits()
tt.manual_seed(0)
model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
opt = optim.Adam(model.parameters(), lr=1e-3)
loss_fn = nn.CrossEntropyLoss()
loader = DataLoader(TensorDataset(d.X_train, d.y_train), batch_size=32, shuffle=True, seed=0)
def epoch():
    for xb, yb in loader:
        loss = loss_fn(model(xb), yb)
        opt.zero_grad(); loss.backward(); opt.step()
    return float(loss.item())
kind = "tinytorch MLP 64-128-10, Adam, digits (1,437 images), batch 32"
epoch()                                            # warm-up
times = []
for _ in range(EPOCHS):
    t = time.perf_counter(); loss = epoch(); times.append(time.perf_counter() - t)
print("EPOCH " + json.dumps({{"kind": kind, "times": times, "loss": loss}}))
"""


def spread(values: list[float], unit: str = "s", digits: int = 2) -> str:
    return (
        f"{statistics.median(values):.{digits}f} {unit} (min {min(values):.{digits}f}, "
        f"max {max(values):.{digits}f}, n={len(values)})"
    )


def site_size(site: Path) -> str:
    files = [p for p in site.rglob("*") if p.is_file()]
    total = sum(p.stat().st_size for p in files)
    parts = {}
    for p in files:
        top = p.relative_to(site).parts[0] if len(p.relative_to(site).parts) > 1 else "(root files)"
        parts[top] = parts.get(top, 0) + p.stat().st_size
    biggest = sorted(parts.items(), key=lambda kv: -kv[1])[:4]
    return f"{total / 1e6:.1f} MB in {len(files)} files; largest: " + ", ".join(
        f"{k}/ {v / 1e6:.1f} MB" for k, v in biggest
    )


def open_to_first_output(page, base: str, notebook: str) -> dict:
    t0 = time.perf_counter()
    timings = open_notebook(page, base, notebook)
    out = run_code(page, FIRST_CELL)
    if "first output" not in out["text"]:
        raise RuntimeError(f"unexpected first output: {out}")
    return {**timings, "first_output_s": time.perf_counter() - t0}


def parse_epoch(text: str) -> dict:
    line = next((row for row in text.splitlines() if row.startswith("EPOCH ")), None)
    if line is None:
        raise RuntimeError(f"no EPOCH line in:\n{text[-2000:]}")
    return json.loads(line[len("EPOCH ") :])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="cold and warm opens each (default 3)")
    ap.add_argument("--epochs", type=int, default=5, help="timed epochs each side (default 5)")
    args = ap.parse_args()

    reasons = missing_prerequisites()
    if reasons:
        raise SystemExit("site_bench needs: " + "; ".join(reasons))
    print(f"site: {SITE}")
    print(f"  load average    {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (other work skews every figure)")
    print(f"  size            {site_size(SITE)}")

    code = EPOCH_CODE.format(epochs=args.epochs)
    native = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    if native.returncode:
        raise SystemExit(f"native epoch failed:\n{native.stderr[-2000:]}")
    native_epoch = parse_epoch(native.stdout)

    with tempfile.TemporaryDirectory() as tmp, serve(SITE) as base:
        browser = Browser(netlog=Path(tmp) / "netlog.json", log=Path(tmp) / "driver.log")
        try:
            notebook = LESSON if (SITE / "files" / LESSON).is_file() else SCRATCH
            print(f"  notebook        {notebook}")
            cold = []
            for i in range(args.runs):
                page = browser.new_page()
                if notebook == SCRATCH:  # (warms the HTTP cache a little: only until lesson 01 exists)
                    create_notebook(page, base, SCRATCH, ["# scratch"])
                cold.append(open_to_first_output(page, base, notebook))
                page.close()
                print(f"  cold run {i + 1}/{args.runs}: {cold[-1]['first_output_s']:.2f} s", flush=True)

            page = browser.new_page()  # warm: the same context again and again
            if notebook == SCRATCH:
                create_notebook(page, base, SCRATCH, ["# scratch"])
            open_to_first_output(page, base, notebook)  # the first visit fills the cache
            warm = []
            for i in range(args.runs):
                warm.append(open_to_first_output(page, base, notebook))
                print(f"  warm run {i + 1}/{args.runs}: {warm[-1]['first_output_s']:.2f} s", flush=True)

            print("  training epoch in the page ...", flush=True)
            out = run_code(page, code, timeout_ms=600_000)
            if out["error"]:
                raise SystemExit(f"browser epoch failed: {out['error']}")
            browser_epoch = parse_epoch(out["text"])
            page.close()
        finally:
            browser.close()

    print(f"\nresults (load average now {os.getloadavg()[0]:.1f})")
    for name, runs in (("cold", cold), ("warm", warm)):
        print(f"  {name} open -> notebook visible   {spread([r['visible_s'] for r in runs])}")
        print(f"  {name} open -> kernel idle        {spread([r['kernel_idle_s'] for r in runs])}")
        print(f"  {name} open -> first output       {spread([r['first_output_s'] for r in runs])}")
    b, n = browser_epoch["times"], native_epoch["times"]
    print(f"  epoch: {browser_epoch['kind']}")
    print(f"    browser (Pyodide, Chromium)   {spread([t * 1000 for t in b], 'ms', 1)}")
    print(f"    native (CPython {sys.version.split()[0]})     {spread([t * 1000 for t in n], 'ms', 1)}")
    print(f"    browser / native              {statistics.median(b) / statistics.median(n):.1f}x")


if __name__ == "__main__":
    main()
