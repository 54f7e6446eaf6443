"""Module 06: learning-rate schedules that change an optimizer's `param_groups[i]["lr"]` once per epoch.

Same recurrences as torch.optim.lr_scheduler, so the learning-rate sequences agree to the last bit:

    sched = StepLR(opt, step_size=10, gamma=0.5)
    for epoch in range(epochs):
        train_one_epoch(...)
        sched.step()
"""

from __future__ import annotations

import math


class LRScheduler:
    """Base class: `step()` advances `last_epoch` and writes `get_lr()` into the optimizer's groups."""

    def __init__(self, optimizer):
        if not hasattr(optimizer, "param_groups"):
            raise TypeError(f"{type(self).__name__} needs an optimizer (e.g. SGD(...)), got {type(optimizer).__name__}")
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()  # epoch 0: the learning rates stay as given

    def get_lr(self) -> list:
        """Learning rates for epoch `last_epoch`, from the current ones (subclasses define it)."""
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        groups = self.optimizer.param_groups
        lrs = [g["lr"] for g in groups] if self.last_epoch == 0 else self.get_lr()
        for group, lr in zip(groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = [g["lr"] for g in groups]

    def get_last_lr(self) -> list:
        """The learning rate of each parameter group as set by the last `step()`."""
        return list(self._last_lr)

    def state_dict(self) -> dict:
        return {k: (list(v) if isinstance(v, list) else v) for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state: dict) -> None:
        for k, v in state.items():
            setattr(self, k, list(v) if isinstance(v, (list, tuple)) else v)


class StepLR(LRScheduler):
    """Multiply the learning rate by `gamma` every `step_size` epochs."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1):
        if int(step_size) != step_size or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive whole number of epochs, got {step_size}")
        self.step_size, self.gamma = int(step_size), gamma
        super().__init__(optimizer)

    def get_lr(self) -> list:
        """lr times gamma every `step_size` epochs (PyTorch's recursive form)."""
        groups = self.optimizer.param_groups
        if self.last_epoch % self.step_size != 0:
            return [g["lr"] for g in groups]
        return [g["lr"] * self.gamma for g in groups]


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the initial rate down to `eta_min` over `T_max` epochs (then back up).

    lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2, computed recursively from the
    current rate as PyTorch does (so a rate changed by hand keeps being annealed from where it is).
    """

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0):
        if T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be >= 1 epoch, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def get_lr(self) -> list:
        """Cosine from the initial lr down to eta_min over T_max epochs (PyTorch's recursive form)."""
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if (t - 1 - T) % (2 * T) == 0:
            return [
                g["lr"] + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                for base, g in zip(self.base_lrs, groups, strict=True)
            ]
        return [
            (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T)) * (g["lr"] - eta_min) + eta_min
            for g in groups
        ]


class LambdaLR(LRScheduler):
    """lr = initial lr * lr_lambda(epoch): any schedule as a function (warm-up, then decay...)."""

    def __init__(self, optimizer, lr_lambda):
        n = len(optimizer.param_groups)
        self.lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(self.lr_lambdas) != n:
            raise ValueError(f"LambdaLR: {len(self.lr_lambdas)} functions for {n} parameter groups")
        super().__init__(optimizer)
        # torch applies the factor for epoch 0 too
        for group, base, fn in zip(optimizer.param_groups, self.base_lrs, self.lr_lambdas, strict=True):
            group["lr"] = base * fn(0)
        self._last_lr = [g["lr"] for g in optimizer.param_groups]

    def get_lr(self) -> list:
        return [base * fn(self.last_epoch) for base, fn in zip(self.base_lrs, self.lr_lambdas, strict=True)]

    def state_dict(self) -> dict:
        return {k: v for k, v in super().state_dict().items() if k != "lr_lambdas"}
