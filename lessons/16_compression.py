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
# A trained network has far more weights than it needs: many are so small that setting them to zero
# changes almost no prediction. **Pruning** removes them; **knowledge distillation** goes further and
# trains a genuinely small network to imitate a big one. Both trade a little accuracy for a smaller,
# sometimes faster model, and this lesson measures exactly how much of each.
#
# | piece | what it does |
# |---|---|
# | `_smallest` | marks exactly the k smallest scores (ties by position) |
# | `apply_masks` | multiplies named parameters by keep-masks |
# | `magnitude_prune` | zeros the smallest-magnitude weights, over the whole model or per layer |
# | `channel_prune` | zeros whole output channels (rows, filters) with the smallest norm |
# | `sparsity`, `sparsity_report` | how many zeros, overall and per layer |
# | `MaskedOptimizer.step` | fine-tunes without letting pruned weights come back |
# | `distillation_loss` | trains a student on a teacher's softened probabilities |
#
# A **mask** is a boolean array with the shape of a parameter, `True` = keep. Masks travel in a dict
# keyed by the parameter's name in `model.named_parameters()` (lesson 03): `{"0.weight": mask, ...}`.

# %%
import time

import numpy as np

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch import nn
from tinytorch.systems import pruning as PR
from tinytorch.systems.pruning import (
    MaskedOptimizer,
    Module,
    Table,
    Tensor,
    _check_amount,
    _smallest,
    _weight_name,
    apply_masks,
    prunable_layers,
)
from tinytorch_course.checks import Lesson, implement, use_my_work

lesson = Lesson("16_compression")
use_my_work(before=lesson)  # your code from earlier lessons (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. Exactly k: selection without threshold surprises
#
# "Prune 50 %" should leave exactly 50 % of the weights. The obvious way, compute a threshold (the
# median of `|w|`) and drop everything at or below it, removes *more* than asked whenever values tie
# (and pruned or quantized weights tie a lot: a model pruned once is full of exact zeros). So select
# **positions** instead: `_smallest(scores, k)` returns a boolean mask of the same shape with exactly
# `k` entries marked, the smallest scores, and among equal scores the earlier positions first.
#
# `np.argsort` orders positions by score; `kind="stable"` keeps equal scores in their original order.

# %%
# solution: _smallest

# %%
lesson.check("_smallest")

# %% [markdown]
# ## 2. Masks
#
# `apply_masks` multiplies each named parameter of the model by its mask, in place (`p.data = p.data *
# mask`), so pruned entries become exactly 0.0. A mask for a parameter the model does not have, or of
# the wrong shape, is a bug in the caller: raise a `KeyError` naming the parameter, or a `ValueError`
# naming both shapes.

# %%
# solution: apply_masks

# %%
lesson.check("apply_masks")

# %% [markdown]
# ## 3. Magnitude pruning
#
# The simplest importance score is the weight's magnitude `|w|`: a weight near zero contributes little
# to any output. `magnitude_prune(model, amount, scope)` removes the `amount` fraction (`0 <= amount < 1`)
# of the weights of every `Linear` and `Conv2d` (given: `prunable_layers(model)` lists them as
# `(name, layer)`; `_weight_name(name)` gives the parameter name `"<name>.weight"`). Biases are kept:
# there are few of them.
#
# - `scope="layer"`: each layer loses `round(amount * its size)` weights.
# - `scope="global"` (default): one ranking over *all* the weights at once. Layers differ: a wide first
#   layer is usually very redundant, the small output layer is not, and a global ranking lets each
#   layer lose what it can afford. Concatenate every layer's `|w|` into one vector, select once, then
#   cut the mask back into the layers' shapes.
#
# Then apply the masks and return them (fine-tuning needs them). The given `_check_amount` raises for
# an amount outside `[0, 1)`; an unknown scope is a `ValueError` naming it.
#
# This is **unstructured** pruning: the zeros are scattered, so the weight matrices keep their shapes.
# A dense matrix product does the same work with zeros as with any other number, so NumPy gets no
# faster. The gain needs sparse storage (section 9 measures it) or sparse hardware.

