"""What the lessons' check files share: seeded inputs, the usual kind of case, NumPy references.

One copy of each, so a lesson's check file holds only its own cases:

* `np_randn(seed, *shape, scale, shift, dtype)` and `np_uniform(seed, *shape, low, high)`: inputs
  from their own seeded NumPy generator (never tinytorch's global one, which the learner's seeded
  runs rely on);
* `with_seed(seed, fn)`: run code that draws from tinytorch's generator (a layer's initialisation)
  reproducibly, and put the generator back as it was;
* `op_case(name, args, expected)`: a case whose result must be a Tensor holding `expected`;
* `np_softmax`, `np_log_softmax`, `np_cross_entropy`: float64 NumPy references.
"""

from __future__ import annotations

import numpy as np

from tinytorch.tensor import Tensor, default_rng, manual_seed
from tinytorch_course.checks.cases import Case

F32 = np.float32


def np_randn(seed: int, *shape: int, scale: float = 1.0, shift: float = 0.0, dtype=F32) -> np.ndarray:
    """Standard-normal values * scale + shift, from a generator of their own."""
    return (np.random.default_rng(seed).standard_normal(shape) * scale + shift).astype(dtype)


def np_uniform(seed: int, *shape: int, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    """float64 values uniform in [low, high) (gradient checks want float64), from a generator of their own."""
    return np.random.default_rng(seed).uniform(low, high, size=shape)


def with_seed(seed: int, fn):
    """Run fn under tt.manual_seed(seed), then put tinytorch's global generator back as it was."""
    state = default_rng().bit_generator.state
    try:
        manual_seed(seed)
        return fn()
    finally:
        default_rng().bit_generator.state = state


def op_case(name: str, args: tuple, expected, **kw) -> Case:
    """A case whose result must be a Tensor holding `expected` (same shape; float32 unless `dtype=`)."""
    dtype = kw.pop("dtype", F32)
    return Case(name, args, np.asarray(expected, dtype=dtype), returns=Tensor, dtype=dtype, **kw)


def np_softmax(x, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, np.float64)
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x, axis: int = -1) -> np.ndarray:
    x = np.asarray(x, np.float64)
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


def np_cross_entropy(logits, targets) -> float:
    """Mean over the rows of -log softmax(logits)[row, target]: what F.cross_entropy returns."""
    targets = np.asarray(targets)
    return float(-np_log_softmax(logits, axis=-1)[np.arange(len(targets)), targets].mean())
