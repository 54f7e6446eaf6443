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
# You now have every ingredient: tensors, layers, a loss, gradients and an optimizer. Training puts
# them in a loop, and that loop is the same for every model in this course, from the perceptron to
# GPT. So tinytorch writes it once, in `Trainer`, and adds what a real run needs: metrics, a guard
# that stops when the loss turns into NaN, gradient clipping, and checkpoints to resume from.
#
# | piece | what it does |
# |---|---|
# | `clip_grad_norm_` | caps the length of the gradient step when gradients explode |
# | `accuracy` | the fraction of correct predictions in a batch |
# | `Trainer._train_epoch` | one pass over the training batches: forward, loss, backward, step |
# | `Trainer.evaluate` | the mean loss and metrics on other data, without building a graph |
# | `Trainer.fit` | the epoch loop: train, evaluate, record the history, step the schedule |
# | `Trainer.save_checkpoint`, `Trainer.load_checkpoint` | stop and resume training exactly |
#
# The rest of `Trainer` is given: its constructor, `_metric_fns` (metric names to functions), the
# printing of one line per epoch, and the small helpers `_diverged` and `_array` described below.

# %%
import json
import math
import os
import sys
import tempfile
import time

import numpy as np

import tinytorch as tt
from tinytorch.nn.utils import Tensor
from tinytorch.training import (
    CHECKPOINT_FORMAT,
    Trainer,
    _array,
    _diverged,
    _draw_bar,
    _is_terminal,
    _not_scalar,
    clip_grad_norm_,
    default_rng,
    no_grad,
)
from tinytorch_course.checks import Lesson, implement, use_my_work

lesson = Lesson("07_training")
use_my_work(before=lesson)  # your code from earlier lessons (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. One training step
#
# Every step of every training run is the same five lines:
#
# ```python
# out = model(x); cost = loss_fn(out, y)        # forward: a scalar loss for this batch
# optimizer.zero_grad(); cost.backward()        # the gradients of this batch only
# clip_grad_norm_(model.parameters(), 1.0)      # optional: cap the step
# optimizer.step()                              # move the parameters
# ```
#
# **Gradient clipping.** Now and then a batch produces a huge gradient (a deep network, an RNN, an
# unlucky batch early in training), and one huge step can throw the parameters somewhere the loss
# never recovers from. Clipping caps the step's *length* and keeps its *direction*: treat all the
# gradients of all parameters as one long vector, compute its norm
#
# ```
# total = sqrt( sum over every parameter p of sum(p.grad^2) )
# ```
#
# and if it exceeds `max_norm`, multiply every gradient by `max_norm / (total + 1e-6)` (the 1e-6
# avoids a division by zero). Clipping each parameter separately would change the direction.
# With `norm_type=inf` the "norm" is instead the largest absolute gradient element.
#
# Like PyTorch's `torch.nn.utils.clip_grad_norm_` (the trailing `_` says "in place"), it changes the
# gradients in place, skips parameters without a gradient, accepts a single tensor as well as a list,
# and returns the total norm *before* clipping as a 0-d Tensor: logging it shows whether gradients
# are exploding. With `error_if_nonfinite=True` a nan/inf total raises a `RuntimeError` instead.
#
# Worked example: gradients `[3, 4]` and `[[12]]` have total norm `sqrt(9 + 16 + 144) = 13`; with
# `max_norm = 6.5` both are halved, to `[1.5, 2]` and `[[6]]`.

# %%
# solution: clip_grad_norm_

# %%
lesson.check("clip_grad_norm_")

# %% [markdown]
# ## 2. Accuracy
#
# The loss is what the optimizer minimises; **accuracy** is what people ask about. It works on the
# NumPy arrays of one batch (no gradient needed) and comes in two shapes:
#
# - class scores `(N, C)` with integer labels `(N,)`: the predicted class is the arg-max of each row;
# - one score per sample, with 0/1 targets of the *same* shape: score `> threshold` predicts 1. The
#   threshold is 0.5 for probabilities (after a sigmoid) and 0 for logits.
#
# Anything else is a mistake (say 4 scores for 5 targets): raise a `ValueError` that names both shapes.
# Return a Python `float`.

# %%
# solution: accuracy

# %%
lesson.check("accuracy")

