"""Module 20 (Capstone): make a model as small and fast as possible while it keeps its accuracy.

`optimize_under_budget` runs the whole optimization tier on one trained classifier (by default the
digits MLP) and measures every candidate the same way:

    14 profile the baseline: where parameters, FLOPs and time go
    15 quantize: FP16 copy, INT8 copy (calibrated on training rows)
    16 compress: 80 % unstructured magnitude pruning + fine-tuning; 50 % channel pruning +
       fine-tuning, then the dead channels removed for real (18: fewer FLOPs, not just zeros);
       a small student distilled from the baseline
       ... and the combinations (channel-pruned + INT8, student + INT8)
    19 benchmark all of them on the same batch (warm-up, repeats, medians) with accuracy and size

and picks, among the candidates within the budget (accuracy drop, optionally size and latency),
the smallest (ties: the fastest). Returns a `CapstoneReport` whose `table` prints the comparison.
"""

from __future__ import annotations

import copy

import numpy as np

from ..datasets import digits
from ..nn import Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential
from ..tensor import manual_seed
from . import pruning, quantization
from ._training import train_classifier
from .benchmarking import accuracy, compare_models
from .profiling import count_parameters, profile_layers
from .table import Table

__all__ = ["digits_mlp", "digits_cnn", "Budget", "CapstoneReport", "optimize_under_budget"]


def digits_mlp(hidden: int = 128, seed: int = 0) -> Sequential:
    """64 -> hidden -> ReLU -> 10: the digits classifier of the MLP milestone."""
    manual_seed(seed)
    return Sequential(Linear(64, hidden), ReLU(), Linear(hidden, 10))


def digits_cnn(channels: int = 8, seed: int = 0) -> Sequential:
    """(1, 8, 8) images -> conv 3x3 -> ReLU -> pool -> conv 3x3 -> ReLU -> pool -> Linear(10)."""
    manual_seed(seed)
    return Sequential(
        Conv2d(1, channels, 3, padding=1),
        ReLU(),
        MaxPool2d(2),
        Conv2d(channels, 2 * channels, 3, padding=1),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(2 * channels * 2 * 2, 10),
    )


class Budget:
    """Constraints a candidate must meet: accuracy drop in percentage points (vs the baseline),
    and optionally a maximum size in bytes and a maximum latency in ms per benchmark batch."""

    def __init__(
        self, max_accuracy_drop: float = 1.0, max_size_bytes: int | None = None, max_latency_ms: float | None = None
    ):
        self.max_accuracy_drop, self.max_size_bytes, self.max_latency_ms = (
            max_accuracy_drop,
            max_size_bytes,
            max_latency_ms,
        )

    def allows(self, row: dict, baseline_accuracy: float) -> bool:
        if row["accuracy %"] < baseline_accuracy - self.max_accuracy_drop - 1e-9:
            return False
        if self.max_size_bytes is not None and row["size"] > self.max_size_bytes:
            return False
        return self.max_latency_ms is None or row["median ms"] <= self.max_latency_ms

    def __repr__(self):
        parts = [f"accuracy drop <= {self.max_accuracy_drop} points"]
        if self.max_size_bytes is not None:
            parts.append(f"size <= {self.max_size_bytes:,} bytes")
        if self.max_latency_ms is not None:
            parts.append(f"latency <= {self.max_latency_ms} ms")
        return "Budget(" + ", ".join(parts) + ")"


class CapstoneReport:
    """What optimize_under_budget found: the comparison table, the chosen model, the baseline profile."""

    def __init__(self, table: Table, models: dict, chosen: str | None, budget: Budget, profile: Table):
        self.table, self.models, self.chosen, self.budget, self.profile = table, models, chosen, budget, profile

    @property
    def model(self):
        return self.models.get(self.chosen)

    def row(self, name: str) -> dict:
        for r in self.table.rows:
            if r["model"] == name:
                return r
        raise KeyError(f"no model {name!r} in the report; models: {', '.join(r['model'] for r in self.table.rows)}")

    def __repr__(self):
        if self.chosen:
            row = self.row(self.chosen)
            pick = (
                f"chosen: {self.chosen} (the smallest within the budget): {row['size ratio']:.2f}x smaller than "
                f"the baseline, {row['speed-up']:.2f}x its speed, accuracy {row['accuracy %']:.2f} %"
            )
        else:
            pick = "no candidate meets the budget"
        return f"{self.table}\n{self.budget}\n{pick}"


