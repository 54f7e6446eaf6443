"""Checks of lesson 02 (Activations): ReLU, Sigmoid, Tanh, GELU, Softmax and LogSoftmax forward values.

Expected values are computed by NumPy from the same inputs (in float64, then cast), never by
tinytorch. The stability cases use inputs where the textbook formula overflows (exp(1000) is inf),
so an unstable version fails with a NaN or an overflow rather than passing by luck.
Gradients come in lesson 05.
"""

from __future__ import annotations

import math

import numpy as np

from tinytorch.tensor import Tensor
from tinytorch_course.checks.cases import Case, Piece
from tinytorch_course.checks.compare import mismatch
from tinytorch_course.checks.fixtures import np_log_softmax, np_softmax, op_case

HOME = "tinytorch.nn.functional"
TENSOR_HOME = "tinytorch.tensor"


def _t(array, dtype=np.float32) -> Tensor:
    return Tensor(np.asarray(array, dtype=dtype), dtype=dtype)


def _f32(array) -> np.ndarray:
    return np.asarray(array, dtype=np.float32)


def _input_kept(name, x, expected, hint=""):
    """The result is right AND the input tensor still holds its original numbers (no in-place edit)."""
    before = x.data.copy()

    def check(got):
        problem = mismatch(got, expected, returns=Tensor, dtype=np.float32)
        if problem:
            return problem
        changed = mismatch(x.data, before)
        return f"the input tensor was modified: {changed}" if changed else None

    return Case(name, (x,), check, hint=hint)


def _no_overflow(name, x, expected, hint):
    """Natively, an overflow inside the piece raises (np.errstate); the values must be exact too.
    (WebAssembly NumPy has no floating-point exceptions: there only the values are checked.)"""

    def call(impl):
        with np.errstate(over="raise", invalid="raise"):
            return impl(x)

    def check(got):
        return mismatch(got, expected, returns=Tensor, dtype=np.float32)

    return Case(name, call=call, expected=check, show=f"x = {x.data.tolist()} (float32)", hint=hint)


# ---- elementwise activations ---------------------------------------------------------------------
def relu_cases():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0], np.float32)
    yield op_case("negatives become 0, the rest pass: (5,)", (_t(x),), np.maximum(x, 0))
    b = np.array([[1.5, -1.0, 0.25], [-3.0, 2.0, -0.1]], np.float32)
    yield op_case("a (2, 3) batch keeps its shape", (_t(b),), np.maximum(b, 0))
    yield _input_kept(
        "the input tensor is left unchanged",
        _t(b),
        np.maximum(b, 0),
        hint="build a new array (e.g. with np.maximum or a mask product); do not set self.data[...] = 0",
    )


def sigmoid_cases():
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0], np.float32)
    expect = 1 / (1 + np.exp(-x.astype(np.float64)))
    yield op_case("values at -2, -1, 0, 1, 2 (sigmoid(0) = 0.5)", (_t(x),), expect)
    b = np.array([[0.5, -4.0, 8.0], [-0.25, 3.0, -12.0]], np.float32)
    yield op_case("a (2, 3) batch keeps its shape", (_t(b),), 1 / (1 + np.exp(-b.astype(np.float64))))
    big = np.array([-1000.0, -30.0, 30.0, 1000.0], np.float32)
    yield _no_overflow(
        "x = -1000, -30, 30, 1000: no overflow (0, ~1e-13, ~1, 1)",
        _t(big),
        _f32([0.0, 1 / (1 + math.exp(30.0)), 1 / (1 + math.exp(-30.0)), 1.0]),
        hint="exp(1000) overflows: for x < 0 use e / (1 + e) with e = exp(x), for x >= 0 "
        "1 / (1 + exp(-x)); then exp only ever sees a number <= 0",
    )
    x64 = np.array([-3.0, 0.5], np.float64)
    yield op_case(
        "a float64 tensor stays float64",
        (_t(x64, np.float64),),
        1 / (1 + np.exp(-x64)),
        dtype=np.float64,
        hint="keep the input's dtype (e.g. .astype(a.dtype, copy=False) at the end)",
    )


def tanh_cases():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 2.0], np.float32)
    yield op_case("values at -2, -0.5, 0, 0.5, 2", (_t(x),), np.tanh(x.astype(np.float64)))
    b = np.array([[1.0, -1.0, 0.1], [3.0, -0.2, 0.0]], np.float32)
    yield op_case("a (2, 3) batch keeps its shape", (_t(b),), np.tanh(b.astype(np.float64)))
    big = np.array([-1000.0, 1000.0], np.float32)
    yield _no_overflow(
        "x = -1000, 1000 give exactly -1, 1 (no overflow)",
        _t(big),
        _f32([-1.0, 1.0]),
        hint="(e^x - e^-x) / (e^x + e^-x) overflows to inf / inf; NumPy's np.tanh is stable",
    )


# ---- GELU ----------------------------------------------------------------------------------------
def _gelu_tanh(x):
    x = np.asarray(x, np.float64)
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def gelu_cases():
    x = np.array([-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 3.0], np.float32)
    yield op_case(
        "values at -3 ... 3 (tanh approximation)",
        (_t(x),),
        _gelu_tanh(x),
        hint="GELU here is the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), "
        "not the exact erf form: they differ by ~1e-4",
    )
    b = np.array([[2.0, -2.0], [0.25, -0.75], [10.0, -10.0]], np.float32)
    yield op_case("a (3, 2) batch; ~x for large x, ~0 for very negative x", (_t(b),), _gelu_tanh(b))
    yield _input_kept("the input tensor is left unchanged", _t(b), _gelu_tanh(b))


