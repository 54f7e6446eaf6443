"""Module 06: Adam and AdamW, per-parameter step sizes from running moments of the gradient.

The update, exactly as torch.optim.Adam (t counts this parameter's steps from 1):
    g = grad + weight_decay * p          (Adam: L2 penalty folded into the gradient)
    p = p * (1 - lr * weight_decay)      (AdamW instead: decay decoupled from the gradient)
    m = m + (1 - beta1) * (g - m)        (= beta1 m + (1 - beta1) g)
    v = beta2 v + (1 - beta2) g^2
    p = p - lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)
The bias corrections undo the zero initialisation of m and v during the first steps.
"""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_hyper


class Adam(Optimizer):
    _decoupled = False

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ):
        who = type(self).__name__
        check_hyper("lr", lr, who=who)
        check_hyper("betas[0]", betas[0], 0.0, 1.0, who=who)
        check_hyper("betas[1]", betas[1], 0.0, 1.0, who=who)
        check_hyper("eps", eps, who=who)
        check_hyper("weight_decay", weight_decay, who=who)
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay)
        if amsgrad:  # only then, so a plain Adam's param_groups match torch's older checkpoints and ours
            defaults["amsgrad"] = True
        super().__init__(params, defaults)

    def step(self) -> None:
        """One update of every parameter with a gradient: m, v moving averages, bias-corrected (Adam/AdamW)."""
        decoupled = self._decoupled
        for group in self.param_groups:
            lr, (beta1, beta2), eps, weight_decay = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.data
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {
                        "step": 0,
                        "exp_avg": np.zeros_like(p.data),
                        "exp_avg_sq": np.zeros_like(p.data),
                    }
                state["step"] = t = state["step"] + 1
                if weight_decay:
                    if decoupled:
                        p.data *= 1 - lr * weight_decay
                    else:
                        g = g + weight_decay * p.data
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m += (1 - beta1) * (g - m)
                v *= beta2
                v += (1 - beta2) * (g * g)
                step_size = lr / (1 - beta1**t)
                if group.get("amsgrad"):  # AMSGrad: divide by the largest v so far, never a smaller one
                    v = state.setdefault("max_exp_avg_sq", np.zeros_like(v))
                    np.maximum(v, state["exp_avg_sq"], out=v)
                denom = np.sqrt(v)
                denom /= (1 - beta2**t) ** 0.5
                denom += eps
                p.data -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): p shrinks by lr*weight_decay each step."""

    _decoupled = True

    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad)
