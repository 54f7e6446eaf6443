"""Module 02 (Activations) as layers, so they can sit inside Sequential."""

from __future__ import annotations

from . import functional as F
from .module import Module


class ReLU(Module):
    def forward(self, x):
        return F.relu(x)


class Sigmoid(Module):
    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return F.tanh(x)


class GELU(Module):
    """GELU with the tanh approximation (torch.nn.GELU(approximate='tanh'))."""

    def forward(self, x):
        return F.gelu(x)


class Softmax(Module):
    def __init__(self, axis: int = -1, *, dim=None):
        self.axis = axis if dim is None else dim

    def forward(self, x):
        return F.softmax(x, self.axis)

    def extra_repr(self):
        return f"axis={self.axis}"


class LogSoftmax(Softmax):
    def forward(self, x):
        return F.log_softmax(x, self.axis)
