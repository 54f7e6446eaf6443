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
# A model is a function with **learnable numbers** inside: the weights. PyTorch's answer to "where
# are the weights, and how does the optimizer find them?" is two classes, and tinytorch copies it:
#
# - `Parameter`: a `Tensor` that is a weight (it requires a gradient);
# - `Module`: anything with a `forward`. A module keeps its parameters and its sub-modules as plain
#   attributes (`self.weight = Parameter(...)`, `self.encoder = Linear(...)`), and finds them again
#   by looking through those attributes. Declaring a model is just assigning layers in `__init__`.
#
# In this lesson you write the machinery and the layer every model in the course is built from:
#
# | piece | what it does |
# |---|---|
# | `Module.named_parameters` | finds every `Parameter` of a model, with a dotted name like `encoder.weight` |
# | `linear` | `y = x @ W.T + b`, one fused operation, with an error that names both shapes |
# | `kaiming_uniform` | the random initial weights that keep signals from vanishing through the layers |
# | `Linear.__init__` | the layer: a weight `(out, in)` and a bias, initialised |
# | `Sequential.forward` | chains layers: `Sequential(Linear(64, 32), ReLU(), Linear(32, 10))` |
# | `Module.state_dict`, `Module.load_state_dict` | save a model's numbers and load them back |
#
# `Dropout`, the regulariser that behaves differently in training and evaluation, is given; section 6
# takes it apart.

# %%
import io
import math

import numpy as np

import tinytorch as tt
import tinytorch.backend as backend
import tinytorch.nn.init as init
from tinytorch import nn
from tinytorch.nn.functional import Tensor, _column_sum, _t
from tinytorch.nn.init import _fans, uniform
from tinytorch.nn.linear import Linear, Parameter
from tinytorch.nn.module import Module, OrderedDict, Sequential
from tinytorch_course.checks import Lesson, implement, use_my_work

lesson = Lesson("03_layers")
use_my_work(before=lesson)  # your code from lessons 01-02 (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. Parameters and modules
#
# `Parameter(data)` is a `Tensor` with `requires_grad=True`: that flag is how lesson 05's autograd
# knows to compute its gradient. The `Module` base class gives every layer:
#
# - `__call__`: `layer(x)` runs `layer.forward(x)`;
# - `named_children()`: the attributes that are modules (and the items of a list of modules, named
#   `blocks.0`, `blocks.1`, ...); `Sequential` names its children `0`, `1`, `2`, ...;
# - `named_modules(prefix="")`: this module and everything below it, depth first, with dotted names:
#   `("", model), ("encoder", model.encoder), ("encoder.attn", ...), ...`;
# - `train()` / `eval()`: set the `training` flag on every module (section 6 uses it).
#
# Your `named_parameters(prefix="")` yields `(name, parameter)` for every Parameter, which is what
# `parameters()` (given) hands to an optimizer:
#
# ```
# model.encoder.weight  ->  ("encoder.weight", <Parameter (2, 3)>)
# ```
#
# - Walk the modules of `named_modules(prefix)`; in each, the parameters are the attribute *values*
#   that are `Parameter`s, in the order they were assigned (`vars(module)` keeps that order). A plain
#   `Tensor` attribute (a constant) is not a parameter.
# - The name is the module's name, a dot, then the attribute; a parameter of the model itself has no
#   dot (`"weight"`).
# - A parameter shared by two layers (a language model ties its input embedding to its output layer)
#   must be listed **once**, or an optimizer would update it twice per step: remember the `id()` of
#   what you have already yielded.
#
# A generator function (`yield`) is the natural way to write it.

# %%
# solution: Module.named_parameters

# %%
lesson.check("Module.named_parameters")

