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
# Before making a model smaller or faster (lessons 15 to 20), measure it. "This model is slow" is not
# actionable; "the first Linear does 85 % of the FLOPs and its weights are 80 % of the bytes" is.
# This lesson builds the counters every optimization lesson reports with:
#
# | piece | answers |
# |---|---|
# | `count_parameters` | how many numbers does the model learn? |
# | `parameter_bytes` | how much memory (and disk) do they take, buffers included? |
# | `linear_flops` | how much arithmetic is one Linear layer? |
# | `conv2d_output_size`, `conv2d_flops` | ... one convolution? |
# | `attention_core_flops`, `attention_flops` | ... one self-attention layer? |
# | `module_flops` | ... any layer of a model, from the shapes it receives? |
#
# Counting is exact and cheap (no model is run), so the checks compare with numbers counted by hand.
# Time is different: it has to be *measured*, and measurements are noisy. The systems section at the
# end times models properly (warm-up, repeats, the median) and uses the given `profile_layers`, which
# calls your `module_flops` for every layer, to show where a model's time and memory go.

# %%
import statistics
import time

import numpy as np

import tinytorch as tt
from tinytorch import nn
from tinytorch.systems import profiling as P
from tinytorch.systems.profiling import (
    Linear,
    Module,
    _pair,
    _rows,
    attention_core_flops,
    conv2d_flops,
    conv2d_output_size,
    linear_flops,
)
from tinytorch_course.checks import Lesson, implement, use_my_work

lesson = Lesson("14_profiling")
use_my_work(before=lesson)  # your code from earlier lessons (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. Parameters and bytes
#
# A model's **parameters** are the numbers training changes: every weight and bias. `model.parameters()`
# (lesson 03) lists each `Parameter` once, even when two layers share one (a GPT's embedding matrix
# is also its output layer: the same array, stored once). The count is the sum of their sizes; a frozen
# parameter (`requires_grad=False`, not trained) is left out when `trainable_only=True`.
#
# Memory is bytes, not parameters: each element costs its dtype's size, 4 bytes in float32, 2 in
# float16, 1 in int8. `array.nbytes` already multiplies the two. A model also stores **buffers**:
# arrays that are saved with it but not trained, such as a pruning mask or the int8 weights of a
# quantized layer (lesson 15). A module registers them with `register_buffer(name, array)`, which
# records the name in the module's list `_buffers` (a module without buffers has no such attribute).
#
# Worked example: `Sequential(Linear(64, 32), ReLU(), Linear(32, 10))` has `64*32 + 32 = 2,080`
# plus `32*10 + 10 = 330`, so 2,410 parameters; in float32 that is 9,640 bytes.

# %%
# solution: count_parameters, parameter_bytes

# %%
lesson.check("count_parameters")

# %%
lesson.check("parameter_bytes")

# %% [markdown]
# ## 2. FLOPs of a Linear layer
#
# A **FLOP** is one floating-point operation. The usual convention, used by papers and by every
# function in this lesson:
#
# - a multiply-add (`acc += a * b`) counts as **2** FLOPs;
# - adding a bias counts **1** per output element;
# - elementwise work (activations, softmax, normalisation, scaling) counts **0**. Matrix products
#   dominate, and every elementwise op would need its own convention.
#
# `y = x W^T + b` with `x` of shape `(batch, in)` and `W` of shape `(out, in)` has `batch * out`
# outputs; each is a dot product of length `in` (`in` multiply-adds = `2 * in` FLOPs) plus one bias add.
# For `Linear(64, 32)` on a batch of 16: `16 * 32 * (2 * 64 + 1) = 66,048` FLOPs.
# A 3-D input `(batch, seq, in)` is `batch * seq` rows: the caller passes that product as `batch`.

# %%
# solution: linear_flops

# %%
lesson.check("linear_flops")

# %% [markdown]
# ## 3. FLOPs of a convolution
#
# A `Conv2d(C_in, C_out, k)` slides a `C_in x kh x kw` filter over the image: every output element is
# a dot product of length `C_in * kh * kw` (plus a bias). So the cost is
#
# ```
# outputs  = batch * C_out * H_out * W_out
# per one  = 2 * C_in * kh * kw  (+ 1 with a bias)
# ```
#
# and the output size, in each direction, is `H_out = (H + 2 * padding - kh) // stride + 1`: the number
# of window positions that fit (`//` drops a window that would stick out). `kernel_size`, `stride` and
# `padding` may each be an int or an `(h, w)` pair; the given `_pair(v)` turns an int `v` into `(v, v)`.
#
# Worked example: `Conv2d(1, 8, 3, padding=1)` on a batch of 32 digit images of 8x8 keeps 8x8, so it has
# `32 * 8 * 64 = 16,384` outputs at `2 * 1 * 9 + 1 = 19` FLOPs each: 311,296 FLOPs, from only
# `8 * 9 + 8 = 80` parameters. Convolutions reuse each weight at every position; that is why they are
# cheap in parameters and expensive in FLOPs, the opposite of a Linear layer.

