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
# Training moves every weight `w` a little against `dL/dw`, the derivative of the loss with respect to
# it. The obvious way to get that number is to nudge `w` and run the model again: two forward passes
# **per weight**, 219,000 passes per step for the 109,000-weight MLP of lesson 03. Reverse-mode
# differentiation (*backpropagation*, 1986) gets the derivative for **every** weight in one backward
# sweep that costs about as much as one or two forward passes. It is what makes deep learning
# possible, and it is what you build in this lesson.
#
# **The idea.** Since lesson 01, every op has built its output with
# `Tensor._op(data, parents, backward, opname)`. When some parent requires a gradient, the output
# remembers its `parents` and the `backward` function: the tensors form a graph of how the loss was
# computed. The chain rule, written for arrays, says what `backward` does: given `g`, the gradient of
# the loss with respect to the op's **output** (an array of the output's shape), it returns the
# gradient with respect to **each parent** (an array of that parent's shape):
#
# ```
# y = x * w      backward(g) = (g * w, g * x)        dL/dx = dL/dy * dy/dx, element by element
# ```
#
# The engine (`Tensor.backward`) starts from the loss with `g = 1` and visits the graph from the output
# back to the leaves, calling each `backward` once and adding up what arrives at every tensor.
#
# | piece | what it does |
# |---|---|
# | `unbroadcast` | sums a gradient back down to the shape of an input that was broadcast |
# | `Tensor._topological_order` | the order of the sweep: every tensor after all the tensors that use it |
# | `Tensor.backward` | the engine: seeds, sweeps, accumulates into the leaves' `.grad` |
# | lesson 01's `+ * @ sum mean reshape transpose` | again, now with their `backward` |
# | lesson 02's `relu sigmoid tanh gelu_tanh softmax log_softmax` | again, with their `backward` |
# | lesson 03's `linear`, lesson 04's four losses | again, with their `backward` |
#
# Lessons 01-04 let you pass `backward=None`; here every one of those ops comes back. Their forward
# code is yours already: copy it from your notebooks or from the files below, and add the `backward`.

# %%

import numpy as np

import tinytorch as tt
import tinytorch.backend as backend
import tinytorch.nn.functional as F
import tinytorch.nn.loss_options as loss_options
from tinytorch import nn
from tinytorch.nn.functional import (
    _SQRT_2_OVER_PI,
    Tensor,
    _check_same_shape,
    _column_sum,
    _float_array,
    _sum_along,
    _t,
)
from tinytorch.tensor import (
    _DEFAULT_FLOAT,
    _axis,
    _check_versions,
    _dim_check,
    _operand,
    _release_graph,
    _shape_error,
    unbroadcast,
)
from tinytorch_course.checks import Lesson, implement, use_my_work, work_dir

lesson = Lesson("05_autograd")
use_my_work(before=lesson)  # your code from lessons 01-04 (remove this line to use the reference)
saved = sorted(p.name for p in work_dir().glob("0[1-4]_*.py"))
print("your forward code from earlier lessons:", work_dir(), saved or "(nothing saved yet)")
lesson

# %% [markdown]
# ## 1. A graph by hand
#
# Before writing any op, here is the protocol on its own: `z = x * x + x` built directly with
# `Tensor._op`, each step with its `backward`, then differentiated by tinytorch's engine. By hand:
# `dz/dx = 2x + 1`, which is 7 at `x = 3`.

# %%
x = tt.Tensor([3.0], requires_grad=True)
y = Tensor._op(x.data * x.data, (x,), lambda g: (g * 2 * x.data,), "square")  # dy/dx = 2x
z = Tensor._op(y.data + x.data, (y, x), lambda g: (g, g), "add")  # dz/dy = dz/dx = 1
print("z =", z.data, " made by", repr(z._opname), "from", [p._opname or "a leaf" for p in z._parents])
z.backward()
print("x.grad =", x.grad, " (2x + 1 = 7: 6 via y, 1 directly, added up)")

