"""Module 15 (Quantization): store and compute with 8-bit integers instead of 32-bit floats.

Affine quantization maps a real value x to an integer q on a grid of step `scale`:

    q = clip(round(x / scale) + zero_point, qmin, qmax)        x̂ = (q - zero_point) * scale

* symmetric: zero_point = 0, q in [-127, 127] (int8), scale = max|x| / 127. Weights are centred on 0,
  so this wastes nothing and keeps the integer matmul free of zero-point terms.
* asymmetric: q in [0, 255] (uint8), scale = (max - min) / 255, zero_point = round(-min / scale).
  For activations after a ReLU (all >= 0) this uses every level where symmetric would waste half.
  The range is widened to include 0 so that 0 (padding, ReLU zeros) is represented exactly.
* per-tensor: one (scale, zero_point); per-channel: one per output channel (axis 0 of a weight),
  because channels with small weights would otherwise get only a few levels.

Any value inside the calibrated range comes back within scale/2 (the rounding error); values
outside are clipped. *Calibration* runs sample data through the float model and records each layer's
input range (min/max, or a percentile to ignore outliers).

The quantized inference path (`QuantizedLinear`, `QuantizedConv2d`) is *static integer* quantization:
the input is quantized with its calibrated parameters, the product is accumulated in int32 over
integer operands, and the result is rescaled once per output channel:

    y[n, o] = scale_x * scale_w[o] * sum_k (q_x[n, k] - zp_x) * q_w[o, k]  + bias[o]

Why this rather than dequantize-on-the-fly: it is what an int8 accelerator computes, so the only
error is the quantization error analysed above, and the weights never exist in float. NumPy has no
int8 GEMM (its integer matmul is a slow non-BLAS loop), so the int32 accumulation is carried out
*exactly* by float BLAS: every operand and partial sum is an integer, and float32 represents every
integer below 2^24 (float64: 2^53) exactly; `integer_matmul` picks the narrowest exact type.
`mode="weights"` (dequantize-on-the-fly, weight-only) is there for comparison: float activations,
int8 storage only.
"""

from __future__ import annotations

import copy

import numpy as np

from .. import backend
from ..nn import functional as F
from ..nn.linear import Linear
from ..nn.module import Module
from ..tensor import Tensor, no_grad
from .acceleration import im2col
from .profiling import parameter_bytes
from .table import Table

__all__ = [
    "QParams",
    "compute_qparams",
    "qparams_for",
    "quantize",
    "dequantize",
    "fake_quantize",
    "to_fp16",
    "Observer",
    "integer_matmul",
    "QuantizedLinear",
    "QuantizedConv2d",
    "calibrate",
    "quantize_model",
    "fp16_model",
    "size_report",
    "quantization_error",
]

SCHEMES = ("symmetric", "asymmetric")


class QParams:
    """How a tensor is quantized: scale and zero_point (scalars, or one per channel along `axis`)."""

    def __init__(self, scale, zero_point, qmin: int, qmax: int, axis: int | None = None):
        self.scale = np.asarray(scale, dtype=np.float32)
        self.zero_point = np.asarray(zero_point, dtype=np.int32)
        self.qmin, self.qmax, self.axis = int(qmin), int(qmax), axis

    @property
    def dtype(self):
        """Smallest integer type holding [qmin, qmax]: int8 (symmetric) or uint8 (asymmetric)."""
        return np.int8 if self.qmin < 0 else np.uint8

    def _shaped(self, a: np.ndarray, ndim: int) -> np.ndarray:
        """Scale/zero_point reshaped to broadcast along `axis` of an ndim-dimensional tensor."""
        if self.axis is None or a.ndim == 0:
            return a
        shape = [1] * ndim
        shape[self.axis] = -1
        return a.reshape(shape)

    def nbytes(self) -> int:
        return self.scale.nbytes + self.zero_point.nbytes

    def __repr__(self):
        where = "per-tensor" if self.axis is None else f"per-channel(axis={self.axis})"
        return f"QParams({where}, range [{self.qmin}, {self.qmax}], scale {self.scale}, zero_point {self.zero_point})"


