"""The optimization tier (modules 14-20) measured in one run, as ratios against the float / naive baseline.

  1. INT8 vs float32: model size and test accuracy (digits MLP and CNN)
  2. pruning: sparsity vs accuracy, right after pruning and after fine-tuning with masks (digits MLP)
  3. KV-cache: generation speed-up at 128 new tokens (a GPT, greedy, identical tokens checked)
  4. acceleration: im2col vs naive convolution, and the other before/after pairs of module 18
  5. op-level profile of one training step, and the capstone's optimize-under-budget table

    python benchmarks/systems.py [--quick] [--threads N]

BLAS runs on ONE thread unless --threads N (or OPENBLAS_NUM_THREADS) says otherwise. That is the
browser's situation (Pyodide is single-threaded), and on a small shared machine multi-threaded
OpenBLAS makes mid-sized matrix products erratic (a 256x64 @ 64x128 product measured 20 ms under
load instead of 0.05 ms), which would turn every ratio below into noise. The variables must be
set before NumPy loads, so run this file as a script (or as its own process).
"""

from __future__ import annotations

import os
import sys


def _set_threads_from_argv() -> str:
    """Apply --threads (default 1) before numpy is imported: BLAS reads the variables once, when it loads."""
    if "--threads" in sys.argv:
        n = sys.argv[sys.argv.index("--threads") + 1]
    else:
        n = os.environ.get("OPENBLAS_NUM_THREADS", "1")
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = n
    if "numpy" in sys.modules:
        return f"{n} requested (NumPy was loaded earlier in this process: BLAS keeps the setting it loaded with)"
    return n


THREADS = _set_threads_from_argv()

import argparse  # noqa: E402
import copy  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import tinytorch as tt  # noqa: E402
import tinytorch.nn.functional as F  # noqa: E402
from tinytorch import nn  # noqa: E402
from tinytorch.datasets import digits  # noqa: E402
from tinytorch.optim import Adam  # noqa: E402
from tinytorch.systems import acceleration, kvcache, pruning, quantization  # noqa: E402
from tinytorch.systems._training import train_classifier  # noqa: E402
from tinytorch.systems.benchmarking import accuracy  # noqa: E402
from tinytorch.systems.capstone import digits_cnn, digits_mlp, optimize_under_budget  # noqa: E402
from tinytorch.systems.profiling import OpProfiler  # noqa: E402
from tinytorch.systems.table import Table  # noqa: E402


def section(title: str) -> None:
    print(f"\n=== {title} ===", flush=True)


def trained(kind: str, epochs: int):
    as_images = kind == "cnn"
    X_train, y_train, X_test, y_test = digits(as_images=as_images)
    model = digits_cnn(seed=0) if as_images else digits_mlp(seed=0)
    t0 = time.perf_counter()
    train_classifier(model, X_train, y_train, epochs=epochs, lr=3e-3, seed=0)
    print(f"  trained the digits {kind.upper()} for {epochs} epochs in {time.perf_counter() - t0:.1f} s", flush=True)
    return model, (X_train, y_train, X_test, y_test)


def int8_vs_float(models: dict) -> Table:
    rows = []
    for kind, (model, (X_train, _, X_test, y_test)) in models.items():
        q = quantization.quantize_model(model, X_train[:500])
        sizes = {r["layer"]: r for r in quantization.size_report(model, q).rows}
        acc_f, acc_q = 100 * accuracy(model, X_test, y_test), 100 * accuracy(q, X_test, y_test)
        rows.append(
            {
                "model": f"digits {kind.upper()}",
                "float32 bytes": sizes["total"]["float32 bytes"],
                "int8 bytes": sizes["total"]["quantized bytes"],
                "size ratio": sizes["total"]["ratio"],
                "weights ratio": sizes["weights only"]["ratio"],
                "float32 acc %": acc_f,
                "int8 acc %": acc_q,
                "acc change (points)": acc_q - acc_f,
            }
        )
    return Table(
        rows,
        formats={
            "size ratio": ".2f",
            "weights ratio": ".2f",
            "float32 acc %": ".2f",
            "int8 acc %": ".2f",
            "acc change (points)": "+.2f",
        },
        title="INT8 (per-channel symmetric weights, calibrated asymmetric activations, int32 accumulation)",
    )


