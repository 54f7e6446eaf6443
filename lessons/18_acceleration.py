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
# The fastest code in this course does no clever maths. It computes the *same numbers* as the slow
# code, arranged so the machine does less work per result: fewer Python steps, fewer passes over
# memory, fewer temporary arrays. This lesson takes three such rearrangements, writes both sides of
# each where they are new, checks that the two sides agree, and then times them.
#
# | rearrangement | the slow form | the fast form |
# |---|---|---|
# | vectorization | `matmul_loops`: three Python loops | `matmul_row_loop`: one loop, rows vectorized; then NumPy's `@` |
# | im2col | `naive_conv2d` (lesson 09, given): loops over output pixels | `im2col`: every window unrolled, then ONE matrix product |
# | fusion | `cross_entropy_unfused`, `gelu_unfused`: chains of small ops | `F.cross_entropy`, `F.gelu`: ONE op each (yours from lesson 05) |
#
# You write the five pieces named in code on the left and in the middle of the table; the fused ops
# are the ones you gave a hand-derived backward in lesson 05 (`use_my_work` below switches them on),
# and the timing helper is given (lesson 19 builds a proper harness).

# %%
import math
import statistics
import time

import numpy as np

import tinytorch as tt
import tinytorch.nn.functional as F
import tinytorch.systems.acceleration as A
from tinytorch.nn import naive_conv2d
from tinytorch.systems.acceleration import Tensor, _pair
from tinytorch_course.checks import Lesson, implement, use_my_work

lesson = Lesson("18_acceleration")
use_my_work(before=lesson)  # your code from earlier lessons (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. Vectorization: move the loops out of Python
#
# A matrix product `(M, K) @ (K, N)` is `M·N·K` multiply-adds:
#
# ```
# out[i][j] = a[i][0]*b[0][j] + a[i][1]*b[1][j] + ... + a[i][K-1]*b[K-1][j]
# ```
#
# Written as three Python loops, every multiply-add is several interpreted bytecode steps (index,
# index, multiply, add, store): tens of nanoseconds each. NumPy's `@` runs the same loops in compiled
# code (BLAS) that uses SIMD registers and the CPU caches: well under a nanosecond per multiply-add.
# Same numbers, 1000x fewer Python steps.
#
# First write the slow form, `matmul_loops`, with plain lists (`a.tolist()`; indexing a list is
# faster than indexing an array element by element). Then the half-way form, `matmul_row_loop`: one
# Python loop over the rows of `a`, each row a *vectorized* vector-matrix product `row @ b` of shape
# `(K,) @ (K, N) -> (N,)`, and `np.stack` to put the `M` rows back together. Both return an array of
# `a`'s dtype with the values of `a @ b`.
#
# Worked example: `a = [[1, 2], [3, 4]]`, `b = [[5, 6], [7, 8]]`: `out[0][1] = 1*6 + 2*8 = 22`, and the
# whole product is `[[19, 22], [43, 50]]`.

# %%
# solution: matmul_loops, matmul_row_loop

# %%
lesson.check("matmul_loops")

# %%
lesson.check("matmul_row_loop")

# %% [markdown]
# ## 2. im2col: a convolution as one matrix product
#
# A convolution slides a `(C, kh, kw)` kernel over the image and, at every output pixel, takes the
# dot product of the kernel with the window under it. Lesson 09's `naive_conv2d` does exactly that with
# four Python loops (image, filter, row, column). **im2col** ("image to columns") rearranges the
# work instead: copy every window into one row of a matrix,
#
# ```
# x (N, C, H, W)  --im2col-->  cols (N·oh·ow, C·kh·kw)     one row per window
# weight (O, C, kh, kw)  --reshape-->  W (O, C·kh·kw)        one row per filter
# out = cols @ W.T  (N·oh·ow, O)  --reshape/transpose-->  (N, O, oh, ow)
# ```
#
# and the whole convolution is ONE matrix product: BLAS does all the multiply-adds.
#
# Worked example, one 3x3 channel and a 2x2 kernel, `(oh, ow) = (2, 2)`:
#
# ```
# x = 0 1 2        cols = [[0, 1, 3, 4],     window at (0, 0)
#     3 4 5                [1, 2, 4, 5],     window at (0, 1)
#     6 7 8                [3, 4, 6, 7],     window at (1, 0)
#                          [4, 5, 7, 8]]     window at (1, 1)
# ```
#
# The order is the contract: rows go over `(n, out-row, out-col)`, columns over `(channel,
# kernel-row, kernel-col)` so that they line up with `weight.reshape(O, C*kh*kw)`. With `stride` s,
# windows start every s pixels; with `padding` p, the image first gets a border of p pixels of
# `pad_value` (0 for a convolution; max pooling would pad with -inf). The output size is
# `oh = (H + 2p - kh) // s + 1`; when it is below 1 the kernel does not fit, and the error should
# say so with both sizes. `kernel_size`, `stride` and `padding` are an int or a pair (the given
# helper `_pair` turns either into a pair).
#
# You do not need a loop at all: NumPy's `sliding_window_view` gives every window as a *view* (no
# copy), and one reshape makes the matrix. The price is memory: each input pixel is copied into up
# to `kh·kw` windows, so `cols` is about 9x the input for a 3x3 kernel (the systems section measures
# it). `F.conv2d` of lesson 09 is this idea, arranged batch-last for faster copies.

