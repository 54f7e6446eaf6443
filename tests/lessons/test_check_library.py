"""The check library itself: reports, robustness against the learner's code, gradient cases, hints,
progress, and the learner's code flowing on (install, save, use_my_work)."""

from __future__ import annotations

import json
import sys
import types

import numpy as np
import pytest

from tinytorch.tensor import Tensor, _shape_error
from tinytorch_course.checks import (
    Case,
    Lesson,
    Piece,
    Raises,
    grad_case,
    implement,
    mine,
    run_case,
    use_my_work,
    use_reference,
)
from tinytorch_course.checks.compare import describe, mismatch

REFERENCE_ADD = Tensor.__dict__["__add__"]


def piece(cases, name="Tensor.__add__"):
    return Piece(name, lambda: cases, todo="add", home="tinytorch.tensor")


# ---- comparing ----------------------------------------------------------------------------------
def test_mismatch_names_shape_nan_value_type_and_none():
    exp = np.zeros((2, 3), np.float32)
    assert mismatch(Tensor(np.zeros(3)), exp) == "shape (3,), expected shape (2, 3)"
    nan = np.zeros((2, 3))
    nan[1, 2] = np.nan
    assert "NaN at index (1, 2)" in mismatch(nan, exp)
    off = np.zeros((2, 3))
    off[0, 1] = 5
    assert mismatch(off, exp) == "value at index (0, 1) is 5, expected 0 (1 of 6 elements differ)"
    assert "returned None" in mismatch(None, exp)
    assert "expected a Tensor, got a ndarray" in mismatch(exp, exp, returns=Tensor)
    assert "dtype float64, expected float32" in mismatch(np.zeros((2, 3)), exp, dtype=np.float32)
    assert mismatch(Tensor(exp), exp, returns=Tensor, dtype=np.float32) is None
    assert mismatch((exp, 1.0), (exp, 2.0)) == "[1]: value at index () is 1, expected 2 (1 of 1 element differ)"


def test_describe_is_one_short_line():
    text = describe(Tensor(np.arange(1000.0)))
    assert text.startswith("Tensor (1000,) float32 [") and "..." in text and "\n" not in text and len(text) < 120


# ---- running a case against the learner's code never crashes ----------------------------------------
@pytest.mark.parametrize(
    "impl, needle",
    [
        (lambda a, b: 1 / 0, "ZeroDivisionError: division by zero"),
        (lambda a, b: None, "returned None"),
        (lambda a, b: Tensor(np.full((2, 2), np.nan)), "NaN at index (0, 0)"),
        (lambda a, b: Tensor(np.zeros(4)), "shape (4,), expected shape (2, 2)"),
        (lambda a, b: object(), "expected a Tensor, got a object"),
        (lambda a, b: sys.setrecursionlimit(100) or (_ for _ in ()).throw(RecursionError("deep")), "RecursionError"),
    ],
)
def test_learner_failures_are_failing_cases_with_messages(impl, needle):
    limit = sys.getrecursionlimit()
    case = Case("ones + ones", (Tensor(np.ones((2, 2))), Tensor(np.ones((2, 2)))), np.full((2, 2), 2.0), returns=Tensor)
    try:
        result = run_case(piece([case]), case, impl)
    finally:
        sys.setrecursionlimit(limit)
    assert not result.passed and needle in result.message


def test_raises_requires_the_error_and_the_names_in_its_message():
    case = Case("(2, 3) + (4,)", (Tensor(np.ones((2, 3))), Tensor(np.ones(4))), Raises(ValueError, "(2, 3)", "(4,)"))
    p = piece([case])
    assert run_case(p, case, REFERENCE_ADD).passed

    def raw_numpy(a, b):
        return Tensor(a.data + b.data)

    result = run_case(p, case, raw_numpy)
    assert not result.passed and "does not name (2, 3)" in result.message

    def silent(a, b):
        return Tensor(np.zeros(1))

    assert (
        "no error was raised" in run_case(p, case, silent).message
        or "but it returned" in run_case(p, case, silent).message
    )


def test_where_points_at_the_learners_line():
    def add(self, other):
        data = self.data + undefined_name  # noqa: F821
        return data

    case = Case("x + x", (Tensor([1.0]), Tensor([1.0])), np.array([2.0]))
    result = run_case(piece([case]), case, add)
    assert "NameError" in result.message and "undefined_name" in result.where and "of add" in result.where


