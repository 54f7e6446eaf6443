"""Module 02 (Activations): nn.functional activations and their modules, against finite
differences, PyTorch, and the extreme inputs where naive formulas overflow."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
import tinytorch.nn.functional as F

ACTIVATIONS = [
    ("relu", lambda L, x: L.F.relu(x), [(3, 4)]),
    ("sigmoid", lambda L, x: L.F.sigmoid(x) if L.name == "tinytorch" else x.sigmoid(), [(3, 4)]),
    ("tanh", lambda L, x: L.F.tanh(x) if L.name == "tinytorch" else x.tanh(), [(3, 4)]),
    ("gelu_tanh_approx", lambda L, x: L.gelu(x * 2), [(3, 4)]),
    ("gelu_exact_default", lambda L, x: L.gelu_exact(x * 2), [(3, 4)]),
    ("softmax_last", lambda L, x: L.F.softmax(x, dim=-1), [(3, 4)]),
    ("softmax_axis0", lambda L, x: L.F.softmax(x, dim=0), [(3, 4)]),
    ("softmax_3d_middle", lambda L, x: L.F.softmax(x, dim=1), [(2, 3, 4)]),
    ("log_softmax_last", lambda L, x: L.F.log_softmax(x, dim=-1), [(3, 4)]),
    ("log_softmax_axis0", lambda L, x: L.F.log_softmax(x, dim=0), [(2, 3, 4)]),
    (
        "softmax_of_a_graph",
        lambda L, x, w: L.F.softmax(x @ w, dim=-1) * L.F.log_softmax(x @ w, dim=-1),
        [(3, 4), (4, 5)],
    ),
]


@pytest.mark.parametrize("fn, specs", [c[1:] for c in ACTIVATIONS], ids=[c[0] for c in ACTIVATIONS])
def test_activation_gradient_matches_finite_differences(check_grad, fn, specs):
    check_grad(fn, *specs)


@pytest.mark.parametrize("fn, specs", [c[1:] for c in ACTIVATIONS], ids=[c[0] for c in ACTIVATIONS])
def test_activation_matches_pytorch(check_torch, fn, specs):
    check_torch(fn, *specs)


def test_functional_softmax_axis_positional_and_keyword():
    x = tt.randn(3, 4, seed=1)
    np.testing.assert_allclose(F.softmax(x, 0).data, F.softmax(x, dim=0).data)
    np.testing.assert_allclose(F.softmax(x, axis=0).sum(axis=0).data, np.ones(4), rtol=1e-6)
    np.testing.assert_allclose(F.softmax(x).sum(axis=-1).data, np.ones(3), rtol=1e-6)
    np.testing.assert_allclose(F.log_softmax(x).exp().data, F.softmax(x).data, rtol=1e-5)


def test_gelu_tanh_is_the_tanh_approximation_and_gelu_is_exact_as_torch():
    a = np.linspace(-4, 4, 17)
    expected = 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a**3)))
    x = tt.Tensor(a, dtype=np.float64)
    # computed as x * sigmoid(2u): the same function, rounded differently in the far negative tail
    np.testing.assert_allclose(F.gelu_tanh(x).data, expected, rtol=1e-10)
    np.testing.assert_allclose(F.gelu(x, approximate="tanh").data, expected, rtol=1e-10)
    np.testing.assert_allclose(nn.GELU(approximate="tanh")(x).data, expected, rtol=1e-10)
    exact = np.array([v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in a])
    np.testing.assert_allclose(F.gelu(x).data, exact, rtol=1e-15, atol=1e-300)
    np.testing.assert_allclose(nn.GELU()(x).data, exact, rtol=1e-15, atol=1e-300)


# ---- modules wrap the functions ------------------------------------------------------------------
@pytest.mark.parametrize(
    "module, fn",
    [
        (nn.ReLU(), F.relu),
        (nn.Sigmoid(), F.sigmoid),
        (nn.Tanh(), F.tanh),
        (nn.GELU(), F.gelu),
        (nn.Softmax(), F.softmax),
        (nn.LogSoftmax(), F.log_softmax),
        (nn.Softmax(axis=0), lambda x: F.softmax(x, axis=0)),
        (nn.Softmax(dim=0), lambda x: F.softmax(x, axis=0)),
        (nn.LogSoftmax(dim=0), lambda x: F.log_softmax(x, axis=0)),
    ],
    ids=[
        "ReLU",
        "Sigmoid",
        "Tanh",
        "GELU",
        "Softmax",
        "LogSoftmax",
        "Softmax_axis0",
        "Softmax_dim0",
        "LogSoftmax_dim0",
    ],
)
def test_activation_modules_equal_their_functions(module, fn):
    x = tt.randn(3, 4, seed=3, requires_grad=True)
    y = module(x)
    np.testing.assert_array_equal(y.data, fn(x).data)
    assert y.requires_grad and module.parameters() == []
    (y * y).sum().backward()
    assert x.grad is not None and x.grad.shape == (3, 4)


def test_activation_modules_match_torch_modules(torch):
    a = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    pairs = [
        (nn.ReLU(), torch.nn.ReLU()),
        (nn.Sigmoid(), torch.nn.Sigmoid()),
        (nn.Tanh(), torch.nn.Tanh()),
        (nn.GELU(), torch.nn.GELU()),  # exact by default, as torch
        (nn.GELU(approximate="tanh"), torch.nn.GELU(approximate="tanh")),
        (nn.Softmax(dim=1), torch.nn.Softmax(dim=1)),
        (nn.LogSoftmax(dim=1), torch.nn.LogSoftmax(dim=1)),
    ]
    for ours, ref in pairs:
        np.testing.assert_allclose(
            ours(tt.Tensor(a)).data, ref(torch.tensor(a)).numpy(), rtol=1e-5, atol=1e-6, err_msg=type(ours).__name__
        )


# ---- numerical stability -------------------------------------------------------------------------
def _no_warnings(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow RuntimeWarning fails the test
        return fn()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_and_tanh_saturate_without_overflow(dtype):
    x = tt.Tensor([-1000.0, -30.0, 0.0, 30.0, 1000.0], dtype=dtype, requires_grad=True)
    s = _no_warnings(lambda: F.sigmoid(x))
    assert np.all(np.isfinite(s.data))
    assert s.data[0] == 0.0 and s.data[-1] == 1.0 and s.data[2] == 0.5
    _no_warnings(lambda: s.sum().backward())
    assert np.all(np.isfinite(x.grad.data)) and x.grad.data[0] == 0.0 and x.grad.data[2] == 0.25
    t = _no_warnings(lambda: F.tanh(x))
    assert t.data[0] == -1.0 and t.data[-1] == 1.0


def test_softmax_and_log_softmax_of_huge_logits():
    x = tt.Tensor([[1e4, 0.0, -1e4], [5e3, 5e3, 0.0]], requires_grad=True)
    s = _no_warnings(lambda: F.softmax(x, axis=-1))
    np.testing.assert_allclose(s.data, [[1, 0, 0], [0.5, 0.5, 0]], atol=1e-7)
    ls = _no_warnings(lambda: F.log_softmax(x, axis=-1))
    assert np.all(np.isfinite(ls.data))
    np.testing.assert_allclose(ls.data, [[0, -1e4, -2e4], [-np.log(2), -np.log(2), -5e3 - np.log(2)]], rtol=1e-6)
    _no_warnings(lambda: (ls * tt.Tensor([[1.0, 2.0, 3.0], [1.0, 0.0, -1.0]])).sum().backward())
    assert np.all(np.isfinite(x.grad.data))


def test_huge_logits_match_torch(torch):
    a = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4 + 1, 3.0]], dtype=np.float32)
    for ours, ref in ((F.softmax, torch.softmax), (F.log_softmax, torch.log_softmax)):
        x, t = tt.Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        w = np.array([[0.3, -1.0, 2.0], [1.0, 0.5, -0.5]], dtype=np.float32)
        y, r = ours(x, dim=-1), ref(t, dim=-1)
        np.testing.assert_allclose(y.data, r.detach().numpy(), rtol=1e-5, atol=1e-6)
        (y * tt.Tensor(w)).sum().backward()
        (r * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_sigmoid_extremes_match_torch(torch):
    a = np.array([-1000.0, -88.0, -20.0, 0.0, 20.0, 88.0, 1000.0], dtype=np.float32)
    x, t = tt.Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, r = F.sigmoid(x), torch.sigmoid(t)
    np.testing.assert_allclose(y.data, r.detach().numpy(), rtol=1e-6, atol=1e-30)
    y.sum().backward()
    r.sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-5, atol=1e-30)
