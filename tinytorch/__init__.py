"""TinyTorch: a PyTorch-shaped machine-learning framework in pure Python on NumPy, built to be learned.

import tinytorch as tt
x = tt.Tensor([1.0, 2.0, 3.0], requires_grad=True)
(x * x).sum().backward(); x.grad   # Tensor([2., 4., 6.])
"""

from .tensor import (
    Tensor,
    arange,
    cat,
    concat,
    default_rng,
    enable_grad,
    full,
    get_default_dtype,
    is_grad_enabled,
    manual_seed,
    no_grad,
    ones,
    ones_like,
    rand,
    randn,
    set_default_dtype,
    stack,
    tensor,
    where,
    zeros,
    zeros_like,
    from_numpy,
    maximum,
    minimum,
)
from .functions import *  # noqa: F403  torch's function forms and dtype names (torch.exp, torch.float32, ...)
from .device import accelerator, backends, cuda, device
from .serialization import load, save

__version__ = "0.1.0"

_LAZY = (
    "nn",
    "optim",
    "data",
    "datasets",
    "text",
    "systems",
    "checks",
    "autograd",
    "training",
    "course",
    "progress",
    "viz",
    "utils",
)


def __getattr__(name):
    # submodules load on first use: `import tinytorch` stays fast in the browser
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'tinytorch' has no attribute {name!r}")
