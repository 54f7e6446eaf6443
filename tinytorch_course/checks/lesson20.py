"""Checks of lesson 20 (Capstone): the model, the budget check, what a model stores, the report.

Expected values are written out by hand or counted with NumPy (parameter counts from the layer
sizes, element counts of arrays, the report's lines from its parts); nothing calls the pieces'
reference code.
"""

from __future__ import annotations

import numpy as np

from tinytorch.nn import Linear, ReLU, Sequential
from tinytorch.nn.module import Module
from tinytorch.systems.capstone import Budget, CapstoneReport
from tinytorch.systems.table import Table
from tinytorch.tensor import Tensor
from tinytorch_course.checks.cases import Case, Piece

HOME = "tinytorch.systems.capstone"


# ---- the model -----------------------------------------------------------------------------------
def _mlp_check(hidden):
    def check(model):
        if not isinstance(model, Sequential):
            return f"expected a Sequential, got {type(model).__name__}"
        layers = list(model.layers)
        kinds = [type(m).__name__ for m in layers]
        if [type(m) for m in layers] != [Linear, ReLU, Linear]:
            return f"layers {kinds}, expected [Linear, ReLU, Linear]"
        shapes = [tuple(layers[0].weight.shape), tuple(layers[2].weight.shape)]
        if shapes != [(hidden, 64), (10, hidden)]:
            return (
                f"weight shapes {shapes}, expected [({hidden}, 64), (10, {hidden})]: Linear(64, {hidden}), "
                f"Linear({hidden}, 10)"
            )
        count = sum(p.data.size for p in model.parameters())
        want = 64 * hidden + hidden + hidden * 10 + 10
        if count != want:
            return (
                f"{count:,} parameters, expected {want:,} (64*{hidden} + {hidden} + {hidden}*10 + 10: do both layers "
                "have a bias?)"
            )
        with np.errstate(all="ignore"):
            out = model(Tensor(np.ones((5, 64), np.float32)))
        if tuple(out.shape) != (5, 10):
            return f"a (5, 64) batch gave shape {tuple(out.shape)}, expected (5, 10)"
        return None

    return check


def digits_mlp_cases():
    yield Case(
        "hidden=128: Linear(64, 128), ReLU, Linear(128, 10): 9,610 parameters",
        (),
        _mlp_check(128),
        hint="a Sequential of Linear(64, hidden), ReLU() and Linear(hidden, 10)",
    )
    yield Case("hidden=32: 2,410 parameters", (32,), _mlp_check(32))

    def weights(impl, hidden, seed):
        return [p.data.copy() for p in impl(hidden, seed=seed).parameters()]

    def same_seed(impl):
        a, b, c = weights(impl, 16, 3), weights(impl, 16, 3), weights(impl, 16, 4)
        if len(a) != 4:
            return f"expected 4 parameter arrays, got {len(a)}"
        if not all(np.array_equal(x, y) for x, y in zip(a, b, strict=False)):
            return "two calls with seed=3 gave different weights: call manual_seed(seed) before building the layers"
        if all(np.array_equal(x, y) for x, y in zip(a, c, strict=False)):
            return "seed=3 and seed=4 gave the same weights: the seed must be used"
        return None

    yield Case(
        "the same seed gives the same weights, another seed other weights",
        call=same_seed,
        expected=lambda problem: problem,
        show="digits_mlp(16, seed=3) twice, and digits_mlp(16, seed=4)",
        hint="manual_seed(seed) first: the layers draw their initial weights from tinytorch's generator",
    )


# ---- the budget ----------------------------------------------------------------------------------
def _row(acc, size=10_000, ms=0.1):
    return {"model": "candidate", "accuracy %": acc, "size": size, "median ms": ms}


