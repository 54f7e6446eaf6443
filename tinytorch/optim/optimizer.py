"""Module 06 (Optimizers): the base class every optimizer shares.

An optimizer holds *parameter groups* (lists of parameters with their own hyper-parameters, as in
PyTorch: `opt.param_groups[0]["lr"]` is what a learning-rate scheduler changes) and a per-parameter
*state* (momentum buffers, moment estimates, step counts). Subclasses only define `step()`.

Updates run on the raw NumPy arrays (`p.data`), in place and outside the autograd graph: an update is
bookkeeping, not part of the model's computation.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor


class Optimizer:
    """Base class: parameter groups, per-parameter state, `zero_grad`, `state_dict`/`load_state_dict`."""

    def __init__(self, params, defaults: dict):
        if isinstance(params, Tensor):
            raise TypeError(
                f"{type(self).__name__} expects an iterable of parameters, got a single Tensor of shape "
                f"{params.shape}; wrap it in a list: {type(self).__name__}([w], ...)"
            )
        if hasattr(params, "parameters") and callable(params.parameters):
            raise TypeError(
                f"{type(self).__name__} got the model itself; pass its parameters: "
                f"{type(self).__name__}(model.parameters(), ...)"
            )
        self.defaults = dict(defaults)
        self.state: dict = {}  # parameter -> dict of its buffers (keyed by identity)
        self.param_groups: list = []
        groups = list(params)
        if not groups:
            raise ValueError(
                f"{type(self).__name__} got an empty parameter list: does the model have any parameters? "
                "(layers must be assigned as attributes in __init__, e.g. self.fc = Linear(4, 2))"
            )
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        """Add parameters with their own hyper-parameters (missing ones take the defaults)."""
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, got {type(p).__name__}")
            if p.data.dtype.kind != "f":
                raise TypeError(f"{type(self).__name__} can only optimize float tensors, got dtype {p.data.dtype}")
            if id(p) in seen:
                raise ValueError("some parameters appear more than once; each parameter may be in one group only")
            seen.add(id(p))
        new = {k: v for k, v in self.defaults.items()}
        new.update(group)
        new["params"] = params
        self.param_groups.append(new)

    # ---- the learning rate, for people (schedulers use param_groups like PyTorch's) --------------
    @property
    def lr(self) -> float:
        """The learning rate (of the first group); setting it sets every group's."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        for group in self.param_groups:
            group["lr"] = value

    # ---- gradients ------------------------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of the last backward (they would otherwise add up)."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.data[...] = 0

    def step(self) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define step()")

    # ---- persistence ----------------------------------------------------------------------------
    def _all_params(self) -> list:
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self) -> dict:
        """{"state": {index: {name: value}}, "param_groups": [{hyper-parameters, "params": [index]}]}.

        Parameters are referred to by their position (as in PyTorch), buffers are copies, so the
        result stays valid while training goes on and can be loaded into a fresh optimizer.
        """
        index = {id(p): i for i, p in enumerate(self._all_params())}
        state = {
            index[id(p)]: {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()}
            for p, s in self.state.items()
        }
        groups = [
            dict({k: v for k, v in g.items() if k != "params"}, params=[index[id(p)] for p in g["params"]])
            for g in self.param_groups
        ]
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore buffers, step counts and hyper-parameters saved by `state_dict()` (exact copies)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"load_state_dict: the saved optimizer has {len(groups)} parameter groups, this one "
                f"has {len(self.param_groups)}"
            )
        for i, (saved, own) in enumerate(zip(groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(own["params"]):
                raise ValueError(
                    f"load_state_dict: parameter group {i} has {len(saved['params'])} parameters in the "
                    f"saved state but {len(own['params'])} here; was it saved from another model?"
                )
        by_index = {}
        for saved, own in zip(groups, self.param_groups, strict=True):
            for i, p in zip(saved["params"], own["params"], strict=True):
                by_index[int(i)] = p
        self.state = {}
        for i, buffers in state_dict["state"].items():
            p = by_index[int(i)]
            restored = {}
            for name, value in buffers.items():
                if isinstance(value, np.ndarray) and value.ndim > 0:
                    if value.shape != p.shape:
                        raise ValueError(
                            f"load_state_dict: {name} of parameter {i} has shape {value.shape} but the "
                            f"parameter has shape {p.shape}"
                        )
                    value = value.astype(p.data.dtype, copy=True)
                elif isinstance(value, np.ndarray) or isinstance(value, np.generic):
                    value = value.item()
                restored[name] = value
            self.state[p] = restored
        for saved, own in zip(groups, self.param_groups, strict=True):
            for k, v in saved.items():
                if k != "params":
                    own[k] = tuple(v) if isinstance(v, list) else v

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(
                f"  group {i}: {len(g['params'])} parameters, "
                + ", ".join(f"{k}={v}" for k, v in g.items() if k not in ("params", "initial_lr"))
            )
        return "\n".join(lines) + "\n)"


def check_hyper(name: str, value: float, low: float = 0.0, high: float | None = None, *, who: str) -> None:
    """Raise a ValueError naming the hyper-parameter and its valid range (0 <= value [< high])."""
    if not (value >= low and (high is None or value < high)):
        rng = f"in [{low}, {high})" if high is not None else f">= {low}"
        raise ValueError(f"{who}: {name} must be {rng}, got {value}")
