"""Checks of lesson 19 (Benchmarking): robust statistics of run times, the harness, comparison tables.

Timing cases never use the real clock: a fake clock advances only when the function under test
"runs" (each call takes a scripted number of seconds), so the expected times are exact and a harness
that times its warm-up, or times `setup`, gives visibly wrong numbers. Statistics are checked on
hand-picked run times against NumPy's median / percentile; tables by their rows and columns.
"""

from __future__ import annotations

import numpy as np

from tinytorch.systems.benchmarking import BenchmarkResult
from tinytorch.systems.table import Table
from tinytorch.tensor import default_rng
from tinytorch_course.checks.cases import Case, Piece, Raises

HOME = "tinytorch.systems.benchmarking"


def _result(times, items=None, name="run"):
    return BenchmarkResult(name, times, items)


# ---- statistics ----------------------------------------------------------------------------------
def median_cases():
    for name, times in [
        ("odd count [3, 1, 2]: the middle one after sorting", [3.0, 1.0, 2.0]),
        ("even count [4, 1, 3, 2]: the mean of the two middle ones", [4.0, 1.0, 3.0, 2.0]),
        ("one interrupted run [1, 1, 1, 1, 100] does not move it", [1.0, 1.0, 1.0, 1.0, 100.0]),
        ("a single run [0.5]", [0.5]),
    ]:
        yield Case(
            name,
            (_result(times),),
            float(np.median(times)),
            hint="sort the times; with an even count, average the two in the middle",
        )


def quartiles_cases():
    for name, times in [
        ("[1, 2, 3, 4, 5] gives (2, 4)", [5.0, 1.0, 4.0, 2.0, 3.0]),
        ("[1, 2, 3, 4] gives (1.75, 3.25): linear interpolation", [1.0, 2.0, 3.0, 4.0]),
        ("a single run [7] gives (7, 7)", [7.0]),
    ]:
        q1, q3 = np.percentile(times, [25, 75])
        yield Case(
            name,
            (_result(times),),
            (float(q1), float(q3)),
            hint="the 25th and 75th percentiles, interpolating linearly between sorted runs "
            "(NumPy's np.percentile default); return a tuple (q1, q3)",
        )


def iqr_cases():
    for name, times in [
        ("[1, 2, 3, 4, 5]: 4 - 2 = 2", [1.0, 2.0, 3.0, 4.0, 5.0]),
        ("[1, 2, 3, 4, 100]: the outlier does not move it (still 2)", [1.0, 2.0, 3.0, 4.0, 100.0]),
        ("[1, 2, 3, 4]: 3.25 - 1.75 = 1.5", [4.0, 3.0, 2.0, 1.0]),
    ]:
        q1, q3 = np.percentile(times, [25, 75])
        yield Case(name, (_result(times),), float(q3 - q1), hint="Q3 - Q1, from self.quartiles")


def mad_cases():
    for name, times in [
        ("[1, 2, 3, 4, 5]: distances from 3 are [2, 1, 0, 1, 2], median 1", [1.0, 2.0, 3.0, 4.0, 5.0]),
        ("[1, 1, 1, 1, 100]: one outlier gives MAD 0", [1.0, 1.0, 1.0, 1.0, 100.0]),
        ("[1, 2, 4, 8]: distances from 3 are [2, 1, 1, 5], median 1.5", [1.0, 2.0, 4.0, 8.0]),
    ]:
        t = np.array(times)
        yield Case(
            name,
            (_result(times),),
            float(np.median(np.abs(t - np.median(t)))),
            hint="the median of |t - median| over the runs: a median of distances, not a mean",
        )


def throughput_cases():
    yield Case(
        "64 items at a median of 0.5 s: 128 items/s",
        (_result([0.5, 0.4, 0.6], items=64),),
        128.0,
        hint="items / median time",
    )
    yield Case(
        "100 items, times [0.1, 0.2, 0.4]: the median (0.2 s), not the mean",
        (_result([0.1, 0.2, 0.4], items=100),),
        500.0,
        hint="use self.median, which one slow run cannot move",
    )
    yield Case(
        "no items given: None",
        (_result([0.1, 0.2]),),
        lambda got: None if got is None else f"expected None when items is None, got {got!r}",
        hint="without items there is no throughput: return None",
    )
    yield Case(
        "a median of 0 s: infinite throughput (no ZeroDivisionError)",
        (_result([0.0, 0.0, 0.0], items=10),),
        float("inf"),
        hint="a clock too coarse to see the run gives 0 s: return float('inf') then",
    )


