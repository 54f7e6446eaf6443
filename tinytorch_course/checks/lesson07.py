"""Checks of lesson 07 (Training): gradient clipping, accuracy, the training step/epoch with its NaN
guard, evaluation, the epoch loop with history and schedules, and checkpoints.

The model is a tiny linear regression, `out = x @ W.T + b` with W (1, 2) and b (1,), under a mean
squared error, trained by SGD on hand-made batches (plain lists of (x, y) pairs: lesson 08's
DataLoader is not needed). The case file trains the same model in plain NumPy (its gradient written
out: dL/dout = 2 (out - y) / N), so every expected number is independent of tinytorch. Checkpoint
files are read and written here with `np.load` / `np.savez` in the documented format, in a temporary
directory that is removed afterwards.
"""

from __future__ import annotations

import json
import os
import tempfile

import numpy as np

from tinytorch.nn import MSELoss
from tinytorch.nn import functional as F
from tinytorch.nn.module import Module, Parameter
from tinytorch.optim import SGD
from tinytorch.optim.lr_scheduler import StepLR
from tinytorch.tensor import Tensor, default_rng, is_grad_enabled
from tinytorch.training import CHECKPOINT_FORMAT, Trainer
from tinytorch_course.checks.cases import Case, Piece, Raises
from tinytorch_course.checks.compare import describe, mismatch

HOME = "tinytorch.training"
UTILS_HOME = "tinytorch.nn.utils"

W0 = np.array([[0.5, -0.25]])
B0 = np.array([0.1])
# two batches: 3 samples, then 1 (so a mean over samples differs from a mean over batches)
XS = [np.array([[1.0, 2.0], [0.0, -1.0], [2.0, 0.5]]), np.array([[-1.0, 1.0]])]
YS = [np.array([[1.0], [0.0], [2.0]]), np.array([[-0.5]])]
LR = 0.1


class _Line(Module):
    """out = x @ W.T + b with fixed starting numbers (no random initialisation involved)."""

    def __init__(self):
        self.weight = Parameter(W0.astype(np.float32))
        self.bias = Parameter(B0.astype(np.float32))

    def forward(self, x):
        return F.linear(x, self.weight, self.bias)


def mean_out(outputs, targets):
    """A metric of the case file's own: the mean model output of the batch."""
    return float(np.mean(outputs))


def _batches(xs=XS, ys=YS):
    return [(Tensor(x.astype(np.float32)), Tensor(y.astype(np.float32))) for x, y in zip(xs, ys, strict=True)]


def _trainer(momentum=0.0, scheduler=False, clip=None, loss_fn=None):
    model = _Line()
    opt = SGD(model.parameters(), lr=LR, momentum=momentum)
    sched = StepLR(opt, step_size=1, gamma=0.5) if scheduler else None
    return Trainer(model, opt, loss_fn or MSELoss(), scheduler=sched, clip_grad_norm=clip, verbose=False)


def _weights(trainer):
    return trainer.model.weight.data.copy(), trainer.model.bias.data.copy()


# ---- the same training in NumPy ---------------------------------------------------------------------
def _np_epoch(W, b, lr, clip=None, xs=XS, ys=YS, buf=None, momentum=0.0):
    """One epoch of SGD on the batches: (W, b, mean loss over samples, mean of `mean_out`, buffers)."""
    loss_sum = metric_sum = seen = 0.0
    for X, y in zip(xs, ys, strict=True):
        out = X @ W.T + b
        diff = out - y
        n = len(X)
        loss_sum += np.mean(diff**2) * n
        metric_sum += np.mean(out) * n
        seen += n
        dout = 2 * diff / diff.size
        gW, gb = dout.T @ X, dout.sum(axis=0)
        if clip is not None:
            norm = np.sqrt(np.sum(gW**2) + np.sum(gb**2))
            coef = min(1.0, clip / (norm + 1e-6))
            gW, gb = gW * coef, gb * coef
        if momentum:
            buf = [gW.copy(), gb.copy()] if buf is None else [momentum * buf[0] + gW, momentum * buf[1] + gb]
            gW, gb = buf
        W, b = W - lr * gW, b - lr * gb
    return W, b, loss_sum / seen, metric_sum / seen, buf


def _np_eval(W, b, xs=XS, ys=YS):
    outs = [X @ W.T + b for X in xs]
    n = sum(len(X) for X in xs)
    loss = sum(np.mean((o - y) ** 2) * len(o) for o, y in zip(outs, ys, strict=True)) / n
    return loss, sum(np.mean(o) * len(o) for o in outs) / n


def _f32(a):
    return np.asarray(a, np.float32)


_SHOW_DATA = (
    f"model out = x @ W.T + b, W = {W0.tolist()}, b = {B0.tolist()}; MSE loss; SGD lr {LR}; "
    f"2 batches: x {XS[0].tolist()} -> y {YS[0].ravel().tolist()}, then x {XS[1].tolist()} -> "
    f"y {YS[1].ravel().tolist()}"
)


# ---- clip_grad_norm_ --------------------------------------------------------------------------------
def _with_grads(*grads):
    params = []
    for g in grads:
        p = Tensor(np.zeros(np.shape(g), np.float32), requires_grad=True)
        p.grad = Tensor(np.array(g, np.float32))
        params.append(p)
    return params


