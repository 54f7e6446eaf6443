"""tinytorch.backend measured: matmul GFLOP/s by backend on the course's shapes, and the course's three
workloads (digits MLP epoch, LeNet CNN epoch, GPT step) with tinytorch on each backend and the
hand-written NumPy contender (benchmarks/numpy_*.py, plain `@`), natively and in Pyodide (the
browser's Python, run under Node from the built site's dist: needs `make site`). Medians; contenders
interleaved; one BLAS thread. `main` returns {"native": ..., "page": ...} for the summary.

    python -m benchmarks backend_bench [--repeats 5]

Natively the BLAS backend is forced (`use("blas")`, SciPy from the dev requirements) for comparison
only: tinytorch keeps NumPy there. In Pyodide `use("blas")` loads SciPy's wheel lazily, and its one-time
load is timed too.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DIST = REPO / "site" / "_output" / "static" / "pyodide"

# (m, k, n): what the course multiplies
SHAPES = {
    "MLP layer, batch 32 (32x64 @ 64x128)": (32, 64, 128),
    "CNN im2col, conv 8->16 (16x72 @ 72x2048)": (16, 72, 2048),
    "GPT MLP in (2048x64 @ 64x256)": (2048, 64, 256),
    "GPT MLP out (2048x256 @ 256x64)": (2048, 256, 64),
    "square 256": (256, 256, 256),
    "square 512": (512, 512, 512),
}


def measure(repeats: int) -> dict:
    """Everything below, in this process (native or Pyodide): a JSON-able dict."""
    import tinytorch as tt  # noqa: PLC0415
    from tinytorch import backend  # noqa: PLC0415

    from . import cnn_epoch, gpt_step, mlp_epoch  # noqa: PLC0415

    result = {"platform": sys.platform}
    start = time.perf_counter()
    backend.use("blas")
    result["blas load s"] = time.perf_counter() - start
    result["blas from"] = sys.modules["scipy.linalg._fblas"].__file__  # tinytorch_blas/ or scipy/linalg/
    rng = np.random.default_rng(0)
    gflops = {}
    for what, (m, k, n) in SHAPES.items():
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        reps = max(3, min(50, int(2e8 / (m * k * n))))

        def batch(a=a, b=b, reps=reps):
            for _ in range(reps):
                backend.matmul(a, b)

        runners = {}
        for name in ("numpy", "blas"):
            runners[name] = lambda name=name, batch=batch: (backend.use(name), batch())
        med = gpt_step.median_steps(runners, repeats + 2)
        gflops[what] = {name: 2 * m * k * n * reps / s / 1e9 for name, s in med.items()}
    result["gflops"] = gflops

    X, y, _, _ = tt.datasets.digits()
    Xi, yi = cnn_epoch.images()
    data = gpt_step.batches(4)
    makers = {  # (tinytorch, the hand-written NumPy contender)
        "MLP epoch": (lambda: mlp_epoch.tinytorch_epoch(X, y, 32), lambda: mlp_epoch.numpy_epoch(X, y, 32)),
        "CNN epoch": (lambda: cnn_epoch.tinytorch_epoch(Xi, yi), lambda: cnn_epoch.numpy_epoch(Xi, yi)),
        "GPT step": (lambda: gpt_step.tinytorch_step(data), lambda: gpt_step.numpy_step(data)),
    }
    workloads = {}
    for what, (make_tinytorch, make_numpy) in makers.items():
        runners = {}
        for name in ("numpy", "blas"):
            fn = make_tinytorch()
            runners[name] = lambda name=name, fn=fn: (backend.use(name), fn())
        runners["hand numpy"] = make_numpy()
        workloads[what] = gpt_step.median_steps(runners, repeats)
    result["workloads"] = workloads
    return result


IN_PYODIDE = """
import json, os, sys
sys.path.insert(0, "/repo")
sys.dont_write_bytecode = True
from benchmarks.backend_bench import measure
print("BENCH_JSON " + json.dumps(measure({repeats})))
0
"""


def run_in_pyodide(repeats: int) -> dict | None:
    if not (DIST / "pyodide-lock.json").is_file():
        print(f"(no Pyodide figures: {DIST} is missing, run `make site`)")
        return None
    job = REPO / ".cache" / "backend-bench-job.json"
    job.parent.mkdir(parents=True, exist_ok=True)
    code = IN_PYODIDE.replace("{repeats}", str(repeats))
    job.write_text(json.dumps({"dist": str(DIST), "packages": ["numpy"], "mounts": {"/repo": str(REPO)}, "code": code}))
    node = ["node", "--experimental-wasm-stack-switching", str(REPO / "site" / "run_in_pyodide.mjs"), str(job)]
    proc = subprocess.run(node, cwd=REPO, capture_output=True, text=True)
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        print(f"Pyodide run failed (exit {proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        return None
    return json.loads(line.removeprefix("BENCH_JSON "))


def report(native: dict, page: dict | None) -> None:
    print("\nmatmul GFLOP/s (float32) by backend: NumPy's @ vs SciPy's sgemm")
    head = ("shape", "native np", "native blas", "page np", "page blas", "page blas/np")
    print("  {:42s} {:>10s} {:>12s} {:>9s} {:>10s} {:>13s}".format(*head))
    for what, native_rates in native["gflops"].items():
        row = f"  {what:42s} {native_rates['numpy']:10.2f} {native_rates['blas']:12.2f}"
        if page:
            p = page["gflops"][what]
            row += f" {p['numpy']:9.2f} {p['blas']:10.2f} {p['blas'] / p['numpy']:12.2f}x"
        print(row)
    print("\nworkloads, median seconds: tinytorch on each backend (tt np, tt blas) and hand-written NumPy (hand)")
    head = ("workload", "native tt", "hand", "tt/hand", "page tt np", "tt blas", "hand", "np/hand", "blas/hand")
    print("  {:10s} {:>9s} {:>7s} {:>7s} {:>10s} {:>7s} {:>7s} {:>7s} {:>9s}".format(*head), end="")
    print("  {:>8s} {:>11s}".format("blas gain", "page/native") if page else "")
    for what, native_t in native["workloads"].items():
        hand = native_t["hand numpy"]
        row = f"  {what:10s} {native_t['numpy']:9.3f} {hand:7.3f} {native_t['numpy'] / hand:7.2f}"
        if page:
            p = page["workloads"][what]
            row += f" {p['numpy']:10.3f} {p['blas']:7.3f} {p['hand numpy']:7.3f}"
            row += f" {p['numpy'] / p['hand numpy']:7.2f} {p['blas'] / p['hand numpy']:9.2f}"
            row += f" {p['numpy'] / p['blas']:9.2f}x {p['blas'] / native_t['numpy']:10.1f}x"
        print(row)
    if page:
        print(
            f"\nSciPy's BLAS, first use in the page (wheel load + _fblas import): {page['blas load s']:.2f} s"
            f" from {page['blas from']}"
        )


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    native = measure(args.repeats)
    page = run_in_pyodide(args.repeats)
    report(native, page)
    return {"native": native, "page": page}


if __name__ == "__main__":
    main()
