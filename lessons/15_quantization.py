# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python (Pyodide)
#     language: python
#     name: python
# ---

# %% [markdown]
# A trained network's weights are float32: 4 bytes each. Most of those 32 bits are noise as far as the
# predictions are concerned. **Quantization** stores them in fewer bits: float16 (2 bytes) or 8-bit
# integers (1 byte, 4x smaller), and an int8 accelerator (phones, TPUs, most inference chips) also
# *computes* in integers, which is faster and uses less energy than float arithmetic.
#
# The idea fits on one line. Pick a step size `scale` and map each real number to the nearest point of
# an integer grid:
#
# ```
# q = clip(round(x / scale) + zero_point, qmin, qmax)         x_hat = (q - zero_point) * scale
# ```
#
# | piece | what it does |
# |---|---|
# | `to_fp16` | half precision: 2 bytes, about 3 significant digits |
# | `compute_qparams` | the grid (scale, zero point, integer range) covering a range [min, max] |
# | `qparams_for` | ... from a tensor's own range, per tensor or per channel |
# | `quantize`, `dequantize` | reals to integers and back |
# | `Observer.observe` | calibration: record the range of a layer's inputs on sample data |
# | `integer_matmul` | an exact integer matrix product with int32 accumulation |
# | `QuantizedLinear.forward` | a Linear layer that runs on int8 codes |
#
# At the end you quantize a digits classifier and measure what it costs in accuracy and what it saves
# in bytes.

# %%
import copy
import time

import numpy as np

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch import nn
from tinytorch.systems import quantization as Q
from tinytorch.systems.quantization import (
    SCHEMES,
    Observer,
    QParams,
    QuantizedLinear,
    Tensor,
    _exact_float_type,
    compute_qparams,
)
from tinytorch_course.checks import Lesson, implement, use_my_work

lesson = Lesson("15_quantization")
use_my_work(before=lesson)  # your code from earlier lessons (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. Half precision: float16
#
# The cheapest way to halve a model: store it as float16. A float16 has 1 sign bit, 5 exponent bits
# and 10 stored mantissa bits (11 significant bits with the implicit leading 1), so
#
# - each value is rounded with a relative error of at most `2^-11` (about 0.05 %);
# - the largest finite value is 65,504; anything bigger becomes `inf`. Weights are small, so that is
#   fine for storage; activations and gradients can overflow, which is why mixed-precision training
#   keeps some things in float32.
#
# NumPy has the type (`np.float16`) but no fast float16 matrix product, so in tinytorch float16 saves
# memory, not time: the layers convert back to float32 to compute.

# %%
# solution: to_fp16

# %%
lesson.check("to_fp16")

# %% [markdown]
# ## 2. The integer grid: scale and zero point
#
# With `bits` bits there are `2^bits` integers. Two ways to lay the grid over a range `[lo, hi]`:
#
# **Symmetric** (for weights, which are centred on 0): integers `[-qmax, qmax]` with
# `qmax = 2^(bits-1) - 1` (127 for 8 bits; -128 is left unused so the grid is symmetric), zero point 0,
# and `scale = max(|lo|, |hi|) / qmax`. With a zero point of 0 the integer matrix product needs no
# correction terms (section 6).
#
# **Asymmetric** (for activations, e.g. after a ReLU everything is >= 0, and a symmetric grid would
# waste its negative half): integers `[0, 2^bits - 1]` = `[0, 255]`, `scale = (hi - lo) / 255`, and the
# **zero point** is the integer that stands for the real number 0: `zero_point = round(qmin - lo / scale)`,
# clipped to the integer range.
#
# Two details make it robust:
#
# - the range is first **widened to contain 0** (`lo <= 0 <= hi`). Then 0 (padding, ReLU zeros, pruned
#   weights) is represented *exactly*, by the zero point.
# - an all-zero range gives `scale = 0`, and `x / scale` would divide by zero: use `scale = 1` instead
#   (any scale represents 0 exactly).
#
# Worked example, asymmetric `[-1, 3]`: `scale = 4 / 255 = 0.01569`, `zero_point = round(0 + 1 / 0.01569)
# = round(63.75) = 64`. So the real 0 is the code 64, -1 is code 0 and 3 is code 255.
#
# `compute_qparams` also works **per channel**: given arrays of minima and maxima it computes one scale
# (and zero point) per entry, so write it with NumPy's elementwise functions (`np.minimum`, `np.abs`,
# `np.where`, ...) rather than Python's `min`/`max`/`if`. It returns a `QParams(scale, zero_point, qmin,
# qmax, axis)`, a given class (its `.dtype` is int8 for a range with negatives, else uint8).

