"""Run a lesson's cases against the learner's code and print a short, friendly report.

    lesson = Lesson("01_tensor")
    lesson.check("Tensor.__add__")   # one piece: a line per case, details for the failures
    lesson.check()                   # every piece of the lesson, then the total
    lesson.hint()                    # the next hint for the first piece that fails (one at a time)

Whatever the learner's code does (raises, returns None, NaN, the wrong shape), a case fails with a
message; the kernel never crashes. A piece whose cases all pass is switched on in this kernel and
saved to the learner's work folder (see `mine.py`); progress goes to `tinytorch_course.progress`.
"""

from __future__ import annotations

import importlib
import inspect
import json
import os
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import progress
from ..registry import lesson as find_lesson
from . import mine
from .cases import Case, Piece, Raises, callable_of
from .compare import describe, mismatch, raises_mismatch

PASS, FAIL = "✅", "❌"


@dataclass
class Result:
    piece: str
    case: str
    passed: bool
    message: str = ""  # why it failed (one line)
    error: BaseException | None = None
    where: str = ""  # "line 4 of your Tensor.__add__" for an unexpected exception


def load_pieces(lesson_id: str) -> list:
    """The pieces of a lesson, from its case file `tinytorch_course/checks/lessonNN.py`."""
    item = find_lesson(lesson_id)
    module = importlib.import_module(f"tinytorch_course.checks.lesson{item.number:02d}")
    pieces = list(module.PIECES)
    for piece in pieces:
        piece.home = piece.home or module.HOME
    return pieces


def run_case(piece: Piece, case: Case, impl) -> Result:
    """Run one case; every outcome, including the learner's exceptions, becomes a Result."""
    expected = case.expected
    try:
        with np.errstate(all="ignore"):  # NaN/inf are reported by the comparison, not as warnings
            got = case.run(impl)
    except Exception as err:  # the learner's bug must never crash the notebook
        if isinstance(expected, Raises):
            problem = raises_mismatch(err, expected)
            return Result(piece.name, case.name, problem is None, problem or "", err)
        return Result(piece.name, case.name, False, f"{type(err).__name__}: {err}", err, _where(err))
    try:
        if isinstance(expected, Raises):
            problem = f"expected {expected.describe()}, but it returned {describe(got)}"
        elif not _is_value(expected):
            problem = expected(got)
        else:
            problem = mismatch(got, expected, returns=case.returns, dtype=case.dtype, rtol=case.rtol, atol=case.atol)
    except Exception as err:  # comparing a strange result (a learner's own object) must not crash either
        problem = f"could not compare the result ({type(err).__name__}: {err}): got {describe(got)}"
    return Result(piece.name, case.name, problem is None, problem or "")


def _is_value(expected) -> bool:
    """A value to compare with (array, Tensor, number, tuple, ...) rather than a check function."""
    return not callable(expected) or isinstance(expected, (type, np.ndarray)) or hasattr(expected, "requires_grad")


def _where(err: BaseException) -> str:
    """The last traceback frame outside tinytorch_course.checks: where the learner's code failed."""
    frames = [
        f for f in traceback.extract_tb(err.__traceback__) if "tinytorch/checks" not in f.filename.replace("\\", "/")
    ]
    if not frames:
        return ""
    f = frames[-1]
    text = f"line {f.lineno} of {f.name}"
    if f.line:
        text += f": {f.line.strip()}"
    return text


