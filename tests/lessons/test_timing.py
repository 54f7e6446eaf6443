"""tinytorch_course.timing.best_time, the timer the lessons' systems sections share: the fastest
run, batches for calls shorter than a browser's clock tick, untimed setup before each call."""

from __future__ import annotations

import pytest

from tinytorch_course import timing
from tinytorch_course.timing import best_time


class FakeClock:
    """perf_counter that advances only when the timed function says so."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = FakeClock()
    monkeypatch.setattr(timing.time, "perf_counter", fake)
    return fake


def test_best_of_repeats(clock):
    durations = iter([0.5, 0.2, 0.3])

    def fn():
        clock.now += next(durations)

    assert best_time(fn, repeats=3) == pytest.approx(0.2)


def test_min_seconds_times_batches_and_returns_seconds_per_call(clock):
    calls = []

    def fn():
        calls.append(1)
        clock.now += 0.0003  # shorter than Chromium's 0.1 ms tick times a few

    per_call = best_time(fn, repeats=2, min_seconds=0.002)
    assert per_call == pytest.approx(0.0003)
    # each run doubles its batch, 1, 2, 4, 8 calls, until it lasts 2 ms (8 * 0.3 ms) and counts that one
    assert len(calls) == 2 * (1 + 2 + 4 + 8)


def test_min_seconds_batches_per_run_so_a_slow_first_call_cannot_leave_a_zero(clock):
    durations = iter([0.005] + [0.0] * 10_000)  # a slow first call, then calls shorter than the clock's tick

    def fn():
        clock.now += next(durations)
        if clock.now >= 0.005:
            clock.now += 0.0001  # every later call takes one tick

    assert best_time(fn, repeats=3, min_seconds=0.002) > 0


def test_setup_is_not_timed_and_feeds_fn(clock):
    seen = []

    def setup():
        clock.now += 10.0  # expensive, untimed
        return len(seen)

    def fn(state):
        seen.append(state)
        clock.now += 0.1

    assert best_time(fn, repeats=3, setup=setup) == pytest.approx(0.1)
    assert seen == [0, 1, 2]
    with pytest.raises(ValueError, match="setup"):
        best_time(fn, setup=setup, min_seconds=0.002)
