"""Module 01 (Tensor) and 05 (Autograd): an n-dimensional array that remembers how it was made.

A `Tensor` wraps a NumPy array (`.data`). Every operation computes its result with NumPy and, when
gradients are wanted, records a *backward closure* that maps the gradient of the output to the
gradients of the inputs. `backward()` walks that graph in reverse topological order.

Why closures and not op classes: each op's forward and backward sit next to each other in a few lines,
which is what a learner reads, and the per-op overhead (one small Python object) stays tiny: on the
course's model sizes that overhead, not the arithmetic, dominates.
"""

from __future__ import annotations

import collections
import functools
import numbers

import numpy as np

from . import backend
from .hooks import OP_HOOKS, run_op_hooks
from .tensor_inplace import InPlaceMixin
from .tensor_torch import TorchMethodsMixin

_DEFAULT_FLOAT = np.float32
_grad_enabled = True
_rng = np.random.default_rng(0)


# --------------------------------------------------------------------------------------------------
# grad mode
# --------------------------------------------------------------------------------------------------
class no_grad:
    """Context manager (and decorator) inside which no graph is recorded: for evaluation and updates."""

    _enabled_flag = False

    def __new__(cls, fn=None):
        self = super().__new__(cls)
        # `@no_grad` without parentheses (as PyTorch allows) decorates directly
        return self if fn is None else self(fn)

    def __enter__(self):
        global _grad_enabled
        self._prev = _grad_enabled
        _grad_enabled = self._enabled_flag
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._prev
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)

        return wrapper


class enable_grad(no_grad):
    """Turn graph recording back on inside a `no_grad` block."""

    _enabled_flag = True


def is_grad_enabled() -> bool:
    return _grad_enabled


# --------------------------------------------------------------------------------------------------
# seeding and dtype policy
# --------------------------------------------------------------------------------------------------
def manual_seed(seed: int) -> None:
    """Seed tinytorch's global generator (weight init, dropout, randn without a seed)."""
    global _rng
    _rng = np.random.default_rng(seed)


def default_rng() -> np.random.Generator:
    """The global generator that `manual_seed` controls (layers draw their initial weights from it)."""
    return _rng


def set_default_dtype(dtype) -> None:
    """Float dtype new tensors get from float data (float32 unless changed; float64 for grad checks)."""
    global _DEFAULT_FLOAT
    _DEFAULT_FLOAT = np.dtype(dtype).type


def get_default_dtype():
    return _DEFAULT_FLOAT


def _to_array(data, dtype=None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    if dtype is not None:
        return np.asarray(data, dtype=dtype)
    arr = np.asarray(data)
    if arr.dtype.kind == "f":
        if arr.dtype != _DEFAULT_FLOAT:
            arr = arr.astype(_DEFAULT_FLOAT)
    elif arr.dtype.kind in "iu":
        if arr.dtype != np.int64 and not isinstance(data, np.ndarray):
            arr = arr.astype(np.int64)
    elif arr.dtype.kind not in "b":
        raise TypeError(f"Tensor data must be numeric, got dtype {arr.dtype} from {type(data).__name__}")
    return arr


def _operand(x):
    """An ndarray or list in arithmetic acts as a constant Tensor of its own dtype, so that shape
    mismatches get the same error (naming both shapes) as between two Tensors. A NumPy scalar acts
    as a Python number (as in torch): x / np.sqrt(d) stays float32 instead of becoming float64."""
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, (Tensor, numbers.Number)):
        return x
    arr = np.asarray(x)
    return Tensor(arr, dtype=arr.dtype)


