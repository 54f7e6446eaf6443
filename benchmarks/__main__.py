"""`make bench` / `python -m benchmarks [name ...]`: run the benchmark scripts in turn.

Names: mlp_epoch (tinytorch vs NumPy vs PyTorch training epoch), conv (im2col vs naive vs PyTorch),
systems (INT8, pruning, KV-cache, acceleration), site (the browser course; needs `make site`),
kernel_start (open a lesson -> first output, cold and warm, localhost and a classroom host, against
a bare Pyodide page's floor, with the breakdown of where the seconds go),
case_budget (the check cases' time budget overhead),
classroom (30 and 100 simulated learners on loopback: classroom nginx and serve.py vs plain nginx),
cnn_epoch and gpt_step (tinytorch vs PyTorch), backend_bench (NumPy vs SciPy BLAS, native and in
Pyodide; needs `make site`), milestones_page (browser-mode milestones in Pyodide with each matmul
backend; the longest: minutes per milestone).
"""

import importlib
import sys
import time

ALL = (
    "mlp_epoch",
    "conv",
    "systems",
    "case_budget",
    "site_bench",
    "kernel_start",
    "classroom_load",
    "cnn_epoch",
    "gpt_step",
    "backend_bench",
    "milestones_page",
)
ALIASES = {"site": "site_bench", "classroom": "classroom_load"}


def main(argv):
    names = [ALIASES.get(n, n) for n in argv] or list(ALL)
    for name in names:
        if name not in ALL:
            sys.exit(f"unknown benchmark {name!r}; choose from {', '.join(ALL)}")
        print(f"\n===== benchmarks/{name}.py =====", flush=True)
        t0 = time.perf_counter()
        module = importlib.import_module(f"benchmarks.{name}")
        sys.argv = [f"benchmarks/{name}.py"]  # each script parses its own options: give it none
        main_fn = module.main
        main_fn([]) if main_fn.__code__.co_argcount else main_fn()
        print(f"(benchmarks/{name}.py took {time.perf_counter() - t0:.0f} s)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
