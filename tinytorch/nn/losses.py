"""Module 04 (Losses) as modules; each returns the mean over the batch by default, like PyTorch.

torch's options (reduction=, ignore_index=, label_smoothing=, weight=) are kept and passed on only
when set, so the default path is the lesson's fused loss.
"""

from __future__ import annotations

from . import functional as F
from .module import Module


class _Loss(Module):
    _DEFAULTS: dict = {"reduction": "mean"}

    def __init__(self, **options):
        unknown = set(options) - set(self._DEFAULTS)
        if unknown:
            raise TypeError(f"{type(self).__name__} got unexpected options {sorted(unknown)}")
        # only what differs from the default: the plain mean stays on the lesson's fused path
        self.options = {k: v for k, v in options.items() if v is not self._DEFAULTS[k] and v != self._DEFAULTS[k]}
        self.reduction = options.get("reduction", "mean")

    def extra_repr(self):
        return ", ".join(f"{k}={v!r}" for k, v in self.options.items())


class MSELoss(_Loss):
    def forward(self, pred, target):
        return F.mse_loss(pred, target, **self.options)


class L1Loss(_Loss):
    def forward(self, pred, target):
        return F.l1_loss(pred, target, **self.options)


class CrossEntropyLoss(_Loss):
    """Logits (N, C) and integer targets (N,); log-sum-exp inside, finite for logits of 1e4."""

    _DEFAULTS = {"weight": None, "ignore_index": -100, "reduction": "mean", "label_smoothing": 0.0}

    def forward(self, logits, targets):
        return F.cross_entropy(logits, targets, **self.options)


class NLLLoss(_Loss):
    _DEFAULTS = {"weight": None, "ignore_index": -100, "reduction": "mean"}

    def forward(self, log_probs, targets):
        return F.nll_loss(log_probs, targets, **self.options)


class BCELoss(_Loss):
    _DEFAULTS = {"weight": None, "reduction": "mean"}

    def forward(self, prob, target):
        return F.binary_cross_entropy(prob, target, **self.options)


class BCEWithLogitsLoss(_Loss):
    _DEFAULTS = {"weight": None, "reduction": "mean", "pos_weight": None}

    def forward(self, logits, target):
        return F.binary_cross_entropy_with_logits(logits, target, **self.options)
