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
# Lesson 05 gave every parameter a gradient: `loss.backward()` fills `p.grad`, the direction in which
# the loss grows fastest. Training is walking the other way, a small step at a time. *How* to step is
# the optimizer's job, and the choice matters: plain gradient descent crawls along a narrow valley,
# momentum rolls through it, and Adam gives every single weight its own step size.
#
# | piece | what it does |
# |---|---|
# | `Optimizer.zero_grad` | forgets the last batch's gradients (they would otherwise add up) |
# | `SGD.step` | `p -= lr * g`, with momentum, Nesterov momentum and weight decay |
# | `Adam.step` | per-element steps from running moments of the gradient, bias-corrected; AdamW's decoupled decay |
# | `RMSprop.step` | divides each gradient by the running RMS of its recent values |
# | `LRScheduler.step` | moves a schedule on by one epoch and writes the new rates into the optimizer |
# | `StepLR.get_lr`, `CosineAnnealingLR.get_lr` | two learning-rate schedules |
#
# The rest is given: the `Optimizer` base class that holds the parameters (its constructor,
# `state_dict`, ...) and the optimizers' constructors, which check their hyper-parameters.

# %%
import math
import time

import numpy as np

import tinytorch as tt
from tinytorch.optim.adam import Adam
from tinytorch.optim.lr_scheduler import CosineAnnealingLR, LRScheduler, StepLR
from tinytorch.optim.optimizer import Optimizer
from tinytorch.optim.rmsprop import RMSprop
from tinytorch.optim.sgd import SGD
from tinytorch_course.checks import Lesson, implement, use_my_work

lesson = Lesson("06_optimizers")
use_my_work(before=lesson)  # your code from earlier lessons (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. What an optimizer holds
#
# ```python
# opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
# for x, y in batches:
#     loss = loss_fn(model(x), y)
#     opt.zero_grad()          # forget the previous batch's gradients
#     loss.backward()          # p.grad for every parameter
#     opt.step()               # move every parameter
# ```
#
# Two things live inside an optimizer, exactly as in PyTorch:
#
# - `self.param_groups`: a list of dicts. Each has `"params"` (a list of parameter tensors) and the
#   hyper-parameters for those parameters: `{"params": [...], "lr": 0.1, "momentum": 0.9, ...}`.
#   Usually there is one group; two groups let, say, a pretrained body learn slower than a new head.
#   A learning-rate schedule changes `group["lr"]`, so `step()` must read the rate from the group
#   every time, never keep its own copy.
# - `self.state`: a dict from parameter to that parameter's buffers (momentum, moments, a step count),
#   created on the parameter's first step. Checkpoints (lesson 07) save it, so use the names the
#   sections below give (PyTorch's).
#
# Updates work on the raw arrays, `p.data` and `p.grad.data`, in place: an update is bookkeeping,
# not part of the model's computation, so it must not build an autograd graph.
#
# **Why `zero_grad`.** `backward()` *adds* into `p.grad` (a parameter used twice gets both
# contributions), so the gradients of the previous batch must go first. PyTorch's default is to make
# every gradient `None` (cheaper than writing zeros, and "no gradient" is then visible); with
# `set_to_none=False` the gradient arrays are kept and filled with zeros instead.

# %%
# solution: Optimizer.zero_grad

# %%
lesson.check("Optimizer.zero_grad")

# %% [markdown]
# ## 2. SGD, momentum and weight decay
#
# Plain stochastic gradient descent: `p = p - lr * g`. Each of the following options changes `g`
# before that line (this is `torch.optim.SGD`, step for step):
#
# ```
# g = grad + weight_decay * p                        weight decay (an L2 penalty on p)
# buf = g                                            momentum, on the parameter's first step
# buf = momentum * buf + (1 - dampening) * g         momentum, on later steps
# g = g + momentum * buf   (nesterov)   or   g = buf
# p = p - lr * g
# ```
#
# **Momentum** keeps a running sum of past gradients. Where gradients agree from step to step (along
# the floor of a valley) they add up and the steps lengthen, up to `1 / (1 - momentum)` = 10 times
# for 0.9; where they flip sign (across the valley's walls) they cancel. Note the first step: PyTorch
# starts the buffer at the first gradient itself, not at `(1 - dampening) * g` (the two only differ
# when `dampening > 0`, and a check looks at exactly that).
# **Nesterov** momentum steps along `g + momentum * buf`, a look-ahead that corrects a little sooner.
# **Weight decay** pulls every weight towards 0 a little each step, which keeps weights small and
# usually helps a model generalise.
#
# Worked example, `lr = 0.1, momentum = 0.9`, and a gradient that stays `g = 1`: the buffer goes
# `1, 1.9, 2.71, ...` so the parameter moves `0.1, 0.19, 0.271, ...`: momentum speeds up a steady slope.
#
# Keep the buffer in `self.state[p]`, a dict, under the key `"momentum_buffer"`. Skip every
# parameter whose `p.grad is None` (it took no part in the loss, e.g. a frozen layer).