# %% [markdown]
# ## 2. The linear layer: `y = x @ W.T + b`
#
# Each of the `out` outputs of a linear layer is a weighted sum of the `in` inputs plus a bias:
#
# ```
# x       (N, in)        a batch of N samples
# weight  (out, in)      row o holds the weights of output o   (PyTorch's layout)
# bias    (out,)         broadcast over the batch
# y = x @ weight.T + bias        (N, in) @ (in, out) + (out,)  ->  (N, out)
# ```
#
# The matrix product works on any leading axes: a batch of sequences `(N, L, in)` gives `(N, L, out)`,
# and a single sample `(in,)` gives `(out,)`. `bias` may be `None` (a layer without bias).
#
# Why a separate function instead of writing `x @ weight.T + bias` with your Tensor ops? Every model
# spends most of its time here, and as **one** op it creates one output array instead of three (the
# transpose, the product, the sum) and, in lesson 05, gets one backward step instead of three. It
# takes Tensors and returns a Tensor made with `Tensor._op(data, parents, backward, "linear")`; the
# parents are `(x, weight, bias)`, or `(x, weight)` without a bias, and `backward` may be `None`
# until lesson 05. `x` may also arrive as an array: the given `_t(x)` makes it a Tensor.
#
# The most common bug in a model is a feature mismatch: the previous layer gives 4 features, this one
# expects 3. NumPy would say `matmul: Input operand 1 has a mismatch in its core dimension 0`; your
# error should name both shapes, so the fix (`in_features`, or a missing flatten) is obvious.

# %%
# solution: linear

# %%
lesson.check("linear")

# %% [markdown]
# ## 3. Initialisation: why the first weights matter
#
# Each output of a layer sums `fan_in` products `w * x`. If the weights and inputs are independent
# with mean 0, the variances multiply and add up:
#
# ```
# Var(y) = fan_in * Var(w) * Var(x)
# ```
#
# With `Var(w) = 1` (plain `randn`) and `fan_in = 256`, every layer multiplies the signal's variance
# by 256: after ten layers the numbers overflow. With weights too small, the signal vanishes.
# **Kaiming He's rule** (2015) chooses `Var(w) = 2 / fan_in`: the `1 / fan_in` cancels the sum, and the
# factor 2 makes up for ReLU zeroing half of its inputs. Drawn uniformly from `U(-b, b)` (variance
# `b^2 / 3`) that is
#
# ```
# b = gain * sqrt(3 / fan_in),        gain = sqrt(2 / (1 + a^2))
# ```
#
# where `a` is the negative slope of a leaky ReLU (`a = 0`: plain ReLU, `gain = sqrt(2)`). PyTorch's
# default for `Linear` and `Conv2d` calls the same function with `a = sqrt(5)`, which gives
# `gain = sqrt(1/3)` and simply `b = 1 / sqrt(fan_in)` (a historical choice, a little more
# conservative than He's). `fan_in` is the number of inputs each output sums over: `in_features` for a
# weight `(out, in)`, `in_channels * kh * kw` for a convolution weight `(out, in, kh, kw)`.
#
# Given in `tinytorch.nn.init`: `_fans(shape)` returns `(fan_in, fan_out)`, and `uniform(shape, bound)`
# draws float32 numbers from tinytorch's own random generator (so `tt.manual_seed(0)` makes a whole
# model reproducible), as do `kaiming_normal`, `xavier_uniform` and `bias_uniform`.

# %%
# solution: kaiming_uniform

# %%
lesson.check("kaiming_uniform")

# %% [markdown]
# Does it matter? Push a batch through ten `256 -> 256` layers with ReLU, no bias, and watch the spread
# (standard deviation) of the activations, for three ways of drawing the weights:

# %%
x = tt.randn(128, 256, seed=0)
schemes = {
    "randn (Var(w) = 1)": lambda shape: tt.randn(*shape).data,
    "PyTorch default, a=sqrt(5)": lambda shape: init.kaiming_uniform(shape),
    "He, a=0": lambda shape: init.kaiming_uniform(shape, a=0.0),
}
spread_by_scheme = {}
for label, draw in schemes.items():
    tt.manual_seed(0)
    h, spreads = x, []
    for _layer in range(10):
        h = (h @ tt.Tensor(draw((256, 256))).T).relu()
        spreads.append(float(h.data.std()))
    spread_by_scheme[label] = spreads
    print(f"{label:28s} " + " ".join(f"{s:9.3g}" for s in spreads))

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

fig, ax = viz.figure(size=(5.5, 3.4))
for label, spreads in spread_by_scheme.items():
    ax.plot(range(1, 11), spreads, marker="o", label=label)
ax.set_yscale("log")
ax.set_xlabel("layer")
ax.set_ylabel("std of the activations (log scale)")
ax.set_title("Signal through ten ReLU layers, by initialisation")
ax.legend(fontsize=8)
viz.show(fig)