# ---- gradient cases ------------------------------------------------------------------------------
def _mul(a, b):
    return a * b


def test_grad_case_passes_a_correct_backward_and_names_the_first_wrong_element():
    x, y = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.5, -1.0], [2.0, 1.5]])
    case = grad_case("d(x*y)", lambda mul, a, b: mul(a, b), x, y)
    p = piece([case], "Tensor.__mul__")
    assert run_case(p, case, _mul).passed

    def wrong_mul(a, b):  # gradient for b is wrong at [1, 0] only
        def backward(g):
            gb = g * a.data
            gb[1, 0] *= 3
            return g * b.data, gb

        return Tensor._op(a.data * b.data, (a, b), backward, "mul")

    result = run_case(p, case, wrong_mul)
    assert not result.passed and "d/dy[1, 0]" in result.message and "1 of 4" in result.message

    def no_backward(a, b):
        return Tensor._op(a.data * b.data, (a, b), None, "mul")

    result = run_case(p, case, no_backward)
    assert not result.passed and "x.grad is None" in result.message


# ---- a lesson in a notebook: implement, check, hint, install, save, progress ------------------------------
def test_lesson_grades_the_learners_code_and_it_flows_on(learner_files, capsys):
    lesson = Lesson("01_tensor")
    lesson.check("Tensor.__add__")
    out = capsys.readouterr().out
    assert "not defined yet" in out and "@implement(Tensor)" in out

    @implement(Tensor)
    class _:  # the name does not matter; the methods do
        def __add__(self, other):
            raise NotImplementedError("TODO: add")

    assert Tensor.__add__ is REFERENCE_ADD, "registering must not install a stub"
    lesson.check("Tensor.__add__")
    out = capsys.readouterr().out
    assert "0 of 5 checks pass: not written yet" in out and "✗ broadcast a row" in out and "Stuck?" in out

    lesson.hint()
    lesson.hint()
    out = capsys.readouterr().out
    assert "hint 1 of 3" in out and "hint 2 of 3" in out and "hint 3 of 3" not in out

    @implement(Tensor)
    class Tensor_:
        def __add__(self, other):
            o = other.data if isinstance(other, Tensor) else other
            try:
                data = self.data + o
            except ValueError as e:
                raise _shape_error("add", self.data, o, e) from None
            return Tensor._op(data, (self,), None, "add")

    lesson.check("Tensor.__add__")
    out = capsys.readouterr().out
    assert "✓ Tensor.__add__" in out and "all 5 checks pass" in out
    mine_add = Tensor.__dict__["__add__"]
    assert mine_add is not REFERENCE_ADD and Tensor.__dict__["__radd__"] is mine_add  # installed, alias too
    assert (Tensor([1.0]) + 1).tolist() == [2.0]

    saved = (learner_files / "my_tinytorch" / "01_tensor.py").read_text()
    assert "# %% piece tinytorch.tensor:Tensor.__add__" in saved and "raise _shape_error" in saved
    record = json.loads((learner_files / "progress.json").read_text())["progress"]["01_tensor"]
    assert record["passed"] == 5 and record["total"] == lesson.total == sum(len(p.build_cases()) for p in lesson.pieces)

    use_reference()
    assert Tensor.__dict__["__add__"] is REFERENCE_ADD and Tensor.__dict__["__radd__"] is REFERENCE_ADD
    keys = use_my_work(before=2)  # lesson 05 revisits __add__: only lessons before it use this block
    loaded = Tensor.__dict__["__add__"]
    assert keys == ["tinytorch.tensor:Tensor.__add__"] and loaded is not REFERENCE_ADD
    assert loaded.__globals__ is vars(sys.modules["tinytorch.tensor"]), "saved code runs in its home module"
    assert (2 + Tensor([1.0])).tolist() == [3.0]
    assert use_my_work(before=1) == []

    @implement(Tensor)
    class Broken:
        def __add__(self, other):
            return self

    lesson.check("Tensor.__add__")
    assert Tensor.__dict__["__add__"] is REFERENCE_ADD, "a failing piece goes back to the reference"
    assert "Tensor.__add__" not in (learner_files / "my_tinytorch" / "01_tensor.py").read_text()


