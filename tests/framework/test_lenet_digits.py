"""Module 09 milestone, natively: a LeNet-style CNN trained with tinytorch on the 8x8 digits reaches
at least 97 % test accuracy (measured: about 98 %, a few seconds on an idle machine)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch import optim
from tinytorch.datasets import digits


def lenet() -> nn.Module:
    """Two conv/ReLU/max-pool stages (8x8 -> 4x4 -> 2x2), then a two-layer classifier."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 16, 4, 4)
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # (N, 32, 2, 2)
        nn.Flatten(),
        nn.Linear(128, 64),
        nn.ReLU(),
        nn.Linear(64, 10),
    )


@pytest.mark.slow
def test_lenet_reaches_97_percent_on_digits():
    tt.manual_seed(0)
    X_train, y_train, X_test, y_test = digits(as_images=True)
    model = lenet()
    epochs, batch = 20, 32
    opt = optim.Adam(model.parameters(), lr=3e-3)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    rng = np.random.default_rng(0)
    for _epoch in range(epochs):
        order = rng.permutation(len(X_train))
        for i in range(0, len(order), batch):
            idx = order[i : i + batch]
            loss = F.cross_entropy(model(tt.Tensor(X_train[idx])), y_train[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    model.eval()
    with tt.no_grad():
        accuracy = float((model(tt.Tensor(X_test)).data.argmax(axis=1) == y_test).mean())
    print(f"LeNet on digits: test accuracy {accuracy:.4f} after {epochs} epochs")
    assert accuracy >= 0.97, f"test accuracy {accuracy:.3f} < 0.97"