def clip_cases():
    g1, g2 = np.array([3.0, 4.0]), np.array([[12.0]])  # joint norm sqrt(9 + 16 + 144) = 13

    def run(max_norm, *grads, **kw):
        def call(impl):
            params = _with_grads(*grads)
            norm = impl(params, max_norm, **kw)
            return (norm,) + tuple(p.grad for p in params)

        return call

    show = f"grads {g1.tolist()} and {g2.tolist()} (joint 2-norm 13)"
    yield Case(
        "returns the joint norm before clipping, as a 0-d Tensor",
        call=lambda impl: impl(_with_grads(g1, g2), 100.0),
        expected=np.float32(13.0),
        returns=Tensor,
        show=show + ", max_norm 100",
        hint="the joint norm is sqrt of the sum of every gradient's squared elements (all parameters together)",
    )
    yield Case(
        "a norm below max_norm leaves the gradients untouched",
        call=run(100.0, g1, g2),
        expected=(np.float32(13), _f32(g1), _f32(g2)),
        show=show + ", max_norm 100",
        hint="only scale when max_norm / (norm + 1e-6) < 1",
    )
    coef = 6.5 / (13 + 1e-6)
    yield Case(
        "max_norm 6.5 halves every gradient together (the direction is kept)",
        call=run(6.5, g1, g2),
        expected=(np.float32(13), _f32(g1 * coef), _f32(g2 * coef)),
        show=show + ", max_norm 6.5",
        hint="multiply every gradient by the same max_norm / (norm + 1e-6), in place (g *= coef)",
    )
    yield Case(
        "norm_type=inf: the largest absolute gradient element",
        call=run(6.0, g1, -g2, norm_type=float("inf")),
        expected=(np.float32(12), _f32(g1 * 6 / (12 + 1e-6)), _f32(-g2 * 6 / (12 + 1e-6))),
        show=f"grads {g1.tolist()} and {(-g2).tolist()}, max_norm 6, norm_type inf",
        hint="for norm_type == math.inf the total is max(|g|.max() over all gradients)",
    )

    big = g1 * 10  # [30, 40]: its largest element, not its smallest, is the norm
    yield Case(
        "norm_type=inf over [30, 40] and [12]: 40, the largest element of any gradient",
        call=run(100.0, big, g2, norm_type=float("inf")),
        expected=(np.float32(40), _f32(big), _f32(g2)),
        show=f"grads {big.tolist()} and {g2.tolist()}, max_norm 100, norm_type inf",
        hint="each gradient contributes its LARGEST absolute element: np.abs(g).max()",
    )
    coef1 = 9.5 / (19 + 1e-6)
    yield Case(
        "norm_type=1: the sum of absolute values (3 + 4 + 12 = 19); max_norm 9.5 halves the gradients",
        call=run(9.5, g1, g2, norm_type=1),
        expected=(np.float32(19), _f32(g1 * coef1), _f32(g2 * coef1)),
        show=show + ", max_norm 9.5, norm_type 1",
        hint="any other norm_type p: the p-norm of the per-gradient p-norms (np.linalg.norm(..., p)); "
        "only 2 and inf have their own shortcuts",
    )
    small = np.array([0.3, 0.4])
    yield Case(
        "norm 0.5 under max_norm 0.9: untouched (never scaled UP by 1.8)",
        call=run(0.9, small),
        expected=(np.float32(0.5), _f32(small)),
        show="grad [0.3, 0.4] (norm 0.5), max_norm 0.9",
        hint="clipping only shrinks: scale only when max_norm / (norm + 1e-6) < 1",
    )
    tiny = np.array([2e-6])
    coef_tiny = 1e-6 / (2e-6 + 1e-6)
    yield Case(
        "a tiny norm 2e-6 with max_norm 1e-6: the 1e-6 in the denominator is ADDED (scale 1/3)",
        call=run(1e-6, tiny),
        expected=(np.float32(2e-6), _f32(tiny * coef_tiny)),
        show="grad [2e-6], max_norm 1e-6",
        rtol=1e-4,
        atol=1e-12,
        hint="coef = max_norm / (norm + 1e-6): the small constant guards against dividing by 0",
    )
    yield Case(
        "no gradients at all: returns a 0-d Tensor 0.0",
        call=lambda impl: impl([Tensor(np.ones(2, np.float32), requires_grad=True)], 1.0),
        expected=np.float32(0.0),
        returns=Tensor,
        show="one parameter whose grad is None, max_norm 1",
        hint="if no parameter has a gradient, return Tensor(0.0) before computing any norm",
    )
    yield Case(
        "a nan gradient without error_if_nonfinite: no error, the norm returned is nan",
        call=lambda impl: impl(_with_grads([1.0, np.nan]), 1.0),
        expected=lambda got: (
            None
            if isinstance(got, Tensor) and np.isnan(float(got.data))
            else f"expected a Tensor holding nan, got {describe(got)}"
        ),
        show="grad [1, nan], max_norm 1 (error_if_nonfinite=False, the default)",
        hint="raise only when error_if_nonfinite is True AND the total is not finite",
    )

    def skip_none(impl):
        params = _with_grads(g1) + [Tensor(np.ones(2, np.float32), requires_grad=True)]
        return impl(params, 1.0)

    yield Case(
        "parameters without a gradient are left out",
        call=skip_none,
        expected=np.float32(5.0),
        show=f"grads {g1.tolist()} and None, max_norm 1",
        hint="collect p.grad.data for p with p.grad is not None",
    )
    yield Case(
        "a single tensor works as well as a list",
        call=lambda impl: impl(_with_grads(g1)[0], 100.0),
        expected=np.float32(5.0),
        show=f"one tensor with grad {g1.tolist()}, max_norm 100",
        hint="if `parameters` is a Tensor, wrap it: parameters = [parameters]",
    )
    yield Case(
        "error_if_nonfinite: a nan gradient raises RuntimeError naming the norm",
        call=lambda impl: impl(_with_grads([1.0, np.nan]), 1.0, error_if_nonfinite=True),
        expected=Raises(RuntimeError, "nan"),
        show="grad [1, nan], max_norm 1, error_if_nonfinite=True",
        hint="check np.isfinite(total) and raise RuntimeError with the total's value in the message",
    )