# %%
# solution: compute_qparams

# %%
lesson.check("compute_qparams")

# %% [markdown]
# ## 3. Per tensor or per channel
#
# `qparams_for(x, scheme, axis)` takes the range from the tensor itself. **Per tensor** (`axis=None`):
# one scale for everything. **Per channel** (`axis=0` for a weight `(out, in)`): one scale per output
# row. Why it matters: a layer whose rows have very different magnitudes, say one row with weights
# around 1.0 and another around 0.01, gets a per-tensor scale of about `1/127`, and the small row's
# weights all round to 0 or +-1. With per-channel scales each row uses all 255 levels.
#
# For a per-channel range, reduce `min`/`max` over every axis *except* `axis`: for `x` of shape
# `(3, 4)` and `axis=0` that is `x.min(axis=(1,))`, giving 3 values. Store a non-negative axis
# (`axis % ndim`): `-1` for a 2-D tensor becomes 1.

# %%
# solution: qparams_for

# %%
lesson.check("qparams_for")

# %% [markdown]
# ## 4. Quantize and dequantize: the error bound
#
# `quantize(x, qp)` computes `clip(round(x / scale) + zero_point, qmin, qmax)` and stores it in
# `qp.dtype`; `dequantize(q, qp)` maps back, `(q - zero_point) * scale`, as float32.
#
# **The error bound.** For `x` inside the range, `x / scale` is rounded to the nearest integer: off by at
# most 1/2. So the round trip is off by at most **`scale / 2`**. For weights in `[-1.27, 1.27]` with
# `scale = 0.01`, every weight comes back within 0.005. Values *outside* the range are clipped instead,
# and their error can be large: that is the trade-off calibration (section 5) makes.
#
# Two pitfalls the checks test:
#
# - **per-channel broadcasting**: a `(3,)` vector of scales must divide the rows of a `(3, 4)` weight,
#   not its columns. The given `qp._shaped(values, ndim)` reshapes scales or zero points to broadcast
#   along `qp.axis` (e.g. to `(3, 1)`), and leaves per-tensor scalars alone.
# - **unsigned wrap-around**: `np.uint8(10) - 64` is 202, not -54. Convert the codes to `int32` before
#   subtracting the zero point.

# %%
# solution: quantize, dequantize

# %%
lesson.check("quantize")

# %%
lesson.check("dequantize")

# %% [markdown]
# A round trip on a weight-like tensor and its bound. `Q.quantize` and friends are tinytorch's functions,
# which run your code once its checks pass:

# %%
w = tt.randn(4, 6, seed=0) * 0.5
qp = Q.qparams_for(w, "symmetric")
print(qp)
print("codes:\n", Q.quantize(w, qp))
err = abs(Q.dequantize(Q.quantize(w, qp), qp) - w.data).max()
print(f"largest round-trip error {err:.5f} <= scale/2 = {float(qp.scale) / 2:.5f}")

# %% [markdown]
# ## 5. Calibration: the range of the activations
#
# A weight's range is known once training ends. A layer's *input* depends on the data, so it is
# measured: run a few hundred typical samples through the float model and let an `Observer` at each
# layer's input record the range it sees. `Observer.observe(x)` updates `self.min` and `self.max` (both
# `None` before the first batch):
#
# - per tensor (`self.axis is None`): the batch's overall min and max;
# - per channel: the min and max over every axis except `self.axis`;
# - later batches extend the range (`np.minimum`, `np.maximum`).
#
# With `method="percentile"`, the observer also keeps every value it saw (flattened, in the list
# `self._values`), and the given `qparams()` takes, say, the 0.01st to 99.99th percentiles as the range.
# One outlier (a single activation of 40 among values around 1) would otherwise stretch the grid and
# make the step 20 times coarser for everything else; clipping that one value is the better deal.
#
# The given `calibrate(model, samples)` installs one observer per Linear/Conv2d input and runs the samples.