def optimize_under_budget(
    model=None,
    data=None,
    budget: Budget | None = None,
    *,
    train_epochs: int = 30,
    finetune_epochs: int = 8,
    prune_amount: float = 0.8,
    channel_amount: float = 0.5,
    student_hidden: int = 32,
    batch_size: int = 256,
    seed: int = 0,
    verbose: bool = True,
) -> CapstoneReport:
    """Optimize a trained classifier (default: the digits MLP, trained here) under `budget`.

    data: (X_train, y_train, X_test, y_test) arrays (default: `tinytorch.datasets.digits()`).
    Accuracy is measured on X_test; latency on a batch of `batch_size` test rows.
    """
    budget = budget or Budget()
    say = print if verbose else (lambda *a, **k: None)
    if data is None:
        data = digits()
    X_train, y_train, X_test, y_test = data
    if model is None:
        model = digits_mlp(seed=seed)
        say(f"[1/6] training the baseline MLP for {train_epochs} epochs ...", flush=True)
        train_classifier(model, X_train, y_train, train_epochs, lr=3e-3, seed=seed)
    model.eval()
    base_acc = 100 * accuracy(model, X_test, y_test)
    say(
        f"[2/6] profiling the baseline ({count_parameters(model):,} parameters, test accuracy {base_acc:.2f} %) ...",
        flush=True,
    )
    profile = profile_layers(model, X_test[:batch_size], runs=3)

    models = {"float32 (baseline)": model}
    say("[3/6] quantizing: FP16 and INT8 ...", flush=True)
    models["fp16"] = quantization.fp16_model(model)
    models["int8"] = quantization.quantize_model(model, X_train[:500])

    say(
        f"[4/6] pruning: {prune_amount:.0%} of weights, {channel_amount:.0%} of channels, each fine-tuned ...",
        flush=True,
    )
    sparse = copy.deepcopy(model)
    masks = pruning.magnitude_prune(sparse, prune_amount)
    pruning.fine_tune(sparse, masks, X_train, y_train, finetune_epochs, seed=seed + 1)
    models[f"pruned {prune_amount:.0%} (zeros)"] = sparse
    channels = copy.deepcopy(model)
    masks = pruning.channel_prune(channels, channel_amount)
    pruning.fine_tune(channels, masks, X_train, y_train, finetune_epochs, seed=seed + 2)
    slim = pruning.remove_pruned_channels(channels, X_train[:8]) if isinstance(channels, Sequential) else channels
    models[f"channels -{channel_amount:.0%}"] = slim
    models[f"channels -{channel_amount:.0%} + int8"] = quantization.quantize_model(slim, X_train[:500])

    if model is not None and _is_mlp(model):
        say(f"[5/6] distilling a {student_hidden}-unit student ...", flush=True)
        student = digits_mlp(student_hidden, seed=seed + 3)
        pruning.distill(student, model, X_train, y_train, epochs=train_epochs, lr=3e-3, seed=seed + 3)
        models[f"student {student_hidden} (distilled)"] = student
        models[f"student {student_hidden} + int8"] = quantization.quantize_model(student, X_train[:500])
    else:
        say("[5/6] distillation skipped (the student template is the digits MLP)", flush=True)

    say(f"[6/6] benchmarking {len(models)} variants ...", flush=True)
    table = compare_models(models, X_test, y_test, batch_size=batch_size, seed=seed, repeats=15)
    nonzero = {name: sum(int(np.count_nonzero(a)) for a in _stored_arrays(m)) for name, m in models.items()}
    for row in table.rows:
        row["nonzeros"] = nonzero[row["model"]]
        row["within budget"] = budget.allows(row, base_acc)
    table.columns = [
        "model",
        "accuracy %",
        "size",
        "size ratio",
        "nonzeros",
        "median ms",
        "IQR ms",
        "speed-up",
        "peak bytes",
        "within budget",
    ]
    table.title = f"optimizing the {type(model).__name__} under {budget} (accuracy on {len(X_test)} test images)"
    ok = [r for r in table.rows if r["within budget"]]
    chosen = min(ok, key=lambda r: (r["size"], r["median ms"]))["model"] if ok else None
    return CapstoneReport(table, models, chosen, budget, profile)


def _is_mlp(model) -> bool:
    return (
        isinstance(model, Sequential)
        and all(isinstance(m, (Linear, ReLU)) for m in model.layers)
        and model.layers[0].in_features == 64
    )


def _stored_arrays(model):
    """Every array the model stores: parameters and buffers (int8 weights, scales)."""
    arrays = [p.data for p in model.parameters()]
    for mod in model.modules():
        arrays += [np.asarray(getattr(mod, n)) for n in getattr(mod, "_buffers", ())]
    return arrays