# %%
# solution: SGD.step

# %%
lesson.check("SGD.step")

# %% [markdown]
# ## 3. Adam and AdamW
#
# One learning rate for all weights is a compromise: some weights see large gradients, others tiny
# ones. **Adam** (Kingma & Ba, 2015) keeps two running averages per element, of the gradient `m` (its
# direction, like momentum) and of its square `v` (its typical size), and steps by their ratio:
#
# ```
# t = t + 1                                  this parameter's step count, from 1
# m = beta1 * m + (1 - beta1) * g            beta1 = 0.9:   average of the last ~10 gradients
# v = beta2 * v + (1 - beta2) * g^2          beta2 = 0.999: average of the last ~1000 squares
# m_hat = m / (1 - beta1^t)                  bias corrections (see below)
# v_hat = v / (1 - beta2^t)
# p = p - lr * m_hat / (sqrt(v_hat) + eps)
# ```
#
# `m_hat / sqrt(v_hat)` has no units: whether a weight's gradients are around 1e-6 or 1e3, its step is
# about `lr`. That is why `lr = 1e-3` works for so many models.
#
# **Bias correction.** `m` and `v` start at zero, so early on they are too small: after the first
# step `m = 0.1 g` and `v = 0.001 g^2`. Dividing by `1 - beta^t` (0.1 and 0.001 at `t = 1`) undoes
# exactly that, and the first step is `lr * g / |g|`: every element moves by about `lr`. The
# correction fades as `t` grows. Without it, the first steps would be `0.1 / sqrt(0.001)`, about 3
# times too long.
#
# **Weight decay, two ways.** Adam's `weight_decay` adds `weight_decay * p` to the gradient (as SGD
# does), but then the decay is divided by `sqrt(v_hat)` like everything else, so weights with large
# gradients are hardly decayed at all. **AdamW** (Loshchilov & Hutter, 2019) *decouples* it: it
# shrinks the weight directly, `p = p * (1 - lr * weight_decay)`, and leaves the gradient alone.
# That is what transformers are trained with. In tinytorch, `AdamW` is `Adam` with the class attribute
# `_decoupled = True`, so one `step` serves both: check `self._decoupled`.
#
# **AMSGrad** (Reddi et al., 2018), `Adam(..., amsgrad=True)`: when gradients shrink, `v` shrinks too
# and the steps grow again. AMSGrad divides by the largest `v` seen so far instead: keep it in
# `state["max_exp_avg_sq"]` (zeros at first), update it with `np.maximum(v_max, v, out=v_max)` and take
# `sqrt(v_max / (1 - beta2^t))` in place of `sqrt(v_hat)`. The flag is in the group:
# `group.get("amsgrad")` (a plain Adam's group has no "amsgrad" key at all, hence `.get`).
#
# Keep the state as `self.state[p] = {"step": 0, "exp_avg": zeros, "exp_avg_sq": zeros}` (PyTorch's
# names), created on the parameter's first step with `np.zeros_like(p.data)`.

# %%
# solution: Adam.step

# %%
lesson.check("Adam.step")

# %% [markdown]
# ## 4. RMSprop
#
# RMSprop (Hinton, 2012) is Adam's older sibling: only the running average of squares, no bias
# correction. As `torch.optim.RMSprop` (the state names are `square_avg`, `momentum_buffer`, `grad_avg`):
#
# ```
# g = grad + weight_decay * p
# v = alpha * v + (1 - alpha) * g^2                      v starts at zeros
# avg = sqrt(v) + eps                                    or, centered: sqrt(v - gbar^2) + eps,
#                                                        with gbar = alpha * gbar + (1 - alpha) * g
# buf = momentum * buf + g / avg;  p = p - lr * buf      when momentum > 0 (buf starts at zeros)
# p = p - lr * g / avg                                   otherwise
# ```
#
# *Centered* RMSprop divides by a running standard deviation of the gradient instead of its RMS.
# Watch out: here the momentum buffer starts at zeros, unlike SGD's.

# %%
# solution: RMSprop.step

# %%
lesson.check("RMSprop.step")

