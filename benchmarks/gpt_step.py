"""One GPT training step (2 blocks, embed 64, 4 heads, context 64, batch 32, vocab 65, AdamW) three
ways, the same model shape and batches, timed interleaved (medians):

  tinytorch   the framework (nn.GPT, optim.AdamW)
  numpy       hand-written forward, backward and AdamW (benchmarks/numpy_gpt.py, numpy_adam.py)
  torch       PyTorch CPU (nn.MultiheadAttention, the same pre-norm blocks, tied head)

    python -m benchmarks gpt_step          python -m benchmarks.gpt_step [--steps 25] [--profile]

`--profile` prints tinytorch's top cProfile entries instead (what to fuse next). One BLAS thread.
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
from tinytorch import nn, optim  # noqa: E402
from tinytorch.nn import functional as F  # noqa: E402

from . import numpy_gpt  # noqa: E402
from .numpy_adam import adamw  # noqa: E402

CONFIG = dict(vocab_size=65, block_size=64, embed_dim=64, num_heads=4, num_layers=2)
BATCH = 32


def batches(n: int, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, CONFIG["vocab_size"], size=(n, BATCH, CONFIG["block_size"] + 1))
    return [(b[:, :-1], b[:, 1:]) for b in ids]


def tinytorch_step(data):
    tt.manual_seed(0)
    model = nn.GPT(**CONFIG)
    opt = optim.AdamW(model.parameters(), lr=3e-4)
    it = iter(range(10**9))

    def step():
        x, y = data[next(it) % len(data)]
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, CONFIG["vocab_size"]), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return float(loss.data)

    return step


def numpy_step(data):
    params = numpy_gpt.init_params(CONFIG, seed=0)
    opt = adamw(params, lr=3e-4)
    it = iter(range(10**9))

    def step():
        x, y = data[next(it) % len(data)]
        loss, grads = numpy_gpt.loss_and_grads(params, x, y, CONFIG["num_heads"])
        opt.step(grads)
        return loss

    return step


def torch_model():
    """The same GPT in PyTorch (its fused-qkv MultiheadAttention; True in the mask = blocked)."""
    import torch  # noqa: PLC0415

    e, h, t, v = CONFIG["embed_dim"], CONFIG["num_heads"], CONFIG["block_size"], CONFIG["vocab_size"]

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = torch.nn.LayerNorm(e), torch.nn.LayerNorm(e)
            self.attn = torch.nn.MultiheadAttention(e, h, batch_first=True)
            self.mlp = torch.nn.Sequential(
                torch.nn.Linear(e, 4 * e), torch.nn.GELU(approximate="tanh"), torch.nn.Linear(4 * e, e)
            )

        def forward(self, x, mask):
            a = self.ln1(x)
            x = x + self.attn(a, a, a, attn_mask=mask, need_weights=False)[0]
            return x + self.mlp(self.ln2(x))

    class GPT(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.tok, self.pos = torch.nn.Embedding(v, e), torch.nn.Embedding(t, e)
            self.blocks = torch.nn.ModuleList(Block() for _ in range(CONFIG["num_layers"]))
            self.ln_f = torch.nn.LayerNorm(e)
            self.head = torch.nn.Linear(e, v, bias=False)
            self.head.weight = self.tok.weight

        def forward(self, ids):
            x = self.tok(ids) + self.pos(torch.arange(ids.shape[1]))
            mask = torch.triu(torch.ones(ids.shape[1], ids.shape[1], dtype=torch.bool), 1)  # True = blocked
            for block in self.blocks:
                x = block(x, mask)
            return self.head(self.ln_f(x))

    return GPT()


def torch_step(data):
    import torch  # noqa: PLC0415

    torch.set_num_threads(1)
    torch.manual_seed(0)
    v = CONFIG["vocab_size"]
    model = torch_model()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-4)
    tensors = [(torch.from_numpy(x), torch.from_numpy(y)) for x, y in data]
    it = iter(range(10**9))

    def step():
        x, y = tensors[next(it) % len(tensors)]
        loss = torch.nn.functional.cross_entropy(model(x).reshape(-1, v), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()  # (float(loss) warns: a scalar of a tensor that requires grad)

    return step


def interleaved_times(runners: dict, rounds: int) -> dict[str, list[float]]:
    """Seconds of each runner per round, after one warm-up call each. Every round runs each contender
    once, back to back, so a burst of load on the shared machine hits them alike."""
    for run in runners.values():
        run()
    times = {name: [] for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return times


def median_steps(runners: dict, steps: int) -> dict:
    return {name: statistics.median(ts) for name, ts in interleaved_times(runners, steps).items()}


def round_quartiles(times: dict, a: str, b: str) -> str:
    """The quartiles of a's time over b's, round by round: how far the machine's load moved the ratio."""
    q1, _, q3 = statistics.quantiles([x / y for x, y in zip(times[a], times[b], strict=True)], n=4)
    return f"round by round: quartiles {q1:.2f}-{q3:.2f}"


def print_ratios(times: dict[str, list[float]]) -> dict:
    """The medians (ms), tinytorch's median over each other contender's (< 1: tinytorch faster) and the
    quartiles of the same ratio taken round by round (how far the machine's load moved it).
    Returns the medians (seconds) by contender."""
    med = {name: statistics.median(ts) for name, ts in times.items()}
    for name, seconds in med.items():
        print(f"  {name:10s} {seconds * 1e3:8.1f} ms")
    for other in ("numpy", "torch"):
        if other in med:
            spread = round_quartiles(times, "tinytorch", other)
            print(f"  tinytorch / {other:5s} = {med['tinytorch'] / med[other]:.2f}  (< 1: tinytorch faster; {spread})")
    return med


def main(argv=None) -> dict | None:
    """Prints the medians and ratios; returns the medians (seconds) by contender."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=25)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    data = batches(8)
    if args.profile:
        import cProfile  # noqa: PLC0415
        import pstats  # noqa: PLC0415

        step = tinytorch_step(data)
        step()
        with cProfile.Profile() as prof:
            for _ in range(args.steps):
                step()
        pstats.Stats(prof).sort_stats("tottime").print_stats(18)
        return None
    runners = {"tinytorch": tinytorch_step(data), "numpy": numpy_step(data)}
    try:
        runners["torch"] = torch_step(data)
    except ImportError:
        print("PyTorch is not installed: tinytorch and NumPy only")
    times = interleaved_times(runners, args.steps)
    print(f"GPT training step {CONFIG}, batch {BATCH}, AdamW; median of {args.steps}, interleaved, 1 BLAS thread")
    return print_ratios(times)


if __name__ == "__main__":
    main()
