"""Gradient cases: the learner's backward against central finite differences, in float64.

`grad_case("d/dx of x * y", lambda mul, x, y: mul(x, y), x_array, y_array)` builds a `Case` that
1. makes float64 leaf Tensors of the inputs (requires_grad=True) and runs `fn(impl, *leaves)`;
2. back-propagates fixed random output weights `w` (`out.backward(w)`: the gradient of sum(w * out),
   so every output element's gradient is exercised, with no extra ops of the learner's in the way);
3. nudges every input element by +-eps and re-runs the forward, giving the numerical gradient;
4. names the first element where the two disagree: "d/dy[1, 0]: your backward gives 2, finite
   differences give 3".
Keep inputs small (a dozen elements): each element costs two forward passes, and the browser is slow.
"""

from __future__ import annotations

import numpy as np

from tinytorch.tensor import Tensor

from .cases import Case
from .compare import describe


def _leaf(array, requires_grad):
    return Tensor(np.array(array, dtype=np.float64), dtype=np.float64, requires_grad=requires_grad)


def _forward_value(fn, impl, arrays) -> np.ndarray:
    out = fn(impl, *[_leaf(a, False) for a in arrays])
    return np.asarray(out.data, dtype=np.float64)


def numerical_gradients(fn, impl, arrays, weights, eps=1e-6) -> list:
    """d sum(weights * fn(impl, *arrays)) / d arrays[k], by central differences (NumPy only)."""
    grads = []
    for k, base in enumerate(arrays):
        g = np.zeros(base.shape, dtype=np.float64)
        for idx in np.ndindex(*base.shape):
            nudged = [a.copy() for a in arrays]
            nudged[k][idx] = base[idx] + eps
            up = np.sum(weights * _forward_value(fn, impl, nudged))
            nudged[k][idx] = base[idx] - eps
            down = np.sum(weights * _forward_value(fn, impl, nudged))
            g[idx] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def grad_case(name, fn, *inputs, names=None, hint="", eps=1e-6, rtol=1e-4, atol=1e-6, seed=0) -> Case:
    """A Case checking the gradients of `fn(impl, *tensors)` w.r.t. every input.

    names: what to call the inputs in the report (default x, y, z, ...).
    """
    arrays = [np.array(a, dtype=np.float64) for a in inputs]
    labels = list(names or ["x", "y", "z", "u", "v", "w"][: len(arrays)])

    def call(impl):
        leaves = [_leaf(a, True) for a in arrays]
        out = fn(impl, *leaves)
        if not hasattr(out, "backward"):
            return f"the forward returned {describe(out)}, not a Tensor, so there is nothing to backpropagate"
        weights = np.random.default_rng(seed).standard_normal(np.shape(out.data))
        out.backward(weights)
        numeric = numerical_gradients(fn, impl, arrays, weights, eps)
        for label, leaf, num in zip(labels, leaves, numeric, strict=True):
            if leaf.grad is None:
                return (
                    f"{label}.grad is None: the backward pass never reached {label} (is it passed as a parent "
                    f"to Tensor._op, and does your backward return a gradient for it?)"
                )
            ana = np.asarray(leaf.grad.data, dtype=np.float64)
            if ana.shape != num.shape:
                return f"{label}.grad has shape {ana.shape}, expected {num.shape} (the shape of {label})"
            if np.isnan(ana).any():
                idx = tuple(int(i) for i in np.argwhere(np.isnan(ana))[0])
                return f"{label}.grad is NaN at {idx}"
            bad = ~np.isclose(ana, num, rtol=rtol, atol=atol)
            if bad.any():
                idx = tuple(int(i) for i in np.argwhere(bad)[0])
                return (
                    f"d/d{label}{list(idx)}: your backward gives {ana[idx]:.6g}, finite differences give "
                    f"{num[idx]:.6g} ({int(bad.sum())} of {bad.size} elements of {label}.grad are off)"
                )
        return None

    def expected(problem):  # `call` already compared; it returns None or the problem
        return problem

    show = ", ".join(f"{label} = {describe(a)}" for label, a in zip(labels, arrays, strict=True))
    return Case(name, call=call, expected=expected, show=show, hint=hint)
