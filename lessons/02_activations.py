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
# A stack of linear layers is still one linear map: `W2 @ (W1 @ x)` is `(W2 @ W1) @ x`, however many
# layers you add. What lets a network bend a decision boundary (and solve XOR, milestone 1969) is a
# **nonlinear activation** between the layers. This lesson writes the ones every later model uses,
# and the two that turn scores into probabilities:
#
# | piece | formula | used in |
# |---|---|---|
# | `Tensor.relu` | max(x, 0) | MLPs, CNNs |
# | `Tensor.sigmoid` | 1 / (1 + e^(-x)), without overflow | binary classifiers, gates |
# | `Tensor.tanh` | (e^x - e^(-x)) / (e^x + e^(-x)) | older MLPs, RNNs |
# | `gelu_tanh` | 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) | transformers (GPT-2) |
# | `softmax` | e^(x_i) / sum_j e^(x_j) along an axis | attention, class probabilities |
# | `log_softmax` | x_i - log sum_j e^(x_j), without overflow | cross-entropy (lesson 04) |
#
# The first three are `Tensor` methods (`x.relu()`); `tinytorch.nn.functional` (`F`) exposes them as
# functions (`F.relu(x)` just calls `x.relu()`), and `tinytorch.nn` wraps each in a layer
# (`nn.ReLU()`) for `Sequential` in lesson 03. Those wrappers are given; you write the arithmetic.
#
# Two themes run through the lesson: **shapes** (every activation but softmax works elementwise, so
# the output has the input's shape) and **numerical stability**: in float32, `exp(89)` is already
# infinite, and the textbook formulas turn that into `inf / inf = NaN`.

# %%

import numpy as np

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch.nn.functional import _SQRT_2_OVER_PI, Tensor, _axis, _dim_check, _float_array, _sum_along, _t
from tinytorch_course.checks import Lesson, implement, use_my_work

lesson = Lesson("02_activations")
use_my_work(before=lesson)  # your Tensor from lesson 01 (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. Writing an elementwise op
#
# Every op follows lesson 01's pattern: compute the result on the NumPy array `self.data`, then wrap
# it with the given helper `Tensor._op(data, parents, backward, opname)`. Here there is one parent,
# `(self,)`. The `backward` function turns the output's gradient into the input's; that is lesson 05's
# job, so **in this lesson you may pass `None`** as in lesson 01 (lesson 05 comes back to every op here).
#
# Do not change `self.data` in place (`self.data[self.data < 0] = 0` would zero the *input* too, and
# the input is usually still needed): build a new array.
#
# ## 2. ReLU and tanh
#
# ReLU keeps positive numbers and zeroes the rest. It is the cheapest activation there is (one
# comparison per element), its gradient does not shrink for large inputs, and it is the default in
# MLPs and CNNs. `tanh` squashes any number into (-1, 1), centred at 0. NumPy has both
# (`np.maximum`, `np.tanh`), already stable.

# %%
# solution: Tensor.relu, Tensor.tanh

# %%
lesson.check("Tensor.relu")

# %%
lesson.check("Tensor.tanh")

# %% [markdown]
# ## 3. A sigmoid that never overflows
#
# `sigmoid(x) = 1 / (1 + e^(-x))` squashes any number into (0, 1): a probability. Written like that,
# `x = -1000` computes `e^1000`, which overflows to `inf` (NumPy warns; float32 already overflows at
# `e^89`). The other textbook form, `e^x / (1 + e^x)`, gives `inf / inf = NaN` for `x = +1000`.
#
# The fix uses each form where it is safe. With `e = exp(-|x|)`, which is always in (0, 1]:
#
# ```
# x >= 0:   sigmoid(x) = 1 / (1 + e)          (e = e^(-x))
# x <  0:   sigmoid(x) = e / (1 + e)          (e = e^(x); multiply 1/(1+e^(-x)) by e^x / e^x)
# ```
#
# `np.where(condition, a, b)` picks per element. Both branches are computed for every element (cheap,
# and neither can overflow). Keep the input's dtype: a float64 tensor (lesson 05's gradient checks
# use float64) must give float64.