def test_a_piece_that_is_the_reference_fails(capsys):
    lesson = Lesson("01_tensor")
    implement("tinytorch.tensor")(sys.modules["tinytorch.tensor"]._to_array)
    lesson.check("_to_array")
    assert "tinytorch's own reference, not your code" in capsys.readouterr().out


def test_module_functions_are_installed_where_other_modules_imported_them(learner_files):
    home = types.ModuleType("tinytorch._fake_home")
    user = types.ModuleType("tinytorch._fake_user")
    exec("def helper(x):\n    return x + 1\n", vars(home))
    user.helper = home.helper
    sys.modules[home.__name__], sys.modules[user.__name__] = home, user
    try:

        @implement(home.__name__)
        def helper(x):
            return x + 2

        mine.install(mine.REGISTRY["tinytorch._fake_home:helper"])
        assert home.helper(0) == 2 and user.helper(0) == 2
        mine.uninstall("tinytorch._fake_home:helper")
        assert home.helper(0) == 1 and user.helper(0) == 1
    finally:
        del sys.modules[home.__name__], sys.modules[user.__name__]


def test_super_works_inside_an_implement_block():
    class Base:
        def describe(self):
            return "base"

    class Child(Base):
        def describe(self):
            return "child of " + super().describe()

    @implement(Child)
    class Child_:
        def describe(self):
            return "my child of " + super().describe()

    entry = mine.REGISTRY[f"{Child.__module__}:{Child.__qualname__}.describe"]
    mine.install(entry)
    assert Child().describe() == "my child of base"


def test_helpers_in_an_implement_block_are_added_and_saved(learner_files):
    @implement(Tensor)
    class _:
        def _my_operand(self, other):
            return other.data if isinstance(other, Tensor) else other

        def __add__(self, other):
            o = self._my_operand(other)
            try:
                data = self.data + o
            except ValueError as e:
                raise _shape_error("add", self.data, o, e) from None
            return Tensor._op(data, (self,), None, "add")

    assert Tensor([1.0])._my_operand(3) == 3, "a new helper method is added at once"
    assert all(r.passed for r in Lesson("01_tensor").run("Tensor.__add__"))
    text = (learner_files / "my_tinytorch" / "01_tensor.py").read_text()
    assert "# %% piece tinytorch.tensor:Tensor._my_operand (helper)" in text and "def _my_operand" in text


def test_use_my_work_skips_a_piece_a_later_lesson_revisits(learner_files, monkeypatch, capsys):
    folder = learner_files / "my_tinytorch"
    folder.mkdir()
    (folder / "01_tensor.py").write_text(
        "# %% piece tinytorch.tensor:Tensor.__add__ (test)\n@implement(Tensor)\nclass Tensor:\n"
        "    def __add__(self, other):\n        return 'mine'\n"
    )
    monkeypatch.setattr(mine, "_declaring_lessons", lambda: {"tinytorch.tensor:Tensor.__add__": [1, 5]})
    monkeypatch.setattr(
        "tinytorch_course.checks.runner._fails_its_checks", lambda key, lesson_id: None
    )  # it fails them
    assert use_my_work() == [] and "lesson 05 revisits it" in capsys.readouterr().out
    assert Tensor.__dict__["__add__"] is REFERENCE_ADD
    assert use_my_work(before=3) == ["tinytorch.tensor:Tensor.__add__"]
    assert Tensor([1.0]) + 1 == "mine"


def test_a_broken_saved_block_is_reported_not_raised(learner_files, capsys):
    folder = learner_files / "my_tinytorch"
    folder.mkdir()
    (folder / "01_tensor.py").write_text("# %% piece tinytorch.tensor:Tensor.__add__ (test)\ndef (:\n")
    assert use_my_work(before=2) == []
    assert "Could not use your saved tinytorch.tensor:Tensor.__add__: SyntaxError" in capsys.readouterr().out


def test_progress_is_optional(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tinytorch_course.progress", None)  # import fails: no progress module
    Lesson("01_tensor").check("Tensor.sum")
    assert "Tensor.sum" in capsys.readouterr().out
