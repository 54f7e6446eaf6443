"""Module 19: the harness's statistics on a fake clock, warm-up and setup kept out of the timings,
seeded reproducibility, comparison tables, and plots that skip cleanly without matplotlib."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import tinytorch as tt
from tinytorch import nn
from tinytorch.systems.benchmarking import (
    BenchmarkResult,
    accuracy,
    benchmark,
    compare,
    compare_models,
    model_size_bytes,
    peak_memory,
    plot_results,
    results_table,
)


class FakeClock:
    """Each call to fn advances time by the next duration; the clock is read only around fn."""

    def __init__(self, durations):
        self.now, self.durations, self.calls = 0.0, list(durations), 0

    def __call__(self):
        return self.now

    def work(self, *args):
        self.calls += 1
        if self.durations:
            self.now += self.durations.pop(0)


def test_statistics_on_a_fake_clock():
    # 2 warm-up runs (10 s and 20 s: must be ignored), then five timed runs
    clock = FakeClock([10, 20, 1, 2, 3, 4, 100])
    r = benchmark(clock.work, warmup=2, repeats=5, items=50, clock=clock)
    assert clock.calls == 7
    assert r.times == [1, 2, 3, 4, 100]
    assert r.median == 3 and r.min == 1 and r.mean == 22
    assert r.quartiles == (2, 4) and r.iqr == 2  # linear interpolation between runs
    assert r.mad == 1  # median(|[1,2,3,4,100] - 3|) = median(2,1,0,1,97)
    assert r.throughput == 50 / 3 and r.latency_ms == 3000
    row = r.row()
    assert row["median ms"] == 3000 and row["IQR ms"] == 2000 and row["items/s"] == pytest.approx(50 / 3)


def test_setup_is_not_timed_and_gets_a_seeded_generator():
    clock = FakeClock([1, 1, 1])
    seen = []

    def setup(rng):
        clock.now += 1000  # setup's time must not count
        x = rng.standard_normal(3)
        seen.append(x)
        return (x,)

    r = benchmark(clock.work, warmup=1, repeats=2, setup=setup, seed=5, clock=clock)
    assert r.times == [1, 1]
    seen_again = []
    benchmark(lambda x: seen_again.append(x), warmup=1, repeats=2, setup=lambda rng: rng.standard_normal(3), seed=5)
    np.testing.assert_array_equal(np.array(seen[1:]), np.array(seen_again[1:]))


def test_bad_settings_and_empty_results_are_refused():
    with pytest.raises(ValueError, match="repeats"):
        benchmark(lambda: None, repeats=0)
    with pytest.raises(ValueError, match="at least one"):
        BenchmarkResult("x", [])


def test_results_table_speed_up_against_baseline():
    fast, slow = BenchmarkResult("fast", [1.0, 1.0, 1.0]), BenchmarkResult("slow", [4.0, 4.0, 4.0])
    table = results_table([slow, fast], baseline="slow")
    assert table.column("speed-up") == [1.0, 4.0]
    assert "speed-up" in str(table).splitlines()[0]
    with pytest.raises(KeyError, match="baseline"):
        results_table([slow], baseline="nope")
    t = compare({"a": lambda: None, "b": lambda: None}, warmup=0, repeats=2)
    assert t.column("name") == ["a", "b"] and t.rows[0]["speed-up"] == 1.0 and len(t.results) == 2


def test_peak_memory_sees_numpy_allocations():
    result, peak = peak_memory(lambda: np.ones(250_000))  # 2 MB of float64
    assert result.shape == (250_000,) and peak >= 2_000_000


def test_compare_models_accuracy_size_and_reproducibility():
    tt.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3))
    X = np.random.default_rng(0).standard_normal((40, 4)).astype(np.float32)
    y = model(tt.Tensor(X)).data.argmax(axis=1)
    y_half = y.copy()
    y_half[:20] = (y_half[:20] + 1) % 3  # exactly half the labels wrong
    assert accuracy(model, X, y) == 1.0 and accuracy(model, X, y_half) == 0.5
    bigger = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    first = compare_models({"small": model, "big": bigger}, X, y, batch_size=16, repeats=2)
    second = compare_models({"small": model, "big": bigger}, X, y, batch_size=16, repeats=2)
    assert first.column("accuracy %")[0] == 100.0
    assert first.column("size") == [model_size_bytes(model), model_size_bytes(bigger)] == [60, 4 * (40 + 27)]
    assert first.column("size ratio")[1] == pytest.approx(60 / 268)
    for col in ("model", "size", "size ratio", "accuracy %"):
        assert first.column(col) == second.column(col)  # everything but the times repeats exactly
    assert first.column("samples/s")[0] > 0
    peaks = first.column("peak bytes")
    if peaks[0] is not None:  # tracemalloc available
        assert peaks[1] >= 16 * 8 * 4  # the big model's hidden activations at least


def test_plot_results_draws_or_skips_cleanly(tmp_path, monkeypatch, capsys):
    results = [BenchmarkResult("a", [1.0, 2.0, 3.0]), BenchmarkResult("b", [2.0, 2.5, 3.0])]
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    assert plot_results(results) is None
    assert "matplotlib is not installed" in capsys.readouterr().out
    monkeypatch.undo()
    pytest.importorskip("matplotlib")
    path = tmp_path / "bench.png"
    fig = plot_results(results, path=str(path))
    assert fig is not None and path.stat().st_size > 0
    import matplotlib.pyplot as plt

    plt.close(fig)