def compute_qparams(x_min, x_max, scheme: str = "symmetric", bits: int = 8, axis: int | None = None) -> QParams:
    """QParams covering [x_min, x_max] (arrays for per-channel) with `bits`-bit integers."""
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; use 'symmetric' or 'asymmetric'")
    if not 2 <= bits <= 16:
        raise ValueError(f"bits must be between 2 and 16, got {bits}")
    lo = np.minimum(np.asarray(x_min, dtype=np.float64), 0.0)  # the range always contains 0
    hi = np.maximum(np.asarray(x_max, dtype=np.float64), 0.0)
    if scheme == "symmetric":
        qmax = 2 ** (bits - 1) - 1
        qmin = -qmax  # [-127, 127]: the grid is symmetric
        scale = np.maximum(np.abs(lo), np.abs(hi)) / qmax
        zero = np.zeros_like(scale)
    else:
        qmin, qmax = 0, 2**bits - 1  # [0, 255]
        scale = (hi - lo) / (qmax - qmin)
    scale = np.where(scale > 0, scale, 1.0)  # an all-zero tensor: any scale is exact
    if scheme == "asymmetric":
        zero = np.clip(np.round(qmin - lo / scale), qmin, qmax)
    return QParams(scale, zero, qmin, qmax, axis)


def qparams_for(x, scheme: str = "symmetric", axis: int | None = None, bits: int = 8) -> QParams:
    """QParams from a tensor's own range: per-tensor (axis=None) or one per index along `axis`."""
    a = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
    if axis is None:
        return compute_qparams(a.min(), a.max(), scheme, bits)
    axis = axis % a.ndim
    others = tuple(i for i in range(a.ndim) if i != axis)
    return compute_qparams(a.min(axis=others), a.max(axis=others), scheme, bits, axis)


def quantize(x, qp: QParams) -> np.ndarray:
    """Real values -> integers of qp.dtype: clip(round(x / scale) + zero_point, qmin, qmax)."""
    a = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float32)
    scale, zero = qp._shaped(qp.scale, a.ndim), qp._shaped(qp.zero_point, a.ndim)
    q = np.round(a / scale) + zero
    return np.clip(q, qp.qmin, qp.qmax).astype(qp.dtype)


def dequantize(q, qp: QParams) -> np.ndarray:
    """Integers -> float32 reals: (q - zero_point) * scale."""
    q = np.asarray(q)
    scale, zero = qp._shaped(qp.scale, q.ndim), qp._shaped(qp.zero_point, q.ndim)
    return ((q.astype(np.int32) - zero) * scale).astype(np.float32)


def fake_quantize(x, qp: QParams) -> np.ndarray:
    """quantize then dequantize: the float values the integer model actually sees."""
    return dequantize(quantize(x, qp), qp)


def to_fp16(x) -> np.ndarray:
    """Half precision: 2 bytes, 11 significant bits (relative error <= 2^-11), range +-65504."""
    return np.asarray(x.data if isinstance(x, Tensor) else x).astype(np.float16)


def quantization_error(x, qp: QParams) -> dict:
    """Max and mean absolute round-trip error, and the bound scale/2 it must respect in range."""
    a = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float32)
    err = np.abs(fake_quantize(a, qp) - a)
    return {
        "max abs error": float(err.max()),
        "mean abs error": float(err.mean()),
        "scale/2": float(qp.scale.max() / 2),
    }


# ------------------------------------------------------------------------------------------------
# calibration
# ------------------------------------------------------------------------------------------------
class Observer:
    """Collects the range of the tensors it sees (calibration), then gives QParams.

    method="minmax": the full observed range (nothing clipped).
    method="percentile": the [100-p, p] percentiles of all values seen, ignoring rare outliers
    (finer steps for the bulk of values at the cost of clipping the tails).
    """

    def __init__(
        self,
        scheme: str = "asymmetric",
        axis: int | None = None,
        method: str = "minmax",
        percentile: float = 99.99,
        bits: int = 8,
    ):
        if method not in ("minmax", "percentile"):
            raise ValueError(f"unknown calibration method {method!r}; use 'minmax' or 'percentile'")
        if method == "percentile" and axis is not None:
            raise ValueError("percentile calibration is per-tensor only (axis=None)")
        self.scheme, self.axis, self.method, self.percentile, self.bits = scheme, axis, method, percentile, bits
        self.min = self.max = None
        self._values = []

    def observe(self, x) -> None:
        a = np.asarray(x.data if isinstance(x, Tensor) else x, dtype=np.float64)
        if self.method == "percentile":
            self._values.append(a.reshape(-1))
        if self.axis is None:
            lo, hi = a.min(), a.max()
        else:
            others = tuple(i for i in range(a.ndim) if i != self.axis % a.ndim)
            lo, hi = a.min(axis=others), a.max(axis=others)
        self.min = lo if self.min is None else np.minimum(self.min, lo)
        self.max = hi if self.max is None else np.maximum(self.max, hi)

    def qparams(self) -> QParams:
        if self.min is None:
            raise RuntimeError("the observer has seen no data: run calibration samples through the model first")
        if self.method == "percentile":
            values = np.concatenate(self._values)
            lo, hi = np.percentile(values, [100 - self.percentile, self.percentile])
            return compute_qparams(lo, hi, self.scheme, self.bits)
        return compute_qparams(self.min, self.max, self.scheme, self.bits, self.axis)