# %%
# solution: im2col

# %%
lesson.check("im2col")

# %% [markdown]
# ## 3. Fusion: what a fused op replaces
#
# Built from the Tensor operations you already have, the cross-entropy of logits `z (N, C)` and
# integer targets `y (N,)` is a chain of small ops, each a full pass over an `(N, C)` array that
# allocates its own temporary and its own graph node:
#
# ```
# shift = z - max(z)                       (N, C)   sub
# logp  = shift - log(sum(exp(shift)))     (N, C)   exp, sum, log, sub
# loss  = -mean(logp[range(N), y])         ()       index, mean, neg
# ```
#
# Write it that way, `cross_entropy_unfused`, with Tensor operations only. The maximum is a constant
# shift, `Tensor(logits.data.max(axis=1, keepdims=True))`, which needs no gradient: softmax does not
# change when a constant is subtracted from a row. Autograd differentiates the chain for you, and the
# backward pass walks all eight nodes back. `targets` may be an array or a Tensor of ints.
#
# The **fused** `F.cross_entropy` of lessons 04 and 05 computes the same loss in NumPy on the arrays
# and records ONE node, whose backward you derived by hand. With `p = softmax(z)`, for one row:
#
# ```
# loss_row = -logp[y] = -z[y] + log(sum_j exp(z[j]))
# d loss_row / d z[j] = p[j] - (1 if j == y else 0)
# ```
#
# so the gradient of the mean is `(p - onehot(y)) / N`: one pass, no exp of a large number, no
# division by a small probability. Same numbers; one node instead of eight.

# %%
# solution: cross_entropy_unfused

# %%
lesson.check("cross_entropy_unfused")

# %% [markdown]
# ## 4. GELU from small ops
#
# The same for GELU (tanh approximation, lesson 02): `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`.
# Composed of Tensor operations it is nine nodes (two multiplications for the cube, then scale, add,
# scale, tanh, add, and two final products), and autograd chains nine backward steps. Fused,
# `F.gelu_tanh` is one node whose backward multiplies the upstream gradient by the hand-derived derivative
#
# ```
# d gelu / dx = 0.5 (1 + t)  +  0.5 x (1 - t^2) · sqrt(2/pi) (1 + 3 · 0.044715 x^2),    t = tanh(inner)
# ```
#
# reusing `t` from the forward pass. Write the unfused `gelu_unfused`; plain Python numbers mix with
# Tensors (`x * 0.5`, `inner.tanh() + 1.0`), and `math.sqrt` gives the constant.

# %%
# solution: gelu_unfused

# %%
lesson.check("gelu_unfused")

# %% [markdown]
# **Same numbers, fewer nodes.** Both forms give the same loss and the same gradient; the graph
# behind the fused one is a single node:


# %%
def graph_nodes(out):
    """Op nodes in the graph behind `out` (leaves not counted)."""
    seen, stack = set(), [out]
    while stack:
        t = stack.pop()
        if id(t) not in seen and t._parents:
            seen.add(id(t))
            stack.extend(t._parents)
    return len(seen)


def value_and_grad(op, array, *args):
    x = tt.Tensor(array, requires_grad=True)
    out = op(x, *args)
    (out if out.data.size == 1 else out.sum()).backward()
    return out, x.grad.data


z = np.array([[2.0, 1.0, 0.1, -1.0], [0.5, 2.5, -0.5, 0.0], [-1.0, 0.0, 1.0, 3.0]], np.float32)
y = np.array([0, 3, 3])
for name, unfused, fused, args in (
    ("cross-entropy", A.cross_entropy_unfused, F.cross_entropy, (y,)),
    ("GELU", A.gelu_unfused, F.gelu, ()),
):
    (slow, g_slow), (fast, g_fast) = value_and_grad(unfused, z, *args), value_and_grad(fused, z, *args)
    print(
        f"{name:13s} same values: {np.allclose(slow.data, fast.data, atol=1e-6)}, same gradients: "
        f"{np.allclose(g_slow, g_fast, atol=1e-6)}; graph nodes: unfused {graph_nodes(slow)}, fused {graph_nodes(fast)}"
    )