class Lesson:
    """The checks of one lesson, run from its notebook against the learner's own code."""

    def __init__(self, lesson_id):
        self.info = find_lesson(lesson_id)
        self.id = self.info.id
        self.pieces = load_pieces(self.id)
        self.results: dict = {}  # piece name -> [Result] of its latest run
        self._hints_shown: dict = {}  # piece name -> how many hints were revealed
        self._saved: dict = {}  # piece name -> file its passing code was saved to
        self.total = sum(len(p.build_cases()) for p in self.pieces)

    def __repr__(self):
        return f"Lesson({self.id!r}: {len(self.pieces)} pieces, {self.total} checks)"

    # ---- running --------------------------------------------------------------------------
    def piece(self, name) -> Piece:
        for p in self.pieces:
            if name in (p.name, p.key, p.attr):
                return p
        raise KeyError(
            f"lesson {self.id} has no piece {name!r}; its pieces are: " + ", ".join(p.name for p in self.pieces)
        )

    def implementation(self, piece: Piece):
        """The learner's function for this piece, or a reason why there is none."""
        value = mine.mine(piece.key)
        if value is None:
            how = f"@implement({piece.owner_name})" if piece.owner_name else f"@implement({piece.home!r})"
            return None, f"not defined yet; run its code cell (the one starting with `{how}`) first"
        if value is piece.reference():
            return None, f"{piece.name} is tinytorch's own reference, not your code"
        return callable_of(value), ""

    def run(self, name=None) -> list:
        """Run the checks (of one piece, or all) quietly; returns the Results."""
        chosen = [self.piece(name)] if name is not None else self.pieces
        results = []
        for piece in chosen:
            impl, missing = self.implementation(piece)
            cases = piece.build_cases()
            if impl is None:
                got = [Result(piece.name, c.name, False, missing) for c in cases]
            else:
                got = [run_case(piece, c, impl) for c in cases]
            self.results[piece.name] = got
            results += got
            self._adopt(piece, got)
        self._log(results)
        self._record()
        return results

    def check(self, name=None) -> None:
        """Run the checks and print the report (one piece by name, or the whole lesson)."""
        chosen = [self.piece(name)] if name is not None else self.pieces
        self.run(name)
        print(self.report(chosen))

    def passed(self) -> int:
        return sum(r.passed for rs in self.results.values() for r in rs)

    # ---- the learner's code flows on --------------------------------------------------------
    def _adopt(self, piece: Piece, results: list) -> None:
        """All cases pass: the learner's piece runs from now on and is saved; else the reference."""
        entry = mine.REGISTRY.get(piece.key)
        order = [p.key for p in self.pieces]
        if entry is not None and results and all(r.passed for r in results):
            mine.install(entry)
            self._saved[piece.name] = mine.save(self.id, [entry], [], order) if entry.source else None
        else:
            mine.uninstall(piece.key)
            self._saved[piece.name] = mine.save(self.id, [], [piece.key], order) if entry is not None else None

    # ---- reporting --------------------------------------------------------------------------
    def report(self, pieces) -> str:
        lines = []
        for piece in pieces:
            lines += self._piece_report(piece, detailed=len(pieces) == 1)
        if len(pieces) > 1:
            passed = self.passed()
            mark = PASS if passed == self.total else FAIL
            lines.append(
                f"{mark} Lesson {self.info.number:02d} ({self.info.title}): {passed} of {self.total} checks pass."
            )
            if passed == self.total:
                lines.append(
                    "   All done: your pieces are saved; later lessons run them after "
                    "`tinytorch_course.checks.use_my_work()`."
                )
        return "\n".join(lines)

    def _piece_report(self, piece: Piece, detailed: bool) -> list:
        """A piece's lines: one if it passes or is not written yet; else each case (detailed) or
        the first failure in full (the whole-lesson overview)."""
        results = self.results.get(piece.name, [])
        ok = sum(r.passed for r in results)
        title = f" ({piece.title})" if piece.title else ""
        if results and ok == len(results):
            saved = self._saved.get(piece.name)
            where = (
                f"; saved to {saved} for later lessons"
                if saved
                else "; its source could not be read, so it is not saved for later lessons"
            )
            return [f"{PASS} {piece.name}{title}: all {ok} checks pass. Your code now runs inside tinytorch{where}."]
        header = f"{FAIL} {piece.name}{title}: {ok} of {len(results)} checks pass"
        failed = [r for r in results if not r.passed]
        if (
            all(r.error is None and r.message == failed[0].message for r in failed)
            and "not defined yet" in failed[0].message
        ):
            return [f"{header}: {failed[0].message}."]
        stubbed = all(isinstance(r.error, NotImplementedError) for r in failed)
        if stubbed and not detailed:
            return [f"{header}: not written yet (its stub raises NotImplementedError)."]
        if stubbed:
            lines = [
                f"{header}: not written yet.",
                "   Replace `raise NotImplementedError(...)` in its code cell with your code, run that cell, "
                "then this one. It is checked on:",
            ]
            lines += [f"   {PASS if r.passed else FAIL} {r.case}" for r in results]
            return lines + self._stuck(piece)
        lines = [header + "."]
        cases = {c.name: c for c in piece.build_cases()}
        first = failed[0]
        for r in results:
            if r.passed:
                if detailed:
                    lines.append(f"   {PASS} {r.case}")
            elif r is first:
                lines += self._details(piece, cases.get(r.case), r)
            elif not detailed:
                continue
            elif r.message == first.message:
                lines.append(f"   {FAIL} {r.case}: same problem as above")
            else:
                lines.append(f"   {FAIL} {r.case}: {r.message}")
        if not detailed and len(failed) > 1:
            lines.append(f"   ... and {len(failed) - 1} more failing: lesson.check({piece.name!r}) lists them.")
        return lines + self._stuck(piece)

    def _stuck(self, piece: Piece) -> list:
        n = self._hints_shown.get(piece.name, 0)
        if piece.hints and n < len(piece.hints):
            return [f"   Stuck? lesson.hint({piece.name!r}) shows hint {n + 1} of {len(piece.hints)}."]
        return []

    def _details(self, piece: Piece, case: Case | None, r: Result) -> list:
        lines = [f"   {FAIL} {r.case}"]
        if case is not None:
            lines.append(f"        input     {self._inputs(piece, case)}")
            exp = case.expected
            if isinstance(exp, Raises):
                lines.append(f"        expected  {exp.describe()}")
            elif _is_value(exp):
                text = describe(exp)
                if case.returns is not None and text.startswith("array "):
                    text = case.returns.__name__ + text[len("array") :]
                lines.append(f"        expected  {text}")
        if r.error is not None and not (case is not None and isinstance(case.expected, Raises)):
            lines.append(f"        got       {type(r.error).__name__}: {r.error}")
            if r.where:
                lines.append(f"        where     {r.where}")
        else:
            lines.append(f"        problem   {r.message}")
        hint = self._auto_hint(r, case)
        if hint:
            lines.append(f"        hint      {hint}")
        return lines

    def _inputs(self, piece: Piece, case: Case) -> str:
        if case.show is not None:
            return case.show
        try:
            bound = inspect.signature(callable_of(piece.reference())).bind(*case.args, **case.kwargs)
            pairs = list(bound.arguments.items())
        except (TypeError, ValueError, LookupError):
            pairs = [(f"arg{i}", a) for i, a in enumerate(case.args)] + list(case.kwargs.items())
        parts = []
        for name, value in pairs:
            if isinstance(value, dict) and name not in case.kwargs:  # **kwargs collected by bind
                parts += [f"{k} = {describe(v)}" for k, v in value.items()]
            else:
                parts.append(f"{name} = {describe(value)}")
        return "\n                  ".join(parts) or "(none)"

    @staticmethod
    def _auto_hint(r: Result, case: Case | None) -> str:
        if isinstance(r.error, NotImplementedError):
            return (
                "this is the TODO stub: replace the `raise NotImplementedError(...)` line with your code, run that "
                "cell, then this one"
            )
        if case is not None and case.hint:
            return case.hint
        return ""

    def hint(self, name=None) -> None:
        """Print the next hint for a piece (default: the first piece whose checks fail)."""
        if name is None:
            failing = [p for p in self.pieces if not all(r.passed for r in self.results.get(p.name, []))]
            unchecked = [p for p in self.pieces if p.name not in self.results]
            failing = failing or unchecked
            if not failing:
                print(f"{PASS} Every piece you have checked passes. Nothing to hint at!")
                return
            name = failing[0].name
        piece = self.piece(name)
        if not piece.hints:
            print(f"{piece.name} has no hints; the explanation above the code cell is your guide.")
            return
        n = self._hints_shown.get(piece.name, 0)
        if n >= len(piece.hints):
            print(f"That was the last hint for {piece.name}. Hints shown so far:")
            for i, text in enumerate(piece.hints, 1):
                print(f"  {i}. {text}")
            return
        self._hints_shown[piece.name] = n + 1
        more = f" (run again for hint {n + 2})" if n + 1 < len(piece.hints) else " (the last one)"
        print(f"💡 {piece.name}, hint {n + 1} of {len(piece.hints)}{more}:\n   {piece.hints[n]}")

    # ---- records ----------------------------------------------------------------------------
    def _record(self) -> None:
        """Tell tinytorch_course.progress how many of the lesson's checks pass (latest run of each piece)."""
        try:
            progress.record(self.id, self.passed(), self.total)
        except Exception as err:  # progress is a convenience: never fail a check run
            print(f"(progress not recorded: {type(err).__name__}: {err})")

    def _log(self, results) -> None:
        """With $TINYTORCH_CHECK_LOG set, append one JSON line per case (the notebook tests read it)."""
        path = os.environ.get("TINYTORCH_CHECK_LOG")
        if not path:
            return
        with Path(path).open("a", encoding="utf-8") as f:
            for r in results:
                f.write(
                    json.dumps(
                        {
                            "lesson": self.id,
                            "piece": r.piece,
                            "case": r.case,
                            "passed": r.passed,
                            "message": r.message,
                            "error": type(r.error).__name__ if r.error else None,
                        }
                    )
                    + "\n"
                )