# ---- softmax family ------------------------------------------------------------------------------
def softmax_cases():
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 0.5]], np.float32)
    yield op_case("each row sums to 1: (2, 3) along the last axis", (_t(x),), np_softmax(x))
    yield op_case(
        "axis=0 normalises each column",
        (_t(x),),
        np_softmax(x, axis=0),
        kwargs={"axis": 0},
        hint="every max / sum must be taken along `axis`, with keepdims=True so it broadcasts back",
    )
    yield op_case(
        "PyTorch's keyword dim=0 works like axis=0",
        (_t(x),),
        np_softmax(x, axis=0),
        kwargs={"dim": 0},
        hint="accept dim= as another name for axis=",
    )
    v = np.array([0.5, 0.5, 2.0, -1.0], np.float32)
    yield op_case("a 1-D vector of 4 logits", (_t(v),), np_softmax(v))
    big = np.array([[1000.0, 999.0, 0.0], [-1000.0, -1000.0, -1001.0]], np.float32)
    yield op_case(
        "logits of +-1000 do not overflow",
        (_t(big),),
        np_softmax(big),
        hint="exp(1000) is inf and inf / inf is NaN: subtract each row's maximum first "
        "(softmax(x - c) = softmax(x) for any constant c)",
    )


def log_softmax_cases():
    x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 0.5]], np.float32)
    yield op_case("equals log(softmax(x)) for small logits: (2, 3)", (_t(x),), np_log_softmax(x))
    yield op_case("axis=0 works along the columns", (_t(x),), np_log_softmax(x, axis=0), kwargs={"axis": 0})
    big = np.array([[1e4, 0.0, -1e4]], np.float32)
    yield op_case(
        "logits of magnitude 1e4 stay finite: [0, -1e4, -2e4]",
        (_t(big),),
        np_log_softmax(big),
        hint="log(softmax(x)) takes log(0) = -inf for the small entries: compute "
        "z = x - max, then z - log(sum(exp(z))) (the log-sum-exp trick)",
    )
    yield op_case("PyTorch's keyword dim=-1 works like axis=-1", (_t(x),), np_log_softmax(x), kwargs={"dim": -1})
    x3 = np.arange(12, dtype=np.float32).reshape(2, 2, 3) / 4
    yield op_case(
        "(2, 2, 3) without an axis: along the last axis",
        (_t(x3),),
        np_log_softmax(x3),
        hint="with neither axis nor dim given the axis is -1: the given _axis(axis, dim, default=-1) says so",
    )


PIECES = [
    Piece(
        "Tensor.relu",
        relu_cases,
        home=TENSOR_HOME,
        title="ReLU",
        todo="return a new Tensor holding max(x, 0) elementwise",
        hints=[
            "A boolean mask `self.data > 0` says which elements pass.",
            "Multiply the data by the mask (or use np.maximum(self.data, 0)); build the output with "
            "Tensor._op(data, (self,), backward, 'relu'), backward may be None in this lesson.",
        ],
    ),
    Piece(
        "Tensor.sigmoid",
        sigmoid_cases,
        home=TENSOR_HOME,
        title="a stable sigmoid",
        todo="return 1 / (1 + exp(-x)) elementwise, without overflow for large |x|",
        hints=[
            "Compute e = np.exp(-np.abs(a)): it is always in (0, 1], never inf.",
            "For a >= 0 the answer is 1 / (1 + e); for a < 0 it is e / (1 + e). np.where picks per element.",
            "np.where may promote the dtype: finish with .astype(a.dtype, copy=False).",
        ],
    ),
    Piece(
        "Tensor.tanh",
        tanh_cases,
        home=TENSOR_HOME,
        title="tanh",
        todo="return tanh(x) elementwise (np.tanh is stable)",
        hints=["NumPy's np.tanh is already stable; wrap its result with Tensor._op(..., 'tanh')."],
    ),
    Piece(
        "gelu_tanh",
        gelu_cases,
        title="GELU (tanh approximation)",
        todo="return 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) elementwise",
        hints=[
            "`x = _t(x)` first, then work on the array `a = x.data`.",
            "The constant sqrt(2/pi) is given as _SQRT_2_OVER_PI; a ** 3 is the cube.",
            "Wrap the result: Tensor._op(data, (x,), backward, 'gelu') (backward may be None for now).",
        ],
    ),
    Piece(
        "softmax",
        softmax_cases,
        title="numerically stable softmax",
        todo="return exp(x) / sum(exp(x)) along `axis` (or dim), subtracting the maximum first",
        hints=[
            "Use axis = dim if dim is given; work on x.data (after x = _t(x)).",
            "z = a - a.max(axis=axis, keepdims=True); e = np.exp(z); divide by e.sum(axis=axis, keepdims=True).",
        ],
    ),
    Piece(
        "log_softmax",
        log_softmax_cases,
        title="log-softmax via log-sum-exp",
        todo="return x - logsumexp(x) along `axis` (or dim), finite even for logits of 1e4",
        hints=[
            "Never take the log of a softmax: small probabilities are 0 in float32 and log(0) = -inf.",
            "z = a - a.max(axis=axis, keepdims=True); the answer is z - np.log(np.exp(z).sum(axis=axis, "
            "keepdims=True)).",
        ],
    ),
]
