"""Adadelta: step sizes from running averages of squared gradients and of squared updates.

The update, exactly as torch.optim.Adadelta:
    g = grad + weight_decay * p
    square_avg = rho * square_avg + (1 - rho) * g^2
    delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
    acc_delta = rho * acc_delta + (1 - rho) * delta^2
    p = p - lr * delta
"""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_hyper


class Adadelta(Optimizer):
    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0.0):
        check_hyper("lr", lr, who="Adadelta")
        check_hyper("rho", rho, 0.0, 1.0, who="Adadelta")
        check_hyper("eps", eps, who="Adadelta")
        check_hyper("weight_decay", weight_decay, who="Adadelta")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay))

    def step(self) -> None:
        for group in self.param_groups:
            rho, eps = group["rho"], group["eps"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.data
                state = self.state.get(p)
                if state is None:
                    zeros = np.zeros_like(p.data)
                    state = self.state[p] = {"step": 0, "square_avg": zeros, "acc_delta": zeros.copy()}
                state["step"] += 1
                if group["weight_decay"]:
                    g = g + group["weight_decay"] * p.data
                sq, acc = state["square_avg"], state["acc_delta"]
                sq *= rho
                sq += (1 - rho) * g * g
                delta = np.sqrt(acc + eps) / np.sqrt(sq + eps) * g
                acc *= rho
                acc += (1 - rho) * delta * delta
                p.data -= group["lr"] * delta
