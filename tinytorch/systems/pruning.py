"""Module 16 (Compression): remove the weights that matter least, then teach a small model from a big one.

* Magnitude pruning (unstructured): zero the `amount` fraction of weights with the smallest |w|,
  across all layers at once (scope="global": layers that need fewer weights lose more) or per layer.
  Exactly round(amount * n) weights are zeroed (ties broken by position), so sparsity is what you ask.
* Channel pruning (structured): zero whole output channels (rows of a Linear weight, filters of a
  Conv2d) with the smallest L2 norm, and their biases. Zeros scattered in a matrix save nothing in
  NumPy; whole channels can be *removed* (`remove_pruned_channels`), which makes the model smaller
  and faster for real.
* Fine-tuning: pruning hurts accuracy a little; a few epochs of training win it back, as long as the
  pruned weights stay zero. `MaskedOptimizer` guarantees that: it zeroes their gradients before
  and their values after every step, so a pruned weight can never come back.
* Knowledge distillation: train a student on the teacher's temperature-softened probabilities
  (they say *how* wrong each wrong class is) plus the true labels. Softening by T shrinks the soft
  gradients by 1/T^2, so the soft term is multiplied by T^2 to keep both terms in balance.

Masks are dicts {parameter name: boolean array, True = keep}.
"""

from __future__ import annotations

import copy

import numpy as np

from ..nn import functional as F
from ..nn.linear import Linear
from ..nn.module import Module, Sequential
from ..optim import Adam
from ..tensor import Tensor, no_grad
from ._training import train_classifier
from .table import Table

__all__ = [
    "prunable_layers",
    "magnitude_prune",
    "channel_prune",
    "apply_masks",
    "sparsity",
    "sparsity_report",
    "MaskedOptimizer",
    "fine_tune",
    "remove_pruned_channels",
    "distillation_loss",
    "distill",
]