# %% [markdown]
# ## 5. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your fast ops in later lessons
#
# Every piece that passes runs inside tinytorch in this notebook, in the systems section below too
# (`A.im2col`, `A.cross_entropy_unfused`, ... are yours then). Later lessons and the milestones start
# from tinytorch's reference; one call switches your saved pieces on:
#
# ```python
# from tinytorch_course.checks import use_my_work, use_reference
# use_my_work()      # your code from my_tinytorch/ runs from now on
# use_reference()    # back to tinytorch's own
# ```
#
# `im2col` is also what tinytorch's INT8 convolution (lesson 15) unrolls its integer codes with.

# %% [markdown]
# ## 6. Systems: before and after
#
# Every claim above is a pair of timings. `before_after` runs each function once to warm up (the
# first call pays for allocations and caches), then times the two *in turn*, a few times each, so
# both see the same disturbances from the rest of the machine, and compares the *median* times, which
# one slow run cannot move. Lesson 19 builds this into a proper harness.


# %%
def seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


measured = []  # (what, slow seconds, fast seconds), for the figure at the end of this section


def before_after(what, slow, fast, repeats=5):
    """Median time of `slow` and of `fast`, timed alternately after one warm-up call each."""
    slow(), fast()
    slow_times, fast_times = [], []
    for _ in range(repeats):
        slow_times.append(seconds(slow))
        fast_times.append(seconds(fast))
    t_slow, t_fast = statistics.median(slow_times), statistics.median(fast_times)
    print(f"{what:34s} {t_slow * 1e3:9.3f} ms -> {t_fast * 1e3:8.3f} ms   {t_slow / t_fast:7.1f}x faster")
    measured.append((what.strip(), t_slow, t_fast))


rng = np.random.default_rng(0)

# %% [markdown]
# **Vectorization.** A 48 x 48 product is 110,592 multiply-adds.

# %%
n = 48
a, b = rng.standard_normal((n, n)).astype(np.float32), rng.standard_normal((n, n)).astype(np.float32)
print(
    "same numbers:",
    np.allclose(A.matmul_loops(a, b), a @ b, atol=1e-4),
    np.allclose(A.matmul_row_loop(a, b), a @ b, atol=1e-4),
)
before_after("three loops -> one loop over rows", lambda: A.matmul_loops(a, b), lambda: A.matmul_row_loop(a, b), 3)
before_after("one loop over rows -> a @ b", lambda: A.matmul_row_loop(a, b), lambda: a @ b, 10)

# %% [markdown]
# **im2col.** A convolution of 2 images of 3 x 12 x 12 with 4 filters of 3 x 3 (padding 1): the loops
# of `naive_conv2d` against your `im2col` followed by one matrix product.

# %%
x = rng.standard_normal((2, 3, 12, 12)).astype(np.float32)
w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)


def im2col_conv(x, w, padding=1):
    cols, (oh, ow) = A.im2col(x, w.shape[2:], padding=padding)
    return (cols @ w.reshape(len(w), -1).T).reshape(len(x), oh, ow, len(w)).transpose(0, 3, 1, 2)


slow = naive_conv2d(tt.Tensor(x), tt.Tensor(w), None, 1, 1).data
print("same numbers:", np.allclose(im2col_conv(x, w), slow, atol=1e-4))
before_after(
    "naive_conv2d -> im2col + matmul",
    lambda: naive_conv2d(tt.Tensor(x), tt.Tensor(w), None, 1, 1),
    lambda: im2col_conv(x, w),
    3,
)
cols, _ = A.im2col(x, 3, padding=1)
print(
    f"the price: x is {x.nbytes:,} bytes, its im2col matrix {cols.shape} is {cols.nbytes:,} bytes "
    f"({cols.nbytes / x.nbytes:.1f}x)"
)

# %% [markdown]
# **Fusion.** Forward and backward of each op, the chain of small ops against the fused op, on
# bigger inputs. The peak memory of one forward + backward (Python's `tracemalloc`, which sees NumPy's
# arrays) shows where the time goes: every node of the chain is a pass over memory and a temporary.

# %%
import tracemalloc


def forward_backward(op, *inputs):
    out = op(*inputs)
    (out if out.data.size == 1 else out.sum()).backward()
    return out


def peak_bytes(fn):
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


