"""Checks of lesson 16 (Compression): exact-k selection, masks, magnitude (global/per-layer) and
channel pruning, sparsity and its report, an optimizer that keeps pruned weights at zero, and the
distillation loss with temperature (value, T^2 scaling and gradient).

Models are built here with fixed, distinct weights, so which weights a correct pruner removes is
known; the expected masks, sparsities, updates and losses are computed with NumPy.
"""

from __future__ import annotations

import numpy as np

from tinytorch.nn.activations import ReLU
from tinytorch.nn.conv import Conv2d
from tinytorch.nn.linear import Flatten, Linear
from tinytorch.nn.module import Sequential
from tinytorch.optim import SGD
from tinytorch.systems.pruning import MaskedOptimizer
from tinytorch.tensor import Tensor
from tinytorch_course.checks.cases import Case, Piece, Raises
from tinytorch_course.checks.compare import describe, mismatch
from tinytorch_course.checks.fixtures import np_cross_entropy, np_softmax
from tinytorch_course.checks.gradients import grad_case

HOME = "tinytorch.systems.pruning"
F32 = np.float32

# distinct magnitudes with mixed signs: 12 weights of a Linear(3, 4), 8 of a Linear(4, 2)
_W0 = np.array([[0.9, -0.1, 0.5], [-0.05, 0.3, -1.2], [0.7, 0.02, -0.4], [0.15, -0.8, 0.25]], F32)
_W2 = np.array([[0.6, -0.03, 0.35, -1.1], [0.01, 0.45, -0.2, 0.08]], F32)
_B0 = np.array([0.1, -0.2, 0.3, 0.4], F32)
_B2 = np.array([0.5, -0.6], F32)


def _mlp():
    """Linear(3, 4) -> ReLU -> Linear(4, 2) with the fixed weights above: parameters 0.weight ... 2.bias."""
    model = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
    for layer, w, b in ((model.layers[0], _W0, _B0), (model.layers[2], _W2, _B2)):
        layer.weight.data = w.copy()
        layer.bias.data = b.copy()
    return model


def _cnn():
    """Conv2d(1, 4, 2) with filters of norms 0.4, 2, 0.2, 1 -> ReLU -> Flatten -> Linear(4*2*2, 3)."""
    model = Sequential(Conv2d(1, 4, 2), ReLU(), Flatten(), Linear(16, 3))
    model.layers[0].weight.data = np.array([0.2, 1.0, 0.1, 0.5], F32)[:, None, None, None] * np.ones((4, 1, 2, 2), F32)
    model.layers[0].bias.data = np.array([0.1, 0.2, 0.3, 0.4], F32)
    model.layers[3].weight.data = np.linspace(-1, 1, 48, dtype=F32).reshape(3, 16)
    return model


def _deep(bias=True):
    """Three Linears with fixed, distinct weights: 0.weight, 2.weight, 4.weight (and biases if bias)."""
    model = Sequential(Linear(3, 4, bias=bias), ReLU(), Linear(4, 4, bias=bias), ReLU(), Linear(4, 2, bias=bias))
    rng = np.random.default_rng(16)
    for layer in (model.layers[0], model.layers[2], model.layers[4]):
        layer.weight.data = rng.standard_normal(layer.weight.shape).astype(F32)
    return model


def _smallest_np(scores, k):
    """Reference selection in NumPy: the k smallest, ties by position."""
    flat = np.asarray(scores).reshape(-1)
    order = sorted(range(flat.size), key=lambda i: (flat[i], i))
    drop = np.zeros(flat.size, bool)
    drop[order[:k]] = True
    return drop.reshape(np.shape(scores))


def _masks_check(expected_masks, model_arrays=None):
    """The returned masks equal `expected_masks`; the model's arrays then equal `model_arrays`."""

    def check(got):
        masks, model = got
        if not isinstance(masks, dict):
            return f"expected a dict of masks {{name: boolean array}}, got {describe(masks)}"
        if sorted(masks) != sorted(expected_masks):
            return f"mask names {sorted(masks)}, expected {sorted(expected_masks)}"
        for name, want in expected_masks.items():
            problem = mismatch(np.asarray(masks[name]), want, dtype=np.bool_)
            if problem:
                return f"mask {name!r}: {problem} (True = keep)"
        params = dict(model.named_parameters())
        for name, want in (model_arrays or {}).items():
            problem = mismatch(params[name].data, want)
            if problem:
                return f"model parameter {name!r} after pruning: {problem}"
        return None

    return check


