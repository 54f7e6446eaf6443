"""One epoch of a LeNet-style CNN on the 8x8 digits (conv 1->8 3x3 pad 1, ReLU, maxpool 2, conv 8->16
3x3 pad 1, ReLU, maxpool 2, flatten, linear 64->10; Adam, batch 32) three ways, same batches,
interleaved epochs, medians, one BLAS thread:

  tinytorch   the framework (nn.Sequential, optim.Adam)
  numpy       hand-written forward, backward and Adam (benchmarks/numpy_cnn.py, numpy_adam.py)
  torch       PyTorch CPU

    python -m benchmarks cnn_epoch        python -m benchmarks.cnn_epoch [--epochs 15]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402

import numpy as np  # noqa: E402

import tinytorch as tt  # noqa: E402
from tinytorch import datasets, nn, optim  # noqa: E402

from . import numpy_cnn  # noqa: E402
from .gpt_step import interleaved_times, print_ratios  # noqa: E402
from .numpy_adam import Adam  # noqa: E402

BATCH = 32


def images() -> tuple[np.ndarray, np.ndarray]:
    X, y, _, _ = datasets.digits()
    return np.asarray(X, dtype=np.float32).reshape(-1, 1, 8, 8), np.asarray(y)


def tinytorch_model():
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64, 10),
    )  # fmt: skip


def tinytorch_epoch(X, y):
    tt.manual_seed(0)
    model = tinytorch_model()
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def epoch():
        for i in range(0, len(X), BATCH):
            loss = loss_fn(model(tt.tensor(X[i : i + BATCH])), y[i : i + BATCH])
            opt.zero_grad()
            loss.backward()
            opt.step()

    return epoch


def numpy_epoch(X, y):
    params = numpy_cnn.init_params(0)
    opt = Adam(params, lr=1e-3)

    def epoch():
        for i in range(0, len(X), BATCH):
            _, grads = numpy_cnn.loss_and_grads(params, X[i : i + BATCH], y[i : i + BATCH])
            opt.step(grads)

    return epoch


def torch_model():
    import torch  # noqa: PLC0415

    tnn = torch.nn
    return tnn.Sequential(
        tnn.Conv2d(1, 8, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Conv2d(8, 16, 3, padding=1), tnn.ReLU(), tnn.MaxPool2d(2),
        tnn.Flatten(), tnn.Linear(64, 10),
    )  # fmt: skip


def torch_epoch(X, y):
    import torch  # noqa: PLC0415

    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = torch_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y).long()

    def epoch():
        for i in range(0, len(Xt), BATCH):
            loss = torch.nn.functional.cross_entropy(model(Xt[i : i + BATCH]), yt[i : i + BATCH])
            opt.zero_grad()
            loss.backward()
            opt.step()

    return epoch


def main(argv=None) -> dict:
    """Prints the medians and ratios; returns the medians (seconds) by contender."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    args = parser.parse_args(argv)
    X, y = images()
    runners = {"tinytorch": tinytorch_epoch(X, y), "numpy": numpy_epoch(X, y)}
    try:
        runners["torch"] = torch_epoch(X, y)
    except ImportError:
        print("PyTorch is not installed: tinytorch and NumPy only")
    times = interleaved_times(runners, args.epochs)
    print(f"LeNet-style CNN epoch over {len(X)} 8x8 digits, batch {BATCH}, Adam; median of {args.epochs}, interleaved")
    return print_ratios(times)


if __name__ == "__main__":
    main()
