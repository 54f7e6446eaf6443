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
# Every model in this course, from the 1958 perceptron to a small GPT, is arithmetic on
# **tensors**: n-dimensional arrays of numbers. tinytorch's `Tensor` keeps its numbers in a NumPy
# array, `.data`, and adds what a deep-learning framework needs on top: a fixed dtype policy,
# broadcasting arithmetic, matrix products and reductions that raise *helpful* errors, and
# (from lesson 05) a record of how each tensor was computed, so gradients can flow back.
#
# In this lesson you write the core of that class:
#
# | piece | what it does |
# |---|---|
# | `_to_array` | turns lists, arrays and tensors into the array a `Tensor` stores |
# | `Tensor.__add__`, `Tensor.__mul__` | `a + b`, `a * b` with broadcasting |
# | `Tensor.__matmul__` | `a @ b`, with an error that names both shapes |
# | `Tensor.sum`, `Tensor.mean` | reductions over `axis`, with `keepdims` |
# | `Tensor.reshape`, `Tensor.transpose` | the same numbers in another shape |
#
# The rest of the class (the constructor, `shape`, printing, ...) is given. Run the cell below
# first: it loads tinytorch and this lesson's checks.

# %%
import numpy as np

import tinytorch as tt
import tinytorch.backend as backend
from tinytorch.tensor import _DEFAULT_FLOAT, Tensor, _axis, _dim_check, _operand, _shape_error
from tinytorch_course.checks import Lesson, implement
from tinytorch_course.timing import best_time

lesson = Lesson("01_tensor")
lesson

# %% [markdown]
# ## 1. Creating a tensor: the dtype policy
#
# `Tensor(data)` accepts a number, a (nested) list, a NumPy array or another tensor, and hands it
# to `_to_array(data, dtype=None)`, which decides what is stored:
#
# - **floats become float32** (`_DEFAULT_FLOAT`). NumPy's default is float64, but float32 halves
#   the memory and is what GPUs and PyTorch use by default; its ~7 significant digits are plenty
#   for learning.
# - **integers stay integers** (Python ints become int64): class labels and indices must stay exact.
# - **booleans stay booleans** (masks, comparisons).
# - an explicit `dtype=` wins over all of that;
# - anything else (strings, objects) is a mistake and raises `TypeError`.
#
# `arr.dtype.kind` tells the families apart: `'f'` float, `'i'`/`'u'` (unsigned) integer, `'b'` boolean.

# %%
# solution: _to_array

# %%
lesson.check("_to_array")

# %% [markdown]
# ## 2. How every operation is written
#
# Each tensor operation does two things: compute the result on the NumPy arrays, then wrap it in a
# new `Tensor` with the given helper
#
# ```python
# Tensor._op(data, parents, backward, opname)
# ```
#
# `data` is the result array, `parents` the tuple of input tensors, `opname` a label such as `"add"`.
# `backward` is a function that will turn the gradient of the output into gradients of the inputs.
# That is lesson 05's job: **in this lesson you may pass `None`** and come back to it then.
#
# ## 3. Broadcasting: `+` and `*`
#
# Adding a bias row to every row of a batch, or scaling each column, needs arrays of *different*
# shapes to combine. NumPy's broadcasting rule: line the shapes up **from the right**; each pair of
# sizes must be equal, or one of them 1 (that axis is repeated), or missing (treated as 1).
#
# ```
# (2, 3) + (3,)    ->  (2, 3)     the row is added to both rows
# (3, 1) + (1, 4)  ->  (3, 4)     every pair (i, j)
# (2, 3) + (4,)    ->  error      3 vs 4
# ```
#
# NumPy does the repeating without copying. Your job is the wrapping, and the error: NumPy's message
# (`operands could not be broadcast together with shapes (2,3) (4,)`) does not say which operation
# failed or how to fix it; `_shape_error(op, a, b, err)` builds a `ValueError` that does.
#
# The right operand may also be a plain Python number (`x + 1`), which has no `.data`. The given
# helper `_operand(other)` leaves a Tensor or a number as it is, and turns a NumPy array or list
# into a constant Tensor (and a NumPy scalar into a Python number); once `other` has been through
# it, there are only those two cases to handle.

# %%
# solution: Tensor.__add__, Tensor.__mul__

# %%
lesson.check("Tensor.__add__")

# %%
lesson.check("Tensor.__mul__")

# %% [markdown]
# ## 4. Matrix multiplication
#
# `a @ b` for shapes `(m, k) @ (k, n)` gives `(m, n)`: output element `[i, j]` is the dot product of
# row `i` of `a` and column `j` of `b`. NumPy's `@` also handles a *batch* of matrices, `(B, m, k) @ (k, n)`,
# and vectors: `(m, k) @ (k,)` gives `(m,)`, and `(k,) @ (k,)` a scalar.
#
# The inner sizes must agree. When they do not, a good error names **both shapes** and says which
# dimensions disagree, because that is what you need to fix the model (very often the fix is a
# transpose, `b.T`).

# %%
# solution: Tensor.__matmul__

# %%
lesson.check("Tensor.__matmul__")

# %% [markdown]
# ## 5. Reductions: `sum` and `mean`
#
# A loss is a mean over a batch; a softmax sums over classes. `axis` says which axes disappear:
# `None` means all of them (a 0-d result), an int or a tuple of ints selects some, and negative
# numbers count from the end. With `keepdims=True` the reduced axes stay, with size 1, so the result
# still broadcasts against the input (`x - x.mean(axis=1, keepdims=True)` centres each row).
# PyTorch calls the argument `dim`; `_axis(axis, dim)` accepts either.
#
# The mean of an integer tensor (say, `(predictions == labels).mean()`, an accuracy) must be a float.