# %% [markdown]
# ## 5. Learning-rate schedules
#
# A large learning rate makes fast early progress; a small one settles into a minimum instead of
# bouncing around it. A **schedule** lowers the rate as training goes on, once per epoch:
#
# ```python
# sched = StepLR(opt, step_size=10, gamma=0.5)
# for epoch in range(epochs):
#     train_one_epoch(...)
#     sched.step()                   # epoch += 1, and a new group["lr"] for every group
# ```
#
# The base class `LRScheduler` counts epochs in `self.last_epoch`. Its constructor records each
# group's starting rate (`self.base_lrs`), sets `last_epoch = -1` and calls `step()` once, so a new
# scheduler is at epoch 0 with the rates as given. `step()` adds 1 to `last_epoch`; at epoch 0 it keeps
# the groups' rates, later it asks the subclass's `get_lr()` for the new ones (one per group), writes
# each into its `group["lr"]` and remembers the list in `self._last_lr` (what `get_last_lr()` returns).
#
# Each subclass only says what the rates of epoch `self.last_epoch` are:
#
# - **StepLR**: multiply the rate by `gamma` every `step_size` epochs. With `lr = 0.1, step_size = 3,
#   gamma = 0.5`: epochs 0-2 use 0.1, epochs 3-5 0.05, epochs 6-8 0.025. PyTorch computes it from the
#   *current* rate: at a multiple of `step_size` return `lr * gamma`, else `lr` unchanged.
# - **CosineAnnealingLR**: half a cosine wave from the starting rate down to `eta_min` over `T_max`
#   epochs, fast in the middle and gentle at both ends:
#
#   ```
#   lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2
#   ```
#
#   `t = 0` gives `base_lr`, `t = T_max` gives `eta_min`; after `T_max` the cosine climbs back up.
#   This closed form passes the checks. (PyTorch computes the same numbers recursively from the
#   current rate, so a rate changed by hand keeps being annealed from where it is; tinytorch's code
#   does the same.)

# %%
# solution: LRScheduler.step, StepLR.get_lr, CosineAnnealingLR.get_lr

# %%
lesson.check("LRScheduler.step")

# %%
lesson.check("StepLR.get_lr")

# %%
lesson.check("CosineAnnealingLR.get_lr")

# %% [markdown]
# ## 6. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your optimizers in later lessons
#
# Each piece whose checks pass now runs inside tinytorch in this notebook: `tt.optim.Adam(...).step()`
# is your code. Lesson 07 trains models with them. Later lessons and the milestones start from
# tinytorch's reference; one call switches your saved pieces on there:
#
# ```python
# from tinytorch_course.checks import use_my_work, use_reference
# use_my_work()      # your code from my_tinytorch/ runs from now on
# use_reference()    # back to tinytorch's own
# ```

# %% [markdown]
# ## 7. Systems: what an optimizer costs, and what it buys
#
# **A race down a ravine.** The loss `f(x, y) = x^2 / 2 + 25 y^2` is a narrow valley, 50 times
# steeper across (`y`) than along (`x`), with its minimum 0 at `(0, 0)`. Plain SGD must keep `lr`
# below `2 / 50` or it bounces out across the valley, and then it crawls along `x`. Each optimizer
# below starts from `(-8, 1)` with a learning rate picked from a few tries; autograd computes the
# gradients. The loss after 10, 30 and 100 steps:


# %%
def descend(make_opt, steps=100, report=(10, 30, 100)):
    """The ravine's loss after each step count in `report`, with `make_opt([p])` from (-8, 1)."""
    p = tt.Tensor([-8.0, 1.0], requires_grad=True)
    opt = make_opt([p])
    scale = tt.Tensor([0.5, 25.0])
    losses = []
    for step in range(1, steps + 1):
        loss = (scale * p * p).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step in report:
            losses.append(float((scale * p * p).sum().data))
    return losses


race = {
    "SGD lr=0.035": lambda ps: tt.optim.SGD(ps, lr=0.035),
    "SGD lr=0.02, momentum=0.8": lambda ps: tt.optim.SGD(ps, lr=0.02, momentum=0.8),
    "RMSprop lr=0.1": lambda ps: tt.optim.RMSprop(ps, lr=0.1),
    "Adam lr=0.5": lambda ps: tt.optim.Adam(ps, lr=0.5),
}
print(f"{'':27s} {'10 steps':>10s} {'30 steps':>10s} {'100 steps':>10s}")
for name, make in race.items():
    print(f"{name:27s} " + " ".join(f"{loss:10.2e}" for loss in descend(make)))

# %% [markdown]
# The same race, drawn: each optimizer's first 60 steps on the ravine's contour lines.


# %%
def path(make_opt, steps=60):
    """The points (x, y) an optimizer visits on the ravine, from (-8, 1)."""
    p = tt.Tensor([-8.0, 1.0], requires_grad=True)
    opt, scale, points = make_opt([p]), tt.Tensor([0.5, 25.0]), [p.data.copy()]
    for _ in range(steps):
        opt.zero_grad()
        (scale * p * p).sum().backward()
        opt.step()
        points.append(p.data.copy())
    return np.array(points)


