"""torch's loss options: reduction='mean' | 'sum' | 'none', ignore_index, label_smoothing, class weights.

The lessons' losses (functional.py) are the plain mean, fused for speed; when a program passes one
of torch's options, the loss is composed here from Tensor ops instead (so gradients come for free;
this module imports only the Tensor, so functional.py can hand over to it without a cycle).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _check_same_shape(name, pred, target):
    if pred.shape != target.shape:
        raise ValueError(
            f"{name}: prediction shape {pred.shape} and target shape {target.shape} differ; they must match"
        )


def reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def check_probabilities(p: np.ndarray) -> None:
    """BCE takes probabilities: raw logits (negative or > 1) would give a negative 'loss'."""
    if p.size and (p.min() < 0 or p.max() > 1):
        raise RuntimeError(
            f"binary_cross_entropy: all elements of input should be between 0 and 1, got values in "
            f"[{p.min():.4g}, {p.max():.4g}]. Apply sigmoid first, or use binary_cross_entropy_with_logits "
            "(nn.BCEWithLogitsLoss) on raw scores."
        )


def mse_loss(pred, target, reduction: str = "mean"):
    pred, target = _t(pred), _t(target)
    _check_same_shape("mse_loss", pred, target)
    d = pred - target
    return reduce(d * d, reduction)


def l1_loss(pred, target, reduction: str = "mean"):
    pred, target = _t(pred), _t(target)
    _check_same_shape("l1_loss", pred, target)
    return reduce((pred - target).abs(), reduction)


def _targets(targets, n: int, c: int, ignore_index: int, what: str) -> np.ndarray:
    y = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{what}: targets must be integer class indices, got dtype {y.dtype}; use targets.long()")
    if y.shape != (n,):
        raise ValueError(f"{what}: targets must have shape ({n},) for {n} rows, got {y.shape}")
    valid = y[y != ignore_index]
    if valid.size and (valid.min() < 0 or valid.max() >= c):
        bad = int(valid.max() if valid.max() >= c else valid.min())
        raise IndexError(f"{what}: target class {bad} is out of range for {c} classes")
    return y


def nll_loss(log_probs, targets, weight=None, ignore_index: int = -100, reduction: str = "mean"):
    """-log_probs[i, y_i], weighted by weight[y_i]; 'mean' divides by the total weight of kept rows."""
    log_probs = _t(log_probs)
    if log_probs.ndim != 2:
        raise ValueError(f"nll_loss expects log-probabilities of shape (N, C), got {log_probs.shape}")
    n, c = log_probs.shape
    y = _targets(targets, n, c, ignore_index, "nll_loss")
    keep = y != ignore_index
    safe = np.where(keep, y, 0)
    w = np.ones(c) if weight is None else np.asarray(weight.data if isinstance(weight, Tensor) else weight)
    row_w = (w[safe] * keep).astype(log_probs.dtype)
    picked = log_probs[np.arange(n), safe]
    loss = -picked * Tensor(row_w, dtype=log_probs.dtype)
    if reduction == "mean":
        return loss.sum() / float(row_w.sum())
    return reduce(loss, reduction)


def cross_entropy(
    logits, targets, weight=None, ignore_index: int = -100, reduction: str = "mean", label_smoothing: float = 0.0
):
    """log_softmax + nll_loss; label smoothing mixes in the mean of -log p over all classes (as torch)."""
    logits = _t(logits)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy expects logits of shape (N, C), got {logits.shape}; flatten extra dims first")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    logp = logits.log_softmax(1)
    nll = nll_loss(logp, targets, weight, ignore_index, "none")
    if label_smoothing:
        if weight is not None:
            raise NotImplementedError("cross_entropy: label_smoothing together with weight= is not supported")
        y = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
        keep = Tensor((y != ignore_index).astype(logits.dtype), dtype=logits.dtype)
        smooth = -logp.mean(dim=1) * keep
        nll = nll * (1 - label_smoothing) + smooth * label_smoothing
    if reduction == "mean":
        y = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
        safe = np.where(y != ignore_index, y, 0)
        w = np.ones(logits.shape[1]) if weight is None else np.asarray(getattr(weight, "data", weight))
        return nll.sum() / float((w[safe] * (y != ignore_index)).sum())
    return reduce(nll, reduction)


def binary_cross_entropy(prob, target, weight=None, reduction: str = "mean"):
    prob, target = _t(prob), _t(target)
    _check_same_shape("binary_cross_entropy", prob, target)
    check_probabilities(prob.data)
    logp = prob.clamp(1e-45, None).log().clamp(-100, None)
    log1mp = (1 - prob).clamp(1e-45, None).log().clamp(-100, None)
    loss = -(target * logp + (1 - target) * log1mp)
    if weight is not None:
        loss = loss * weight
    return reduce(loss, reduction)


def binary_cross_entropy_with_logits(logits, target, weight=None, reduction: str = "mean", pos_weight=None):
    logits, target = _t(logits), _t(target)
    _check_same_shape("binary_cross_entropy_with_logits", logits, target)
    log_sig = -((-logits).relu() + ((-logits.abs()).exp() + 1).log())  # log sigmoid(x), no overflow
    log_one_minus = log_sig - logits  # log(1 - sigmoid(x))
    pos = target * log_sig if pos_weight is None else target * log_sig * pos_weight
    loss = -(pos + (1 - target) * log_one_minus)
    if weight is not None:
        loss = loss * weight
    return reduce(loss, reduction)