# %%
# solution: magnitude_prune

# %%
lesson.check("magnitude_prune")

# %% [markdown]
# ## 4. Structured pruning: whole channels
#
# Remove whole **output channels** instead, a row of a `Linear` weight `(out, in)` or a filter of a
# `Conv2d` weight `(out, in, kh, kw)`, and the layer really has fewer outputs; the next layer loses
# the matching inputs, and both matrices *shrink* (the given `remove_pruned_channels` does that
# surgery, see section 9). The score of a channel is its weights' L2 norm, `sqrt(sum of squares)` over
# everything but the output axis.
#
# `channel_prune(model, amount, exclude_last=True)` removes `round(amount * out)` channels of each
# layer (not a global ranking: every layer must keep some channels), and the matching bias entries:
# a channel whose bias is nonzero still outputs a constant. The last layer is skipped by default, since
# its outputs are the classes. A channel's mask has the weight's full shape (broadcast the per-row
# decision with `np.broadcast_to(...).copy()`), the bias mask is the per-row decision itself.

# %%
# solution: channel_prune

# %%
lesson.check("channel_prune")

# %% [markdown]
# ## 5. Measuring sparsity
#
# **Sparsity** is the fraction of entries that are exactly zero. `sparsity(model)` counts over the
# prunable weights (what pruning touches); `weights_only=False` counts every parameter.
#
# `sparsity_report(model)` returns a `Table` (given, from `tinytorch.systems.table`:
# `Table(rows, formats=..., title=...)`, rows are dicts) with one row per prunable weight,
# `{"weight": "0.weight", "shape": (128, 64), "zeros": ..., "total": ..., "sparsity %": ...}`,
# and a last row named `"all"` (shape `None`) with the sums.

# %%
# solution: sparsity, sparsity_report

# %%
lesson.check("sparsity")

# %%
lesson.check("sparsity_report")

# %% [markdown]
# ## 6. Fine-tuning without resurrection
#
# Pruning costs some accuracy; a few epochs of training win most of it back. But a plain optimizer would
# happily move the pruned weights away from zero again. `MaskedOptimizer(optimizer, model, masks)`
# wraps any optimizer (constructor given; `self.pairs` holds `(parameter, float mask)` pairs and
# `self.optimizer` the wrapped one). Its `step()`:
#
# 1. multiplies each masked parameter's gradient by its mask, so momentum and Adam's moments never
#    build up for pruned weights (a parameter's `.grad` may be `None`);
# 2. runs the wrapped optimizer's `step()`;
# 3. multiplies each parameter by its mask again, so nothing (weight decay, a mask handed over before it
#    was applied) can leave a pruned weight nonzero.
#
# Everything else (`zero_grad`, `param_groups`, ...) is forwarded to the wrapped optimizer, so it drops
# into lesson 07's `Trainer` unchanged.

# %%
# solution: MaskedOptimizer.step

# %%
lesson.check("MaskedOptimizer.step")

# %% [markdown]
# ## 7. Knowledge distillation
#
# A teacher's output says more than its top class: for a handwritten 4, "80 % four, 15 % nine, 5 % one"
# tells a student *which* mistakes are reasonable. Distillation (Hinton et al., 2015) trains a small
# student on those probabilities, **softened** by a temperature `T`: `softmax(logits / T)` with `T > 1`
# spreads the probability mass so the small ones become visible.
#
# ```
# p = softmax(teacher / T)        q = softmax(student / T)          (rows: examples, columns: classes)
# soft = T^2 * mean over rows of KL(p || q),   KL(p || q) = sum_c p_c (log p_c - log q_c)
# loss = alpha * soft + (1 - alpha) * cross_entropy(student, labels)
# ```
#
# **Why T squared.** The gradient of `KL(p || q)` with respect to the student's logits is
# `(q - p) / (T * N)`, and `q - p` itself shrinks roughly like `1 / T` as the temperature flattens both
# distributions: without correction the soft term's gradient falls like `1 / T^2`, and at `T = 4` the
# labels would drown it out. Multiplying by `T^2` gives the gradient `T * (q - p) / N`, of the same
# order at any temperature. The checks verify this gradient exactly.
#
# Build the loss from differentiable ops on `student_logits` (`F.log_softmax`, `F.cross_entropy`,
# `Tensor` arithmetic and `.sum`/`.mean`), so autograd gives the gradient. The teacher is a constant:
# compute its log-probabilities in NumPy (stably: subtract the row maximum), and accept it as an
# array or a `Tensor`. Raise `ValueError` for `temperature <= 0`, an `alpha` outside `[0, 1]`, and
# teacher and student logits of different shapes (naming both). `p log p` does not depend on the
# student; it makes the loss a true KL divergence (0 when the student matches the teacher).

