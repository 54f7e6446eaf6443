"""Adam and AdamW written out by hand on a dict of float32 NumPy arrays: the optimizer half of the
hand-written NumPy contenders (benchmarks/numpy_cnn.py, benchmarks/numpy_gpt.py).

The update is torch.optim.Adam's / AdamW's (bias-corrected moments, eps added after the square root),
so a contender fed the same weights and batches follows the same loss curve as tinytorch and torch.
Every moment update is in place: the floor for plain NumPy, not a deliberately slow version.
"""

from __future__ import annotations

import numpy as np


class Adam:
    """params: name -> float32 array, updated in place by `step(grads)` (grads: the same names).

    weight_decay with decoupled=False is Adam's L2 term (added to the gradient); decoupled=True is
    AdamW (the weights shrink by lr * weight_decay before the Adam step).
    """

    def __init__(
        self,
        params: dict[str, np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        decoupled: bool = False,
    ):
        self.params = params
        self.lr, (self.beta1, self.beta2), self.eps = lr, betas, eps
        self.weight_decay, self.decoupled = weight_decay, decoupled
        self.exp_avg = {name: np.zeros_like(p) for name, p in params.items()}
        self.exp_avg_sq = {name: np.zeros_like(p) for name, p in params.items()}
        self.t = 0

    def step(self, grads: dict[str, np.ndarray]) -> None:
        self.t += 1
        lr, beta1, beta2, wd = self.lr, self.beta1, self.beta2, self.weight_decay
        step_size = lr / (1 - beta1**self.t)
        bias_correction2_sqrt = (1 - beta2**self.t) ** 0.5
        for name, p in self.params.items():
            g = grads[name]
            if wd and self.decoupled:
                p *= 1 - lr * wd
            elif wd:
                g = g + wd * p
            m, v = self.exp_avg[name], self.exp_avg_sq[name]
            m += (1 - beta1) * (g - m)
            v *= beta2
            v += (1 - beta2) * (g * g)
            denom = np.sqrt(v)
            denom /= bias_correction2_sqrt
            denom += self.eps
            p -= step_size * (m / denom)


def adamw(params: dict[str, np.ndarray], lr: float = 1e-3, weight_decay: float = 1e-2) -> Adam:
    """AdamW with torch's defaults (weight_decay 0.01)."""
    return Adam(params, lr=lr, weight_decay=weight_decay, decoupled=True)