# ---- selection and masks -------------------------------------------------------------------------
def smallest_cases():
    s = np.array([3.0, 1.0, 2.0, 5.0, 0.5])
    yield Case(
        "the 2 smallest of [3, 1, 2, 5, 0.5] are at positions 1 and 4",
        (s, 2),
        _smallest_np(s, 2),
        dtype=np.bool_,
        hint="np.argsort gives positions from smallest to largest: mark the first k",
    )
    ties = np.array([1.0, 1.0, 1.0, 2.0, 1.0])
    yield Case(
        "exactly k=2 of four tied 1.0s: the first two by position",
        (ties, 2),
        _smallest_np(ties, 2),
        dtype=np.bool_,
        hint="a threshold (scores <= kth value) marks every tie; use a stable argsort "
        "(kind='stable') and take exactly k positions",
    )
    yield Case("k=0 marks nothing", (s, 0), np.zeros(5, bool), dtype=np.bool_)
    yield Case(
        "k=1 marks exactly the smallest (position 4)",
        (s, 1),
        _smallest_np(s, 1),
        dtype=np.bool_,
        hint="mark the first k positions of the stable argsort whenever k > 0, k = 1 included",
    )
    m = np.array([[0.4, 0.1, 0.9], [0.2, 0.8, 0.05]])
    yield Case(
        "a (2, 3) array keeps its shape: the 3 smallest",
        (m, 3),
        _smallest_np(m, 3),
        dtype=np.bool_,
        hint="work on the flattened scores, then reshape the mask to scores.shape",
    )


def apply_masks_cases():
    keep = np.array([[True, False, True], [True, True, False], [False, True, True], [True, True, True]])

    def call(masks):
        def run(impl):
            model = _mlp()
            impl(model, masks)
            return model

        return run

    def weights_are(expected, name="0.weight"):
        def check(model):
            return mismatch(dict(model.named_parameters())[name].data, expected)

        return check

    yield Case(
        "a (4, 3) mask zeroes the masked weights of 0.weight",
        call=call({"0.weight": keep}),
        expected=weights_are(_W0 * keep),
        show="masks = {'0.weight': (4, 3) boolean}",
        hint="model.named_parameters() maps names like '0.weight' to Parameters; multiply .data by the mask",
    )
    bias_keep = np.array([True, False])
    yield Case(
        "a bias mask works the same way: 2.bias",
        call=call({"2.bias": bias_keep}),
        expected=weights_are(_B2 * bias_keep, "2.bias"),
        show="masks = {'2.bias': [True, False]}",
    )
    yield Case(
        "a name the model does not have raises a KeyError naming it",
        call=lambda impl: impl(_mlp(), {"head.weight": np.ones((2, 4), bool)}),
        expected=Raises(KeyError, "head.weight", "0.weight", "2.bias"),
        show="masks = {'head.weight': ...}",
        hint="look every name up in dict(model.named_parameters()) and raise KeyError naming it and the "
        "parameters the model does have (NumPy's own KeyError names only the missing one)",
    )
    yield Case(
        "a (3, 4) mask for the (4, 3) weight raises a ValueError naming both shapes",
        call=lambda impl: impl(_mlp(), {"0.weight": np.ones((3, 4), bool)}),
        expected=Raises(ValueError, "(3, 4)", "(4, 3)"),
        show="masks = {'0.weight': (3, 4) boolean}",
    )


# ---- pruning -----------------------------------------------------------------------------------------
def _prune_call(amount, **kwargs):
    def run(impl):
        model = _mlp()
        return impl(model, amount, **kwargs), model

    return run