# ---- accuracy ---------------------------------------------------------------------------------------
def accuracy_cases():
    scores = np.array([[2.0, 1.0, 0.0], [0.1, 0.3, 0.2], [0.0, 0.0, 5.0], [1.0, 2.0, 3.0]], np.float32)
    labels = np.array([0, 1, 2, 0])
    yield Case(
        "class scores (4, 3) and labels (4,): the arg-max is the prediction",
        (scores, labels),
        float(np.mean(np.argmax(scores, axis=1) == labels)),
        returns=float,
        hint="outputs.argmax(axis=-1) == targets, then the mean; return a Python float",
    )
    probs, targets = np.array([0.9, 0.4, 0.6, 0.2], np.float32), np.array([1.0, 1.0, 0.0, 0.0], np.float32)
    yield Case(
        "one probability per sample (4,) with 0/1 targets: > 0.5 predicts 1",
        (probs, targets),
        float(np.mean((probs > 0.5) == (targets > 0.5))),
        returns=float,
        hint="when outputs and targets have the same shape, compare (outputs > threshold) with (targets > 0.5)",
    )
    logits = np.array([[1.5], [-0.2], [0.3], [-2.0]], np.float32)
    col = targets.reshape(4, 1)
    yield Case(
        "logits (4, 1), targets (4, 1), threshold=0: > 0 predicts 1",
        (logits, col),
        float(np.mean((logits > 0) == (col > 0.5))),
        kwargs={"threshold": 0.0},
        returns=float,
    )
    at = np.array([0.9, 0.5, 0.2, 0.7], np.float32)
    truth = np.array([1.0, 0.0, 0.0, 0.0], np.float32)
    yield Case(
        "a probability exactly at the threshold 0.5 predicts 0: [0.9, 0.5, 0.2, 0.7] vs [1, 0, 0, 0] is 0.75",
        (at, truth),
        0.75,
        returns=float,
        hint="strictly greater: outputs > threshold predicts 1 (0.5 itself predicts 0)",
    )
    yield Case(
        "scores (4, 1) with 0/1 targets (4,): one score per sample, not one class",
        (at.reshape(4, 1), np.array([1.0, 0.0, 0.0, 1.0], np.float32)),
        1.0,
        returns=float,
        hint="outputs of shape (N, 1) with targets (N,): take outputs[..., 0] first, then threshold",
    )
    seq_scores = np.random.default_rng(7).standard_normal((2, 3, 4)).astype(np.float32)
    seq_labels = np.array([[0, 1, 2], [3, 3, 0]])
    yield Case(
        "scores (2, 3, 4) for labels (2, 3) (a sequence of predictions): arg-max over the LAST axis",
        (seq_scores, seq_labels),
        float(np.mean(seq_scores.argmax(axis=-1) == seq_labels)),
        returns=float,
        hint="outputs.argmax(axis=-1): the classes are the last axis whatever the leading ones",
    )
    yield Case(
        "4 scores with 5 targets raise ValueError naming both shapes",
        (probs, np.zeros(5, np.float32)),
        Raises(ValueError, "(4,)", "(5,)"),
        hint="neither (N, C) with (N,) nor equal shapes: raise a ValueError with both shapes in it",
    )


