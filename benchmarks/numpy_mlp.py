"""The digits MLP of benchmarks/mlp_epoch.py (64 -> 128 -> ReLU -> 10, mean cross-entropy) written by
hand in NumPy: forward and backward on bare float32 arrays, no tinytorch. With benchmarks/numpy_adam.py
it is the NumPy contender the framework is measured against (the floor for plain NumPy).

Parameters keep torch's names and layouts ("0.weight" is (128, 64), "2.weight" (10, 128)), so the
test loads tinytorch's or torch's weights unchanged.
"""

from __future__ import annotations

import numpy as np

SHAPES = {"0.weight": (128, 64), "0.bias": (128,), "2.weight": (10, 128), "2.bias": (10,)}


def init_params(seed: int = 0) -> dict[str, np.ndarray]:
    """torch's default Linear init: weights and biases uniform in +-1/sqrt(fan_in), float32."""
    rng = np.random.default_rng(seed)
    params = {}
    for name, shape in SHAPES.items():
        bound = 1 / np.sqrt(SHAPES[name.replace("bias", "weight")][1])
        params[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
    return params


def loss_and_grads(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray):
    """Mean cross-entropy of the batch x (N, 64) float32, labels y (N,), and every parameter's gradient."""
    w1, b1, w2, b2 = params["0.weight"], params["0.bias"], params["2.weight"], params["2.bias"]
    n = len(x)
    h = x @ w1.T
    h += b1
    a = np.maximum(h, 0)
    z = a @ w2.T
    z += b2
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = np.mean(np.log(s[:, 0]) - z[rows, y])  # a 0-d array: no Python float per step
    g = e
    g /= s
    g[rows, y] -= 1
    g /= n
    da = g @ w2
    da *= h > 0
    grads = {"0.weight": da.T @ x, "0.bias": da.sum(axis=0), "2.weight": g.T @ a, "2.bias": g.sum(axis=0)}
    return loss, grads
