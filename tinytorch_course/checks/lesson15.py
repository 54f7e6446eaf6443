"""Checks of lesson 15 (Quantization): FP16, INT8 quantization parameters (symmetric/asymmetric,
per-tensor/per-channel), quantize/dequantize with the scale/2 error bound, calibration, the exact
integer matmul and the integer Linear layer.

Expected values are computed here with NumPy from the formulas (float64, then cast), never by
tinytorch's quantization module; QParams objects are built with the given constructor, so a case of
`quantize` does not depend on the learner's `compute_qparams`.
"""

from __future__ import annotations

import numpy as np

from tinytorch.nn.linear import Linear
from tinytorch.systems.quantization import Observer, QParams, QuantizedLinear
from tinytorch.tensor import Tensor
from tinytorch_course.checks.cases import Case, Piece, Raises
from tinytorch_course.checks.compare import describe, mismatch

HOME = "tinytorch.systems.quantization"
F32 = np.float32


def _qp_check(scale, zero_point, qmin, qmax, axis=None):
    """A check that the result is a QParams with these numbers."""
    scale = np.asarray(scale, dtype=np.float64)
    zero_point = np.asarray(zero_point, dtype=np.int64)

    def check(got):
        if not isinstance(got, QParams):
            return f"expected a QParams(scale, zero_point, qmin, qmax, axis), got {describe(got)}"
        if (got.qmin, got.qmax) != (qmin, qmax):
            return f"integer range [{got.qmin}, {got.qmax}], expected [{qmin}, {qmax}]"
        problem = mismatch(np.asarray(got.scale, np.float64), scale, rtol=1e-6, atol=0)
        if problem:
            return f"scale: {problem}"
        problem = mismatch(np.asarray(got.zero_point, np.int64), zero_point)
        if problem:
            return f"zero_point: {problem}"
        if got.axis != axis:
            return f"axis {got.axis!r}, expected {axis!r}"
        return None

    return check


# ---- FP16 ----------------------------------------------------------------------------------------
def to_fp16_cases():
    x = np.array([1.0, -0.1, 3.14159, 65504.0], F32)
    yield Case("float32 values become float16 (2 bytes each)", (x,), x.astype(np.float16), dtype=np.float16)
    yield Case(
        "a Tensor works too: its data is converted",
        (Tensor(np.array([[0.5, 2.0]], F32)),),
        np.array([[0.5, 2.0]], np.float16),
        dtype=np.float16,
        hint="take .data of a Tensor first",
    )
    big = np.array([70000.0, -1e5], F32)
    with np.errstate(over="ignore"):
        yield Case("beyond 65504 float16 overflows to +-inf", (big,), big.astype(np.float16), dtype=np.float16)
    rng = np.random.default_rng(0)
    vals = (rng.standard_normal(12) * 100).astype(F32)

    def rel_error(got):
        problem = mismatch(got, vals.astype(np.float16), dtype=np.float16)
        if problem:
            return problem
        rel = np.abs(np.asarray(got, np.float64) - vals) / np.abs(vals)
        return None if rel.max() <= 2.0**-11 else f"relative error {rel.max():.3g} > 2^-11"

    yield Case("relative error at most 2^-11 (11 significant bits)", (vals,), rel_error)


