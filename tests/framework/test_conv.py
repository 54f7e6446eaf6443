"""Module 09 (Spatial): Conv2d / MaxPool2d / AvgPool2d — gradients against finite differences, values
and gradients against PyTorch, the naive loop reference against the im2col version, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.autograd import gradcheck
from tinytorch.nn.conv import naive_conv2d

# (input shape, weight shape, stride, padding): square and non-square kernels, strides and paddings
CONV_CASES = [
    ((2, 3, 6, 5), (4, 3, 3, 3), 1, 0),
    ((2, 3, 7, 7), (4, 3, 3, 3), 2, 1),
    ((1, 2, 6, 7), (3, 2, 2, 3), (2, 1), (1, 0)),
    ((2, 1, 5, 5), (2, 1, 1, 1), 1, 0),
    ((1, 2, 4, 4), (2, 2, 5, 5), 1, 2),  # kernel larger than the unpadded input
]
POOL_CASES = [(2, None, 0), (3, 2, 1), (3, 1, 0), ((2, 3), (1, 2), 0), (2, 3, 0)]  # last: windows skip pixels


# ---- finite differences (float64) -----------------------------------------------------------------
@pytest.mark.parametrize("x_shape,w_shape,stride,padding", CONV_CASES)
def test_conv2d_gradcheck(check_grad, x_shape, w_shape, stride, padding):
    check_grad(lambda L, x, w, b: L.F.conv2d(x, w, b, stride, padding), x_shape, w_shape, (w_shape[0],))


def test_conv2d_without_bias_gradcheck(check_grad):
    check_grad(lambda L, x, w: L.F.conv2d(x, w, None, 2, 1), (2, 2, 5, 6), (3, 2, 3, 3))


def test_conv2d_module_gradcheck_through_its_parameters(float64):
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1)
    assert conv.weight.dtype == np.float64
    x = tt.randn(2, 2, 5, 5, seed=1, requires_grad=True)
    assert gradcheck(lambda x, w, b: conv(x), [x, conv.weight, conv.bias])
    no_bias = nn.Conv2d(2, 3, 2, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    assert gradcheck(lambda x, w: no_bias(x), [x, no_bias.weight])


@pytest.mark.parametrize("kernel,stride,padding", POOL_CASES)
def test_max_pool2d_gradcheck(check_grad, kernel, stride, padding):
    check_grad(lambda L, x: L.F.max_pool2d(x, kernel, stride, padding), (2, 3, 7, 8))


@pytest.mark.parametrize("kernel,stride,padding", POOL_CASES)
def test_avg_pool2d_gradcheck(check_grad, kernel, stride, padding):
    check_grad(lambda L, x: L.F.avg_pool2d(x, kernel, stride, padding), (2, 3, 7, 8))


# ---- PyTorch parity -------------------------------------------------------------------------------
@pytest.mark.parametrize("x_shape,w_shape,stride,padding", CONV_CASES)
def test_conv2d_matches_torch(check_torch, x_shape, w_shape, stride, padding):
    check_torch(lambda L, x, w, b: L.F.conv2d(x, w, b, stride, padding), x_shape, w_shape, (w_shape[0],))


def test_conv2d_without_bias_matches_torch(check_torch):
    check_torch(lambda L, x, w: L.F.conv2d(x, w, None, 2, 1), (2, 2, 5, 6), (3, 2, 3, 3))


@pytest.mark.parametrize("kernel,stride,padding", POOL_CASES)
def test_pooling_matches_torch(check_torch, kernel, stride, padding):
    check_torch(lambda L, x: L.F.max_pool2d(x, kernel, stride, padding), (2, 3, 7, 8))
    check_torch(lambda L, x: L.F.avg_pool2d(x, kernel, stride, padding), (2, 3, 7, 8))


def test_conv2d_module_matches_torch_module_float32(torch):
    """Same weights, float32 end to end: the layer a learner uses, not just the function."""
    ours = nn.Conv2d(3, 5, 3, stride=2, padding=1)
    ref = torch.nn.Conv2d(3, 5, 3, stride=2, padding=1)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(ours.weight.data))
        ref.bias.copy_(torch.tensor(ours.bias.data))
    x = np.random.default_rng(0).standard_normal((4, 3, 9, 9)).astype(np.float32)
    out, expected = ours(tt.Tensor(x)), ref(torch.tensor(x))
    assert out.dtype == np.float32 and out.shape == tuple(expected.shape) == (4, 5, 5, 5)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-5, atol=1e-5)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.weight.grad.data, ref.weight.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.bias.grad.data, ref.bias.grad.numpy(), rtol=1e-5, atol=1e-4)


def test_conv2d_init_matches_torch_bounds():
    conv = nn.Conv2d(4, 6, 3)
    fan_in = 4 * 3 * 3
    assert conv.weight.shape == (6, 4, 3, 3) and conv.bias.shape == (6,)
    assert np.abs(conv.weight.data).max() <= 1 / np.sqrt(fan_in) + 1e-7  # kaiming_uniform(a=sqrt 5)
    assert np.abs(conv.bias.data).max() <= 1 / np.sqrt(fan_in) + 1e-7
    assert conv.weight.data.std() > 0.3 / np.sqrt(fan_in)


# ---- behaviour ------------------------------------------------------------------------------------
def test_conv2d_detects_a_vertical_edge_by_hand():
    img = np.zeros((1, 1, 4, 4))
    img[..., 2:] = 1.0  # dark left half, bright right half
    sobel_x = np.array([[[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]]], dtype=float)
    out = F.conv2d(tt.Tensor(img), tt.Tensor(sobel_x)).data
    np.testing.assert_array_equal(out[0, 0], [[4, 4], [4, 4]])
    out = F.conv2d(tt.Tensor(img), tt.Tensor(sobel_x), padding=1).data
    assert out.shape == (1, 1, 4, 4) and out[0, 0, 1, 0] == 0 and out[0, 0, 1, 1] == 4


def test_max_pool_routes_gradient_to_the_winner_only():
    x = tt.Tensor(np.array([[[[1.0, 5.0], [3.0, 2.0]]]]), requires_grad=True)
    y = F.max_pool2d(x, 2)
    assert y.data.item() == 5.0
    y.backward(np.array([[[[7.0]]]]))
    np.testing.assert_array_equal(x.grad.data, [[[[0, 7], [0, 0]]]])


def test_max_pool_ties_go_to_the_first_element_like_torch(torch):
    """ReLU outputs are full of exact zeros: a tied window must pass its gradient on once, not k*k times."""
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 3, 3] = 2.0
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = 1.0
    ours = tt.Tensor(x, requires_grad=True, dtype=np.float64)
    F.max_pool2d(ours, 2).backward(np.ones((1, 1, 2, 2)))
    expected = np.zeros((4, 4))
    expected[0, 1] = expected[0, 2] = expected[2, 0] = expected[3, 3] = 1
    np.testing.assert_array_equal(ours.grad.data[0, 0], expected)
    ref = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(ref, 2).sum().backward()
    np.testing.assert_array_equal(ours.grad.data, ref.grad.numpy())


def test_pool_modules_default_stride_is_the_kernel():
    x = tt.randn(2, 3, 8, 8, seed=0)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 4)
    assert nn.AvgPool2d(4)(x).shape == (2, 3, 2, 2)
    assert nn.MaxPool2d(3, stride=1)(x).shape == (2, 3, 6, 6)
    np.testing.assert_allclose(nn.AvgPool2d(8)(x).data[..., 0, 0], x.data.mean(axis=(2, 3)), rtol=1e-6)


@pytest.mark.parametrize("x_shape,w_shape,stride,padding", [c for c in CONV_CASES if isinstance(c[2], int)])
def test_naive_conv2d_agrees_with_im2col(float64, x_shape, w_shape, stride, padding):
    rng = np.random.default_rng(3)
    xs = [tt.Tensor(rng.standard_normal(s), requires_grad=True) for s in (x_shape, w_shape, (w_shape[0],))]
    fast = F.conv2d(*xs, stride=stride, padding=padding)
    g = rng.standard_normal(fast.shape)
    fast.backward(g)
    fast_grads = [x.grad.data.copy() for x in xs]
    for x in xs:
        x.zero_grad()
    slow = naive_conv2d(*xs, stride=stride, padding=padding)
    np.testing.assert_allclose(slow.data, fast.data, rtol=1e-12, atol=1e-12)
    slow.backward(g)
    for x, expected in zip(xs, fast_grads, strict=True):
        np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12, atol=1e-12)


def test_conv_stack_trains_without_pixel_loops_on_a_batch():
    """A LeNet-sized forward/backward on a batch works end to end and fills every gradient."""
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Linear(8, 10),
    )
    loss = F.cross_entropy(model(tt.randn(16, 1, 8, 8, seed=0)), np.arange(16) % 10)
    loss.backward()
    assert all(p.grad is not None and np.abs(p.grad.data).sum() > 0 for p in model.parameters())


# ---- errors a learner hits ------------------------------------------------------------------------
def test_conv2d_rejects_wrong_rank_naming_the_shape():
    conv = nn.Conv2d(1, 4, 3)
    with pytest.raises(ValueError, match=r"4-D input .*got shape \(1, 8, 8\).*batch axis"):
        conv(tt.randn(1, 8, 8))
    with pytest.raises(ValueError, match=r"4-D input .*got shape \(64,\)"):
        conv(tt.randn(64))


def test_conv2d_rejects_wrong_channel_count_naming_both_numbers():
    conv = nn.Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"in_channels=3\) got an input with 1 channels \(shape \(2, 1, 8, 8\)\)"):
        conv(tt.randn(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"input has 8 channels .* weight expects 3"):
        F.conv2d(tt.randn(2, 8, 3, 3), conv.weight)  # NHWC by mistake


def test_kernel_that_does_not_fit_is_a_clear_error():
    with pytest.raises(ValueError, match=r"5-wide kernel does not fit an input of size 4"):
        nn.Conv2d(1, 1, 5)(tt.randn(1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"max_pool2d: the 3-wide kernel does not fit an input of size 2"):
        nn.MaxPool2d(3)(tt.randn(1, 1, 2, 2))
    with pytest.raises(ValueError, match=r"avg_pool2d expects a 4-D input"):
        nn.AvgPool2d(2)(tt.randn(4, 4))
