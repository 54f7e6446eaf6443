"""Module 05 (Autograd): grad mode switches and the numerical gradient check that keeps us honest.

The engine itself lives in `tensor.py` (`Tensor.backward`). Here is the tool that verifies every
backward closure against central finite differences, in float64, as the course's tests and the
learners' checks do.
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor, enable_grad, is_grad_enabled, no_grad

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "numerical_grad", "gradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree; the message names the first element that is off."""


def _scalar_objective(fn, inputs, weights):
    out = fn(*inputs)
    if weights is None:
        return out
    return (out * Tensor(weights)).sum()


def numerical_grad(fn, inputs, eps=1e-6, weights=None):
    """Central differences d fn / d input for each input, one element at a time (float64).

    `fn(*inputs)` must return a scalar Tensor, or `weights` (same shape as the output) turn it into one.
    """
    grads = []
    with no_grad():
        for x in inputs:
            g = np.zeros(x.data.shape, dtype=np.float64)
            # nudge x.data in place element by element (an index, not a flat view: a transposed,
            # non-contiguous array would be copied by reshape(-1) and the nudge would be lost)
            for i in np.ndindex(*x.data.shape):
                old = x.data[i]
                x.data[i] = old + eps
                up = _scalar_objective(fn, inputs, weights).item()
                x.data[i] = old - eps
                down = _scalar_objective(fn, inputs, weights).item()
                x.data[i] = old
                g[i] = (up - down) / (2 * eps)
            grads.append(g)
    return grads


def gradcheck(fn, inputs, eps=1e-6, rtol=1e-5, atol=1e-7, seed=0):
    """Compare backward() with central differences for every float input that requires grad.

    Inputs should be float64 tensors (finite differences in float32 are too coarse). A non-scalar
    output is reduced with fixed random weights, so every output element's gradient is exercised.
    Returns True, or raises GradcheckError naming the input, the element index and both values.
    """
    inputs = [x if isinstance(x, Tensor) else Tensor(x, dtype=np.float64) for x in inputs]
    for k, x in enumerate(inputs):
        if x.requires_grad and x.data.dtype != np.float64:
            raise TypeError(
                f"gradcheck input {k} has dtype {x.data.dtype}; use float64 tensors (Tensor(x, dtype=np.float64))"
            )
    with enable_grad():
        out = fn(*inputs)
    weights = None
    if out.data.size != 1:
        weights = np.random.default_rng(seed).standard_normal(out.shape)
    for x in inputs:
        x.grad = None
    with enable_grad():
        _scalar_objective(fn, inputs, weights).backward()
    checked = [x for x in inputs if x.requires_grad]
    numeric = numerical_grad(fn, checked, eps=eps, weights=weights)
    for k, (x, num) in enumerate(zip(checked, numeric, strict=True)):
        ana = np.zeros_like(num) if x.grad is None else x.grad.data
        bad = ~np.isclose(ana, num, rtol=rtol, atol=atol)
        if bad.any():
            idx = tuple(int(i) for i in np.argwhere(bad)[0])
            raise GradcheckError(
                f"gradient of input {k} (shape {x.shape}) is off at index {idx}: "
                f"backward gave {ana[idx]:.8g}, finite differences give {num[idx]:.8g} "
                f"({int(bad.sum())} of {bad.size} elements differ)"
            )
    return True