# %% [markdown]
# With `randn` the spread grows about 11x per layer (`sqrt(256 / 2)`); with He's rule it stays put.
# PyTorch's default shrinks it by `sqrt(1/6)` ~ 0.41 per layer; that is harmless for the few layers of
# an MLP (and biases keep the signal alive), and deep networks add normalisation layers (lesson 13)
# precisely so that the starting point matters less.
#
# ## 4. The `Linear` layer
#
# `Linear(in_features, out_features, bias=True, init_scheme="default")` stores:
#
# - `self.in_features`, `self.out_features` (its printout and lesson 14's profiler read them);
# - `self.weight`: a `Parameter` of shape `(out_features, in_features)`, drawn by `init_scheme`:
#   `"default"` is `init.kaiming_uniform`, `"kaiming_normal"` is `init.kaiming_normal`, `"xavier"`
#   is `init.xavier_uniform`; any other name is a `ValueError` that names it and lists the valid ones;
# - `self.bias`: a `Parameter` of shape `(out_features,)` from `init.bias_uniform((out_features,), in_features)`,
#   i.e. `U(-1/sqrt(in), 1/sqrt(in))` as in PyTorch, or `None` when `bias=False`.
#
# Its `forward(x)` (given) is your `linear(x, self.weight, self.bias)`.

# %%
# solution: Linear.__init__

# %%
lesson.check("Linear.__init__")

# %% [markdown]
# ## 5. `Sequential`
#
# Most models are a chain: `Sequential(Linear(4, 8), nn.ReLU(), Linear(8, 3))` keeps its layers in the
# list `self.layers` (its `__init__` is given) and its `forward(x)` feeds `x` through each of them in
# turn. The activations of lesson 02 are modules too (`nn.ReLU()`, `nn.GELU()`, ...), so they sit in
# the chain like any layer.

# %%
# solution: Sequential.forward

# %%
lesson.check("Sequential.forward")

# %% [markdown]
# A small model from your pieces: its printout, its parameters by name, and a forward pass on a batch
# of 5 samples with 4 features each.

# %%
tt.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
print(model)
for name, p in model.named_parameters():
    print(f"  {name:9s} {str(p.shape):8s} {p.data.size:3d} numbers")
print("output shape:", model(tt.randn(5, 4, seed=1)).shape)

# %% [markdown]
# ## 6. Dropout: a layer that behaves differently in training
#
# Dropout (Srivastava et al., 2014) fights overfitting: while training, each activation is zeroed
# with probability `p`, so no unit can rely on any particular other one. At evaluation time nothing is
# dropped. To keep the *expected* value of every activation the same in both modes, the survivors are
# scaled up by `1 / (1 - p)` while training ("inverted" dropout), so evaluation needs no correction:
#
# ```
# training:   y = x * mask / (1 - p),   mask[i] = 0 with probability p, else 1
# eval():     y = x
# ```
#
# `model.train()` and `model.eval()` set the `training` flag of every module in the model; `nn.Dropout`
# (given, via `F.dropout`) reads it. Forgetting `model.eval()` before measuring accuracy is a classic
# bug: the predictions become random. Measured on a tensor of ones:

# %%
ones = tt.ones(10_000)
for p in (0.1, 0.5):
    drop = nn.Dropout(p)
    y = drop(ones).data
    kept = y[y != 0]
    print(
        f"p = {p}: {1 - kept.size / y.size:.3f} zeroed, survivors = {kept[0]:.3f} (1/(1-p) = {1 / (1 - p):.3f}), "
        f"mean {y.mean():.3f} (the input's mean is 1)"
    )
drop.eval()
print("after eval():", "identity" if (drop(ones).data == 1).all() else "NOT the identity")

# %% [markdown]
# ## 7. Saving and loading: `state_dict`
#
# A trained model is its architecture (the code) plus its numbers. `model.state_dict()` returns the
# numbers: an `OrderedDict` from each parameter's dotted name to a new `Tensor` (no gradient, not a
# `Parameter`) holding a **copy** of its array in the array's own dtype
# (`Tensor(p.data.copy(), dtype=p.data.dtype)`: without `dtype=`, floats become float32). Tensors as
# in torch, so `state["head.weight"].shape`, `.numpy()` and `torch.save(state, path)` work the same.
# A copy, because an optimizer updates `p.data` in place: a state that shares the arrays would
# silently follow the model while you keep it as "the best checkpoint" (torch's state_dict does share
# them, which is why torch code wraps it in `copy.deepcopy` for that).
#
# Some modules also hold arrays that are not learned but belong to the model (a pruning mask, a table
# of positional encodings): `module.register_buffer(name, array)` (given) stores the array as an
# attribute and appends `name` to the module's list `module._buffers`. The state dict saves them
# after the parameters (as Tensors holding copies, too), named like parameters (`head.mask`).
#
# `model.load_state_dict(state, strict=True)` puts the numbers back:
#
# - with `strict=True`, the names must match exactly: a name the model has but `state` lacks, or the
#   reverse, is a `KeyError` naming them (usually a checkpoint of another architecture);
# - a value whose shape differs from the parameter's is a `ValueError` naming the key and both shapes;
# - values may be Tensors (what `state_dict` returns) or NumPy arrays: take `value.data` of a Tensor;
# - each parameter keeps its identity: assign a converted **copy** to `p.data` (an optimizer holds the
#   `Parameter` objects, so replacing them would disconnect it), in the parameter's dtype;
# - `strict=False` loads the names that match and ignores the rest (fine-tuning part of a model).