# ---- quantization parameters ---------------------------------------------------------------------
def compute_qparams_cases():
    yield Case(
        "symmetric [-1.27, 0.635]: scale 1.27/127 = 0.01, zero_point 0, range [-127, 127]",
        (-1.27, 0.635),
        _qp_check(0.01, 0, -127, 127),
        hint="symmetric: scale = max(|min|, |max|) / qmax with qmax = 2^(bits-1) - 1, and qmin = -qmax",
    )
    yield Case(
        "asymmetric [-1, 3]: scale 4/255, zero_point round(1 / scale) = 64, range [0, 255]",
        (-1.0, 3.0),
        _qp_check(4 / 255, 64, 0, 255),
        kwargs={"scheme": "asymmetric"},
        hint="asymmetric: scale = (max - min) / (qmax - qmin), zero_point = round(qmin - min / scale)",
    )
    yield Case(
        "asymmetric [0, 2.55] (after a ReLU): scale 0.01, zero_point 0",
        (0.0, 2.55),
        _qp_check(0.01, 0, 0, 255),
        kwargs={"scheme": "asymmetric"},
    )
    yield Case(
        "asymmetric [2, 4] is widened to [0, 4] so that 0 is exact: scale 4/255, zero_point 0",
        (2.0, 4.0),
        _qp_check(4 / 255, 0, 0, 255),
        kwargs={"scheme": "asymmetric"},
        hint="first widen the range to contain 0: lo = min(x_min, 0), hi = max(x_max, 0)",
    )
    yield Case(
        "an all-zero range [0, 0] gets scale 1, not 0 (no division by zero later)",
        (0.0, 0.0),
        _qp_check(1.0, 0, -127, 127),
        hint="a zero scale would divide by zero in quantize: replace scale 0 by 1 (any scale is exact for 0)",
    )
    yield Case(
        "bits=2, the smallest allowed: symmetric range [-1, 1], scale 1",
        (-1.0, 0.5),
        _qp_check(1.0, 0, -1, 1),
        kwargs={"bits": 2},
        hint="2 to 16 bits are allowed, both ends included: raise only when not 2 <= bits <= 16",
    )
    yield Case(
        "bits=4 symmetric [-1, 0.5]: range [-7, 7], scale 1/7",
        (-1.0, 0.5),
        _qp_check(1 / 7, 0, -7, 7),
        kwargs={"bits": 4},
    )
    lo, hi = np.array([-1.0, -0.2, 0.0]), np.array([0.5, 2.0, 0.0])
    yield Case(
        "per-channel symmetric: 3 ranges give scales [1/127, 2/127, 1 (an all-zero channel)], axis=0",
        (lo, hi),
        _qp_check(np.array([1.0 / 127, 2.0 / 127, 1.0]), [0, 0, 0], -127, 127, axis=0),
        kwargs={"axis": 0},
        hint="use NumPy elementwise functions (np.maximum, np.abs, np.where) so arrays work",
    )
    yield Case(
        "an unknown scheme raises a ValueError naming it",
        (-1.0, 1.0),
        Raises(ValueError, "affine"),
        kwargs={"scheme": "affine"},
    )
    yield Case(
        "bits=17 raises a ValueError naming the bits",
        (-1.0, 1.0),
        Raises(ValueError, "bits", "17"),
        kwargs={"bits": 17},
    )


def qparams_for_cases():
    w = np.array([[0.5, -1.27, 0.1], [0.02, 0.04, -0.01]], F32)
    yield Case(
        "per-tensor symmetric of a (2, 3) weight: scale max|w| / 127 = 0.01",
        (w,),
        _qp_check(0.01, 0, -127, 127),
        hint="per-tensor: the whole tensor's min and max",
    )
    yield Case(
        "per-channel (axis=0): one scale per row, [1.27, 0.04] / 127",
        (w,),
        _qp_check(np.array([1.27, 0.04]) / 127, [0, 0], -127, 127, axis=0),
        kwargs={"axis": 0},
        hint="per-channel along axis 0: reduce min and max over every *other* axis (here axis 1)",
    )
    acts = np.array([[0.0, 2.55], [1.0, 0.3]], F32)
    yield Case(
        "asymmetric per-tensor of ReLU outputs in [0, 2.55]: scale 0.01, zero_point 0",
        (Tensor(acts),),
        _qp_check(0.01, 0, 0, 255),
        kwargs={"scheme": "asymmetric"},
        hint="accept a Tensor: use its .data",
    )
    yield Case(
        "axis=-1 means the last axis: 3 column scales, stored as axis=1",
        (w,),
        _qp_check(np.array([0.5, 1.27, 0.1]) / 127, [0, 0, 0], -127, 127, axis=1),
        kwargs={"axis": -1},
        hint="normalise a negative axis with axis % ndim",
    )


