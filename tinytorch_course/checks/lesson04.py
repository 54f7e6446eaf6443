"""Checks of lesson 04 (Losses): MSE, cross-entropy via log-sum-exp, BCE, BCE with logits (values).

Expected losses are computed by NumPy in float64 from the same inputs (log-sum-exp written out
here, never by calling tinytorch). The stability cases use logits of magnitude 1e4, where
softmax-then-log or sigmoid-then-log gives inf or NaN in float32. Gradients come in lesson 05.
"""

from __future__ import annotations

import numpy as np

from tinytorch.tensor import Tensor
from tinytorch_course.checks.cases import Case, Piece, Raises
from tinytorch_course.checks.fixtures import np_cross_entropy

HOME = "tinytorch.nn.functional"
F32 = np.float32


def _t(array, dtype=F32) -> Tensor:
    return Tensor(np.asarray(array, dtype=dtype), dtype=dtype)


OPTIONS_HINT = (
    "torch's keywords (reduction=, ignore_index=, label_smoothing=, weight=) arrive in **options: "
    "hand them over first, `if options: return loss_options.{name}({args}, **options)`"
)


def _loss_case(name, args, expected, **kw) -> Case:
    """The result must be a 0-d float32 Tensor (a scalar loss) equal to `expected`."""
    return Case(name, args, np.asarray(expected, dtype=F32), returns=Tensor, dtype=F32, **kw)


# ---- mean squared error -------------------------------------------------------------------------
def mse_cases():
    p = np.array([1.0, 2.5, -1.0, 0.0], F32)
    t = np.array([1.5, 2.0, 1.0, 0.0], F32)
    yield _loss_case(
        "(4,) predictions vs (4,) targets: mean of squared differences",
        (_t(p), _t(t)),
        np.mean((p.astype(np.float64) - t) ** 2),
        hint="square the differences, then average over every element (not the sum)",
    )
    pb = np.array([[0.5, -0.5], [2.0, 1.0], [0.0, 3.0]], F32)
    tb = np.array([[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]], F32)
    yield _loss_case(
        "a (3, 2) batch: the mean over all 6 elements, a 0-d tensor",
        (_t(pb), _t(tb)),
        np.mean((pb.astype(np.float64) - tb) ** 2),
        hint="reduce over every axis (mean() with no axis) so the loss is one number",
    )
    yield _loss_case(
        "the target may be a NumPy array",
        (_t(p), t),
        np.mean((p.astype(np.float64) - t) ** 2),
        hint="turn the target into a Tensor first (the given _t does it)",
    )
    yield Case(
        "prediction (4, 1) vs target (4,) raises ValueError naming both shapes (no silent (4, 4))",
        (_t(p.reshape(4, 1)), _t(t)),
        Raises(ValueError, "(4, 1)", "(4,)"),
        hint="(4, 1) - (4,) broadcasts to (4, 4): compare the shapes first (the given _check_same_shape does it)",
    )
    yield _loss_case(
        "reduction='sum' (torch's keyword): the sum of squared differences, not the mean",
        (_t(p), _t(t)),
        np.sum((p.astype(np.float64) - t) ** 2),
        kwargs={"reduction": "sum"},
        hint=OPTIONS_HINT.format(name="mse_loss", args="pred, target"),
    )
    yield Case(
        "reduction='none': the (4,) squared differences, one per element",
        (_t(p), _t(t)),
        ((p.astype(np.float64) - t) ** 2).astype(F32),
        kwargs={"reduction": "none"},
        returns=Tensor,
        dtype=F32,
        hint=OPTIONS_HINT.format(name="mse_loss", args="pred, target"),
    )


# ---- cross-entropy ---------------------------------------------------------------------------------
def _ce_smoothed(logits, targets, eps):
    z = np.asarray(logits, np.float64)
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    nll = -logp[np.arange(len(targets)), targets]
    return ((1 - eps) * nll + eps * -logp.mean(axis=1)).mean()