# %%
# solution: conv2d_output_size, conv2d_flops

# %%
lesson.check("conv2d_output_size")

# %%
lesson.check("conv2d_flops")

# %% [markdown]
# ## 4. FLOPs of attention
#
# Self-attention over `L` positions of width `E` (lesson 12) does two kinds of work:
#
# - **four projections**, q, k, v and out, each a `Linear(E, E)` over `batch * L` rows;
# - the **core**, `softmax(Q K^T / sqrt(d)) V`: `Q K^T` is `(L, E) @ (E, L_k)`, i.e. `2 * L * L_k * E`
#   FLOPs, and multiplying the `(L, L_k)` weights by `V` of shape `(L_k, E)` costs the same again.
#   The softmax and the scaling are elementwise (0 by the convention).
#
# The number of heads does not change the count: `h` heads of width `E / h` do `h * L * L_k * (E / h)`
# multiply-adds, the same as one wide head. `L_k` (`kv_len`) is the number of keys: `L` in plain
# self-attention, but during generation with a key/value cache (lesson 17) one new query attends over
# all the cached keys, so `L = 1` and `L_k` is the length so far.
#
# The projections grow like `L * E^2` and the core like `L^2 * E`: for long sequences the core wins.
# `attention_flops` also refuses an `embed_dim` that the heads cannot split evenly.

# %%
# solution: attention_core_flops, attention_flops

# %%
lesson.check("attention_core_flops")

# %%
lesson.check("attention_flops")

# %% [markdown]
# ## 5. FLOPs of any module, from the shapes it receives
#
# A profiler sees a model as a tree of modules and, for each call, the inputs it received.
# `module_flops(module, inputs, kwargs=None)` turns that into the work the module does
# **itself**, not counting its children (they are counted when they run):
#
# | module | its own FLOPs |
# |---|---|
# | `Linear` | `linear_flops` with the rows of the input: all leading dimensions multiplied (the given `_rows(shape)`) |
# | `Conv2d` (matched by class name) | `conv2d_flops` with channels and kernel from `weight.shape = (C_out, C_in, kh, kw)`, the image size and batch from the input, the layer's `stride` and `padding` |
# | `MultiHeadAttention` (by name) | only its core: its four projections are child `Linear`s. Input `(batch, L, E)`; the keys are `cache.length` if a cache was passed (as the third input or `kwargs["cache"]`), else `L` |
# | anything else | 0 |

# %%
# solution: module_flops

# %%
lesson.check("module_flops")

# %% [markdown]
# ## 6. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your counters in later lessons
#
# Each piece whose checks pass now runs inside tinytorch in this notebook: `P.profile_layers` below
# calls your `module_flops`, which calls your formulas. Later lessons and the milestones start from
# tinytorch's reference; `use_my_work()` (from `tinytorch_course.checks`) switches your saved pieces on there
# (`use_reference()` switches back). Lessons 15 to 20 report with these counters.

# %% [markdown]
# ## 7. Systems: where a model's FLOPs, bytes and milliseconds go
#
# **A per-layer profile.** `P.profile_layers(model, x)` runs the model (forward and backward) a few
# times and reports, per layer, the parameters, their bytes, the FLOPs (your `module_flops`), the
# bytes of the layer's output (which training keeps until the backward pass) and the median forward
# and backward milliseconds. Here, the digits MLP on a batch of 64 images:

# %%
tt.manual_seed(0)
digits = tt.datasets.digits()
mlp = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
batch = tt.Tensor(digits.X_train[:64])
print(P.profile_layers(mlp, batch, runs=5))

# %% [markdown]
# **Counted against executed.** Your formulas predict the work from shapes. The given `P.count_flops`
# instead watches the matrix products that *actually run* (every op passes through `Tensor._op`, which
# calls the hooks registered with `tinytorch.hooks.register_op_hook`) and counts them from their
# operands' shapes. The two agree exactly:

# %%
_, executed = P.count_flops(mlp, batch)
predicted = sum(
    P.linear_flops(layer.in_features, layer.out_features, len(batch.data))
    for layer in mlp.layers
    if isinstance(layer, nn.Linear)
)
print(
    f"predicted by the formula: {predicted:,} FLOPs; executed: {executed}  ->  "
    f"{'the same' if sum(executed.values()) == predicted else 'DIFFERENT'}"
)

cnn = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 4 * 4, 10))
images = tt.Tensor(digits.X_train[:32].reshape(32, 1, 8, 8))
cnn_profile = P.profile_layers(cnn, images, runs=3)
print(cnn_profile)

