"""Each milestone runs in its reduced ("quick") mode and must reach its historical target."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

MILESTONES = Path(__file__).resolve().parents[2] / "milestones"


@pytest.fixture(autouse=True)
def _learner_files(tmp_path, monkeypatch):
    """Milestones switch on the learner's saved work and record progress: keep both in a temp folder."""
    monkeypatch.setenv("TINYTORCH_WORK", str(tmp_path / "my_tinytorch"))
    monkeypatch.setenv("TINYTORCH_PROGRESS", str(tmp_path / "progress.json"))


def run_milestone(stem: str) -> dict:
    path = MILESTONES / f"{stem}.py"
    namespace = runpy.run_path(str(path), run_name="milestone_under_test")
    return namespace["run"]("quick", plots=False)


def test_1958_perceptron_converges():
    r = run_milestone("1958_perceptron")
    assert r["converged_2d"] and r["test_accuracy_2d"] >= 0.95
    assert r["converged_digits"] and r["test_accuracy_digits"] >= 0.95


def test_1969_xor_one_layer_fails_two_layers_solve_it():
    r = run_milestone("1969_xor")
    assert r["perceptron_last_epoch_mistakes"] > 0
    assert r["single_layer_accuracy"] <= 0.75
    assert r["two_layer_accuracy"] == 1.0


@pytest.mark.slow
def test_1986_mlp_digits():
    r = run_milestone("1986_mlp")
    assert r["digits_test_accuracy"] >= 0.95
    assert r["mnist_test_accuracy"] >= 0.85  # 2 quick epochs on the 28x28 MNIST subset


@pytest.mark.slow
def test_1998_cnn_digits():
    r = run_milestone("1998_cnn")
    assert r["cnn_test_accuracy"] >= 0.97
    assert r["cnn_parameters"] > 0 and r["mlp_parameters"] > 0
    assert r["cnn_flops"] > r["mlp_flops"] > 0  # weight sharing: each CNN weight is used many times


@pytest.mark.slow
def test_2017_transformer():
    r = run_milestone("2017_transformer")
    assert r["synthetic_exact_match"] >= 0.95
    assert r["text_val_loss"] < r["text_initial_loss"]
    assert r["text_val_loss"] < r["text_unigram_loss"]


@pytest.mark.slow
def test_2018_mlperf():
    r = run_milestone("2018_mlperf")
    # every weight 1 byte instead of 4; biases and per-channel scales stay float32 (see the README)
    assert r["int8_weight_ratio"] == 4.0 and r["int8_size_ratio"] >= 3.75 and r["int8_meets_quality"]
    assert r[
        "kv_cache_same_tokens"
    ]  # the speed-up is a timing: printed by the milestone and `make bench`, not asserted
    assert len(r["table"]) >= 6
    assert all(row["accuracy %"] is not None for row in r["table"])
