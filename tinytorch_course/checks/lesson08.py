"""Checks of lesson 08 (DataLoader): TensorDataset (shape checks, indexing), collating samples into
batches, and the DataLoader's length, reproducible shuffled order, iteration and batching.

Every expected value is built with NumPy from the same arrays (`np.arange` data, so a batch shows at
once which samples it holds). The shuffled order is defined by the documented rule, epoch e of a
loader with seed s visits `np.random.default_rng((s, e)).permutation(n)`, so a resumed run and a
fresh one see the same batches; the cases also check the properties that make a shuffle correct
(each sample exactly once per epoch, a new order every epoch).
"""

from __future__ import annotations

import numpy as np

from tinytorch.data import DataLoader, Dataset, TensorDataset
from tinytorch.tensor import Tensor
from tinytorch_course.checks.cases import Case, Piece, Raises, construct
from tinytorch_course.checks.compare import describe, mismatch

HOME = "tinytorch.data"
F32 = np.float32


def _X(n=10, features=2):
    """Sample i is the row [10 i, 10 i + 1, ...]: easy to recognise in a report."""
    return np.arange(n * features, dtype=F32).reshape(n, features) // features * 10 + np.arange(features, dtype=F32)


def _y(n=10):
    return np.arange(n, dtype=np.int64)


def _dataset(n=10):
    return TensorDataset(Tensor(_X(n)), Tensor(_y(n)))