def _is_conv(m) -> bool:
    return type(m).__name__ == "Conv2d"


def _quantizable(model: Module):
    return [(name, m) for name, m in model.named_modules() if isinstance(m, Linear) or _is_conv(m)]


def calibrate(
    model: Module, samples, scheme: str = "asymmetric", method: str = "minmax", batch_size: int = 256
) -> dict:
    """{layer name: Observer of that layer's input} after running `samples` through the float model."""
    observers = {}
    layers = _quantizable(model)
    for name, layer in layers:
        obs = observers[name] = Observer(scheme, method=method)
        original = layer.forward

        def forward(x, *args, _obs=obs, _original=original, **kwargs):
            _obs.observe(x)
            return _original(x, *args, **kwargs)

        layer.forward = forward
    try:
        with no_grad():
            data = np.asarray(samples.data if isinstance(samples, Tensor) else samples)
            for i in range(0, len(data), batch_size):
                model(Tensor(data[i : i + batch_size]))
    finally:
        for _, layer in layers:
            vars(layer).pop("forward", None)
    return observers


# ------------------------------------------------------------------------------------------------
# the integer inference path
# ------------------------------------------------------------------------------------------------
def _exact_float_type(k: int, max_a: int, max_b: int):
    """The narrowest float type in which a length-k integer dot product is exact (<= 2^24 or 2^53)."""
    bound = k * max_a * max_b
    if bound >= 2**31:
        raise OverflowError(f"integer matmul: sums up to {bound} overflow an int32 accumulator (K={k})")
    return np.float32 if bound < 2**24 else np.float64