def magnitude_prune_cases():
    scores = np.concatenate([np.abs(_W0).reshape(-1), np.abs(_W2).reshape(-1)])
    drop = _smallest_np(scores, 10)  # 50 % of 20 weights, over both layers at once
    m0, m2 = ~drop[:12].reshape(4, 3), ~drop[12:].reshape(2, 4)
    yield Case(
        "global, amount=0.5: the 10 smallest |w| of all 20 weights go",
        call=_prune_call(0.5),
        expected=_masks_check(
            {"0.weight": m0, "2.weight": m2}, {"0.weight": _W0 * m0, "2.weight": _W2 * m2, "0.bias": _B0, "2.bias": _B2}
        ),
        show="model Linear(3, 4) -> ReLU -> Linear(4, 2), 20 distinct weights; amount=0.5",
        hint="scope='global': concatenate |w| of every layer into one vector and drop its k smallest "
        "(the given _smallest); biases are not pruned",
    )
    d0 = _smallest_np(np.abs(_W0), 6)
    d2 = _smallest_np(np.abs(_W2), 4)
    yield Case(
        "scope='layer', amount=0.5: 6 of 12 and 4 of 8, in each layer separately",
        call=_prune_call(0.5, scope="layer"),
        expected=_masks_check({"0.weight": ~d0, "2.weight": ~d2}, {"0.weight": _W0 * ~d0, "2.weight": _W2 * ~d2}),
        show="the same model; amount=0.5, scope='layer'",
    )
    e0 = _smallest_np(np.abs(_W0), 3)
    e2 = _smallest_np(np.abs(_W2), 2)
    yield Case(
        "scope='layer', amount=0.25: 3 of 12 and 2 of 8 (not the 5 smallest overall)",
        call=_prune_call(0.25, scope="layer"),
        expected=_masks_check({"0.weight": ~e0, "2.weight": ~e2}),
        show="the same model; amount=0.25, scope='layer'",
        hint="scope='layer': for each layer on its own, k = round(amount * that layer's weight count)",
    )
    yield Case(
        "a model without Linear or Conv2d raises a ValueError naming its type",
        call=lambda impl: impl(Sequential(ReLU()), 0.5),
        expected=Raises(ValueError, "Sequential"),
        show="Sequential(ReLU()); amount=0.5",
        hint="if prunable_layers(model) is empty there is nothing to prune: raise ValueError naming "
        "type(model).__name__",
    )
    k = int(round(0.3 * 20))
    drop3 = _smallest_np(scores, k)
    yield Case(
        "amount=0.3 removes exactly round(0.3 * 20) = 6 weights",
        call=_prune_call(0.3),
        expected=_masks_check({"0.weight": ~drop3[:12].reshape(4, 3), "2.weight": ~drop3[12:].reshape(2, 4)}),
        show="the same model; amount=0.3",
        hint="k = int(round(amount * number of weights))",
    )
    yield Case(
        "amount=1.0 raises a ValueError naming it",
        call=lambda impl: impl(_mlp(), 1.0),
        expected=Raises(ValueError, "1.0"),
        show="amount=1.0",
        hint="amount is a fraction in [0, 1): the given _check_amount(amount) raises for you",
    )
    yield Case(
        "scope='everything' raises a ValueError naming it",
        call=lambda impl: impl(_mlp(), 0.5, "everything"),
        expected=Raises(ValueError, "everything"),
        show="scope='everything'",
    )