# %% [markdown]
# ## 3. One epoch
#
# `Trainer(model, optimizer, loss_fn, scheduler=None, clip_grad_norm=None, verbose=True)` keeps its
# arguments as attributes (`self.model`, `self.optimizer`, `self.loss_fn`, `self.clip_grad_norm`, ...).
# `_train_epoch(loader, epoch, last, fns, lr)` trains on every batch of `loader` once:
#
# - `loader` is anything that yields batches `(*inputs, target)`, usually `(x, y)`: a list of
#   tuples of Tensors, or lesson 08's DataLoader. `len(loader)` is the number of batches.
# - `epoch` (this epoch's number, from 1), `last` (the final epoch's number, for a progress bar) and
#   `lr` (the learning rate) are there for messages only.
# - `fns` maps metric names to functions `fn(outputs, targets) -> float` on NumPy arrays, e.g.
#   `{"accuracy": ...}`. Pass them `out.data` and `_array(target)` (the given `_array` takes `.data`
#   of a Tensor, or turns anything else into an array).
# - It returns the means over the epoch's **samples**: `{"loss": ..., "accuracy": ...}`. Batches can
#   differ in size (the last one is often smaller), so weight each batch's loss by its size
#   `len(target)`, and divide by the number of samples, not by the number of batches.
#
# First put the model in training mode with its `train()` method (layers such as Dropout behave
# differently in training).
#
# **The NaN guard.** A learning rate that is too high makes the loss grow, overflow to `inf`, and
# turn into `nan`; after that every parameter becomes `nan` and the rest of the run is silently
# wasted. So check every loss right after computing it, `float(loss.data)`, and if it is not finite
# (`math.isfinite`), stop *before* that batch touches the parameters, by raising the error that the
# given `_diverged(value, epoch, step, steps, lr)` builds: a `FloatingPointError` that names the
# epoch and the step and suggests the usual fixes (lower the learning rate, clip, scale the inputs).
# `step` counts batches from 1; `steps` is `len(loader)` (or None).
#
# The live progress bar is optional: `self.verbose and _is_terminal()` is False in a notebook (the
# given `_draw_bar` draws it in a terminal).

# %%
# solution: Trainer._train_epoch

# %%
lesson.check("Trainer._train_epoch")

# %% [markdown]
# ## 4. Evaluation
#
# `evaluate(loader, metrics=None)` measures the model on data it does not learn from (a validation
# or test set): the same means as `_train_epoch`, but
#
# - in **eval mode** (the model's `eval()` method: Dropout off), and back to the mode the model was
#   in afterwards (`model.training` says which), even if something raises (`try: ... finally: ...`);
# - under **`no_grad()`** (lesson 05): no graph is recorded, which saves the memory of every
#   intermediate result, and nothing is updated;
# - the metrics are `metrics`, or the trainer's own `self.metrics` when None; the given
#   `self._metric_fns(names)` turns names (and functions) into `{name: fn}`.
#
# An empty loader raises a `ValueError` (there is no mean of nothing).

# %%
# solution: Trainer.evaluate

# %%
lesson.check("Trainer.evaluate")

# %% [markdown]
# ## 5. The epoch loop
#
# `fit(train_loader, epochs, val_loader=None, metrics=("accuracy",))` trains for `epochs` *more*
# epochs (`self.epoch` counts the epochs done so far, so a second `fit` continues the first) and
# returns `self.history`, a dict of lists with one value per epoch:
#
# ```
# {"train_loss": [...], "train_accuracy": [...], "val_loss": [...], "val_accuracy": [...], "lr": [...]}
# ```
#
# For each epoch:
#
# 1. if the loader has `set_epoch` (lesson 08's DataLoader does), call `train_loader.set_epoch(self.epoch)`
#    so its shuffling depends on the epoch, and a resumed run sees the same orders;
# 2. note the learning rate the epoch uses, `self.optimizer.param_groups[0]["lr"]`;
# 3. `_train_epoch` gives the `train_` entries; `evaluate(val_loader, self.metrics)` the `val_` ones;
# 4. append every entry (and `"lr"`) to `self.history`, set `self.epoch`, step the scheduler (if any)
#    once, and if `self.verbose`, print one line with the given `self._print_epoch(epoch, last, row, seconds)`.

# %%
# solution: Trainer.fit

# %%
lesson.check("Trainer.fit")

# %% [markdown]
# ## 6. Checkpoints
#
# A long run should survive a closed browser tab. A **checkpoint** is everything needed to continue
# exactly as if training had never stopped: the weights, but also the optimizer's buffers (without
# them momentum restarts from zero and the run changes), the schedule, the epoch count, the history,
# and the random generator (Dropout's next masks). tinytorch writes one `.npz` file (NumPy's zip of
# arrays: `np.savez(path, name=array, ...)` writes one, `np.load(path)` reads it), with these entries:
#
# | entry | what |
# |---|---|
# | `model/<name>` | each value of `self.model.state_dict()`, as an array (`.numpy()`: its values are Tensors) |
# | `optimizer/<index>/<name>` | each buffer of `self.optimizer.state_dict()["state"]` (`{index: {name: value}}`) |
# | `meta` | one string of JSON: `format` (`CHECKPOINT_FORMAT`), `epoch`, `history`, `optimizer` (its class name), `param_groups` (from the optimizer's `state_dict()`), `scheduler` (its `state_dict()`, or None), `rng` (`default_rng().bit_generator.state`) |
#
# `save_checkpoint(path)` adds `.npz` to a path that lacks it and returns the path it wrote.
# `load_checkpoint(path)` reads it back into this trainer's model, optimizer and scheduler (with
# `np.load(path, allow_pickle=False)`: a checkpoint should never be able to run code) and returns
# `self`. It refuses, with a `ValueError` naming the file or both optimizers, a file that has no
# `meta` entry or one saved with another optimizer class.