# %% [markdown]
# `x` reaches `z` along two paths, and its gradient is the **sum** over them. That is the whole
# algorithm; the rest is doing it for every op, in the right order, for arrays of any shape.
#
# ## 2. The first backward closures: `+` and `*`
#
# For `out = a + b`, each element of `out` moves one-for-one with the matching element of `a` and of
# `b`: both parents get `g` unchanged. For `out = a * b`, the derivative with respect to `a` is `b`
# (and vice versa), so the parents get `g * b` and `g * a`. The closure needs `a` and `b` at backward
# time: keep the input **arrays** in local variables in the forward; the closure captures them. (That
# is also why training needs memory: every op keeps its inputs alive until the backward pass.)
#
# With a plain number (`x + 2.5`, `x * c`) there is one parent, `(self,)`, so the closure returns a
# 1-tuple: `(g,)` and `(g * c,)`.
#
# **Broadcasting is not your problem here.** For `(2, 3) + (3,)` the closure may return `g` (shape
# `(2, 3)`) for the `(3,)` parent: the engine sees the shapes differ and reduces it (section 3).
#
# **How the checks work.** Each op is checked on its forward cases from its lesson again (a rewrite
# must not break them), then its gradients are checked against **finite differences**: every input
# element is nudged by `±1e-6` in float64 and the output re-computed; the slope must match your
# backward. A failure names the first element that is off, e.g. `d/dy[1, 0]: your backward gives 2,
# finite differences give 3`. Until you pass section 4, tinytorch's engine runs your closures.

# %%
# solution: Tensor.__add__, Tensor.__mul__

# %%
lesson.check("Tensor.__add__")

# %%
lesson.check("Tensor.__mul__")

# %% [markdown]
# ## 3. Gradients of broadcast inputs: `unbroadcast`
#
# Broadcasting copies an input: in `x (2, 3) + b (3,)`, the row `b` is used once in each of the two
# rows. Every copy contributed to the loss, so `b`'s gradient is the **sum** of the gradient over the
# copies: the `(2, 3)` gradient summed over axis 0. In general, for a gradient `grad` of the broadcast
# shape and an input of shape `shape`:
#
# 1. axes that broadcasting **added** on the left (`grad.ndim - len(shape)` of them) are summed away;
# 2. axes where `shape` has size 1 but `grad` does not were **stretched**: sum them with
#    `keepdims=True`, so the size-1 axis stays.
#
# ```
# (4, 2, 3) -> (2, 1):   sum axis 0 -> (2, 3);  then axis 1 (size 1 in shape) with keepdims -> (2, 1)
# ```
#
# A gradient of the right shape is returned unchanged (the common case: make it fast).

# %%
# solution: unbroadcast

# %%
lesson.check("unbroadcast")

# %% [markdown]
# ## 4. The engine
#
# ### The order: `_topological_order`
#
# A tensor's gradient is the sum of the parts sent by **every** tensor that uses it. Only once all
# of them have sent their part may it call its own `backward` and pass the sum on. So the sweep needs
# an order in which every tensor comes after all of its users: a **topological order** of the graph,
# reversed. The standard way:
#
# - walk depth-first from `self` through `_parents`, and append a tensor to a list only **after** all
#   of its parents have been appended (post-order); a set of visited `id`s keeps each tensor once;
# - reverse the list: `self` first, the leaves last.
#
# Parents that do not require a gradient (inputs, constants) are left out: nothing is wanted there.
# Two details the checks test: walking breadth-first, or appending a tensor when you *first* meet it,
# breaks the rule for a tensor that is used at two depths; and the graph of a long computation can be
# thousands of tensors deep, while Python allows ~1000 nested calls. Use your own stack (a list of
# `(tensor, expanded)` pairs: push a tensor unexpanded; when popped unexpanded, push it back expanded,
# then its parents; when popped expanded, append it).

# %%
# solution: Tensor._topological_order

# %%
lesson.check("Tensor._topological_order")

# %% [markdown]
# ### The sweep: `Tensor.backward(grad=None)`
#
# `loss.backward()` fills `.grad` of every leaf that requires a gradient (the parameters) with
# `d loss / d leaf`:
#
# 1. **Check and seed.** If `self` does not require a gradient, raise `RuntimeError` (nothing upstream
#    has `requires_grad=True`, or it was computed under `no_grad()`: a bug worth a clear message). With
#    `grad=None`, `self` must hold one number, and the seed is `1` (`np.ones_like(self.data)`); for any
#    other shape raise `RuntimeError` naming the shape and the fix (`.sum()`, `.mean()`, or pass `grad=`).
#    With `grad` given (a Tensor or an array of `self`'s shape), it is the seed: then the result is the
#    gradient of `sum(grad * self)`.
# 2. **Sweep.** Keep a dict `id(tensor) -> gradient so far`, starting with `{id(self): seed}`. For each
#    tensor of `self._topological_order()`: take its gradient (none arrived? skip it). A **leaf**
#    (`t._backward is None`) stores it with the given `t._accumulate(g)`, which creates `t.grad` (a
#    Tensor in `t`'s dtype) or **adds** to it. Any other tensor calls `t._backward(g)` and gets one
#    gradient per parent (`zip(t._parents, ...)`): skip `None`s and parents that do not require a
#    gradient, `unbroadcast` when the shape differs from the parent's, and add it into the dict.
# 3. **Intermediate tensors** do not keep `.grad` (it would double the memory of training), except
#    those on which the user called `t.retain_grad()`, which sets `t._retain = True`: accumulate into
#    those too, and then carry on with their `_backward`.
#
# Gradients add up across calls: `loss1.backward(); loss2.backward()` leaves the sum in `.grad`, as in
# PyTorch. That is a feature (gradient accumulation over several small batches) and the reason every
# training step starts with `model.zero_grad()`.
#
# Once your `backward` passes, it is the engine that runs every gradient check below.

