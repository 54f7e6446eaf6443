"""Module 08 (DataLoader): feed a model mini-batches, shuffled differently every epoch.

A `Dataset` is anything with a length and an indexable sample; a `DataLoader` cuts it into batches:

    train = TensorDataset(X_train, y_train)               # X (N, 64), y (N,)
    loader = DataLoader(train, batch_size=64, shuffle=True, seed=0)
    for x, y in loader:                                   # x (64, 64), y (64,); the last batch may be smaller
        ...

For a `TensorDataset` a batch is one NumPy fancy-index per tensor (no per-sample Python loop);
any other dataset is read sample by sample and the samples are stacked.
"""

from __future__ import annotations

import numbers

import numpy as np

from .tensor import Tensor, default_rng

__all__ = ["Dataset", "TensorDataset", "DataLoader", "default_collate"]


class Dataset:
    """A sized collection of samples. Subclasses define `__len__` and `__getitem__(i) -> sample`.

    A sample is usually a tuple `(input, target)` of Tensors, arrays or numbers.
    """

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must define __len__ (the number of samples)")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index) returning one sample")


class TensorDataset(Dataset):
    """Samples are rows: sample i is `(t[i] for t in tensors)`. All tensors need the same first dimension."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor, e.g. TensorDataset(X, y)")
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor(t) for t in tensors)
        for i, t in enumerate(self.tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is a scalar; every tensor needs one row per sample")
        sizes = {t.shape[0] for t in self.tensors}
        if len(sizes) > 1:
            shapes = ", ".join(f"tensor {i} has shape {t.shape}" for i, t in enumerate(self.tensors))
            raise ValueError(
                f"TensorDataset: all tensors must have the same first dimension (one row per sample), but {shapes}"
            )

    def __len__(self) -> int:
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        return tuple(Tensor(t.data[index]) for t in self.tensors)


def _as_array(x) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def default_collate(samples: list):
    """Stack a list of samples into a batch: a tuple of samples -> a tuple of batched Tensors.

    Field k of the batch has shape (len(samples), *shape of field k of one sample).
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(_stack([s[k] for s in samples], k) for k in range(len(first)))
    if isinstance(first, (Tensor, np.ndarray, numbers.Number)):
        return _stack(samples, None)
    raise TypeError(
        f"DataLoader cannot batch samples of type {type(first).__name__}; return a Tensor, an array, "
        "a number, or a tuple of those from __getitem__"
    )


def _stack(items: list, field) -> Tensor:
    arrays = [_as_array(x) for x in items]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        where = f"field {field} of the samples" if field is not None else "the samples"
        raise ValueError(
            f"DataLoader: {where} have different shapes {sorted(shapes)}; a batch needs one shape "
            "(resize or pad them, or use batch_size=1)"
        )
    return Tensor(np.stack(arrays))


class DataLoader:
    """Iterate over a dataset in batches of `batch_size` samples.

    shuffle: a new random order each epoch, reproducible: epoch e uses the order drawn from (seed, e),
      so the same seed gives the same sequence of epochs (like a generator seeded once), and
      `set_epoch(e)` lets a resumed run continue with exactly the orders it would have seen.
      Without a seed one is drawn from tinytorch's global generator (`tt.manual_seed` controls it).
    drop_last: leave out the last batch when it would be smaller than batch_size.
    """

    def __init__(
        self,
        dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
        collate_fn=None,
        num_workers: int = 0,
        pin_memory: bool = False,
        **ignored,
    ):
        # num_workers / pin_memory / persistent_workers...: torch's speed knobs for GPUs and worker
        # processes; one CPU process here, so they are accepted and change nothing
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"DataLoader needs a dataset with __len__ and __getitem__ (e.g. TensorDataset(X, y)), "
                f"got {type(dataset).__name__}"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        if seed is not None and (not isinstance(seed, numbers.Integral) or seed < 0):
            raise ValueError(f"DataLoader: seed must be a non-negative integer, got {seed!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        if shuffle and seed is None:
            seed = int(default_rng().integers(2**63))
        self.seed = seed
        self.collate_fn = collate_fn or default_collate
        self.epoch = 0  # how many epochs have been started; picks the next epoch's order

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        """Make the next iteration use epoch `epoch`'s order (for resuming training from a checkpoint)."""
        self.epoch = int(epoch)

    def order(self, epoch: int) -> np.ndarray:
        """The sample indices in the order epoch `epoch` visits them."""
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng((self.seed, epoch)).permutation(n)

    def __iter__(self):
        indices = self.order(self.epoch) if self.shuffle else None
        self.epoch += 1
        return self._batches(indices)

    def _batches(self, indices):
        n, bs, ds = len(self.dataset), self.batch_size, self.dataset
        fast = (
            isinstance(ds, TensorDataset)
            and type(ds).__getitem__ is TensorDataset.__getitem__
            and self.collate_fn is default_collate
        )
        arrays = [t.data for t in ds.tensors] if fast else None
        for b in range(len(self)):
            start, stop = b * bs, min(b * bs + bs, n)
            rows = slice(start, stop) if indices is None else indices[start:stop]
            if fast:  # one fancy-index (or slice copy) per tensor: batches never alias the dataset
                yield tuple(Tensor(a[rows] if indices is not None else a[rows].copy()) for a in arrays)
            else:
                ids = range(start, stop) if indices is None else rows.tolist()
                yield self.collate_fn([ds[i] for i in ids])

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, drop_last={self.drop_last}, seed={self.seed}) -> {len(self)} batches"
        )