def channel_prune_cases():
    norms = np.sqrt((_W0.astype(np.float64) ** 2).sum(axis=1))
    keep = ~_smallest_np(norms, 2)
    w_mask = np.broadcast_to(keep[:, None], (4, 3))
    yield Case(
        "amount=0.5: the 2 rows of 0.weight with the smallest L2 norm go, with their biases; the last layer is kept",
        call=_prune_call(0.5),
        expected=_masks_check(
            {"0.weight": w_mask, "0.bias": keep},
            {"0.weight": _W0 * w_mask, "0.bias": _B0 * keep, "2.weight": _W2, "2.bias": _B2},
        ),
        show="model Linear(3, 4) -> ReLU -> Linear(4, 2); amount=0.5",
        hint="a channel is a row of the weight: norm = sqrt(sum of squares over the row); drop "
        "round(amount * rows) of the smallest, and the same entries of the bias",
    )
    norms2 = np.sqrt((_W2.astype(np.float64) ** 2).sum(axis=1))
    keep2 = ~_smallest_np(norms2, 1)
    yield Case(
        "exclude_last=False prunes the output layer too: 1 of its 2 rows",
        call=_prune_call(0.5, exclude_last=False),
        expected=_masks_check(
            {"0.weight": w_mask, "0.bias": keep, "2.weight": np.broadcast_to(keep2[:, None], (2, 4)), "2.bias": keep2}
        ),
        show="the same model; amount=0.5, exclude_last=False",
        hint="the last prunable layer is skipped only when exclude_last is True",
    )

    def deep_call(impl):
        model = _deep(bias=False)
        return impl(model, 0.5), model

    deep = _deep(bias=False)
    deep_masks = {}
    for i in (0, 2):  # the last Linear (index 4) is excluded
        w = deep.layers[i].weight.data
        keep_rows = ~_smallest_np(np.sqrt((w.astype(np.float64) ** 2).sum(axis=1)), 2)
        deep_masks[f"{i}.weight"] = np.broadcast_to(keep_rows[:, None], w.shape)
    yield Case(
        "three Linears without bias: the first two are pruned (weights only), the last is kept",
        call=deep_call,
        expected=_masks_check(deep_masks),
        show="Linear(3, 4, bias=False) -> ReLU -> Linear(4, 4, bias=False) -> ReLU -> Linear(4, 2, bias=False); "
        "amount=0.5",
        hint="skip only the LAST prunable layer (layers[:-1]); make a bias mask only when layer.bias is not None",
    )
    conv_keep = np.array([True, True, False, True])  # filter norms 0.4, 2, 0.2, 1: the third goes

    def cnn_call(impl):
        model = _cnn()
        return impl(model, 0.25), model

    yield Case(
        "Conv2d(1, 4, 2), amount=0.25: the filter with the smallest norm (the third) goes, as a (4, 1, 2, 2) mask",
        call=cnn_call,
        expected=_masks_check(
            {"0.weight": np.broadcast_to(conv_keep[:, None, None, None], (4, 1, 2, 2)), "0.bias": conv_keep}
        ),
        show="model Conv2d(1, 4, 2) -> ReLU -> Flatten -> Linear(16, 3); amount=0.25",
        hint="for a conv weight (out, in, kh, kw), flatten each filter: w.reshape(out, -1); "
        "the mask must have the weight's full shape",
    )


# ---- measuring sparsity --------------------------------------------------------------------------------
def _pruned_model():
    model = _mlp()
    model.layers[0].weight.data[0, :2] = 0  # 2 zeros of 12
    model.layers[2].weight.data[1] = 0  # 4 zeros of 8
    model.layers[0].bias.data[3] = 0  # 1 zero bias of 4
    return model


def sparsity_cases():
    yield Case(
        "weights only: 6 zeros of 20 weights = 0.3",
        (_pruned_model(),),
        0.3,
        hint="count (w == 0) over the weight of every prunable layer (prunable_layers(model)), divide by their size",
    )
    yield Case(
        "weights_only=False counts every parameter: 7 zeros of 26 = 0.2692",
        (_pruned_model(),),
        7 / 26,
        kwargs={"weights_only": False},
        hint="all parameters: model.parameters(), biases included",
    )
    yield Case("an unpruned model has sparsity 0.0", (_mlp(),), 0.0)
    yield Case(
        "a model with no prunable weights has sparsity 0.0 (not a division by zero)",
        (Sequential(ReLU()),),
        0.0,
        hint="no weights at all: return 0.0 when the total is 0",
    )


def sparsity_report_cases():
    expected = [("0.weight", (4, 3), 2, 12), ("2.weight", (2, 4), 4, 8), ("all", None, 6, 20)]

    def check(table):
        rows = getattr(table, "rows", None)
        if rows is None:
            return f"expected a Table (tinytorch.systems.table.Table), got {describe(table)}"
        if len(rows) != len(expected):
            return f"{len(rows)} rows, expected {len(expected)}: one per prunable weight, then 'all'"
        for row, (name, shape, zeros, total) in zip(rows, expected, strict=False):
            want = {"weight": name, "shape": shape, "zeros": zeros, "total": total}
            for key, value in want.items():
                if row.get(key) != value:
                    return f"row {name!r}: {key} is {row.get(key)!r}, expected {value!r}"
            if not np.isclose(row.get("sparsity %", np.nan), 100 * zeros / total):
                return f"row {name!r}: 'sparsity %' is {row.get('sparsity %')!r}, expected {100 * zeros / total:.4g}"
        return None

    yield Case(
        "rows 0.weight (2 of 12 zero), 2.weight (4 of 8), all (6 of 20), with percentages",
        (_pruned_model(),),
        check,
        hint="each row is a dict with keys 'weight', 'shape', 'zeros', 'total', 'sparsity %'; the last row "
        "is named 'all' with shape None",
    )
    yield Case(
        "an unpruned model: every row 0 %",
        (_mlp(),),
        lambda t: (
            None
            if getattr(t, "rows", None)
            and all(r.get("zeros") == 0 and r.get("sparsity %") == 0 for r in t.rows)
            and len(t.rows) == 3
            else f"expected 3 rows with 0 zeros and 0 %, got {describe(getattr(t, 'rows', t))}"
        ),
    )


