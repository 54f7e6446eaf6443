"""Module 16: sparsity exactly as requested, the smallest weights go first, masks survive
fine-tuning, removed channels change no output, the distillation loss and its T^2 scaling."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch import nn
from tinytorch.optim import AdamW
from tinytorch.systems.pruning import (
    MaskedOptimizer,
    apply_masks,
    channel_prune,
    distill,
    distillation_loss,
    magnitude_prune,
    remove_pruned_channels,
    sparsity,
    sparsity_report,
)


def mlp(seed=0, hidden=20):
    tt.manual_seed(seed)
    return nn.Sequential(nn.Linear(12, hidden), nn.ReLU(), nn.Linear(hidden, 7), nn.ReLU(), nn.Linear(7, 4))


@pytest.mark.parametrize("amount", [0.0, 0.3, 0.5, 0.8, 0.95])
def test_global_magnitude_pruning_is_exact_and_drops_the_smallest(amount):
    model = mlp()
    weights = [m.weight.data.copy() for m in (model[0], model[2], model[4])]
    total = sum(w.size for w in weights)
    masks = magnitude_prune(model, amount, scope="global")
    zeros = sum(int((m.weight.data == 0).sum()) for m in (model[0], model[2], model[4]))
    assert zeros == round(amount * total)
    assert sparsity(model) == pytest.approx(round(amount * total) / total)
    kept = np.concatenate([np.abs(w[m]) for w, m in zip(weights, masks.values(), strict=True)])
    dropped = np.concatenate([np.abs(w[~m]) for w, m in zip(weights, masks.values(), strict=True)])
    if dropped.size and kept.size:
        assert dropped.max() <= kept.min()
    assert list(masks) == ["0.weight", "2.weight", "4.weight"]
    assert model[0].bias.data.all()  # biases are not pruned


def test_layer_scope_prunes_each_layer_exactly():
    model = mlp()
    magnitude_prune(model, 0.6, scope="layer")
    for layer in (model[0], model[2], model[4]):
        assert int((layer.weight.data == 0).sum()) == round(0.6 * layer.weight.data.size)


def test_ties_are_broken_so_the_count_stays_exact():
    lin = nn.Linear(4, 4)
    lin.weight.data = np.ones((4, 4), dtype=np.float32)
    magnitude_prune(nn.Sequential(lin), 0.25)
    assert int((lin.weight.data == 0).sum()) == 4


def test_bad_amounts_are_rejected():
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        magnitude_prune(mlp(), 1.0)
    with pytest.raises(ValueError, match="scope"):
        magnitude_prune(mlp(), 0.5, scope="row")


def test_channel_pruning_zeroes_whole_rows_with_the_smallest_norm():
    model = mlp()
    norms = np.linalg.norm(model[0].weight.data, axis=1)
    masks = channel_prune(model, 0.25)
    w = model[0].weight.data
    dead = ~w.any(axis=1)
    assert dead.sum() == round(0.25 * 20)
    assert set(np.flatnonzero(dead)) == set(np.argsort(norms)[:5])
    assert np.all(model[0].bias.data[dead] == 0)
    assert (~model[2].weight.data.any(axis=1)).sum() == round(0.25 * 7)
    assert model[4].weight.data.all()  # the output layer keeps every class
    assert "4.weight" not in masks and "0.bias" in masks


def test_masked_optimizer_keeps_pruned_weights_at_zero_through_training():
    model = mlp()
    masks = magnitude_prune(model, 0.7)
    before = [p.data.copy() for p in model.parameters()]
    opt = MaskedOptimizer(AdamW(model.parameters(), lr=1e-2, weight_decay=0.1), model, masks)
    x, y = tt.randn(16, 12), np.arange(16) % 4
    for _ in range(5):
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    assert sparsity(model) == pytest.approx(round(0.7 * (12 * 20 + 20 * 7 + 7 * 4)) / (12 * 20 + 20 * 7 + 7 * 4))
    changed = [not np.array_equal(p.data, b) for p, b in zip(model.parameters(), before, strict=True)]
    assert all(changed)  # the kept weights did train
    assert opt.param_groups[0]["lr"] == 1e-2  # it is still the wrapped optimizer underneath
    # without the wrapper, the same optimizer revives pruned weights (so the test can fail)
    plain = mlp()
    magnitude_prune(plain, 0.7)
    opt = AdamW(plain.parameters(), lr=1e-2, weight_decay=0.1)
    for _ in range(2):
        opt.zero_grad()
        F.cross_entropy(plain(x), y).backward()
        opt.step()
    assert sparsity(plain) < 0.7


def test_sparsity_report_rows():
    model = mlp()
    magnitude_prune(model, 0.5, scope="layer")
    report = sparsity_report(model)
    assert [r["weight"] for r in report.rows] == ["0.weight", "2.weight", "4.weight", "all"]
    assert report.rows[0]["sparsity %"] == pytest.approx(50.0)
    assert report.rows[-1]["total"] == 12 * 20 + 20 * 7 + 7 * 4


def test_apply_masks_checks_names_and_shapes():
    model = mlp()
    with pytest.raises(KeyError, match="no such parameter"):
        apply_masks(model, {"9.weight": np.ones(3, bool)})
    with pytest.raises(ValueError, match="shape"):
        apply_masks(model, {"0.weight": np.ones(3, bool)})


def test_removing_pruned_channels_changes_no_output():
    model = mlp()
    channel_prune(model, 0.5)
    x = tt.randn(9, 12)
    small = remove_pruned_channels(model, x)
    assert small[0].weight.shape == (10, 12) and small[0].out_features == 10
    # 7 hidden units, round(0.5 * 7) = 4 pruned: 3 remain
    assert small[2].weight.shape == (3, 10) and small[2].in_features == 10 and small[2].out_features == 3
    assert small[4].weight.shape == (4, 3) and small[4].in_features == 3
    with tt.no_grad():
        np.testing.assert_allclose(small(x).data, model(x).data, rtol=1e-5, atol=1e-6)
    assert model[0].weight.shape == (20, 12)  # the original is untouched


def test_removing_conv_channels_through_flatten():
    tt.manual_seed(0)
    cnn = nn.Sequential(
        nn.Conv2d(1, 6, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 4, 3, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 3),
    )
    channel_prune(cnn, 0.5)
    x = tt.randn(2, 1, 8, 8)
    small = remove_pruned_channels(cnn, x)
    assert small[0].weight.shape == (3, 1, 3, 3) and small[3].weight.shape == (2, 3, 3, 3)
    assert small[6].weight.shape == (3, 2 * 16)
    with tt.no_grad():
        np.testing.assert_allclose(small(x).data, cnn(x).data, rtol=1e-5, atol=1e-6)


def test_channels_behind_a_sigmoid_cannot_be_removed():
    tt.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Sigmoid(), nn.Linear(6, 2))
    channel_prune(model, 0.5)
    with pytest.raises(ValueError, match="map 0 to 0"):
        remove_pruned_channels(model, tt.randn(3, 4))


# ---- distillation -------------------------------------------------------------------------------
def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("T", [1.0, 2.0, 5.0])
def test_distillation_soft_term_value_and_gradient(T, float64):
    rng = np.random.default_rng(0)
    s = tt.Tensor(rng.standard_normal((6, 5)) * 2, requires_grad=True)
    t = rng.standard_normal((6, 5)) * 3
    y = np.arange(6) % 5
    loss = distillation_loss(s, t, y, temperature=T, alpha=1.0)
    p, q = _softmax(t / T), _softmax(s.data / T)
    kl = (p * (np.log(p) - np.log(q))).sum(axis=1).mean()
    assert float(loss.data) == pytest.approx(T * T * kl, rel=1e-10)
    loss.backward()
    np.testing.assert_allclose(s.grad.data, T * (q - p) / 6, rtol=1e-8, atol=1e-12)


def test_distillation_mixes_soft_and_hard_terms_and_t_squared_keeps_gradients_comparable(float64):
    rng = np.random.default_rng(1)
    s_data, t = rng.standard_normal((8, 4)), rng.standard_normal((8, 4)) * 4
    y = np.arange(8) % 4
    s = tt.Tensor(s_data)
    hard = float(F.cross_entropy(s, y).data)
    assert float(distillation_loss(s, t, y, 3.0, alpha=0.0).data) == pytest.approx(hard)
    mixed = float(distillation_loss(s, t, y, 3.0, alpha=0.25).data)
    soft = float(distillation_loss(s, t, y, 3.0, alpha=1.0).data)
    assert mixed == pytest.approx(0.25 * soft + 0.75 * hard)

    def soft_grad_norm(T):
        x = tt.Tensor(s_data, requires_grad=True)
        distillation_loss(x, t, y, T, alpha=1.0).backward()
        return np.linalg.norm(x.grad.data)

    # with T^2 the soft gradient stays of the same order as T grows (without it: ~1/T^2 smaller)
    assert 0.2 < soft_grad_norm(8.0) / soft_grad_norm(2.0) < 5


def test_distillation_rejects_bad_arguments():
    s = tt.randn(2, 3)
    with pytest.raises(ValueError, match="temperature"):
        distillation_loss(s, np.zeros((2, 3)), [0, 1], temperature=0)
    with pytest.raises(ValueError, match="differ"):
        distillation_loss(s, np.zeros((2, 4)), [0, 1])


def test_distill_moves_the_student_towards_the_teacher():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 12)).astype(np.float32)
    teacher = mlp(seed=1)
    y = teacher(tt.Tensor(X)).data.argmax(axis=1)
    student = mlp(seed=2, hidden=8)
    losses = distill(student, teacher, X, y, epochs=15, lr=1e-2, temperature=2.0, alpha=0.9, batch_size=16)
    assert losses[-1] < 0.7 * losses[0]
    agree = (student(tt.Tensor(X)).data.argmax(axis=1) == y).mean()
    assert agree > 0.8


# ---- the accuracy target -------------------------------------------------------------------------
@pytest.mark.slow
def test_80_percent_sparse_digits_mlp_within_two_points_after_fine_tuning():
    from tinytorch.datasets import digits
    from tinytorch.systems._training import train_classifier
    from tinytorch.systems.benchmarking import accuracy
    from tinytorch.systems.capstone import digits_mlp
    from tinytorch.systems.pruning import fine_tune

    X_train, y_train, X_test, y_test = digits()
    model = digits_mlp(seed=0)
    train_classifier(model, X_train, y_train, epochs=20, lr=3e-3, seed=0)
    dense = accuracy(model, X_test, y_test)
    masks = magnitude_prune(model, 0.8)
    fine_tune(model, masks, X_train, y_train, epochs=8, seed=1)
    assert sparsity(model) == pytest.approx(round(0.8 * (64 * 128 + 128 * 10)) / (64 * 128 + 128 * 10))
    sparse = accuracy(model, X_test, y_test)
    assert sparse >= dense - 0.02, (
        f"80% sparsity lost {100 * (dense - sparse):.2f} points ({dense:.4f} -> {sparse:.4f})"
    )
