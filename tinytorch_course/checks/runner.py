"""Run a lesson's cases against the learner's code and print a short, friendly report.

    lesson = Lesson("01_tensor")
    lesson.check("Tensor.__add__")   # one piece: a line per case, details for the failures
    lesson.check()                   # every piece of the lesson, then the total
    lesson.hint()                    # the next hint for the first piece that fails (one at a time)

Whatever the learner's code does (raises, returns None, NaN, the wrong shape, recurses without end,
loops forever), a case fails with a message; the kernel never crashes or hangs. While a piece is
checked it runs inside tinytorch (so a piece that hands its work back to tinytorch, e.g.
`__add__` returning `self + other`, fails here rather than after it is saved); each case has a time
budget (`time_budget.py`). A piece whose cases all pass stays switched on in this kernel and is saved
to the learner's work folder (see `mine.py`); progress goes to `tinytorch_course.progress`.
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
from ..registry import LESSONS
from ..registry import lesson as find_lesson
from . import cell_failures, mine, recursion
from .cases import Case, Piece, Raises, callable_of
from .compare import describe, mismatch, raises_mismatch
from .time_budget import CaseTimeout, case_budget

# marks every font has (DejaVu, Liberation, ...): emoji render as empty boxes without an emoji font
PASS, FAIL = "✓", "✗"


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
        # NaN/inf are reported by the comparison, not as warnings; a case past its budget is stopped
        with np.errstate(all="ignore"), case_budget():
            got = case.run(impl)
    except CaseTimeout as err:  # a BaseException, so the learner's `except Exception` cannot swallow it
        return Result(piece.name, case.name, False, str(err), err, _where(err))
    except Exception as err:  # the learner's bug must never crash the notebook
        if isinstance(expected, Raises) and not isinstance(err, RecursionError):
            problem = raises_mismatch(err, expected)
            return Result(piece.name, case.name, problem is None, problem or "", err)
        if isinstance(err, RecursionError):
            return Result(piece.name, case.name, False, recursion.describe_self_call(err, piece.name), err)
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


_CHECKS_DIR = Path(__file__).resolve().parent


def _where(err: BaseException) -> str:
    """The last traceback frame outside tinytorch_course.checks: where the learner's code failed."""
    frames = [
        f for f in traceback.extract_tb(err.__traceback__) if _CHECKS_DIR not in Path(f.filename).resolve().parents
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
        recursion.keep_below_browser_stack()
        cell_failures.watch()
        self.pieces = load_pieces(self.id)
        self.results: dict = {}  # piece name -> [Result] of its latest run
        self._hints_shown: dict = {}  # piece name -> how many hints were revealed
        self._saved: dict = {}  # piece name -> file its passing code was saved to
        # pieces not defined in this kernel whose passing version is saved: they still count as passing
        self._kept: set = set()
        self._case_counts = {p.name: len(p.build_cases()) for p in self.pieces}
        self.total = sum(self._case_counts.values())

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
            failure = cell_failures.failure_for(piece.attr)
            if failure:
                return None, (
                    f"its code cell failed ({failure}), so {piece.name} is not defined; "
                    "fix the error shown under that cell and run the cell again"
                )
            how = f"@implement({piece.owner_name})" if piece.owner_name else f"@implement({piece.home!r})"
            return None, f"not defined yet; run its code cell (the one starting with `{how}`) first"
        if value is piece.reference():
            return None, f"{piece.name} is tinytorch's own reference, not your code"
        return callable_of(value), ""

    def run(self, name=None) -> list:
        """Run the checks (of one piece, or all) quietly; returns the Results."""
        chosen = [self.piece(name)] if name is not None else self.pieces
        results = []
        saved = None
        for piece in chosen:
            impl, missing = self.implementation(piece)
            cases = piece.build_cases()
            self._kept.discard(piece.name)
            if impl is None:
                got = [Result(piece.name, c.name, False, missing) for c in cases]
                if mine.mine(piece.key) is None:  # merely not run in this kernel (a reload): is it saved?
                    saved = set(mine.saved_keys(self.id)) if saved is None else saved
                    if piece.key in saved:
                        self._kept.add(piece.name)
            else:
                got = self._run_inside_tinytorch(piece, cases, impl)
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

    @staticmethod
    def _run_inside_tinytorch(piece: Piece, cases: list, impl) -> list:
        """Run the cases with the learner's piece installed, as it will run once it passes: a piece
        that delegates to tinytorch's own operator for the same piece then fails here, by name.
        `_adopt` afterwards keeps it installed (all pass) or puts the reference back."""
        entry = mine.REGISTRY.get(piece.key)
        if entry is not None:
            mine.install(entry)
        try:
            return [run_case(piece, c, impl) for c in cases]
        except BaseException:  # e.g. KeyboardInterrupt natively: never leave a half-checked piece installed
            mine.uninstall(piece.key)
            raise

    def passed_with_saved(self) -> int:
        """Checks passing now, plus those of saved pieces merely not run (or not checked) in this
        kernel: a fresh kernel is not a failure, so progress does not drop after a reload."""
        unchecked = [p for p in self.pieces if p.name not in self.results]
        saved = set(mine.saved_keys(self.id)) if unchecked else set()
        from_saved = sum(self._case_counts[p.name] for p in unchecked if p.key in saved)
        return self.passed() + from_saved + sum(self._case_counts[name] for name in self._kept)

    def restore(self) -> None:
        """Load this lesson's saved pieces (my_tinytorch/) into this kernel, e.g. after a reload,
        without re-running their code cells; each is checked again before it is switched on."""
        keys, problems = load_lesson(self.id)
        path = mine.work_dir() / f"{self.id}.py"
        if keys:
            names = ", ".join(k.partition(":")[2] for k in keys)
            print(f"{PASS} Loaded your saved {names} from {path}: they run in this kernel now.")
        elif not problems:
            print(f"No saved pieces of lesson {self.info.number:02d} in {path}.")
        for problem in problems:
            print(f"{FAIL} Not loaded: your saved {problem}.")

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
            passed = self.passed_with_saved()
            mark = PASS if passed == self.total else FAIL
            lines.append(
                f"{mark} Lesson {self.info.number:02d} ({self.info.title}): {passed} of {self.total} checks pass."
            )
        lines += self._saved_note(pieces)
        return "\n".join(lines)

    def _saved_note(self, pieces) -> list:
        """Where the passing pieces of this report were saved and who uses them: one line, not one per piece."""
        files = sorted({str(self._saved[p.name]) for p in pieces if self._passes(p) and self._saved.get(p.name)})
        if not files:
            return []
        count = sum(1 for p in pieces if self._passes(p) and self._saved.get(p.name))
        what = "it is" if count == 1 else "they are"
        return [f"   Saved to {', '.join(files)}: {what} yours from now on; {self._next_user()}."]

    def _next_user(self) -> str:
        """Who runs the saved pieces next: the next lesson by name (the milestones after the last one)."""

        later = [item for item in LESSONS if item.number > self.info.number]
        if not later:
            return "the milestones run them"
        nxt = later[0]
        return f"lesson {nxt.number:02d} ({nxt.title}) and later lessons run them"

    def _passes(self, piece: Piece) -> bool:
        results = self.results.get(piece.name, [])
        return bool(results) and all(r.passed for r in results)

    def _piece_report(self, piece: Piece, detailed: bool) -> list:
        """A piece's lines: one if it passes or is not written yet; else each case (detailed) or
        the first failure in full (the whole-lesson overview)."""
        results = self.results.get(piece.name, [])
        ok = sum(r.passed for r in results)
        title = f" ({piece.title})" if piece.title else ""
        if piece.name in self._kept:
            return [
                f"{PASS} {piece.name}{title}: not run in this kernel yet, but your saved version passed all "
                f"{len(results)} checks and still counts. Run its code cell again, or `lesson.restore()` to "
                "load your saved pieces into this kernel."
            ]
        if results and ok == len(results):
            unsaved = "" if self._saved.get(piece.name) else " (its source could not be read, so it is not saved)"
            passing = "its check passes" if ok == 1 else f"all {ok} checks pass"
            return [f"{PASS} {piece.name}{title}: {passing}; your code now runs inside tinytorch{unsaved}."]
        header = f"{FAIL} {piece.name}{title}: {ok} of {len(results)} checks pass"
        failed = [r for r in results if not r.passed]
        if all(r.error is None and r.message == failed[0].message for r in failed) and (
            failed[0].message.startswith(("not defined yet", "its code cell failed"))
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
        if isinstance(r.error, (RecursionError, CaseTimeout)):  # the message explains more than the error
            lines.append(f"        problem   {r.message}")
            if r.where:
                lines.append(f"        where     {r.where}")
        elif r.error is not None and not (case is not None and isinstance(case.expected, Raises)):
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
                "this is the TODO stub: replace the `raise NotImplementedError(...)` line with your code, "
                "run that cell, then this one"
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
        print(f"{piece.name}, hint {n + 1} of {len(piece.hints)}{more}:\n   {piece.hints[n]}")

    # ---- records ----------------------------------------------------------------------------
    def _record(self) -> None:
        """Tell tinytorch_course.progress how many of the lesson's checks pass (latest run of each piece)."""
        try:
            progress.record(self.id, self.passed_with_saved(), self.total)
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


# ---------------------------------------------------------------------------------------------
# the learner's saved work, brought back in a later kernel (checked again before it runs)
# ---------------------------------------------------------------------------------------------
def use_my_work(before=None, quiet: bool = False) -> list:
    """Switch on the learner's saved pieces (every lesson, or only lessons before `before`).

    `before` is a lesson (number, id or `Lesson`); a lesson notebook passes itself, so it runs on the
    learner's earlier lessons while its own pieces are still being written. Returns the installed keys.
    """

    limit = None
    if before is not None:
        limit = find_lesson(getattr(before, "id", before)).number
    folder = mine.work_dir()
    declared = mine._declaring_lessons()
    keys, problems, superseded = [], [], []
    for item in LESSONS:
        if limit is not None and item.number >= limit:
            break
        for key, block in mine._read_blocks(folder / f"{item.id}.py").items():
            # a piece that a later lesson (in reach) rewrites, e.g. an op again with its backward in
            # lesson 05, is only yours in that later version: this older one could lack what it adds
            newer = [n for n in declared.get(key, ()) if n > item.number and (limit is None or n < limit)]
            if newer:
                superseded.append(f"{key.partition(':')[2]} (lesson {newer[-1]:02d} revisits it)")
                continue
            try:
                loaded = mine._load_block(key, block, f"{folder / item.id}.py")
            except Exception as err:  # a saved block that no longer runs must not break the notebook
                problems.append(f"{key}: {type(err).__name__}: {err}")
                continue
            failure = _fails_its_checks(key, item.id)
            if failure:
                problems.append(
                    f"{key.partition(':')[2]} (lesson {item.number:02d}): it fails its check {failure}, "
                    f"so it was not switched on (tinytorch's reference runs instead). "
                    f"Open lesson {item.number:02d}, fix it and run `lesson.check()` again"
                )
                continue
            for k in loaded:
                mine.install(mine.REGISTRY[k])
            keys += [k for k in loaded if k == key]
    if not quiet:
        if keys:
            pieces = ", ".join(k.partition(":")[2] for k in keys)
            print(
                f"Using your own code for {len(keys)} piece{'s' if len(keys) != 1 else ''} "
                f"(from {folder}): {pieces}. `tinytorch_course.checks.use_reference()` switches back."
            )
        elif not problems:
            scope = f" from lessons before {limit:02d}" if limit is not None else ""
            print(
                f"No saved work of yours{scope} in {folder}: using tinytorch's reference code. "
                "(A lesson saves each piece there once its checks pass.)"
            )
        for problem in problems:
            print(f"Could not use your saved {problem}")
        if superseded:
            print("Reference code kept for: " + ", ".join(superseded) + " until you pass that lesson's checks.")
    return keys


def _fails_its_checks(key: str, lesson_id: str) -> str | None:
    """Run the lesson's cases of a just-loaded saved piece: None if all pass, else what failed.

    A saved piece can stop working when it is loaded again (a changed tinytorch, a helper it used that
    is gone, code that only passed because the package ran during its check); installed anyway, it
    would break every later lesson on its first use. So it is checked again before it is switched on."""
    piece = next((p for p in load_pieces(lesson_id) if p.key == key), None)
    if piece is None:  # a piece this lesson no longer declares: nothing to check it against
        return None
    impl = callable_of(mine.REGISTRY[key].value)
    for case in piece.build_cases():
        result = run_case(piece, case, impl)
        if not result.passed:
            return f"'{result.case}' now ({result.message})"
    return None


def load_lesson(lesson_id: str) -> tuple:
    """Register and switch on a lesson's own saved pieces (those that still pass their checks); for
    `Lesson.restore()` in a fresh kernel. Returns (restored keys, problems)."""
    path = mine.work_dir() / f"{lesson_id}.py"
    restored, problems = [], []
    for key, block in mine._read_blocks(path).items():
        try:
            loaded = mine._load_block(key, block, str(path))
        except Exception as err:
            problems.append(f"{key.partition(':')[2]}: {type(err).__name__}: {err}")
            continue
        failure = _fails_its_checks(key, lesson_id) if key not in mine.HELPERS else None
        if failure:
            problems.append(f"{key.partition(':')[2]} fails its check {failure}")
            continue
        for k in loaded:
            mine.install(mine.REGISTRY[k])
        restored += [k for k in loaded if k == key and k not in mine.HELPERS]
    return restored, problems