def quantize_cases():
    x = np.array([-0.26, -0.04, 0.0, 0.07, 0.149, 1.0], F32)
    qp = QParams(0.1, 0, -127, 127)
    yield Case(
        "symmetric, scale 0.1: round(x / 0.1), int8",
        (x, qp),
        np.round(x.astype(np.float64) / 0.1).astype(np.int8),
        dtype=np.int8,
        hint="q = round(x / scale) + zero_point, clipped to [qmin, qmax], as qp.dtype (int8 here)",
    )
    wide = np.array([-50.0, -12.7, 12.7, 50.0], F32)
    yield Case(
        "values outside the range clip to -127 / 127 (never -128)",
        (wide, qp),
        np.array([-127, -127, 127, 127], np.int8),
        dtype=np.int8,
        hint="np.clip(q, qp.qmin, qp.qmax)",
    )
    a = np.array([-1.0, 0.0, 0.5, 3.0, 4.0], F32)
    aqp = QParams(4 / 255, 64, 0, 255)
    expect = np.clip(np.round(a.astype(np.float64) / (4 / 255)) + 64, 0, 255).astype(np.uint8)
    yield Case(
        "asymmetric [0, 255] with zero_point 64: uint8, 0.0 -> 64 exactly",
        (a, aqp),
        expect,
        dtype=np.uint8,
        hint="add the zero point after rounding; qp.dtype is uint8 for an asymmetric range",
    )
    m = np.array([[0.3, -0.2, 0.06], [3.0, -2.0, 0.4]], F32)
    pqp = QParams(np.array([0.1, 1.0]), np.array([0, 0]), -127, 127, axis=0)
    yield Case(
        "per-channel along axis 0: row 0 with scale 0.1, row 1 with scale 1.0",
        (m, pqp),
        np.round(m.astype(np.float64) / np.array([[0.1], [1.0]])).astype(np.int8),
        dtype=np.int8,
        hint="per-channel scales must broadcast along qp.axis: qp._shaped(qp.scale, x.ndim) reshapes them",
    )
    rng = np.random.default_rng(1)
    vals = rng.uniform(-1.27, 1.27, size=12).astype(F32)

    def within_half_step(got):
        problem = mismatch(got, np.round(vals.astype(np.float64) / 0.01).astype(np.int8), dtype=np.int8)
        if problem:
            return problem
        err = np.abs(np.asarray(got, np.float64) * 0.01 - vals)
        return None if err.max() <= 0.005 + 1e-7 else f"round-trip error {err.max():.4g} > scale/2 = 0.005"

    yield Case(
        "12 values in range come back within scale/2 = 0.005", (vals, QParams(0.01, 0, -127, 127)), within_half_step
    )


def dequantize_cases():
    qp = QParams(0.1, 0, -127, 127)
    q = np.array([-127, -3, 0, 5, 127], np.int8)
    yield Case(
        "symmetric int8 codes times scale 0.1, float32",
        (q, qp),
        (q.astype(np.float64) * 0.1).astype(F32),
        dtype=F32,
        hint="x = (q - zero_point) * scale, returned as float32",
    )
    codes = np.array([0, 10, 64, 200, 255], np.uint8)
    aqp = QParams(0.5, 64, 0, 255)
    yield Case(
        "uint8 codes below the zero point 64 give negatives (no wrap-around)",
        (codes, aqp),
        ((codes.astype(np.int64) - 64) * 0.5).astype(F32),
        dtype=F32,
        hint="uint8 arithmetic wraps around (10 - 64 = 202 in uint8): convert q to int32 before subtracting",
    )
    pq = np.array([[10, -20, 5], [3, 0, -1]], np.int8)
    pqp = QParams(np.array([0.1, 2.0]), np.array([0, 0]), -127, 127, axis=0)
    yield Case(
        "per-channel along axis 0: row scales 0.1 and 2.0",
        (pq, pqp),
        (pq * np.array([[0.1], [2.0]])).astype(F32),
        dtype=F32,
        hint="reshape the scales (and zero points) to broadcast along qp.axis: qp._shaped(...)",
    )
    rng = np.random.default_rng(2)
    x = rng.uniform(-1.0, 3.0, size=12)
    s = 4 / 255
    codes2 = np.clip(np.round(x / s) + 64, 0, 255).astype(np.uint8)

    def bound(got):
        problem = mismatch(got, ((codes2.astype(np.int64) - 64) * s).astype(F32), dtype=F32)
        if problem:
            return problem
        err = np.abs(np.asarray(got, np.float64) - x).max()
        return None if err <= s / 2 + 1e-6 else f"round-trip error {err:.4g} > scale/2 = {s / 2:.4g}"

    yield Case("quantized [-1, 3] values come back within scale/2", (codes2, QParams(s, 64, 0, 255)), bound)


