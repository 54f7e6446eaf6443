"""Adagrad: each parameter's step shrinks with the sum of its squared gradients so far.

The update, exactly as torch.optim.Adagrad (t counts steps from 1):
    g = grad + weight_decay * p
    sum = sum + g^2
    p = p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(sum) + eps)
"""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_hyper


class Adagrad(Optimizer):
    def __init__(
        self,
        params,
        lr: float = 1e-2,
        lr_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ):
        for name, value in (("lr", lr), ("lr_decay", lr_decay), ("weight_decay", weight_decay), ("eps", eps)):
            check_hyper(name, value, who="Adagrad")
        self._initial = initial_accumulator_value
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay, eps=eps))

    def step(self) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.data
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {"step": 0, "sum": np.full_like(p.data, self._initial)}
                state["step"] = t = state["step"] + 1
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p.data
                state["sum"] += g * g
                clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
                p.data -= clr * g / (np.sqrt(state["sum"]) + group["eps"])