# ---- the harness ---------------------------------------------------------------------------------
class FakeRun:
    """A function whose calls take scripted durations on a fake clock (seconds), recording its calls."""

    def __init__(self, durations, allocate=0):
        self.now = 0.0
        self.durations = list(durations)
        self.calls = []  # the arguments of each call
        self.tt_draws = []  # a draw from tinytorch's generator at each call
        self.allocate = allocate
        self.__name__ = "fake_work"

    def clock(self):
        return self.now

    def __call__(self, *args):
        i = len(self.calls)
        self.calls.append(args)
        self.tt_draws.append(float(default_rng().random()))
        if self.allocate:
            np.ones(self.allocate).sum()
        self.now += self.durations[i] if i < len(self.durations) else 1000.0


def _times_check(run, expected_times, calls, extra=None):
    def check(got):
        if not isinstance(got, BenchmarkResult):
            return f"expected a BenchmarkResult, got {type(got).__name__}"
        if len(run.calls) != calls:
            return f"the function was called {len(run.calls)} times, expected {calls} (warmup + repeats)"
        if [round(t, 9) for t in got.times] != expected_times:
            return (
                f"times {got.times}, expected {expected_times} (each call took {run.durations[:calls]} seconds "
                "in order; neither the warm-up calls nor setup may be timed)"
            )
        return extra(got) if extra else None

    return check


