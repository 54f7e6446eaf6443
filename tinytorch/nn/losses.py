"""Module 04 (Losses) as modules; each returns the mean over the batch, like PyTorch's default."""

from __future__ import annotations

from . import functional as F
from .module import Module


class MSELoss(Module):
    def forward(self, pred, target):
        return F.mse_loss(pred, target)


class CrossEntropyLoss(Module):
    """Logits (N, C) and integer targets (N,); log-sum-exp inside, finite for logits of 1e4."""

    def forward(self, logits, targets):
        return F.cross_entropy(logits, targets)


class NLLLoss(Module):
    def forward(self, log_probs, targets):
        return F.nll_loss(log_probs, targets)


class BCELoss(Module):
    def forward(self, prob, target):
        return F.binary_cross_entropy(prob, target)


class BCEWithLogitsLoss(Module):
    def forward(self, logits, target):
        return F.binary_cross_entropy_with_logits(logits, target)