# ---- calibration -----------------------------------------------------------------------------------
def _observe(observer, batches):
    def call(observe):
        for b in batches:
            observe(observer, b)
        return observer

    return call


def _range_check(lo, hi):
    def check(obs):
        problem = mismatch(np.asarray(obs.min, np.float64), np.asarray(lo, np.float64))
        if problem:
            return f"observer.min: {problem}"
        problem = mismatch(np.asarray(obs.max, np.float64), np.asarray(hi, np.float64))
        return f"observer.max: {problem}" if problem else None

    return check


def observe_cases():
    b1 = np.array([[0.5, -1.0], [2.0, 0.0]], F32)
    b2 = np.array([[3.0, -0.5], [0.1, 0.2]], F32)
    yield Case(
        "min-max over two batches: -1 and 3",
        call=_observe(Observer(), [b1, b2]),
        expected=_range_check(-1.0, 3.0),
        show="batches [[0.5, -1], [2, 0]] then [[3, -0.5], [0.1, 0.2]]",
        hint="keep a running min and max: the first batch sets them, later ones extend them (np.minimum / np.maximum)",
    )
    yield Case(
        "a Tensor batch works too",
        call=_observe(Observer(), [Tensor(b1)]),
        expected=_range_check(-1.0, 2.0),
        show="one Tensor batch [[0.5, -1], [2, 0]]",
        hint="use .data of a Tensor",
    )
    yield Case(
        "per-channel (axis=1): per-column ranges [0.1..3, -1..0.2]",
        call=_observe(Observer(axis=1), [b1, b2]),
        expected=_range_check([0.1, -1.0], [3.0, 0.2]),
        show="Observer(axis=1); the same two batches",
        hint="with an axis, reduce over every other axis: a.min(axis=others) gives one value per channel",
    )
    rng = np.random.default_rng(3)
    bulk = [rng.standard_normal(50).astype(F32) for _ in range(2)]
    bulk[1][7] = 40.0  # one outlier
    values = np.concatenate(bulk).astype(np.float64)
    lo, hi = np.percentile(values, [10.0, 90.0])
    s = (hi - lo) / 255

    def percentile_check(obs):
        problem = _range_check(values.min(), values.max())(obs)
        if problem:
            return problem
        try:
            qp = obs.qparams()
        except Exception as err:
            return f"observer.qparams() failed after your observe: {type(err).__name__}: {err}"
        return (
            None
            if np.isclose(float(qp.scale), s, rtol=1e-5)
            else (
                f"percentile calibration gives scale {float(qp.scale):.5g}, expected {s:.5g} from the 10th-90th "
                "percentiles of every value seen: were the values kept in observer._values?"
            )
        )

    yield Case(
        "method='percentile' keeps every value for the percentiles (ignores the outlier 40)",
        call=_observe(Observer(method="percentile", percentile=90.0), bulk),
        expected=percentile_check,
        show="Observer(method='percentile', percentile=90); two batches of 50 normals, one value 40",
        hint="in percentile mode also append the flattened values (a.reshape(-1)) to self._values",
    )


# ---- integer arithmetic ------------------------------------------------------------------------------
def integer_matmul_cases():
    a = np.array([[1, -2, 3], [127, -127, 0]], np.int8)
    b = np.array([[4, -1], [0, 5], [-6, 127]], np.int8)
    yield Case(
        "(2, 3) @ (3, 2) int8 codes: exact, int32",
        (a, b),
        (a.astype(np.int64) @ b.astype(np.int64)).astype(np.int32),
        dtype=np.int32,
        hint="the result is the int32 accumulator: return an int32 array",
    )
    c = np.array([[-200, 15, 3, 0]], np.int32)
    d = np.array([[1], [-127], [50], [9]], np.int32)
    yield Case(
        "codes minus a zero point (negative int32 values) work too",
        (c, d),
        (c.astype(np.int64) @ d.astype(np.int64)).astype(np.int32),
        dtype=np.int32,
    )
    k = 1100
    big_a = np.full((1, k), 127, np.int8)
    big_b = np.full((k, 1), 127, np.int8)
    big_b[0, 0] = 126
    exact = (big_a.astype(np.int64) @ big_b.astype(np.int64)).astype(np.int32)
    yield Case(
        "K=1100 of 127*127: the sum 17,741,773 is above 2^24, where float32 is no longer exact",
        (big_a, big_b),
        exact,
        dtype=np.int32,
        hint="float32 holds every integer only up to 2^24: _exact_float_type(K, max|a|, max|b|) picks float64 here",
    )
    k = 133_200
    yield Case(
        "K=133200 of 127*127 overflows int32: OverflowError naming K",
        (np.full((1, k), 127, np.int8), np.full((k, 1), 127, np.int8)),
        Raises(OverflowError, "133200"),
        hint="_exact_float_type raises when K * max|a| * max|b| reaches 2^31: call it first",
    )


