"""Gradient utilities, where PyTorch users look for them (torch.nn.utils.clip_grad_norm_).

Lesson 07 writes `clip_grad_norm_`; `tinytorch.training.Trainer` calls it between backward() and step().
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor

__all__ = ["clip_grad_norm_"]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their joint norm is at most `max_norm` (in place).

    The joint norm is the norm of the vector of every parameter's gradient norm (PyTorch's
    `torch.nn.utils.clip_grad_norm_`); gradients are multiplied by min(1, max_norm / (norm + 1e-6)),
    so the direction of the step is kept and only its length is capped. Returns the norm *before*
    clipping, as a 0-d Tensor (watch it to see whether gradients explode).
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    grads = [p.grad.data for p in parameters if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    norm_type = float(norm_type)
    if norm_type == math.inf:
        total = max(np.abs(g).max() for g in grads)
    elif norm_type == 2.0:
        total = np.sqrt(np.array([np.dot(g.ravel(), g.ravel()) for g in grads]).sum())
    else:
        total = np.linalg.norm(np.array([np.linalg.norm(g.ravel(), norm_type) for g in grads]), norm_type)
    total = np.asarray(total, dtype=grads[0].dtype)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total gradient norm is {float(total)}; the loss or the inputs "
            "contain nan/inf (lower the learning rate, check the data)"
        )
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for g in grads:
            g *= coef
    return Tensor(total)
