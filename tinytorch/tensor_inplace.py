"""In-place updates on a Tensor (`p -= lr * p.grad`, `w.zero_()`, `x.add_(y, alpha=2)`), as torch does them.

Why they matter: without `__isub__`, Python turns `p -= lr * p.grad` into `p = p - lr * p.grad`,
which rebinds a loop variable and leaves the model untouched: a training loop that trains nothing.

Rules (torch's):
- under `no_grad` (an optimizer update) the tensor's array is overwritten in place;
- a leaf that requires grad cannot be changed in place while the graph is being recorded;
- a tensor inside a graph becomes a new graph node (its old value feeds it);
- every in-place change bumps `_version`; backward() refuses to use a tensor changed after an op
  saved it ("modified by an inplace operation") instead of returning a wrong gradient.
"""

from __future__ import annotations

import sys

import numpy as np


def _tensor_module():
    # late lookup: tensor.py builds Tensor from this mixin (and `tinytorch.tensor` the attribute is the function)
    return sys.modules[__package__ + ".tensor"]


class InPlaceMixin:
    __slots__ = ()

    def _check_inplace_allowed(self, name: str) -> bool:
        """True when a graph must be recorded; raises for a leaf that requires grad (as torch)."""
        if not _tensor_module().is_grad_enabled():
            return False
        if self.requires_grad and self.is_leaf:
            raise RuntimeError(
                f"a leaf Variable that requires grad is being used in an in-place operation ({name}). "
                "Update parameters inside `with torch.no_grad():` (or use an optimizer)."
            )
        return self.requires_grad

    def _inplace(self, ufunc, other, name: str, graph_op):
        Tensor = _tensor_module().Tensor
        other_grad = isinstance(other, Tensor) and other.requires_grad
        if self._check_inplace_allowed(name) or (other_grad and _tensor_module().is_grad_enabled()):
            return self._become(graph_op(self._snapshot(), other))
        b = other.data if isinstance(other, Tensor) else other
        try:
            ufunc(self._data, b, out=self._data, casting="same_kind")
        except ValueError:
            raise RuntimeError(
                f"{name}: the result of shape {np.broadcast_shapes(self.shape, np.shape(b))} does not fit into "
                f"this tensor of shape {self.shape}; an in-place op cannot change the shape"
            ) from None
        except TypeError:
            raise RuntimeError(
                f"{name}: the result type {np.result_type(self._data, b)} cannot be stored in this tensor of "
                f"dtype {self.dtype}; convert first (x = x.float()) or use the out-of-place form"
            ) from None
        self._version += 1
        return self

    def _snapshot(self):
        """A new Tensor object standing for this tensor's value before the in-place change."""
        Tensor = _tensor_module().Tensor
        old = Tensor.__new__(Tensor)
        for slot in ("_data", "requires_grad", "grad", "_parents", "_backward", "_opname", "_retain", "_saved"):
            setattr(old, slot, getattr(self, slot))
        old._version = self._version
        return old

    def _become(self, result):
        """Take over `result`'s value and graph node (this object is now the in-place op's output)."""
        self._data = result._data
        self.requires_grad = result.requires_grad
        self._parents, self._backward, self._saved = result._parents, result._backward, result._saved
        self._opname = result._opname
        self._version += 1
        return self

    # ---- arithmetic -----------------------------------------------------------------------------
    def __iadd__(self, other):
        return self._inplace(np.add, other, "+=", lambda a, b: a + b)

    def __isub__(self, other):
        return self._inplace(np.subtract, other, "-=", lambda a, b: a - b)

    def __imul__(self, other):
        return self._inplace(np.multiply, other, "*=", lambda a, b: a * b)

    def __itruediv__(self, other):
        return self._inplace(np.true_divide, other, "/=", lambda a, b: a / b)

    def add_(self, other, *, alpha=1):
        return self.__iadd__(other if alpha == 1 else other * alpha)

    def sub_(self, other, *, alpha=1):
        return self.__isub__(other if alpha == 1 else other * alpha)

    def mul_(self, other):
        return self.__imul__(other)

    def div_(self, other):
        return self.__itruediv__(other)

    # ---- overwrite with new values (initialisation, resets) -------------------------------------
    def _fill(self, name: str, values) -> object:
        if self._check_inplace_allowed(name) or (self.requires_grad and not self.is_leaf):
            raise RuntimeError(f"{name} on a tensor inside a recorded graph: do it under torch.no_grad()")
        self._data[...] = values
        self._version += 1
        return self

    def zero_(self):
        return self._fill("zero_", 0)

    def fill_(self, value):
        return self._fill("fill_", value.item() if hasattr(value, "item") else value)

    def copy_(self, src):
        src = src.data if isinstance(src, _tensor_module().Tensor) else np.asarray(src)
        return self._fill("copy_", np.broadcast_to(src, self.shape))

    def normal_(self, mean=0.0, std=1.0):
        rng = _tensor_module().default_rng()
        return self._fill("normal_", rng.normal(mean, std, self.shape))

    def uniform_(self, a=0.0, b=1.0):
        rng = _tensor_module().default_rng()
        return self._fill("uniform_", rng.uniform(a, b, self.shape))

    def clamp_(self, min=None, max=None):
        return self._fill("clamp_", np.clip(self._data, min, max))
