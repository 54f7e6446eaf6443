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
# A training step looks at a **mini-batch**: a few dozen samples, not one (too noisy, and Python's
# per-operation overhead would dominate) and not the whole data set (too slow per step, and too much
# memory for big data). Each epoch should also visit the samples in a **new random order**, or the
# model learns the order (the last few batches of every epoch would always be the same ones).
# This lesson builds the two classes every training loop of the course is fed by, PyTorch-style:
#
# ```python
# train = TensorDataset(X_train, y_train)                  # X (N, 64), y (N,)
# loader = DataLoader(train, batch_size=64, shuffle=True, seed=0)
# for x, y in loader:                                      # x (64, 64), y (64,); the last batch may be smaller
#     ...
# ```
#
# | piece | what it does |
# |---|---|
# | `TensorDataset.__init__`, `TensorDataset.__getitem__` | samples are the rows of some tensors |
# | `default_collate` | stacks a list of samples into one batch |
# | `DataLoader.__len__` | the number of batches per epoch |
# | `DataLoader.order` | the order an epoch visits the samples in, shuffled reproducibly |
# | `DataLoader.__iter__`, `DataLoader._batches` | one pass over the data, batch by batch |
#
# Given: the `Dataset` base class, `TensorDataset.__len__`, the helper `_stack`, and the DataLoader's
# constructor, which checks its arguments and stores them as attributes (`self.dataset`,
# `self.batch_size`, `self.shuffle`, `self.drop_last`, `self.seed`, `self.collate_fn`, `self.epoch`).

# %%
import numbers
import time

import numpy as np

import tinytorch as tt
from tinytorch.data import DataLoader, Tensor, TensorDataset, _stack, default_collate
from tinytorch_course.checks import Lesson, implement, use_my_work
from tinytorch_course.timing import best_time

lesson = Lesson("08_dataloader")
use_my_work(before=lesson)  # your code from earlier lessons (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. Datasets
#
# A **dataset** is anything with a length and an indexable sample: `len(ds)` and `ds[i]`. That is the
# whole `Dataset` protocol, so a dataset can read images from files, generate samples on the fly, or,
# most often, hold arrays already in memory. `TensorDataset(X, y)` is that last kind: sample `i` is
# `(X[i], y[i])`, and any number of tensors works (`TensorDataset(X)`, `TensorDataset(X, mask, y)`).
#
# Its constructor keeps the tensors in `self.tensors` (a tuple, NumPy arrays wrapped as Tensors) and
# rejects what cannot be a dataset: no tensors at all, a 0-d tensor (it has no rows), and tensors
# whose first dimensions differ. That last mistake is common (say, labels of the training set paired
# with the images of the test set), and the error must name every shape:
#
# ```
# ValueError: TensorDataset: all tensors must have the same first dimension (one row per sample),
#             but tensor 0 has shape (4, 3), tensor 1 has shape (5,)
# ```
#
# `__getitem__(index)` returns one Tensor per tensor, indexed the same way. Thanks to NumPy indexing
# the same line serves an int (`ds[3]`, one sample), a slice (`ds[0:4]`) and an index array
# (`ds[[3, 0]]`), which is what will make batching fast below.

# %%
# solution: TensorDataset.__init__, TensorDataset.__getitem__

# %%
lesson.check("TensorDataset.__init__")

# %%
lesson.check("TensorDataset.__getitem__")

# %% [markdown]
# ## 2. Collating: from samples to a batch
#
# A general dataset hands out one sample at a time, so a batch starts as a Python list of samples,
# and `default_collate(samples)` turns it into batched Tensors:
#
# - samples that are tuples `(x, y)` give a tuple of batched fields: field `k` of the batch stacks
#   field `k` of every sample, `(N, *shape of field k)`. Two samples `([1, 2, 3], 7)` and
#   `([4, 5, 6], 8)` give `X` of shape `(2, 3)` and `y = [7, 8]` of shape `(2,)`;
# - samples that are a Tensor, an array or a number are stacked as a whole;
# - anything else (a dict, a string) raises a `TypeError` naming its type.
#
# The given `_stack(items, field)` stacks a list of Tensors/arrays/numbers into one Tensor, and
# raises a `ValueError` naming the shapes when they differ (a batch needs one shape: images of
# different sizes must be resized or padded first).

# %%
# solution: default_collate

