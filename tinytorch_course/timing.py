"""The small timer the lessons' systems sections share (lesson 19 builds the full benchmark harness)."""

from __future__ import annotations

import time


def best_time(fn, repeats: int = 3) -> float:
    """Seconds of the fastest of `repeats` calls of fn(): the least disturbed by whatever else the machine is doing."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best