# %%
# solution: distillation_loss

# %%
lesson.check("distillation_loss")

# %% [markdown]
# ## 8. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your compression tools in later lessons
#
# Each piece whose checks pass now runs inside tinytorch in this notebook: `PR.magnitude_prune`,
# `PR.fine_tune` (which wraps its optimizer in your `MaskedOptimizer`) and `PR.distill` (which calls your
# `distillation_loss`) below all use your code. Later lessons and the milestones start from tinytorch's
# reference; `use_my_work()` (from `tinytorch_course.checks`) switches your saved pieces on there (`use_reference()`
# switches back). The capstone (lesson 20) combines pruning with quantization.

# %% [markdown]
# ## 9. Systems: how much can go, and what it buys
#
# A teacher to compress: an MLP on the 8x8 digits with 17,226 parameters, trained for a few epochs.

# %%
from tinytorch.systems.benchmarking import accuracy
from tinytorch.systems.profiling import count_parameters, parameter_bytes

tt.manual_seed(0)
digits = tt.datasets.digits()
X, y, X_test, y_test = digits.X_train, digits.y_train, digits.X_test, digits.y_test


def make_teacher():
    tt.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
    PR.fine_tune(model, None, X, y, epochs=8, lr=3e-3, batch_size=64)  # no masks: plain Adam training
    return model


teacher = make_teacher()
base_acc = accuracy(teacher, X_test, y_test)
print(
    f"teacher: {count_parameters(teacher):,} parameters, {parameter_bytes(teacher):,} bytes, "
    f"test accuracy {base_acc:.2%}"
)

# %% [markdown]
# **Unstructured pruning, then fine-tuning.** For each amount: prune a copy globally, measure the
# accuracy, fine-tune 2 epochs with the masks, measure again. "Sparse bytes" is what storing only the
# nonzero weights costs in the common CSR-like layout: 4 bytes of value plus a 2-byte column index each.

# %%
import copy

print("pruned   sparsity   accuracy: pruned   fine-tuned   dense bytes   sparse bytes")
curve = []
for amount in (0.5, 0.8, 0.9, 0.95):
    model = copy.deepcopy(teacher)
    masks = PR.magnitude_prune(model, amount)
    pruned_acc = accuracy(model, X_test, y_test)
    PR.fine_tune(model, masks, X, y, epochs=2, lr=1e-3, batch_size=64)
    weights = [layer.weight.data for _, layer in PR.prunable_layers(model)]
    nonzero = sum(int((w != 0).sum()) for w in weights)
    print(
        f"{amount:6.0%}   {PR.sparsity(model):8.1%}   {pruned_acc:16.2%}   {accuracy(model, X_test, y_test):10.2%}"
        f"   {sum(w.nbytes for w in weights):11,}   {nonzero * 6:12,}"
    )
    curve.append((amount, pruned_acc, accuracy(model, X_test, y_test)))
print()
print(PR.sparsity_report(model))

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

amounts, pruned, tuned = zip(*curve, strict=True)
fig, ax = viz.figure(size=(5.5, 3.4))
ax.plot([0, *amounts], [100 * base_acc, *[100 * a for a in pruned]], marker="o", label="pruned")
ax.plot([0, *amounts], [100 * base_acc, *[100 * a for a in tuned]], marker="s", label="pruned, then fine-tuned")
ax.set_xlabel("fraction of weights set to zero")
ax.set_ylabel("test accuracy (%)")
ax.set_title("Magnitude pruning of the digits MLP")
ax.legend()
viz.show(fig)