def cross_entropy_cases():
    logits = np.array([[2.0, 1.0, 0.1, -1.0], [0.5, 2.5, 0.0, 1.0], [-1.0, 0.0, 1.0, 3.0]], F32)
    y = np.array([0, 1, 2], np.int64)
    yield _loss_case(
        "3 samples, 4 classes: mean of -log softmax(logits)[target]",
        (_t(logits), y),
        np_cross_entropy(logits, y),
        hint="pick, in each row i, the log-probability of class targets[i], then average and negate",
    )
    sure = np.array([[10.0, 0.0, 0.0], [10.0, 0.0, 0.0]], F32)
    yield _loss_case(
        "confidently right (~0) and confidently wrong (~10), averaged",
        (_t(sure), np.array([0, 1])),
        np_cross_entropy(sure, [0, 1]),
    )
    yield _loss_case("equal logits give log(C) = log(5)", (_t(np.zeros((2, 5))), np.array([3, 0])), np.log(5.0))
    big = np.array([[1e4, 0.0, -1e4], [0.0, 1e4, 0.0], [-1e4, -1e4, -9995.0]], F32)
    yield _loss_case(
        "logits of magnitude 1e4 stay finite: (2e4 + 0 + 5.013) / 3",
        (_t(big), np.array([2, 1, 0])),
        np_cross_entropy(big, [2, 1, 0]),
        hint="log(softmax) gives log(0) = -inf: use log_softmax's trick, z = x - max, "
        "z - log(sum(exp(z))), with each row's own max (keepdims=True)",
    )
    yield _loss_case(
        "targets may be an int64 Tensor",
        (_t(logits), Tensor(y)),
        np_cross_entropy(logits, y),
        hint="take targets.data when targets is a Tensor",
    )
    yield Case(
        "targets (3,) for logits (2, 4) raise ValueError naming both shapes",
        (_t(logits[:2]), y),
        Raises(ValueError, "(2, 4)", "(3,)"),
    )
    yield Case(
        "logits (2, 3, 4) (a batch of sequences) raise ValueError naming the shape",
        (_t(np.zeros((2, 3, 4))), np.zeros((2, 3), np.int64)),
        Raises(ValueError, "(2, 3, 4)"),
        hint="cross_entropy takes (N, C) logits: reshape a batch of sequences to (N * L, C) first",
    )
    yield Case(
        "float targets raise TypeError (class indices are integers)",
        (_t(logits), y.astype(F32)),
        Raises(TypeError),
        hint="check targets.dtype.kind is 'i' or 'u'; float labels are usually a forgotten .astype(np.int64)",
    )
    yield Case(
        "target class 4 with 4 classes raises IndexError naming it",
        (_t(logits), np.array([0, 4, 1])),
        Raises(IndexError, "class 4", "4 classes"),
        hint="valid classes are 0 .. C-1: check the targets' min and max before indexing, and raise "
        "IndexError(f'... target class {bad} is out of range for {C} classes') (NumPy's own error names neither)",
    )
    yield Case(
        "target class -1 raises IndexError naming it (NumPy would silently take the last class)",
        (_t(logits), np.array([0, -1, 1])),
        Raises(IndexError, "class -1"),
        hint="a negative class is out of range too: check targets.min() < 0 as well as targets.max() >= C",
    )
    yield Case(
        "target class 7 with 4 classes: the message names 7, the largest",
        (_t(logits), np.array([7, 0, 1])),
        Raises(IndexError, "class 7"),
        hint="name the offending class: targets.max() when it is >= C, else targets.min()",
    )
    yield _loss_case(
        "reduction='sum': the sum over rows of -log softmax(logits)[target]",
        (_t(logits), y),
        np_cross_entropy(logits, y) * 3,
        kwargs={"reduction": "sum"},
        hint=OPTIONS_HINT.format(name="cross_entropy", args="logits, targets"),
    )
    yield _loss_case(
        "ignore_index=-100 (torch's padding label): row 1 is left out, the mean is over rows 0 and 2",
        (_t(logits), np.array([0, -100, 2])),
        np_cross_entropy(logits[[0, 2]], [0, 2]),
        kwargs={"ignore_index": -100},
        hint=OPTIONS_HINT.format(name="cross_entropy", args="logits, targets"),
    )
    yield _loss_case(
        "label_smoothing=0.1: 0.9 * the loss + 0.1 * the mean over classes of -log softmax",
        (_t(logits), y),
        _ce_smoothed(logits, y, 0.1),
        kwargs={"label_smoothing": 0.1},
        hint=OPTIONS_HINT.format(name="cross_entropy", args="logits, targets"),
    )