# %%
# solution: Observer.observe

# %%
lesson.check("Observer.observe")

# %% [markdown]
# ## 6. Integer arithmetic with int32 accumulation
#
# With weights `w[o, k] = s_w[o] * q_w[o, k]` (symmetric, per output channel) and inputs
# `x[n, k] = s_x * (q_x[n, k] - zp_x)` (asymmetric, per tensor), a Linear layer's product factors:
#
# ```
# y[n, o] = sum_k x[n, k] w[o, k] + b[o]
#         = s_x * s_w[o] * sum_k (q_x[n, k] - zp_x) * q_w[o, k]  + b[o]
# ```
#
# The sum is pure integer arithmetic: 8-bit codes multiplied and accumulated in a 32-bit integer
# (products of two 8-bit numbers need 16 bits, and the sum of K of them more). One float multiply per
# output rescales the result. This is what int8 hardware computes.
#
# NumPy has no fast integer matrix product (its integer `@` is a plain loop, not BLAS). The trick used
# here: do the product in **floats**, exactly. Every operand and every partial sum is an integer whose
# size is at most `K * max|a| * max|b|`, and floats hold every integer exactly up to a limit: `2^24` in
# float32, `2^53` in float64. Below the limit the float result *is* the integer result. The given
# `_exact_float_type(K, max_a, max_b)` returns the narrowest safe type, and raises `OverflowError` when
# the sums would not fit an int32 accumulator (`>= 2^31`), as real hardware would overflow.

# %%
# solution: integer_matmul

# %%
lesson.check("integer_matmul")

# %% [markdown]
# ## 7. An int8 Linear layer
#
# `QuantizedLinear(linear, input_qparams)` (constructor given) stores, as buffers:
# `weight_q` (int8, `(out, in)`), `weight_scale` (float32, one per output row), `bias` (float32), and the
# calibrated `input_scale` and `input_zero_point`. Its `forward(x)` has two modes (`self.mode`):
#
# - `"integer"`: quantize the input, integer product, rescale. Helpers (given) do each step on arrays:
#   `self._quantize_input(a)` gives the codes `q_x - zp_x` of a 2-D `(rows, in)` array (held exactly in
#   the float type the accumulation uses); `self._accumulate(codes, self.weight_q.T)` is the exact
#   integer product (section 6's trick, with the float type fixed once when the layer was built);
#   `self._rescale(acc, 1)` multiplies column `o` by `s_x * s_w[o]` and adds the bias (channel axis 1).
# - `"weights"`: weight-only quantization for comparison, where only storage is int8: multiply the float
#   input by `self.dequantized_weight()` (transposed) and add `self.bias` (it may be `None`).
#
# Inputs may have more than two dimensions, `(batch, seq, in)`: flatten the leading ones into rows for
# the product and restore them afterwards. Return a `Tensor`. (Quantized layers are for inference: no
# gradient flows through them.)

# %%
# solution: QuantizedLinear.forward

# %%
lesson.check("QuantizedLinear.forward")

# %% [markdown]
# ## 8. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your quantization in later lessons
#
# Each piece whose checks pass now runs inside tinytorch in this notebook: `Q.quantize_model` below
# calibrates with your `Observer.observe` and builds layers with your `qparams_for` and `quantize`, and
# they run your `forward`. Later lessons and the milestones start from tinytorch's reference;
# `use_my_work()` (from `tinytorch_course.checks`) switches your saved pieces on there (`use_reference()` switches
# back). The capstone (lesson 20) combines quantization with pruning and caching.

# %% [markdown]
# ## 9. Systems: a quantized digits classifier
#
# First a model to quantize: an MLP on the 8x8 digits, trained for a few epochs (a couple of seconds
# in the browser).

# %%
from tinytorch.data import DataLoader, TensorDataset
from tinytorch.optim import Adam
from tinytorch.systems.benchmarking import accuracy, compare_models
from tinytorch.training import Trainer

tt.manual_seed(0)
digits = tt.datasets.digits()
model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 64), nn.ReLU(), nn.Linear(64, 10))
loader = DataLoader(TensorDataset(digits.X_train, digits.y_train), batch_size=64, shuffle=True, seed=0)
start = time.perf_counter()
Trainer(model, Adam(model.parameters(), lr=3e-3), F.cross_entropy, verbose=False).fit(loader, epochs=8)
model.eval()
print(
    f"trained in {time.perf_counter() - start:.2f} s; test accuracy {accuracy(model, digits.X_test, digits.y_test):.2%}"
)