# %% [markdown]
# The global ranking did not prune the layers equally: the report shows the wide first layer losing
# the most. Up to about 90 % the fine-tuned model stays close to the teacher. The dense matrices
# still take the same bytes and the same time, though: the zeros are stored and multiplied like any number.
#
# **Structured pruning makes the model really smaller.** Prune half the channels of the two hidden
# layers, fine-tune, then `remove_pruned_channels` deletes the dead rows and the matching input columns
# of the next layer. The smaller copy computes the same outputs with smaller matrices:


# %%
def median_ms(fn, repeats=15):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


model = copy.deepcopy(teacher)
masks = PR.channel_prune(model, 0.5)
PR.fine_tune(model, masks, X, y, epochs=3, lr=1e-3, batch_size=64)
small = PR.remove_pruned_channels(model, X_test[:8])
batch = tt.Tensor(X_test)
with tt.no_grad():
    for name, m in (("teacher", teacher), ("channel-pruned", model), ("channels removed", small)):
        shapes = [tuple(layer.weight.shape) for _, layer in PR.prunable_layers(m)]
        print(
            f"{name:17s} {count_parameters(m):6,} parameters   {accuracy(m, X_test, y_test):6.2%}   "
            f"{median_ms(lambda: m(batch)):6.3f} ms for 360 digits   {shapes}"
        )

# %% [markdown]
# **Distillation.** First, what the teacher has to say beyond the label: its probabilities for a few
# test digits, at `T = 1` and softened at `T = 4`. The second-ranked classes are the "reasonable
# mistakes" (a 5 that might be a 9 or a 3) that a one-hot label cannot express:

# %%
with tt.no_grad():
    logits = teacher(tt.Tensor(X_test[:4])).data
for row, label in zip(logits, y_test[:4], strict=True):
    for T in (1.0, 4.0):
        p = np.exp((row - row.max()) / T)
        p /= p.sum()
        top = np.argsort(p)[::-1][:3]
        print(f"digit {label}, T={T:g}: " + ", ".join(f"{c}: {p[c]:.3f}" for c in top))

# %% [markdown]
# Now a student with 16 hidden units (1,210 parameters, 14x fewer than the teacher), trained for the
# same number of epochs once on the labels alone and once with the given `PR.distill` (`T = 2`,
# `alpha = 0.5`), which calls your `distillation_loss` every step:


# %%
def make_student():
    tt.manual_seed(1)
    return nn.Sequential(nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 10))


alone = make_student()
PR.fine_tune(alone, None, X, y, epochs=15, lr=3e-3, batch_size=64)
taught = make_student()
PR.distill(taught, teacher, X, y, epochs=15, lr=3e-3, temperature=2.0, alpha=0.5, batch_size=64)
print(f"student ({count_parameters(alone):,} parameters) on labels alone: {accuracy(alone, X_test, y_test):.2%}")
print(f"student distilled from the teacher:           {accuracy(taught, X_test, y_test):.2%}")
print(f"teacher ({count_parameters(teacher):,} parameters):               {base_acc:.2%}")

# %% [markdown]
# Here the two students end up within about a point of each other (which one is ahead changes with the
# seed). That is a real result, not a failure of the code: the teacher was trained on these same
# 1,437 images and is nearly always confident and right on them, so its soft targets add little to
# the labels, and a short training budget favours the plain cross-entropy, which only has to get the
# argmax right rather than match a whole distribution. Distillation pays off with harder tasks, larger
# capacity gaps and a teacher that knows more than the student's labels (trained on more data). What
# to remember: pruning removes weights from a trained network (unstructured: many, but no speed-up
# without sparse kernels; structured: fewer, but real), distillation trains a new small network; both
# are judged against the teacher's accuracy, measured, never assumed.
