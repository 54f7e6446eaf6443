"""Module 19 (Benchmarking): numbers you can trust enough to compare.

One timing is noise: the first call pays for caches and allocation, and any run can be hit by the
operating system. So `benchmark` warms up (untimed), repeats, and reports the *median* with a
robust spread (IQR: the middle half of the runs; MAD: the median distance from the median), plus
latency (time per call) and throughput (items per second). `compare` and `compare_models` put
variants side by side with speed-ups against a baseline; `plot_results` draws them when matplotlib
is installed and says so (returning None) when it is not.

Reproducible from a seed: `seed=` reseeds tinytorch's generator and hands the same NumPy generator
to `setup`, so inputs, weights and every non-timing figure (accuracy, bytes) repeat exactly; times
vary by nature, which is why the spread is reported next to the median.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc

import numpy as np

from ..tensor import Tensor, manual_seed, no_grad
from .profiling import parameter_bytes
from .table import Table, format_bytes

__all__ = [
    "BenchmarkResult",
    "benchmark",
    "peak_memory",
    "compare",
    "results_table",
    "compare_models",
    "accuracy",
    "model_size_bytes",
    "plot_results",
]


class BenchmarkResult:
    """Times of repeated runs (seconds) and the statistics derived from them."""

    def __init__(self, name: str, times, items: int | None = None, peak_bytes: int | None = None, extra=None):
        if not times:
            raise ValueError("a benchmark needs at least one timed run (repeats >= 1)")
        self.name = name
        self.times = [float(t) for t in times]
        self.items = items
        self.peak_bytes = peak_bytes
        self.extra = dict(extra or {})

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.times)

    @property
    def min(self) -> float:
        return min(self.times)

    @property
    def quartiles(self) -> tuple[float, float]:
        """(Q1, Q3) with linear interpolation between runs (NumPy's default percentile)."""
        q1, q3 = np.percentile(self.times, [25, 75])
        return float(q1), float(q3)

    @property
    def iqr(self) -> float:
        q1, q3 = self.quartiles
        return q3 - q1

    @property
    def mad(self) -> float:
        """Median absolute deviation: robust to the one run the OS interrupted."""
        m = self.median
        return statistics.median(abs(t - m) for t in self.times)

    @property
    def latency_ms(self) -> float:
        return 1e3 * self.median

    @property
    def throughput(self) -> float | None:
        """Items per second at the median time (None when `items` was not given)."""
        if self.items is None:
            return None
        return self.items / self.median if self.median > 0 else float("inf")

    def row(self) -> dict:
        row = {
            "name": self.name,
            "median ms": self.latency_ms,
            "IQR ms": 1e3 * self.iqr,
            "MAD ms": 1e3 * self.mad,
            "runs": len(self.times),
        }
        if self.items is not None:
            row["items/s"] = self.throughput
        if self.peak_bytes is not None:
            row["peak mem"] = format_bytes(self.peak_bytes)
        row.update(self.extra)
        return row

    def __repr__(self):
        return (
            f"BenchmarkResult({self.name!r}: median {self.latency_ms:.4g} ms, IQR {1e3 * self.iqr:.3g} ms, "
            f"{len(self.times)} runs)"
        )


def peak_memory(fn, *args, **kwargs) -> tuple[object, int]:
    """(fn's result, peak bytes Python and NumPy allocated while it ran), via tracemalloc.

    NumPy reports its array buffers to tracemalloc, so this is the arrays' memory too.
    """
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start()
    tracemalloc.reset_peak() if hasattr(tracemalloc, "reset_peak") else None
    base = tracemalloc.get_traced_memory()[0]
    try:
        result = fn(*args, **kwargs)
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        if not already:
            tracemalloc.stop()
    return result, max(int(peak), 0)


def benchmark(
    fn,
    *,
    name: str | None = None,
    warmup: int = 3,
    repeats: int = 20,
    items: int | None = None,
    setup=None,
    seed: int | None = None,
    memory: bool = False,
    clock=time.perf_counter,
) -> BenchmarkResult:
    """Time `fn` `repeats` times after `warmup` untimed calls.

    fn:     called as fn() or, with `setup`, as fn(*setup(rng)) where setup's work is not timed
    items:  how many items (samples, tokens) one call processes, for throughput
    seed:   reseeds tinytorch and the `rng` given to setup, so inputs repeat exactly
    memory: also run once under tracemalloc and report the peak bytes (a separate, untimed run)
    clock:  a function returning seconds; tests pass a fake clock to check the statistics
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"need repeats >= 1 and warmup >= 0, got repeats={repeats}, warmup={warmup}")
    rng = np.random.default_rng(seed)
    if seed is not None:
        manual_seed(seed)

    def args():
        if setup is None:
            return ()
        a = setup(rng)
        return a if isinstance(a, tuple) else (a,)

    for _ in range(warmup):
        fn(*args())
    times = []
    for _ in range(repeats):
        a = args()
        t0 = clock()
        fn(*a)
        times.append(clock() - t0)
    peak = None
    if memory:
        a = args()
        _, peak = peak_memory(fn, *a)
    return BenchmarkResult(name or getattr(fn, "__name__", "fn"), times, items, peak)


def results_table(results, baseline: str | None = None, title: str | None = None) -> Table:
    """Results side by side; with a baseline name, a `speed-up` column (baseline median / median)."""
    rows = [r.row() for r in results]
    if baseline is not None:
        base = next((r for r in results if r.name == baseline), None)
        if base is None:
            raise KeyError(f"baseline {baseline!r} is not among the results {[r.name for r in results]}")
        for row, r in zip(rows, results, strict=True):
            row["speed-up"] = base.median / r.median if r.median > 0 else float("inf")
    columns = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    return Table(
        rows, columns, formats={"median ms": ".4g", "IQR ms": ".3g", "MAD ms": ".3g", "speed-up": ".2f"}, title=title
    )


def compare(candidates: dict, *, baseline: str | None = None, progress: bool = False, title=None, **kwargs) -> Table:
    """Benchmark each {name: fn} with the same settings (kwargs go to `benchmark`) and tabulate.

    The baseline defaults to the first candidate. Returns the Table; `.results` holds the
    BenchmarkResult objects.
    """
    results = []
    for name, fn in candidates.items():
        if progress:
            print(f"  benchmarking {name} ...", flush=True)
        results.append(benchmark(fn, name=name, **kwargs))
    table = results_table(results, baseline or next(iter(candidates)), title)
    table.results = results
    return table


# ---- model variants ------------------------------------------------------------------------------
def accuracy(model, X, y, batch_size: int = 512) -> float:
    """Fraction of rows of X whose argmax logit equals y (evaluation mode, no graph)."""
    was_training = getattr(model, "training", False)
    if hasattr(model, "eval"):
        model.eval()
    correct = 0
    with no_grad():
        for i in range(0, len(X), batch_size):
            logits = model(Tensor(X[i : i + batch_size]))
            correct += int((logits.data.argmax(axis=-1) == np.asarray(y[i : i + batch_size])).sum())
    if was_training and hasattr(model, "train"):
        model.train()
    return correct / len(X)


def model_size_bytes(model) -> int:
    """Bytes needed to store the model: every parameter and buffer at its own dtype.

    A quantized layer stores int8 weights plus scales/zero points as buffers, so this one function
    measures float and quantized models alike.
    """
    return parameter_bytes(model)


def compare_models(
    models: dict,
    X,
    y=None,
    *,
    batch_size: int = 256,
    baseline: str | None = None,
    warmup: int = 2,
    repeats: int = 10,
    seed: int | None = 0,
    progress: bool = False,
    memory: bool = True,
    title: str | None = None,
) -> Table:
    """Latency, throughput, size and (with labels y) accuracy of model variants on the same data.

    Each model runs inference on one batch of `batch_size` rows of X (no graph recorded). Columns:
    name, size (bytes), size ratio vs the baseline, accuracy on all of X, median/IQR ms per batch,
    samples/s, speed-up vs the baseline, and with memory=True the peak bytes allocated by one batch.
    """
    names = list(models)
    baseline = baseline or names[0]
    batch = Tensor(np.asarray(X[:batch_size]))
    results = []
    for name in names:
        model = models[name]
        if progress:
            print(f"  benchmarking {name} ...", flush=True)
        if hasattr(model, "eval"):
            model.eval()

        def run(m=model):
            with no_grad():
                m(batch)

        extra = {"size": model_size_bytes(model)}
        if y is not None:
            extra["accuracy"] = accuracy(model, X, y)
        r = benchmark(run, name=name, warmup=warmup, repeats=repeats, items=len(batch.data), seed=seed, memory=memory)
        r.extra = extra
        results.append(r)
    base = results[names.index(baseline)]
    rows = []
    for r in results:
        row = {"model": r.name, "size": r.extra["size"], "size ratio": base.extra["size"] / r.extra["size"]}
        if y is not None:
            row["accuracy %"] = 100 * r.extra["accuracy"]
        row.update(
            {
                "median ms": r.latency_ms,
                "IQR ms": 1e3 * r.iqr,
                "samples/s": r.throughput,
                "speed-up": base.median / r.median,
            }
        )
        if memory:
            row["peak bytes"] = r.peak_bytes
        rows.append(row)
    table = Table(
        rows,
        formats={
            "size ratio": ".2f",
            "accuracy %": ".2f",
            "median ms": ".3f",
            "IQR ms": ".3f",
            "samples/s": ",.0f",
            "speed-up": ".2f",
        },
        title=title or f"model variants on a batch of {len(batch.data)} (baseline: {baseline})",
    )
    table.results = results
    return table


def plot_results(results, path: str | None = None, title: str = "benchmark"):
    """Bar chart of median latency with IQR error bars; None (and a note) without matplotlib.

    results: BenchmarkResult objects, or a Table from `compare`/`compare_models`.
    Saves to `path` when given; returns the matplotlib Figure.
    """
    results = getattr(results, "results", results)
    from ..viz import _finish, _pyplot  # one place picks the backend (Agg outside notebooks)

    plt = _pyplot()
    if plt is None:
        return None
    fig, ax = plt.subplots(figsize=(max(4, 1.2 * len(results)), 3))
    names = [r.name for r in results]
    med = [r.latency_ms for r in results]
    lo = [1e3 * (r.median - r.quartiles[0]) for r in results]
    hi = [1e3 * (r.quartiles[1] - r.median) for r in results]
    ax.bar(names, med, yerr=[lo, hi], capsize=4, color="#4c72b0")
    ax.set_ylabel("median latency (ms)")
    ax.set_title(title)
    ax.tick_params(axis="x", labelrotation=30)  # long variant names would overlap
    fig.tight_layout()
    return _finish(plt, fig, path)