# ---- the integer Linear layer ------------------------------------------------------------------------
def _layer(bias=True):
    layer = Linear(4, 3, bias=bias)
    layer.weight.data = np.array([[0.5, -0.25, 0.1, 0.0], [-1.0, 0.3, 0.2, 0.6], [0.05, 0.02, -0.04, 0.01]], F32)
    if bias:
        layer.bias.data = np.array([0.1, -0.2, 0.3], F32)
    return layer


def _integer_reference(x, layer, s_x, zp_x):
    """What an int8 accelerator computes, in NumPy (float64 then float32)."""
    w = layer.weight.data.astype(np.float64)
    s_w = np.abs(w).max(axis=1) / 127
    w_q = np.clip(np.round(w / s_w[:, None]), -127, 127)
    x_q = np.clip(np.round(x.astype(np.float64) / s_x) + zp_x, 0, 255) - zp_x
    acc = x_q.reshape(-1, 4) @ w_q.T
    y = acc * (s_x * s_w)
    if layer.bias is not None:
        y = y + layer.bias.data
    return y.reshape(*x.shape[:-1], 3).astype(F32)


def quantized_linear_forward_cases():
    s_x, zp = 0.02, 10
    qp = QParams(s_x, zp, 0, 255)
    x = np.array([[0.0, 1.0, -0.2, 2.5], [0.33, -0.1, 4.0, 0.07]], F32)
    layer = _layer()
    yield Case(
        "mode='integer', (2, 4) -> (2, 3): int8 codes, int32 sums, one rescale per output channel",
        (QuantizedLinear(layer, qp), Tensor(x)),
        _integer_reference(x, layer, s_x, zp),
        returns=Tensor,
        rtol=1e-5,
        atol=1e-5,
        hint="codes = self._quantize_input(a); acc = self._accumulate(codes, self.weight_q.T); "
        "then self._rescale(acc, 1) applies scales and bias",
    )
    x3 = np.linspace(-0.5, 3.0, 24, dtype=F32).reshape(2, 3, 4)
    yield Case(
        "a (2, 3, 4) input gives (2, 3, 3): rows are all leading dimensions",
        (QuantizedLinear(layer, qp), Tensor(x3)),
        _integer_reference(x3, layer, s_x, zp),
        returns=Tensor,
        rtol=1e-5,
        atol=1e-5,
        hint="flatten to (rows, 4) for the product, then reshape the result to (*leading, out_features)",
    )
    nob = _layer(bias=False)
    yield Case(
        "a layer without bias",
        (QuantizedLinear(nob, qp), Tensor(x)),
        _integer_reference(x, nob, s_x, zp),
        returns=Tensor,
        rtol=1e-5,
        atol=1e-5,
    )
    w = layer.weight.data.astype(np.float64)
    s_w = np.abs(w).max(axis=1) / 127
    w_hat = np.clip(np.round(w / s_w[:, None]), -127, 127) * s_w[:, None]
    yield Case(
        "mode='weights': float input times the dequantized weights, plus bias",
        (QuantizedLinear(layer, None, mode="weights"), Tensor(x)),
        (x.astype(np.float64) @ w_hat.T + layer.bias.data).astype(F32),
        returns=Tensor,
        rtol=1e-5,
        atol=1e-5,
        hint="weight-only mode: a @ self.dequantized_weight().T (+ self.bias), no input quantization",
    )
    w = nob.weight.data.astype(np.float64)
    s_w = np.abs(w).max(axis=1) / 127
    w_hat = np.clip(np.round(w / s_w[:, None]), -127, 127) * s_w[:, None]
    yield Case(
        "mode='weights' for a layer without bias",
        (QuantizedLinear(nob, None, mode="weights"), Tensor(x)),
        (x.astype(np.float64) @ w_hat.T).astype(F32),
        returns=Tensor,
        rtol=1e-5,
        atol=1e-5,
        hint="add self.bias only when it is not None",
    )