def unbroadcast(grad: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum a gradient of the broadcast result back down to an input's `shape`.

    Broadcasting copies an input along new leading axes and along axes of size 1; each copy
    contributed to the output, so the gradient w.r.t. the input is the sum over those copies.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if grad.shape != shape:  # a gradient smaller than the input (e.g. a scalar) is spread over it
        grad = np.broadcast_to(grad, shape)
    return grad


def _shape_error(op: str, a, b, err: Exception) -> ValueError:
    return ValueError(
        f"{op}: shapes {tuple(np.shape(a))} and {tuple(np.shape(b))} cannot be broadcast together. "
        "Broadcasting aligns shapes from the right; each pair of sizes must be equal or one of them 1. "
        "Reshape one operand (e.g. x.reshape(-1, 1)) so they line up."
    )


class _Size(int):
    """`x.size` is the element count (an int), and, called as torch's method, x.size() is the shape."""

    def __new__(cls, count, shape):
        self = super().__new__(cls, count)
        self._shape = shape
        return self

    def __call__(self, dim=None):
        return self._shape if dim is None else self._shape[dim]


def _rebuild(cls, data, requires_grad):
    return cls(data, requires_grad=requires_grad) if cls is not Tensor else Tensor(data, requires_grad, data.dtype)


def _check_versions(order) -> None:
    """Refuse a backward whose saved inputs were changed in place after the forward (torch's check)."""
    for node in order:
        for parent, seen in zip(node._parents, node._saved, strict=True):
            if parent._version != seen:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an inplace "
                    f"operation: a tensor of shape {parent.shape} used by '{node._opname}' is at version "
                    f"{parent._version}, expected version {seen}. Change it only after backward() (e.g. call "
                    "optimizer.step() after loss.backward()), or use an out-of-place op."
                )


def _graph_released(g):
    raise RuntimeError(
        "Trying to backward through the graph a second time: its saved values were freed after the first "
        "backward(). Recompute the forward pass, or call backward(retain_graph=True) the first time."
    )


def _release_graph(order) -> None:
    for node in order:
        if node._backward is not None:
            node._backward = _graph_released


def _dim_check(shape, axis, op: str):
    """torch's IndexError for a dimension outside the tensor (instead of NumPy's AxisError)."""
    if axis is None:
        return
    n = max(len(shape), 1)
    for d in axis if isinstance(axis, tuple) else (axis,):
        if not -n <= d < n:
            raise IndexError(
                f"{op}: Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d}) "
                f"for a tensor of shape {tuple(shape)}"
            )