# ---- fine-tuning with masks ---------------------------------------------------------------------------
def _masked_setup(momentum=0.0, apply=True):
    model = _mlp()
    keep = np.abs(_W0) >= 0.3
    masks = {"0.weight": keep}
    if apply:
        model.layers[0].weight.data = _W0 * keep
    opt = MaskedOptimizer(SGD(model.parameters(), lr=0.1, momentum=momentum), model, masks)
    grads = {name: np.full(p.shape, 0.5, F32) for name, p in model.named_parameters()}
    return model, opt, keep, grads


def _set_grads(model, grads):
    for name, p in model.named_parameters():
        p.grad = Tensor(grads[name].copy())


def masked_step_cases():
    def one_step(impl):
        model, opt, keep, grads = _masked_setup()
        _set_grads(model, grads)
        impl(opt)
        return model.layers[0].weight.data, model.layers[0].bias.data

    keep = np.abs(_W0) >= 0.3
    yield Case(
        "SGD lr 0.1: kept weights move by -0.05, pruned ones stay exactly 0",
        call=one_step,
        expected=((_W0 * keep - 0.05) * keep, _B0 - 0.05),
        show="0.weight pruned where |w| < 0.3; every gradient 0.5; SGD(lr=0.1)",
        hint="mask the gradients, call self.optimizer.step(), then multiply the weights by their masks again",
    )

    def grads_after(impl):
        model, opt, keep, grads = _masked_setup(momentum=0.9)
        _set_grads(model, grads)
        impl(opt)
        return model.layers[0].weight.grad.data

    yield Case(
        "the pruned weights' gradients are zeroed before the step (no momentum builds up)",
        call=grads_after,
        expected=np.where(keep, 0.5, 0.0).astype(F32),
        show="SGD(lr=0.1, momentum=0.9); every gradient 0.5",
        hint="before the update: p.grad.data = p.grad.data * mask for every (p, mask) in self.pairs",
    )

    def no_grad_yet(impl):
        model, opt, keep, grads = _masked_setup()
        _set_grads(model, grads)
        model.layers[0].weight.grad = None  # the masked weight took no part in this loss
        impl(opt)
        return model.layers[0].weight.data

    yield Case(
        "a masked weight whose grad is None: no crash, it stays as it was (still masked)",
        call=no_grad_yet,
        expected=(_W0 * keep).astype(F32),
        show="0.weight masked but its grad is None; SGD(lr=0.1)",
        hint="mask only the gradients that exist: `if p.grad is not None` before p.grad.data * mask",
    )

    def unapplied(impl):
        model, opt, keep, grads = _masked_setup(apply=False)
        _set_grads(model, grads)
        impl(opt)
        return model.layers[0].weight.data

    yield Case(
        "weights under the mask that were not zero yet are zero after the step",
        call=unapplied,
        expected=((_W0 - 0.05) * keep).astype(F32),
        show="masks given, but not yet applied to the weights",
        hint="after the optimizer's step, set p.data = p.data * mask",
    )


# ---- distillation -------------------------------------------------------------------------------------
S = np.array([[1.0, -0.5, 2.0], [0.3, 0.8, -1.2]])
T_LOGITS = np.array([[2.0, 0.0, 3.0], [-1.0, 2.5, 0.0]])
Y = np.array([2, 1])


def _kl(s, t, temp):
    p, q = np_softmax(t / temp), np_softmax(s / temp)
    return float((p * (np.log(p) - np.log(q))).sum(axis=1).mean())