def sparsity_vs_accuracy(model, data, amounts, finetune_epochs: int) -> Table:
    X_train, y_train, X_test, y_test = data
    dense = 100 * accuracy(model, X_test, y_test)
    rows = []
    for amount in amounts:
        m = copy.deepcopy(model)
        masks = pruning.magnitude_prune(m, amount)
        pruned = 100 * accuracy(m, X_test, y_test)
        pruning.fine_tune(m, masks, X_train, y_train, epochs=finetune_epochs, seed=1)
        tuned = 100 * accuracy(m, X_test, y_test)
        rows.append(
            {
                "requested": amount,
                "sparsity": pruning.sparsity(m),
                "pruned acc %": pruned,
                "fine-tuned acc %": tuned,
                "change vs dense (points)": tuned - dense,
            }
        )
        print(f"  {amount:.0%} done", flush=True)
    return Table(
        rows,
        formats={
            "requested": ".0%",
            "sparsity": ".4f",
            "pruned acc %": ".2f",
            "fine-tuned acc %": ".2f",
            "change vs dense (points)": "+.2f",
        },
        title=f"global magnitude pruning of the digits MLP (dense: {dense:.2f} %), "
        f"then {finetune_epochs} epochs of fine-tuning with masks",
    )


def kv_cache(new_tokens: int, repeats: int) -> Table:
    tt.manual_seed(0)
    config = dict(vocab_size=65, block_size=new_tokens + 32, embed_dim=128, num_heads=4, num_layers=4)
    model = nn.GPT(**config)
    prompt = np.random.default_rng(0).integers(0, 65, 16)
    r = kvcache.measure_speedup(model, prompt, new_tokens, repeats=repeats, temperature=0.0)
    return Table(
        [
            {
                "new tokens": r["new tokens"],
                "uncached s": r["uncached s"],
                "cached s": r["cached s"],
                "uncached tok/s": r["uncached tokens/s"],
                "cached tok/s": r["cached tokens/s"],
                "speed-up": r["speed-up"],
                "same tokens": r["same tokens"],
                "cache bytes": r["cache bytes"],
            }
        ],
        formats={
            "uncached s": ".3f",
            "cached s": ".3f",
            "uncached tok/s": ",.0f",
            "cached tok/s": ",.0f",
            "speed-up": ".1f",
        },
        title=f"KV-cache generation, GPT {config}, prompt 16 tokens, greedy, median of {repeats}",
    )


