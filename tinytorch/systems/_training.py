"""The small training loop the systems tools share (fine-tuning, distillation, the capstone's baselines).

It is the course's own `Trainer` (module 07) on arrays X, y: Adam and cross-entropy unless the caller
passes its own optimizer or loss. It knows nothing of pruning or distillation: pruning passes a
`MaskedOptimizer`, distillation a loss that reads the teacher's logits.
"""

from __future__ import annotations

import numpy as np

from ..data import DataLoader, TensorDataset
from ..nn import functional as F
from ..optim import Adam
from ..training import Trainer


def make_loader(X, y, batch_size: int, seed: int, shuffle: bool = True) -> DataLoader:
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
    optimizer=None,
    loss_fn=None,
    metrics=("accuracy",),
) -> dict:
    """Train `model` on (X, y) in shuffled batches for `epochs`; returns Trainer.history.

    optimizer: default Adam(model.parameters(), lr=lr); loss_fn(outputs, targets): default cross-entropy.
    The model is left in eval mode.
    """
    opt = optimizer if optimizer is not None else Adam(model.parameters(), lr=lr)
    trainer = Trainer(model, opt, loss_fn if loss_fn is not None else F.cross_entropy, verbose=verbose)
    history = trainer.fit(make_loader(X, y, batch_size, seed), epochs, metrics=metrics)
    model.eval()
    return history