def prunable_layers(model: Module) -> list:
    """(name, layer) for every Linear and Conv2d, in definition order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, Linear) or type(m).__name__ == "Conv2d"]


def _weight_name(layer_name: str, attr: str = "weight") -> str:
    return f"{layer_name}.{attr}" if layer_name else attr


def _smallest(scores: np.ndarray, k: int) -> np.ndarray:
    """Boolean mask (same shape) of exactly the k smallest scores; ties broken by position."""
    flat = scores.reshape(-1)
    drop = np.zeros(flat.size, dtype=bool)
    if k > 0:
        drop[np.argsort(flat, kind="stable")[:k]] = True
    return drop.reshape(scores.shape)


def _check_amount(amount: float) -> None:
    if not 0 <= amount < 1:
        raise ValueError(f"amount is the fraction of weights to remove and must be in [0, 1), got {amount}")


def magnitude_prune(model: Module, amount: float, scope: str = "global") -> dict:
    """Zero the `amount` fraction of Linear/Conv2d weights with the smallest magnitude (in place).

    scope="global": one threshold over all layers; scope="layer": `amount` of each layer.
    Biases are not pruned (they are few and cheap). Returns the masks {"<layer>.weight": keep}.
    """
    _check_amount(amount)
    if scope not in ("global", "layer"):
        raise ValueError(f"scope must be 'global' or 'layer', got {scope!r}")
    layers = prunable_layers(model)
    if not layers:
        raise ValueError(f"{type(model).__name__} has no Linear or Conv2d layers to prune")
    masks = {}
    if scope == "layer":
        for name, layer in layers:
            w = layer.weight.data
            masks[_weight_name(name)] = ~_smallest(np.abs(w), int(round(amount * w.size)))
    else:
        scores = np.concatenate([np.abs(layer.weight.data).reshape(-1) for _, layer in layers])
        drop = _smallest(scores, int(round(amount * scores.size)))
        start = 0
        for name, layer in layers:
            size = layer.weight.data.size
            masks[_weight_name(name)] = ~drop[start : start + size].reshape(layer.weight.shape)
            start += size
    apply_masks(model, masks)
    return masks


def channel_prune(model: Module, amount: float, exclude_last: bool = True) -> dict:
    """Zero the `amount` fraction of output channels of each Linear/Conv2d (lowest L2 norm first).

    A channel is a row of a Linear weight or a filter of a Conv2d, plus its bias entry. The last
    layer is skipped by default: its outputs are the model's predictions (the classes).
    Returns masks for the weights and biases.
    """
    _check_amount(amount)
    layers = prunable_layers(model)
    if exclude_last:
        layers = layers[:-1]
    masks = {}
    for name, layer in layers:
        w = layer.weight.data
        norms = np.sqrt((w.reshape(w.shape[0], -1).astype(np.float64) ** 2).sum(axis=1))
        keep = ~_smallest(norms, int(round(amount * w.shape[0])))
        masks[_weight_name(name)] = np.broadcast_to(keep.reshape((-1,) + (1,) * (w.ndim - 1)), w.shape).copy()
        if layer.bias is not None:
            masks[_weight_name(name, "bias")] = keep.copy()
    apply_masks(model, masks)
    return masks


def apply_masks(model: Module, masks: dict) -> None:
    """Multiply each named parameter by its mask (pruned entries become exactly 0)."""
    params = dict(model.named_parameters())
    for name, mask in masks.items():
        if name not in params:
            raise KeyError(f"mask for {name!r}, but the model has no such parameter; it has {list(params)}")
        p = params[name]
        if mask.shape != p.shape:
            raise ValueError(f"mask for {name} has shape {mask.shape} but the parameter has shape {p.shape}")
        p.data = p.data * mask.astype(p.data.dtype)


def sparsity(model: Module, weights_only: bool = True) -> float:
    """Fraction of exactly-zero entries among the prunable weights (or all parameters)."""
    if weights_only:
        arrays = [layer.weight.data for _, layer in prunable_layers(model)]
    else:
        arrays = [p.data for p in model.parameters()]
    total = sum(a.size for a in arrays)
    return sum(int((a == 0).sum()) for a in arrays) / total if total else 0.0


def sparsity_report(model: Module) -> Table:
    """Zeros per prunable weight, per layer and overall."""
    rows = []
    for name, layer in prunable_layers(model):
        w = layer.weight.data
        zeros = int((w == 0).sum())
        rows.append(
            {
                "weight": _weight_name(name),
                "shape": tuple(w.shape),
                "zeros": zeros,
                "total": w.size,
                "sparsity %": 100 * zeros / w.size,
            }
        )
    zeros, total = sum(r["zeros"] for r in rows), sum(r["total"] for r in rows)
    rows.append({"weight": "all", "shape": None, "zeros": zeros, "total": total, "sparsity %": 100 * zeros / total})
    return Table(rows, formats={"sparsity %": ".2f"}, title="sparsity of the prunable weights")


class MaskedOptimizer:
    """Wraps an optimizer so pruned weights stay exactly zero through fine-tuning.

    step(): zero the masked gradients (momentum never builds up for them), run the optimizer, then
    re-apply the masks (weight decay and Adam's epsilon cannot move them either). Everything else
    (param_groups, zero_grad, state_dict) is the wrapped optimizer's, so it drops into `Trainer`.
    """

    def __init__(self, optimizer, model: Module, masks: dict):
        params = dict(model.named_parameters())
        missing = [n for n in masks if n not in params]
        if missing:
            raise KeyError(f"masks name parameters the model does not have: {missing}")
        self.optimizer = optimizer
        self.pairs = [(params[n], m.astype(params[n].data.dtype)) for n, m in masks.items()]

    def step(self):
        for p, m in self.pairs:
            if p.grad is not None:
                p.grad.data = p.grad.data * m
        self.optimizer.step()
        for p, m in self.pairs:
            p.data = p.data * m

    def __getattr__(self, name):
        return getattr(self.optimizer, name)


def fine_tune(
    model: Module,
    masks: dict | None,
    X,
    y,
    epochs: int = 5,
    lr: float = 1e-3,
    batch_size: int = 32,
    seed: int = 0,
    verbose: bool = False,
) -> dict:
    """Train with Adam and cross-entropy for a few epochs, keeping `masks` applied; returns history."""
    opt = Adam(model.parameters(), lr=lr)
    if masks:
        opt = MaskedOptimizer(opt, model, masks)
    return train_classifier(model, X, y, epochs, lr, batch_size, seed, verbose, optimizer=opt)


# ---- physically removing pruned channels -------------------------------------------------------
def remove_pruned_channels(model: Sequential, example_input) -> Sequential:
    """A smaller copy of a Sequential model without its all-zero output channels.

    A channel whose weights and bias are all zero outputs exactly 0; if the layers up to the next
    Linear/Conv2d map 0 to 0 (ReLU, GELU, Tanh, pooling, Flatten do; Sigmoid does not), nothing
    downstream can see it, so the channel is deleted together with the next layer's matching input
    columns. The copy's outputs on `example_input` are checked against the original's.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"remove_pruned_channels works on a Sequential model, got {type(model).__name__}")
    small = copy.deepcopy(model)
    x = Tensor(np.asarray(example_input.data if isinstance(example_input, Tensor) else example_input))
    layers = list(small.layers)
    weighted = [i for i, m in enumerate(layers) if isinstance(m, Linear) or type(m).__name__ == "Conv2d"]
    for a, b in zip(weighted, weighted[1:], strict=False):
        first, second = layers[a], layers[b]
        w = first.weight.data
        rows = w.reshape(w.shape[0], -1)
        dead = ~rows.any(axis=1)
        if first.bias is not None:
            dead &= first.bias.data == 0
        if not dead.any() or dead.all():
            continue
        keep = np.flatnonzero(~dead)
        first.weight.data = w[keep].copy()
        if first.bias is not None:
            first.bias.data = first.bias.data[keep].copy()
        _set_out(first, len(keep))
        w2 = second.weight.data
        if isinstance(second, Linear) and w2.shape[1] != w.shape[0]:
            # Conv -> ... -> Flatten -> Linear: each channel owns a block of H*W consecutive columns
            per = w2.shape[1] // w.shape[0]
            cols = (keep[:, None] * per + np.arange(per)).reshape(-1)
        else:
            cols = keep
        second.weight.data = w2[:, cols].copy()
        _set_in(second, len(cols) if isinstance(second, Linear) else len(keep))
    with no_grad():
        want, got = model(x).data, small(x).data
    if not np.allclose(want, got, rtol=1e-4, atol=1e-5):
        raise ValueError(
            "remove_pruned_channels: the smaller model's outputs differ from the original's; a layer "
            "between two pruned layers does not map 0 to 0 (e.g. Sigmoid), so its channels cannot go"
        )
    return small