class _Squares(Dataset):
    """A dataset of the case file's own, read one sample at a time: sample i = ([i, i*i], i)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.array([i, i * i], F32), i


def _same_tensors(got, arrays):
    """None if `got` is a tuple of Tensors holding `arrays` (in order), else what differs."""
    if not isinstance(got, tuple):
        return f"expected a tuple of {len(arrays)} Tensors, got {describe(got)}"
    if len(got) != len(arrays):
        return f"expected a tuple of {len(arrays)} Tensors, got {len(got)} items: {describe(got)}"
    for i, (g, a) in enumerate(zip(got, arrays, strict=False)):
        problem = mismatch(g, a, returns=Tensor, dtype=a.dtype, path=f"[{i}]")
        if problem:
            return problem
    return None


def _batches_equal(got, expected):
    """None if the list of batches `got` equals `expected` (a list of tuples of arrays)."""
    if not isinstance(got, list):
        got = list(got)
    if len(got) != len(expected):
        sizes = [len(b[0]) if isinstance(b, tuple) and b and hasattr(b[0], "shape") else "?" for b in got]
        return f"{len(got)} batches of sizes {sizes}, expected {len(expected)} of sizes {[len(b[0]) for b in expected]}"
    for k, (g, e) in enumerate(zip(got, expected, strict=False)):
        problem = _same_tensors(g, e)
        if problem:
            return f"batch {k}: {problem}"
    return None


# ---- TensorDataset ------------------------------------------------------------------------------------
def init_cases():
    X, y = _X(4, 3), _y(4)

    def kept(ds):
        if not hasattr(ds, "tensors"):
            return "the dataset has no attribute `tensors`"
        return _same_tensors(tuple(ds.tensors) if isinstance(ds.tensors, (tuple, list)) else ds.tensors, (X, y))

    yield Case(
        "TensorDataset(X (4, 3), y (4,)) keeps both as self.tensors",
        call=lambda init: construct(TensorDataset, init, Tensor(X), Tensor(y)),
        expected=kept,
        show="X (4, 3) float32, y (4,) int64",
        hint="self.tensors = a tuple of the tensors, in the order given",
    )
    yield Case(
        "NumPy arrays become Tensors",
        call=lambda init: construct(TensorDataset, init, X, y),
        expected=kept,
        show="X and y given as NumPy arrays",
        hint="wrap anything that is not a Tensor: t if isinstance(t, Tensor) else Tensor(t)",
    )
    yield Case(
        "first dimensions 4 and 5 raise ValueError naming both shapes",
        call=lambda init: construct(TensorDataset, init, Tensor(X), Tensor(_y(5))),
        expected=Raises(ValueError, "(4, 3)", "(5,)"),
        show="X (4, 3), y (5,)",
        hint="every tensor needs one row per sample: compare t.shape[0] of all tensors, name every shape",
    )
    yield Case(
        "no tensors at all raise ValueError",
        call=lambda init: construct(TensorDataset, init),
        expected=Raises(ValueError),
        show="TensorDataset()",
        hint="`if not tensors: raise ValueError(...)`",
    )
    yield Case(
        "a 0-d tensor (no rows) raises ValueError",
        call=lambda init: construct(TensorDataset, init, Tensor(X), Tensor(3.0)),
        expected=Raises(ValueError),
        show="X (4, 3) and a scalar Tensor(3.0)",
        hint="a scalar has no first dimension: check t.ndim == 0 first",
    )


def getitem_cases():
    X, y = _X(5), _y(5)
    yield Case(
        "dataset[1] is the tuple (X[1], y[1]) of Tensors",
        call=lambda impl: impl(_dataset(5), 1),
        expected=lambda got: _same_tensors(got, (X[1], y[1])),
        show="X (5, 2), y (5,); index 1",
        hint="index every tensor's .data with the same index and wrap each result in a Tensor",
    )
    yield Case(
        "dataset[-1] is the last sample",
        call=lambda impl: impl(_dataset(5), -1),
        expected=lambda got: _same_tensors(got, (X[-1], y[-1])),
        show="X (5, 2), y (5,); index -1",
    )
    yield Case(
        "a slice dataset[1:3] gives rows 1 and 2 of each tensor",
        call=lambda impl: impl(_dataset(5), slice(1, 3)),
        expected=lambda got: _same_tensors(got, (X[1:3], y[1:3])),
        show="X (5, 2), y (5,); index 1:3",
        hint="NumPy indexing handles ints, slices and index arrays alike: t.data[index]",
    )
    rows = np.array([3, 0])
    yield Case(
        "an index array dataset[[3, 0]] gives rows 3 and 0, in that order",
        call=lambda impl: impl(_dataset(5), rows),
        expected=lambda got: _same_tensors(got, (X[rows], y[rows])),
        show="X (5, 2), y (5,); index np.array([3, 0])",
    )


def collate_cases():
    samples = [(np.array([1.0, 2.0, 3.0], F32), 7), (np.array([4.0, 5.0, 6.0], F32), 8)]
    yield Case(
        "(x (3,), label) samples become (X (2, 3), y (2,))",
        call=lambda impl: impl(samples),
        expected=lambda got: _same_tensors(got, (np.stack([s[0] for s in samples]), np.array([7, 8]))),
        show="[([1, 2, 3], 7), ([4, 5, 6], 8)]",
        hint="field k of the batch stacks field k of every sample: _stack([s[k] for s in samples], k)",
    )
    tensors = [Tensor(np.full((2, 2), float(i), F32)) for i in range(3)]
    yield Case(
        "samples that are single Tensors (2, 2) become one (3, 2, 2) Tensor",
        call=lambda impl: impl(tensors),
        expected=lambda got: mismatch(got, np.stack([t.data for t in tensors]), returns=Tensor),
        show="three Tensors of shape (2, 2)",
        hint="a sample that is a Tensor, an array or a number is stacked as a whole: _stack(samples, None)",
    )
    yield Case(
        "numbers become a (N,) Tensor",
        call=lambda impl: impl([1.5, 2.5, 3.5, 4.5]),
        expected=lambda got: mismatch(got, np.array([1.5, 2.5, 3.5, 4.5]), returns=Tensor),
        show="[1.5, 2.5, 3.5, 4.5]",
    )
    single = [(np.array([1.0, 2.0], F32), 3)]
    yield Case(
        "a batch of one sample (the last batch can be that small)",
        call=lambda impl: impl(single),
        expected=lambda got: _same_tensors(got, (np.array([[1.0, 2.0]], F32), np.array([3]))),
        show="[([1, 2], 3)]",
        hint="look at samples[0] to decide the batch's structure: a one-sample list has no samples[1]",
    )
    uneven = [(np.zeros(3, F32), 0), (np.zeros(2, F32), 1)]
    yield Case(
        "samples of shapes (3,) and (2,) raise ValueError naming both",
        call=lambda impl: impl(uneven),
        expected=Raises(ValueError, "(3,)", "(2,)"),
        show="[(zeros(3), 0), (zeros(2), 1)]",
        hint="the given _stack(items, field) raises this error: use it rather than np.stack directly",
    )
    yield Case(
        "a sample of an unknown type (a dict) raises TypeError naming it",
        call=lambda impl: impl([{"x": 1}, {"x": 2}]),
        expected=Raises(TypeError, "dict"),
        show="[{'x': 1}, {'x': 2}]",
        hint="anything that is not a tuple/list, Tensor, array or number: TypeError with type(first).__name__",
    )


# ---- DataLoader -------------------------------------------------------------------------------------------
def len_cases():
    for n, bs, drop, want in (
        (10, 4, False, 3),
        (10, 4, True, 2),
        (8, 4, False, 2),
        (8, 4, True, 2),
        (3, 4, False, 1),
        (3, 4, True, 0),
    ):
        yield Case(
            f"{n} samples, batch_size {bs}, drop_last={drop}: {want} batches",
            call=lambda impl, n=n, bs=bs, drop=drop: impl(DataLoader(_dataset(n), batch_size=bs, drop_last=drop)),
            expected=want,
            show=f"DataLoader(dataset of {n}, batch_size={bs}, drop_last={drop})",
            hint=(
                "drop_last: only full batches count, n // batch_size"
                if drop
                else "a smaller last batch still counts: the ceiling of n / batch_size, -(-n // batch_size)"
            ),
        )


def order_cases():
    def loader(n=10, shuffle=True, seed=3):
        return DataLoader(_dataset(n), batch_size=4, shuffle=shuffle, seed=seed)

    yield Case(
        "shuffle=False: 0, 1, ..., n - 1 every epoch",
        call=lambda impl: impl(loader(shuffle=False, seed=None), 5),
        expected=np.arange(10),
        show="DataLoader(10 samples, shuffle=False); epoch 5",
        hint="without shuffling the order is np.arange(len(self.dataset))",
    )

    def permutation(got):
        arr = np.asarray(got)
        if arr.shape != (10,):
            return f"expected 10 indices, got {describe(got)}"
        return (
            None
            if sorted(arr.tolist()) == list(range(10))
            else f"the order {arr.tolist()} is not a permutation of 0..9: every sample must come exactly once per epoch"
        )

    yield Case(
        "shuffled: every sample exactly once per epoch",
        call=lambda impl: impl(loader(), 0),
        expected=permutation,
        show="DataLoader(10 samples, shuffle=True, seed=3); epoch 0",
        hint="a permutation (not n random draws with replacement): rng.permutation(n)",
    )
    for epoch in (0, 1):
        yield Case(
            f"epoch {epoch} of seed 3 is np.random.default_rng((3, {epoch})).permutation(10)",
            call=lambda impl, e=epoch: impl(loader(), e),
            expected=np.random.default_rng((3, epoch)).permutation(10),
            show=f"DataLoader(10 samples, shuffle=True, seed=3); epoch {epoch}",
            hint="seed a new generator from the pair (self.seed, epoch): np.random.default_rng((self.seed, epoch))",
        )

    def two(impl):
        ld = loader()
        return np.asarray(impl(ld, 0)), np.asarray(impl(ld, 1)), np.asarray(impl(ld, 0))

    yield Case(
        "a new order every epoch, the same order for the same epoch",
        call=two,
        expected=lambda got: (
            "epochs 0 and 1 have the same order: the epoch must change the shuffle"
            if np.array_equal(got[0], got[1])
            else (
                None
                if np.array_equal(got[0], got[2])
                else "asking for epoch 0 twice gave two orders: use a generator "
                "seeded from (seed, epoch), not a shared one"
            )
        ),
        show="orders of epochs 0, 1 and 0 again",
        hint="derive the order from (self.seed, epoch) alone",
    )


def iter_cases():
    def ids(batches):
        return [b[1].data.tolist() for b in batches]

    def passes(impl, shuffle=True, count=2, start=None):
        ld = DataLoader(_dataset(10), batch_size=4, shuffle=shuffle, seed=3)
        if start is not None:
            ld.set_epoch(start)
        return [ids(impl(ld)) for _ in range(count)], ld.epoch

    def chunks(order):
        order = list(order)
        return [order[i : i + 4] for i in range(0, len(order), 4)]

    expected = [chunks(np.random.default_rng((3, e)).permutation(10).tolist()) for e in (0, 1)]
    yield Case(
        "two passes: epoch 0's order, then epoch 1's, in batches of 4, 4, 2",
        call=lambda impl: passes(impl),
        expected=(expected, 2),
        show="DataLoader(10 samples, batch_size=4, shuffle=True, seed=3); two passes "
        "(the result lists each batch's sample ids, then the epoch counter)",
        hint="indices = self.order(self.epoch) if self.shuffle else None; self.epoch += 1; "
        "return self._batches(indices)",
    )
    yield Case(
        "after set_epoch(5) the next pass uses epoch 5's order",
        call=lambda impl: passes(impl, count=1, start=5),
        expected=([chunks(np.random.default_rng((3, 5)).permutation(10).tolist())], 6),
        show="DataLoader(10 samples, batch_size=4, shuffle=True, seed=3); set_epoch(5); one pass",
        hint="the order comes from self.epoch, the epochs started so far",
    )
    yield Case(
        "no shuffle: the samples in order",
        call=lambda impl: passes(impl, shuffle=False, count=1),
        expected=([[[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]], 1),
        show="DataLoader(10 samples, batch_size=4, shuffle=False); one pass",
    )


def batches_cases():
    X, y = _X(10), _y(10)

    def run(impl, indices=None, drop=False, dataset=None, collate=None, bs=4):
        ld = DataLoader(dataset or _dataset(10), batch_size=bs, drop_last=drop, collate_fn=collate)
        return list(impl(ld, indices))

    yield Case(
        "in order (indices None): batches of 4, 4 and 2 samples",
        call=lambda impl: run(impl),
        expected=lambda got: _batches_equal(got, [(X[s], y[s]) for s in (slice(0, 4), slice(4, 8), slice(8, 10))]),
        show="TensorDataset X (10, 2), y (10,); batch_size 4; indices None",
        hint="batch b holds samples b * batch_size up to min(b * batch_size + batch_size, n)",
    )
    yield Case(
        "drop_last: the short last batch is left out",
        call=lambda impl: run(impl, drop=True),
        expected=lambda got: _batches_equal(got, [(X[0:4], y[0:4]), (X[4:8], y[4:8])]),
        show="as above with drop_last=True",
        hint="loop over range(len(self)): __len__ already knows about drop_last",
    )
    order = np.array([9, 2, 5, 0, 7, 1, 3, 8, 6, 4])
    yield Case(
        "given indices: the batches follow that order",
        call=lambda impl: run(impl, order),
        expected=lambda got: _batches_equal(
            got, [(X[order[s]], y[order[s]]) for s in (slice(0, 4), slice(4, 8), slice(8, 10))]
        ),
        show=f"indices {order.tolist()}; batch_size 4",
        hint="batch b holds samples indices[b * batch_size : (b + 1) * batch_size]",
    )

    def copy(impl):
        ds = _dataset(10)
        first = run(impl, dataset=ds)[0]
        first[0].data[...] = -1
        return ds.tensors[0].data[:4].copy()

    yield Case(
        "a batch is a copy: writing into it leaves the dataset unchanged",
        call=copy,
        expected=X[:4],
        show="set the first batch's x to -1, then read the dataset's first 4 rows",
        hint="a NumPy slice is a view: copy it (fancy indexing with an index array already copies)",
    )
    sq = _Squares(5)
    want = [(np.array([[i, i * i] for i in s], F32), np.array(list(s))) for s in ([0, 1], [2, 3], [4])]
    yield Case(
        "any Dataset, read sample by sample, is batched by collate_fn",
        call=lambda impl: run(impl, dataset=sq, bs=2),
        expected=lambda got: _batches_equal(got, want),
        show="a Dataset whose sample i is ([i, i*i], i); batch_size 2",
        hint="for a dataset that is not a TensorDataset: self.collate_fn([ds[i] for i in ids])",
    )
    seen = []

    def collate(samples):
        seen.append(len(samples))
        return (Tensor(np.array([s[1].data for s in samples])),)

    yield Case(
        "a custom collate_fn gets each batch's list of samples",
        call=lambda impl: (run(impl, collate=collate), seen)[1],
        expected=[4, 4, 2],
        show="collate_fn records len(samples); TensorDataset of 10, batch_size 4",
        hint="with a custom collate_fn, read the samples one by one and hand the list to it",
    )


PIECES = [
    Piece(
        "TensorDataset.__init__",
        init_cases,
        title="a dataset of tensors",
        todo="keep the tensors (as Tensors) in self.tensors; all need the same first dimension, else ValueError",
        hints=[
            "self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors).",
            "Raise ValueError for no tensors and for a 0-d tensor (t.ndim == 0).",
            "sizes = {t.shape[0] for t in self.tensors}: more than one size is an error naming every shape.",
        ],
    ),
    Piece(
        "TensorDataset.__getitem__",
        getitem_cases,
        title="one sample (or several)",
        todo="return the tuple of every tensor's rows at `index`, as Tensors",
        hints=["tuple(Tensor(t.data[index]) for t in self.tensors)."],
    ),
    Piece(
        "default_collate",
        collate_cases,
        title="samples into a batch",
        todo="stack a list of samples into a batch: tuples field by field, single tensors/arrays/numbers as a whole",
        hints=[
            "Look at samples[0]: a tuple or list means one batched Tensor per field.",
            "The given _stack(items, field) stacks a list into one Tensor and raises a clear error for mixed shapes.",
            "Tensor, np.ndarray or numbers.Number: _stack(samples, None); anything else: TypeError.",
        ],
    ),
    Piece(
        "DataLoader.__len__",
        len_cases,
        title="the number of batches",
        todo="return the number of batches per epoch (full batches only when drop_last)",
        hints=[
            "n = len(self.dataset).",
            "n // self.batch_size with drop_last, else the ceiling: -(-n // self.batch_size).",
        ],
    ),
    Piece(
        "DataLoader.order",
        order_cases,
        title="a reproducible shuffle",
        todo="return the sample indices in the order epoch `epoch` visits them",
        hints=[
            "Without shuffle: np.arange(n).",
            "With shuffle: np.random.default_rng((self.seed, epoch)).permutation(n): the same (seed, epoch) "
            "always gives the same order.",
        ],
    ),
    Piece(
        "DataLoader.__iter__",
        iter_cases,
        title="one pass",
        todo="start a pass over the data: the order of epoch self.epoch (if shuffling), then count the epoch",
        hints=[
            "indices = self.order(self.epoch) if self.shuffle else None.",
            "self.epoch += 1, then return self._batches(indices) (a generator).",
        ],
    ),
    Piece(
        "DataLoader._batches",
        batches_cases,
        title="cut the data into batches",
        todo="yield the batches of one pass: `indices` gives the order (None: in order)",
        hints=[
            "for b in range(len(self)): start, stop = b * bs, min(b * bs + bs, n); the rows are "
            "slice(start, stop) or indices[start:stop].",
            "TensorDataset (with the default collate): one fancy index per tensor, "
            "tuple(Tensor(a[rows]) for a in arrays), copying a plain slice.",
            "Any other dataset: yield self.collate_fn([ds[i] for i in the batch's indices]).",
        ],
    ),
]
