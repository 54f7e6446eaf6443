"""Module 06: stochastic gradient descent, with momentum, Nesterov momentum and weight decay.

The update, exactly as torch.optim.SGD:
    g = grad + weight_decay * p
    buf = g                      on the first step (the buffer starts at the first gradient)
    buf = momentum * buf + (1 - dampening) * g          afterwards
    g = g + momentum * buf  if nesterov  else  buf
    p = p - lr * g
"""

from __future__ import annotations

from .optimizer import Optimizer, check_hyper


class SGD(Optimizer):
    def __init__(
        self,
        params,
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ):
        check_hyper("lr", lr, who="SGD")
        check_hyper("momentum", momentum, who="SGD")
        check_hyper("weight_decay", weight_decay, who="SGD")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"SGD: Nesterov momentum needs momentum > 0 and dampening = 0, "
                f"got momentum={momentum}, dampening={dampening}"
            )
        super().__init__(
            params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        )

    def step(self) -> None:
        """One update: p -= lr * (gradient + weight decay, through the momentum buffer if any)."""
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad.data
                if weight_decay:
                    g = g + weight_decay * p.data
                if momentum:
                    state = self.state.get(p)
                    if state is None:
                        buf = g.copy()
                        self.state[p] = {"momentum_buffer": buf}
                    else:
                        buf = state["momentum_buffer"]
                        buf *= momentum
                        buf += (1 - dampening) * g if dampening else g
                    g = g + momentum * buf if nesterov else buf
                p.data -= lr * g