def acceleration_table(quick: bool) -> Table:
    reps = 3 if quick else 5
    rows = []
    c = acceleration.measure_conv(repeats=reps)
    rows.append(
        {
            "technique": "im2col convolution",
            "before": f"naive loops {c['input']}",
            "after": "F.conv2d (im2col)",
            "before ms": 1e3 * c["naive s"],
            "after ms": 1e3 * c["im2col s"],
            "speed-up": c["speed-up"],
        }
    )
    v = acceleration.measure_vectorization(n=64, repeats=reps)
    rows.append(
        {
            "technique": "vectorization",
            "before": "3 Python loops, 64x64 matmul",
            "after": "a @ b",
            "before ms": 1e3 * v["loops s"],
            "after ms": 1e3 * v["vectorized s"],
            "speed-up": v["speed-up loops -> vectorized"],
        }
    )
    layout = acceleration.measure_layout(n=1024 if not quick else 512, repeats=reps)
    rows.append(
        {
            "technique": "memory layout",
            "before": "row loop over a strided view",
            "after": "contiguous rows",
            "before ms": 1e3 * layout["strided rows s"],
            "after ms": 1e3 * layout["contiguous rows s"],
            "speed-up": layout["speed-up strided -> contiguous"],
        }
    )
    for name, r in acceleration.measure_fusion(repeats=reps * 2).items():
        rows.append(
            {
                "technique": f"fusion: {name}",
                "before": "composed small ops (fwd+bwd)",
                "after": f"fused F.{name}",
                "before ms": 1e3 * r["unfused s"],
                "after ms": 1e3 * r["fused s"],
                "speed-up": r["speed-up"],
            }
        )
    p = acceleration.measure_precision(n=256, repeats=reps * 2)
    rows.append(
        {
            "technique": "precision",
            "before": "float64 256x256 matmul",
            "after": "float32",
            "before ms": 1e3 * p["float64"]["s"],
            "after ms": 1e3 * p["float32"]["s"],
            "speed-up": p["speed-up float64 -> float32"],
        }
    )
    rows.append(
        {
            "technique": "precision",
            "before": "float32 256x256 matmul",
            "after": "float16 (no BLAS in NumPy)",
            "before ms": 1e3 * p["float32"]["s"],
            "after ms": 1e3 * p["float16"]["s"],
            "speed-up": p["float32"]["s"] / p["float16"]["s"],
        }
    )
    mixed = p["float16 storage, float32 compute"]
    rows.append(
        {
            "technique": "mixed precision",
            "before": "float32 256x256 matmul",
            "after": "fp16-stored operand, fp32 compute",
            "before ms": 1e3 * p["float32"]["s"],
            "after ms": 1e3 * mixed["s"],
            "speed-up": p["float32"]["s"] / mixed["s"],
        }
    )
    return Table(
        rows,
        formats={"before ms": ".3f", "after ms": ".3f", "speed-up": ".2f"},
        title="acceleration: the same numbers, computed faster (median times)",
    )


def training_step_profile(model, data) -> Table:
    X_train, y_train = data[0], data[1]
    m = copy.deepcopy(model).train()
    opt = Adam(m.parameters(), lr=1e-3)
    x, y = tt.Tensor(X_train[:64]), y_train[:64]
    for _ in range(3):  # warm-up outside the profiler
        opt.zero_grad()
        F.cross_entropy(m(x), y).backward()
        opt.step()
    with OpProfiler() as prof:
        for _ in range(20):
            opt.zero_grad()
            loss = F.cross_entropy(m(x), y)
            loss.backward()
            with prof.region("Adam step"):
                opt.step()
    table = prof.table()
    table.title = "op-level profile of 20 training steps of the digits CNN (batch 64): " + table.title
    return table


def main(argv=None) -> None:
    """argv: the options (None: the command line); `python -m benchmarks` passes []."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs and repeats (a smoke run)")
    parser.add_argument("--threads", default=None, help="BLAS threads (default 1; set before NumPy loads)")
    args = parser.parse_args(argv)
    epochs, ft_epochs, repeats = (8, 3, 1) if args.quick else (20, 8, 3)
    print(f"tinytorch systems benchmark: numpy {np.__version__}, BLAS threads {THREADS}", flush=True)

    section("training the digits models")
    models = {"mlp": trained("mlp", epochs), "cnn": trained("cnn", max(epochs * 3 // 4, 5))}

    section("1. INT8 vs float32")
    print(int8_vs_float(models), flush=True)

    section("2. sparsity vs accuracy")
    amounts = [0.5, 0.8, 0.9] if args.quick else [0.5, 0.7, 0.8, 0.9, 0.95]
    print(sparsity_vs_accuracy(*models["mlp"], amounts, ft_epochs), flush=True)

    section("3. KV-cache")
    print(kv_cache(128, repeats), flush=True)

    section("4. acceleration")
    print(acceleration_table(args.quick), flush=True)

    section("5a. where a training step's time goes")
    print(training_step_profile(*models["cnn"]), flush=True)

    section("5b. capstone: optimize the digits MLP under a 1-point accuracy budget")
    print(optimize_under_budget(train_epochs=epochs, finetune_epochs=ft_epochs), flush=True)
    print("\nsizes are bytes of parameters and buffers; accuracies on the 360 held-out digits", flush=True)


if __name__ == "__main__":
    main()
