"""`make bench` / `python -m benchmarks [name ...]`: run the benchmark scripts in turn, each once, then
a summary table of the native three-workload ratios (and the Pyodide ones when backend_bench ran).

Order: the three training workloads natively, each with tinytorch, hand-written NumPy and PyTorch CPU
(mlp_epoch, cnn_epoch, gpt_step); conv (im2col vs naive vs PyTorch); systems (INT8, pruning, KV-cache,
acceleration); backend_bench (matmul GFLOP/s by backend, and the three workloads in Pyodide with each
backend and the NumPy contender; needs `make site`); kernel_start (open a lesson -> first output,
cold and warm, localhost and a classroom host, against a bare Pyodide page's floor, with the
breakdown of where the seconds go) and site (the browser course; needs `make site`);
case_budget (the check cases' time budget overhead); classroom (30 and 100 simulated learners on
loopback); milestones_page (browser-mode milestones in Pyodide with each matmul backend; the
longest: minutes per milestone).
"""

import importlib
import os
import sys
import time

ALL = (
    "mlp_epoch",
    "cnn_epoch",
    "gpt_step",
    "conv",
    "systems",
    "backend_bench",
    "kernel_start",
    "site_bench",
    "case_budget",
    "classroom_load",
    "milestones_page",
)
ALIASES = {"site": "site_bench", "classroom": "classroom_load"}
WORKLOADS = {"mlp_epoch": "digits MLP epoch", "cnn_epoch": "LeNet CNN epoch", "gpt_step": "GPT training step"}


def print_summary(results: dict) -> None:
    """The ratios of the runs above (each from one run, contenders interleaved): < 1 = tinytorch faster."""
    native = {name: results[name] for name in WORKLOADS if isinstance(results.get(name), dict)}
    page = results.get("backend_bench")
    if not native and not page:
        return
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"\n===== summary (tinytorch's time / the other's; < 1: tinytorch faster; load average {load}) =====")
    if native:
        print("natively (one BLAS thread):")
        head = ("workload", "tinytorch", "numpy", "torch", "tt/numpy", "tt/torch")
        print("  {:18s} {:>10s} {:>10s} {:>10s} {:>9s} {:>9s}".format(*head))
        for name, med in native.items():
            tt_s, np_s, torch_s = med["tinytorch"], med["numpy"], med.get("torch")
            row = f"  {WORKLOADS[name]:18s} {tt_s * 1e3:8.1f}ms {np_s * 1e3:8.1f}ms"
            row += f" {torch_s * 1e3:8.1f}ms" if torch_s else f" {'-':>10s}"
            row += f" {tt_s / np_s:9.2f}" + (f" {tt_s / torch_s:9.2f}" if torch_s else f" {'-':>9s}")
            print(row)
    if page and page.get("page"):
        print("in Pyodide (Node), tinytorch on each matmul backend / hand-written NumPy (its products: NumPy's @):")
        print("  {:18s} {:>14s} {:>14s}".format("workload", "tt(numpy)/np", "tt(blas)/np"))
        for what, t in page["page"]["workloads"].items():
            print(f"  {what:18s} {t['numpy'] / t['hand numpy']:14.2f} {t['blas'] / t['hand numpy']:14.2f}")


def main(argv):
    names = [ALIASES.get(n, n) for n in argv] or list(ALL)
    results = {}
    for name in names:
        if name not in ALL:
            sys.exit(f"unknown benchmark {name!r}; choose from {', '.join(ALL)} (or {', '.join(ALIASES)})")
        print(f"\n===== benchmarks/{name}.py =====", flush=True)
        t0 = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        sys.argv = [f"benchmarks/{name}.py"]  # each script parses its own options: give it none
        main_fn = module.main
        results[name] = main_fn([]) if main_fn.__code__.co_argcount else main_fn()
        print(f"(benchmarks/{name}.py took {time.perf_counter() - t0:.0f} s)", flush=True)
    print_summary(results)


if __name__ == "__main__":
    main(sys.argv[1:])