# ---- binary cross-entropy ---------------------------------------------------------------------------
def _bce(p, t):
    p, t = np.asarray(p, np.float64), np.asarray(t, np.float64)
    with np.errstate(divide="ignore"):
        logp = np.maximum(np.log(p), -100)
        log1mp = np.maximum(np.log(1 - p), -100)
    return -(t * logp + (1 - t) * log1mp).mean()


def _bce_logits(x, t):
    x, t = np.asarray(x, np.float64), np.asarray(t, np.float64)
    return (np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))).mean()


def bce_cases():
    p = np.array([0.9, 0.2, 0.6, 0.5], F32)
    t = np.array([1.0, 0.0, 0.0, 0.3], F32)
    yield _loss_case(
        "(4,) probabilities vs targets: -mean(t log p + (1 - t) log(1 - p))",
        (_t(p), _t(t)),
        _bce(p, t),
        hint="two log terms per element; average over every element",
    )
    pb = np.array([[0.1, 0.8], [0.7, 0.35]], F32)
    tb = np.array([[0.0, 1.0], [1.0, 0.0]], F32)
    yield _loss_case("a (2, 2) batch: the mean over all 4", (_t(pb), _t(tb)), _bce(pb, tb))
    edge = np.array([0.0, 1.0, 0.0, 1.0], F32)
    te = np.array([0.0, 1.0, 1.0, 0.0], F32)
    yield _loss_case(
        "p = 0 or 1: 0 where the target agrees, log clamped at -100 where not: (0 + 0 + 100 + 100) / 4",
        (_t(edge), _t(te)),
        _bce(edge, te),
        hint="log(0) = -inf and 0 * -inf = NaN: clamp each log at -100 (np.maximum(np.log(p), -100)) as PyTorch does",
    )
    yield Case(
        "probabilities (4, 1) vs targets (4,) raise ValueError naming both shapes",
        (_t(p.reshape(4, 1)), _t(t)),
        Raises(ValueError, "(4, 1)", "(4,)"),
    )
    yield Case(
        "inputs outside [0, 1] (raw logits 1.5 and -0.2) raise RuntimeError, as in torch",
        (_t([0.9, 1.5, -0.2, 0.5]), _t(t)),
        Raises(RuntimeError, "between 0 and 1"),
        hint="BCE takes probabilities (a logit gives a negative 'loss'): call the given "
        "loss_options.check_probabilities(p) on the inputs before the logs",
    )
    yield _loss_case(
        "reduction='sum': the sum over the 4 elements",
        (_t(p), _t(t)),
        _bce(p, t) * 4,
        kwargs={"reduction": "sum"},
        hint=OPTIONS_HINT.format(name="binary_cross_entropy", args="prob, target"),
    )


