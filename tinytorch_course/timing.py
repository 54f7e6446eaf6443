"""The small timer the lessons' systems sections share (lesson 19 builds the full benchmark harness)."""

from __future__ import annotations

import time


def best_time(fn, repeats: int = 3, *, setup=None, min_seconds: float = 0.0) -> float:
    """Seconds of the fastest of `repeats` calls of fn(): the least disturbed by whatever else the machine is doing.

    setup: called untimed before each timed call; fn then receives what it returns (lesson 17 fills a
    KV-cache this way before timing one step).
    min_seconds: time batches of calls lasting at least this long and return seconds per call. A
    browser's clock ticks in 0.1 ms steps, so a call shorter than that needs a batch (lesson 01 uses
    2 ms) to be measured at all.
    """
    if setup is not None and min_seconds:
        raise ValueError("best_time: setup runs before each single call, so it cannot be combined with min_seconds")
    best = float("inf")
    for _ in range(repeats):
        if setup is not None:
            state = setup()
            start = time.perf_counter()
            fn(state)
            best = min(best, time.perf_counter() - start)
            continue
        calls, elapsed = 1, _run(fn, 1)
        while elapsed < min_seconds:  # each run finds its own batch: one slow first call cannot shorten later runs
            calls *= 2
            elapsed = _run(fn, calls)
        best = min(best, elapsed / calls)
    return best


def _run(fn, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return time.perf_counter() - start
