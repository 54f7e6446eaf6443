# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python (Pyodide)
#     language: python
#     name: python
# ---

# %% [markdown]
# "Version B is 1.4x faster" is a claim about two noisy measurements. Time the same function ten
# times and you get ten different numbers: the first call pays for memory allocation and cold
# caches, and any call can be interrupted by the operating system (or, in the browser, by the page).
# A benchmark you can trust enough to compare
#
# 1. **warms up**: runs the function a few times untimed, so one-off costs are not counted;
# 2. **repeats**: times many runs, not one;
# 3. reports the **median** (robust: one interrupted run cannot move it) and a **spread** (how
#    much the runs disagree), so a 5 % difference within a 20 % spread is recognised as noise;
# 4. converts to what users care about: **latency** (time per call) and **throughput** (items per second).
#
# | piece | what it does |
# |---|---|
# | `BenchmarkResult.median`, `.quartiles`, `.iqr`, `.mad` | robust centre and spread of the run times |
# | `BenchmarkResult.throughput` | items per second at the median time |
# | `benchmark` | the harness: warm-up, repeats, untimed setup, seed, peak memory, an injectable clock |
# | `results_table`, `compare` | several results side by side, with speed-ups against a baseline |
#
# `BenchmarkResult`'s constructor, `row()` and `latency_ms`, `peak_memory` (the tracemalloc
# measurement) and `compare_models` (model variants: accuracy, size, latency) are given.

# %%
import statistics
import time

import numpy as np

import tinytorch as tt
from tinytorch.systems import benchmarking as B
from tinytorch.systems.benchmarking import BenchmarkResult, Table, benchmark, manual_seed, peak_memory, results_table
from tinytorch_course.checks import Lesson, implement, use_my_work

lesson = Lesson("19_benchmarking")
use_my_work(before=lesson)  # your code from earlier lessons (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. Robust statistics of run times
#
# A `BenchmarkResult` holds `times`, the seconds of each timed run. Take seven runs where the fifth
# was interrupted:
#
# ```
# times  = [1.0, 1.1, 0.9, 1.0, 9.0, 1.2, 1.0]
# sorted = [0.9, 1.0, 1.0, 1.0, 1.1, 1.2, 9.0]
# mean   = 2.17     pulled far off by one run
# median = 1.0      the middle of the sorted runs (with an even count: the mean of the two middle ones)
# ```
#
# For the spread, the standard deviation has the same weakness as the mean. Two robust alternatives:
#
# - **quartiles** `(Q1, Q3)`: the 25th and 75th percentiles. A percentile between two runs is
#   interpolated linearly: for `[1, 2, 3, 4]`, Q1 sits at position `0.25 · (4 - 1) = 0.75` of the
#   sorted list, three quarters of the way from 1 to 2, so `Q1 = 1.75` (and `Q3 = 3.25`). This is
#   NumPy's default `np.percentile`. The **IQR** is `Q3 - Q1`, the width of the middle half of the runs.
# - **MAD**, the median absolute deviation: the median of the distances `|t - median|`. Above, the
#   distances are `[0.1, 0, 0, 0, 0.1, 0.2, 8.0]`, so MAD = 0.1: the outlier is one distance among seven.
#
# **Throughput** is `items / median seconds`: a call that classifies a batch of 64 images in 0.5 s
# has a throughput of 128 images per second. It is `None` when the benchmark was not told how many
# items one call processes, and infinite when the median is 0 (a clock too coarse to see the run).
#
# All five are read-only properties (`result.median`, no parentheses).

# %%
# solution: BenchmarkResult.median, BenchmarkResult.quartiles, BenchmarkResult.iqr
# solution: BenchmarkResult.mad, BenchmarkResult.throughput

# %%
lesson.check("BenchmarkResult.median")

# %%
lesson.check("BenchmarkResult.quartiles")

# %%
lesson.check("BenchmarkResult.iqr")