# %%
# solution: Module.state_dict, Module.load_state_dict

# %%
lesson.check("Module.state_dict")

# %%
lesson.check("Module.load_state_dict")

# %% [markdown]
# ## 8. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your layers in later lessons
#
# Every piece that passes runs inside tinytorch in this notebook: `nn.Linear`, `nn.Sequential` and
# `model.state_dict()` above are yours. Later lessons and the milestones start from tinytorch's
# reference; one call switches your saved pieces on there:
#
# ```python
# from tinytorch_course.checks import use_my_work, use_reference
# use_my_work()      # your code from my_tinytorch/ runs from now on
# use_reference()    # back to tinytorch's own
# ```
#
# Lesson 05 comes back to `linear` to add its backward; until you pass that lesson, later lessons keep
# tinytorch's version of it.

# %% [markdown]
# ## 9. Systems: what a layer costs
#
# **Memory.** A `Linear(in, out)` holds `in * out + out` numbers, 4 bytes each in float32. The MLP of
# the 1986 milestone on 28 x 28 MNIST images:

# %%
tt.manual_seed(0)
mlp = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
total = 0
for name, p in mlp.named_parameters():
    total += p.data.size
    print(f"{name:9s} {str(p.shape):11s} {p.data.size:7,d} numbers  {p.data.nbytes / 1024:7.1f} KB")
state = mlp.state_dict()
buffer = io.BytesIO()
np.savez(buffer, **{name: t.numpy() for name, t in state.items()})
print(
    f"total: {total:,d} parameters = {total * 4 / 1024:.0f} KB in float32 "
    f"(float64 would double it); saved with np.savez: {buffer.getbuffer().nbytes / 1024:.0f} KB"
)

# %% [markdown]
# Almost all of it is the first layer: `784 * 128` weights. Wide inputs are expensive, which is one
# reason convolutions (lesson 09) share a small kernel across the image instead.
#
# **Compute.** A forward pass through `Linear(in, out)` on a batch of N does `N * in * out`
# multiply-adds, `2 * N * in * out` floating-point operations (FLOPs). The same 64 images can go
# through the model one at a time or as one batch; the arithmetic is identical:

# %%
from tinytorch_course.timing import best_time  # the fastest of a few runs

images = tt.randn(64, 784, seed=2)
flops = 2 * 64 * sum(layer.in_features * layer.out_features for layer in mlp if isinstance(layer, nn.Linear))
one_batch = best_time(lambda: mlp(images), repeats=5)
one_by_one = best_time(lambda: [mlp(images[i : i + 1]) for i in range(64)], repeats=5)
print(f"forward of 64 images: {flops / 1e6:.1f} MFLOP")
print(f"  as one batch of 64: {one_batch * 1e3:7.2f} ms  ({flops / one_batch / 1e9:5.2f} GFLOP/s)")
print(
    f"  64 batches of 1:    {one_by_one * 1e3:7.2f} ms  ({flops / one_by_one / 1e9:5.2f} GFLOP/s), "
    f"{one_by_one / one_batch:.1f}x the time of one batch"
)

# %% [markdown]
# Same FLOPs, different time: every op call has a fixed Python cost, paid 64 times over one sample at
# a time, and a matrix product on a batch keeps the CPU's vector units busy where a single row cannot.
# Single-threaded (as in the browser) the batch is typically several times faster. (Natively, NumPy's
# BLAS may split one product over several threads; on a machine busy with other work those threads
# wait for each other, and a single batch can then come out slower: rerun the cell to see the spread.)
# This is why training works on mini-batches (lesson 08's `DataLoader`).