# %%
lesson.check("default_collate")

# %% [markdown]
# ## 3. How many batches
#
# `n` samples in batches of `batch_size`: the last batch holds what is left, so there are
# `ceil(n / batch_size)` batches (10 samples in 4s: 4, 4, 2, three batches). With `drop_last=True`
# the short last batch is left out, `floor(n / batch_size)` (two batches): useful when every batch
# must have the same size, e.g. for batch statistics, or to keep a tiny last batch's noisy gradient
# out of training. In integers: `n // b` is the floor, and `-(-n // b)` the ceiling.

# %%
# solution: DataLoader.__len__

# %%
lesson.check("DataLoader.__len__")

# %% [markdown]
# ## 4. A shuffle you can reproduce
#
# A shuffled epoch must visit every sample **exactly once**: a *permutation* of `0..n-1`, not `n`
# random draws (which would repeat some samples and skip others). It should differ from epoch to
# epoch, and yet be **reproducible**: the same seed must give the same run, and a run resumed from a
# checkpoint at epoch 7 (lesson 07) must see exactly the orders it would have seen.
#
# A generator that is created once and drawn from every epoch gets the first two right but not the
# third: to know epoch 7's order you would have to replay epochs 0 to 6. tinytorch instead derives
# each epoch's order from the pair `(seed, epoch)` alone:
#
# ```python
# np.random.default_rng((seed, epoch)).permutation(n)
# ```
#
# NumPy turns the pair into an independent stream of random numbers, so `order(7)` is the same
# whenever and however often it is asked for. Without `shuffle`, the order is simply `0, 1, ..., n-1`.

# %%
# solution: DataLoader.order

# %%
lesson.check("DataLoader.order")

# %% [markdown]
# ## 5. One pass over the data
#
# `for x, y in loader:` calls `iter(loader)`, i.e. `loader.__iter__()`, at the start of every epoch.
# It picks that epoch's order, `self.order(self.epoch)` when shuffling (None otherwise: in order),
# counts the epoch (`self.epoch` is the number of epochs started, which `set_epoch(e)` sets when a
# run resumes), and returns `self._batches(indices)`.
#
# `_batches(indices)` is a **generator** (a function with `yield`): it produces one batch at a time,
# only when the loop asks for it, so the batches of an epoch never all sit in memory at once. Batch
# `b` holds the samples at positions `b * batch_size` up to `min((b + 1) * batch_size, n)` of the
# order, for each of the `len(self)` batches (which already leaves out a short last batch when
# `drop_last`). Two ways to build a batch:
#
# - **a TensorDataset with the default collate**: index each stored array once with all the batch's
#   rows, `a[rows]` (`rows` a slice when in order, else the index array). One NumPy call per tensor,
#   no Python loop over samples. Fancy indexing with an array copies; a slice gives a *view* into the
#   dataset, so copy it: a batch that the training loop changes must never change the data set;
# - **any other dataset**: read the samples one by one, `[ds[i] for i in ...]`, and give the list
#   to `self.collate_fn`. Also use this path whenever a custom `collate_fn` was given.

# %%
# solution: DataLoader.__iter__, DataLoader._batches

# %%
lesson.check("DataLoader.__iter__")

# %%
lesson.check("DataLoader._batches")

# %% [markdown]
# ## 6. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your DataLoader in later lessons
#
# Each piece whose checks pass now runs inside tinytorch in this notebook. Later lessons and the
# milestones start from tinytorch's reference; one call switches your saved pieces on there:
#
# ```python
# from tinytorch_course.checks import use_my_work, use_reference
# use_my_work()      # your code from my_tinytorch/ runs from now on
# use_reference()    # back to tinytorch's own
# ```
#
# A look at what you built: 10 samples in batches of 4, two shuffled epochs, then a fresh loader
# with the same seed told to start at epoch 1 (as a resumed run would be):

# %%
toy = TensorDataset(tt.arange(10), tt.arange(10) * 10)
loader = DataLoader(toy, batch_size=4, shuffle=True, seed=0)
for epoch in range(2):
    print(f"epoch {epoch}:", [x.tolist() for x, _ in loader])
resumed = DataLoader(toy, batch_size=4, shuffle=True, seed=0)
resumed.set_epoch(1)
print("resumed at epoch 1:", [x.tolist() for x, _ in resumed])