# %%
lesson.check("BenchmarkResult.mad")

# %%
lesson.check("BenchmarkResult.throughput")

# %% [markdown]
# ## 2. The harness
#
# `benchmark(fn, warmup=3, repeats=20, ...)` calls `fn` `warmup` times without timing it, then
# `repeats` times, each timed as `clock()` after minus `clock()` before, and returns
# `BenchmarkResult(name, times, items, peak_bytes)`. The options make fair comparisons possible:
#
# - `setup(rng)` builds fresh inputs before each call (a model that changes its input in place, or a
#   cache that must start empty, needs them). Its time is **not** measured: call it before reading
#   the clock. It returns the arguments of `fn`: a tuple, or one value that becomes one argument.
# - `seed`: with a seed, `setup` gets `np.random.default_rng(seed)` and tinytorch's own generator is
#   reseeded with the given `manual_seed`, so every run of the benchmark sees the same inputs and
#   weights.
# - `memory=True`: after the timed runs, one more *untimed* run under `peak_memory` (given; it uses
#   Python's `tracemalloc`, which also sees NumPy's arrays) records the peak bytes allocated.
# - `clock`: any function returning seconds, `time.perf_counter` by default. Making it a parameter
#   is what makes the harness testable: the checks pass a **fake clock** that advances only when
#   `fn` "runs", by a scripted number of seconds, so the expected times are exact. A harness that
#   times its warm-up calls, or its `setup`, gives visibly wrong times.
# - `repeats < 1` or `warmup < 0` is a mistake: raise `ValueError` naming the values you got.

# %%
# solution: benchmark

# %%
lesson.check("benchmark")

# %% [markdown]
# ## 3. Comparison tables
#
# One number means little; a comparison needs the same measurement of every variant, side by side.
# `results_table(results, baseline=None, title=None)` makes one row per result (`result.row()` gives
# a dict: name, median ms, IQR ms, MAD ms, runs, and items/s or peak memory when known) and returns a
# `Table` (`tinytorch.systems.table`; given) whose columns are every key of every row, in the order
# first seen. With a `baseline` name, each row also gets
#
# ```
# speed-up = baseline median / this median        (2.0: twice as fast as the baseline)
# ```
#
# and an unknown baseline name is a `KeyError` that names it and the results' names.
# `compare(candidates, baseline=None, title=None, **kwargs)` benchmarks each `{name: fn}` with the
# same settings (`**kwargs` go to `benchmark`), tabulates them with the first candidate as the
# default baseline, and attaches the `BenchmarkResult`s as `table.results` (the plotting helper reads
# them). Its `progress=True` prints a line per candidate.

# %%
# solution: results_table, compare

# %%
lesson.check("results_table")

# %%
lesson.check("compare")

# %% [markdown]
# ## 4. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your harness in later lessons
#
# Every piece that passes now runs inside tinytorch in this notebook: `benchmark`, `compare` and the
# model comparisons below use your code. The capstone (lesson 20) measures every candidate model with
# it. Elsewhere, switch your saved pieces on with
#
# ```python
# from tinytorch_course.checks import use_my_work, use_reference
# use_my_work()      # your code from my_tinytorch/ runs from now on
# use_reference()    # back to tinytorch's own
# ```

# %% [markdown]
# ## 5. Systems: measuring for real
#
# **The spread of real runs.** Thirty runs of a 64 x 64 matrix product, with no warm-up, so the first
# run is in the data too:

# %%
a, b = tt.randn(64, 64, seed=1), tt.randn(64, 64, seed=2)
raw = B.benchmark(lambda: a @ b, name="64x64 matmul", warmup=0, repeats=30)
t_us = [t * 1e6 for t in raw.times]
print(f"first run {t_us[0]:.1f} us; then min {min(t_us[1:]):.1f}, max {max(t_us[1:]):.1f} us")
print(
    f"mean {raw.mean * 1e6:.1f} us   median {raw.median * 1e6:.1f} us   "
    f"IQR {raw.iqr * 1e6:.2f} us   MAD {raw.mad * 1e6:.2f} us"
)