# %%
# solution: Tensor.backward

# %%
lesson.check("Tensor.backward")

# %% [markdown]
# ## 5. Reductions and shapes
#
# - **`sum`**: every input element contributed once to its output element, so its gradient is that
#   output's `g`. Without `keepdims`, first put the reduced axes back (`np.expand_dims(g, axis)`,
#   which accepts a tuple), then `np.broadcast_to(g, x_shape)`. `axis=None` gives a 0-d `g`, which
#   broadcasts as it is.
# - **`mean`**: the same, divided by the number of elements averaged into each output
#   (`x.size / out.size`).
# - **`reshape`**: no number moves; the gradient is `g` reshaped back to the input's shape.
# - **`transpose(dim0, dim1)`**: swapping the same two axes again undoes it.
#
# If your `mean` calls your `sum` (or `reshape` calls something else of yours), that op's gradient
# comes from the other op's backward: write those first. Until a piece passes here, its lesson-01
# version (without a backward) is the one that runs.

# %%
# solution: Tensor.sum, Tensor.mean, Tensor.reshape, Tensor.transpose

# %%
lesson.check("Tensor.sum")

# %%
lesson.check("Tensor.mean")

# %%
lesson.check("Tensor.reshape")

# %%
lesson.check("Tensor.transpose")

# %% [markdown]
# ## 6. Matrix multiplication
#
# For `C = A @ B` with `A (m, k)`, `B (k, n)` and `g = dL/dC (m, n)`:
#
# ```
# dL/dA = g @ B.T     (m, n) @ (n, k) -> (m, k)
# dL/dB = A.T @ g     (k, m) @ (m, n) -> (k, n)
# ```
#
# The shapes are the easiest way to remember it: each gradient must have its input's shape, and there
# is only one way to combine `g` with the other operand to get it. For a batch `(B, m, k) @ (k, n)`,
# transpose the last two axes (`np.swapaxes(x, -1, -2)`, since `.T` would reverse all axes); `B`'s
# gradient comes out as `(B, k, n)` and the engine sums it over the batch. A 1-D operand is a matrix
# with a missing axis: add it (`a[None, :]` or `b[:, None]`), apply the rule, drop it again; for two
# vectors (a dot product, `g` a scalar) the parents get `g * b` and `g * a`.

# %%
# solution: Tensor.__matmul__

# %%
lesson.check("Tensor.__matmul__")

# %% [markdown]
# ## 7. Activations
#
# Elementwise ops have elementwise derivatives, so their backward is `g` times the derivative,
# evaluated at the saved input or, cheaper, written with the saved output:
#
# | op | output | derivative |
# |---|---|---|
# | relu | `max(x, 0)` | 1 where `x > 0`, else 0 (keep the mask) |
# | sigmoid | `s` | `s * (1 - s)` |
# | tanh | `t` | `1 - t^2` |
# | gelu_tanh | `0.5 x (1 + th)`, `th = tanh(inner)` | `0.5 (1 + th) + 0.5 x (1 - th^2) * inner'`, with `inner' = sqrt(2/pi) (1 + 3 * 0.044715 x^2)` |
#
# ReLU's derivative at exactly 0 is undefined; tinytorch (like PyTorch) uses 0 there. The checks keep
# their inputs away from 0, where finite differences would straddle the kink.

# %%
# solution: Tensor.relu, Tensor.sigmoid, Tensor.tanh, gelu_tanh

# %%
lesson.check("Tensor.relu")

# %%
lesson.check("Tensor.sigmoid")

# %%
lesson.check("Tensor.tanh")

# %%
lesson.check("gelu_tanh")

# %% [markdown]
# ## 8. Softmax and log-softmax
#
# Softmax is not elementwise: every output depends on every input of its row,
# `ds_i/dx_j = s_i (delta_ij - s_j)`. Multiplying that Jacobian by `g` never needs the `C x C` matrix:
#
# ```
# softmax:      dx = s * (g - sum(g * s))          sum along the softmax axis, keepdims=True
# log_softmax:  dx = g - softmax(x) * sum(g)       softmax(x) = exp(log_softmax output)
# ```
#
# Both are one line, and both cost a few passes over the array instead of `C` times more.