def benchmark_cases():
    run = FakeRun([9, 9, 1, 2, 3])
    yield Case(
        "warm-up calls are not timed: durations 9, 9 (warm-up), then 1, 2, 3",
        call=lambda impl: impl(run, warmup=2, repeats=3, clock=run.clock),
        expected=_times_check(run, [1, 2, 3], 5),
        show="fn takes 9, 9, 1, 2, 3 s; warmup=2, repeats=3",
        hint="call fn `warmup` times without timing, then time each of the `repeats` calls with clock()",
    )
    run2 = FakeRun([4, 1, 3, 2])
    yield Case(
        "warmup=0, repeats=4: every call timed, in order",
        call=lambda impl: impl(run2, warmup=0, repeats=4, clock=run2.clock),
        expected=_times_check(run2, [4, 1, 3, 2], 4),
        show="fn takes 4, 1, 3, 2 s; warmup=0, repeats=4",
        hint="times = [clock() after - clock() before] for each timed call, in order",
    )

    run3 = FakeRun([5, 5, 5])

    def setup(rng):
        run3.now += 100.0  # setup is slow: none of it may be timed
        return ("input", 3)

    yield Case(
        "setup's work is not timed, and its tuple is fn's arguments",
        call=lambda impl: impl(run3, warmup=1, repeats=2, setup=setup, clock=run3.clock),
        expected=_times_check(
            run3,
            [5, 5],
            3,
            lambda got: (
                None
                if run3.calls[-1] == ("input", 3)
                else f"fn was called with {run3.calls[-1]}, expected the tuple setup returned: ('input', 3)"
            ),
        ),
        show="setup(rng) takes 100 s and returns ('input', 3); fn takes 5 s; warmup=1, repeats=2",
        hint="call setup before starting the clock: a = setup(rng); t0 = clock(); fn(*a)",
    )

    run4 = FakeRun([1, 1])
    yield Case(
        "setup returning one value passes it as one argument",
        call=lambda impl: impl(run4, warmup=0, repeats=2, setup=lambda rng: "batch", clock=run4.clock),
        expected=_times_check(
            run4,
            [1, 1],
            2,
            lambda got: (
                None if run4.calls[0] == ("batch",) else f"fn was called with {run4.calls[0]}, expected ('batch',)"
            ),
        ),
        show="setup(rng) returns 'batch'",
        hint="wrap a non-tuple result of setup in a 1-tuple",
    )

    draws, first, second = [], FakeRun([1] * 4), FakeRun([1] * 4)

    def seeded(impl):
        for run in (first, second):
            impl(
                run,
                warmup=1,
                repeats=3,
                seed=7,
                clock=run.clock,
                setup=lambda rng: draws.append(float(rng.random())) or (),
            )
        return draws

    def same_draws(got):
        want = np.random.default_rng(7).random(4).tolist()
        if draws[:4] != want:
            return f"setup's rng drew {draws[:4]}, expected {want}: pass np.random.default_rng(seed) to setup"
        if first.tt_draws != second.tt_draws:
            return "tinytorch's generator gave different numbers in two runs with seed=7: call manual_seed(seed)"
        return None

    yield Case(
        "seed=7: setup's rng and tinytorch's generator repeat exactly",
        call=seeded,
        expected=same_draws,
        show="benchmark(fn, seed=7, setup=...) twice; fn draws from tinytorch's generator",
        hint="rng = np.random.default_rng(seed) for setup, and manual_seed(seed) when seed is given",
    )

    run5 = FakeRun([2, 2])
    yield Case(
        "items=64 and name='mlp' are kept on the result",
        call=lambda impl: impl(run5, name="mlp", warmup=0, repeats=2, items=64, clock=run5.clock),
        expected=_times_check(
            run5,
            [2, 2],
            2,
            lambda got: (
                None
                if (got.name, got.items) == ("mlp", 64)
                else f"name {got.name!r} and items {got.items!r}, expected 'mlp' and 64"
            ),
        ),
        show="name='mlp', items=64",
        hint="return BenchmarkResult(name, times, items, peak)",
    )
    run6 = FakeRun([2])
    yield Case(
        "without a name, the result is named after the function",
        call=lambda impl: impl(run6, warmup=0, repeats=1, clock=run6.clock),
        expected=_times_check(
            run6,
            [2],
            1,
            lambda got: (
                None if got.name == "fake_work" else f"name {got.name!r}, expected the function's __name__ 'fake_work'"
            ),
        ),
        show="a function named fake_work",
        hint="name or getattr(fn, '__name__', 'fn')",
    )

    run7 = FakeRun([1, 1, 1, 1], allocate=100_000)
    yield Case(
        "memory=True: one more, untimed call measures peak bytes (fn allocates 800,000)",
        call=lambda impl: impl(run7, warmup=1, repeats=2, memory=True, clock=run7.clock),
        expected=_times_check(
            run7,
            [1, 1],
            4,
            lambda got: (
                None
                if isinstance(got.peak_bytes, int) and 800_000 <= got.peak_bytes < 2_000_000
                else f"peak_bytes is {got.peak_bytes!r}, expected about 800,000 (np.ones(100_000))"
            ),
        ),
        show="fn allocates np.ones(100_000) (800,000 bytes); warmup=1, repeats=2, memory=True",
        hint="after the timed runs: _, peak = peak_memory(fn, *args) (given)",
    )
    yield Case(
        "repeats=0 raises ValueError naming it",
        call=lambda impl: impl(lambda: None, repeats=0),
        expected=Raises(ValueError, "repeats=0"),
        show="repeats=0",
        hint="check the arguments first: f'... got repeats={repeats}, warmup={warmup}'",
    )
    yield Case(
        "warmup=-1 raises ValueError naming it",
        call=lambda impl: impl(lambda: None, warmup=-1),
        expected=Raises(ValueError, "warmup=-1"),
        show="warmup=-1",
    )


# ---- tables --------------------------------------------------------------------------------------
def _table_check(want_rows: dict, speedups=None, title=None):
    """got is a Table whose rows have the given {name: median ms} (and speed-ups)."""

    def check(got):
        if not isinstance(got, Table):
            return f"expected a Table, got {type(got).__name__}"
        names = got.column("name")
        if names != list(want_rows):
            return f"rows named {names}, expected {list(want_rows)} (one row per result, in order)"
        for row, (name, ms) in zip(got.rows, want_rows.items(), strict=False):
            if not np.isclose(row.get("median ms", np.nan), ms):
                return f"row {name!r}: median ms is {row.get('median ms')!r}, expected {ms} (use result.row())"
        if speedups is None:
            if "speed-up" in got.columns:
                return "without a baseline there is nothing to compare with: no speed-up column"
        else:
            if "speed-up" not in got.columns:
                return f"no 'speed-up' column among the columns {got.columns}"
            values = got.column("speed-up")
            if not np.allclose(values, speedups):
                return f"speed-ups {values}, expected {speedups} (baseline median / each median)"
        missing = [k for row in got.rows for k in row if k not in got.columns]
        if missing or len(set(got.columns)) != len(got.columns):
            return f"columns {got.columns} must list every key of every row once (missing {sorted(set(missing))})"
        if title is not None and got.title != title:
            return f"title {got.title!r}, expected {title!r}"
        return None

    return check