# %% [markdown]
# The mean sits above the median whenever a few runs are slow (the distribution of run times has a
# long right tail: nothing makes a run *faster* than the machine allows). The IQR and MAD say how far
# apart two medians must be before the difference means anything.
#
# **Latency and throughput.** A digits MLP (64 -> 128 -> 10), trained for a few epochs, classifying
# batches of different sizes. Latency grows with the batch; throughput grows much faster, because a
# bigger batch spreads the fixed cost of each call (Python, op dispatch, graph bookkeeping) over more
# images:

# %%
from tinytorch import nn
from tinytorch.data import DataLoader, TensorDataset
from tinytorch.nn import functional as F
from tinytorch.optim import Adam
from tinytorch.training import Trainer

digits = tt.datasets.digits()
tt.manual_seed(0)
mlp = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
loader = DataLoader(TensorDataset(digits.X_train, digits.y_train), batch_size=32, shuffle=True, seed=0)
Trainer(mlp, Adam(mlp.parameters(), lr=3e-3), F.cross_entropy, verbose=False).fit(loader, epochs=8)
mlp.eval()

results = []
for n in (1, 16, 256):
    batch = tt.Tensor(digits.X_test[:n])
    with tt.no_grad():
        results.append(B.benchmark(lambda: mlp(batch), name=f"batch {n}", warmup=3, repeats=20, items=n))
B.results_table(results, title="digits MLP inference: latency vs throughput")

# %% [markdown]
# Every repeat, not just the summary: each dot is one timed call, the box spans the middle half (the
# IQR) with the median as its line. The 64 × 64 matmul ran with warm-up 0, so its first call is
# among the dots: when a first call pays a one-time cost, it stands apart from the rest. The spread,
# not one number, is what tells two variants apart, or says they cannot be told apart.

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

fig, axes = viz.figure(1, len(results) + 1, size=(11, 3.2))
series = [(raw.name, raw.times)] + [(r.name, r.times) for r in results]
for ax, (name, times) in zip(axes, series, strict=True):
    ms = [t * 1e3 for t in times]
    ax.boxplot(ms, widths=0.5, showfliers=False)
    ax.scatter([1 + 0.08 * ((i % 5) - 2) for i in range(len(ms))], ms, s=10, alpha=0.6, color="tab:red")
    ax.set_xticks([1], [name])
axes[0].set_ylabel("ms per call")
fig.suptitle("The spread of repeated timings")
viz.show(fig)

# %% [markdown]
# **Two model variants.** Is the INT8 copy of the MLP (lesson 15) better? `compare_models` (given)
# measures both the same way on the same batch of 256 test images (your `benchmark` inside), and adds
# what a benchmark of speed alone misses: accuracy on the whole test set and the bytes of the weights.

# %%
from tinytorch.systems import quantization

variants = {"float32": mlp, "int8": quantization.quantize_model(mlp, digits.X_train[:500])}
table = B.compare_models(variants, digits.X_test, digits.y_test, batch_size=256, repeats=15)
table

# %%
import matplotlib  # noqa: F401, F811  (plot_results draws: the browser loads matplotlib for this cell)

figure = B.plot_results(table, title="digits MLP, batch of 256: median and IQR")

# %% [markdown]
# Read the table before concluding. INT8 stores the weights in a quarter of the bytes (plus a few
# scales), at the same accuracy, but in NumPy it is usually *not* faster: there is no int8 matrix
# kernel, so the integer product runs in a wider type and the conversions around it cost extra
# passes. On hardware with int8 instructions the speed-up is real; here the honest summary is
# "smaller, and not faster". If the two medians differ by less than their IQRs, the honest summary of speed
# is "no measurable difference". That is the habit the capstone needs: every candidate measured the
# same way, accuracy and size next to time.
