"""The learner's code never kills the kernel or hangs a check, and the check's words are honest (issue 12).

Natively (here) and in the browser (tests/browser/test_learner_loop.py): a piece that hands its work
back to tinytorch fails by name, an endless loop is stopped by the case's time budget, a failed cell is
reported as failed, the saved file and the summary say things once, and the marks are plain text.
"""

from __future__ import annotations

import sys
import time
import types

import numpy as np
import pytest

from tinytorch.tensor import Tensor, _shape_error
from tinytorch_course.checks import Lesson, cell_failures, implement, mine, recursion
from tinytorch_course.checks.time_budget import CaseTimeout, budget_seconds, case_budget

REFERENCE_ADD = Tensor.__dict__["__add__"]


@pytest.fixture(autouse=True)
def _clean_cell_failures():
    cell_failures.FAILED.clear()
    yield
    cell_failures.FAILED.clear()


# ---- item 1: delegating to the package ------------------------------------------------------------------
def test_a_piece_that_calls_itself_through_its_operator_fails_by_name_and_is_not_saved(learner_files, capsys):
    lesson = Lesson("01_tensor")

    @implement(Tensor)
    class _:
        def __add__(self, other):
            return self + other

    lesson.check("Tensor.__add__")
    out = capsys.readouterr().out
    assert "0 of 5 checks pass" in out, out
    assert "calls itself again through `+`" in out and "return self + other" in out, out
    assert Tensor.__dict__["__add__"] is REFERENCE_ADD, "a failing piece must not stay installed"
    assert (Tensor([1.0]) + Tensor([2.0])).tolist() == [3.0], "the kernel's `+` still works"
    saved = learner_files / "my_tinytorch" / "01_tensor.py"
    assert not saved.exists() or "Tensor.__add__" not in saved.read_text()


def test_during_its_check_the_package_runs_the_learners_piece(learner_files, capsys):
    seen = []

    @implement(Tensor)
    class _:
        def __add__(self, other):
            seen.append(Tensor.__dict__["__add__"] is not REFERENCE_ADD)
            o = other.data if isinstance(other, Tensor) else other
            try:
                data = self.data + o
            except ValueError as e:
                raise _shape_error("add", self.data, o, e) from None
            return Tensor._op(data, (self,), None, "add")

    Lesson("01_tensor").check("Tensor.__add__")
    assert seen and all(seen), "while checked, Tensor.__add__ must be the learner's"


def test_the_browser_recursion_limit_is_below_the_workers_stack(monkeypatch):
    monkeypatch.setattr(sys, "platform", "emscripten")
    limit = sys.getrecursionlimit()
    try:
        recursion.keep_below_browser_stack()
        assert sys.getrecursionlimit() == recursion.BROWSER_LIMIT
    finally:
        sys.setrecursionlimit(limit)


# ---- item 2: endless loops ----------------------------------------------------------------------------------
def test_an_endless_loop_in_a_piece_is_stopped_by_the_case_budget(learner_files, capsys, monkeypatch):
    monkeypatch.setenv("TINYTORCH_CASE_SECONDS", "0.3")

    @implement(Tensor)
    class _:
        def __add__(self, other):
            while True:
                try:
                    pass
                except Exception:  # a learner's catch-all must not swallow the budget
                    pass

    t0 = time.monotonic()
    Lesson("01_tensor").check("Tensor.__add__")
    elapsed = time.monotonic() - t0
    out = capsys.readouterr().out
    assert "ran more than 0.3 s: an infinite loop?" in out, out
    assert "0 of 5 checks pass" in out
    assert elapsed < 30, f"5 cases of 0.3 s took {elapsed:.0f} s"
    assert sys.gettrace() is None, "the budget's watcher is removed afterwards"
    assert Tensor.__dict__["__add__"] is REFERENCE_ADD


def test_case_budget_leaves_quick_code_alone_and_reads_its_setting(monkeypatch):
    with case_budget(5):
        assert sum(range(1000)) == 499500
    monkeypatch.setenv("TINYTORCH_CASE_SECONDS", "2.5")
    assert budget_seconds() == 2.5
    monkeypatch.setenv("TINYTORCH_CASE_SECONDS", "soon")
    with pytest.raises(ValueError, match="TINYTORCH_CASE_SECONDS must be a number"):
        budget_seconds()
    with pytest.raises(CaseTimeout, match="more than 0.05 s"), case_budget(0.05):
        _spin()


