"""Module 06: RMSprop, dividing each gradient by a running RMS of its recent values.

The update, exactly as torch.optim.RMSprop:
    g = grad + weight_decay * p
    v = alpha v + (1 - alpha) g^2
    avg = sqrt(v - gbar^2) + eps  (centered, gbar = running mean of g)   else   sqrt(v) + eps
    buf = momentum buf + g / avg;  p = p - lr * buf      (momentum > 0)
    p = p - lr * g / avg                                 (otherwise)
"""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, check_hyper


class RMSprop(Optimizer):
    def __init__(
        self,
        params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ):
        check_hyper("lr", lr, who="RMSprop")
        check_hyper("alpha", alpha, who="RMSprop")
        check_hyper("eps", eps, who="RMSprop")
        check_hyper("weight_decay", weight_decay, who="RMSprop")
        check_hyper("momentum", momentum, who="RMSprop")
        super().__init__(
            params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum, centered=centered)
        )

    def step(self) -> None:
        """One update: divide each gradient by the root of its running mean square."""
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            weight_decay, momentum, centered = group["weight_decay"], group["momentum"], group["centered"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.data
                state = self.state.get(p)
                if state is None:
                    state = self.state[p] = {"step": 0, "square_avg": np.zeros_like(p.data)}
                    if momentum > 0:
                        state["momentum_buffer"] = np.zeros_like(p.data)
                    if centered:
                        state["grad_avg"] = np.zeros_like(p.data)
                state["step"] += 1
                if weight_decay:
                    g = g + weight_decay * p.data
                v = state["square_avg"]
                v *= alpha
                v += (1 - alpha) * (g * g)
                if centered:
                    gbar = state["grad_avg"]
                    gbar += (1 - alpha) * (g - gbar)
                    avg = np.sqrt(v - gbar * gbar)
                else:
                    avg = np.sqrt(v)
                avg += eps
                if momentum > 0:
                    buf = state["momentum_buffer"]
                    buf *= momentum
                    buf += g / avg
                    p.data -= lr * buf
                else:
                    p.data -= lr * (g / avg)
