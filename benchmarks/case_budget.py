"""What the per-case time budget (tinytorch/checks/time_budget.py) costs a check case.

Runs the lesson cases of a few lessons against tinytorch's reference with and without the budget's
watcher (sys.monitoring on Python 3.12+, a trace function before), interleaved round-robin, and
prints the median seconds of each and their ratio. Python-heavy lessons (10: tokenization loops) pay
the most, NumPy-bound ones (01, 05) the least.

    python -m benchmarks case_budget   |   python benchmarks/case_budget.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time

import numpy as np

from tinytorch_course.checks import load_pieces
from tinytorch_course.checks.cases import callable_of
from tinytorch_course.checks.time_budget import case_budget

LESSONS = ("01_tensor", "05_autograd", "10_tokenization")


def run_cases(lesson_id: str, budget: bool) -> None:
    for piece in load_pieces(lesson_id):
        impl = callable_of(piece.reference())
        for case in piece.build_cases():
            guard = case_budget(60) if budget else contextlib.nullcontext()
            with np.errstate(all="ignore"), guard, contextlib.suppress(Exception):
                case.run(impl)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    watcher = "sys.monitoring" if hasattr(sys, "monitoring") else "sys.settrace"
    print(f"lesson cases against the reference, median of {args.repeats}; budget watcher: {watcher}")
    print(f"{'lesson':<18} {'plain s':>8} {'budget s':>9} {'ratio':>6}")
    for lesson_id in LESSONS:
        times = {False: [], True: []}
        run_cases(lesson_id, False)  # warm-up: imports, caches
        for _ in range(args.repeats):
            for budget in (False, True):
                t0 = time.perf_counter()
                run_cases(lesson_id, budget)
                times[budget].append(time.perf_counter() - t0)
        plain, guarded = statistics.median(times[False]), statistics.median(times[True])
        print(f"{lesson_id:<18} {plain:8.3f} {guarded:9.3f} {guarded / plain:5.2f}x", flush=True)


if __name__ == "__main__":
    main()