# %%
# solution: Tensor.sigmoid

# %%
lesson.check("Tensor.sigmoid")

# %% [markdown]
# ## 4. GELU
#
# ReLU has a kink at 0 and is exactly 0 for every negative input. GELU, `x * P(Z <= x)` for a standard
# normal Z, is a smooth version: close to `x` for large x, close to 0 for very negative x, slightly
# negative around -0.75. Transformers (BERT, GPT-2) use it. GPT-2 computes it with the **tanh
# approximation**, which you write here as `gelu_tanh` (PyTorch's `GELU(approximate='tanh')`; the
# course's transformer uses it). Plain `F.gelu(x)` / `nn.GELU()` are exact, `x * P(Z <= x)` through
# the error function, as in PyTorch; `F.gelu(x, approximate='tanh')` calls your `gelu_tanh`.
#
# ```
# gelu_tanh(x) = 0.5 * x * (1 + tanh( sqrt(2/pi) * (x + 0.044715 * x^3) ))
# ```
#
# The constant `sqrt(2/pi)` is given as `_SQRT_2_OVER_PI`. `gelu_tanh` is a function of
# `tinytorch.nn.functional`, so `x` may arrive as a list or an array: the given helper `_t(x)` turns
# it into a Tensor (and leaves a Tensor as it is). Work on its `.data`.

# %%
# solution: gelu_tanh

# %%
lesson.check("gelu_tanh")

# %% [markdown]
# ## 5. Softmax: scores into probabilities
#
# A classifier's last layer gives one score (a *logit*) per class, any real number. Softmax turns a
# row of logits into probabilities, positive and summing to 1, keeping their order:
#
# ```
# softmax(x)_i = e^(x_i) / sum_j e^(x_j)        along `axis` (default: the last, i.e. per row)
# ```
#
# For a batch of shape `(N, C)`, `axis=-1` normalises each of the N rows over its C classes.
# `keepdims=True` keeps the reduced axis with size 1, so `(N, C) / (N, 1)` broadcasts back.
#
# **Stability.** Logits of 1000 give `e^1000 = inf` and `inf / inf = NaN`. But adding the same
# constant `c` to every logit changes nothing, because `e^(x_i - c) / sum_j e^(x_j - c)`: the `e^(-c)`
# cancels. With `c` the row's maximum, the largest exponent is `e^0 = 1` and none can overflow.
#
# **Log-softmax.** Losses need `log(softmax(x))`. Taking the log *after* the softmax fails: a
# probability like `e^(-200)` is 0 in float32, and `log(0) = -inf`. Instead, with `z = x - max(x)`:
#
# ```
# log_softmax(x)_i = z_i - log( sum_j e^(z_j) )         (the "log-sum-exp trick")
# ```
#
# Every term is finite: the sum is at least 1 (it contains `e^0`). Both functions accept PyTorch's
# keyword `dim=` as another name for `axis=`.
#
# A worked example, `x = [2.0, 1.0, 0.1]`: `z = [0, -1, -1.9]`, `e^z = [1, 0.368, 0.150]` summing to
# 1.518, so softmax is `[0.659, 0.242, 0.099]` and log-softmax `z - log(1.518) = [-0.417, -1.417, -2.317]`.

# %%
# solution: softmax, log_softmax

# %%
lesson.check("softmax")

# %%
lesson.check("log_softmax")

# %% [markdown]
# ## 6. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your activations in later lessons
#
# Each piece whose checks pass now runs inside tinytorch in this notebook: `x.relu()`, `F.softmax`,
# `nn.GELU()` all use your code. Later lessons and the milestones start from tinytorch's reference;
# `use_my_work()` (from `tinytorch_course.checks`) switches your saved pieces on there (`use_reference()` switches
# back). Lesson 05 revisits these operations to add their backward; until you pass it, later lessons
# keep tinytorch's version of each of them.
#
# A quick look at what you built:

