"""Module 04 (Losses): functional losses and their modules against finite differences and PyTorch,
the mean reduction, and the extreme inputs (logits of 1e4, probabilities of exactly 0 and 1)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
import tinytorch.nn.functional as F

CLASSES = np.array([0, 2, 1, 2])
HARD = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]])
SOFT = np.array([[0.2, 0.9, 0.5], [1.0, 0.0, 0.3]])
REGRESSION = np.array([[0.5, -1.0, 2.0, 0.0], [1.5, 0.25, -0.5, 1.0], [0.0, 0.0, 3.0, -2.0]])

LOSSES = [
    ("cross_entropy", lambda L, x: L.F.cross_entropy(x, L.tensor(CLASSES)), [(4, 3)], "any"),
    (
        "cross_entropy_after_linear",
        lambda L, x, w: L.F.cross_entropy(x @ w, L.tensor(CLASSES)),
        [(4, 5), (5, 3)],
        "any",
    ),
    ("nll_of_log_softmax", lambda L, x: L.F.nll_loss(L.F.log_softmax(x, dim=1), L.tensor(CLASSES)), [(4, 3)], "any"),
    ("mse_loss", lambda L, x: L.F.mse_loss(x, L.tensor(REGRESSION)), [(3, 4)], "any"),
    ("bce_hard_targets", lambda L, p: L.F.binary_cross_entropy(p, L.tensor(HARD)), [(2, 3)], "unit"),
    ("bce_soft_targets", lambda L, p: L.F.binary_cross_entropy(p, L.tensor(SOFT)), [(2, 3)], "unit"),
    ("bce_of_sigmoid", lambda L, x: L.F.binary_cross_entropy(x.sigmoid(), L.tensor(SOFT)), [(2, 3)], "any"),
    ("bce_with_logits", lambda L, x: L.F.binary_cross_entropy_with_logits(x, L.tensor(SOFT)), [(2, 3)], "any"),
    (
        "bce_with_logits_large",
        lambda L, x: L.F.binary_cross_entropy_with_logits(x * 20, L.tensor(HARD)),
        [(2, 3)],
        "any",
    ),
]


@pytest.mark.parametrize("fn, specs, domain", [c[1:] for c in LOSSES], ids=[c[0] for c in LOSSES])
def test_loss_gradient_matches_finite_differences(check_grad, fn, specs, domain):
    check_grad(fn, *specs, domain=domain)


@pytest.mark.parametrize("fn, specs, domain", [c[1:] for c in LOSSES], ids=[c[0] for c in LOSSES])
def test_loss_matches_pytorch(check_torch, fn, specs, domain):
    check_torch(fn, *specs, domain=domain)


# ---- values by hand ------------------------------------------------------------------------------
def test_cross_entropy_value_by_hand():
    logits = np.array([[2.0, 1.0, 0.1], [0.5, 2.5, 0.3]])
    y = np.array([0, 1])
    logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    expected = -(logp[0, 0] + logp[1, 1]) / 2
    assert F.cross_entropy(tt.Tensor(logits), tt.Tensor(y)).item() == pytest.approx(expected, rel=1e-6)
    # targets may be a Tensor, a list or an int32 array
    for targets in ([0, 1], np.array([0, 1], dtype=np.int32)):
        assert F.cross_entropy(tt.Tensor(logits), targets).item() == pytest.approx(expected, rel=1e-6)


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    logits = tt.Tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], requires_grad=True)
    F.cross_entropy(logits, tt.Tensor([2, 0])).backward()
    p = np.exp(logits.data) / np.exp(logits.data).sum(1, keepdims=True)
    p[[0, 1], [2, 0]] -= 1
    np.testing.assert_allclose(logits.grad.data, p / 2, rtol=1e-5)


def test_losses_return_the_mean():
    pred, target = tt.Tensor([[1.0, 2.0], [3.0, 4.0]]), tt.Tensor([[0.0, 0.0], [0.0, 0.0]])
    assert F.mse_loss(pred, target).item() == pytest.approx((1 + 4 + 9 + 16) / 4)
    p, t = tt.Tensor([0.5, 0.25]), tt.Tensor([1.0, 0.0])
    assert F.binary_cross_entropy(p, t).item() == pytest.approx(-(np.log(0.5) + np.log(0.75)) / 2, rel=1e-6)
    z = tt.Tensor([0.0, 2.0])
    expected = -(np.log(0.5) + np.log(1 - 1 / (1 + np.exp(-2.0)))) / 2
    assert F.binary_cross_entropy_with_logits(z, t).item() == pytest.approx(expected, rel=1e-6)
    for loss in (F.mse_loss(pred, target), F.binary_cross_entropy(p, t)):
        assert loss.shape == ()


# ---- modules -------------------------------------------------------------------------------------
def test_loss_modules_equal_their_functions():
    rng = np.random.default_rng(0)
    logits = tt.Tensor(rng.standard_normal((5, 4)))
    y = tt.Tensor(rng.integers(0, 4, 5))
    probs = tt.Tensor(rng.uniform(0.1, 0.9, (5, 4)))
    targets = tt.Tensor(rng.integers(0, 2, (5, 4)).astype(np.float32))
    assert nn.CrossEntropyLoss()(logits, y).item() == F.cross_entropy(logits, y).item()
    assert nn.NLLLoss()(F.log_softmax(logits), y).item() == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    assert nn.MSELoss()(logits, probs).item() == F.mse_loss(logits, probs).item()
    assert nn.BCELoss()(probs, targets).item() == F.binary_cross_entropy(probs, targets).item()
    assert nn.BCEWithLogitsLoss()(logits, targets).item() == F.binary_cross_entropy_with_logits(logits, targets).item()


def test_loss_modules_match_torch_float32(torch):
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((6, 4)).astype(np.float32)
    y = rng.integers(0, 4, 6)
    probs = rng.uniform(0.05, 0.95, (6, 4)).astype(np.float32)
    soft = rng.uniform(0, 1, (6, 4)).astype(np.float32)
    tn = torch.nn
    cases = [
        (nn.CrossEntropyLoss(), tn.CrossEntropyLoss(), logits, y),
        (nn.MSELoss(), tn.MSELoss(), logits, soft),
        (nn.BCELoss(), tn.BCELoss(), probs, soft),
        (nn.BCEWithLogitsLoss(), tn.BCEWithLogitsLoss(), logits, soft),
    ]
    for ours, ref, x, t in cases:
        a, b = tt.Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        la, lb = ours(a, tt.Tensor(t)), ref(b, torch.tensor(t))
        assert la.dtype == np.float32
        assert la.item() == pytest.approx(lb.item(), rel=1e-5), type(ours).__name__
        la.backward()
        lb.backward()
        np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=1e-4, atol=1e-7, err_msg=type(ours).__name__)


# ---- stability -----------------------------------------------------------------------------------
def test_cross_entropy_is_finite_for_logits_of_magnitude_1e4():
    logits = tt.Tensor([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [1e4, 1e4, -1e4]], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.cross_entropy(logits, tt.Tensor([1, 1, 0]))
        loss.backward()
    assert np.isfinite(loss.item()) and loss.item() == pytest.approx((2e4 + 0 + np.log(2)) / 3, rel=1e-6)
    assert np.all(np.isfinite(logits.grad.data))
    np.testing.assert_allclose(logits.grad.data, [[1 / 3, -1 / 3, 0], [0, 0, 0], [-1 / 6, 1 / 6, 0]], atol=1e-7)


def test_cross_entropy_huge_logits_match_torch(torch):
    a = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [5e3, 5e3 + 1, -1e4]], dtype=np.float32)
    y = np.array([1, 2, 0])
    x, t = tt.Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    la, lb = F.cross_entropy(x, tt.Tensor(y)), torch.nn.functional.cross_entropy(t, torch.tensor(y))
    assert la.item() == pytest.approx(lb.item(), rel=1e-6)
    la.backward()
    lb.backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_bce_at_probabilities_0_and_1_is_finite_and_clamped_like_torch():
    p = tt.Tensor([0.0, 1.0, 0.0, 1.0], requires_grad=True)
    t = tt.Tensor([1.0, 0.0, 0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy(p, t)
        loss.backward()
    assert loss.item() == pytest.approx(50.0)  # log clamped at -100, as torch: (100 + 100 + 0 + 0) / 4
    assert np.all(np.isfinite(p.grad.data)) and p.grad.data[2] == 0 and p.grad.data[3] == 0


def test_bce_at_0_and_1_matches_torch(torch):
    a, tgt = (
        np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=np.float32),
        np.array([1.0, 0.0, 0.0, 1.0, 1.0], dtype=np.float32),
    )
    x, t = tt.Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        la = F.binary_cross_entropy(x, tt.Tensor(tgt))
    lb = torch.nn.functional.binary_cross_entropy(t, torch.tensor(tgt))
    assert la.item() == pytest.approx(lb.item(), rel=1e-6)
    la.backward()
    lb.backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-5)


def test_bce_at_0_and_1_emits_no_runtime_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        F.binary_cross_entropy(tt.Tensor([0.0, 1.0]), tt.Tensor([1.0, 0.0]))


def test_bce_with_logits_is_finite_for_huge_logits():
    x = tt.Tensor([1e4, -1e4, 1e4, -1e4], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.binary_cross_entropy_with_logits(x, tt.Tensor([0.0, 1.0, 1.0, 0.0]))
        loss.backward()
    assert loss.item() == pytest.approx(5e3)
    np.testing.assert_allclose(x.grad.data, [0.25, -0.25, 0, 0])


def test_mse_gradient_wrt_the_prediction_is_2_diff_over_n():
    pred = tt.Tensor([1.0, 2.0], requires_grad=True)
    target = tt.Tensor([0.0, 0.0], requires_grad=True)
    F.mse_loss(pred, target).backward()
    np.testing.assert_allclose(pred.grad.data, [1.0, 2.0])


def test_mse_target_that_requires_grad_gets_a_gradient_like_torch():
    pred = tt.Tensor([1.0, 2.0], requires_grad=True)
    target = tt.Tensor([0.0, 4.0], requires_grad=True)
    F.mse_loss(pred, target).backward()
    np.testing.assert_allclose(pred.grad.data, [1.0, -2.0])
    np.testing.assert_allclose(target.grad.data, [-1.0, 2.0])


def test_linear_accepts_a_plain_ndarray_input():
    w, b = tt.Tensor(np.eye(2, 3, dtype=np.float32)), tt.Tensor([1.0, 2.0])
    out = F.linear(np.array([[1.0, 2.0, 3.0]], dtype=np.float32), w, b)
    np.testing.assert_allclose(out.data, [[2.0, 4.0]])
