"""The numbers a milestone's targets are gated on, computed with plain NumPy from the model's outputs.

A milestone runs the learner's own pieces (their `accuracy`, `cross_entropy`, `parameter_bytes`, ...).
Those pieces passed their lessons' checks, but checks are finite: an `accuracy` that is right on the
lesson's small cases and wrong on a large batch would let the learner's code judge itself and report a
target it never reached. So the gated numbers come from here: NumPy on the arrays the model produced,
never through a lesson piece. (The model's forward pass itself is the learner's: that is what is graded.)
"""

from __future__ import annotations

import numpy as np


def _array(x) -> np.ndarray:
    return np.asarray(getattr(x, "data", x))


def accuracy(scores, labels) -> float:
    """Fraction of rows whose highest score is the label: scores (N, C), labels (N,) integers."""
    scores, labels = _array(scores), _array(labels)
    if scores.ndim != 2 or labels.shape != (scores.shape[0],):
        raise ValueError(f"accuracy gate: scores (N, C) with labels (N,), got {scores.shape} and {labels.shape}")
    return float(np.mean(np.argmax(scores, axis=1) == labels))


def cross_entropy(logits, targets) -> float:
    """Mean negative log-likelihood of integer targets under logits (..., C), in float64."""
    z = _array(logits).astype(np.float64)
    z = z.reshape(-1, z.shape[-1])
    y = _array(targets).reshape(-1).astype(np.intp)
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(y)), y].mean())


def stored_bytes(model) -> int:
    """Bytes of every parameter and registered buffer, read straight off the arrays (`.nbytes`)."""
    total = sum(np.asarray(p.data).nbytes for p in model.parameters())
    for module in model.modules():
        total += sum(np.asarray(getattr(module, name)).nbytes for name in getattr(module, "_buffers", ()))
    return int(total)
