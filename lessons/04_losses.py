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
# Training needs one number that says how wrong the model is: the **loss**. Gradient descent (lessons
# 05 and 06) then nudges every weight in the direction that makes that number smaller. Which loss
# fits depends on what the model predicts:
#
# | piece | for | model output -> target |
# |---|---|---|
# | `mse_loss` | regression | any numbers `(N, ...)` -> numbers of the same shape |
# | `cross_entropy` | one of C classes (digits, next token) | logits `(N, C)` -> class indices `(N,)` |
# | `binary_cross_entropy` | yes/no | probabilities in [0, 1] -> 0/1 targets |
# | `binary_cross_entropy_with_logits` | yes/no, from raw scores | logits -> 0/1 targets |
#
# Each returns the **mean** over the batch (PyTorch's default), a 0-d tensor: then the loss, and the
# size of a good learning rate, do not depend on the batch size. `tinytorch.nn` wraps each in a module
# (`nn.MSELoss()`, `nn.CrossEntropyLoss()`, ...), given.
#
# PyTorch's keywords (`reduction='sum'` or `'none'`, `ignore_index=`, `label_smoothing=`, `weight=`)
# arrive in each loss's `**options`. The given module `loss_options` composes those variants from
# Tensor operations; your losses are the plain mean, so each begins with the hand-off: when `options`
# is not empty, return `loss_options.<the same loss>(<the same arguments>, **options)`.
#
# As in lesson 02, the textbook formulas overflow: `log(softmax(x))` is `-inf` as soon as one
# probability rounds to 0, which for float32 logits happens at a gap of about 104. The fix is the same
# log-sum-exp trick you wrote in `log_softmax`.

# %%

import numpy as np

import tinytorch as tt
import tinytorch.nn.functional as F
import tinytorch.nn.loss_options as loss_options
from tinytorch import nn
from tinytorch.nn.functional import Tensor, _check_same_shape, _t
from tinytorch_course.checks import Lesson, implement, use_my_work

lesson = Lesson("04_losses")
use_my_work(before=lesson)  # your code from lessons 01-02 (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. Mean squared error
#
# For a prediction `p` and a target `t` of the same shape:
#
# ```
# mse = mean over every element of (p - t)^2
# ```
#
# Squaring makes every error count positively and a large error count a lot more than a small one.
#
# **The shape trap.** A model with one output gives predictions of shape `(N, 1)`; targets often come
# as `(N,)`. Broadcasting turns `(4, 1) - (4,)` into a `(4, 4)` table of every prediction minus every
# target, and the "loss" is a meaningless number that trains nothing, without any error. PyTorch only
# warns here; tinytorch refuses: the given helper `_check_same_shape(name, pred, target)` raises a
# `ValueError` naming both shapes. Call it first.
#
# Write `mse_loss` with your Tensor operations (`-`, `*`, `mean()`): then its gradient comes for free
# from theirs in lesson 05. Both arguments may arrive as arrays: `_t(x)` makes a Tensor of anything.

# %%
# solution: mse_loss

# %%
lesson.check("mse_loss")

# %% [markdown]
# ## 2. Cross-entropy: the classification loss
#
# A classifier outputs one **logit** per class, `(N, C)` for a batch; the targets are the correct
# class of each sample, integers in `0 .. C-1`, shape `(N,)`. Softmax (lesson 02) turns a row of
# logits into probabilities; the loss is the negative log of the probability given to the right class,
# averaged over the batch:
#
# ```
# loss = -(1/N) * sum_i log softmax(logits[i])[targets[i]]
# ```
#
# A confident right answer (probability ~1) costs ~0; a confident wrong one costs a lot (probability
# 1e-5 costs 11.5). For `logits = [2.0, 1.0, 0.1]` and target 0, lesson 02's worked example gives
# `log_softmax = [-0.417, -1.417, -2.317]`, so the loss is 0.417. With C equal logits every class gets
# `1/C` and the loss is `log(C)`: the loss of a model that knows nothing (2.30 for 10 digits).
#
# **Stability.** Compute the log-probabilities with the log-sum-exp trick, per row:
# `z = x - max(x)`, `log_softmax = z - log(sum(exp(z)))`. Then logits of 1e4 are fine. Picking
# "entry `targets[i]` of row `i`" for all rows at once is NumPy's paired indexing:
# `logp[np.arange(N), targets]` gives the N chosen entries.
#
# **Errors a learner's users will make**, each deserving a message that names the shapes:
#
# - logits that are not `(N, C)`: a language model's `(N, L, C)` must be reshaped to `(N * L, C)` first;
# - targets whose shape is not `(N,)`;
# - float targets (`TypeError`: class indices are integers; usually a forgotten `.astype(np.int64)`);
# - a class index outside `0 .. C-1` (`IndexError`; NumPy would raise a baffling one of its own, or,
#   for -1, silently pick the last class).
#
# `targets` may be an integer Tensor, an array or a list. Return a 0-d Tensor in the logits' dtype,
# made with `Tensor._op(loss, (logits,), backward, "cross_entropy")`; `backward` may be `None` until
# lesson 05. Only the logits are a parent: nothing is learned about the targets.