def bce_logits_cases():
    x = np.array([2.0, -1.0, 0.5, 0.0], F32)
    t = np.array([1.0, 0.0, 0.0, 0.3], F32)
    yield _loss_case(
        "(4,) logits vs targets: BCE of sigmoid(x), computed from x",
        (_t(x), _t(t)),
        _bce_logits(x, t),
        hint="per element: max(x, 0) - x * t + log(1 + exp(-|x|)); then the mean",
    )
    xb = np.array([[3.0, -2.0], [0.25, -0.5]], F32)
    tb = np.array([[1.0, 1.0], [0.0, 1.0]], F32)
    yield _loss_case("a (2, 2) batch: the mean over all 4", (_t(xb), _t(tb)), _bce_logits(xb, tb))
    big = np.array([1e4, -1e4, 1e4, -1e4], F32)
    tbig = np.array([1.0, 0.0, 0.0, 1.0], F32)
    yield _loss_case(
        "logits of +-1e4 stay finite: (0 + 0 + 1e4 + 1e4) / 4",
        (_t(big), _t(tbig)),
        _bce_logits(big, tbig),
        hint="sigmoid(1e4) is exactly 1.0 in float32, so log(1 - p) is -inf: never form p; "
        "exp(-|x|) cannot overflow, and np.log1p(u) is log(1 + u) accurate for tiny u",
    )
    yield Case(
        "logits (4, 1) vs targets (4,) raise ValueError naming both shapes",
        (_t(x.reshape(4, 1)), _t(t)),
        Raises(ValueError, "(4, 1)", "(4,)"),
    )
    yield _loss_case(
        "reduction='sum': the sum over the 4 elements",
        (_t(x), _t(t)),
        _bce_logits(x, t) * 4,
        kwargs={"reduction": "sum"},
        hint=OPTIONS_HINT.format(name="binary_cross_entropy_with_logits", args="logits, target"),
    )


PIECES = [
    Piece(
        "mse_loss",
        mse_cases,
        title="mean squared error",
        todo="return the mean over all elements of (pred - target)^2, a 0-d Tensor; shapes must match",
        hints=[
            "pred, target = _t(pred), _t(target); then _check_same_shape('mse_loss', pred, target).",
            "Write it with Tensor operations (-, *, mean()): then it needs no backward of its own in lesson 05.",
            "torch's reduction='sum' / 'none' arrive in **options: first of all, if options is not empty, "
            "return loss_options.mse_loss(pred, target, **options).",
        ],
    ),
    Piece(
        "cross_entropy",
        cross_entropy_cases,
        title="cross-entropy via log-sum-exp",
        todo="return the mean over rows of -log_softmax(logits)[i, targets[i]] for logits (N, C) and int targets (N,)",
        hints=[
            "Validate first: logits.ndim == 2, targets shape (N,), integer dtype, classes in 0 .. C-1.",
            "z = logits.data - max per row; logp = z - log(sum(exp(z)) per row) (keepdims=True).",
            "logp[np.arange(n), y] picks each row's target entry; the loss is minus their mean, "
            "as a 0-d array of the logits' dtype wrapped with Tensor._op.",
            "torch's reduction=, ignore_index=, label_smoothing=, weight= arrive in **options: first of all, if "
            "options is not empty, return loss_options.cross_entropy(logits, targets, **options).",
        ],
    ),
    Piece(
        "binary_cross_entropy",
        bce_cases,
        title="binary cross-entropy on probabilities",
        todo="return -mean(t log p + (1 - t) log(1 - p)), each log clamped at -100; shapes must match, p in [0, 1]",
        hints=[
            "prob, target = _t(prob), _t(target) and check their shapes are equal.",
            "np.log(0) is -inf: clamp with np.maximum(np.log(p), -100), and the same for 1 - p, "
            "inside `with np.errstate(divide='ignore'):` to silence the warning.",
            "Inputs outside [0, 1] are not probabilities: loss_options.check_probabilities(p) raises RuntimeError "
            "as torch does. torch's reduction= and weight= arrive in **options: if options is not empty, "
            "return loss_options.binary_cross_entropy(prob, target, **options) first of all.",
        ],
    ),
    Piece(
        "binary_cross_entropy_with_logits",
        bce_logits_cases,
        title="binary cross-entropy on logits",
        todo="return mean(max(x, 0) - x t + log(1 + exp(-|x|))) for logits x and targets t; shapes must match",
        hints=[
            "Derive it: -[t log s(x) + (1 - t) log(1 - s(x))] with s the sigmoid simplifies to "
            "max(x, 0) - x t + log(1 + exp(-|x|)) for both signs of x.",
            "np.log1p(np.exp(-np.abs(x))) is the last term; average it all with .mean().",
            "torch's reduction=, weight=, pos_weight= arrive in **options: if options is not empty, "
            "return loss_options.binary_cross_entropy_with_logits(logits, target, **options) first of all.",
        ],
    ),
]
