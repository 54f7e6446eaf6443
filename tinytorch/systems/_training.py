"""The small training loop the systems tools share (fine-tuning, the capstone's baselines).

It is the course's own `Trainer` (module 07) with Adam and cross-entropy on arrays X, y; pruning
passes masks, which wrap the optimizer so pruned weights stay zero.
"""

from __future__ import annotations

import numpy as np

from ..nn import functional as F


def make_loader(X, y, batch_size: int, seed: int, shuffle: bool = True):
    from ..data import DataLoader, TensorDataset

    return DataLoader(TensorDataset(np.asarray(X), np.asarray(y)), batch_size=batch_size, shuffle=shuffle, seed=seed)


def train_classifier(
    model,
    X,
    y,
    epochs: int = 10,
    lr: float = 1e-3,
    batch_size: int = 32,
    seed: int = 0,
    verbose: bool = False,
    masks: dict | None = None,
) -> dict:
    """Adam + cross-entropy for `epochs` over (X, y) in shuffled batches; returns Trainer.history."""
    from ..optim import Adam
    from ..training import Trainer

    opt = Adam(model.parameters(), lr=lr)
    if masks:
        from .pruning import MaskedOptimizer

        opt = MaskedOptimizer(opt, model, masks)
    history = Trainer(model, opt, F.cross_entropy, verbose=verbose).fit(make_loader(X, y, batch_size, seed), epochs)
    model.eval()
    return history