# %%
# solution: softmax, log_softmax

# %%
lesson.check("softmax")

# %%
lesson.check("log_softmax")

# %% [markdown]
# ## 9. The linear layer
#
# `y = x @ W.T + b`, with `x (N, in)`, `W (out, in)`, `b (out,)`, `g (N, out)`:
#
# ```
# dx = g @ W                 (N, out) @ (out, in) -> (N, in)
# dW = g.T @ x               (out, N) @ (N, in)   -> (out, in)
# db = g summed over N       (out,)
# ```
#
# For `x (N, L, in)` (a batch of sequences) flatten the leading axes first: `g.reshape(-1, out)` and
# `x.reshape(-1, in)`. `dW` sums over all N (or N * L) samples: every sample pushes on the same
# weights. Return one gradient per parent: `(dx, dW, db)`, or `(dx, dW)` without a bias.

# %%
# solution: linear

# %%
lesson.check("linear")

# %% [markdown]
# ## 10. Losses
#
# - **`mse_loss`**: if yours is built from Tensor operations (`-`, `*`, `mean`), it has no backward of
#   its own: its gradient, `2 (p - t) / n`, comes out of theirs. Rewrite it only if it is not.
# - **`cross_entropy`**: the fused op pays off here. The gradient of `-log softmax(z)[y]` with respect
#   to the logits is `softmax(z) - onehot(y)`: push up the right class, push down the others in
#   proportion to their probability. Averaged over N rows and times the incoming `g`:
#   `(softmax - onehot) * g / N`. (The softmax is `exp(logp)` from the forward.)
# - **`binary_cross_entropy`**: `d/dp = (p - t) / (p (1 - p))`, over the number of elements; guard the
#   division for `p` at exactly 0 or 1 (`np.maximum(p * (1 - p), 1e-12)`).
# - **`binary_cross_entropy_with_logits`**: the same simplification as cross-entropy,
#   `(sigmoid(x) - t) / n`, with the stable sigmoid.

# %%
# solution: mse_loss, cross_entropy, binary_cross_entropy, binary_cross_entropy_with_logits

# %%
lesson.check("mse_loss")

# %%
lesson.check("cross_entropy")

# %%
lesson.check("binary_cross_entropy")

# %%
lesson.check("binary_cross_entropy_with_logits")

# %% [markdown]
# ## 11. All checks

# %%
lesson.check()

# %% [markdown]
# ## 12. Your autograd trains a network
#
# XOR is the problem a single layer cannot solve (milestone 1969). Two layers and your backward
# pass solve it: every step computes the loss, clears the old gradients, runs your `backward`, and
# moves each weight a little against its gradient (lesson 06 turns that last line into an optimizer).

# %%
tt.manual_seed(0)
inputs = tt.Tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
labels = tt.Tensor([[0.0], [1.0], [1.0], [0.0]])
model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
xor_losses = []
for step in range(301):
    loss = F.binary_cross_entropy_with_logits(model(inputs), labels)
    xor_losses.append(loss.item())
    model.zero_grad()
    loss.backward()
    stuck = [name for name, p in model.named_parameters() if p.grad is None]
    if stuck:
        print(f"no gradient reached {stuck}: an op on their path has no backward yet (see the checks above)")
        break
    for p in model.parameters():
        p.data -= 0.5 * p.grad.data
    if step % 75 == 0:
        print(f"step {step:3d}: loss {loss.item():.4f}")
print("predictions for (0,0), (0,1), (1,0), (1,1):", model(inputs).sigmoid().data.ravel().round(3))

# %% [markdown]
# ### Your autograd in later lessons
#
# Every piece that passes here runs inside tinytorch in this notebook. Later lessons and the
# milestones start from tinytorch's reference; `use_my_work()` (from `tinytorch_course.checks`) switches on your saved
# pieces (`use_reference()` switches back). For the operations this lesson revisits, the
# version saved here (with its backward) is the one used from now on; an op you have not passed here
# keeps tinytorch's version, so a missing backward can never silently stop the gradients of a later
# lesson.

# %% [markdown]
# ## 13. Systems: what backpropagation costs
#
# **Memory: the graph keeps the forward pass alive.** Every closure holds the arrays it needs, so
# until `backward()` has run, every intermediate result of the forward pass stays in memory. For the
# MNIST MLP of lesson 03 on a batch of 64, the tensors in the graph, against the parameters:

# %%
tt.manual_seed(0)
mlp = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
params = sum(p.data.nbytes for p in mlp.parameters())
print(f"parameters: {params / 1024:.0f} KB, whatever the batch")
for n in (64, 512):
    batch_images, batch_digits = tt.randn(n, 784, seed=1), np.random.default_rng(0).integers(0, 10, n)
    graph = F.cross_entropy(mlp(batch_images), batch_digits)._topological_order()
    outputs = [t for t in graph if t._parents]
    print(
        f"batch {n:3d}: {len(graph)} tensors in the graph, {len(outputs)} op outputs holding "
        f"{sum(t.data.nbytes for t in outputs) / 1024:5.0f} KB "
        f"(the input batch: {batch_images.data.nbytes / 1024:.0f} KB)"
    )
with tt.no_grad():
    evaluation = F.cross_entropy(mlp(batch_images), batch_digits)
print(
    "under no_grad(): requires_grad =",
    evaluation.requires_grad,
    "and",
    len(evaluation._parents),
    "parents: no graph, so each intermediate is freed as soon as the next op has used it",
)

# %% [markdown]
# The op outputs grow with the batch size while the parameters do not: large batches, long sequences
# and deep models run out of memory through their activations, which is why evaluation
# runs under `no_grad()`, and why very large models recompute some activations during the backward
# pass instead of storing them ("activation checkpointing").
#
# **Time: backward is about the cost of a forward or two.** Each op's backward does about the work of
# its forward (a matrix product's backward does two products: one for each input). On a batch of 64:

# %%
from tinytorch_course.timing import best_time  # the fastest of a few runs

images, digits = tt.randn(64, 784, seed=1), np.random.default_rng(0).integers(0, 10, 64)


def forward():
    return F.cross_entropy(mlp(images), digits)


def forward_backward():
    mlp.zero_grad()
    forward().backward()


t_forward = best_time(forward, repeats=5)
t_both = best_time(forward_backward, repeats=5)
print(
    f"forward {t_forward * 1e3:.2f} ms, forward + backward {t_both * 1e3:.2f} ms: "
    f"backward = {(t_both - t_forward) / t_forward:.1f}x the forward"
)

# %% [markdown]
# **Against finite differences.** The alternative to a backward pass is nudging each weight, two
# forward passes per weight. On a small model, timing both and counting:

# %%
tt.manual_seed(0)
small = nn.Sequential(nn.Linear(8, 16), nn.Tanh(), nn.Linear(16, 4))
batch, classes = tt.randn(32, 8, seed=3), np.random.default_rng(1).integers(0, 4, 32)
weights = small.parameters()
n_weights = sum(p.data.size for p in weights)


def small_loss(*_):
    return F.cross_entropy(small(batch), classes)


t_numeric = best_time(lambda: tt.autograd.numerical_grad(small_loss, weights), repeats=1)


def small_backward():
    small.zero_grad()
    small_loss().backward()


t_backprop = best_time(small_backward, repeats=5)
print(
    f"{n_weights} weights: finite differences {t_numeric * 1e3:.0f} ms ({2 * n_weights} forward passes), "
    f"backpropagation {t_backprop * 1e3:.2f} ms: {t_numeric / t_backprop:.0f}x faster"
)
print(
    "for the 109,386 weights of the MNIST MLP: 218,772 forward passes per step by finite differences, "
    "one backward pass with autograd"
)

# %% [markdown]
# **Two pictures of your backward.** Left: the XOR loss your gradients drove down in section 12.
# Right: each of the small model's gradients from your backward against the finite-difference
# estimate of the same number; on the diagonal, they agree.

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

small.zero_grad()
small_loss().backward()
estimates = tt.autograd.numerical_grad(small_loss, weights, eps=1e-3)
fig, (left, right) = viz.figure(1, 2, size=(9, 3.4))
left.plot(xor_losses)
left.set_xlabel("step")
left.set_ylabel("loss")
left.set_title("XOR, trained by your autograd")
backprop = np.concatenate([p.grad.data.ravel() for p in weights])
numeric = np.concatenate([g.ravel() for g in estimates])
right.scatter(numeric, backprop, s=8)
low, high = numeric.min(), numeric.max()
right.plot([low, high], [low, high], color="gray", lw=0.8)
right.set_xlabel("finite differences")
right.set_ylabel("your backward")
right.set_title(f"{n_weights} gradients, largest gap {np.abs(backprop - numeric).max():.1e}")
viz.show(fig)

# %% [markdown]
# The gap grows with the number of weights: finite differences cost a forward pass per weight,
# backpropagation a fixed one or two. Finite differences are still worth their price where they
# belong: in float64, on a dozen numbers, as the judge of every backward you wrote today.