def distillation_loss_cases():
    s32 = S.astype(F32)
    yield Case(
        "alpha=1, T=2: T^2 * KL(softmax(t/T) || softmax(s/T)), mean over 2 rows",
        (Tensor(s32), T_LOGITS, Tensor(Y)),
        np.float32(4 * _kl(S, T_LOGITS, 2.0)),
        kwargs={"temperature": 2.0, "alpha": 1.0},
        returns=Tensor,
        rtol=1e-4,
        hint="KL(p || q) = sum_c p_c (log p_c - log q_c) per row, then the mean over rows, times T^2",
    )
    yield Case(
        "alpha=0.5, T=4: half the soft term plus half the cross-entropy with the labels",
        (Tensor(s32), T_LOGITS, Tensor(Y)),
        np.float32(0.5 * 16 * _kl(S, T_LOGITS, 4.0) + 0.5 * np_cross_entropy(S, Y)),
        kwargs={"temperature": 4.0, "alpha": 0.5},
        returns=Tensor,
        rtol=1e-4,
        hint="the hard term is F.cross_entropy(student_logits, targets) at temperature 1",
    )
    yield Case(
        "alpha=0: only the cross-entropy with the labels",
        (Tensor(s32), Tensor(T_LOGITS.astype(F32)), Tensor(Y)),
        np.float32(np_cross_entropy(S, Y)),
        kwargs={"temperature": 3.0, "alpha": 0.0},
        returns=Tensor,
        rtol=1e-4,
        hint="teacher logits may come as a Tensor: use their .data",
    )

    def soft_gradient(temp):
        def run(impl):
            s = Tensor(S.copy(), dtype=np.float64, requires_grad=True)
            impl(s, T_LOGITS, Y, temperature=temp, alpha=1.0).backward()
            if s.grad is None:
                raise AssertionError("student_logits.grad is None: the loss is not connected to the student logits")
            return s.grad.data

        return run

    for temp in (1.0, 5.0):
        want = temp * (np_softmax(S / temp) - np_softmax(T_LOGITS / temp)) / len(S)
        yield Case(
            f"T={temp:g}: d loss / d student = T * (softmax(s/T) - softmax(t/T)) / N",
            call=soft_gradient(temp),
            expected=want,
            rtol=1e-6,
            atol=1e-9,
            show=f"student logits (2, 3) float64, teacher (2, 3), temperature={temp:g}, alpha=1",
            hint="multiply the KL term by temperature ** 2: without it this gradient is T^2 times smaller "
            "and the soft targets fade away at high temperature",
        )
    yield grad_case(
        "gradient w.r.t. the student logits (alpha=0.5, T=3), finite differences",
        lambda impl, s: impl(s, T_LOGITS, Y, temperature=3.0, alpha=0.5),
        S,
        names=["student_logits"],
        hint="build the loss from differentiable Tensor ops on student_logits "
        "(F.log_softmax, F.cross_entropy); treat the teacher as a constant NumPy array",
    )
    yield Case(
        "teacher (2, 4) vs student (2, 3) raises a ValueError naming both shapes",
        (Tensor(s32), np.zeros((2, 4)), Tensor(Y)),
        Raises(ValueError, "(2, 4)", "(2, 3)", "teacher"),
        hint="compare the shapes first and say which is the teacher's: NumPy's broadcasting error names neither",
    )
    yield Case(
        "alpha=1.5 raises a ValueError naming it (alpha is a weight in [0, 1])",
        (Tensor(s32), T_LOGITS, Tensor(Y)),
        Raises(ValueError, "1.5"),
        kwargs={"alpha": 1.5},
        hint="check 0 <= alpha <= 1 and name the value",
    )
    big = T_LOGITS * 400.0
    z = big / 1.0
    log_p = z - z.max(axis=1, keepdims=True)
    log_p = log_p - np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    log_q = S - S.max(axis=1, keepdims=True)
    log_q = log_q - np.log(np.exp(log_q).sum(axis=1, keepdims=True))
    kl_big = float((np.exp(log_p) * (log_p - log_q)).sum(axis=1).mean())
    yield Case(
        "teacher logits in the hundreds (T=1, alpha=1): finite, no overflow",
        (Tensor(s32), big, Tensor(Y)),
        np.float32(kl_big),
        kwargs={"temperature": 1.0, "alpha": 1.0},
        returns=Tensor,
        rtol=1e-4,
        hint="subtract each row's MAXIMUM of t / T before exp (log-sum-exp): exp(800) overflows",
    )
    yield Case(
        "temperature 0 raises a ValueError naming it",
        (Tensor(s32), T_LOGITS, Tensor(Y)),
        Raises(ValueError, "temperature", "0"),
        kwargs={"temperature": 0.0},
    )


