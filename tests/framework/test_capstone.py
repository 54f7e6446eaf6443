"""Module 20: the budget logic, the end-to-end flow's report, and (slow) the full digits run."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.systems.capstone import Budget, digits_cnn, digits_mlp, optimize_under_budget


def test_budget_allows_only_rows_within_every_constraint():
    row = {"accuracy %": 97.0, "size": 1000, "median ms": 2.0}
    assert Budget(1.0).allows(row, baseline_accuracy=98.0)
    assert not Budget(0.5).allows(row, baseline_accuracy=98.0)
    assert not Budget(1.0, max_size_bytes=999).allows(row, 98.0)
    assert not Budget(1.0, max_latency_ms=1.5).allows(row, 98.0)
    assert Budget(1.0, max_size_bytes=1000, max_latency_ms=2.0).allows(row, 98.0)


def test_model_templates_shapes():
    assert digits_mlp()(tt.randn(3, 64)).shape == (3, 10)
    assert digits_cnn()(tt.randn(3, 1, 8, 8)).shape == (3, 10)


def _small_digits():
    from tinytorch.datasets import digits

    X_train, y_train, X_test, y_test = digits()
    return X_train[:300], y_train[:300], X_test[:100], y_test[:100]


def test_optimize_under_budget_reports_every_variant_and_picks_the_smallest_allowed(capsys):
    report = optimize_under_budget(
        data=_small_digits(), budget=Budget(5.0), train_epochs=3, finetune_epochs=1, batch_size=32, verbose=True
    )
    progress = capsys.readouterr().out
    assert "[1/6]" in progress and "[6/6]" in progress  # long work shows progress
    names = report.table.column("model")
    assert names[0] == "float32 (baseline)" and "int8" in names and "channels -50%" in names
    assert any(n.startswith("student") for n in names)
    rows = {r["model"]: r for r in report.table.rows}
    base = rows["float32 (baseline)"]
    assert base["size ratio"] == 1.0 and base["within budget"]
    assert rows["int8"]["size"] < base["size"] / 3.5
    assert rows["pruned 80% (zeros)"]["nonzeros"] < 0.3 * base["nonzeros"]
    assert rows["channels -50%"]["size"] < base["size"]
    allowed = [r for r in report.table.rows if r["within budget"]]
    assert report.chosen == min(allowed, key=lambda r: (r["size"], r["median ms"]))["model"]
    assert report.model is report.models[report.chosen]
    assert all(r["within budget"] == (r["accuracy %"] >= base["accuracy %"] - 5.0) for r in report.table.rows)
    text = repr(report)
    assert "chosen:" in text and "accuracy %" in text
    assert report.profile.rows[-1]["layer"] == "total"


def test_an_impossible_budget_chooses_nothing():
    report = optimize_under_budget(
        data=_small_digits(),
        budget=Budget(5.0, max_size_bytes=10),
        train_epochs=1,
        finetune_epochs=1,
        batch_size=16,
        verbose=False,
    )
    assert report.chosen is None and report.model is None
    assert "no candidate meets the budget" in repr(report)


@pytest.mark.slow
def test_full_digits_run_finds_a_model_4x_smaller_within_one_point():
    report = optimize_under_budget(budget=Budget(1.0), verbose=False)
    chosen = report.row(report.chosen)
    base = report.row("float32 (baseline)")
    assert base["accuracy %"] >= 95
    assert chosen["accuracy %"] >= base["accuracy %"] - 1.0
    assert chosen["size ratio"] >= 4.0
    assert np.isfinite(chosen["median ms"])
