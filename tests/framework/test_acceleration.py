"""Module 18: each fast form computes the same numbers as its slow form; the measurement functions
return well-formed figures (their values are printed by benchmarks/systems.py, never asserted)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch.nn.conv import naive_conv2d
from tinytorch.systems.acceleration import (
    cross_entropy_unfused,
    gelu_unfused,
    im2col,
    linear_unfused,
    matmul_loops,
    matmul_row_loop,
    measure_conv,
    measure_fusion,
    measure_layout,
    measure_precision,
    measure_vectorization,
    row_sums_loop,
)


def test_loop_matmuls_equal_numpy():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((5, 7)), rng.standard_normal((7, 3))
    np.testing.assert_allclose(matmul_loops(a, b), a @ b, rtol=1e-12)
    np.testing.assert_allclose(matmul_row_loop(a, b), a @ b, rtol=1e-12)


@pytest.mark.parametrize("stride,padding,kernel", [(1, 0, 3), (1, 1, 3), (2, 1, 3), (2, 0, (2, 3))])
def test_im2col_convolution_equals_the_naive_loops(stride, padding, kernel, float64):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 3, 7, 6))
    kh, kw = (kernel, kernel) if isinstance(kernel, int) else kernel
    w = rng.standard_normal((4, 3, kh, kw))
    cols, (oh, ow) = im2col(x, (kh, kw), stride, padding)
    assert cols.shape == (2 * oh * ow, 3 * kh * kw)
    out = (cols @ w.reshape(4, -1).T).reshape(2, oh, ow, 4).transpose(0, 3, 1, 2)
    if kh == kw:
        ref = naive_conv2d(tt.Tensor(x), tt.Tensor(w), None, stride, padding).data
        np.testing.assert_allclose(out, ref, rtol=1e-10)
    ref = F.conv2d(tt.Tensor(x), tt.Tensor(w), None, stride, padding).data
    np.testing.assert_allclose(out, ref, rtol=1e-10)


def test_im2col_pads_with_the_given_value_and_checks_fit():
    cols, _ = im2col(np.zeros((1, 1, 2, 2), dtype=np.int16), 3, 1, 1, pad_value=7)
    assert cols.dtype == np.int16 and cols[0].tolist() == [7, 7, 7, 7, 0, 0, 7, 0, 0]
    with pytest.raises(ValueError, match="does not fit"):
        im2col(np.zeros((1, 1, 2, 2)), 3)


def test_row_sums_loop_is_right_on_both_layouts():
    a = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(row_sums_loop(a), a.sum(axis=1))
    np.testing.assert_array_equal(row_sums_loop(a.T), a.sum(axis=0))


def _value_and_grads(fn, *inputs):
    out = fn(*inputs)
    (out if out.data.size == 1 else out.sum()).backward()
    grads = [x.grad.data.copy() for x in inputs if isinstance(x, tt.Tensor) and x.requires_grad]
    for x in inputs:
        if isinstance(x, tt.Tensor):
            x.grad = None
    return out.data, grads


@pytest.mark.parametrize("case", ["gelu", "cross_entropy", "linear"])
def test_unfused_compositions_equal_the_fused_ops(case, float64):
    rng = np.random.default_rng(2)
    x = tt.Tensor(rng.standard_normal((6, 5)) * 3, requires_grad=True)
    if case == "gelu":
        fused, unfused, inputs = F.gelu_tanh, gelu_unfused, (x,)
    elif case == "cross_entropy":
        fused, unfused, inputs = F.cross_entropy, cross_entropy_unfused, (x, np.array([0, 4, 2, 1, 3, 0]))
    else:
        w = tt.Tensor(rng.standard_normal((3, 5)), requires_grad=True)
        b = tt.Tensor(rng.standard_normal(3), requires_grad=True)
        fused, unfused, inputs = F.linear, linear_unfused, (x, w, b)
    out_f, grads_f = _value_and_grads(fused, *inputs)
    out_u, grads_u = _value_and_grads(unfused, *inputs)
    np.testing.assert_allclose(out_u, out_f, rtol=1e-10, atol=1e-12)
    for gu, gf in zip(grads_u, grads_f, strict=True):
        np.testing.assert_allclose(gu, gf, rtol=1e-9, atol=1e-12)


def test_measurement_functions_return_positive_figures():
    v = measure_vectorization(n=8, repeats=1)
    assert v["loops s"] > 0 and v["vectorized s"] > 0 and v["speed-up loops -> vectorized"] > 0
    c = measure_conv(batch=1, in_channels=1, out_channels=2, size=5, repeats=1)
    assert c["naive s"] > 0 and c["im2col s"] > 0 and c["input"] == (1, 1, 5, 5)
    layout = measure_layout(n=32, repeats=1)
    assert layout["contiguous rows s"] > 0 and layout["strided rows s"] > 0
    fusion = measure_fusion(rows=8, features=16, repeats=1)
    assert set(fusion) == {"gelu", "cross_entropy", "linear"}
    assert all(r["fused s"] > 0 and r["unfused s"] > 0 for r in fusion.values())
    p = measure_precision(n=16, repeats=1)
    assert p["float64"]["relative error"] == 0.0
    assert 0 < p["float32"]["relative error"] < p["float16"]["relative error"] < 1e-2
    assert p["float16"]["bytes"] * 4 == p["float64"]["bytes"]
    mixed = p["float16 storage, float32 compute"]
    assert mixed["bytes"] == p["float16"]["bytes"] and mixed["relative error"] < p["float16"]["relative error"]
