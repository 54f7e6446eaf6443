"""Module 15: quantization parameters by hand, round-trip error <= scale/2, the integer inference
path against a float reference on the same quantized values, model sizes; the digits target (slow)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch import nn
from tinytorch.systems.benchmarking import accuracy, model_size_bytes
from tinytorch.systems.quantization import (
    Observer,
    QuantizedConv2d,
    QuantizedLinear,
    calibrate,
    compute_qparams,
    dequantize,
    fake_quantize,
    fp16_model,
    integer_matmul,
    qparams_for,
    quantization_error,
    quantize,
    quantize_model,
    size_report,
    to_fp16,
)


# ---- parameters by hand --------------------------------------------------------------------------
def test_symmetric_qparams_by_hand():
    qp = compute_qparams(-0.5, 2.54, "symmetric")
    assert qp.qmin == -127 and qp.qmax == 127 and qp.dtype == np.int8
    assert qp.scale == pytest.approx(2.54 / 127) and qp.zero_point == 0
    assert quantize(np.array([2.54, -2.54, 0.0, 0.01]), qp).tolist() == [127, -127, 0, 0]


def test_asymmetric_qparams_by_hand():
    qp = compute_qparams(-1.0, 3.0, "asymmetric")
    assert qp.qmin == 0 and qp.qmax == 255 and qp.dtype == np.uint8
    assert qp.scale == pytest.approx(4 / 255)
    assert qp.zero_point == round(1 / (4 / 255)) == 64
    assert quantize(np.array([-1.0, 0.0, 3.0]), qp).tolist() == [0, 64, 255]
    # a range that excludes 0 is widened to include it: 0 must stay exact (ReLU zeros, padding)
    qp = compute_qparams(0.5, 2.0, "asymmetric")
    assert qp.zero_point == 0 and qp.scale == pytest.approx(2 / 255)


def test_zero_is_exact_and_constant_tensors_do_not_divide_by_zero():
    for scheme in ("symmetric", "asymmetric"):
        qp = qparams_for(np.array([-0.3, 0.0, 1.7]), scheme)
        assert dequantize(quantize(np.zeros(3), qp), qp).tolist() == [0.0, 0.0, 0.0]
        zeros = qparams_for(np.zeros(4), scheme)
        assert np.all(np.isfinite(fake_quantize(np.zeros(4), zeros)))


@pytest.mark.parametrize("scheme", ["symmetric", "asymmetric"])
@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_round_trip_error_at_most_half_a_step(scheme, axis, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((6, 40)) * rng.uniform(0.01, 5, size=(6, 1)) + rng.uniform(-1, 1)).astype(np.float32)
    qp = qparams_for(x, scheme, axis=axis)
    err = np.abs(fake_quantize(x, qp) - x)
    half_step = qp._shaped(qp.scale, x.ndim) / 2
    assert np.all(err <= half_step * (1 + 1e-5) + 1e-7), f"max excess {np.max(err - half_step)}"
    # a coarser grid is worse: per-channel never loses to per-tensor (channels differ in scale here)
    if axis == 0:
        assert err.mean() < np.abs(fake_quantize(x, qparams_for(x, scheme)) - x).mean()


def test_values_outside_the_range_clip_and_error_report():
    qp = compute_qparams(-1, 1, "symmetric")
    assert dequantize(quantize(np.array([5.0, -5.0]), qp), qp).tolist() == pytest.approx([1.0, -1.0])
    report = quantization_error(np.linspace(-1, 1, 101), qp)
    assert report["max abs error"] <= report["scale/2"] * (1 + 1e-5)


def test_fp16_relative_error():
    x = np.random.default_rng(0).standard_normal(1000).astype(np.float32) * 100
    h = to_fp16(x)
    assert h.dtype == np.float16 and h.nbytes == x.nbytes // 2
    assert np.max(np.abs(h.astype(np.float32) - x) / np.abs(x)) <= 2**-11


def test_observer_tracks_range_over_batches_and_percentile_ignores_outliers():
    obs = Observer("asymmetric")
    obs.observe(np.array([0.0, 1.0]))
    obs.observe(np.array([-2.0, 0.5]))
    assert (obs.min, obs.max) == (-2.0, 1.0)
    with pytest.raises(RuntimeError, match="no data"):
        Observer().qparams()
    x = np.concatenate([np.linspace(0, 1, 10000), [1000.0]])
    pct = Observer("asymmetric", method="percentile", percentile=99.9)
    pct.observe(x)
    mm = Observer("asymmetric")
    mm.observe(x)
    assert pct.qparams().scale < mm.qparams().scale / 100


# ---- the integer path ----------------------------------------------------------------------------
def test_integer_matmul_is_exact_in_both_float_paths():
    rng = np.random.default_rng(0)
    a = rng.integers(-255, 256, (5, 40)).astype(np.int16)
    b = rng.integers(-127, 128, (40, 7)).astype(np.int8)
    assert np.array_equal(integer_matmul(a, b), a.astype(np.int64) @ b.astype(np.int64))  # float32 path
    a = rng.integers(-255, 256, (3, 2000)).astype(np.int16)
    b = rng.integers(-127, 128, (2000, 4)).astype(np.int8)
    assert 2000 * 255 * 127 > 2**24  # float64 path
    assert np.array_equal(integer_matmul(a, b), a.astype(np.int64) @ b.astype(np.int64))


def test_quantized_linear_equals_float_maths_on_the_quantized_values():
    tt.manual_seed(0)
    lin = nn.Linear(16, 5)
    x = np.random.default_rng(1).uniform(-1, 2, (8, 16)).astype(np.float32)
    in_qp = qparams_for(x, "asymmetric")
    q = QuantizedLinear(lin, in_qp, per_channel=True)
    assert q.weight_q.dtype == np.int8 and q.weight_scale.shape == (5,)
    # reference: exactly the fake-quantized input and weights, multiplied in float64
    w_hat = fake_quantize(lin.weight.data, qparams_for(lin.weight.data, "symmetric", axis=0)).astype(np.float64)
    ref = fake_quantize(x, in_qp).astype(np.float64) @ w_hat.T + lin.bias.data
    out = q(tt.Tensor(x)).data
    np.testing.assert_allclose(out, ref, rtol=1e-5, atol=1e-5)
    # and close to the float layer: error bounded by the quantization steps
    assert np.abs(out - lin(tt.Tensor(x)).data).max() < 0.05
    # 3-D input (batch, seq, features) keeps its leading shape
    assert q(tt.Tensor(x.reshape(2, 4, 16))).shape == (2, 4, 5)


@pytest.mark.parametrize("stride,padding", [(1, 0), (1, 1), (2, 1)])
def test_quantized_conv_equals_float_conv_on_the_quantized_values(stride, padding):
    tt.manual_seed(0)
    conv = nn.Conv2d(3, 4, 3, stride=stride, padding=padding)
    x = np.random.default_rng(2).uniform(0, 1, (2, 3, 7, 7)).astype(np.float32)
    in_qp = qparams_for(x, "asymmetric")
    q = QuantizedConv2d(conv, in_qp)
    w_hat = fake_quantize(conv.weight.data, qparams_for(conv.weight.data, "symmetric", axis=0))
    ref = F.conv2d(
        tt.Tensor(fake_quantize(x, in_qp).astype(np.float64)),
        tt.Tensor(w_hat.astype(np.float64)),
        tt.Tensor(conv.bias.data.astype(np.float64)),
        stride,
        padding,
    ).data
    np.testing.assert_allclose(q(tt.Tensor(x)).data, ref, rtol=1e-5, atol=1e-5)


def test_weight_only_mode_uses_dequantized_weights_and_float_inputs():
    tt.manual_seed(0)
    lin = nn.Linear(8, 3)
    q = QuantizedLinear(lin, mode="weights")
    x = tt.randn(4, 8)
    np.testing.assert_allclose(q(x).data, x.data @ q.dequantized_weight().T + lin.bias.data, rtol=1e-6)
    with pytest.raises(ValueError, match="calibration"):
        QuantizedLinear(lin, None, mode="integer")


# ---- whole models ---------------------------------------------------------------------------------
def small_cnn():
    tt.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 10)
    )


def test_quantize_model_replaces_layers_and_leaves_the_original_alone():
    model = small_cnn()
    x = np.random.default_rng(0).uniform(0, 1, (32, 1, 8, 8)).astype(np.float32)
    before = [p.data.copy() for p in model.parameters()]
    observers = calibrate(model, x)
    assert set(observers) == {"0", "4"} and observers["0"].min == pytest.approx(x.min())
    q = quantize_model(model, x)
    assert isinstance(q.layers[0], QuantizedConv2d) and isinstance(q.layers[4], QuantizedLinear)
    assert isinstance(model.layers[0], nn.Conv2d) and "forward" not in vars(model.layers[0])
    for p, b in zip(model.parameters(), before, strict=True):
        assert np.array_equal(p.data, b)
    with tt.no_grad():
        ref, out = model(tt.Tensor(x)).data, q(tt.Tensor(x)).data
    assert np.abs(out - ref).max() < 0.05 * np.abs(ref).max()
    with pytest.raises(ValueError, match="calibration_data"):
        quantize_model(model)


def test_sizes_int8_weights_exactly_4x_and_fp16_2x():
    tt.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    q = quantize_model(model, np.random.default_rng(0).uniform(0, 1, (16, 64)).astype(np.float32))
    report = size_report(model, q)
    rows = {r["layer"]: r for r in report.rows}
    assert rows["weights only"]["ratio"] == 4.0
    # whole model: int8 weights + float32 biases + per-channel float32 scales + input scale/zero point
    expected = (64 * 128 + 128 * 10) + 4 * (128 + 10) * 2 + 2 * (4 + 4)
    assert rows["total"]["quantized bytes"] == model_size_bytes(q) == expected
    assert rows["total"]["float32 bytes"] == 4 * (64 * 128 + 128 + 128 * 10 + 10)
    assert 3.5 < rows["total"]["ratio"] < 4
    half = fp16_model(model)
    assert model_size_bytes(half) * 2 == model_size_bytes(model)
    x = tt.randn(5, 64)
    np.testing.assert_allclose(half(x).data, model(x).data, atol=2e-2)


def test_quantized_state_dict_round_trips():
    model = small_cnn()
    x = np.random.default_rng(0).uniform(0, 1, (8, 1, 8, 8)).astype(np.float32)
    q1, q2 = quantize_model(model, x), quantize_model(small_cnn(), x * 0.5)
    q2.load_state_dict(q1.state_dict())
    np.testing.assert_array_equal(q1(tt.Tensor(x)).data, q2(tt.Tensor(x)).data)


@pytest.mark.slow
def test_int8_digits_mlp_is_4x_smaller_within_one_point():
    from tinytorch.datasets import digits
    from tinytorch.systems._training import train_classifier
    from tinytorch.systems.capstone import digits_mlp

    X_train, y_train, X_test, y_test = digits()
    model = digits_mlp(seed=0)
    train_classifier(model, X_train, y_train, epochs=20, lr=3e-3, seed=0)
    q = quantize_model(model, X_train[:500])
    acc_f, acc_q = accuracy(model, X_test, y_test), accuracy(q, X_test, y_test)
    assert acc_f >= 0.95
    assert acc_q >= acc_f - 0.01, f"INT8 lost {100 * (acc_f - acc_q):.2f} points"
    rows = {r["layer"]: r for r in size_report(model, q).rows}
    assert rows["weights only"]["ratio"] == 4.0 and rows["total"]["ratio"] > 3.6


@pytest.mark.slow
def test_int8_digits_cnn_within_one_point():
    from tinytorch.datasets import digits
    from tinytorch.systems._training import train_classifier
    from tinytorch.systems.capstone import digits_cnn

    X_train, y_train, X_test, y_test = digits(as_images=True)
    model = digits_cnn(seed=0)
    train_classifier(model, X_train, y_train, epochs=15, lr=3e-3, seed=0)
    q = quantize_model(model, X_train[:500])
    acc_f, acc_q = accuracy(model, X_test, y_test), accuracy(q, X_test, y_test)
    assert acc_f >= 0.93
    assert acc_q >= acc_f - 0.01, f"INT8 lost {100 * (acc_f - acc_q):.2f} points"
    assert model_size_bytes(model) / model_size_bytes(q) > 3.0
