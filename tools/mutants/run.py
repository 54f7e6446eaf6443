"""Mutation pass over every lesson: per-piece and per-lesson caught/total, survivors listed.

    python -m tools.mutants                  # all lessons, table + survivors, writes scores.json
    python -m tools.mutants 07 15            # some lessons
    python -m tools.mutants --readme         # also refresh the README's "wrong code caught" column

A mutant is *caught* when at least one of its piece's cases fails (or it crashes, hangs or runs out
of memory). Mutants listed in equivalents.json (with the reason they behave like the reference) are
left out of the score.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

from tinytorch_course.checks import load_pieces, run_case
from tinytorch_course.checks import mine as mine_module
from tinytorch_course.checks.cases import callable_of
from tinytorch_course.registry import LESSONS

from .mutate import Mutant, mutants, piece_source, sample
from .sandbox import run_all

HERE = Path(__file__).resolve().parent
EQUIVALENTS = HERE / "equivalents.json"
SCORES = HERE / "scores.json"
README = HERE.parents[1] / "README.md"
CAP = 24  # mutants per piece: enough to cover its operators, small enough for minutes per pass
SECONDS = 20.0
MEMORY_MB = 2048


@dataclass
class PieceScore:
    key: str
    caught: int = 0
    total: int = 0
    equivalent: int = 0
    survivors: list = field(default_factory=list)


def load_equivalents() -> dict:
    """{lesson id: {piece key: {mutant id: one-line reason}}} (per lesson: lesson 02's relu is
    graded on its values only, lesson 05's on its gradient too)."""
    return json.loads(EQUIVALENTS.read_text(encoding="utf-8")) if EQUIVALENTS.exists() else {}


def written_lessons(selected=()) -> list:
    out = []
    for item in LESSONS:
        if selected and f"{item.number:02d}" not in selected and item.id not in selected:
            continue
        try:
            importlib.import_module(f"tinytorch_course.checks.lesson{item.number:02d}")
        except ModuleNotFoundError:
            continue
        out.append(item)
    return out


def revisited_later(lesson_number: int) -> set:
    """Keys of this lesson's pieces that a later lesson declares again (and grades more of)."""
    declared = mine_module._declaring_lessons()
    return {key for key, numbers in declared.items() if lesson_number in numbers and max(numbers) > lesson_number}


def piece_mutants(piece, cap: int = CAP, revisited: bool = False) -> list[Mutant]:
    return sample(mutants(piece_source(piece), skip_nested=revisited), cap)


def define(piece, source: str):
    """Register `source` as the learner's code for `piece`, as an `@implement` block does; the entry."""
    home = importlib.import_module(piece.home)
    namespace = dict(vars(home))
    if piece.owner_name:
        owner = piece.owner()
        exec(compile("class _Mutant:\n" + textwrap.indent(source, "    "), "<mutant>", "exec"), namespace)
        mine_module.implement(owner, _globals=vars(home))(namespace["_Mutant"])
    else:
        exec(compile(source, "<mutant>", "exec"), namespace)
        mine_module.implement(home, _globals=vars(home))(namespace[piece.attr])
    return mine_module.REGISTRY[piece.key]


def verdict(piece, source: str) -> str:
    """Run the piece's cases against `source` installed as the learner's code: 'survived' or why caught."""
    cases = piece.build_cases()  # before installing: expected values come from the reference
    entry = define(piece, source)
    mine_module.install(entry)
    impl = callable_of(entry.value)
    for case in cases:
        result = run_case(piece, case, impl)
        if not result.passed:
            return f"caught: {case.name}"
    return "survived"


def evaluate(items, workers: int = 2, cap: int = CAP, every: int = 1, seconds: float = SECONDS):
    """{lesson id: {piece key: PieceScore}}; `every` = k runs every k-th mutant only (a quick sample)."""
    equivalents = load_equivalents()
    scores: dict = {}
    jobs = []
    for item in items:
        scores[item.id] = {}
        later = revisited_later(item.number)
        for piece in load_pieces(item.id):
            score = scores[item.id][piece.key] = PieceScore(piece.key)
            known = equivalents.get(item.id, {}).get(piece.key, {})
            for i, mutant in enumerate(piece_mutants(piece, cap, piece.key in later)):
                if i % every:
                    continue
                if mutant.ident in known:
                    score.equivalent += 1
                    continue
                jobs.append(((item.id, piece.key, mutant.ident), lambda p=piece, m=mutant: verdict(p, m.source)))
    for (lesson_id, key, ident), text in run_all(jobs, workers, seconds, MEMORY_MB):
        score = scores[lesson_id][key]
        score.total += 1
        if text.startswith("caught"):
            score.caught += 1
        else:
            score.survivors.append(ident)
    return scores


def lesson_totals(pieces: dict) -> tuple[int, int, int]:
    caught = sum(s.caught for s in pieces.values())
    total = sum(s.total for s in pieces.values())
    equivalent = sum(s.equivalent for s in pieces.values())
    return caught, total, equivalent


def percent(caught: int, total: int) -> str:
    return f"{100 * caught / total:.1f} %" if total else "n/a"


def table(scores: dict) -> str:
    lines = [f"{'lesson / piece':<52} {'caught':>7} {'total':>6} {'equiv':>6} {'score':>8}"]
    all_c = all_t = all_e = 0
    for lesson_id, pieces in scores.items():
        caught, total, equivalent = lesson_totals(pieces)
        all_c, all_t, all_e = all_c + caught, all_t + total, all_e + equivalent
        flag = "" if total == 0 or caught / total >= 0.95 else "  < 95 %"
        lines.append(f"{lesson_id:<52} {caught:>7} {total:>6} {equivalent:>6} {percent(caught, total):>8}{flag}")
        for key, s in pieces.items():
            name = key.partition(":")[2]
            lines.append(f"  {name:<50} {s.caught:>7} {s.total:>6} {s.equivalent:>6} {percent(s.caught, s.total):>8}")
    lines.append(f"{'all lessons':<52} {all_c:>7} {all_t:>6} {all_e:>6} {percent(all_c, all_t):>8}")
    survivors = [(k, ident) for pieces in scores.values() for k, s in pieces.items() for ident in s.survivors]
    if survivors:
        lines.append(f"\n{len(survivors)} surviving mutants (a gap in the checks, or equivalent: record it):")
        lines += [f"  {key}  {ident}" for key, ident in survivors]
    return "\n".join(lines)


def write_scores(scores: dict) -> None:
    data = {}
    for lesson_id, pieces in scores.items():
        caught, total, equivalent = lesson_totals(pieces)
        data[lesson_id] = {
            "caught": caught,
            "total": total,
            "equivalent": equivalent,
            "survivors": {k: s.survivors for k, s in pieces.items() if s.survivors},
        }
    SCORES.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def update_readme() -> None:
    """Refresh the lesson tables of the READMEs (their "wrong code caught" column reads scores.json)."""
    from tools.build_notebooks import update_readme as refresh

    refresh()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", help="lesson numbers (01) or ids; default all")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cap", type=int, default=CAP, help="mutants per piece (default %(default)s)")
    parser.add_argument("--readme", action="store_true", help="refresh the README column from scores.json")
    args = parser.parse_args(argv)
    started = time.monotonic()
    items = written_lessons(tuple(args.lessons))
    scores = evaluate(items, workers=args.workers, cap=args.cap)
    print(table(scores))
    if not args.lessons:
        write_scores(scores)
        if args.readme:
            update_readme()
    print(f"\n{sum(lesson_totals(p)[1] for p in scores.values())} mutants in {time.monotonic() - started:.0f} s")
    low = [k for k, p in scores.items() if lesson_totals(p)[1] and lesson_totals(p)[0] / lesson_totals(p)[1] < 0.95]
    return 1 if low else 0


if __name__ == "__main__":
    sys.exit(main())
