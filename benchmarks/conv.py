"""Conv2d forward + backward three ways, on the shapes the course's CNNs use:

  naive     `tinytorch.nn.conv.naive_conv2d`: Python loops over every (image, filter, row, column)
  im2col    `tinytorch.nn.functional.conv2d`: one strided view of all windows, one matrix product
  torch     PyTorch CPU `F.conv2d` (single thread, like NumPy in the browser)

Prints the median time of each per shape and the ratios naive/im2col (what vectorising buys) and
im2col/torch (how far we are from a C++ framework). BLAS runs single-threaded (set before NumPy is
imported) because Pyodide has no BLAS threads and tiny matrices only lose from threading.

    python benchmarks/conv.py [--repeats 15] [--naive-repeats 3]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import tinytorch as tt  # noqa: E402
import tinytorch.nn.functional as F  # noqa: E402
from tinytorch.nn.conv import naive_conv2d  # noqa: E402

# (label, input (N, C, H, W), weight (O, C, kh, kw), stride, padding)
SHAPES = [
    ("LeNet-digits conv1", (32, 1, 8, 8), (16, 1, 3, 3), 1, 1),
    ("LeNet-digits conv2", (32, 16, 4, 4), (32, 16, 3, 3), 1, 1),
    ("MNIST conv1 5x5", (16, 1, 28, 28), (8, 1, 5, 5), 1, 0),
    ("MNIST conv2 5x5", (16, 8, 12, 12), (16, 8, 5, 5), 1, 0),
    ("strided 3x3 s2", (16, 8, 16, 16), (16, 8, 3, 3), 2, 1),
]


def median_seconds(runners: dict, repeats: int) -> dict:
    """Median seconds per call of each runner; calls are interleaved round-robin, so a burst of load
    on a shared machine hits every implementation alike instead of skewing one."""
    for run in runners.values():
        run()  # warm-up
    times = {name: [] for name in runners}
    for _ in range(repeats):
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(ts) for name, ts in times.items()}


def tinytorch_step(conv, x, w, b, g, stride, padding):
    xs = [tt.Tensor(a, requires_grad=True) for a in (x, w, b)]

    def step():
        for t in xs:
            t.grad = None
        conv(*xs, stride=stride, padding=padding).backward(g)

    return step


def torch_step(torch, x, w, b, g, stride, padding):
    xs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    gt = torch.tensor(g)

    def step():
        for t in xs:
            t.grad = None
        torch.nn.functional.conv2d(*xs, stride=stride, padding=padding).backward(gt)

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--naive-repeats", type=int, default=3)
    args = parser.parse_args()
    try:
        import torch

        torch.set_num_threads(1)
    except ImportError:
        torch = None
        print("(PyTorch not importable: the torch column is skipped)")

    rng = np.random.default_rng(0)
    header = (
        f"{'shape':<20} {'input':>16} {'weight':>15}  {'naive ms':>9} {'im2col ms':>9} {'torch ms':>9}  "
        f"{'naive/im2col':>12} {'im2col/torch':>12}"
    )
    print("Conv2d forward+backward, float32, median over repeats\n" + header + "\n" + "-" * len(header))
    for label, xs, ws, stride, padding in SHAPES:
        x = rng.standard_normal(xs).astype(np.float32)
        w = rng.standard_normal(ws).astype(np.float32)
        b = rng.standard_normal(ws[0]).astype(np.float32)
        out_shape = F.conv2d(tt.Tensor(x), tt.Tensor(w), tt.Tensor(b), stride, padding).shape
        g = rng.standard_normal(out_shape).astype(np.float32)
        runners = {"im2col": tinytorch_step(F.conv2d, x, w, b, g, stride, padding)}
        if torch is not None:
            runners["torch"] = torch_step(torch, x, w, b, g, stride, padding)
        t = median_seconds(runners, args.repeats)
        t.update(
            median_seconds({"naive": tinytorch_step(naive_conv2d, x, w, b, g, stride, padding)}, args.naive_repeats)
        )
        fast, slow, ref = t["im2col"], t["naive"], t.get("torch", float("nan"))
        print(
            f"{label:<20} {str(xs):>16} {str(ws):>15}  {slow * 1e3:9.2f} {fast * 1e3:9.3f} {ref * 1e3:9.3f}"
            f"  {slow / fast:11.0f}x {fast / ref:11.2f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
