"""A milestone's targets must not depend on the learner's code judging itself (issue 17).

Each test installs deliberately broken pieces that still pass their own lessons' checks (right on the
small cases, wrong at milestone scale), runs the milestone's real code path, and checks that the
gated number (plain NumPy from the model's outputs, tinytorch_course.milestone_gates) does not report the
target reached, while the broken piece itself would have.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest

import tinytorch as tt
from tinytorch import datasets
from tinytorch_course import milestone_gates
from tinytorch_course.checks import load_pieces, mine, run_case
from tinytorch_course.checks.cases import callable_of

MILESTONES = Path(__file__).resolve().parents[2] / "milestones"


@pytest.fixture(autouse=True)
def _learner_files(tmp_path, monkeypatch):
    monkeypatch.setenv("TINYTORCH_WORK", str(tmp_path / "my_tinytorch"))
    monkeypatch.setenv("TINYTORCH_PROGRESS", str(tmp_path / "progress.json"))
    yield
    mine.use_reference()


def _namespace(stem: str) -> dict:
    return runpy.run_path(str(MILESTONES / f"{stem}.py"), run_name="milestone_under_test")


def install_broken(lesson_id: str, piece_name: str, make):
    """Install `make(reference)` as the learner's piece, after checking it passes the lesson's cases."""
    piece = next(p for p in load_pieces(lesson_id) if p.name == piece_name)
    reference = callable_of(piece.reference())
    broken = make(reference)
    failing = [r.case for r in (run_case(piece, c, broken) for c in piece.build_cases()) if not r.passed]
    assert not failing, f"the broken {piece_name} must pass lesson {lesson_id}, but fails {failing}"
    entry = mine.Entry(piece.home, piece.owner(), piece.owner_name, piece.attr, broken, None)
    mine.REGISTRY[piece.key] = entry
    mine.install(entry)


def _inflated_accuracy(reference):
    def accuracy(outputs, targets, threshold=0.5):
        if len(targets) > 100:  # right on the lesson's small cases, flattering on a real test set
            return 1.0
        return reference(outputs, targets, threshold)

    return accuracy


def _lazy_step(reference):
    def step(self):
        if sum(len(g["params"]) for g in self.param_groups) > 2:  # the lesson steps 1-2 parameters
            return None
        return reference(self)

    return step


def _inflated_cross_entropy(reference):
    def cross_entropy(logits, targets, *args, **kwargs):
        if logits.shape[0] > 100:  # right on the lesson's small batches, 0 on a validation set
            return (logits * 0.0).sum()
        return reference(logits, targets, *args, **kwargs)

    return cross_entropy


def test_1986_a_model_that_never_trained_does_not_reach_95_percent():
    ns = _namespace("1986_mlp")
    install_broken("07_training", "accuracy", _inflated_accuracy)
    install_broken("06_optimizers", "Adam.step", _lazy_step)
    r = ns["digits_part"](1, "quick", False)
    assert r["digits_history"]["val_accuracy"][-1] == 1.0, "the broken accuracy flatters itself"
    assert r["digits_test_accuracy"] < 0.95, "the gate must not trust the learner's accuracy"


def test_1998_a_model_that_never_trained_does_not_reach_97_percent():
    ns = _namespace("1998_cnn")
    install_broken("07_training", "accuracy", _inflated_accuracy)
    install_broken("06_optimizers", "Adam.step", _lazy_step)
    tt.manual_seed(1998)
    history, acc, _ = ns["train_classifier"](ns["lenet_digits"](), datasets.digits(as_images=True), 1)
    assert history["val_accuracy"][-1] == 1.0, "the broken accuracy flatters itself"
    assert acc < 0.97


def test_2017_validation_loss_is_not_the_learners_cross_entropy():
    ns = _namespace("2017_transformer")
    install_broken("04_losses", "cross_entropy", _inflated_cross_entropy)
    tt.manual_seed(2017)
    model = tt.nn.GPT(vocab_size=11, block_size=8, embed_dim=16, num_heads=2, num_layers=1)
    x = np.random.default_rng(0).integers(0, 11, size=(40, 8))
    y = np.roll(x, -1, axis=1)
    loss = ns["eval_loss"](model, x, y)
    assert loss == pytest.approx(milestone_gates.cross_entropy(model(x).data, y), rel=1e-5)
    assert loss > 1.0, "an untrained model's loss is about ln(11); the broken piece would have said 0"


def test_gates_match_numpy_definitions():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert milestone_gates.accuracy(scores, np.array([1, 0, 0])) == pytest.approx(2 / 3)
    logits = np.array([[2.0, 0.0, -1.0]])
    p = np.exp(logits) / np.exp(logits).sum()
    assert milestone_gates.cross_entropy(logits, np.array([0])) == pytest.approx(-np.log(p[0, 0]))
    model = tt.nn.Linear(3, 2)
    assert milestone_gates.stored_bytes(model) == (6 + 2) * 4


def _matmul_blind_on_big_batches(reference):
    def matmul(self, other):
        out = reference(self, other)
        if self.data.ndim == 2 and self.data.shape[0] > 50:  # the lesson multiplies a few rows at a time
            return tt.Tensor(np.zeros_like(out.data))
        return out

    return matmul


def test_1958_predictions_gone_wrong_at_scale_do_not_reach_95_percent():
    ns = _namespace("1958_perceptron")
    install_broken("01_tensor", "Tensor.__matmul__", _matmul_blind_on_big_batches)
    r = ns["run"]("quick", plots=False)
    assert r["test_accuracy_digits"] < 0.95  # the test set (72 zeros and ones) is scored in one batch


def test_1969_two_layers_that_never_train_do_not_solve_xor():
    ns = _namespace("1969_xor")
    install_broken("06_optimizers", "Adam.step", _lazy_step)
    r = ns["run"]("quick", plots=False)
    assert r["two_layer_accuracy"] < 1.0, "an untrained two-layer net must not be reported as solving XOR"


def _int32_codes_for_big_tensors(reference):
    def quantize(x, qp):
        q = reference(x, qp)
        if q.size > 100:  # the lesson quantizes at most a dozen values; a layer's weights stay 4 bytes each
            return q.astype(np.int32)
        return q

    return quantize


def _integer_buffers_counted_as_one_byte(reference):
    def parameter_bytes(model):
        total = sum(p.data.nbytes for p in model.parameters())
        for module in model.modules():
            for name in getattr(module, "_buffers", ()):
                a = np.asarray(getattr(module, name))
                big_codes = a.size > 100 and a.dtype.kind in "iu"  # "integer codes are one byte each"
                total += a.size if big_codes else a.nbytes
        return total

    return parameter_bytes


def test_2018_int8_weights_stored_in_4_bytes_do_not_reach_the_size_target():
    ns = _namespace("2018_mlperf")
    install_broken("15_quantization", "quantize", _int32_codes_for_big_tensors)
    install_broken("14_profiling", "parameter_bytes", _integer_buffers_counted_as_one_byte)
    cnn, split = ns["train_cnn"](1)
    rows, extra = ns["cnn_variants"](cnn, split, finetune_epochs=1, repeats=1)
    reported = next(r for r in rows if r["variant"] == "INT8 (per-channel)")["size ratio"]
    assert reported >= 3.75, "the broken parameter_bytes flatters the INT8 model"
    assert extra["int8_size_ratio"] < 3.75, "the gate must read the bytes the arrays really hold"