import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

gx, gy = np.meshgrid(np.linspace(-9, 2, 200), np.linspace(-1.6, 1.6, 200))
fig, ax = viz.figure(size=(8, 3.6))
ax.contour(gx, gy, 0.5 * gx**2 + 25 * gy**2, levels=np.geomspace(0.05, 80, 12), colors="lightgray")
for name, make in race.items():
    points = path(make)
    ax.plot(points[:, 0], points[:, 1], marker=".", ms=3, lw=1, label=name)
ax.plot([0], [0], "k*", ms=10)
ax.set_xlim(-9, 2)
ax.set_ylim(-1.6, 1.6)
ax.set_xlabel("x (flat direction)")
ax.set_ylabel("y (steep)")
ax.set_title("60 steps on the ravine 0.5 x² + 25 y²")
ax.legend(fontsize=8, loc="lower right")
viz.show(fig)

# %% [markdown]
# Plain SGD is slowest by orders of magnitude: its learning rate is capped by the steep direction, so
# along the flat one each step is tiny. Momentum fixes that by adding up the steps that agree.
# RMSprop and Adam fix it differently: they divide each coordinate's gradient by that coordinate's
# own typical size, so both directions look equally steep. Which of the three wins depends on the
# learning rates (change them and re-run: RMSprop with `lr=0.3` is far ahead, Adam with `lr=0.1`
# far behind), which is why tuning the learning rate is the first thing to do with any optimizer.
#
# **Memory.** The optimizer's state is extra memory per parameter: SGD with momentum keeps one buffer
# the size of the model, Adam two (plus a step count). For a large model that decides what fits: a
# model trained with Adam in float32 needs 4 bytes for each weight, 4 for its gradient and 8 for
# Adam's moments. Counting it for the digits MLP of milestone 1986:


# %%
def state_bytes(opt):
    """Bytes held in the optimizer's per-parameter state (the NumPy buffers)."""
    return sum(v.nbytes for s in opt.state.values() for v in s.values() if isinstance(v, np.ndarray))


model = tt.nn.Sequential(tt.nn.Linear(64, 128), tt.nn.ReLU(), tt.nn.Linear(128, 10))
weights = sum(p.data.nbytes for p in model.parameters())
print(f"model: {model.num_parameters():,} parameters, {weights / 1e3:.1f} KB of float32 weights")
for name, make in {
    "SGD": lambda ps: tt.optim.SGD(ps, lr=0.1),
    "SGD + momentum": lambda ps: tt.optim.SGD(ps, lr=0.1, momentum=0.9),
    "RMSprop": lambda ps: tt.optim.RMSprop(ps),
    "Adam": lambda ps: tt.optim.Adam(ps),
}.items():
    opt = make(model.parameters())
    for p in model.parameters():
        p.grad = tt.zeros(*p.shape)
    opt.step()
    print(f"{name:15s} state {state_bytes(opt) / 1e3:6.1f} KB = {state_bytes(opt) / weights:.0f}x the weights")

# %% [markdown]
# **Time.** A step reads and writes every parameter a few times. Timing one step on a million
# parameters (the best of a few runs) shows how many passes over memory each rule costs:


# %%
def time_step(make_opt, n=1000, repeats=5):
    """Seconds per step for one (n, n) parameter, best of `repeats`."""
    p = tt.randn(n, n, seed=0, requires_grad=True)
    p.grad = tt.randn(n, n, seed=1)
    opt = make_opt([p])
    opt.step()  # the first step allocates the state
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        opt.step()
        best = min(best, time.perf_counter() - start)
    return best


times = {
    name: time_step(make)
    for name, make in {
        "SGD": lambda ps: tt.optim.SGD(ps, lr=1e-3),
        "SGD + momentum": lambda ps: tt.optim.SGD(ps, lr=1e-3, momentum=0.9),
        "Adam": lambda ps: tt.optim.Adam(ps, lr=1e-3),
        "AdamW": lambda ps: tt.optim.AdamW(ps, lr=1e-3),
    }.items()
}
for name, seconds in times.items():
    print(f"{name:15s} {seconds * 1e3:6.2f} ms per step of 1M parameters ({seconds / times['SGD']:4.1f}x SGD)")

# %% [markdown]
# Adam costs many times a plain SGD step, because each of its lines is one more pass over a
# million-element array. Next to the forward and backward passes of a real model that is still
# small, which is why Adam's robustness is usually worth it. Fusing those passes into one loop
# (what PyTorch's "fused" Adam does on a GPU) is the kind of speed-up lesson 18 explores.