# %% [markdown]
# **Size.** `Q.quantize_model(model, calibration_data)` returns an int8 copy: it calibrates every
# layer's input on the samples, then replaces each Linear with a `QuantizedLinear`. `Q.size_report`
# counts bytes with lesson 14's `parameter_bytes`. The weight matrices shrink exactly 4x; the biases
# and per-channel scales stay float32, so the whole model shrinks a little less.

# %%
int8_model = Q.quantize_model(model, digits.X_train[:300])
print(Q.size_report(model, int8_model))

# %% [markdown]
# **Accuracy and speed.** The float model, its float16 copy, int8 with per-tensor and per-channel
# weight scales, and weight-only int8, on the 360 test digits (`compare_models` times one batch of 256,
# median of 10 runs):

# %%
variants = {
    "float32": model,
    "float16": Q.fp16_model(model),
    "int8 per-tensor": Q.quantize_model(model, digits.X_train[:300], per_channel=False),
    "int8 per-channel": int8_model,
    "int8 weights only": Q.quantize_model(model, mode="weights"),
}
print(compare_models(variants, digits.X_test, digits.y_test, memory=False))

# %% [markdown]
# On a model this small the accuracy barely moves: 8 bits keep the predictions. The timing is an
# honest negative result for NumPy: it has no int8 matrix product, and the integer path does extra
# passes (quantize the input, rescale the output), so int8 here is about as fast as float or slower.
# The gain in speed needs hardware with int8 instructions; the gain in size is real everywhere.
#
# **How few bits?** The error bound is `scale / 2` and the scale doubles with every bit removed.
# Fake-quantizing the weights (quantize, then dequantize, with your functions) at fewer and fewer bits
# shows where the predictions break:

# %%
print("bits   levels   test accuracy   largest weight error")
accuracy_by_bits = {}
for bits in (8, 6, 4, 3, 2):
    small = copy.deepcopy(model)
    worst = 0.0
    for layer in small.layers:
        if isinstance(layer, nn.Linear):
            qp = Q.qparams_for(layer.weight, "symmetric", axis=0, bits=bits)
            approx = Q.dequantize(Q.quantize(layer.weight, qp), qp)
            worst = max(worst, float(abs(approx - layer.weight.data).max()))
            layer.weight.data = approx
    accuracy_by_bits[bits] = accuracy(small, digits.X_test, digits.y_test)
    print(f"{bits:4d}   {2**bits - 1:6d}   {accuracy_by_bits[bits]:13.2%}   {worst:20.4f}")

# %% [markdown]
# Left: the first layer's float32 weights, and the same weights after your `quantize` and `dequantize`
# with 8 and with 3 bits (one scale for the whole tensor): every weight snaps to one of the levels.
# Right: the test accuracy measured above against the number of bits.

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

first = model.layers[0].weight
fig, (hist_ax, acc_ax) = viz.figure(1, 2, size=(10, 3.4))
hist_ax.hist(first.data.ravel(), bins=200, color="gray", label="float32")
for bits, color in ((8, "tab:blue"), (3, "tab:red")):
    qp = Q.qparams_for(first, "symmetric", bits=bits)
    levels = Q.dequantize(Q.quantize(first, qp), qp).ravel()
    hist_ax.hist(levels, bins=200, histtype="step", color=color, label=f"int{bits} levels")
hist_ax.set_yscale("log")
hist_ax.set_xlabel("weight value")
hist_ax.set_ylabel("count")
hist_ax.legend(fontsize=8)
bits = sorted(accuracy_by_bits)
acc_ax.plot(bits, [100 * accuracy_by_bits[b] for b in bits], marker="o")
acc_ax.set_xlabel("bits per weight (per-channel, symmetric)")
acc_ax.set_ylabel("test accuracy (%)")
viz.show(fig)

# %% [markdown]
# Per-channel int8 is the usual choice for deployment; 4 bits (used for large language models, with
# finer groups of scales) still works here, and 2 bits (three levels: -1, 0, +1 times a scale) is where
# this network falls apart.
