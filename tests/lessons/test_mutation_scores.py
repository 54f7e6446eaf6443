"""Regression guard for the mutation scores (tools/mutants): wrong code the checks caught stays caught.

A sample (every fifth mutant of each piece, so this stays fast) runs as the learner's code against
its piece's cases; every sampled mutant that is neither a recorded equivalent nor a known survivor
in scores.json must fail some case. The full pass is `make mutants`.
"""

from __future__ import annotations

import json

import pytest

from tools.mutants import run
from tools.mutants.mutate import mutants
from tools.mutants.sandbox import run_all

SCORES = json.loads(run.SCORES.read_text(encoding="utf-8"))
LESSONS = run.written_lessons()


@pytest.mark.parametrize("item", LESSONS, ids=[i.id for i in LESSONS])
def test_sampled_mutants_stay_caught(item):
    known = SCORES.get(item.id, {}).get("survivors", {})
    scores = run.evaluate([item], workers=2, every=5)[item.id]
    regressed = [
        f"{key}  {ident}" for key, s in scores.items() for ident in s.survivors if ident not in known.get(key, [])
    ]
    assert not regressed, "wrong code that the checks used to catch now passes:\n" + "\n".join(regressed)


def test_every_lesson_reaches_95_percent_in_the_recorded_pass():
    low = {
        k: f"{v['caught']}/{v['total']}" for k, v in SCORES.items() if v["total"] and v["caught"] / v["total"] < 0.95
    }
    assert not low, f"lessons under 95 % of non-equivalent mutants caught: {low}"


def test_equivalents_name_real_mutants_with_a_reason():
    equivalents = run.load_equivalents()
    lessons = {item.id: item for item in LESSONS}
    for lesson_id, by_piece in equivalents.items():
        assert lesson_id in lessons, f"equivalents.json names lesson {lesson_id}, which has no check file"
        pieces = {p.key: p for p in run.load_pieces(lesson_id)}
        for key, entries in by_piece.items():
            assert key in pieces, f"equivalents.json: lesson {lesson_id} has no piece {key}"
            idents = {m.ident for m in mutants(run.piece_source(pieces[key]))}
            for ident, reason in entries.items():
                assert ident in idents, f"{lesson_id} {key}: equivalent {ident!r} is no longer a mutant; remove it"
                assert reason.strip(), f"{lesson_id} {key}: equivalent {ident!r} needs a one-line reason"


def test_mutator_swaps_a_comparison_and_the_sandbox_catches_a_hang():
    found = {m.ident: m.source for m in mutants("def f(a, b):\n    return a < b\n")}
    assert "L1 Lt->LtE `a < b`" in found and "a <= b" in found["L1 Lt->LtE `a < b`"]

    def hang():
        while True:
            pass

    verdicts = dict(run_all([("hang", hang), ("ok", lambda: "survived")], workers=2, seconds=0.5, memory_mb=512))
    assert verdicts["hang"].startswith("caught") and verdicts["ok"] == "survived"


def test_recorded_equivalents_pass_every_case_of_their_piece():
    """An equivalent that some case catches was recorded under the wrong id (ids name a line and an
    operator, so an edit can shift them onto another mutant) or for a mutant that is not equivalent:
    either way it hides a mutant from the score."""
    jobs = []
    for lesson_id, by_piece in run.load_equivalents().items():
        pieces = {p.key: p for p in run.load_pieces(lesson_id)}
        for key, entries in by_piece.items():
            found = {m.ident: m for m in mutants(run.piece_source(pieces[key])) if m.ident in entries}
            jobs += [
                ((lesson_id, key, ident), lambda p=pieces[key], m=m: run.verdict(p, m.source))
                for ident, m in found.items()
            ]
    caught = [f"{lesson_id} {key}  {ident}: {text}" for (lesson_id, key, ident), text in run_all(jobs, 2, 20.0, 2048)]
    caught = [line for line in caught if not line.endswith(": survived")]
    assert not caught, "recorded as equivalent, yet a case fails (fix the id or drop the entry):\n" + "\n".join(caught)