logits = tt.Tensor(rng.standard_normal((512, 10)).astype(np.float32) * 3, requires_grad=True)
targets = rng.integers(0, 10, 512)
acts = tt.Tensor(rng.standard_normal((256, 512)).astype(np.float32), requires_grad=True)
pairs = {
    "cross-entropy (512, 10)": (A.cross_entropy_unfused, F.cross_entropy, (logits, targets)),
    "GELU (256, 512)": (A.gelu_unfused, F.gelu, (acts,)),
}
for what, (unfused, fused, inputs) in pairs.items():
    print(
        f"{what}: same numbers: {np.allclose(unfused(*inputs).data, fused(*inputs).data, atol=1e-5)}; "
        f"peak memory {peak_bytes(lambda: forward_backward(unfused, *inputs)):,} -> "
        f"{peak_bytes(lambda: forward_backward(fused, *inputs)):,} bytes"
    )
    before_after(
        f"  {what.split()[0]} unfused -> fused",
        lambda: forward_backward(unfused, *inputs),
        lambda: forward_backward(fused, *inputs),
        repeats=15,
    )

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

fig, ax = viz.figure(size=(8, 0.5 + 0.55 * len(measured)))
rows = range(len(measured))
ax.barh([r + 0.2 for r in rows], [slow * 1e3 for _, slow, _ in measured], height=0.4, label="before")
ax.barh([r - 0.2 for r in rows], [fast * 1e3 for _, _, fast in measured], height=0.4, label="after")
for r, (_, slow, fast) in zip(rows, measured, strict=True):
    ax.annotate(f"{slow / fast:.1f}x", (slow * 1e3, r + 0.2), xytext=(4, -4), textcoords="offset points", fontsize=8)
ax.set_yticks(list(rows), [what for what, _, _ in measured])
ax.invert_yaxis()
ax.set_xscale("log")
ax.set_xlabel("median ms (log scale)")
ax.set_title("Each acceleration, measured in this page")
ax.legend(loc="lower right")
viz.show(fig)

# %% [markdown]
# Read the ratios rather than assume them. Vectorization wins by orders of magnitude because it
# removes *interpreter* work: each Python step costs as much as hundreds of compiled multiply-adds.
# im2col wins for the same reason (four Python loops become one BLAS call) and pays for it in memory.
# Fusion wins less, because both forms already run in NumPy: what it saves is graph bookkeeping,
# temporaries (see the peak memory) and passes over memory. How much time that buys depends on the
# op and the machine: cross-entropy's fused backward is one short formula, while GELU's still makes
# about as many NumPy passes as the chain's backward, so its gain comes mostly from memory traffic,
# and grows once the temporaries no longer fit in the CPU's caches. In the browser (WebAssembly
# NumPy, no BLAS threads, no SIMD kernels) every ratio shifts; that is why the next lesson measures carefully, with repeats and
# spreads, before believing a speed-up.

# %% [markdown]
# ## 7. The same product, a faster engine: `tt.backend`
#
# Natively, NumPy's `@` hands large products to an optimised BLAS (Basic Linear Algebra Subprograms:
# blocked for the caches, vectorized, hand-tuned per CPU). The browser's NumPy is built *without*
# one, so in this page `@` runs NumPy's plain fallback loop. The same Pyodide distribution carries
# SciPy, whose OpenBLAS has the real thing: `sgemm` (single-precision general matrix multiply).
# tinytorch routes every large float product (`@`, `Linear`, `conv2d`'s im2col product, attention)
# through one function, `tt.backend.matmul`, and one module decides which engine does the work:
# natively NumPy (it already has BLAS); in the page SciPy's BLAS, loaded the first time a product is
# big enough to need it, so lessons that never multiply large matrices never download it. The site
# ships just the piece of SciPy it needs (its `_fblas` module, 63 kB, plus OpenBLAS, 6 MB).
# `tt.backend()` tells you which engine is in use and why. Same numbers, different engine: measure it.

# %%
print("before:", tt.backend())
try:
    tt.backend.use("blas")  # in the page: loads SciPy's BLAS once (under a second)
except tt.backend.BackendUnavailableError as err:
    print("SciPy's BLAS is not available here, NumPy's @ stays:", err)
print("now:   ", tt.backend())

n = 256
a, b = rng.standard_normal((n, n)).astype(np.float32), rng.standard_normal((n, n)).astype(np.float32)
print("same numbers:", np.allclose(tt.backend.matmul(a, b), a @ b, atol=1e-3))
before_after(f"NumPy's @ -> tt.backend.matmul ({n}^3)", lambda: a @ b, lambda: tt.backend.matmul(a, b), 5)
print(f"that is {2 * n**3 / 1e9:.3f} GFLOP per product")

# %% [markdown]
# Natively the two are about equal (both are BLAS; the ratio says so). In the page the ratio is the
# point of this section: in one run of `benchmarks/backend_bench.py` (Pyodide under Node), SciPy's
# `sgemm` was 1.9-8.6x faster than NumPy's fallback on the course's shapes, a GPT training step 2.8x
# and a small CNN epoch on 8x8 digits 1.5x faster. The price is a one-time download (OpenBLAS and
# SciPy's `_fblas`, about 6 MB) and 0.4 s of loading the first time a lesson needs it.