# %%
# solution: Tensor.sum, Tensor.mean

# %%
lesson.check("Tensor.sum")

# %%
lesson.check("Tensor.mean")

# %% [markdown]
# ## 6. Reshape and transpose
#
# `reshape` keeps the numbers in their order and changes how they are grouped: `(6,)` into
# `(2, 3)`; one size may be `-1` ("whatever is left"). Both `x.reshape(2, 3)` and
# `x.reshape((2, 3))` must work. `transpose(dim0, dim1)` swaps two axes (by default the last two,
# which is what a matrix transpose is, even for a batch of matrices). Neither copies any numbers
# when NumPy can avoid it: they return a *view* with different strides.

# %%
# solution: Tensor.reshape, Tensor.transpose

# %%
lesson.check("Tensor.reshape")

# %%
lesson.check("Tensor.transpose")

# %% [markdown]
# ## 7. All checks
#
# The overview of the whole lesson. When every check passes, your lesson is complete (the course
# page shows it) and all your pieces are saved in `my_tinytorch/01_tensor.py`.

# %%
lesson.check()

# %% [markdown]
# ### Your Tensor in later lessons
#
# Each piece whose checks pass replaces tinytorch's own version in this notebook at once (`x + y`
# now runs your `__add__`). Later lessons and the milestones start from tinytorch's reference; one
# call switches your saved pieces on there:
#
# ```python
# from tinytorch_course.checks import use_my_work, use_reference
# use_my_work()      # your code from my_tinytorch/ runs from now on
# use_reference()    # back to tinytorch's own
# ```
#
# Lesson 05 comes back to these operations to add their `backward`; until you have passed that
# lesson, `use_my_work()` keeps tinytorch's versions of the operations it revisits.

# %% [markdown]
# ## 8. Systems: what a tensor costs
#
# **Memory.** A tensor's memory is its number of elements times the bytes per element. The
# float32 policy halves it against NumPy's float64:

# %%
x64 = np.random.default_rng(0).standard_normal((1000, 1000))
x32 = Tensor(x64)
print(
    f"1000 x 1000 as float64: {x64.nbytes / 1e6:.1f} MB; as a tinytorch float32 tensor: {x32.data.nbytes / 1e6:.1f} MB"
)

row = Tensor(np.ones(1000))
print(
    f"broadcast (1000, 1000) + (1000,): the row's {row.data.nbytes / 1e3:.0f} KB are reused, never copied 1000 times "
    f"(np.broadcast_to gives strides {np.broadcast_to(row.data, (1000, 1000)).strides})"
)

# %% [markdown]
# **Compute.** An `(n, n) @ (n, n)` product does `n` multiplications and `n` additions for each of its
# `n²` outputs: `2n³` floating-point operations (FLOPs). Doubling `n` costs 8× the work. Timing your
# `@` shows how many FLOPs per second this machine (or browser) gets through NumPy:


# %%
def time_matmul(n, repeats=5, batch_seconds=0.002):
    """Seconds per `a @ b`: the best of a few runs, each a batch of calls lasting at least 2 ms
    (a browser's clock ticks in 0.1 ms steps: one small product would read as 0 or 0.1 ms).
    Each run finds its own batch size, so one slow first call cannot leave later runs too short."""
    a, b = tt.randn(n, n, seed=1), tt.randn(n, n, seed=2)
    return best_time(lambda: a @ b, repeats, min_seconds=batch_seconds)


sizes = (8, 16, 32, 64, 128, 256)
rates = {}
for n in sizes:
    seconds = time_matmul(n)
    flops = 2 * n**3
    rates[n] = flops / seconds / 1e9
    print(f"n = {n:4d}: {flops / 1e6:7.3f} MFLOP in {seconds * 1e3:8.4f} ms  ->  {rates[n]:6.2f} GFLOP/s")
trend = "rose" if rates[256] > rates[64] else "fell"
print(f"Here the rate {trend} from {rates[64]:.2f} to {rates[256]:.2f} GFLOP/s between n = 64 and n = 256.")

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

fig, ax = viz.figure(size=(5.5, 3.2))
ax.plot(sizes, [rates[n] for n in sizes], marker="o")
ax.set_xscale("log", base=2)
ax.set_xticks(sizes, [str(n) for n in sizes])
ax.set_xlabel("n  (an (n, n) @ (n, n) product)")
ax.set_ylabel("GFLOP/s")
ax.set_title("Throughput of your @ on this machine")
viz.show(fig)
print(f"the fastest here: n = {max(rates, key=rates.get)}; the slowest: n = {min(rates, key=rates.get)}")

# %% [markdown]
# Whether larger products reach a higher rate depends on where NumPy runs; the line printed under the
# timings and the curve say which happened here. The smallest products always reach only a fraction
# of the rate: they spend most of their time on Python and call overhead, not arithmetic (n = 8 is
# 1,024 FLOPs). Natively, NumPy hands `@` to an optimized, multi-threaded BLAS, so the rate rises with `n`
# (measured natively on the build machine: about 34 GFLOP/s at n = 64, 97 at n = 256). In the browser,
# NumPy is compiled to WebAssembly without that BLAS, on one thread: once the matrices outgrow the
# CPU's caches the rate can *fall* instead (measured in Chromium: 1.75 GFLOP/s at n = 64, 0.55 at
# n = 256). Either way the rate is tens of times below native, and the overhead of each call is the
# same: keeping work in few, large array operations instead of many small ones is the main speed
# lesson of a NumPy framework; lesson 18 (Acceleration) comes back to it.
