"""Weight initialisation: the variance-preserving schemes that let deep nets train from step one.

All draw from tinytorch's global generator, so `tt.manual_seed(n)` makes a model reproducible.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import default_rng, get_default_dtype


def _fans(shape):
    fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else shape[0]
    fan_out = shape[0] * (int(np.prod(shape[2:])) if len(shape) > 2 else 1)
    return fan_in, fan_out


def uniform(shape, bound):
    return default_rng().uniform(-bound, bound, size=shape).astype(get_default_dtype())


def kaiming_uniform(shape, a=5**0.5):
    """PyTorch's default for Linear/Conv2d weights: U(-b, b), b = gain*sqrt(3/fan_in)."""
    fan_in, _ = _fans(shape)
    gain = math.sqrt(2.0 / (1 + a * a))
    return uniform(shape, gain * math.sqrt(3.0 / fan_in))


def kaiming_normal(shape):
    """He init for ReLU nets: N(0, 2/fan_in)."""
    fan_in, _ = _fans(shape)
    return (default_rng().standard_normal(shape) * math.sqrt(2.0 / fan_in)).astype(get_default_dtype())


def xavier_uniform(shape, gain=1.0):
    """Glorot init for tanh/sigmoid nets: U(-b, b), b = gain*sqrt(6/(fan_in+fan_out))."""
    fan_in, fan_out = _fans(shape)
    return uniform(shape, gain * math.sqrt(6.0 / (fan_in + fan_out)))


def bias_uniform(shape, fan_in):
    """PyTorch's default bias init: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    return uniform(shape, 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0)


# ---- torch.nn.init's in-place forms: fill an existing weight tensor (under no_grad, as torch) -------
def _fill(tensor, values):
    from ..tensor import no_grad

    with no_grad():
        return tensor.copy_(values)


def normal_(tensor, mean: float = 0.0, std: float = 1.0):
    return _fill(tensor, default_rng().normal(mean, std, tensor.shape))


def uniform_(tensor, a: float = 0.0, b: float = 1.0):
    return _fill(tensor, default_rng().uniform(a, b, tensor.shape))


def zeros_(tensor):
    return _fill(tensor, 0.0)


def ones_(tensor):
    return _fill(tensor, 1.0)


def constant_(tensor, val: float):
    return _fill(tensor, val)


def xavier_uniform_(tensor, gain: float = 1.0):
    return _fill(tensor, xavier_uniform(tensor.shape, gain))


def kaiming_uniform_(tensor, a: float = 0.0, nonlinearity: str = "leaky_relu"):
    return _fill(tensor, kaiming_uniform(tensor.shape, a))


def kaiming_normal_(tensor):
    return _fill(tensor, kaiming_normal(tensor.shape))