# %% [markdown]
# The same table as bars: where the time goes next to where the arithmetic is. Compare each layer's
# share of the time with its share of the FLOPs: a layer whose time is large next to its FLOPs
# spends it on data movement and Python overhead, not on arithmetic.

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

layers = [row for row in cnn_profile.rows if row["layer"] not in ("total",)]
names = [f"{row['layer']} {row['type']}".strip() for row in layers]
fig, (time_ax, flop_ax) = viz.figure(1, 2, size=(10, 3.4), sharey=True)
positions = range(len(layers))
time_ax.barh(positions, [row["fwd ms"] for row in layers], label="forward")
time_ax.barh(positions, [row["bwd ms"] for row in layers], left=[row["fwd ms"] for row in layers], label="backward")
time_ax.set_yticks(list(positions), names)
time_ax.invert_yaxis()
time_ax.set_xlabel("ms (median of 3 runs)")
time_ax.legend()
flop_ax.barh(positions, [(row["FLOPs"] or 0) / 1e6 for row in layers], color="gray")
flop_ax.set_xlabel("forward MFLOPs")
fig.suptitle("The digits CNN on 32 images: time and arithmetic per layer")
viz.show(fig)
print(
    f"\nthe CNN: conv layer {P.count_parameters(cnn.layers[0]):,} parameters but "
    f"{P.module_flops(cnn.layers[0], (images,)):,} FLOPs on 32 images; "
    f"the Linear {P.count_parameters(cnn.layers[4]):,} parameters, "
    f"{P.linear_flops(128, 10, 32):,} FLOPs"
)

# %% [markdown]
# **Latency: measure, do not assume.** One timing is noise: the first call pays for memory allocation
# and caches, and any run can be interrupted by the operating system (or, in the browser, by the page).
# So: run a couple of untimed **warm-up** calls, then **repeat** and report the **median**. The median is
# the typical time a user sees, and one disturbed run cannot move it (the mean it can, and the minimum
# is the best case rather than the usual one). Lesson 19 builds a full benchmark harness on this idea.


# %%
def median_ms(fn, repeats=7, warmup=2):
    """Median wall time of fn() in milliseconds, after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times)


flops_per_sample = sum(
    P.linear_flops(layer.in_features, layer.out_features) for layer in mlp.layers if isinstance(layer, nn.Linear)
)
print(f"the MLP: {flops_per_sample:,} FLOPs per image\n")
print(" batch   median ms   ms per image   images/s   GFLOP/s")
with tt.no_grad():
    for n in (1, 16, 256):
        x = tt.Tensor(digits.X_train[:n])
        ms = median_ms(lambda: mlp(x))
        print(f"{n:6d}   {ms:9.3f}   {ms / n:12.4f}   {n / ms * 1e3:8,.0f}   {flops_per_sample * n / ms / 1e6:7.2f}")

# %% [markdown]
# The cost of one call is mostly *fixed* for a model this small: Python, the layers' bookkeeping,
# allocating outputs. A batch of 256 takes far less than 256 times as long as one image, so
# throughput (images per second) grows with the batch while latency (the wait for one answer) grows
# only slowly. Serving one user at a time and training on large batches are different problems.
#
# **Where attention's work goes.** The projections grow like `L * E^2`, the core like `L^2 * E`; with
# `E = 64` the core overtakes the projections at `L = 2E = 128` positions, and then dominates. Timing
# a `MultiHeadAttention` forward shows the same trend (on small sizes, overheads blur it):

# %%
E, heads = 64, 4
attention = nn.MultiHeadAttention(E, heads)
print("     L   projections         core   core share   forward ms")
with tt.no_grad():
    for L in (16, 64, 128, 256):
        total = P.attention_flops(L, E, heads)
        core = P.attention_core_flops(L, E)
        x = tt.randn(1, L, E, seed=0)
        ms = median_ms(lambda: attention(x), repeats=5, warmup=1)
        print(f"{L:6d}   {total - core:11,}   {core:10,}   {core / total:10.0%}   {ms:10.3f}")

# %% [markdown]
# **Where a training step's time goes, op by op.** `P.OpProfiler` times every tensor op run inside
# it, forward and backward, by name. Matrix products (`linear`) usually lead; in a model this small
# the autograd engine's own bookkeeping and the optimizer are visible too. These tables are what to
# look at first when something is slow: lessons 15 to 18 each attack one line of them.

# %%
import tinytorch.nn.functional as F
from tinytorch.optim import Adam

opt = Adam(mlp.parameters(), lr=1e-3)
x, y = tt.Tensor(digits.X_train[:128]), tt.Tensor(digits.y_train[:128])
with P.OpProfiler() as prof:
    for _ in range(5):
        loss = F.cross_entropy(mlp(x), y)
        opt.zero_grad()
        loss.backward()
        with prof.region("optimizer step"):
            opt.step()
print(prof.table(top=6))