# %%
# solution: cross_entropy

# %%
lesson.check("cross_entropy")

# %% [markdown]
# ## 3. Binary cross-entropy
#
# For yes/no questions (spam or not, one of several independent labels) the model outputs one
# probability `p` per element, and the target `t` is 0 or 1 (or anything in between, a "soft" label):
#
# ```
# bce = -mean( t * log(p) + (1 - t) * log(1 - p) )
# ```
#
# When `t = 1` only `-log(p)` counts; when `t = 0` only `-log(1 - p)`. A probability of exactly 0 or 1
# makes one of the logs `-inf`, and `0 * -inf` is NaN, even when that term should not count. PyTorch
# clamps each log at -100, so a confidently wrong answer costs 100, not infinity; do the same (and
# silence NumPy's divide-by-zero warning for `log(0)` with `np.errstate(divide="ignore")`). Shapes
# must match exactly, as for MSE. And the inputs must be probabilities: a raw logit such as 1.5 or
# -0.2 would give a negative "loss" that trains nothing, so, as PyTorch does, raise a `RuntimeError`
# for anything outside [0, 1] (the given `loss_options.check_probabilities` does it, on the array).

# %%
# solution: binary_cross_entropy

# %%
lesson.check("binary_cross_entropy")

# %% [markdown]
# ## 4. Binary cross-entropy on logits
#
# Computing `p = sigmoid(x)` and then BCE loses information: in float32, `sigmoid(20)` is already
# exactly 1.0, so `log(1 - p)` is `-inf` (clamped to 100, a wrong loss) however large `x` is.
# Working from the logit `x` directly, with `log(sigmoid(x)) = -log(1 + e^(-x))` and
# `log(1 - sigmoid(x)) = -x - log(1 + e^(-x))`, the loss per element simplifies to
#
# ```
# max(x, 0) - x * t + log(1 + e^(-|x|))
# ```
#
# (check both signs of x: for x < 0 rewrite `log(1 + e^(-x)) = -x + log(1 + e^x)`). The exponent is
# never positive, so nothing overflows, and `np.log1p(u)`, which computes `log(1 + u)` accurately
# even for tiny `u`, keeps the last term precise. This is what `nn.BCEWithLogitsLoss` does, and why
# binary classifiers output logits rather than probabilities.

# %%
# solution: binary_cross_entropy_with_logits

# %%
lesson.check("binary_cross_entropy_with_logits")

# %% [markdown]
# ## 5. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your losses in later lessons
#
# Every piece that passes runs inside tinytorch in this notebook (`nn.CrossEntropyLoss()` calls your
# `cross_entropy`). Later lessons and the milestones start from tinytorch's reference;
# `use_my_work()` (from `tinytorch_course.checks`) switches your saved pieces on there (`use_reference()` switches
# back). Lesson 05 revisits every loss to add its backward (the `mse_loss` you built from Tensor
# operations just needs their backward); until you pass it, later lessons keep tinytorch's version.
#
# The loss of a model that knows nothing, and of one that is sure and right:

# %%
loss_fn = nn.CrossEntropyLoss()
targets = np.array([3, 1, 4, 1, 5])
print(f"uniform logits:       {loss_fn(tt.zeros(5, 10), targets).item():.4f}   (log 10 = {np.log(10):.4f})")
sure = np.full((5, 10), -5.0, np.float32)
sure[np.arange(5), targets] = 5.0
print(f"sure and right:       {loss_fn(tt.Tensor(sure), targets).item():.6f}")
print(f"sure and always wrong: {loss_fn(tt.Tensor(sure), (targets + 1) % 10).item():.4f}")