# %%
# solution: Trainer.save_checkpoint, Trainer.load_checkpoint

# %%
lesson.check("Trainer.save_checkpoint")

# %%
lesson.check("Trainer.load_checkpoint")

# %% [markdown]
# ## 7. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your training loop in later lessons
#
# Each piece whose checks pass now runs inside tinytorch in this notebook: the run below uses your
# `Trainer`. Later lessons and the milestones start from tinytorch's reference; one call switches
# your saved pieces on there:
#
# ```python
# from tinytorch_course.checks import use_my_work, use_reference
# use_my_work()      # your code from my_tinytorch/ runs from now on
# use_reference()    # back to tinytorch's own
# ```

# %% [markdown]
# ## 8. Systems: a real training run, and where its time goes
#
# The 8x8 handwritten digits (1,437 training and 360 test images, 64 pixels each) with a small MLP
# and Adam. Lesson 08 builds a DataLoader that shuffles; here the batches are simply consecutive
# slices of the (already shuffled) training set:

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

X_train, y_train, X_test, y_test = tt.datasets.digits()


def batches(X, y, size):
    return [(tt.Tensor(X[i : i + size]), tt.Tensor(y[i : i + size])) for i in range(0, len(X), size)]


train, test = batches(X_train, y_train, 32), batches(X_test, y_test, 360)
tt.manual_seed(0)
model = tt.nn.Sequential(tt.nn.Linear(64, 64), tt.nn.ReLU(), tt.nn.Linear(64, 10))
optimizer = tt.optim.Adam(model.parameters(), lr=1e-2)
schedule = tt.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
trainer = Trainer(model, optimizer, tt.nn.CrossEntropyLoss(), scheduler=schedule)
live = viz.LivePlot("epoch", "loss / accuracy", title="Digits, drawn while your fit runs", every=0.0)
seconds = 0.0
for _ in range(5):  # your fit continues where the last call stopped: one epoch a call, drawn as it goes
    began = time.perf_counter()
    history = trainer.fit(train, epochs=1, val_loader=test)
    seconds += time.perf_counter() - began
    for key in ("train_loss", "val_loss", "val_accuracy"):
        live.add(key.replace("_", " "), trainer.epoch, history[key][-1])
live.done()
print(
    f"{5 * len(X_train) / seconds:,.0f} training samples per second (evaluation included); "
    f"test accuracy {history['val_accuracy'][-1]:.1%}"
)

# %% [markdown]
# **What a checkpoint costs.** With Adam, a checkpoint holds three numbers per weight (the weight
# and its two moments), plus the small JSON `meta`:

# %%
with tempfile.TemporaryDirectory() as folder:
    path = trainer.save_checkpoint(os.path.join(folder, "digits"))
    size = os.path.getsize(path)
    fresh = tt.nn.Sequential(tt.nn.Linear(64, 64), tt.nn.ReLU(), tt.nn.Linear(64, 10))
    resumed = Trainer(fresh, tt.optim.Adam(fresh.parameters(), lr=1e-2), tt.nn.CrossEntropyLoss(), verbose=False)
    resumed.load_checkpoint(path)
weights = sum(p.data.nbytes for p in model.parameters())
print(
    f"{model.num_parameters():,} parameters = {weights / 1e3:.1f} KB of weights; checkpoint file {size / 1e3:.1f} KB "
    f"({size / weights:.1f}x)"
)
print(
    f"resumed at epoch {resumed.epoch}: test accuracy {resumed.evaluate(test)['accuracy']:.1%} "
    f"(the trained model: {trainer.evaluate(test)['accuracy']:.1%})"
)

# %% [markdown]
# **Where does a step's time go?** Timing the three parts of one step separately (the best of a few
# repeats, on one batch of 32; the repeated optimizer steps move this model's weights, which is why
# this comes last):


# %%
def best_of(fn, repeats=20):
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - began)
    return best


x, y = train[0]
loss_fn = tt.nn.CrossEntropyLoss()
forward = best_of(lambda: loss_fn(model(x), y))


def backward():
    optimizer.zero_grad()
    loss_fn(model(x), y).backward()


backward_only = best_of(backward) - forward
step = best_of(optimizer.step)
total = forward + backward_only + step
for name, t in (("forward + loss", forward), ("backward", backward_only), ("optimizer step", step)):
    print(f"{name:15s} {t * 1e6:7.0f} µs  {t / total:4.0%}")

# %% [markdown]
# On a model this small the three parts cost the same order of time (natively a few dozen
# microseconds each): the matrices are tiny (a (32, 64) @ (64, 64) product is 0.26 MFLOP), so
# Python's per-operation overhead, not arithmetic, dominates. In a large model the arithmetic takes
# over, and backward costs about twice the forward (each layer needs a gradient for both its input
# and its weight), while the optimizer step stays one pass over the parameters. Larger batches
# spread the overhead over more samples, which is one reason batches exist; lesson 14 profiles this
# properly.