# ---- one epoch -----------------------------------------------------------------------------------------
def train_epoch_cases():
    W1, b1, loss1, metric1, _ = _np_epoch(W0, B0, LR)

    def epoch(trainer_kw=None, fns=None, batches=None):
        def call(impl):
            trainer = _trainer(**(trainer_kw or {}))
            result = impl(trainer, batches or _batches(), 1, 1, fns or {}, LR)
            return result, trainer

        return call

    first_only = _np_epoch(W0, B0, LR, xs=XS[:1], ys=YS[:1])

    def one_batch(impl):
        trainer = _trainer()
        impl(trainer, _batches()[:1], 1, 1, {}, LR)
        return _weights(trainer)

    yield Case(
        "one batch: forward, loss, backward, one SGD step",
        call=one_batch,
        expected=(_f32(first_only[0]), _f32(first_only[1])),
        show=_SHOW_DATA + " (the first batch only)",
        hint="per batch: *inputs, target = batch; out = model(*inputs); loss = loss_fn(out, target); "
        "optimizer.zero_grad(); loss.backward(); optimizer.step()",
    )

    def two_batches(impl):
        _, trainer = epoch()(impl)
        return _weights(trainer)

    yield Case(
        "two batches: each step uses only its own batch's gradient (zero_grad first)",
        call=two_batches,
        expected=(_f32(W1), _f32(b1)),
        show=_SHOW_DATA,
        hint="gradients add up across backward() calls: call optimizer.zero_grad() before loss.backward()",
    )

    def returned(impl):
        result, _ = epoch(fns={"mean_out": mean_out})(impl)
        return result

    yield Case(
        "returns the mean loss and metrics over samples, {'loss': ..., 'mean_out': ...}",
        call=returned,
        expected=lambda got: _dict_mismatch(got, {"loss": loss1, "mean_out": metric1}),
        show=_SHOW_DATA + "; fns = {'mean_out': mean of the batch's outputs}",
        hint="weight each batch by its number of samples n = len(target): loss_sum += loss * n, ...; "
        "divide by the samples seen; metrics: fn(out.data, target.data)",
    )

    Wc, bc, *_ = _np_epoch(W0, B0, LR, clip=0.5)

    def clipped(impl):
        _, trainer = epoch({"clip": 0.5})(impl)
        return _weights(trainer)

    yield Case(
        "Trainer(clip_grad_norm=0.5): every step's gradients are clipped first",
        call=clipped,
        expected=(_f32(Wc), _f32(bc)),
        show=_SHOW_DATA + "; clip_grad_norm 0.5",
        hint="between backward() and step(): if self.clip_grad_norm is not None, "
        "clip_grad_norm_(model.parameters(), self.clip_grad_norm)",
    )

    bad = [XS[0], np.array([[np.nan, 1.0]])]

    def nan_call(impl):
        return impl(_trainer(), _batches(bad), 3, 5, {}, LR)

    yield Case(
        "a nan loss at step 2 raises FloatingPointError naming the epoch and the step",
        call=nan_call,
        expected=Raises(FloatingPointError, "epoch 3", "step 2"),
        show=_SHOW_DATA.split("; 2 batches")[0] + "; epoch 3, the second batch's x holds nan",
        hint="after computing the loss: if not math.isfinite(value): raise _diverged(value, epoch, step, steps, lr)",
    )
    Wn, bn, *_ = _np_epoch(W0, B0, LR, xs=XS[:1], ys=YS[:1])

    def nan_params(impl):
        trainer = _trainer()
        try:
            impl(trainer, _batches(bad), 3, 5, {}, LR)
        except FloatingPointError:
            pass
        return _weights(trainer)

    yield Case(
        "the nan step changes no parameter (the guard comes before backward and step)",
        call=nan_params,
        expected=(_f32(Wn), _f32(bn)),
        show="as above: only the first batch's step may have happened",
        hint="check the loss right after computing it, before zero_grad/backward/step",
    )

    def train_mode(impl):
        trainer = _trainer()
        trainer.model.eval()
        impl(trainer, _batches(), 1, 1, {}, LR)
        return trainer.model.training

    yield Case(
        "puts the model in training mode first",
        call=train_mode,
        expected=True,
        show="a model left in eval() mode",
        hint="call model.train() before the loop (Dropout behaves differently)",
    )
    yield Case(
        "an empty loader raises ValueError",
        call=lambda impl: impl(_trainer(), [], 1, 1, {}, LR),
        expected=Raises(ValueError),
        show="loader = []",
        hint="no batch means no sample seen: raise ValueError instead of dividing by zero",
    )


def _dict_mismatch(got, expected):
    if not isinstance(got, dict):
        return f"expected a dict like {expected}, got {describe(got)}"
    if set(got) != set(expected):
        return f"keys {sorted(got)}, expected {sorted(expected)}"
    for k, v in expected.items():
        problem = mismatch(got[k], v, rtol=1e-5, path=repr(k))
        if problem:
            return problem
    return None


# ---- evaluation ------------------------------------------------------------------------------------------
class _Spy:
    """A loss function that records, at every call, whether a graph is being built and the model's mode."""

    def __init__(self, model):
        self.model, self.calls = model, []
        self.mse = MSELoss()

    def __call__(self, out, target):
        self.calls.append((is_grad_enabled(), self.model.training))
        return self.mse(out, target)


def evaluate_cases():
    loss, metric = _np_eval(W0, B0)
    yield Case(
        "mean loss and metrics over every sample, batches weighted by size",
        call=lambda impl: impl(_trainer(), _batches(), (mean_out,)),
        expected=lambda got: _dict_mismatch(got, {"loss": loss, "mean_out": metric}),
        show=_SHOW_DATA + "; metrics = (mean_out,)",
        hint="self._metric_fns(metrics) gives {name: fn}; sum loss * n and fn(out.data, target.data) * n",
    )
    yield Case(
        "metrics=None uses the trainer's own metrics (self.metrics)",
        call=lambda impl: impl(_with_metrics(_trainer(), (mean_out,)), _batches()),
        expected=lambda got: _dict_mismatch(got, {"loss": loss, "mean_out": metric}),
        show="trainer.metrics = (mean_out,); evaluate(loader)",
        hint="fns = self._metric_fns(self.metrics if metrics is None else tuple(metrics))",
    )

    def modes(impl):
        trainer = _trainer()
        spy = trainer.loss_fn = _Spy(trainer.model)
        impl(trainer, _batches(), ())
        return spy.calls

    yield Case(
        "no graph and eval mode while evaluating (grad mode, model.training) = (False, False)",
        call=modes,
        expected=lambda calls: (
            None
            if calls and all(c == (False, False) for c in calls)
            else f"(grad enabled, model.training) at each loss call: {calls}, expected (False, False) each time"
        ),
        show="a loss function that records is_grad_enabled() and model.training",
        hint="self.model.eval(), and the loop inside `with no_grad():`",
    )

    def restored(impl):
        trainer = _trainer()
        trainer.model.train()
        impl(trainer, _batches(), ())
        return trainer.model.training

    yield Case(
        "a model that was training is training again afterwards",
        call=restored,
        expected=True,
        show="model in train() mode before evaluate",
        hint="remember was_training = self.model.training; restore with self.model.train(was_training) in a finally:",
    )
    yield Case(
        "an empty loader raises ValueError",
        call=lambda impl: impl(_trainer(), [], ()),
        expected=Raises(ValueError),
        show="loader = []",
    )