def _spin():
    while True:
        pass


# ---- item 9: honest, readable feedback ------------------------------------------------------------------
def _cell_result(source: str, error: BaseException | None):
    return types.SimpleNamespace(
        info=types.SimpleNamespace(raw_cell=source), error_before_exec=error, error_in_exec=None
    )


def test_a_failed_cell_is_reported_as_failed_not_as_not_run(learner_files, capsys):
    source = "@implement(Tensor)\nclass Tensor:\n    def __mul__(self, other)\n        return self\n"
    error = SyntaxError("expected ':'", ("<cell>", 3, 28, "    def __mul__(self, other)\n"))
    cell_failures.after_cell(_cell_result(source, error))
    lesson = Lesson("01_tensor")
    lesson.check("Tensor.__mul__")
    out = capsys.readouterr().out
    assert "its code cell failed (SyntaxError: expected ':' (line 3 of the cell))" in out, out
    assert "run its code cell" not in out

    cell_failures.after_cell(_cell_result(source.replace("other)\n", "other):\n"), None))
    lesson.check("Tensor.__mul__")
    assert "not defined yet" in capsys.readouterr().out  # the failure is forgotten once the cell runs


def test_the_saved_file_has_one_implement_line_per_block(learner_files):
    @implement("tinytorch.tensor")
    def _to_array(data, dtype=None):
        from tinytorch.tensor import _DEFAULT_FLOAT

        if isinstance(data, Tensor):
            data = data.data
        arr = np.asarray(data)
        if dtype is not None:
            return arr.astype(dtype)
        return arr.astype(_DEFAULT_FLOAT) if arr.dtype.kind == "f" else arr

    entry = mine.REGISTRY["tinytorch.tensor:_to_array"]
    path = mine.save("01_tensor", [entry], [], [entry.key])
    text = path.read_text()
    assert text.count("@implement(") == 1, text


def test_the_summary_says_saved_once_and_names_the_next_lesson(learner_files, capsys):
    from tinytorch_course.checks.lesson01 import PIECES

    ref = {p.name: p.reference() for p in PIECES}

    def copy_of(fn):  # the reference's behaviour as a learner's function of its own
        return types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)

    for name in ("Tensor.__add__", "Tensor.__mul__"):
        attr = name.split(".")[1]
        mine._register(mine.Entry("tinytorch.tensor", Tensor, "Tensor", attr, copy_of(ref[name]), "def f(): pass\n"))
    Lesson("01_tensor").check()
    out = capsys.readouterr().out
    assert out.count("Saved to ") == 1 and out.count("saved") <= 1, out
    assert "lesson 02 (Activations)" in out
    assert "✓ Tensor.__add__" in out and "✗ Lesson 01" in out
    assert not any(ord(ch) > 0x2FFF for ch in out), "no emoji: they render as empty boxes without an emoji font"


def test_a_milestone_says_how_many_of_its_pieces_are_the_learners(learner_files, capsys):
    from tinytorch_course import milestone

    milestone.start("1958_perceptron")
    Tensor([1.0, 2.0]) + Tensor([3.0, 4.0])
    milestone.finish("1958_perceptron", {"ran": True})
    out = capsys.readouterr().out
    assert "✓ ran" in out
    if sys.version_info >= (3, 12):  # watched: only the pieces that ran are counted
        assert "It ran " in out and "pieces from lesson 01: none of them is your code yet" in out, out
    else:
        assert "Of the 8 pieces from lesson 01: none of them is your code yet" in out, out


def test_the_piece_count_sentence_uses_plurals():
    from tinytorch_course.checks.pieces_ran import PieceUse

    use = PieceUse(1)
    use.ran = {"a": True}
    assert use.sentence(True) == "It ran 1 piece from lesson 01: it is your code."
    use.ran = {"a": True, "b": False, "c": False}
    assert (
        use.sentence(True)
        == "It ran 3 pieces from lesson 01: 1 of them is your code, the other 2 tinytorch's reference."
    )
