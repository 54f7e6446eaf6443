"""Issue 2's headline: an MLP built and trained with tinytorch alone learns the 8x8 digits.

64 -> 128 -> 10 with ReLU, Adam, cross-entropy, mini-batches of 32: >= 95 % test accuracy in <= 20 epochs.
"""

import pytest

import tinytorch as tt
from tinytorch import datasets, nn, optim
from tinytorch.data import DataLoader, TensorDataset
from tinytorch.training import Trainer


@pytest.mark.slow
def test_mlp_reaches_95_percent_on_digits():
    X_train, y_train, X_test, y_test = datasets.digits()
    tt.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss(), verbose=False)
    train = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True, seed=0)
    test = DataLoader(TensorDataset(X_test, y_test), batch_size=360)
    history = trainer.fit(train, 20, val_loader=test)
    assert history["train_loss"][-1] < history["train_loss"][0] / 5
    assert history["val_accuracy"][-1] >= 0.95, f"test accuracy per epoch: {history['val_accuracy']}"