# --------------------------------------------------------------------------------------------------
# Tensor
# --------------------------------------------------------------------------------------------------
class Tensor(InPlaceMixin, TorchMethodsMixin):
    """An n-dimensional array (`.data`, a NumPy array) with optional gradient tracking.

    Float data is stored as float32 by default (`set_default_dtype` changes that); integer and
    boolean data keep their kind, and only float tensors can require gradients.
    """

    __slots__ = ("_data", "requires_grad", "grad", "_parents", "_backward", "_opname", "_retain", "_version", "_saved")
    __array_priority__ = 1000  # ndarray (+,*,...) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad: bool = False, dtype=None):
        self._data = _to_array(data, dtype)
        self._version = 0  # bumped by every in-place change; backward checks it (see _check_versions)
        self._saved = ()
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.data.dtype}; "
                "create it from float data, e.g. Tensor(x, dtype=np.float32)"
            )
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self._parents = ()
        self._backward = None
        self._opname = ""
        self._retain = False

    @staticmethod
    def _op(data, parents, backward, opname):
        """Wrap an op's output array; record the graph edge only if some parent needs a gradient.

        `opname` labels the op (kept as `_opname`; profilers and error messages show it).
        `backward(g)` receives the output's gradient (an ndarray of the output's shape) and returns
        one ndarray (or None) per parent; shapes may be the broadcast shape: the engine reduces them.
        """
        if not isinstance(data, np.ndarray):
            data = np.asarray(data)  # NumPy gives scalars for 0-d results; .data is always an ndarray
        if OP_HOOKS:  # tinytorch.hooks.register_op_hook: profilers watch here, nothing is patched
            backward = run_op_hooks(opname, data, parents, backward)
        if (
            parents
            and data.dtype.kind == "f"
            and data.dtype != _DEFAULT_FLOAT
            and all(p.data.dtype.kind != "f" for p in parents)
        ):
            # ints mixed with a Python float (pixels / 255.0, sqrt of an int tensor): NumPy would give
            # float64; like torch, the result gets the default float dtype
            data = data.astype(_DEFAULT_FLOAT)
        out = Tensor.__new__(Tensor)
        out._data = data
        out.grad = None
        out._opname = opname
        out._retain = False
        out._version = 0
        if _grad_enabled and any(p.requires_grad for p in parents):
            out.requires_grad = True
            out._parents = parents
            out._backward = backward
            out._saved = tuple(p._version for p in parents)  # what the backward closure saw
        else:
            out.requires_grad = False
            out._parents = ()
            out._backward = None
            out._saved = ()
        return out

    # ---- the array ------------------------------------------------------------------------------
    @property
    def data(self) -> np.ndarray:
        """The underlying NumPy array (torch's `.data` is a Tensor; here it is the array itself)."""
        return self._data

    @data.setter
    def data(self, value):
        # `p.data -= lr * p.grad` computes a Tensor (ndarray - Tensor defers to Tensor): keep the array
        self._data = value._data if isinstance(value, Tensor) else np.asarray(value)

    # ---- basic properties -----------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self):
        """The element count, which can also be called as torch's method: x.size() -> shape, x.size(d)."""
        return _Size(self._data.size, self._data.shape)

    @property
    def is_leaf(self) -> bool:
        return self._backward is None

    def numel(self) -> int:
        return self.data.size

    def __len__(self) -> int:
        return len(self.data)

    def numpy(self) -> np.ndarray:
        return self.data

    def __array__(self, dtype=None, copy=None):
        return self.data if dtype is None else self.data.astype(dtype)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.data.tolist()

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self.data.dtype != _DEFAULT_FLOAT and self.data.dtype.kind == "f":
            extra += f", dtype={self.data.dtype}"
        return f"Tensor({body}{extra})"

    def __bool__(self):
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; use .any() or .all()")
        return bool(self.data)

    __hash__ = object.__hash__

    def __reduce__(self):
        # pickle (torch.save) keeps the values, never the graph
        return (_rebuild, (type(self), self.data, self.requires_grad))

    # ---- gradient bookkeeping -------------------------------------------------------------------
    def detach(self) -> Tensor:
        """Same data, cut from the graph (no copy)."""
        return Tensor._op(self.data, (), None, "detach")

    def zero_grad(self) -> None:
        self.grad = None

    def retain_grad(self) -> None:
        """Keep `.grad` on this non-leaf tensor after backward (leaves always keep theirs)."""
        self._retain = True

    def requires_grad_(self, flag: bool = True) -> Tensor:
        if flag and self.data.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, got dtype {self.data.dtype}")
        self.requires_grad = flag
        return self

    def backward(self, grad=None, retain_graph=False) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (reverse-mode, one sweep).

        Gradients add up across calls until zeroed, as in PyTorch. The graph is freed afterwards
        (a second backward through it raises) unless retain_graph=True.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() on a tensor that does not require grad: no input had requires_grad=True, "
                "or it was computed under no_grad()"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a gradient needs a scalar output, but this tensor has shape {self.shape}. "
                    "Reduce it first (e.g. loss = out.sum() or out.mean()), or pass grad= a tensor of that shape."
                )
            g = np.ones_like(self.data)
        else:
            g = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.data.dtype)
            if g.shape != self.shape:
                raise ValueError(f"backward(grad): grad has shape {g.shape} but the tensor has shape {self.shape}")

        order = self._topological_order()
        _check_versions(order)
        grads = {id(self): g}
        for node in order:
            g = grads.pop(id(node), None)
            if g is None:
                continue
            if node._backward is None or node._retain:
                node._accumulate(g)
                if node._backward is None:
                    continue
            for parent, pg in zip(node._parents, node._backward(g), strict=False):
                if pg is None or not parent.requires_grad:
                    continue
                if pg.shape != parent.data.shape:
                    pg = unbroadcast(pg, parent.data.shape)
                key = id(parent)
                prev = grads.get(key)
                grads[key] = pg if prev is None else prev + pg
        if not retain_graph:
            _release_graph(order)

    def _accumulate(self, g: np.ndarray) -> None:
        if self.grad is None:
            # own copy: the same upstream array can flow to several leaves
            # (dtype= keeps a float64 leaf's grad float64 when the default float is float32)
            self.grad = Tensor(np.array(g, dtype=self.data.dtype, copy=True), dtype=self.data.dtype)
        else:
            self.grad.data = (self.grad.data + g).astype(self.data.dtype, copy=False)

    def _topological_order(self) -> list:
        """Nodes from this output back to the leaves, each after every node that uses it.

        Iterative (no recursion limit: deep graphs from long sequences are fine).
        """
        order, seen, stack = [], set(), [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            for p in node._parents:
                if p.requires_grad and id(p) not in seen:
                    stack.append((p, False))
        order.reverse()
        return order

    # ---- elementwise arithmetic (broadcasting) --------------------------------------------------
    def __add__(self, other):
        other = _operand(other)
        if isinstance(other, Tensor):
            try:
                data = self.data + other.data
            except ValueError as e:
                raise _shape_error("add", self.data, other.data, e) from None
            return Tensor._op(data, (self, other), lambda g: (g, g), "add")
        return Tensor._op(self.data + other, (self,), lambda g: (g,), "add")

    __radd__ = __add__

    def __sub__(self, other):
        other = _operand(other)
        if isinstance(other, Tensor):
            try:
                data = self.data - other.data
            except ValueError as e:
                raise _shape_error("sub", self.data, other.data, e) from None
            return Tensor._op(data, (self, other), lambda g: (g, -g), "sub")
        return Tensor._op(self.data - other, (self,), lambda g: (g,), "sub")

    def __rsub__(self, other):
        other = _operand(other)
        if isinstance(other, Tensor):
            return other - self
        return Tensor._op(other - self.data, (self,), lambda g: (-g,), "rsub")

    def __mul__(self, other):
        other = _operand(other)
        a = self.data
        if isinstance(other, Tensor):
            b = other.data
            try:
                data = a * b
            except ValueError as e:
                raise _shape_error("mul", a, b, e) from None
            return Tensor._op(data, (self, other), lambda g: (g * b, g * a), "mul")
        return Tensor._op(a * other, (self,), lambda g: (g * other,), "mul")

    __rmul__ = __mul__

    def __truediv__(self, other):
        other = _operand(other)
        a = self.data
        if isinstance(other, Tensor):
            b = other.data
            try:
                data = a / b
            except ValueError as e:
                raise _shape_error("div", a, b, e) from None
            return Tensor._op(data, (self, other), lambda g: (g / b, -g * data / b), "div")
        return Tensor._op(a / other, (self,), lambda g: (g / other,), "div")

    def __rtruediv__(self, other):
        other = _operand(other)
        if isinstance(other, Tensor):
            return other / self
        b = self.data
        data = other / b
        return Tensor._op(data, (self,), lambda g: (-g * data / b,), "rdiv")

    def __neg__(self):
        return Tensor._op(-self.data, (self,), lambda g: (-g,), "neg")

    def __pow__(self, exponent):
        if isinstance(exponent, np.generic):
            exponent = exponent.item()
        a = self.data
        if isinstance(exponent, Tensor):
            e = exponent.data
            data = a**e

            def backward(g):
                ga = g * e * a ** (e - 1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    ge = g * data * np.log(np.where(a > 0, a, 1))
                return ga, ge

            return Tensor._op(data, (self, exponent), backward, "pow")
        if not isinstance(exponent, numbers.Number):
            raise TypeError(f"** needs a number or Tensor exponent, got {type(exponent).__name__}")
        data = a**exponent

        def backward(g):
            if exponent == 0:  # x**0 is constant; a ** -1 at x = 0 would turn the zero into nan
                return (np.zeros_like(g),)
            return (g * exponent * a ** (exponent - 1),)

        return Tensor._op(data, (self,), backward, "pow")

    def __rpow__(self, base):
        base = _operand(base)
        if isinstance(base, Tensor):
            return base**self
        data = np.power(base, self.data)
        return Tensor._op(data, (self,), lambda g: (g * data * np.log(base),), "rpow")

    def __matmul__(self, other):
        if not isinstance(other, Tensor):
            other = Tensor(other)
        a, b = self.data, other.data
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(
                f"matmul needs tensors with at least 1 dimension, got shapes {a.shape} and {b.shape}; use * for scalars"
            )
        ka = a.shape[-1]
        kb = b.shape[-2] if b.ndim > 1 else b.shape[0]
        if ka != kb:
            hint = " (the right operand transposed would fit: try b.T)" if b.ndim == 2 and b.shape[-1] == ka else ""
            raise ValueError(
                f"matmul: shapes {a.shape} and {b.shape} are not aligned: the left operand's last dimension ({ka}) "
                f"must equal the right operand's {'second-to-last' if b.ndim > 1 else 'only'} dimension ({kb}){hint}"
            )
        try:
            data = backend.matmul(a, b)
        except ValueError:
            raise ValueError(
                f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be broadcast together"
            ) from None

        def backward(g):
            if a.ndim == 1 and b.ndim == 1:
                return g * b, g * a
            if a.ndim == 1:
                return (g[..., None, :] @ np.swapaxes(b, -1, -2))[..., 0, :], a[:, None] * g[..., None, :]
            if b.ndim == 1:
                return g[..., None] * b, (np.swapaxes(a, -1, -2) @ g[..., None])[..., 0]
            return backend.matmul(g, np.swapaxes(b, -1, -2)), backend.matmul(np.swapaxes(a, -1, -2), g)

        return Tensor._op(data, (self, other), backward, "matmul")

    def __rmatmul__(self, other):
        return Tensor(other) @ self

    # ---- comparisons (no gradient; boolean tensors) ---------------------------------------------
    def _compare(self, other, fn):
        return Tensor(fn(self.data, other.data if isinstance(other, Tensor) else other))

    def __lt__(self, other):
        return self._compare(other, np.less)

    def __le__(self, other):
        return self._compare(other, np.less_equal)

    def __gt__(self, other):
        return self._compare(other, np.greater)

    def __ge__(self, other):
        return self._compare(other, np.greater_equal)

    def __eq__(self, other):
        return self._compare(other, np.equal)

    def __ne__(self, other):
        return self._compare(other, np.not_equal)

    # ---- unary maths ----------------------------------------------------------------------------
    def exp(self):
        data = np.exp(self.data)
        return Tensor._op(data, (self,), lambda g: (g * data,), "exp")

    def log(self):
        a = self.data
        return Tensor._op(np.log(a), (self,), lambda g: (g / a,), "log")

    def sqrt(self):
        data = np.sqrt(self.data)
        return Tensor._op(data, (self,), lambda g: (g / (2 * data),), "sqrt")

    def tanh(self):
        data = np.tanh(self.data)
        return Tensor._op(data, (self,), lambda g: (g * (1 - data * data),), "tanh")

    def sigmoid(self):
        # exp of a non-positive number only: no overflow for large |x|
        a = self.data
        e = np.exp(-np.abs(a))
        data = np.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        return Tensor._op(data, (self,), lambda g: (g * data * (1 - data),), "sigmoid")

    def relu(self):
        a = self.data
        mask = a > 0
        return Tensor._op(a * mask, (self,), lambda g: (g * mask,), "relu")

    def abs(self):
        a = self.data
        return Tensor._op(np.abs(a), (self,), lambda g: (g * np.sign(a),), "abs")

    def clip(self, min=None, max=None):
        a = self.data
        data = np.clip(a, min, max)
        inside = np.ones(a.shape, dtype=bool)
        if min is not None:
            inside &= a >= min
        if max is not None:
            inside &= a <= max
        return Tensor._op(data, (self,), lambda g: (g * inside,), "clip")

    clamp = clip

    # ---- reductions -----------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        axis = _axis(axis, dim)
        _dim_check(self.shape, axis, "sum")
        keepdims = keepdims or keepdim
        shape = self.data.shape
        data = self.data.sum(axis=axis, keepdims=keepdims)

        def backward(g):
            if not keepdims and axis is not None:
                g = np.expand_dims(g, axis)
            return (np.broadcast_to(g, shape),)

        return Tensor._op(np.asarray(data), (self,), backward, "sum")

    def mean(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        axis = _axis(axis, dim)
        _dim_check(self.shape, axis, "mean")
        keepdims = keepdims or keepdim
        shape = self.data.shape
        data = self.data.mean(axis=axis, keepdims=keepdims)
        count = self.data.size / max(np.asarray(data).size, 1)
        # the mean of integers or booleans (an accuracy: (pred == y).mean()) is a float, never truncated
        dtype = self.data.dtype if self.data.dtype.kind == "f" else _DEFAULT_FLOAT

        def backward(g):
            if not keepdims and axis is not None:
                g = np.expand_dims(g, axis)
            return (np.broadcast_to(g / count, shape),)

        return Tensor._op(np.asarray(data, dtype=dtype), (self,), backward, "mean")

    def var(self, axis=None, keepdims=False, *, dim=None, unbiased=True, keepdim=False, correction=None):
        """Variance, unbiased (n - 1) by default as torch.var; LayerNorm wants unbiased=False."""
        axis = _axis(axis, dim)
        _dim_check(self.shape, axis, "var")
        keepdims = keepdims or keepdim
        if correction is not None:
            unbiased = bool(correction)
        mu = self.mean(axis=axis, keepdims=True)
        d = self - mu
        n = self.data.size / mu.data.size
        return (d * d).sum(axis=axis, keepdims=keepdims) / (n - 1 if unbiased else n)

    def _extreme(self, axis, keepdims, fn, op):
        a = self.data
        data = fn(a, axis=axis, keepdims=True)

        def backward(g):
            if not keepdims and axis is not None:
                g = np.expand_dims(g, axis)
            mask = a == data
            # ties share the gradient equally (as torch.amax does)
            return (g * mask / mask.sum(axis=axis, keepdims=True),)

        out = data if keepdims else (np.squeeze(data, axis=axis) if axis is not None else data.reshape(()))
        return Tensor._op(out, (self,), backward, op)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        """torch: x.max() is the largest element; x.max(dim) is (values, indices); x.max(other) the
        elementwise maximum. NumPy's spelling x.max(axis=...) gives only the values, as NumPy does."""
        return self._extreme_or_pair(dim, keepdim, axis, keepdims, "max")

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=False):
        """Like max: (values, indices) for a dim, values only for NumPy's axis=."""
        return self._extreme_or_pair(dim, keepdim, axis, keepdims, "min")

    def _extreme_or_pair(self, dim, keepdim, axis, keepdims, op):
        if isinstance(dim, Tensor):
            return (maximum if op == "max" else minimum)(self, dim)
        if dim is None:
            axis = _axis(axis, None)
            _dim_check(self.shape, axis, op)
            return self._extreme(axis, keepdims or keepdim, np.max if op == "max" else np.min, op)
        _dim_check(self.shape, dim, op)
        return self._with_index(dim, keepdim or keepdims, np.argmax if op == "max" else np.argmin, op)

    def _with_index(self, dim, keepdim, argfn, op):
        """(values, indices) along `dim`; the gradient goes to the chosen element only (as torch)."""
        a = self.data
        idx = argfn(a, axis=dim, keepdims=True)
        values = np.take_along_axis(a, idx, axis=dim)

        def backward(g):
            if not keepdim:
                g = np.expand_dims(g, dim)
            full = np.zeros(a.shape, dtype=g.dtype)
            np.put_along_axis(full, idx, g, axis=dim)
            return (full,)

        indices = idx if keepdim else np.squeeze(idx, dim)  # (backward keeps the kept-dim idx)
        values = values if keepdim else np.squeeze(values, dim)
        return ValuesIndices(Tensor._op(values, (self,), backward, op), Tensor(indices.astype(np.int64)))

    def argmax(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        axis = _axis(axis, dim)
        _dim_check(self.shape, axis, "argmax")
        return Tensor(np.argmax(self.data, axis=axis, keepdims=keepdims or keepdim))

    def argmin(self, axis=None, keepdims=False, *, dim=None, keepdim=False):
        axis = _axis(axis, dim)
        _dim_check(self.shape, axis, "argmin")
        return Tensor(np.argmin(self.data, axis=axis, keepdims=keepdims or keepdim))

    # ---- shape ----------------------------------------------------------------------------------
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        old = self.data.shape
        try:
            data = self.data.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {old} ({self.data.size} elements) into {shape}"
            ) from None
        return Tensor._op(data, (self,), lambda g: (g.reshape(old),), "reshape")

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        n = max(self.ndim, 1)
        start, end = start_dim % n, end_dim % n
        return self.reshape(self.shape[:start] + (-1,) + self.shape[end + 1 :])

    def transpose(self, dim0=-2, dim1=-1):
        if self.data.ndim < 2:
            raise ValueError(f"transpose needs at least 2 dimensions, got shape {self.shape}")
        _dim_check(self.shape, (dim0, dim1), "transpose")
        data = np.swapaxes(self.data, dim0, dim1)
        return Tensor._op(data, (self,), lambda g: (np.swapaxes(g, dim0, dim1),), "transpose")

    @property
    def T(self):
        if self.data.ndim != 2:
            raise ValueError(f".T is for 2-D tensors, got shape {self.shape}; use transpose(dim0, dim1) or permute")
        return self.transpose(0, 1)

    def permute(self, *dims):
        dims = _shape_args(dims)
        if sorted(d % self.data.ndim for d in dims) != list(range(self.data.ndim)):
            raise ValueError(
                f"permute: dims {dims} are not a permutation of the {self.data.ndim} axes of shape {self.shape}"
            )
        inverse = np.argsort([d % self.data.ndim for d in dims])  # negative dims count from the end
        return Tensor._op(np.transpose(self.data, dims), (self,), lambda g: (np.transpose(g, inverse),), "permute")

    def unsqueeze(self, axis):
        return self.reshape(np.expand_dims(self.data, axis).shape)

    def squeeze(self, axis=None):
        return self.reshape(np.squeeze(self.data, axis).shape)

    def expand(self, *shape):
        shape = _shape_args(shape)
        try:
            data = np.broadcast_to(self.data, shape)
        except ValueError:
            raise ValueError(
                f"expand: cannot expand shape {self.shape} to {shape}; only axes of size 1 "
                "can grow (and new axes can be added on the left)"
            ) from None
        return Tensor._op(data, (self,), lambda g: (g,), "expand")

    def __getitem__(self, index):
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        a = self.data
        try:
            data = a[index]
        except IndexError as e:
            raise IndexError(f"index {index!r} is out of range for a tensor of shape {a.shape}: {e}") from None

        def backward(g):
            full = np.zeros(a.shape, dtype=g.dtype)
            np.add.at(full, index, g)  # repeated indices accumulate
            return (full,)

        return Tensor._op(data, (self,), backward, "getitem")

    def __setitem__(self, index, value):
        if _grad_enabled and (self.requires_grad or self._parents):
            raise RuntimeError(
                "in-place assignment into a tensor that is part of a graph would corrupt its gradients; "
                "build a new tensor instead (e.g. with where() or masked_fill()), or assign under no_grad()"
            )
        if isinstance(index, Tensor):
            index = index.data
        elif isinstance(index, tuple):
            index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
        self.data[index] = value.data if isinstance(value, Tensor) else value
        self._version += 1

    def masked_fill(self, mask, value):
        """Replace entries where `mask` is True with `value` (attention uses this with -inf)."""
        m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
        data = np.where(m, np.asarray(value, dtype=self.data.dtype), self.data)
        return Tensor._op(data, (self,), lambda g: (np.where(m, 0, g),), "masked_fill")

    # ---- dtype ----------------------------------------------------------------------------------
    def astype(self, dtype):
        src = self.data.dtype
        data = self.data.astype(dtype)
        if data.dtype.kind != "f" or src.kind != "f":  # no gradient flows into or out of ints
            return Tensor(data, dtype=data.dtype)
        return Tensor._op(data, (self,), lambda g: (g.astype(src),), "astype")

    def float(self):
        return self.astype(np.float32)

    def double(self):
        return self.astype(np.float64)

    def long(self):
        return self.astype(np.int64)


ValuesIndices = collections.namedtuple("ValuesIndices", ["values", "indices"])
ValuesIndices.__doc__ = "What torch.max(x, dim) / x.topk(k) return: a (values, indices) pair."


def maximum(a, b) -> Tensor:
    """Elementwise maximum (torch.maximum); the gradient goes to the larger side (ties: to a)."""
    a, b = (t if isinstance(t, Tensor) else Tensor(t) for t in (a, b))
    pick = a.data >= b.data
    return Tensor._op(np.where(pick, a.data, b.data), (a, b), lambda g: (g * pick, g * ~pick), "maximum")


def minimum(a, b) -> Tensor:
    """Elementwise minimum (torch.minimum)."""
    a, b = (t if isinstance(t, Tensor) else Tensor(t) for t in (a, b))
    pick = a.data <= b.data
    return Tensor._op(np.where(pick, a.data, b.data), (a, b), lambda g: (g * pick, g * ~pick), "minimum")


def _axis(axis, dim, default=None):
    """The one axis rule: NumPy's `axis=` or torch's `dim=` (never both), else `default`."""
    if dim is not None:
        if axis is not None:
            raise TypeError(f"pass either axis= or dim=, not both (got axis={axis}, dim={dim})")
        axis = dim
    if axis is None:
        axis = default
    if isinstance(axis, list):
        axis = tuple(axis)
    return axis


# --------------------------------------------------------------------------------------------------
# functions that build tensors
# --------------------------------------------------------------------------------------------------
def _shape_args(shape):
    """`f(2, 3)` and `f((2, 3))` both mean the shape (2, 3), as in torch (reshape, the lesson 01 piece,
    spells the same rule out for the learner)."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(shape)


def tensor(data, requires_grad=False, dtype=None, device=None) -> Tensor:
    """A new tensor with its own copy of `data` (as torch.tensor; `from_numpy` shares the array)."""
    src = data.data if isinstance(data, Tensor) else data
    return Tensor(np.array(src, copy=True), requires_grad=requires_grad, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing `array`'s memory and dtype (changes to one show in the other), as torch."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a np.ndarray, got {type(array).__name__}")
    return Tensor(array, dtype=array.dtype)


def zeros(*shape, requires_grad=False, dtype=None) -> Tensor:
    return Tensor(np.zeros(_shape_args(shape), dtype=dtype or _DEFAULT_FLOAT), requires_grad=requires_grad)


def ones(*shape, requires_grad=False, dtype=None) -> Tensor:
    return Tensor(np.ones(_shape_args(shape), dtype=dtype or _DEFAULT_FLOAT), requires_grad=requires_grad)


def full(shape, fill_value, requires_grad=False, dtype=None) -> Tensor:
    return Tensor(
        np.full(_shape_args((shape,)), fill_value, dtype=dtype or _DEFAULT_FLOAT), requires_grad=requires_grad
    )


def zeros_like(t: Tensor, requires_grad=False) -> Tensor:
    return Tensor(np.zeros_like(t.data), requires_grad=requires_grad)


def ones_like(t: Tensor, requires_grad=False) -> Tensor:
    return Tensor(np.ones_like(t.data), requires_grad=requires_grad)


def arange(*args, dtype=None) -> Tensor:
    return Tensor(np.arange(*args, dtype=dtype))


def randn(*shape, seed=None, requires_grad=False, dtype=None) -> Tensor:
    """Standard-normal samples; `seed` gives a private, reproducible stream, else the global one."""
    rng = np.random.default_rng(seed) if seed is not None else _rng
    data = rng.standard_normal(_shape_args(shape)).astype(dtype or _DEFAULT_FLOAT)
    return Tensor(data, requires_grad=requires_grad)


def rand(*shape, seed=None, requires_grad=False, dtype=None) -> Tensor:
    rng = np.random.default_rng(seed) if seed is not None else _rng
    data = rng.random(_shape_args(shape)).astype(dtype or _DEFAULT_FLOAT)
    return Tensor(data, requires_grad=requires_grad)


def _as_tensors(tensors, op):
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError(f"{op} needs at least one tensor")
    return tensors


def concat(tensors, axis=None, *, dim=None) -> Tensor:
    axis = _axis(axis, dim, default=0)
    tensors = _as_tensors(tensors, "concat")
    try:
        data = np.concatenate([t.data for t in tensors], axis=axis)
    except ValueError:
        raise ValueError(
            f"concat along axis {axis}: shapes {[t.shape for t in tensors]} must match in every other axis"
        ) from None
    bounds = np.cumsum([t.shape[axis] for t in tensors])[:-1]
    return Tensor._op(data, tuple(tensors), lambda g: tuple(np.split(g, bounds, axis=axis)), "concat")


cat = concat


def stack(tensors, axis=None, *, dim=None) -> Tensor:
    axis = _axis(axis, dim, default=0)
    tensors = _as_tensors(tensors, "stack")
    try:
        data = np.stack([t.data for t in tensors], axis=axis)
    except ValueError:
        raise ValueError(f"stack needs tensors of one shape, got {[t.shape for t in tensors]}") from None

    def backward(g):
        return tuple(np.take(g, i, axis=axis) for i in range(len(tensors)))

    return Tensor._op(data, tuple(tensors), backward, "stack")


def where(condition, a, b) -> Tensor:
    """Elementwise choice: a where condition else b (gradient flows to the chosen side)."""
    c = condition.data if isinstance(condition, Tensor) else np.asarray(condition)
    a = a if isinstance(a, Tensor) else Tensor(a)
    b = b if isinstance(b, Tensor) else Tensor(b)
    data = np.where(c, a.data, b.data)
    return Tensor._op(data, (a, b), lambda g: (np.where(c, g, 0), np.where(c, 0, g)), "where")