PIECES = [
    Piece(
        "_smallest",
        smallest_cases,
        title="exactly k smallest",
        todo="return a boolean mask (same shape as scores) marking exactly the k smallest, ties by position",
        hints=[
            "Flatten the scores, then np.argsort(flat, kind='stable')[:k] are the positions to mark.",
            "Start from np.zeros(flat.size, dtype=bool); reshape the result to scores.shape.",
        ],
    ),
    Piece(
        "apply_masks",
        apply_masks_cases,
        title="apply masks to a model",
        todo="multiply each named parameter by its mask; unknown names raise KeyError, wrong shapes ValueError",
        hints=[
            "params = dict(model.named_parameters()) maps '0.weight' to its Parameter.",
            "Check the name and mask.shape == p.shape before p.data = p.data * mask.astype(p.data.dtype).",
        ],
    ),
    Piece(
        "magnitude_prune",
        magnitude_prune_cases,
        title="magnitude pruning",
        todo="zero the `amount` fraction of smallest-|w| weights (globally or per layer) and return the masks",
        hints=[
            "prunable_layers(model) gives (name, layer) pairs; the mask of a layer is named _weight_name(name).",
            "Per layer: keep = ~_smallest(|w|, round(amount * w.size)). Global: concatenate all |w| (reshape(-1)), "
            "select once, then cut the mask back into the layers' shapes.",
            "Finish with apply_masks(model, masks) and return masks.",
        ],
    ),
    Piece(
        "channel_prune",
        channel_prune_cases,
        title="structured (channel) pruning",
        todo="zero the `amount` fraction of output channels with the smallest L2 norm per layer; return masks",
        hints=[
            "Skip the last prunable layer when exclude_last (layers[:-1]).",
            "Row norms: np.sqrt((w.reshape(w.shape[0], -1) ** 2).sum(axis=1)); keep = ~_smallest(norms, k).",
            "Broadcast keep to the weight's shape (reshape to (-1, 1, ...)), copy it; the bias mask is keep.",
        ],
    ),
    Piece(
        "sparsity",
        sparsity_cases,
        title="fraction of zeros",
        todo="return the fraction of exactly-zero entries among the prunable weights (or all parameters)",
        hints=[
            "Collect the arrays: layer.weight.data for prunable layers, or p.data for all parameters.",
            "zeros = sum of (a == 0).sum(); divide by the total size (0.0 for an empty model).",
        ],
    ),
    Piece(
        "sparsity_report",
        sparsity_report_cases,
        title="a sparsity table",
        todo="return a Table with one row per prunable weight (weight, shape, zeros, total, sparsity %) and 'all'",
        hints=[
            "One dict per prunable layer: {'weight': name, 'shape': tuple, 'zeros': int, 'total': int, 'sparsity %': "
            "...}.",
            "The last row sums zeros and totals under the name 'all' (shape None); return Table(rows, ...).",
        ],
    ),
    Piece(
        "MaskedOptimizer.step",
        masked_step_cases,
        title="keep pruned weights at zero",
        todo="zero the masked gradients, run the wrapped optimizer's step, re-apply the masks to the weights",
        hints=[
            "self.pairs holds (parameter, float mask) pairs; a parameter's grad may be None.",
            "Three steps: p.grad.data *= mask (as a new array), self.optimizer.step(), p.data = p.data * mask.",
        ],
    ),
    Piece(
        "distillation_loss",
        distillation_loss_cases,
        title="knowledge distillation loss",
        todo="return alpha * T^2 * KL(softmax(teacher/T) || softmax(student/T)) + (1 - alpha) * CE(student, targets)",
        hints=[
            "Validate temperature > 0, alpha in [0, 1] and equal shapes first.",
            "Teacher (a constant): log p = log_softmax(t / T) in NumPy, p = exp(log p). Student: "
            "log q = F.log_softmax(student_logits * (1 / T), axis=1), a Tensor.",
            "KL per row = sum(p log p - p log q); mean over rows; times T ** 2; mix with F.cross_entropy.",
        ],
    ),
]