PIECES = [
    Piece(
        "to_fp16",
        to_fp16_cases,
        title="half precision",
        todo="return x (array or Tensor) converted to float16",
        hints=["Take x.data if x is a Tensor, then convert with .astype(np.float16)."],
    ),
    Piece(
        "compute_qparams",
        compute_qparams_cases,
        title="scale and zero point",
        todo="return QParams(scale, zero_point, qmin, qmax, axis) covering [x_min, x_max] with `bits`-bit integers",
        hints=[
            "Validate scheme and bits first. Then widen the range to contain 0.",
            "symmetric: qmax = 2**(bits-1) - 1, qmin = -qmax, scale = max(|lo|, |hi|) / qmax, zero point 0. "
            "asymmetric: [0, 2**bits - 1], scale = (hi - lo) / (qmax - qmin).",
            "Replace a zero scale by 1 (np.where), then zero_point = clip(round(qmin - lo / scale), qmin, qmax).",
        ],
    ),
    Piece(
        "qparams_for",
        qparams_for_cases,
        title="parameters from a tensor's own range",
        todo="return compute_qparams over x's min and max: the whole tensor, or per index along `axis`",
        hints=[
            "Per-tensor: compute_qparams(a.min(), a.max(), scheme, bits).",
            "Per-channel: axis = axis % a.ndim; reduce over the other axes (a tuple) for min and max, pass axis on.",
        ],
    ),
    Piece(
        "quantize",
        quantize_cases,
        title="real values to integers",
        todo="return clip(round(x / scale) + zero_point, qmin, qmax) as qp.dtype",
        hints=[
            "Work on a float32 array a (x.data for a Tensor).",
            "Broadcast per-channel parameters with qp._shaped(qp.scale, a.ndim) (and the zero point likewise).",
            "np.round, add the zero point, np.clip to [qp.qmin, qp.qmax], then .astype(qp.dtype).",
        ],
    ),
    Piece(
        "dequantize",
        dequantize_cases,
        title="integers back to reals",
        todo="return (q - zero_point) * scale as float32",
        hints=[
            "Convert q to int32 before subtracting: uint8 arithmetic wraps around.",
            "Broadcast per-channel parameters with qp._shaped(..., q.ndim); finish with .astype(np.float32).",
        ],
    ),
    Piece(
        "Observer.observe",
        observe_cases,
        title="calibration: record the range",
        todo="update self.min / self.max with this batch's range (per channel if self.axis is set)",
        hints=[
            "a = the batch as a float64 array; in percentile mode also append a.reshape(-1) to self._values.",
            "Per-tensor: a.min(), a.max(); per-channel: reduce over every axis except self.axis.",
            "The first batch sets min/max (they start as None); later batches use np.minimum / np.maximum.",
        ],
    ),
    Piece(
        "integer_matmul",
        integer_matmul_cases,
        title="exact int32 accumulation",
        todo="return the exact integer product a @ b as int32, computed in the narrowest exact float type",
        hints=[
            "_exact_float_type(K, max|a|, max|b|) gives float32 or float64 (and raises on int32 overflow).",
            "Convert both operands to that type, multiply with @, round with np.rint, return .astype(np.int32).",
        ],
    ),
    Piece(
        "QuantizedLinear.forward",
        quantized_linear_forward_cases,
        title="the int8 Linear layer",
        todo="compute the layer's output from int8 weights: integer mode (codes, int32 sums, rescale) or weight-only",
        hints=[
            "Work on the array a (x.data). mode 'weights': a @ self.dequantized_weight().T, plus self.bias if any.",
            "mode 'integer': flatten a to (rows, in_features), then self._quantize_input, self._accumulate with "
            "self.weight_q.T, and self._rescale(acc, 1).",
            "Reshape back to (*leading dims, self.out_features) and wrap the result in a Tensor.",
        ],
    ),
]