def _with_metrics(trainer, metrics):
    trainer.metrics = metrics
    return trainer


# ---- the epoch loop ----------------------------------------------------------------------------------------
class _EpochLoader(list):
    """A list of batches that records the epochs `set_epoch` announces (as DataLoader's shuffling uses)."""

    def __init__(self, batches):
        super().__init__(batches)
        self.announced = []

    def set_epoch(self, epoch):
        self.announced.append(epoch)


def fit_printing_cases():
    yield Case(
        "verbose, resumed at epoch 2, fit 2 more: prints epoch 3/4 and epoch 4/4",
        call=_fit_printed(True),
        expected=lambda got: (
            None if "3/4" in got and "4/4" in got else f"printed {got!r}: expected lines for epoch 3/4 and 4/4"
        ),
        show="trainer.epoch = 2, verbose=True; fit(loader, epochs=2)",
        hint="the last epoch is self.epoch + epochs (counted before the loop): here 2 + 2 = 4",
    )
    yield Case(
        "verbose=False prints nothing",
        call=_fit_printed(False),
        expected=lambda got: None if got == "" else f"printed {got!r}: expected nothing with verbose=False",
        show="trainer.epoch = 2, verbose=False; fit(loader, epochs=2)",
        hint="print each epoch's line only if self.verbose",
    )


def fit_cases():
    yield from fit_printing_cases()
    W, b = W0, B0
    history = {"train_loss": [], "val_loss": [], "lr": []}
    lrs = [LR, LR / 2]
    for lr in lrs:
        W, b, loss, _, _ = _np_epoch(W, b, lr)
        history["train_loss"].append(loss)
        history["val_loss"].append(_np_eval(W, b)[0])
        history["lr"].append(lr)

    def run(impl, trainer=None, epochs=2, val=True, metrics=()):
        trainer = trainer or _trainer(scheduler=True)
        impl(trainer, _batches(), epochs, _batches() if val else None, metrics)
        return trainer

    def hist(impl):
        return run(impl).history

    yield Case(
        "2 epochs with a validation set and StepLR(gamma=0.5): history per epoch",
        call=hist,
        expected=lambda got: _dict_mismatch(got, history),
        show=_SHOW_DATA + "; validation = the same batches; StepLR(step_size=1, gamma=0.5); fit(..., epochs=2)",
        hint="per epoch: row = train_ metrics from self._train_epoch, val_ ones from self.evaluate, row['lr'] = "
        "the lr at the epoch's start; append each to self.history[key]",
    )
    yield Case(
        "the scheduler steps once per epoch: lr 0.1, 0.05, then 0.025",
        call=lambda impl: [g["lr"] for g in run(impl).optimizer.param_groups],
        expected=[LR / 4],
        show="StepLR(step_size=1, gamma=0.5); fit 2 epochs; the optimizer's lr afterwards",
        hint="after each epoch: if self.scheduler is not None: self.scheduler.step()",
    )
    yield Case(
        "returns self.history",
        call=lambda impl: (lambda t, h: h is t.history)(*_fit_returning(impl)),
        expected=True,
        show="h = trainer.fit(...); h is trainer.history",
        hint="return self.history",
    )

    def resumed(impl):
        trainer = _trainer(scheduler=True)
        impl(trainer, _batches(), 1, _batches(), ())
        impl(trainer, _batches(), 1, _batches(), ())
        return trainer.epoch, trainer.history.get("train_loss")

    yield Case(
        "a second fit continues: epoch 1 -> 2, the history grows",
        call=resumed,
        expected=(2, history["train_loss"]),
        show="fit(epochs=1) twice",
        hint="epochs are counted from self.epoch: epoch = self.epoch + 1 ... self.epoch = epoch",
    )

    def metric_keys(impl):
        trainer = run(impl, epochs=1, metrics=(mean_out,))
        return sorted(trainer.history)

    yield Case(
        "metrics appear as train_<name> and val_<name>",
        call=metric_keys,
        expected=sorted(["train_loss", "train_mean_out", "val_loss", "val_mean_out", "lr"]),
        show="fit(..., epochs=1, metrics=(mean_out,))",
        hint="fns = self._metric_fns(metrics) (also set self.metrics = tuple(metrics) for evaluate)",
    )

    def announced(impl):
        trainer, loader = _trainer(), _EpochLoader(_batches())
        impl(trainer, loader, 2, None, ())
        return loader.announced

    yield Case(
        "a loader with set_epoch hears each epoch's number before it is iterated",
        call=announced,
        expected=[0, 1],
        show="a loader recording set_epoch calls; fit 2 epochs",
        hint="if hasattr(train_loader, 'set_epoch'): train_loader.set_epoch(self.epoch) (the epochs done so far)",
    )


def _fit_printed(verbose):
    def call(impl):
        import contextlib
        import io

        trainer = _trainer()
        trainer.epoch, trainer.verbose = 2, verbose  # resumed after 2 epochs
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            impl(trainer, _batches(), 2, None, ())
        return out.getvalue()

    return call


def _fit_returning(impl):
    trainer = _trainer()
    return trainer, impl(trainer, _batches(), 1, None, ())


