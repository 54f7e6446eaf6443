"""Every lesson's check cases, natively: the package's reference passes each case, a stub fails each.

These are the same cases the notebooks run against the learner's code; here they grade the
package itself (so a case that the reference fails is a bug in the case or in the package), and a
case that a `NotImplementedError` stub passes would be vacuous.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from tinytorch_course.checks import load_pieces, run_case
from tinytorch_course.checks.cases import callable_of
from tinytorch_course.registry import LESSONS

REPO = Path(__file__).resolve().parents[2]


def _case_file(item):
    try:
        return importlib.import_module(f"tinytorch_course.checks.lesson{item.number:02d}")
    except ModuleNotFoundError:
        return None


WRITTEN = [item for item in LESSONS if _case_file(item) is not None]
CASES = [
    pytest.param(item.id, piece, case, id=f"{item.id}-{piece.name}-{case.name}")
    for item in WRITTEN
    for piece in load_pieces(item.id)
    for case in piece.build_cases()
]


@pytest.mark.parametrize("lesson_id, piece, case", CASES)
def test_reference_passes(lesson_id, piece, case):
    result = run_case(piece, case, callable_of(piece.reference()))
    assert result.passed, f"{lesson_id} {piece.name} / {case.name}: {result.message}"


def _stub(*args, **kwargs):
    raise NotImplementedError("TODO")


@pytest.mark.parametrize("lesson_id, piece, case", CASES)
def test_stub_fails_with_a_message(lesson_id, piece, case):
    result = run_case(piece, case, _stub)
    assert not result.passed and result.message, f"{lesson_id} {piece.name} / {case.name} passes against a stub"


def test_some_lesson_has_checks():
    assert WRITTEN and CASES, "no tinytorch_course/checks/lessonNN.py found"


@pytest.mark.parametrize("item", WRITTEN, ids=[i.id for i in WRITTEN])
def test_case_file_has_a_lesson_source_and_sound_pieces(item):
    assert (REPO / "lessons" / f"{item.id}.py").exists(), f"lessons/{item.id}.py is missing for its check file"
    pieces = load_pieces(item.id)
    names = [p.name for p in pieces]
    assert len(names) == len(set(names)), f"repeated pieces in lesson{item.number:02d}.py: {names}"
    for piece in pieces:
        assert piece.todo.strip(), f"{piece.key} needs a `todo` (the stub's message)"
        assert piece.build_cases(), f"{piece.key} has no cases"
        piece.reference()  # raises LookupError naming the piece if the package lacks it
