"""GELU without approximation, x * Phi(x) with Phi the standard normal CDF: torch's nn.GELU() default.

Phi(x) = (1 + erf(x / sqrt(2))) / 2. NumPy has no erf, so it comes from Python's math.erf applied
elementwise (exact to the last bit, ~50 ns per element): the course's own models use the faster tanh
approximation (nn.GELU(approximate='tanh')), as GPT-2 did.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor

_erf = np.frompyfunc(math.erf, 1, 1)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def erf(a: np.ndarray) -> np.ndarray:
    return _erf(a).astype(a.dtype if a.dtype.kind == "f" else np.float64)


def gelu_erf(x: Tensor) -> Tensor:
    a = x.data
    cdf = 0.5 * (1.0 + erf(a * _INV_SQRT_2))
    data = (a * cdf).astype(a.dtype, copy=False)

    def backward(g):
        pdf = _INV_SQRT_2PI * np.exp(-0.5 * a * a)
        return (g * (cdf + a * pdf),)

    return Tensor._op(data, (x,), backward, "gelu")
