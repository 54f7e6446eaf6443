"""Checks of lesson 18 (Acceleration): loops vs vectorized matmul, im2col, and the unfused compositions
that fused ops replace (cross-entropy and GELU from small Tensor ops).

Expected values are computed here with NumPy (float64, then cast), never by tinytorch: the matmuls
against NumPy's `@`, im2col against windows cut out one by one with explicit loops, the loss and
GELU against their formulas. The unfused pieces are also checked to *be* chains of small ops (their
gradients come from autograd through them); the fused ops are the learner's from lesson 05.
"""

from __future__ import annotations

import math

import numpy as np

from tinytorch.tensor import Tensor
from tinytorch_course.checks.cases import Case, Piece, Raises
from tinytorch_course.checks.fixtures import np_cross_entropy, np_randn
from tinytorch_course.checks.gradients import grad_case

HOME = "tinytorch.systems.acceleration"


def _grid(*shape, start=0.0, dtype=np.float32) -> np.ndarray:
    return (np.arange(np.prod(shape), dtype=np.float64) + start).reshape(shape).astype(dtype)


def _exact_matmul(a, b) -> np.ndarray:
    return (a.astype(np.float64) @ b.astype(np.float64)).astype(a.dtype)


# ---- vectorization -------------------------------------------------------------------------------
def _matmul_cases(loops: bool):
    a, b = _grid(2, 3, start=-2), _grid(3, 4, start=1)
    yield Case(
        "(2, 3) @ (3, 4) gives the same numbers as NumPy's @",
        (a, b),
        _exact_matmul(a, b),
        returns=np.ndarray,
        dtype=np.float32,
        hint="out[i][j] is the sum over t of a[i][t] * b[t][j]"
        if loops
        else "row i of the result is the vector-matrix product a[i] @ b",
    )
    a, b = np_randn(1, 4, 3, dtype=np.float64), np_randn(2, 3, 2, dtype=np.float64)
    yield Case(
        "a float64 (4, 3) @ (3, 2) stays float64",
        (a, b),
        a @ b,
        returns=np.ndarray,
        dtype=np.float64,
        hint="return an array of a's dtype: np.array(rows, dtype=a.dtype)"
        if loops
        else "np.stack keeps the rows' dtype",
    )
    a, b = _grid(1, 5, start=1), _grid(5, 1, start=-1)
    yield Case(
        "(1, 5) @ (5, 1): a single dot product, shape (1, 1)",
        (a, b),
        _exact_matmul(a, b),
        returns=np.ndarray,
        dtype=np.float32,
        hint="the result is 2-D even when it holds one number",
    )
    a, b = np_randn(3, 3, 4), np_randn(4, 4, 5)
    yield Case(
        "random (3, 4) @ (4, 5) matches to float32 precision",
        (a, b),
        _exact_matmul(a, b),
        returns=np.ndarray,
        dtype=np.float32,
        rtol=1e-5,
        atol=1e-5,
    )


def matmul_loops_cases():
    yield from _matmul_cases(loops=True)


def matmul_row_loop_cases():
    yield from _matmul_cases(loops=False)


# ---- im2col --------------------------------------------------------------------------------------
def _im2col_loops(x, kh, kw, stride=1, pad=0, pad_value=0):
    """Every window cut out one by one: rows in (n, out-row, out-col) order, each window flattened
    in (channel, kernel-row, kernel-col) order. Slow and obviously right."""
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), constant_values=pad_value)
    n, c, h, w = x.shape
    oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
    rows = [
        x[b, :, i * stride : i * stride + kh, j * stride : j * stride + kw].reshape(-1)
        for b in range(n)
        for i in range(oh)
        for j in range(ow)
    ]
    return np.array(rows, dtype=x.dtype).reshape(n * oh * ow, c * kh * kw), (oh, ow)


