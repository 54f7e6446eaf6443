"""The rest of torch's Tensor methods that real programs use, each built from the core ops in tensor.py.

Kept out of tensor.py so the lessons' Tensor stays the one the learner writes; everything here is
a few lines on top of it (most compose existing ops, so gradients come for free).
"""

from __future__ import annotations

import sys

import numpy as np


def _core():
    # late lookup: tensor.py builds Tensor from this mixin (and `tinytorch.tensor` the attribute is the function)
    return sys.modules[__package__ + ".tensor"]


class TorchMethodsMixin:
    __slots__ = ()

    # ---- shape queries and views ----------------------------------------------------------------
    def dim(self) -> int:
        return self.data.ndim

    ndimension = dim

    def clone(self):
        """A copy with its own array that stays in the graph (gradient flows back unchanged)."""
        return _core().Tensor._op(self.data.copy(), (self,), lambda g: (g,), "clone")

    def contiguous(self):
        return self

    def view_as(self, other):
        return self.reshape(other.shape)

    reshape_as = view_as

    def expand_as(self, other):
        return self.expand(other.shape)

    def type_as(self, other):
        return self.astype(other.dtype)

    def split(self, split_size_or_sections, dim=0):
        """Pieces along `dim`: equal pieces of `split_size` (the last may be shorter), or the listed sizes."""
        n = self.shape[dim]
        if isinstance(split_size_or_sections, int):
            sizes = [split_size_or_sections] * (n // split_size_or_sections)
            if n % split_size_or_sections:
                sizes.append(n % split_size_or_sections)
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise ValueError(f"split: sizes {sizes} add up to {sum(sizes)}, but dim {dim} has size {n}")
        pieces, start = [], 0
        for size in sizes:
            index = [slice(None)] * self.ndim
            index[dim] = slice(start, start + size)
            pieces.append(self[tuple(index)])
            start += size
        return tuple(pieces)

    def chunk(self, chunks: int, dim=0):
        n = self.shape[dim]
        return self.split(-(-n // chunks), dim)

    def unbind(self, dim=0):
        return tuple(self[(slice(None),) * (dim % self.ndim) + (i,)] for i in range(self.shape[dim]))

    def repeat(self, *sizes):
        """Tile the tensor `sizes` times along each axis (torch.Tensor.repeat, NumPy's tile)."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        if len(sizes) < self.ndim:
            raise ValueError(
                f"repeat: {len(sizes)} repeat counts for a tensor of shape {self.shape}; give one per axis"
            )
        shape = (1,) * (len(sizes) - self.ndim) + self.shape
        data = np.tile(self.data.reshape(shape), sizes)

        def backward(g):
            split = [s for pair in zip(sizes, shape, strict=True) for s in pair]  # (reps0, n0, reps1, n1, ...)
            g = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
            return (g.reshape(self.shape),)

        return _core().Tensor._op(data, (self,), backward, "repeat")

    def tril(self, diagonal=0):
        keep = np.tril(np.ones(self.shape[-2:], dtype=bool), diagonal)
        return self.masked_fill(~keep, 0)

    def triu(self, diagonal=0):
        keep = np.triu(np.ones(self.shape[-2:], dtype=bool), diagonal)
        return self.masked_fill(~keep, 0)

    # ---- comparisons by name (x.eq(y) is x == y) -------------------------------------------------
    def eq(self, other):
        return self == other

    def ne(self, other):
        return self != other

    def gt(self, other):
        return self > other

    def ge(self, other):
        return self >= other

    def lt(self, other):
        return self < other

    def le(self, other):
        return self <= other

    # ---- maths ----------------------------------------------------------------------------------
    def sin(self):
        a = self.data
        return _core().Tensor._op(np.sin(a), (self,), lambda g: (g * np.cos(a),), "sin")

    def cos(self):
        a = self.data
        return _core().Tensor._op(np.cos(a), (self,), lambda g: (-g * np.sin(a),), "cos")

    def pow(self, exponent):
        return self**exponent

    def square(self):
        return self * self

    def matmul(self, other):
        return self @ other

    mm = matmul

    def add(self, other, *, alpha=1):
        return self + (other if alpha == 1 else other * alpha)

    def sub(self, other, *, alpha=1):
        return self - (other if alpha == 1 else other * alpha)

    def mul(self, other):
        return self * other

    def div(self, other):
        return self / other

    def softmax(self, dim):
        """Composed from core ops (no overflow: the max is subtracted); F.softmax is the fused one-op form."""
        e = (self - self.max(axis=dim, keepdims=True).detach()).exp()
        return e / e.sum(dim=dim, keepdim=True)

    def log_softmax(self, dim):
        z = self - self.max(axis=dim, keepdims=True).detach()
        return z - z.exp().sum(dim=dim, keepdim=True).log()

    def std(self, dim=None, unbiased=True, keepdim=False, *, correction=None):
        return self.var(dim=dim, unbiased=unbiased, keepdim=keepdim, correction=correction).sqrt()

    def norm(self, p=2, dim=None, keepdim=False):
        """The p-norm (2 by default, 'fro' the same) over all elements or along `dim`."""
        if p in (2, "fro"):
            return (self * self).sum(dim=dim, keepdim=keepdim).sqrt()
        if p == 1:
            return self.abs().sum(dim=dim, keepdim=keepdim)
        return (self.abs() ** p).sum(dim=dim, keepdim=keepdim) ** (1.0 / p)

    def topk(self, k: int, dim=-1, largest=True, sorted=True):
        """The k largest (or smallest) entries along `dim` and where they are, best first."""
        a = self.data
        if not 0 <= k <= a.shape[dim]:
            raise ValueError(f"topk: k={k} is out of range for dim {dim} of size {a.shape[dim]} (shape {a.shape})")
        order = np.argsort(-a if largest else a, axis=dim, kind="stable")
        idx = np.take(order, np.arange(k), axis=dim)
        values = np.take_along_axis(a, idx, axis=dim)

        def backward(g):
            full = np.zeros(a.shape, dtype=g.dtype)
            np.put_along_axis(full, idx, g, axis=dim)
            return (full,)

        core = _core()
        return core.ValuesIndices(core.Tensor._op(values, (self,), backward, "topk"), core.Tensor(idx.astype(np.int64)))

    def all(self):
        return _core().Tensor(np.all(self.data))

    def any(self):
        return _core().Tensor(np.any(self.data))

    # ---- dtype and device -----------------------------------------------------------------------
    def to(self, *args, **kwargs):
        """x.to(dtype) converts; x.to('cpu') / x.to(device) is the tensor itself (tinytorch is CPU-only)."""
        from .device import check_device

        dtype = kwargs.pop("dtype", None)
        for arg in list(args) + [kwargs.pop("device", None)]:
            if arg is None:
                continue
            if isinstance(arg, (str,)) or type(arg).__name__ == "device":
                check_device(arg)
            elif isinstance(arg, TorchMethodsMixin):
                dtype = arg.dtype
            else:
                dtype = arg
        return self if dtype is None or np.dtype(dtype) == self.dtype else self.astype(dtype)

    def cpu(self):
        return self

    @property
    def device(self):
        from .device import device

        return device("cpu")

    def int(self):
        return self.astype(np.int32)

    def bool(self):
        return self.astype(np.bool_)

    def type(self, dtype=None):
        return str(self.dtype) if dtype is None else self.astype(dtype)

    # ---- Python protocols -----------------------------------------------------------------------
    def _one_element(self, what):
        if self.data.size != 1:
            raise ValueError(f"{what} needs a tensor with one element, this one has shape {self.shape}")
        return self.data.reshape(()).item()

    def __index__(self):
        if self.data.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors of a single element can be used as an index, got {self.dtype}")
        return int(self._one_element("an index"))

    def __int__(self):
        return int(self._one_element("int()"))

    def __float__(self):
        return float(self._one_element("float()"))

    def __format__(self, spec):
        if spec and self.data.size == 1:
            return format(self.data.reshape(()).item(), spec)
        return format(repr(self), spec)