def integer_matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Exact integer a @ b (int32 accumulation) computed on float BLAS.

    Every product and partial sum is an integer of magnitude <= K * max|a| * max|b|; float32 holds
    every integer below 2^24 exactly and float64 every integer below 2^53, so the float result,
    rounded, *is* the integer result. NumPy's own integer matmul gives the same numbers ~6x slower.
    """
    ftype = _exact_float_type(a.shape[-1], int(np.abs(a).max(initial=0)), int(np.abs(b).max(initial=0)))
    return np.rint(a.astype(ftype) @ b.astype(ftype)).astype(np.int32)


class _QuantizedLayer(Module):
    """Shared storage, all as buffers (counted by `parameter_bytes`, saved by `state_dict`):
    weight_q int8 (out, ...), weight_scale float32 (out,) or (), bias float32 (out,) or None, and
    for mode="integer" input_scale float32 () and input_zero_point int32 ()."""

    def _store(self, layer, input_qparams: QParams | None, per_channel: bool, mode: str):
        if mode not in ("integer", "weights"):
            raise ValueError(f"unknown mode {mode!r}; use 'integer' (static int8) or 'weights' (weight-only)")
        if mode == "integer" and input_qparams is None:
            raise ValueError("mode='integer' needs input_qparams from calibration (see calibrate())")
        if input_qparams is not None and input_qparams.axis is not None:
            raise ValueError(
                "input (activation) qparams must be per-tensor: a per-channel input scale "
                "cannot be factored out of the sum over input channels"
            )
        w = layer.weight.data
        self.mode = mode
        wq = qparams_for(w, "symmetric", axis=0 if per_channel else None)
        self.register_buffer("weight_q", quantize(w, wq))
        self.register_buffer("weight_scale", wq.scale.copy())
        if input_qparams is not None:
            self.register_buffer("input_scale", input_qparams.scale.copy())
            self.register_buffer("input_zero_point", input_qparams.zero_point.copy())
            self._input_range = (input_qparams.qmin, input_qparams.qmax)
            # |q_x - zp| <= qmax - qmin and |q_w| <= 127 bound every partial sum: the exact float
            # type for the accumulation is fixed once, here (see integer_matmul)
            k = int(np.prod(w.shape[1:]))
            self._accumulate_in = _exact_float_type(k, input_qparams.qmax - input_qparams.qmin, 127)
        if layer.bias is not None:
            self.register_buffer("bias", layer.bias.data.astype(np.float32).copy())
        else:
            self.bias = None

    def _channel_shape(self, ndim: int, axis: int) -> list:
        shape = [1] * ndim
        shape[axis] = -1
        return shape

    def dequantized_weight(self) -> np.ndarray:
        scale = self.weight_scale.reshape(self._channel_shape(self.weight_q.ndim, 0))
        return (self.weight_q.astype(np.float32) * scale).astype(np.float32)

    def _quantize_input(self, a: np.ndarray) -> np.ndarray:
        """q_x - zp_x for every input value: integers in [qmin - zp, qmax - zp], held exactly in the
        accumulation float type (Python scalars keep NumPy from promoting float32 to float64)."""
        qmin, qmax = self._input_range
        zp = int(self.input_zero_point)
        q = np.clip(np.round(a / float(self.input_scale)) + zp, qmin, qmax)
        return (q - zp).astype(self._accumulate_in, copy=False)

    def _accumulate(self, codes: np.ndarray, weight_codes: np.ndarray) -> np.ndarray:
        """sum_k codes[n, k] * weight_codes[k, o], exact: the int32 accumulator's value, held in the
        float type chosen in _store (converting it to int32 and back would change nothing). Through
        tinytorch.backend, so in the page it runs on BLAS like the float model it is compared with;
        every partial sum is an integer the float type holds exactly, so any summation order gives
        the same result."""
        return backend.matmul(codes, weight_codes.astype(self._accumulate_in))

    def _rescale(self, acc: np.ndarray, channel_axis: int) -> np.ndarray:
        shape = self._channel_shape(acc.ndim, channel_axis)
        out = (acc * (self.input_scale * self.weight_scale).reshape(shape)).astype(np.float32, copy=False)
        if self.bias is not None:
            out += self.bias.reshape(shape)
        return out


class QuantizedLinear(_QuantizedLayer):
    """Inference-only Linear with int8 per-channel weights; see the module docstring for the maths."""

    def __init__(
        self, layer: Linear, input_qparams: QParams | None = None, per_channel: bool = True, mode: str = "integer"
    ):
        self.in_features, self.out_features = layer.in_features, layer.out_features
        self._store(layer, input_qparams, per_channel, mode)

    def forward(self, x):
        a = x.data if isinstance(x, Tensor) else np.asarray(x, dtype=np.float32)
        if self.mode == "weights":
            out = a @ self.dequantized_weight().T
            if self.bias is not None:
                out += self.bias
            return Tensor(out)
        lead = a.shape[:-1]
        acc = self._accumulate(self._quantize_input(a.reshape(-1, a.shape[-1])), self.weight_q.T)
        return Tensor(self._rescale(acc, 1).reshape(*lead, self.out_features))

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, int8 weights, mode={self.mode}"


class QuantizedConv2d(_QuantizedLayer):
    """Inference-only Conv2d with int8 per-output-channel weights: im2col on the integer codes."""

    def __init__(self, layer, input_qparams: QParams | None = None, per_channel: bool = True, mode: str = "integer"):
        self.stride = getattr(layer, "stride", 1)
        self.padding = getattr(layer, "padding", 0)
        self.kernel_size = tuple(layer.weight.shape[2:])
        self.out_channels = layer.weight.shape[0]
        self._store(layer, input_qparams, per_channel, mode)

    def forward(self, x):
        a = x.data if isinstance(x, Tensor) else np.asarray(x, dtype=np.float32)
        if self.mode == "weights":
            bias = None if self.bias is None else Tensor(self.bias)
            return F.conv2d(Tensor(a), Tensor(self.dequantized_weight()), bias, self.stride, self.padding)
        n = a.shape[0]
        # pad with code zero_point, i.e. with the real value 0 (the range always contains 0)
        cols, (oh, ow) = im2col(self._quantize_input(a), self.kernel_size, self.stride, self.padding)
        acc = self._accumulate(cols, self.weight_q.reshape(self.out_channels, -1).T)  # (N*oh*ow, O)
        out = self._rescale(acc, 1).reshape(n, oh, ow, self.out_channels).transpose(0, 3, 1, 2)
        return Tensor(np.ascontiguousarray(out))

    def extra_repr(self):
        return f"out_channels={self.out_channels}, kernel_size={self.kernel_size}, int8 weights, mode={self.mode}"


# ------------------------------------------------------------------------------------------------
# whole models
# ------------------------------------------------------------------------------------------------
def _replace(model: Module, convert) -> None:
    """Swap layers in place: convert(dotted name, module) returns a replacement or None (keep it).

    Layers live as attributes or inside lists (Sequential.layers, ModuleList.items, a list of blocks),
    so each parent's attributes are scanned and matched by identity to the names named_modules gives.
    """
    names = {id(m): name for name, m in model.named_modules()}
    for parent in list(model.modules()):
        for attr, value in list(vars(parent).items()):
            if isinstance(value, Module) and id(value) in names:
                new = convert(names[id(value)], value)
                if new is not None:
                    setattr(parent, attr, new)
            elif isinstance(value, list):
                for i, v in enumerate(value):
                    if isinstance(v, Module) and id(v) in names:
                        new = convert(names[id(v)], v)
                        if new is not None:
                            value[i] = new


def quantize_model(
    model: Module,
    calibration_data=None,
    *,
    per_channel: bool = True,
    activation_scheme: str = "asymmetric",
    method: str = "minmax",
    mode: str = "integer",
) -> Module:
    """A copy of `model` whose Linear and Conv2d layers are int8 (`model` itself is unchanged).

    calibration_data: sample inputs (e.g. a few hundred training rows) that set each layer's input
    range; required for mode="integer", unused for mode="weights" (weight-only, dequantize-on-the-fly).
    """
    if mode == "integer" and calibration_data is None:
        raise ValueError(
            "quantize_model(mode='integer') needs calibration_data: a batch of typical inputs "
            "(e.g. X_train[:500]) to measure each layer's input range"
        )
    observers = calibrate(model, calibration_data, activation_scheme, method) if mode == "integer" else {}
    qmodel = copy.deepcopy(model)
    qmodel.eval()

    def convert(name, m):
        qp = observers[name].qparams() if name in observers else None
        if isinstance(m, Linear):
            return QuantizedLinear(m, qp, per_channel, mode)
        if _is_conv(m):
            return QuantizedConv2d(m, qp, per_channel, mode)
        return None

    _replace(qmodel, convert)
    return qmodel


def fp16_model(model: Module) -> Module:
    """A copy with every parameter stored in float16 (half the bytes).

    NumPy has no fast float16 matrix product, so layers compute in float32 (NumPy upcasts the
    float16 weights inside each product): FP16 here saves memory, not time.
    """
    half = copy.deepcopy(model)
    for p in half.parameters():
        p.data = p.data.astype(np.float16)
    return half.eval()


def size_report(float_model: Module, quantized_model: Module) -> Table:
    """Bytes per layer before/after, the whole-model ratio, and the weight-only ratio.

    The weight matrices shrink exactly 4x (float32 -> int8); biases (float32) and per-channel
    scales are kept at 4 bytes, so the whole model shrinks a little less than 4x.
    """
    rows, fw_total, qw_total = [], 0, 0
    qlayers = dict(quantized_model.named_modules())
    for name, layer in _quantizable(float_model):
        q = qlayers.get(name)
        fb = parameter_bytes(layer)
        qb = parameter_bytes(q) if q is not None else fb
        fw = layer.weight.data.nbytes
        qw = q.weight_q.nbytes if isinstance(q, _QuantizedLayer) else fw
        fw_total, qw_total = fw_total + fw, qw_total + qw
        rows.append(
            {"layer": name, "type": type(layer).__name__, "float32 bytes": fb, "quantized bytes": qb, "ratio": fb / qb}
        )
    fb, qb = parameter_bytes(float_model), parameter_bytes(quantized_model)
    rows.append({"layer": "total", "type": "", "float32 bytes": fb, "quantized bytes": qb, "ratio": fb / qb})
    rows.append(
        {
            "layer": "weights only",
            "type": "",
            "float32 bytes": fw_total,
            "quantized bytes": qw_total,
            "ratio": fw_total / qw_total if qw_total else None,
        }
    )
    return Table(rows, formats={"ratio": ".2f"}, title="model size before / after quantization")