def allows_cases():
    cases = [
        ("a 0.5-point drop within a 1-point budget: allowed", Budget(1.0), _row(97.5), 98.0, True, ""),
        (
            "a 1.5-point drop over a 1-point budget: refused",
            Budget(1.0),
            _row(96.5),
            98.0,
            False,
            "refuse when accuracy % < baseline - max_accuracy_drop",
        ),
        ("higher accuracy than the baseline: allowed", Budget(0.0), _row(98.5), 98.0, True, ""),
        (
            "a drop of exactly the budget (98.06 -> 96.96 with 1.1) is allowed",
            Budget(1.1),
            _row(96.96),
            98.06,
            True,
            "98.06 - 1.1 is 96.96000000000001 in floating point: compare with a small tolerance (1e-9)",
        ),
        (
            "size 5,000 over max_size_bytes=4,000: refused",
            Budget(2.0, max_size_bytes=4000),
            _row(98.0, size=5000),
            98.0,
            False,
            "with max_size_bytes set, refuse rows whose 'size' is larger",
        ),
        (
            "size exactly 4,000 with max_size_bytes=4,000: allowed",
            Budget(2.0, max_size_bytes=4000),
            _row(98.0, size=4000),
            98.0,
            True,
            "at the limit is within the budget (<=)",
        ),
        (
            "no size limit: a 10 MB model is allowed",
            Budget(2.0),
            _row(98.0, size=10_000_000),
            98.0,
            True,
            "max_size_bytes=None means no limit",
        ),
        (
            "latency 0.2 ms over max_latency_ms=0.1: refused",
            Budget(2.0, max_latency_ms=0.1),
            _row(98.0, ms=0.2),
            98.0,
            False,
            "with max_latency_ms set, refuse rows whose 'median ms' is larger",
        ),
        (
            "latency exactly max_latency_ms=0.1: allowed",
            Budget(2.0, max_latency_ms=0.1),
            _row(98.0, ms=0.1),
            98.0,
            True,
            "at the limit is within the budget: refuse only when 'median ms' > max_latency_ms (<= passes)",
        ),
        (
            "accurate and small but too slow: refused",
            Budget(1.0, 20_000, 0.05),
            _row(98.0, 1000, 0.06),
            98.0,
            False,
            "every constraint must hold",
        ),
    ]
    for name, budget, row, base, want, hint in cases:
        yield Case(name, (budget, row, base), want, hint=hint)


def budget_repr_cases():
    yield Case(
        "Budget() describes its accuracy drop",
        (Budget(),),
        "Budget(accuracy drop <= 1.0 points)",
        hint="f'Budget(accuracy drop <= {self.max_accuracy_drop} points)' when nothing else is set",
    )
    yield Case(
        "with a size limit: thousands separators",
        (Budget(0.5, max_size_bytes=4000),),
        "Budget(accuracy drop <= 0.5 points, size <= 4,000 bytes)",
        hint="list the parts that are set, joined by ', '; format the size with {:,}",
    )
    yield Case(
        "with a latency limit",
        (Budget(2.0, max_latency_ms=0.05),),
        "Budget(accuracy drop <= 2.0 points, latency <= 0.05 ms)",
    )
    yield Case(
        "all three constraints, in the order accuracy, size, latency",
        (Budget(1.0, max_size_bytes=12_345, max_latency_ms=1.5),),
        "Budget(accuracy drop <= 1.0 points, size <= 12,345 bytes, latency <= 1.5 ms)",
    )


# ---- what a model stores -------------------------------------------------------------------------
class _Masked(Module):
    """A layer with a parameter and a buffer (a non-trained array saved with the model)."""

    def __init__(self):
        super().__init__()
        self.inner = Linear(3, 2)
        self.register_buffer("mask", np.array([[1, 0, 1], [0, 1, 1]], np.int8))

    def forward(self, x):
        return x


def _arrays_check(want):
    """got: a list of arrays whose (shape, dtype, sum) multiset equals `want`'s."""

    def key(a):
        a = np.asarray(a)
        return (tuple(a.shape), str(a.dtype), round(float(a.astype(np.float64).sum()), 4))

    def check(got):
        if not isinstance(got, (list, tuple)):
            return f"expected a list of arrays, got {type(got).__name__}"
        if not all(isinstance(a, np.ndarray) for a in got):
            kinds = sorted({type(a).__name__ for a in got})
            return f"expected NumPy arrays (a parameter's .data), got {kinds}"
        g, w = sorted(map(key, got)), sorted(map(key, want))
        if g != w:
            return (
                f"{len(got)} arrays of shapes {[k[0] for k in g]}, expected {len(want)} of shapes "
                f"{[k[0] for k in w]} (every parameter's .data and every buffer)"
            )
        return None

    return check


def stored_arrays_cases():
    model = Sequential(Linear(3, 4), ReLU(), Linear(4, 2))
    want = [p.data for p in model.parameters()]
    yield Case(
        "a float MLP stores its 4 parameters (2 weights, 2 biases)",
        (model,),
        _arrays_check(want),
        hint="[p.data for p in model.parameters()]",
    )
    layer = _Masked()
    want = [layer.inner.weight.data, layer.inner.bias.data, layer.mask]
    yield Case(
        "a layer with a buffer: the int8 mask counts too",
        (layer,),
        _arrays_check(want),
        hint="buffers are listed by name in each module's `_buffers` (modules without any have none): "
        "getattr(module, name) for each",
    )
    nested = Sequential(_Masked(), Sequential(_Masked()))
    want = [
        a
        for m in (nested.layers[0], nested.layers[1].layers[0])
        for a in (m.inner.weight.data, m.inner.bias.data, m.mask)
    ]
    yield Case(
        "buffers of nested modules count as well",
        (nested,),
        _arrays_check(want),
        hint="model.modules() visits every module, nested ones included",
    )


