"""Module 09 (Spatial): Conv2d, MaxPool2d, AvgPool2d, and the naive loop convolution they replace.

Layout is NCHW (batch, channels, height, width) as in PyTorch. The layers are thin wrappers over
`functional.conv2d` / `max_pool2d` / `avg_pool2d`, which vectorise with im2col (one strided view of
every kernel window, then one matrix product). `naive_conv2d` computes exactly the same thing with
Python loops over every output pixel: the reference the acceleration lesson measures against.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module, Parameter


class Conv2d(Module):
    """y[n, o] = bias[o] + sum_c weight[o, c] ⋆ x[n, c]: (N, in_channels, H, W) -> (N, out_channels, H', W').

    H' = (H + 2*padding - kernel_size) // stride + 1 (likewise W'). `weight` is
    (out_channels, in_channels, kh, kw), initialised like torch.nn.Conv2d (Kaiming-uniform,
    fan_in = in_channels*kh*kw).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0, bias: bool = True):
        kh, kw = F._pair(kernel_size, "kernel_size")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = (kh, kw), F._pair(stride, "stride"), F._pair(padding, "padding")
        self.weight = Parameter(init.kaiming_uniform((out_channels, in_channels, kh, kw)))
        self.bias = Parameter(init.bias_uniform((out_channels,), in_channels * kh * kw)) if bias else None

    def forward(self, x):
        if x.ndim != 4:
            hint = " (a single image? add a batch axis: x.reshape(1, *x.shape))" if x.ndim == 3 else ""
            raise ValueError(
                f"Conv2d expects a 4-D input (batch, channels, height, width), got shape {tuple(x.shape)}{hint}"
            )
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"Conv2d(in_channels={self.in_channels}) got an input with {x.shape[1]} channels "
                f"(shape {tuple(x.shape)}); inputs are NCHW, so axis 1 must hold the {self.in_channels} channels"
            )
        return F.conv2d(x, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, bias={self.bias is not None}"
        )


class MaxPool2d(Module):
    """Keep the largest value of each kernel_size window (stride defaults to kernel_size)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        return F.max_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


class AvgPool2d(Module):
    """Average each kernel_size window (stride defaults to kernel_size)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x):
        return F.avg_pool2d(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride or self.kernel_size}, padding={self.padding}"


def naive_conv2d(x, weight, bias=None, stride: int = 1, padding: int = 0) -> Tensor:
    """The textbook convolution, deliberately slow: Python loops over every (image, filter, row, col).

    Same contract and result as `functional.conv2d` (square stride/padding), with a backward that
    loops the same way. It exists to be measured: compare it with the im2col version in the
    acceleration lesson (`benchmarks/conv.py`) to see what moving the loops into NumPy buys.
    """
    x = x if isinstance(x, Tensor) else Tensor(x)
    a, w = x.data, weight.data
    n, c, h, wd = a.shape
    o, c2, kh, kw = w.shape
    if c != c2:
        raise ValueError(f"naive_conv2d: input has {c} channels but weight expects {c2}")
    s, p = stride, padding
    xp = np.pad(a, ((0, 0), (0, 0), (p, p), (p, p)))
    oh, ow = (h + 2 * p - kh) // s + 1, (wd + 2 * p - kw) // s + 1
    out = np.zeros((n, o, oh, ow), dtype=a.dtype)
    for b in range(n):
        for f in range(o):
            for i in range(oh):
                for j in range(ow):
                    window = xp[b, :, i * s : i * s + kh, j * s : j * s + kw]
                    out[b, f, i, j] = np.sum(window * w[f]) + (bias.data[f] if bias is not None else 0)

    def backward(g):
        gxp, gw = np.zeros_like(xp), np.zeros_like(w)
        for b in range(n):
            for f in range(o):
                for i in range(oh):
                    for j in range(ow):
                        gxp[b, :, i * s : i * s + kh, j * s : j * s + kw] += g[b, f, i, j] * w[f]
                        gw[f] += g[b, f, i, j] * xp[b, :, i * s : i * s + kh, j * s : j * s + kw]
        gx = gxp[:, :, p : p + h, p : p + wd]
        if bias is None:
            return gx, gw
        return gx, gw, g.sum(axis=(0, 2, 3))

    parents = (x, weight) if bias is None else (x, weight, bias)
    return Tensor._op(out, parents, backward, "naive_conv2d")


__all__ = ["Conv2d", "MaxPool2d", "AvgPool2d", "naive_conv2d"]