# %%
x = tt.Tensor([[2.0, 1.0, 0.1], [1000.0, 0.0, -1000.0]])
print("softmax:    ", F.softmax(x).tolist())
print("log_softmax:", F.log_softmax(x).tolist())
print("sigmoid of [-1000, 0, 1000]:", tt.Tensor([-1000.0, 0.0, 1000.0]).sigmoid().tolist())

# %% [markdown]
# ## 7. Systems: what an activation costs
#
# **Where float32 gives up.** The largest float32 is about 3.4e38, so `exp(x)` overflows just above
# `x = 88.7` (float64 lasts until 709.8). Logits that large are rare, but a diverging training run
# produces them, and one NaN spreads through every later number:

# %%
for x in (80.0, 88.0, 89.0, 710.0):
    with np.errstate(over="ignore"):
        print(f"exp({x:5.0f}): float32 {np.exp(np.float32(x)):.3e}   float64 {np.exp(np.float64(x)):.3e}")

logits = np.array([100.0, 0.0], np.float32)
with np.errstate(over="ignore", invalid="ignore"):
    naive = np.exp(logits) / np.exp(logits).sum()
print("naive softmax of [100, 0] in float32:", naive, "  yours:", F.softmax(tt.Tensor(logits)).tolist())

# %% [markdown]
# **Time.** Each activation reads one array and writes another of the same size (4 bytes per float32
# element each way), but they do very different amounts of arithmetic per element: ReLU a comparison,
# sigmoid an `exp` and a division, GELU a cube, a `tanh` and several multiplications. Timing them on
# the same 2^18 elements (the best of a few runs) shows what that costs on this machine:

# %%
from tinytorch_course.timing import best_time  # the fastest of a few runs

x = tt.randn(512, 512, seed=0)
activations = {
    "relu": x.relu,
    "tanh": x.tanh,
    "sigmoid": x.sigmoid,
    "gelu": lambda: F.gelu_tanh(x),
    "softmax": lambda: F.softmax(x),
}
base = best_time(activations["relu"], repeats=5)
for name, fn in activations.items():
    seconds = best_time(fn, repeats=5)
    print(f"{name:8s} {seconds * 1e3:6.2f} ms  {seconds / x.size * 1e9:5.1f} ns/element  ({seconds / base:4.1f}x relu)")
print(f"each output is a new {x.shape} float32 array: {x.data.nbytes / 1e6:.2f} MB")

# %% [markdown]
# **Each activation and its slope.** Your activations on a grid of inputs, and their slopes (the
# change of the output between neighbouring grid points: what lesson 05's backward will compute
# exactly). Where the slope is near 0, a gradient passing through learns almost nothing:

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

grid = np.linspace(-5, 5, 401, dtype=np.float32)
curves = {
    "relu": tt.Tensor(grid).relu().data,
    "tanh": tt.Tensor(grid).tanh().data,
    "sigmoid": tt.Tensor(grid).sigmoid().data,
    "gelu": F.gelu(tt.Tensor(grid)).data,
}
fig, (left, right) = viz.figure(1, 2, size=(9, 3.2))
for name, values in curves.items():
    left.plot(grid, values, label=name)
    right.plot(grid, np.gradient(values, grid), label=name)
left.set_title("activation(x)")
right.set_title("slope d activation / dx")
for ax in (left, right):
    ax.set_xlabel("x")
    ax.axhline(0, color="gray", lw=0.5)
left.legend()
viz.show(fig)

# %% [markdown]
# Read the numbers rather than assume them. Each NumPy call is one pass that reads a whole array
# and writes another, so the number of passes often matters more than the arithmetic: ReLU is two
# (compare, multiply), the stable sigmoid about eight (abs, negate, exp, two additions, two divisions,
# a `where`), GELU about nine. `np.tanh` is one pass, and on a desktop CPU NumPy's vectorized (SIMD) kernel makes it
# nearly as cheap as ReLU, so `(1 + tanh(x / 2)) / 2`, an exact identity for the sigmoid, would be
# faster here; the browser's WebAssembly NumPy has no such kernels, and there the counts of `exp`
# and `tanh` calls dominate. In a whole network the matrix products usually dwarf all of this:
# lesson 14 (Profiling) measures where a model's time goes, and lesson 18 fuses passes like these.