# ---- checkpoints --------------------------------------------------------------------------------------------
def _trained_state():
    """A trainer mid-run, set up by hand: momentum buffers, epoch 3, a history, a stepped scheduler."""
    trainer = _trainer(momentum=0.9, scheduler=True)
    for p in trainer.model.parameters():
        p.grad = Tensor(np.full(p.shape, 0.5, np.float32))
    trainer.optimizer.step()
    trainer.scheduler.step()
    trainer.epoch = 3
    trainer.history = {"train_loss": [0.5, 0.25, 0.125], "lr": [0.1, 0.1, 0.05]}
    return trainer


def _saved(impl, name="ckpt"):
    """(returned path, file names -> arrays, meta dict, trainer) of a checkpoint saved by `impl`."""
    trainer = _trained_state()
    rng = default_rng().bit_generator.state
    with tempfile.TemporaryDirectory() as folder:
        path = impl(trainer, os.path.join(folder, name))
        target = path if isinstance(path, str) and os.path.exists(path) else os.path.join(folder, name + ".npz")
        with np.load(target, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    meta = json.loads(str(arrays.pop("meta"))) if "meta" in arrays else None
    return (os.path.basename(path) if isinstance(path, str) else path), arrays, meta, trainer, rng


def _saved_files(impl):
    with tempfile.TemporaryDirectory() as folder:
        impl(_trained_state(), os.path.join(folder, "ckpt.npz"))
        return sorted(os.listdir(folder))


def save_cases():
    yield Case(
        "a path already ending in .npz is used as it is (not ckpt.npz.npz)",
        call=_saved_files,
        expected=lambda got: None if got == ["ckpt.npz"] else f"files written: {got}, expected ['ckpt.npz']",
        show="save_checkpoint('ckpt.npz')",
        hint="add '.npz' only when the path does not end with it already",
    )
    yield Case(
        "'ckpt' is written as 'ckpt.npz', and that path is returned",
        call=lambda impl: _saved(impl)[0],
        expected="ckpt.npz",
        show="save_checkpoint('<tmp>/ckpt')",
        hint="add '.npz' when the path lacks it, np.savez(path, **arrays), return path",
    )

    def model_arrays(impl):
        _, arrays, _, trainer, _ = _saved(impl)
        return {k: v for k, v in arrays.items() if k.startswith("model/")}, trainer

    yield Case(
        "model weights under 'model/<name>'",
        call=model_arrays,
        expected=lambda got: _dict_mismatch(got[0], {f"model/{k}": v for k, v in got[1].model.state_dict().items()}),
        show="a trainer whose model has 'weight' (1, 2) and 'bias' (1,)",
        hint="arrays = {f'model/{k}': v for k, v in self.model.state_dict().items()}",
    )

    def buffers(impl):
        _, arrays, _, trainer, _ = _saved(impl)
        return {k: v for k, v in arrays.items() if k.startswith("optimizer/")}, trainer

    yield Case(
        "optimizer buffers under 'optimizer/<index>/<name>'",
        call=buffers,
        expected=lambda got: _dict_mismatch(
            got[0],
            {
                f"optimizer/{i}/{name}": v
                for i, s in got[1].optimizer.state_dict()["state"].items()
                for name, v in s.items()
            },
        ),
        show="SGD(momentum=0.9) after one step: a momentum_buffer per parameter (indices 0 and 1)",
        hint="self.optimizer.state_dict()['state'] is {index: {name: array}}: one file entry per buffer",
    )

    def meta_basics(impl):
        _, _, meta, trainer, _ = _saved(impl)
        if meta is None:
            return "the file has no 'meta' entry"
        groups = json.loads(json.dumps(trainer.optimizer.state_dict()["param_groups"]))
        want = {
            "format": CHECKPOINT_FORMAT,
            "epoch": 3,
            "history": trainer.history,
            "optimizer": "SGD",
            "param_groups": groups,
        }
        wrong = [k for k, v in want.items() if meta.get(k) != v]
        return f"meta[{wrong[0]!r}] is {meta.get(wrong[0])!r}, expected {want[wrong[0]]!r}" if wrong else None

    yield Case(
        "'meta' (JSON) holds the format, epoch, history, optimizer name and param_groups",
        call=meta_basics,
        expected=lambda problem: problem,
        show="epoch 3, a history of 3 epochs, SGD",
        hint="meta = {'format': CHECKPOINT_FORMAT, 'epoch': ..., 'history': ..., 'optimizer': "
        "type(self.optimizer).__name__, 'param_groups': ...}; arrays['meta'] = np.array(json.dumps(meta))",
    )

    def meta_state(impl):
        _, _, meta, trainer, rng = _saved(impl)
        if meta is None:
            return "the file has no 'meta' entry"
        want = {"scheduler": json.loads(json.dumps(trainer.scheduler.state_dict())), "rng": rng}
        wrong = [k for k, v in want.items() if meta.get(k) != v]
        return f"meta[{wrong[0]!r}] is {meta.get(wrong[0])!r}, expected {want[wrong[0]]!r}" if wrong else None

    yield Case(
        "'meta' holds the scheduler's state and the global random generator's state",
        call=meta_state,
        expected=lambda problem: problem,
        show="a StepLR scheduler; tinytorch's global generator",
        hint="'scheduler': self.scheduler.state_dict() (or None), 'rng': default_rng().bit_generator.state",
    )


def _write_checkpoint(folder, name="ckpt.npz", optimizer="SGD", meta=True, rng_seed=7, fmt=CHECKPOINT_FORMAT):
    """A checkpoint file in the documented format, written with NumPy alone; returns (path, content)."""
    weight, bias = np.array([[1.5, -2.0]], np.float32), np.array([0.25], np.float32)
    bufs = [np.array([[0.1, 0.2]], np.float32), np.array([0.3], np.float32)]
    state_rng = np.random.default_rng(rng_seed).bit_generator.state
    content = {
        "format": fmt,
        "epoch": 4,
        "history": {"train_loss": [0.4, 0.3, 0.2, 0.1]},
        "optimizer": optimizer,
        "param_groups": [
            {
                "lr": 0.025,
                "momentum": 0.9,
                "dampening": 0.0,
                "weight_decay": 0.0,
                "nesterov": False,
                "initial_lr": 0.1,
                "params": [0, 1],
            }
        ],
        "scheduler": {"step_size": 1, "gamma": 0.5, "base_lrs": [0.1], "last_epoch": 2, "_last_lr": [0.025]},
        "rng": state_rng,
    }
    arrays = {
        "model/weight": weight,
        "model/bias": bias,
        "optimizer/0/momentum_buffer": bufs[0],
        "optimizer/1/momentum_buffer": bufs[1],
    }
    if meta:
        arrays["meta"] = np.array(json.dumps(content))
    path = os.path.join(folder, name)
    np.savez(path, **arrays)
    return path, dict(content, weight=weight, bias=bias, bufs=bufs)


def _loaded(impl, scheduler=True, **kw):
    """Load a NumPy-written checkpoint with `impl` into a fresh trainer: (trainer, content, first draw)."""
    trainer = _trainer(momentum=0.9, scheduler=scheduler)
    saved_rng = default_rng().bit_generator.state
    try:
        with tempfile.TemporaryDirectory() as folder:
            path, content = _write_checkpoint(folder, **kw)
            result = impl(trainer, path)
        draw = default_rng().random()
    finally:
        default_rng().bit_generator.state = saved_rng  # leave tinytorch's generator as it was
    return trainer, content, draw, result


def load_edge_cases():
    yield Case(
        "a checkpoint of another format raises ValueError naming that format",
        call=lambda impl: _loaded(impl, fmt="someone-else/1"),
        expected=Raises(ValueError, "someone-else/1"),
        show="a checkpoint whose meta says format 'someone-else/1'",
        hint="check meta['format'] == CHECKPOINT_FORMAT before restoring anything",
    )
    yield Case(
        "a trainer without a scheduler loads a checkpoint that has one (the schedule is skipped)",
        call=lambda impl: _loaded(impl, scheduler=False)[0].epoch,
        expected=4,
        show="Trainer(..., scheduler=None).load_checkpoint(a checkpoint saved with StepLR)",
        hint="restore the scheduler only if self.scheduler is not None AND the checkpoint has one",
    )


def load_cases():
    yield from load_edge_cases()

    def weights(impl):
        trainer, content, _, _ = _loaded(impl)
        params = trainer.model.parameters()
        return (
            trainer.model.weight.data,
            trainer.model.bias.data,
            trainer.optimizer.state.get(params[0], {}).get("momentum_buffer"),
            trainer.optimizer.state.get(params[1], {}).get("momentum_buffer"),
        )

    yield Case(
        "model weights and the optimizer's momentum buffers come back",
        call=weights,
        expected=(
            np.array([[1.5, -2.0]], np.float32),
            np.array([0.25], np.float32),
            np.array([[0.1, 0.2]], np.float32),
            np.array([0.3], np.float32),
        ),
        show="a checkpoint file: weight [[1.5, -2]], bias [0.25], momentum buffers [[0.1, 0.2]] and [0.3]",
        hint="self.model.load_state_dict({name: array}) and self.optimizer.load_state_dict({'state': "
        "{index: {name: array}}, 'param_groups': meta['param_groups']})",
    )

    def counters(impl):
        trainer, _, _, _ = _loaded(impl)
        return (trainer.epoch, trainer.history, trainer.optimizer.param_groups[0]["lr"], trainer.scheduler.last_epoch)

    yield Case(
        "epoch, history, the lr and the scheduler come back",
        call=counters,
        expected=(4, {"train_loss": [0.4, 0.3, 0.2, 0.1]}, 0.025, 2),
        show="a checkpoint of epoch 4 with lr 0.025 and a StepLR at last_epoch 2",
        hint="self.epoch = meta['epoch']; self.history = meta['history']; "
        "self.scheduler.load_state_dict(meta['scheduler'])",
    )
    first = np.random.default_rng(7).random()
    yield Case(
        "the global random generator continues where it was saved",
        call=lambda impl: _loaded(impl)[2],
        expected=first,
        rtol=0,
        atol=0,
        show="the saved generator state is that of np.random.default_rng(7)",
        hint="default_rng().bit_generator.state = meta['rng']",
    )
    yield Case(
        "returns the trainer itself",
        call=lambda impl: (lambda t, c, d, r: r is t)(*_loaded(impl)),
        expected=True,
        show="trainer.load_checkpoint(path) is trainer",
        hint="return self",
    )

    def no_meta(impl):
        _loaded(impl, name="weights_only.npz", meta=False)

    yield Case(
        "a file without 'meta' raises ValueError naming the file",
        call=no_meta,
        expected=Raises(ValueError, "weights_only.npz"),
        show="an .npz file with arrays but no 'meta'",
        hint="check 'meta' in f.files and raise ValueError(f'{path} is not a tinytorch checkpoint ...')",
    )
    yield Case(
        "an Adam checkpoint into an SGD trainer raises ValueError naming both",
        call=lambda impl: _loaded(impl, optimizer="Adam"),
        expected=Raises(ValueError, "Adam", "SGD"),
        show="meta['optimizer'] = 'Adam'; the trainer has SGD",
        hint="compare meta['optimizer'] with type(self.optimizer).__name__ before loading anything",
    )

    W, b, buf = W0, B0, None
    for _ in range(2):
        W, b, _, _, buf = _np_epoch(W, b, LR, buf=buf, momentum=0.9)

    def resume(impl):
        first = _trainer(momentum=0.9)
        first.fit(_batches(), 1, metrics=())
        with tempfile.TemporaryDirectory() as folder:
            path = first.save_checkpoint(os.path.join(folder, "ckpt"))
            second = _trainer(momentum=0.9)
            impl(second, path)
        second.fit(_batches(), 1, metrics=())
        return _weights(second)

    yield Case(
        "resume: 1 epoch, save, load into a new trainer, 1 epoch = 2 epochs straight",
        call=resume,
        expected=(_f32(W), _f32(b)),
        show=_SHOW_DATA + "; SGD momentum 0.9 (the buffers must come back too)",
        hint="without the optimizer's buffers, momentum restarts from zero and the weights differ",
    )


PIECES = [
    Piece(
        "clip_grad_norm_",
        clip_cases,
        home=UTILS_HOME,
        title="clip the gradients' joint norm",
        todo="scale all gradients in place so that their joint norm is at most max_norm; return the norm before",
        hints=[
            "grads = [p.grad.data for p in parameters if p.grad is not None]; the joint 2-norm is "
            "sqrt(sum over all of (g * g).sum()).",
            "coef = max_norm / (total + 1e-6); if coef < 1: g *= coef for every g (in place).",
            "Return Tensor(total); handle norm_type == math.inf (the max |g|) and error_if_nonfinite.",
        ],
    ),
    Piece(
        "accuracy",
        accuracy_cases,
        title="accuracy",
        todo="return the fraction of correct predictions (arg-max of class scores, or one score > threshold)",
        hints=[
            "Class scores: outputs.ndim == targets.ndim + 1; the prediction is outputs.argmax(axis=-1).",
            "Same shapes: (outputs > threshold) == (targets > 0.5). Return float(... .mean()).",
        ],
    ),
    Piece(
        "Trainer._train_epoch",
        train_epoch_cases,
        title="one training epoch",
        todo="train on every batch of `loader` once; return {'loss': mean, **metric means} over samples",
        hints=[
            "model.train(); then for step, batch in enumerate(loader, 1): *inputs, target = batch; "
            "out = model(*inputs); loss = loss_fn(out, target); value = float(loss.data).",
            "If not math.isfinite(value): raise _diverged(value, epoch, step, len(loader), lr). Otherwise "
            "opt.zero_grad(); loss.backward(); clip if self.clip_grad_norm is not None; opt.step().",
            "n = len(target): add value * n and fn(out.data, _array(target)) * n per metric; divide by the total n.",
        ],
    ),
    Piece(
        "Trainer.evaluate",
        evaluate_cases,
        title="evaluation without a graph",
        todo="return {'loss': mean, **metric means} over every sample of `loader`, in eval mode and without a graph",
        hints=[
            "fns = self._metric_fns(self.metrics if metrics is None else tuple(metrics)).",
            "was_training = self.model.training; self.model.eval(); try: with no_grad(): the loop ... "
            "finally: self.model.train(was_training).",
            "Weight by n = len(target) like _train_epoch; raise ValueError when no batch came.",
        ],
    ),
    Piece(
        "Trainer.fit",
        fit_cases,
        title="the epoch loop",
        todo="train for `epochs` more epochs: per epoch train, evaluate, record history, step the scheduler",
        hints=[
            "self.metrics = tuple(metrics); fns = self._metric_fns(self.metrics); last = self.epoch + epochs.",
            "Per epoch: epoch = self.epoch + 1; set_epoch(self.epoch) if the loader has it; lr = "
            "self.optimizer.param_groups[0]['lr']; row = {'train_' + k: v} from self._train_epoch(...).",
            "Add 'val_' + k from self.evaluate(val_loader, self.metrics), row['lr'] = lr; append each to "
            "self.history.setdefault(key, []); self.epoch = epoch; scheduler.step(); print if verbose.",
        ],
    ),
    Piece(
        "Trainer.save_checkpoint",
        save_cases,
        title="save a checkpoint",
        todo="write model weights, optimizer buffers and a JSON 'meta' entry to one .npz file; return its path",
        hints=[
            "path = os.fspath(path), plus '.npz' if missing; arrays['model/' + name] for the model's state_dict().",
            "For each index, buffers in self.optimizer.state_dict()['state'].items(): "
            "arrays[f'optimizer/{index}/{name}'] = np.asarray(value).",
            "meta: format, epoch, history, optimizer (class name), param_groups, scheduler state (or None), "
            "rng state; arrays['meta'] = np.array(json.dumps(meta)); np.savez(path, **arrays).",
        ],
    ),
    Piece(
        "Trainer.load_checkpoint",
        load_cases,
        title="resume from a checkpoint",
        todo="read a checkpoint written by save_checkpoint back into this trainer; return self",
        hints=[
            "with np.load(path, allow_pickle=False) as f: check 'meta' in f.files; meta = json.loads(str(f['meta'])).",
            "model/<name> entries go to self.model.load_state_dict; optimizer/<i>/<name> to "
            "{'state': {i: {name: array}}, 'param_groups': meta['param_groups']} for the optimizer.",
            "Check meta['optimizer'] first; then scheduler, epoch, history and "
            "default_rng().bit_generator.state = meta['rng'].",
        ],
    ),
]