def results_table_cases():
    def results():
        return [_result([4.0, 4.0, 4.0], name="slow"), _result([1.0, 1.0, 1.0], items=64, name="fast")]

    yield Case(
        "baseline 'slow': speed-up = 4 s / 1 s = 4 for 'fast'",
        call=lambda impl: impl(results(), "slow"),
        expected=_table_check({"slow": 4000.0, "fast": 1000.0}, [1.0, 4.0]),
        show="results slow (4 s per run) and fast (1 s per run, 64 items); baseline='slow'",
        hint="for each row: row['speed-up'] = baseline.median / result.median",
    )
    yield Case(
        "no baseline: the rows, and no speed-up column",
        call=lambda impl: impl(results()),
        expected=_table_check({"slow": 4000.0, "fast": 1000.0}),
        show="the same results, baseline=None",
    )
    yield Case(
        "baseline 'fast': 'slow' gets a speed-up of 0.25",
        call=lambda impl: impl(results(), "fast", title="demo"),
        expected=_table_check({"slow": 4000.0, "fast": 1000.0}, [0.25, 1.0], title="demo"),
        show="baseline='fast', title='demo'",
    )
    yield Case(
        "a result with median 0 (too fast for the clock) gets speed-up inf, not a ZeroDivisionError",
        call=lambda impl: impl([_result([4.0], name="slow"), _result([0.0], name="instant")], "slow"),
        expected=_table_check({"slow": 4000.0, "instant": 0.0}, [1.0, float("inf")]),
        show="results slow (4 s) and instant (0 s); baseline='slow'",
        hint="speed-up = base.median / r.median if r.median > 0 else float('inf')",
    )
    yield Case(
        "an unknown baseline raises KeyError naming it and the results",
        call=lambda impl: impl(results(), "fastest"),
        expected=Raises(KeyError, "fastest", "slow", "fast"),
        show="baseline='fastest' (not among slow, fast)",
        hint="find the baseline by name first; if none matches, name it and the results' names",
    )


def compare_cases():
    def setup():
        clock = {"now": 0.0}

        def work(seconds):
            def fn():
                clock["now"] += seconds

            return fn

        return clock, {"loops": work(2.0), "vectorized": work(0.5)}

    def run(baseline=None):
        def call(impl):
            clock, candidates = setup()
            kwargs = {"baseline": baseline} if baseline else {}
            return impl(candidates, warmup=1, repeats=3, clock=lambda: clock["now"], **kwargs)

        return call

    def with_results(speedups):
        table_check = _table_check({"loops": 2000.0, "vectorized": 500.0}, speedups)

        def check(got):
            problem = table_check(got)
            if problem:
                return problem
            results = getattr(got, "results", None)
            if (
                not results
                or [r.name for r in results] != ["loops", "vectorized"]
                or any(len(r.times) != 3 for r in results)
            ):
                return (
                    "table.results must hold the BenchmarkResult of each candidate, named after it, "
                    "with 3 runs each (repeats=3 reaches benchmark)"
                )
            return None

        return check

    yield Case(
        "the first candidate is the baseline: vectorized is 4x faster",
        call=run(),
        expected=with_results([1.0, 4.0]),
        show="{'loops': takes 2 s, 'vectorized': takes 0.5 s}; warmup=1, repeats=3, a fake clock",
        hint="benchmark(fn, name=name, **kwargs) for each candidate, then results_table(results, baseline or "
        "the first name)",
    )

    def printed(progress):
        def call(impl):
            import contextlib
            import io

            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                run()(lambda *a, **k: impl(*a, progress=progress, **k))
            return out.getvalue()

        return call

    yield Case(
        "progress=True prints one line per candidate, naming it",
        call=printed(True),
        expected=lambda got: (
            None
            if "loops" in got and "vectorized" in got
            else f"printed {got!r}: expected a line naming each candidate"
        ),
        show="compare(..., progress=True)",
        hint="if progress: print(f'  benchmarking {name} ...', flush=True) before each benchmark",
    )
    yield Case(
        "progress=False (the default) prints nothing",
        call=printed(False),
        expected=lambda got: None if got == "" else f"printed {got!r}: expected nothing without progress=True",
        show="compare(...) with progress=False",
        hint="print only when progress is true",
    )
    yield Case(
        "baseline='vectorized' makes loops 0.25x",
        call=run("vectorized"),
        expected=with_results([0.25, 1.0]),
        show="baseline='vectorized'",
        hint="pass baseline on to results_table when it is given",
    )