# ---- the report ----------------------------------------------------------------------------------
def _report(chosen):
    rows = [
        {
            "model": "float32 (baseline)",
            "accuracy %": 98.33,
            "size": 38_440,
            "size ratio": 1.0,
            "median ms": 0.09,
            "speed-up": 1.0,
            "within budget": True,
        },
        {
            "model": "int8",
            "accuracy %": 98.06,
            "size": 10_592,
            "size ratio": 38_440 / 10_592,
            "median ms": 0.15,
            "speed-up": 0.6,
            "within budget": True,
        },
        {
            "model": "pruned",
            "accuracy %": 96.0,
            "size": 38_440,
            "size ratio": 1.0,
            "median ms": 0.09,
            "speed-up": 1.0,
            "within budget": False,
        },
    ]
    table = Table(rows, title="three candidates")
    return CapstoneReport(table, {}, chosen, Budget(1.0), None)


def _report_check(report, pick):
    def check(got):
        if not isinstance(got, str):
            return f"expected a string, got {type(got).__name__}"
        want = [*str(report.table).split("\n"), repr(report.budget), pick]
        lines = got.split("\n")
        for i, line in enumerate(want):
            if i >= len(lines):
                return f"only {len(lines)} lines; line {i + 1} should be {line!r}"
            if lines[i] != line:
                return f"line {i + 1} is {lines[i]!r}, expected {line!r}"
        if len(lines) > len(want):
            return f"{len(lines)} lines, expected {len(want)}: the table, the budget, the verdict"
        return None

    return check


def report_repr_cases():
    r = _report("int8")
    yield Case(
        "the table, the budget, then the chosen candidate with its ratios",
        (r,),
        _report_check(
            r,
            "chosen: int8 (the smallest within the budget): 3.63x smaller than the baseline, "
            "0.60x its speed, accuracy 98.06 %",
        ),
        hint="str(self.table), repr(self.budget) and the verdict line, joined by newlines; numbers with :.2f",
    )
    r = _report(None)
    yield Case(
        "nothing within the budget: say so",
        (r,),
        _report_check(r, "no candidate meets the budget"),
        hint="when self.chosen is None the last line is 'no candidate meets the budget'",
    )


PIECES = [
    Piece(
        "digits_mlp",
        digits_mlp_cases,
        title="the model to optimize",
        todo="build the 64 -> hidden -> ReLU -> 10 MLP as a Sequential, its weights drawn after seeding with `seed`",
        hints=[
            "Seed tinytorch's generator first, so the initial weights repeat.",
            "Then build and return the Sequential of the three layers.",
        ],
    ),
    Piece(
        "Budget.allows",
        allows_cases,
        title="does a candidate meet the budget?",
        todo="return True when row's accuracy, size and latency are all within the budget",
        hints=[
            "Accuracy: refuse when row['accuracy %'] < baseline_accuracy - self.max_accuracy_drop "
            "(minus 1e-9 so that a drop of exactly the budget passes).",
            "Size and latency are only checked when their limit is not None: row['size'], row['median ms'].",
            "Return False as soon as one constraint fails, True at the end.",
        ],
    ),
    Piece(
        "Budget.__repr__",
        budget_repr_cases,
        title="the budget in words",
        todo="return 'Budget(accuracy drop <= X points[, size <= N bytes][, latency <= T ms])'",
        hints=[
            "Start a list with f'accuracy drop <= {self.max_accuracy_drop} points'.",
            "Append the size part (formatted {:,}) and the latency part only when they are set; "
            "join with ', ' inside 'Budget(...)'.",
        ],
    ),
    Piece(
        "_stored_arrays",
        stored_arrays_cases,
        title="every array a model stores",
        todo="return every parameter's array and every buffer of every module (e.g. int8 weights, scales)",
        hints=[
            "Start from [p.data for p in model.parameters()].",
            "Then for each module in model.modules(), add np.asarray(getattr(module, name)) for each name "
            "in getattr(module, '_buffers', ()).",
        ],
    ),
    Piece(
        "CapstoneReport.__repr__",
        report_repr_cases,
        title="the report",
        todo="return the table, the budget and the verdict (the chosen model and its ratios), one per line",
        hints=[
            "self.row(self.chosen) gives the chosen candidate's row (given).",
            "The verdict: f'chosen: {name} (the smallest within the budget): {ratio:.2f}x smaller than the "
            "baseline, {speedup:.2f}x its speed, accuracy {acc:.2f} %'.",
            "Three lines: the table and the budget as text (str / repr, or inside an f-string), then the verdict.",
        ],
    ),
]
