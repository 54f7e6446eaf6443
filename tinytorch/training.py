"""Module 07 (Training): the loop every model in the course is trained with, written once.

One training step is always the same five lines:

    out = model(x); loss = loss_fn(out, y)      # forward
    optimizer.zero_grad(); loss.backward()      # gradients of this batch only
    clip_grad_norm_(model.parameters(), 1.0)    # optional: cap the step when gradients explode
    optimizer.step()                            # update the parameters

`Trainer` runs that step over a DataLoader for some epochs, evaluates on validation data, keeps a
`history` of per-epoch numbers, prints one compact line per epoch, stops loudly when the loss turns
nan/inf, and saves / restores checkpoints from which training resumes bit-for-bit identically.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time

import numpy as np

from .nn import BCEWithLogitsLoss, functional
from .nn.utils import clip_grad_norm_
from .tensor import Tensor, default_rng, no_grad

__all__ = ["Trainer", "clip_grad_norm_", "accuracy"]

CHECKPOINT_FORMAT = "tinytorch-checkpoint-1"


# --------------------------------------------------------------------------------------------------
# metrics: fn(outputs ndarray, targets ndarray) -> mean over the batch
# --------------------------------------------------------------------------------------------------
def accuracy(outputs: np.ndarray, targets: np.ndarray, threshold: float = 0.5) -> float:
    """Fraction of correct predictions.

    Class scores (N, C) with integer targets (N,): the arg-max is the prediction.
    One score per sample (same shape as the 0/1 targets): score > threshold predicts 1.
    """
    if outputs.ndim == targets.ndim + 1 and outputs.shape[-1] == 1:
        outputs = outputs[..., 0]  # (N, 1) is one score per sample, not one class
    if outputs.ndim == targets.ndim + 1 and outputs.shape[:-1] == targets.shape:
        return float((outputs.argmax(axis=-1) == targets).mean())
    if outputs.shape == targets.shape:
        return float(((outputs > threshold) == (targets > 0.5)).mean())
    raise ValueError(
        f"accuracy: outputs of shape {outputs.shape} do not fit targets of shape {targets.shape}; "
        "expected scores (N, C) with class indices (N,), or one score per 0/1 target"
    )


_METRICS = {"accuracy": accuracy}


def _diverged(value: float, epoch: int, step: int, steps, lr) -> FloatingPointError:
    of = f" of {steps}" if steps else ""
    return FloatingPointError(
        f"the loss became {value} at epoch {epoch}, step {step}{of}; training stopped before this step changed "
        f"the parameters. Usual causes: a learning rate too high for this model (lr={lr}: try 10x lower, or "
        "Trainer(..., clip_grad_norm=1.0)), or nan/inf/unscaled inputs (check np.isfinite(X).all() and scale "
        "features, e.g. pixels to [0, 1])."
    )


# --------------------------------------------------------------------------------------------------
# Trainer
# --------------------------------------------------------------------------------------------------
class Trainer:
    """Train `model` with `optimizer` on `loss_fn(model(*inputs), target)`; batches are (*inputs, target).

    scheduler: stepped once after every epoch (e.g. StepLR). clip_grad_norm: cap the gradients' joint norm.
    verbose: print a progress line per epoch (a live bar in a terminal, one line per epoch elsewhere).
    After fit(): `history` maps "train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr", ...
    to one value per epoch; `epoch` counts the epochs trained so far.
    """

    def __init__(
        self, model, optimizer, loss_fn, scheduler=None, clip_grad_norm: float | None = None, verbose: bool = True
    ):
        self.model, self.optimizer, self.loss_fn, self.scheduler = model, optimizer, loss_fn, scheduler
        self.clip_grad_norm = clip_grad_norm
        self.verbose = verbose
        self.epoch = 0
        self.history: dict = {}
        self.metrics = ("accuracy",)
        logits = isinstance(loss_fn, BCEWithLogitsLoss) or loss_fn is functional.binary_cross_entropy_with_logits
        self._threshold = 0.0 if logits else 0.5  # where a single score means "class 1"

    # ---- the loop -------------------------------------------------------------------------------
    def fit(self, train_loader, epochs: int, val_loader=None, metrics=("accuracy",)) -> dict:
        """Train for `epochs` more epochs (continuing from `self.epoch`); returns `history`."""
        self.metrics = tuple(metrics)
        fns = self._metric_fns(self.metrics)
        last = self.epoch + epochs
        for _ in range(epochs):
            epoch = self.epoch + 1
            if hasattr(train_loader, "set_epoch"):
                train_loader.set_epoch(self.epoch)  # shuffling depends on the epoch: resumes identically
            lr = self.optimizer.param_groups[0]["lr"]
            start = time.perf_counter()
            row = {f"train_{k}": v for k, v in self._train_epoch(train_loader, epoch, last, fns, lr).items()}
            if val_loader is not None:
                row.update({f"val_{k}": v for k, v in self.evaluate(val_loader, self.metrics).items()})
            row["lr"] = lr
            for key, value in row.items():
                self.history.setdefault(key, []).append(value)
            self.epoch = epoch
            if self.scheduler is not None:
                self.scheduler.step()
            if self.verbose:
                self._print_epoch(epoch, last, row, time.perf_counter() - start)
        return self.history

    def _train_epoch(self, loader, epoch, last, fns, lr) -> dict:
        """One pass over `loader`: forward, loss (stop on nan/inf naming the step), backward, clip, step.

        Returns the epoch's mean loss and metrics as a dict; `last` is the final epoch number (for the
        progress line), `fns` the metric functions by name, `lr` the learning rate shown in errors.
        """
        model, loss_fn, opt = self.model, self.loss_fn, self.optimizer
        params = model.parameters() if self.clip_grad_norm is not None else None
        steps = len(loader) if hasattr(loader, "__len__") else None
        live = self.verbose and _is_terminal()
        model.train()
        seen, loss_sum = 0, 0.0
        sums = dict.fromkeys(fns, 0.0)
        drawn = 0.0
        for step, batch in enumerate(loader, 1):
            *inputs, target = batch
            out = model(*inputs)
            loss = loss_fn(out, target)
            value = float(loss.data) if loss.data.size == 1 else _not_scalar(loss)
            if not math.isfinite(value):
                if live:
                    sys.stdout.write("\n")
                raise _diverged(value, epoch, step, steps, lr)
            opt.zero_grad()
            loss.backward()
            if params is not None:
                clip_grad_norm_(params, self.clip_grad_norm)
            opt.step()
            n = len(target)
            seen += n
            loss_sum += value * n
            for name, fn in fns.items():
                sums[name] += fn(out.data, _array(target)) * n
            if live and (time.perf_counter() - drawn > 0.1 or step == steps):
                drawn = time.perf_counter()
                _draw_bar(epoch, last, step, steps, loss_sum / seen)
        if seen == 0:
            raise ValueError(
                "the training loader yielded no batches (is the dataset empty, or drop_last=True "
                "with fewer samples than batch_size?)"
            )
        return {"loss": loss_sum / seen, **{k: s / seen for k, s in sums.items()}}

    def evaluate(self, loader, metrics=None) -> dict:
        """Mean loss and metrics over every sample of `loader`, in eval mode and without a graph."""
        fns = self._metric_fns(self.metrics if metrics is None else tuple(metrics))
        was_training = self.model.training
        self.model.eval()
        seen, loss_sum = 0, 0.0
        sums = dict.fromkeys(fns, 0.0)
        try:
            with no_grad():
                for *inputs, target in loader:
                    out = self.model(*inputs)
                    n = len(target)
                    seen += n
                    loss_sum += float(self.loss_fn(out, target).data) * n
                    for name, fn in fns.items():
                        sums[name] += fn(out.data, _array(target)) * n
        finally:
            self.model.train(was_training)
        if seen == 0:
            raise ValueError("evaluate: the loader yielded no batches")
        return {"loss": loss_sum / seen, **{k: s / seen for k, s in sums.items()}}

    def _metric_fns(self, metrics) -> dict:
        fns = {}
        for m in metrics:
            if callable(m):
                fns[m.__name__] = m
            elif m == "accuracy":
                fns[m] = lambda out, y, threshold=self._threshold: accuracy(out, y, threshold)
            elif m in _METRICS:
                fns[m] = _METRICS[m]
            else:
                raise ValueError(
                    f"unknown metric {m!r}; known: {sorted(_METRICS)}, or pass a function fn(outputs, targets) -> float"
                )
        return fns

    def _print_epoch(self, epoch, last, row, seconds) -> None:
        parts = [f"epoch {epoch:>{len(str(last))}}/{last}"]
        for key, value in row.items():
            if key == "lr":
                continue
            name = key.replace("train_", "").replace("accuracy", "acc")
            parts.append(f"{name} {value:.2%}" if key.endswith("accuracy") else f"{name} {value:.4f}")
        parts.append(f"lr {row['lr']:.3g}  {seconds:.1f}s")
        line = "  ".join(parts)
        if _is_terminal():
            sys.stdout.write("\r" + line + " " * 10 + "\n")
            sys.stdout.flush()
        else:
            print(line)

    # ---- checkpoints ----------------------------------------------------------------------------
    def save_checkpoint(self, path) -> str:
        """Write model weights, optimizer state, scheduler state, epoch, history and the global RNG to
        one `.npz` file (returns its path); `load_checkpoint` restores them bit for bit."""
        path = os.fspath(path)
        if not path.endswith(".npz"):
            path += ".npz"
        arrays = {f"model/{k}": v.numpy() for k, v in self.model.state_dict().items()}
        opt_state = self.optimizer.state_dict()
        for index, buffers in opt_state["state"].items():
            for name, value in buffers.items():
                arrays[f"optimizer/{index}/{name}"] = np.asarray(value)
        meta = {
            "format": CHECKPOINT_FORMAT,
            "epoch": self.epoch,
            "history": self.history,
            "optimizer": type(self.optimizer).__name__,
            "param_groups": opt_state["param_groups"],
            "scheduler": self.scheduler.state_dict() if self.scheduler is not None else None,
            "rng": default_rng().bit_generator.state,  # dropout etc. continue with the same draws
        }
        arrays["meta"] = np.array(json.dumps(meta))
        np.savez(path, **arrays)
        return path

    def load_checkpoint(self, path) -> Trainer:
        """Restore a checkpoint written by `save_checkpoint` into this trainer's model/optimizer/scheduler."""
        path = os.fspath(path)
        with np.load(path, allow_pickle=False) as f:
            if "meta" not in f.files:
                raise ValueError(
                    f"{path} is not a tinytorch checkpoint (no 'meta' entry); "
                    "was it written by Trainer.save_checkpoint?"
                )
            meta = json.loads(str(f["meta"]))
            model_state = {k[len("model/") :]: f[k] for k in f.files if k.startswith("model/")}
            opt_buffers: dict = {}
            for k in f.files:
                if k.startswith("optimizer/"):
                    _, index, name = k.split("/", 2)
                    opt_buffers.setdefault(int(index), {})[name] = f[k]
        if meta.get("format") != CHECKPOINT_FORMAT:
            raise ValueError(f"{path}: unknown checkpoint format {meta.get('format')!r}")
        if meta["optimizer"] != type(self.optimizer).__name__:
            raise ValueError(
                f"{path} was saved with a {meta['optimizer']} optimizer but this trainer uses "
                f"{type(self.optimizer).__name__}; build the same optimizer before loading"
            )
        self.model.load_state_dict(model_state)
        self.optimizer.load_state_dict({"state": opt_buffers, "param_groups": meta["param_groups"]})
        if self.scheduler is not None and meta["scheduler"] is not None:
            self.scheduler.load_state_dict(meta["scheduler"])
        self.epoch = meta["epoch"]
        self.history = {k: list(v) for k, v in meta["history"].items()}
        default_rng().bit_generator.state = meta["rng"]
        return self


def _array(t):
    return t.data if isinstance(t, Tensor) else np.asarray(t)


def _not_scalar(loss):
    raise ValueError(f"loss_fn must return a scalar (the mean over the batch), got shape {loss.shape}")


def _is_terminal() -> bool:
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def _draw_bar(epoch, last, step, steps, loss) -> None:
    if steps:
        done = int(20 * step / steps)
        bar = f"[{'#' * done}{'.' * (20 - done)}] {step}/{steps}"
    else:
        bar = f"step {step}"
    sys.stdout.write(f"\repoch {epoch:>{len(str(last))}}/{last} {bar}  loss {loss:.4f}")
    sys.stdout.flush()
