"""TinyTorch: a PyTorch-shaped machine-learning framework in pure Python on NumPy, built to be learned.

import tinytorch as tt
x = tt.Tensor([1.0, 2.0, 3.0], requires_grad=True)
(x * x).sum().backward(); x.grad   # Tensor([2., 4., 6.])
"""

import importlib
import sys as _sys

from . import _moved, memory
from .device import accelerator, backends, cuda, device
from .functions import *  # noqa: F403  torch's function forms and dtype names (torch.exp, torch.float32, ...)
from .serialization import load, save
from .tensor import (
    Tensor,
    arange,
    cat,
    concat,
    default_rng,
    enable_grad,
    from_numpy,
    full,
    get_default_dtype,
    is_grad_enabled,
    manual_seed,
    maximum,
    minimum,
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
)

__version__ = "0.1.0"

memory.keep_freed_memory()  # glibc: reuse freed arrays' pages instead of re-faulting them every step
_moved.install(_sys.meta_path)  # `tinytorch.checks` & co. moved to tinytorch_course: say so on import

_LAZY = (
    "nn",
    "optim",
    "data",
    "datasets",
    "text",
    "systems",
    "autograd",
    "training",
    "viz",
    "utils",
)


def __getattr__(name):
    # submodules load on first use: `import tinytorch` stays fast in the browser
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    if _moved.new_name(f"{__name__}.{name}"):
        raise AttributeError(_moved.moved_message(f"{__name__}.{name}"))
    raise AttributeError(f"module 'tinytorch' has no attribute {name!r}")
