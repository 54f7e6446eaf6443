"""Module 07: Trainer, gradient clipping, checkpoints that resume bit for bit."""

import math

import numpy as np
import pytest

import tinytorch as tt
from tinytorch import nn, optim
from tinytorch.data import DataLoader, TensorDataset
from tinytorch.optim.lr_scheduler import StepLR
from tinytorch.training import Trainer, accuracy, clip_grad_norm_


def blobs(n=240, seed=0):
    """Three Gaussian blobs in 2-D: a small problem an MLP solves in a few epochs."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[2.0, 0.0], [-1.0, 1.7], [-1.0, -1.7]])
    X = (centres[y] + 0.6 * rng.standard_normal((n, 2))).astype(np.float32)
    return X, y.astype(np.int64)


def mlp(dropout=0.0):
    return nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(dropout), nn.Linear(16, 3))


def loaders(seed=0):
    X, y = blobs()
    train = DataLoader(TensorDataset(X[:200], y[:200]), batch_size=16, shuffle=True, seed=seed)
    val = DataLoader(TensorDataset(X[200:], y[200:]), batch_size=16)
    return train, val


def test_loss_decreases_and_history_is_kept():
    tt.manual_seed(0)
    model = mlp()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1, momentum=0.9), nn.CrossEntropyLoss(), verbose=False)
    train, val = loaders()
    history = trainer.fit(train, 5, val_loader=val)
    assert history is trainer.history and trainer.epoch == 5
    assert set(history) == {"train_loss", "train_accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 5 for v in history.values())
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_accuracy"][-1] >= 0.9
    final = trainer.evaluate(val)
    assert final["loss"] == pytest.approx(history["val_loss"][-1]) and final["accuracy"] == history["val_accuracy"][-1]


def test_evaluate_uses_eval_mode_and_restores_training_mode():
    tt.manual_seed(0)
    model = mlp(dropout=0.5)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), verbose=False)
    _, val = loaders()
    a, b = trainer.evaluate(val), trainer.evaluate(val)
    assert a == b  # dropout is off while evaluating: deterministic
    assert model.training  # and training mode is back afterwards


def run(epochs, resume_from=None, save_after=None, path=None):
    """Train an MLP with dropout, Adam, StepLR and clipping on a shuffled loader; optionally checkpoint."""
    tt.manual_seed(0 if resume_from is None else 123)  # a resumed run starts from different weights
    model = mlp(dropout=0.2)
    opt = optim.Adam(model.parameters(), lr=0.02)
    trainer = Trainer(
        model,
        opt,
        nn.CrossEntropyLoss(),
        scheduler=StepLR(opt, step_size=3, gamma=0.7),
        clip_grad_norm=1.0,
        verbose=False,
    )
    train, val = loaders(seed=11)
    if resume_from is not None:
        trainer.load_checkpoint(resume_from)
    trainer.fit(train, epochs, val_loader=val)
    if save_after is not None:
        trainer.save_checkpoint(path)
    return trainer


def test_checkpoint_resume_is_bitwise_identical(tmp_path):
    path = str(tmp_path / "ckpt.npz")
    straight = run(4)
    run(2, save_after=True, path=path)
    resumed = run(2, resume_from=path)
    assert resumed.epoch == 4
    for name, value in straight.model.state_dict().items():
        assert np.array_equal(value, resumed.model.state_dict()[name]), name
    assert resumed.history == straight.history
    a, b = straight.optimizer.state_dict(), resumed.optimizer.state_dict()
    assert a["param_groups"] == b["param_groups"]
    for i in a["state"]:
        for k in a["state"][i]:
            assert np.array_equal(a["state"][i][k], b["state"][i][k])
    assert straight.scheduler.get_last_lr() == resumed.scheduler.get_last_lr()
    # and the resumed run really started elsewhere: without the checkpoint it would differ
    fresh = run(2, resume_from=None)
    assert not np.array_equal(fresh.model.state_dict()["0.weight"], straight.model.state_dict()["0.weight"])


def test_checkpoint_holds_everything_and_checks_the_optimizer(tmp_path):
    tt.manual_seed(0)
    model = mlp()
    opt = optim.Adam(model.parameters(), lr=0.01)
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), verbose=False)
    trainer.fit(loaders()[0], 1)
    path = trainer.save_checkpoint(tmp_path / "c")  # the suffix is added
    assert path.endswith("c.npz")
    with np.load(path) as f:
        assert {"model/0.weight", "model/3.bias", "optimizer/0/exp_avg", "optimizer/0/step", "meta"} <= set(f.files)
    other = Trainer(mlp(), optim.SGD(mlp().parameters(), lr=0.1), nn.CrossEntropyLoss(), verbose=False)
    with pytest.raises(ValueError, match="Adam.*SGD"):
        other.load_checkpoint(path)


def test_nan_loss_stops_with_epoch_and_step():
    X, y = blobs(64)
    X[40] = np.nan  # sample 40 is in batch 3 (batch size 16, no shuffling)
    tt.manual_seed(0)
    model = mlp()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), verbose=False)
    before = {k: v.numpy() for k, v in model.state_dict().items()}
    loader = DataLoader(TensorDataset(X, y), batch_size=16)
    with pytest.raises(FloatingPointError, match=r"epoch 1, step 3 of 4.*learning rate.*inputs"):
        trainer.fit(loader, 3)
    after = model.state_dict()
    assert not np.array_equal(before["0.weight"], after["0.weight"])  # steps 1 and 2 ran
    assert np.isfinite(after["0.weight"].numpy()).all()  # step 3 did not touch the weights


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # overflow on the way to inf is the point
def test_divergence_from_a_huge_learning_rate_is_reported():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 4)).astype(np.float32) * 10
    y = X @ np.ones((4, 1), np.float32)
    tt.manual_seed(0)
    model = nn.Linear(4, 1)
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=10.0), nn.MSELoss(), verbose=False)
    with pytest.raises(FloatingPointError, match=r"lr=10\.0"):
        trainer.fit(DataLoader(TensorDataset(X, y), batch_size=8), 50)


def grads_of(values):
    ps = []
    for v in values:
        p = nn.Parameter(np.zeros(len(v), np.float32))
        p.grad = tt.Tensor(np.array(v, np.float32))
        ps.append(p)
    return ps


def test_clip_grad_norm_caps_the_joint_norm():
    ps = grads_of([[3.0, 4.0], [12.0]])  # joint norm sqrt(9 + 16 + 144) = 13
    total = clip_grad_norm_(ps, max_norm=1.0)
    assert isinstance(total, tt.Tensor) and total.item() == pytest.approx(13.0)
    np.testing.assert_allclose(ps[0].grad.data, np.array([3, 4]) / 13, rtol=1e-5)  # direction kept
    np.testing.assert_allclose(ps[1].grad.data, [12 / 13], rtol=1e-5)
    ps = grads_of([[0.3, 0.4]])
    assert clip_grad_norm_(ps, max_norm=1.0).item() == pytest.approx(0.5)
    np.testing.assert_array_equal(ps[0].grad.data, np.array([0.3, 0.4], np.float32))  # below the cap: untouched
    ps = grads_of([[3.0, -7.0], [5.0]])
    assert clip_grad_norm_(ps, 3.5, norm_type=math.inf).item() == pytest.approx(7.0)
    np.testing.assert_allclose(ps[0].grad.data, [1.5, -3.5], rtol=1e-5)


def test_clip_grad_norm_matches_pytorch(torch):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in [(4, 3), (3,), (2, 5)]]
    for max_norm, norm_type in [(0.5, 2.0), (100.0, 2.0), (0.5, 1.0), (0.5, math.inf)]:
        ps = grads_of([a.ravel() for a in arrays])
        tps = [torch.zeros(a.size, requires_grad=True) for a in arrays]
        for p, a in zip(tps, arrays, strict=True):
            p.grad = torch.tensor(a.ravel())
        ours = clip_grad_norm_(ps, max_norm, norm_type).item()
        theirs = torch.nn.utils.clip_grad_norm_(tps, max_norm, norm_type).item()
        assert ours == pytest.approx(theirs, rel=1e-6)
        for p, tp in zip(ps, tps, strict=True):
            np.testing.assert_allclose(p.grad.data, tp.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_trainer_clips_every_step():
    tt.manual_seed(0)
    model = mlp()
    trainer = Trainer(
        model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), clip_grad_norm=0.01, verbose=False
    )
    trainer.fit(loaders()[0], 1)
    # the gradients of the last step are still on the parameters, after clipping
    norm = math.sqrt(sum(float((p.grad.data**2).sum()) for p in model.parameters()))
    assert 0.009 < norm <= 0.01 * (1 + 1e-4)


def test_one_compact_line_per_epoch(capsys):
    tt.manual_seed(0)
    model = mlp()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss())
    train, val = loaders()
    trainer.fit(train, 2, val_loader=val)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("epoch 1/2") and "val_acc" in lines[0] and "loss" in lines[0]
    trainer.fit(train, 1)  # numbering continues
    assert capsys.readouterr().out.startswith("epoch 3/3")


def test_custom_metric_and_binary_accuracy():
    assert accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1])) == 0.5
    assert accuracy(np.array([0.7, 0.2, 0.6]), np.array([1.0, 0.0, 0.0])) == pytest.approx(2 / 3)
    assert accuracy(np.array([1.5, -2.0]), np.array([1.0, 1.0]), threshold=0.0) == 0.5

    def top_score(out, y):
        return float(out.max(axis=1).mean())

    tt.manual_seed(0)
    model = mlp()
    trainer = Trainer(model, optim.SGD(model.parameters(), lr=0.1), nn.CrossEntropyLoss(), verbose=False)
    train, val = loaders()
    history = trainer.fit(train, 1, val_loader=val, metrics=("accuracy", top_score))
    assert "val_top_score" in history and "train_top_score" in history
    with pytest.raises(ValueError, match="unknown metric"):
        trainer.fit(train, 1, metrics=("f1",))


def test_accuracy_reads_n_by_1_scores_as_binary_and_names_mismatched_shapes():
    from tinytorch.training import accuracy

    assert accuracy(np.array([[0.9], [0.2], [0.7], [0.1]]), np.array([1, 0, 1, 0])) == 1.0
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(5,\)"):
        accuracy(np.zeros((4, 3)), np.zeros(5, int))
