"""The LeNet-style digits CNN of benchmarks/cnn_epoch.py written by hand in NumPy: forward, backward
and Adam on bare float32 arrays, no tinytorch. The NumPy contender the framework is measured against.

Model (as cnn_epoch): conv 1->8 3x3 pad 1, ReLU, maxpool 2, conv 8->16 3x3 pad 1, ReLU, maxpool 2,
flatten (channel, row, column order, as torch), linear 64->10, mean cross-entropy.

Parameters keep torch's names and layouts ("0.weight" is (8, 1, 3, 3), "7.weight" is (10, 64)), so
the test loads tinytorch's or torch's weights unchanged. Inside, activations are NHWC (batch, row,
column, channel): im2col is then one copy of a sliding-window view, the convolution one matrix
product whose output is already NHWC, and the channel axis never needs moving between layers.
Max pooling reshapes each 2x2 window onto a last axis of 4 and keeps its argmax for the backward
pass (ties go to the first element in row-major window order, as torch and tinytorch).
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# name -> shape, torch's nn.Sequential indices: 0 conv1, 3 conv2, 7 linear
SHAPES = {
    "0.weight": (8, 1, 3, 3),
    "0.bias": (8,),
    "3.weight": (16, 8, 3, 3),
    "3.bias": (16,),
    "7.weight": (10, 64),
    "7.bias": (10,),
}


def init_params(seed: int = 0) -> dict[str, np.ndarray]:
    """torch's default init: weights and biases uniform in +-1/sqrt(fan_in), float32."""
    rng = np.random.default_rng(seed)
    params = {}
    for name, shape in SHAPES.items():
        fan_in = int(np.prod(SHAPES[name.replace("bias", "weight")][1:]))
        bound = 1 / np.sqrt(fan_in)
        params[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
    return params


def _conv3x3(x: np.ndarray, w: np.ndarray, b: np.ndarray):
    """3x3 convolution, padding 1, stride 1: x (N, H, W, C) -> (N, H, W, O); also the im2col matrix.

    Columns are in (kh, kw, C) order: the copy then moves contiguous runs of C channels (measured 2x
    faster than (C, kh, kw) order for C = 8); with one channel both orders are the same numbers.
    """
    n, h, wd, c = x.shape
    xp = np.zeros((n, h + 2, wd + 2, c), dtype=x.dtype)
    xp[:, 1:-1, 1:-1] = x
    win = sliding_window_view(xp, (3, 3), axis=(1, 2))  # (N, H, W, C, 3, 3) view
    cols = (win.transpose(0, 1, 2, 4, 5, 3) if c > 1 else win).reshape(n * h * wd, 9 * c)
    out = cols @ w.transpose(0, 2, 3, 1).reshape(w.shape[0], 9 * c).T
    out += b
    return out.reshape(n, h, wd, -1), cols


def _conv3x3_backward(g: np.ndarray, w: np.ndarray, cols: np.ndarray, need_input_grad: bool):
    """Gradients of _conv3x3 for the output gradient g (N, H, W, O): (dx or None, dw, db)."""
    n, h, wd, o = g.shape
    c = w.shape[1]
    g2 = g.reshape(n * h * wd, o)
    dw = (g2.T @ cols).reshape(o, 3, 3, c).transpose(0, 3, 1, 2)
    db = g2.sum(axis=0)
    if not need_input_grad:
        return None, dw, db
    dcols = (g2 @ w.transpose(0, 2, 3, 1).reshape(o, 9 * c)).reshape(n, h, wd, 3, 3, c)
    dxp = np.zeros((n, h + 2, wd + 2, c), dtype=g.dtype)
    for i in range(3):  # col2im: one slice-add per kernel offset
        for j in range(3):
            dxp[:, i : i + h, j : j + wd] += dcols[:, :, :, i, j]
    return dxp[:, 1:-1, 1:-1], dw, db


def _maxpool2(x: np.ndarray):
    """2x2 max pooling, stride 2: x (N, H, W, C) -> (N, H/2, W/2, C) and the winners' indices."""
    n, h, wd, c = x.shape
    windows = x.reshape(n, h // 2, 2, wd // 2, 2, c).transpose(0, 1, 3, 5, 2, 4).reshape(n, h // 2, wd // 2, c, 4)
    idx = windows.argmax(axis=-1)[..., None]
    return np.take_along_axis(windows, idx, axis=-1)[..., 0], idx


def _maxpool2_backward(g: np.ndarray, idx: np.ndarray) -> np.ndarray:
    n, h2, w2, c = g.shape
    dwin = np.zeros((n, h2, w2, c, 4), dtype=g.dtype)
    np.put_along_axis(dwin, idx, g[..., None], axis=-1)
    return dwin.reshape(n, h2, w2, c, 2, 2).transpose(0, 1, 4, 2, 5, 3).reshape(n, 2 * h2, 2 * w2, c)


def loss_and_grads(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray):
    """Mean cross-entropy of the batch x (N, 1, 8, 8) float32, labels y (N,), and every parameter's
    gradient (a dict with params' names)."""
    n = x.shape[0]
    h1, cols1 = _conv3x3(x.transpose(0, 2, 3, 1), params["0.weight"], params["0.bias"])
    r1 = np.maximum(h1, 0)
    p1, idx1 = _maxpool2(r1)
    h2, cols2 = _conv3x3(p1, params["3.weight"], params["3.bias"])
    r2 = np.maximum(h2, 0)
    p2, idx2 = _maxpool2(r2)
    flat = p2.transpose(0, 3, 1, 2).reshape(n, -1)  # torch's flatten order: channel, row, column
    logits = flat @ params["7.weight"].T
    logits += params["7.bias"]

    z = logits - logits.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = np.mean(np.log(s[:, 0]) - z[rows, y])  # a 0-d array: no Python float per step
    dlogits = e / s
    dlogits[rows, y] -= 1
    dlogits /= n

    grads = {"7.weight": dlogits.T @ flat, "7.bias": dlogits.sum(axis=0)}
    dflat = dlogits @ params["7.weight"]
    dp2 = dflat.reshape(p2.shape[0], p2.shape[3], p2.shape[1], p2.shape[2]).transpose(0, 2, 3, 1)
    dh2 = _maxpool2_backward(dp2, idx2)
    dh2 *= h2 > 0
    dp1, grads["3.weight"], grads["3.bias"] = _conv3x3_backward(dh2, params["3.weight"], cols2, True)
    dh1 = _maxpool2_backward(dp1, idx1)
    dh1 *= h1 > 0
    _, grads["0.weight"], grads["0.bias"] = _conv3x3_backward(dh1, params["0.weight"], cols1, False)
    return loss, grads