def _conv_loops(x, w):
    """Cross-correlation with loops over every output pixel (stride 1, no padding), in float64."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    out = np.zeros((n, o, h - kh + 1, wd - kw + 1))
    for b in range(n):
        for f in range(o):
            for i in range(h - kh + 1):
                for j in range(wd - kw + 1):
                    out[b, f, i, j] = np.sum(x[b, :, i : i + kh, j : j + kw].astype(np.float64) * w[f])
    return out


def im2col_cases():
    x = _grid(1, 1, 3, 3)
    yield Case(
        "one 3x3 channel, 2x2 kernel: 4 windows of 4 numbers",
        (x, 2),
        _im2col_loops(x, 2, 2),
        hint="there are (3 - 2 + 1)^2 = 4 windows; each becomes one row of the result, and the "
        "function returns (cols, (oh, ow))",
    )
    x = _grid(1, 2, 3, 3)
    yield Case(
        "two channels: each row holds channel 0's window, then channel 1's",
        (x, 2),
        _im2col_loops(x, 2, 2),
        hint="columns are in (C, kh, kw) order, like weight.reshape(O, C*kh*kw)",
    )
    x = _grid(2, 1, 3, 3)
    yield Case(
        "a batch of 2 images: image 0's windows first",
        (x, 2),
        _im2col_loops(x, 2, 2),
        hint="rows are in (N, oh, ow) order: all windows of image 0, then of image 1",
    )
    x = _grid(1, 1, 5, 5)
    yield Case(
        "stride 2 on a 5x5 input, 3x3 kernel: 2x2 windows",
        (x, 3),
        _im2col_loops(x, 3, 3, stride=2),
        kwargs={"stride": 2},
        hint="output size is (5 - 3) // 2 + 1 = 2; windows start every 2 pixels",
    )
    x = _grid(1, 1, 2, 2, start=1)
    yield Case(
        "padding 1 around a 2x2 input, 3x3 kernel: borders of zeros",
        (x, 3),
        _im2col_loops(x, 3, 3, pad=1),
        kwargs={"padding": 1},
        hint="np.pad only the two spatial axes: ((0, 0), (0, 0), (p, p), (p, p))",
    )
    yield Case(
        "pad_value=-5 fills the border with -5 (max pooling pads with -inf)",
        (x, 3),
        _im2col_loops(x, 3, 3, pad=1, pad_value=-5),
        kwargs={"padding": 1, "pad_value": -5},
        hint="pass pad_value as np.pad's constant_values",
    )
    x = _grid(1, 1, 3, 4)
    cols, _ = _im2col_loops(x, 2, 3)
    yield Case(
        "a rectangular (2, 3) kernel on a 3x4 input",
        (x, (2, 3)),
        (cols, (2, 2)),
        hint="kernel_size may be an int or a pair (kh, kw)",
    )
    codes = _grid(1, 1, 3, 3, start=-4, dtype=np.int8)
    yield Case(
        "int8 codes keep their dtype (the quantized conv of lesson 15 uses this)",
        (codes, 2),
        _im2col_loops(codes, 2, 2),
        hint="never convert to float: reshape and copy only",
    )

    x, w = np_randn(5, 2, 2, 4, 4), np_randn(6, 3, 2, 3, 3)

    def conv(impl):
        cols, (oh, ow) = impl(x, 3)
        out = cols @ w.reshape(3, -1).T  # (N*oh*ow, O): one matrix product
        return out.reshape(2, oh, ow, 3).transpose(0, 3, 1, 2)

    yield Case(
        "a convolution as ONE matrix product cols @ W.T equals the loops",
        call=conv,
        expected=_conv_loops(x, w).astype(np.float32),
        rtol=1e-4,
        atol=1e-5,
        show="x (2, 2, 4, 4), weight (3, 2, 3, 3); (cols @ weight.reshape(3, -1).T) reshaped to (2, 3, 2, 2)",
        hint="if the other cases pass, check the row order (N, oh, ow) and column order (C, kh, kw)",
    )
    flat = _grid(1, 1, 2, 3, start=1)
    padded = np.pad(flat, ((0, 0), (0, 0), (1, 1), (0, 0)))
    yield Case(
        "padding (1, 0): rows padded, columns not",
        (flat, 2),
        _im2col_loops(padded, 2, 2),
        kwargs={"padding": (1, 0)},
        hint="padding may be a pair (ph, pw): pad when either is non-zero, each axis by its own amount",
    )
    square = _grid(1, 1, 3, 3)
    yield Case(
        "a 3x3 kernel on a 3x3 input: exactly one window",
        (square, 3),
        _im2col_loops(square, 3, 3),
        hint="an output size of 1 is fine: raise only when oh or ow is < 1",
    )
    yield Case(
        "a (2, 5) kernel on a 3x4 input raises ValueError (too wide, though tall enough)",
        (_grid(1, 1, 3, 4), (2, 5)),
        Raises(ValueError, "2x5", "3x4"),
        hint="raise when oh < 1 OR ow < 1: one axis that does not fit is enough",
    )
    yield Case(
        "a 3x3 kernel on a 2x2 input raises ValueError naming both sizes",
        (_grid(1, 1, 2, 2), 3),
        Raises(ValueError, "3x3", "2x2"),
        hint="when oh or ow would be < 1, raise ValueError(f'... a {kh}x{kw} kernel does not fit the "
        "padded {h}x{w} input')",
    )


# ---- the unfused compositions -------------------------------------------------------------------
def _count_ops(out) -> int:
    """How many op nodes the graph behind `out` has (leaves excluded)."""
    seen, stack, count = set(), [out], 0
    while stack:
        t = stack.pop()
        if id(t) in seen or not isinstance(t, Tensor):
            continue
        seen.add(id(t))
        if t._parents:
            count += 1
            stack.extend(t._parents)
    return count


def _chain_case(name, make_input, call, minimum, what):
    """The result is built by a chain of at least `minimum` small Tensor ops (not one fused op)."""

    def several_ops(impl):
        out = call(impl, make_input())
        return _count_ops(out) if isinstance(out, Tensor) else f"expected a Tensor, got {type(out).__name__}"

    def check(n):
        if isinstance(n, str):
            return n
        return (
            None
            if n >= minimum
            else (
                f"the graph behind the result has {n} op node(s); the unfused version is a chain of small Tensor "
                f"ops (at least {minimum}: {what})"
            )
        )

    return Case(
        name,
        call=several_ops,
        expected=check,
        show="an input requiring grad",
        hint="compose Tensor operations here; do not call the fused op of tinytorch.nn.functional",
    )


LOGITS = np.array([[2.0, 1.0, 0.1, -1.0], [0.5, 2.5, -0.5, 0.0], [-1.0, 0.0, 1.0, 3.0]], np.float32)
TARGETS = np.array([0, 3, 3])


def cross_entropy_unfused_cases():
    x, y = LOGITS, TARGETS
    yield Case(
        "3 rows of 4 logits: the mean of -log softmax at the targets",
        (Tensor(x), y),
        np.asarray(np_cross_entropy(x, y), np.float32),
        returns=Tensor,
        dtype=np.float32,
        hint="loss = -mean over rows of log_softmax(logits)[row, target[row]]",
    )
    big = np.array([[1000.0, 0.0, -1000.0], [0.0, 1000.0, 999.0]], np.float32)
    yield Case(
        "logits of +-1000 give a finite loss",
        (Tensor(big), np.array([0, 2])),
        np.asarray(np_cross_entropy(big, [0, 2]), np.float32),
        returns=Tensor,
        dtype=np.float32,
        hint="subtract each row's maximum before exp (the log-sum-exp trick of lesson 04)",
    )
    yield Case(
        "targets may be a Tensor of ints",
        (Tensor(x), Tensor(y)),
        np.asarray(np_cross_entropy(x, y), np.float32),
        returns=Tensor,
        dtype=np.float32,
        hint="take targets.data when targets is a Tensor, else np.asarray(targets)",
    )
    yield grad_case(
        "gradient w.r.t. the logits flows back through every op",
        lambda ce, z: ce(z, TARGETS),
        LOGITS,
        names=["logits"],
        hint="use Tensor ops only (-, exp, sum, log, indexing, mean): autograd then differentiates the chain for you",
    )
    yield _chain_case(
        "it is a chain of small ops (at least 6 nodes in the graph)",
        lambda: Tensor(LOGITS, requires_grad=True),
        lambda impl, z: impl(z, TARGETS),
        6,
        "shift, exp, sum, log, subtract, index, mean, negate",
    )


C = math.sqrt(2 / math.pi)


def _gelu(x):
    x = np.asarray(x, np.float64)
    return 0.5 * x * (1 + np.tanh(C * (x + 0.044715 * x**3)))


def gelu_unfused_cases():
    x = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0], np.float32)
    yield Case(
        "values at -3 ... 3 (tanh approximation)",
        (Tensor(x),),
        _gelu(x).astype(np.float32),
        returns=Tensor,
        dtype=np.float32,
        hint="0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), every step a Tensor operation",
    )
    b = np.array([[2.0, -2.0], [0.25, -0.75], [10.0, -10.0]], np.float32)
    yield Case(
        "a (3, 2) batch keeps its shape", (Tensor(b),), _gelu(b).astype(np.float32), returns=Tensor, dtype=np.float32
    )
    yield grad_case(
        "gradient (finite differences) through the chain",
        lambda gelu, t: gelu(t),
        x.reshape(7, 1) * [1.0, 0.5],
        hint="if the values pass but the gradient does not, one of the Tensor ops you used has a "
        "wrong backward (lesson 05)",
    )
    yield _chain_case(
        "it is a chain of small ops (at least 6 nodes in the graph)",
        lambda: Tensor(x, requires_grad=True),
        lambda impl, t: impl(t),
        6,
        "cube, scale, add, scale, tanh, add, multiply",
    )


PIECES = [
    Piece(
        "matmul_loops",
        matmul_loops_cases,
        title="matmul with three Python loops",
        todo="compute a @ b with three nested Python loops over plain lists (no NumPy arithmetic)",
        hints=[
            "Convert first: al, bl = a.tolist(), b.tolist(); Python lists are faster to index than arrays.",
            "For every (i, j): s = 0.0; for t in range(k): s += al[i][t] * bl[t][j]; store s in out[i][j].",
            "Return np.array(out, dtype=a.dtype) so the result has a's dtype.",
        ],
    ),
    Piece(
        "matmul_row_loop",
        matmul_row_loop_cases,
        title="one loop, rows vectorized",
        todo="compute a @ b with one Python loop over the rows of a, each row a vectorized `row @ b`",
        hints=[
            "`row @ b` is a (k,) vector times a (k, n) matrix: NumPy does the two inner loops.",
            "np.stack(list_of_rows) puts the (n,) results back into an (m, n) array.",
        ],
    ),
    Piece(
        "im2col",
        im2col_cases,
        title="unroll every window into a row",
        todo="return (cols, (oh, ow)): every kernel window of x (N, C, H, W) as one row of cols (N*oh*ow, C*kh*kw)",
        hints=[
            "Pad first (only H and W), then oh = (h - kh) // sh + 1 and ow likewise; raise if either is < 1.",
            "np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3)) is an (N, C, H', W', kh, kw) view "
            "of every window without copying; [:, :, ::sh, ::sw] applies the stride.",
            "Move the axes to (N, oh, ow, C, kh, kw) with .transpose(0, 2, 3, 1, 4, 5), then reshape to "
            "(N*oh*ow, C*kh*kw): that reshape is the one copy.",
        ],
    ),
    Piece(
        "cross_entropy_unfused",
        cross_entropy_unfused_cases,
        title="cross-entropy from small ops",
        todo="return the mean cross-entropy composed of Tensor ops (shift, exp, sum, log, index, mean)",
        hints=[
            "Shift by a constant: z = logits - Tensor(logits.data.max(axis=1, keepdims=True)).",
            "logp = z - z.exp().sum(axis=1, keepdims=True).log() is log-softmax, built from four ops.",
            "Pick each row's target with logp[np.arange(N), y] and return the negated mean.",
        ],
    ),
    Piece(
        "gelu_unfused",
        gelu_unfused_cases,
        title="GELU from small ops",
        todo="return 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) composed of Tensor operations",
        hints=[
            "Every step is a Tensor operation: x * x * x, multiplication by a number, +, .tanh().",
            "Name the inside of the tanh first (inner = ..., with math.sqrt(2 / math.pi) as a plain number), then "
            "combine: 0.5 times x times (tanh(inner) + 1).",
        ],
    ),
]