# %% [markdown]
# ## 7. Systems: what feeding a model costs
#
# The 1,437 training digits (64 float32 pixels each). **Fast path against sample by sample:** the
# same data as a `TensorDataset` (one fancy index per batch) and as a plain `Dataset` that returns
# one sample at a time (a Python call per sample, then `default_collate` stacks them). One epoch in
# batches of 64, the best of a few runs:

# %%
X_train, y_train, _, _ = tt.datasets.digits()


class OneByOne(tt.data.Dataset):
    """The same digits, read one sample at a time (like a dataset that loads files)."""

    def __len__(self):
        return len(X_train)

    def __getitem__(self, i):
        return X_train[i], y_train[i]


def epoch_time(loader, repeats=3):
    """Seconds of one pass over every batch (the best of `repeats`)."""
    return best_time(lambda: sum(1 for _batch in loader), repeats)


fast = epoch_time(DataLoader(TensorDataset(X_train, y_train), batch_size=64, shuffle=True, seed=0))
slow = epoch_time(DataLoader(OneByOne(), batch_size=64, shuffle=True, seed=0))
print(f"TensorDataset: {fast * 1e3:6.2f} ms per epoch; one sample at a time: {slow * 1e3:6.2f} ms ({slow / fast:.0f}x)")

# %% [markdown]
# Per sample, the general path costs a Python call, a tuple and an `np.stack` entry; the fast path
# costs a share of one NumPy call. Divide the epoch times by the 23 batches: sample by sample, a batch
# takes about as long to *load* as lesson 07's digits MLP takes to *train* on it (about 0.1 ms
# natively), which would halve the training speed; the fast path is negligible. With images decoded
# from files, loading is often what limits training: PyTorch's DataLoader then reads batches in
# worker processes, in parallel with the training step.
#
# **Batch size.** An epoch is `len(loader)` batches, each with a fixed cost (a few Python calls,
# a new array) on top of the copying. The copying is the same for every batch size; the fixed costs
# are paid once per batch:

# %%
data = TensorDataset(X_train, y_train)
epoch_seconds = {}
for batch_size in (1, 8, 64, 512):
    loader = DataLoader(data, batch_size=batch_size, shuffle=True, seed=0)
    seconds = epoch_time(loader)
    epoch_seconds[batch_size] = seconds
    print(
        f"batch_size {batch_size:3d}: {len(loader):5d} batches, {seconds * 1e3:6.2f} ms per epoch, "
        f"{seconds / len(loader) * 1e6:6.1f} µs per batch, each batch x is {batch_size * 64 * 4:7,d} bytes"
    )

# %% [markdown]
# The same measurement with a model in the loop: one epoch of training a small MLP (forward, loss,
# backward, SGD step) at each batch size, next to the loading alone. Both fall as the batch grows,
# because both pay their fixed costs once per batch:

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz


def train_epoch_time(batch_size):
    tt.manual_seed(0)
    model = tt.nn.Sequential(tt.nn.Linear(64, 64), tt.nn.ReLU(), tt.nn.Linear(64, 10))
    opt, loss_fn = tt.optim.SGD(model.parameters(), lr=0.05), tt.nn.CrossEntropyLoss()
    began = time.perf_counter()
    for x, y in DataLoader(data, batch_size=batch_size, shuffle=True, seed=0):
        opt.zero_grad()
        loss_fn(model(tt.Tensor(x)), tt.Tensor(y)).backward()
        opt.step()
    return time.perf_counter() - began


sizes = list(epoch_seconds)
fig, ax = viz.figure(size=(5.5, 3.2))
ax.loglog(sizes, [epoch_seconds[b] * 1e3 for b in sizes], marker="o", label="loading only")
ax.loglog(sizes, [train_epoch_time(b) * 1e3 for b in sizes], marker="s", label="training an MLP")
ax.set_xlabel("batch size")
ax.set_ylabel("ms per epoch (1,437 digits)")
ax.set_title("Time per epoch against batch size")
ax.legend()
viz.show(fig)

# %% [markdown]
# Memory stays small at any batch size: the data set is stored once, and only the current batch is a
# copy (a generator makes one batch at a time). What grows with the batch size is what the *model*
# keeps for backward, the activations of every layer for every sample of the batch (lesson 05
# measured it), and that, more than the loader, is what limits the batch size of a large model.
