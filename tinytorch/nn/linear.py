"""Module 03 (Layers): Linear, Dropout, Flatten, Identity."""

from __future__ import annotations

from . import functional as F
from . import init
from .module import Module, Parameter


class Linear(Module):
    """y = x @ weight.T + bias; weight (out_features, in_features) as in PyTorch.

    Initialised like torch.nn.Linear (Kaiming-uniform weights, uniform bias), or with
    init="kaiming_normal" / "xavier" when the learner wants to compare schemes.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, init_scheme: str = "default"):
        self.in_features, self.out_features = in_features, out_features
        shape = (out_features, in_features)
        if init_scheme == "default":
            w = init.kaiming_uniform(shape)
        elif init_scheme == "kaiming_normal":
            w = init.kaiming_normal(shape)
        elif init_scheme == "xavier":
            w = init.xavier_uniform(shape)
        else:
            raise ValueError(f"unknown init_scheme {init_scheme!r}; use 'default', 'kaiming_normal' or 'xavier'")
        self.weight = Parameter(w)
        self.bias = Parameter(init.bias_uniform((out_features,), in_features)) if bias else None

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Dropout(Module):
    """Randomly zero activations while training (inverted dropout); identity in eval()."""

    def __init__(self, p: float = 0.5):
        if not 0 <= p < 1:
            raise ValueError(f"Dropout probability must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"


class Flatten(Module):
    """(N, *rest) -> (N, prod(rest)): from conv feature maps to a Linear layer (axes start..end merge)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)


class Identity(Module):
    def forward(self, x):
        return x