# %% [markdown]
# ## 6. Systems: the price of stability, and of many classes
#
# **Stability.** The same loss computed three ways in float32 as the logits grow: softmax then log (the
# textbook), your fused `cross_entropy`, and float64 as the judge. Two logits `[0, gap]`; the target is
# class 0 (the model is wrong) or class 1 (right):

# %%
print(f"{'gap':>6s} {'target':>7s} {'softmax then log':>17s} {'yours (float32)':>16s} {'float64':>10s}")
for gap in (1.0, 10.0, 50.0, 100.0, 1000.0):
    logits = np.array([[0.0, gap]], np.float32)
    for target in (0, 1):
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            e = np.exp(logits)
            textbook = -np.log(e[0, target] / e.sum()) + 0.0
        yours = F.cross_entropy(tt.Tensor(logits), [target]).item() + 0.0  # + 0.0 prints -0 as 0
        exact = np.logaddexp(0.0, gap if target == 0 else -gap)  # log(1 + e^(+-gap))
        print(f"{gap:6.0f} {target:7d} {textbook:17.6g} {yours:16.6g} {exact:10.6g}")

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

gaps = np.linspace(1, 120, 120)
fig, axes = viz.figure(1, 2, size=(9, 3.2))
for target, ax in zip((0, 1), axes, strict=True):
    textbook_losses, your_losses = [], []
    for gap in gaps:
        logits = np.array([[0.0, gap]], np.float32)
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            e = np.exp(logits)
            textbook_losses.append(-np.log(e[0, target] / e.sum()))
        your_losses.append(F.cross_entropy(tt.Tensor(logits), [target]).item())
    textbook_losses = np.array(textbook_losses)
    broken = gaps[~np.isfinite(textbook_losses)]
    ax.plot(gaps, your_losses, lw=3, alpha=0.5, label="yours (fused)")
    ax.plot(gaps, textbook_losses, ls="--", label="softmax then log")
    if broken.size:
        ax.axvspan(
            broken[0], gaps[-1], color="red", alpha=0.1, label=f"textbook gives inf/NaN (gap >= {broken[0]:.0f})"
        )
    ax.set_title("target 0 (model wrong)" if target == 0 else "target 1 (model right)")
    ax.set_xlabel("logit gap")
axes[0].set_ylabel("loss")
axes[0].legend(fontsize=8)
viz.show(fig)

# %% [markdown]
# The textbook version is fine for small gaps. From a gap of about 89, `exp` overflows to `inf`: the
# wrong answer's probability becomes `1 / inf = 0` and its loss `inf`, the right answer's `inf / inf`
# and its loss `NaN`. One such loss turns every weight it touches into NaN. The fused version matches
# float64 to float32's precision all the way.
#
# **Cost.** Cross-entropy touches every logit: `exp` and a sum over C classes per sample, and (for
# lesson 05's backward) it keeps the `(N, C)` log-probabilities. That is nothing for 10 digits and a
# lot for a language model's vocabulary (GPT-2 has 50,257 tokens):

# %%
from tinytorch_course.timing import best_time  # the fastest of a few runs

n = 256
for classes in (10, 1_000, 10_000):
    logits = tt.randn(n, classes, seed=0)
    labels = np.random.default_rng(0).integers(0, classes, n)
    seconds = best_time(lambda: F.cross_entropy(logits, labels))
    kept = n * classes * 4
    print(
        f"C = {classes:6,d}: {seconds * 1e3:7.2f} ms for {n} samples, "
        f"{seconds / (n * classes) * 1e9:5.1f} ns per logit; "
        f"(N, C) float32 log-probabilities: {kept / 1e6:6.2f} MB"
    )
print(f"GPT-2 size, 1024 tokens x 50,257 classes: {1024 * 50257 * 4 / 1e6:.0f} MB of log-probabilities per sequence")

# %% [markdown]
# Past the fixed cost of each call (which dominates at C = 10), the time grows linearly with C: a
# fixed cost per logit. For a classifier it is noise next
# to the model; for a language model the final layer and its loss are among the largest costs of
# all, which is why lesson 13's GPT keeps its vocabulary small.
