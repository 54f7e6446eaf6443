"""One training epoch of the digits MLP (64 -> 128 -> 10, ReLU, Adam, cross-entropy) three ways:

  tinytorch   the framework: Sequential + DataLoader + Adam (+ the Trainer, to show its own overhead)
  numpy       hand-written: forward, manual backward and Adam on bare arrays (the floor for pure NumPy)
  torch       PyTorch CPU, same model, same batches (indexing tensors, no torch DataLoader)

Prints the median epoch time of each (several epochs after a warm-up, interleaved) and the ratios
tinytorch/numpy (the bar: <= 2) and tinytorch/torch (< 1: tinytorch faster). `main` returns the
first batch size's medians for `python -m benchmarks`' summary.

    python -m benchmarks mlp_epoch        python -m benchmarks.mlp_epoch [--batch-size 32 64] [--epochs 15]

BLAS and torch run single-threaded unless OPENBLAS_NUM_THREADS / OMP_NUM_THREADS say otherwise: the
browser's NumPy has one thread, and on a busy 2-core machine spinning BLAS threads make the timings
swing by 3-5x (measured), which would drown the per-op overhead this benchmark is about.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # before NumPy / torch load their thread pools

import argparse  # noqa: E402
import statistics  # noqa: E402

import numpy as np  # noqa: E402

import tinytorch as tt  # noqa: E402
from tinytorch import datasets, nn, optim  # noqa: E402
from tinytorch.data import DataLoader, TensorDataset  # noqa: E402
from tinytorch.training import Trainer  # noqa: E402

from . import numpy_mlp  # noqa: E402
from .gpt_step import interleaved_times, round_quartiles  # noqa: E402
from .numpy_adam import Adam  # noqa: E402


# ---- tinytorch -----------------------------------------------------------------------------------
def tinytorch_epoch(X, y, batch_size):
    tt.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True, seed=0)

    def epoch():
        for xb, yb in loader:
            loss = loss_fn(model(xb), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()

    return epoch


def trainer_epoch(X, y, batch_size):
    tt.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=1e-3), nn.CrossEntropyLoss(), verbose=False)
    loader = DataLoader(TensorDataset(X, y), batch_size=batch_size, shuffle=True, seed=0)
    return lambda: trainer.fit(loader, 1)


# ---- hand-written NumPy --------------------------------------------------------------------------
def numpy_epoch(X, y, batch_size):
    """benchmarks/numpy_mlp.py + numpy_adam.py, shuffled like the torch contender."""
    params = numpy_mlp.init_params(0)
    opt = Adam(params, lr=1e-3)
    state = {"epoch": 0}
    n = len(X)

    def epoch():
        order = np.random.default_rng((0, state["epoch"])).permutation(n)
        state["epoch"] += 1
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            _, grads = numpy_mlp.loss_and_grads(params, X[idx], y[idx])
            opt.step(grads)

    return epoch


# ---- PyTorch -------------------------------------------------------------------------------------
def torch_epoch(X, y, batch_size):
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    state = {"epoch": 0}
    n = len(X)

    def epoch():
        order = torch.from_numpy(np.random.default_rng((0, state["epoch"])).permutation(n))
        state["epoch"] += 1
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            loss = loss_fn(model(Xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

    return epoch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, nargs="+", default=[32, 64])
    parser.add_argument("--epochs", type=int, default=15, help="timed epochs per implementation (median)")
    args = parser.parse_args(argv)

    X, y, _, _ = datasets.digits()
    try:
        import torch

        torch_info = f"torch {torch.__version__}"
    except ImportError:
        torch = None
        torch_info = "torch not installed"
    print(
        f"MLP 64-128-10 + Adam, one epoch over {len(X)} digits; median of {args.epochs} epochs "
        f"(numpy {np.__version__}, {torch_info}; BLAS/OMP threads {os.environ['OMP_NUM_THREADS']})"
    )
    summary = None
    for bs in args.batch_size:
        steps = -(-len(X) // bs)
        runners = {"tt": tinytorch_epoch(X, y, bs), "trainer": trainer_epoch(X, y, bs), "np": numpy_epoch(X, y, bs)}
        if torch is not None:
            runners["torch"] = torch_epoch(X, y, bs)
        times = interleaved_times(runners, args.epochs)
        med = {name: statistics.median(ts) for name, ts in times.items()}
        t_tt, t_tr, t_np, t_torch = med["tt"], med["trainer"], med["np"], med.get("torch")
        print(f"\nbatch {bs} ({steps} steps/epoch)")
        print(f"  tinytorch loop   {t_tt * 1e3:8.2f} ms   ({t_tt / steps * 1e6:6.0f} us/step)")
        print(f"  tinytorch Trainer{t_tr * 1e3:8.2f} ms   ({t_tr / steps * 1e6:6.0f} us/step)")
        print(f"  numpy by hand    {t_np * 1e3:8.2f} ms   ({t_np / steps * 1e6:6.0f} us/step)")
        if t_torch is not None:
            print(f"  torch CPU        {t_torch * 1e3:8.2f} ms   ({t_torch / steps * 1e6:6.0f} us/step)")
        print(f"  tinytorch/numpy  {t_tt / t_np:6.2f}x  (bar: <= 2; {round_quartiles(times, 'tt', 'np')})")
        if t_torch is not None:
            spread = round_quartiles(times, "tt", "torch")
            print(f"  tinytorch/torch  {t_tt / t_torch:6.2f}x  (< 1: tinytorch faster; {spread})")
        if summary is None:
            summary = {"tinytorch": t_tt, "numpy": t_np} | ({"torch": t_torch} if t_torch is not None else {})
    return summary


if __name__ == "__main__":
    main()