PIECES = [
    Piece(
        "BenchmarkResult.median",
        median_cases,
        title="median run time",
        todo="return the median of self.times (the mean of the two middle ones for an even count)",
        hints=["Sort the times; the middle index is len // 2.", "The statistics module has it: statistics.median."],
    ),
    Piece(
        "BenchmarkResult.quartiles",
        quartiles_cases,
        title="first and third quartiles",
        todo="return (Q1, Q3) of self.times as floats, interpolating linearly (NumPy's percentile default)",
        hints=[
            "np.percentile(values, [25, 75]) returns both at once.",
            "Return a tuple of two Python floats: float(q1), float(q3).",
        ],
    ),
    Piece(
        "BenchmarkResult.iqr",
        iqr_cases,
        title="interquartile range",
        todo="return Q3 - Q1 (the spread of the middle half of the runs)",
        hints=["self.quartiles gives (Q1, Q3)."],
    ),
    Piece(
        "BenchmarkResult.mad",
        mad_cases,
        title="median absolute deviation",
        todo="return the median of |t - median| over the runs",
        hints=["Compute m = self.median once.", "statistics.median of the distances abs(t - m) for t in self.times."],
    ),
    Piece(
        "BenchmarkResult.throughput",
        throughput_cases,
        title="items per second",
        todo="return items / median seconds; None without items, inf when the median is 0",
        hints=[
            "Return None first if self.items is None.",
            "Divide by self.median, guarding against a median of 0 (float('inf')).",
        ],
    ),
    Piece(
        "benchmark",
        benchmark_cases,
        title="the harness: warm-up, repeats, seed, memory",
        todo="run fn `warmup` times untimed, then time `repeats` calls with `clock`; return a BenchmarkResult",
        hints=[
            "Check repeats >= 1 and warmup >= 0 first. rng = np.random.default_rng(seed); manual_seed(seed) "
            "when seed is not None.",
            "A small helper args() returns () without setup, else setup(rng) as a tuple; call it before "
            "every call of fn (warm-up and timed) so setup is never inside the timing.",
            "Timed loop: a = args(); t0 = clock(); fn(*a); times.append(clock() - t0). With memory=True, "
            "finish with peak_memory(fn, *args()).",
        ],
    ),
    Piece(
        "results_table",
        results_table_cases,
        title="results side by side",
        todo="return a Table with one row per result (result.row()) and, given a baseline name, a speed-up column",
        hints=[
            "rows = [r.row() for r in results]; the columns are every key of every row, first-seen order.",
            "Find the baseline result by name (raise KeyError naming it and the available names if absent); "
            "speed-up = baseline.median / r.median.",
            "Return Table(rows, columns, formats={...}, title=title).",
        ],
    ),
    Piece(
        "compare",
        compare_cases,
        title="benchmark several candidates the same way",
        todo="benchmark each {name: fn} with the same kwargs and return results_table(...) with .results attached",
        hints=[
            "benchmark(fn, name=name, **kwargs) for each item of candidates.",
            "The baseline defaults to the first name: baseline or next(iter(candidates)).",
            "Set table.results = results before returning the table.",
        ],
    ),
]