def _set_out(layer, n):
    if isinstance(layer, Linear):
        layer.out_features = n
    else:
        layer.out_channels = n


def _set_in(layer, n):
    if isinstance(layer, Linear):
        layer.in_features = n
    else:
        layer.in_channels = n


# ---- knowledge distillation ---------------------------------------------------------------------
def distillation_loss(
    student_logits: Tensor, teacher_logits, targets, temperature: float = 4.0, alpha: float = 0.5
) -> Tensor:
    """alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) + (1 - alpha) * CE(student, targets).

    student_logits (N, C) Tensor, teacher_logits (N, C) array/Tensor (a constant), targets (N,) ints.
    The gradient of the soft term w.r.t. the student logits is T * (softmax(s/T) - softmax(t/T)) / N:
    without the T^2 factor it would shrink like 1/T and the labels would dominate at high T.
    """
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha weighs the soft term and must be in [0, 1], got {alpha}")
    t = np.asarray(teacher_logits.data if isinstance(teacher_logits, Tensor) else teacher_logits, dtype=np.float64)
    if t.shape != student_logits.shape:
        raise ValueError(
            f"distillation_loss: teacher logits {t.shape} and student logits {student_logits.shape} differ"
        )
    z = t / temperature
    z = z - z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))  # teacher log-probabilities
    p = np.exp(log_p)
    dtype = student_logits.dtype
    log_q = F.log_softmax(student_logits * (1.0 / temperature), axis=1)
    kl = (Tensor((p * log_p).astype(dtype)) - Tensor(p.astype(dtype)) * log_q).sum(axis=1).mean()
    soft = kl * (temperature**2)
    if alpha == 1:
        return soft
    return soft * alpha + F.cross_entropy(student_logits, targets) * (1 - alpha)


def distill(
    student: Module,
    teacher: Module,
    X,
    y,
    epochs: int = 10,
    lr: float = 1e-3,
    temperature: float = 4.0,
    alpha: float = 0.7,
    batch_size: int = 32,
    seed: int = 0,
    verbose: bool = False,
) -> list:
    """Train `student` on the teacher's softened outputs plus the labels; returns the loss per epoch.

    The teacher's logits are computed once for all of X (it is frozen), then each batch runs the
    usual step: student forward, distillation_loss, backward, Adam step.
    """
    X = np.asarray(X)
    targets = np.asarray(y)
    teacher.eval()
    with no_grad():
        teacher_logits = np.concatenate([teacher(Tensor(X[i : i + 512])).data for i in range(0, len(X), 512)])

    def loss_fn(student_logits, rows):
        # the batch's "targets" are its row numbers: they pick the teacher's logits and the labels
        index = rows.data
        return distillation_loss(student_logits, teacher_logits[index], targets[index], temperature, alpha)

    history = train_classifier(
        student, X, np.arange(len(X)), epochs, lr, batch_size, seed, verbose=False, loss_fn=loss_fn, metrics=()
    )
    if verbose:
        for epoch, loss in enumerate(history["train_loss"], 1):
            print(f"distill epoch {epoch}/{epochs}  loss {loss:.4f}", flush=True)
    return history["train_loss"]
