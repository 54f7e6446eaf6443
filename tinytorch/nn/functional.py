"""Stateless building blocks (modules 02, 04, 12): activations, losses, attention.

Each function is one op with its own backward where that is cheaper or more stable than composing
smaller ops (softmax, log_softmax, cross-entropy, GELU); the rest compose Tensor methods.
"""
from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


# ---- activations (module 02) -------------------------------------------------------------------
def relu(x: Tensor) -> Tensor:
    return _t(x).relu()


def sigmoid(x: Tensor) -> Tensor:
    return _t(x).sigmoid()


def tanh(x: Tensor) -> Tensor:
    return _t(x).tanh()


def gelu(x: Tensor) -> Tensor:
    """GELU, tanh approximation (as in GPT-2 and torch's approximate='tanh'), fused into one op."""
    x = _t(x)
    a = x.data
    inner = _SQRT_2_OVER_PI * (a + 0.044715 * a ** 3)
    th = np.tanh(inner)
    data = 0.5 * a * (1 + th)

    def backward(g):
        d_inner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
        return (g * (0.5 * (1 + th) + 0.5 * a * (1 - th * th) * d_inner),)
    return Tensor._op(data, (x,), backward, "gelu")


def softmax(x: Tensor, axis: int = -1, *, dim=None) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis`, computed after subtracting the max (no overflow)."""
    x = _t(x)
    axis = axis if dim is None else dim
    z = x.data - x.data.max(axis=axis, keepdims=True)
    e = np.exp(z)
    s = e / e.sum(axis=axis, keepdims=True)

    def backward(g):
        return (s * (g - (g * s).sum(axis=axis, keepdims=True)),)
    return Tensor._op(s, (x,), backward, "softmax")


def log_softmax(x: Tensor, axis: int = -1, *, dim=None) -> Tensor:
    """x - logsumexp(x) along `axis`: finite even for logits of magnitude 1e4."""
    x = _t(x)
    axis = axis if dim is None else dim
    z = x.data - x.data.max(axis=axis, keepdims=True)
    out = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))

    def backward(g):
        return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)
    return Tensor._op(out, (x,), backward, "log_softmax")


# ---- losses (module 04) ------------------------------------------------------------------------
def _check_same_shape(name, pred, target):
    if pred.shape != target.shape:
        raise ValueError(
            f"{name}: prediction shape {pred.shape} and target shape {target.shape} differ; "
            "they must match (e.g. reshape the target with .reshape(-1, 1) or the prediction with .reshape(-1))")


def mse_loss(pred: Tensor, target) -> Tensor:
    pred, target = _t(pred), _t(target)
    _check_same_shape("mse_loss", pred, target)
    d = pred - target.detach()
    return (d * d).mean()


def cross_entropy(logits: Tensor, targets) -> Tensor:
    """Mean negative log-likelihood of integer `targets` (N,) under `logits` (N, C).

    Fused log-softmax + NLL: the gradient is simply (softmax - onehot) / N, the most stable form.
    """
    logits = _t(logits)
    y = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy expects logits of shape (N, C), got {logits.shape}; flatten extra dims first")
    n, c = logits.shape
    if y.shape != (n,):
        raise ValueError(f"cross_entropy: targets must have shape ({n},) to match logits {logits.shape}, got {y.shape}")
    if y.dtype.kind not in "iu":
        raise TypeError(f"cross_entropy: targets must be integer class indices, got dtype {y.dtype}; use targets.astype(np.int64)")
    if n and (y.min() < 0 or y.max() >= c):
        raise IndexError(f"cross_entropy: target class {int(y.max() if y.max() >= c else y.min())} is out of range for {c} classes")
    z = logits.data - logits.data.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -logp[rows, y].mean()

    def backward(g):
        grad = np.exp(logp)
        grad[rows, y] -= 1
        return (grad * (g / n),)
    return Tensor._op(np.asarray(loss, dtype=logits.dtype), (logits,), backward, "cross_entropy")


def nll_loss(log_probs: Tensor, targets) -> Tensor:
    log_probs = _t(log_probs)
    y = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    return -log_probs[np.arange(len(y)), y].mean()


def binary_cross_entropy(prob: Tensor, target) -> Tensor:
    """BCE on probabilities; log clamped at -100 like PyTorch, so p = 0 or 1 gives a finite loss."""
    prob, target = _t(prob), _t(target)
    _check_same_shape("binary_cross_entropy", prob, target)
    p, t = prob.data, target.data
    eps = 1e-12
    logp = np.maximum(np.log(np.maximum(p, 0)), -100) if p.size else p
    log1mp = np.maximum(np.log(np.maximum(1 - p, 0)), -100) if p.size else p
    with np.errstate(divide="ignore"):
        loss = -(t * logp + (1 - t) * log1mp).mean()

    def backward(g):
        return (g * (p - t) / np.maximum(p * (1 - p), eps) / p.size,)
    return Tensor._op(np.asarray(loss, dtype=p.dtype), (prob,), backward, "bce")


def binary_cross_entropy_with_logits(logits: Tensor, target) -> Tensor:
    """BCE on logits: max(x,0) - x*t + log(1 + exp(-|x|)), stable for any magnitude."""
    logits, target = _t(logits), _t(target)
    _check_same_shape("binary_cross_entropy_with_logits", logits, target)
    x, t = logits.data, target.data
    loss = (np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))).mean()

    def backward(g):
        e = np.exp(-np.abs(x))
        sig = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return (g * (sig - t) / x.size,)
    return Tensor._op(np.asarray(loss, dtype=x.dtype), (logits,), backward, "bce_logits")


# ---- attention (module 12) ---------------------------------------------------------------------
def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask=None) -> Tensor:
    """softmax(q k^T / sqrt(d) , masked) v for q (..., Lq, d), k (..., Lk, d), v (..., Lk, dv).

    `mask`: boolean, broadcastable to (..., Lq, Lk), True = may attend (PyTorch's convention).
    """
    q, k, v = _t(q), _t(k), _t(v)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"attention: query dim {q.shape[-1]} != key dim {k.shape[-1]} (q {q.shape}, k {k.shape})")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"attention: {k.shape[-2]} keys but {v.shape[-2]} values (k {k.shape}, v {v.shape})")
    scores = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    if mask is not None:
        m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"attention mask must be boolean (True = attend), got dtype {m.dtype}")
        scores = scores.masked_fill(~m, -1e9 if scores.dtype == np.float32 else -1e300)
    return softmax(scores, axis=-1) @ v


def dropout(x: Tensor, p: float = 0.5, training: bool = True, rng=None) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout)."""
    x = _t(x)
    if not training or p == 0:
        return x
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    from ..tensor import default_rng
    keep = ((rng or default_rng()).random(x.shape) >= p).astype(x.dtype) / (1 - p)
    return Tensor._op(x.data * keep, (x,), lambda g: (g * keep,), "dropout")


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x @ W.T + b, one fused op (the hottest path of every model in the course)."""
    a, w = x.data, weight.data
    if a.shape[-1] != w.shape[1]:
        raise ValueError(
            f"Linear: input has {a.shape[-1]} features (shape {a.shape}) but the layer expects {w.shape[1]} "
            f"(weight shape {w.shape}); check in_features or flatten the input")
    out = a @ w.T
    if bias is not None:
        out += bias.data
        parents = (x, weight, bias)
    else:
        parents = (x, weight)

    def backward(g):
        gx = g @ w if x.requires_grad else None
        if a.ndim == 2:
            gw = g.T @ a
        else:
            gw = g.reshape(-1, g.shape[-1]).T @ a.reshape(-1, a.shape[-1])
        if bias is None:
            return gx, gw
        gb = g.sum(axis=tuple(range(g.ndim - 1)))
        return gx, gw, gb
    return Tensor._op(out, parents, backward, "linear")
