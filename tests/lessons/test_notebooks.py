"""Every lesson's two notebooks, built from its source and executed natively (nbclient + ipykernel).

- reference notebook: runs top to bottom, and every case of the lesson passes;
- learner notebook: runs top to bottom (a stub must not break the page), and every case of every
  piece fails with a message, a stub's with its NotImplementedError;
- both are valid nbformat; the learner's contains no line of any piece's solution;
- lessons/README.md's table is what the sources say.
Check results are read from the JSON lines the check library writes to $TINYTORCH_CHECK_LOG.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tinytorch_course.checks import load_pieces
from tools.build_notebooks import (
    TABLE_BEGIN,
    TABLE_END,
    LessonError,
    build_lesson,
    build_milestone,
    lesson_sources,
    lessons_table,
    milestone_sources,
    reference_source,
    stub_source,
)

REPO = Path(__file__).resolve().parents[2]
SOURCES = lesson_sources(REPO)
IDS = [p.stem for p in SOURCES]
_EXECUTED: dict = {}


def execute(path: Path, kind: str, workdir: Path, monkeypatch) -> tuple:
    """(executed notebook, check log records) of the learner or reference notebook; run once per session."""
    key = (path.stem, kind)
    if key not in _EXECUTED:
        learner, reference = build_lesson(path)
        nb = learner if kind == "learner" else reference
        run = workdir / f"{path.stem}-{kind}"
        run.mkdir(parents=True)
        log = run / "checks.jsonl"
        monkeypatch.setenv("TINYTORCH_CHECK_LOG", str(log))
        monkeypatch.setenv("TINYTORCH_WORK", str(run / "my_tinytorch"))
        monkeypatch.setenv("TINYTORCH_PROGRESS", str(run / "progress.json"))
        # the kernel runs in `run`: it must import this checkout's packages, not an installed copy
        monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])))
        NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(run)}}).execute()
        records = [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
        _EXECUTED[key] = (nb, records, run)
    return _EXECUTED[key]


def latest(records) -> dict:
    """(piece, case) -> its last record (a lesson re-runs every case in its final lesson.check())."""
    return {(r["piece"], r["case"]): r for r in records}


def all_cases(lesson_id) -> set:
    return {(p.name, c.name) for p in load_pieces(lesson_id) for c in p.build_cases()}


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_reference_notebook_passes_every_check(path, tmp_path_factory, monkeypatch):
    _, records, run = execute(path, "reference", tmp_path_factory.mktemp("nb"), monkeypatch)
    results = latest(records)
    missing = all_cases(path.stem) - set(results)
    assert not missing, f"cases never run by the reference notebook: {sorted(missing)}"
    failed = [f"{p} / {c}: {r['message']}" for (p, c), r in results.items() if not r["passed"]]
    assert not failed, "reference notebook fails:\n" + "\n".join(failed)
    saved = (run / "my_tinytorch" / f"{path.stem}.py").read_text()
    unsaved = [p.key for p in load_pieces(path.stem) if f"# %% piece {p.key} " not in saved]
    assert not unsaved, f"passing pieces not saved to the learner's work folder: {unsaved}"


def images(nb) -> list:
    """The PNG outputs of a notebook's code cells (display data and in-place updated displays)."""
    return [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.get("output_type") in ("display_data", "execute_result") and "image/png" in o.get("data", {})
    ]


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_reference_notebook_draws_a_figure(path, tmp_path_factory, monkeypatch):
    nb, _, _ = execute(path, "reference", tmp_path_factory.mktemp("nb"), monkeypatch)
    assert images(nb), f"{path.name}: running the reference notebook shows no figure"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_only_drawing_cells_import_matplotlib(path):
    """matplotlib costs the browser page ~12 MB and a font cache: the cell that opens the lesson never
    loads it, and a cell that imports it draws (shows a figure)."""
    _, reference = build_lesson(path)
    code = [c.source for c in reference.cells if c.cell_type == "code"]
    assert "matplotlib" not in code[0], f"{path.name}: the first cell imports matplotlib"
    for source in code:
        if re.search(r"^\s*(import|from) matplotlib", source, re.M):
            draws = any(call in source for call in ("viz.show(", ".done(", "plot_results("))
            assert draws, f"{path.name}: a cell imports matplotlib and draws nothing"


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_learner_notebook_fails_every_stub_with_a_message(path, tmp_path_factory, monkeypatch):
    nb, records, _ = execute(path, "learner", tmp_path_factory.mktemp("nb"), monkeypatch)
    results = latest(records)
    missing = all_cases(path.stem) - set(results)
    assert not missing, f"cases never run by the learner notebook: {sorted(missing)}"
    vacuous = [f"{p} / {c}" for (p, c), r in results.items() if r["passed"]]
    assert not vacuous, "checks pass against the TODO stubs (vacuous):\n" + "\n".join(vacuous)
    silent = [f"{p} / {c}" for (p, c), r in results.items() if not r["message"]]
    assert not silent, f"failures without a message: {silent}"
    not_stub = [f"{p} / {c}: {r['message']}" for (p, c), r in results.items() if r["error"] != "NotImplementedError"]
    assert not not_stub, "cases failing for another reason than the stub:\n" + "\n".join(not_stub)
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "✗" in printed and "not written yet" in printed and "✓" not in printed


@pytest.mark.parametrize("path", SOURCES, ids=IDS)
def test_notebooks_are_valid_and_learner_has_no_solution(path):
    learner, reference = build_lesson(path)
    for nb in (learner, reference):
        nbformat.validate(nb)
        assert nb.metadata["kernelspec"]["name"] == "python"
        assert "jupytext" not in nb.metadata
    text = "\n".join(c.source for c in learner.cells)
    ref_text = "\n".join(c.source for c in reference.cells)
    number = int(path.stem[:2])
    for piece in load_pieces(path.stem):
        stub = stub_source(piece, number)
        assert stub in text or textwrap.indent(stub, "    ").rstrip() in text, f"{piece.name}: stub missing"
        stub_lines = {line.strip() for line in stub.splitlines()}
        body = [
            line.strip()
            for line in reference_source(piece).splitlines()
            if line.strip() and line.strip() not in stub_lines and not line.strip().startswith("#")
        ]
        leaked = [line for line in body if len(line) > 12 and line in text]
        assert not leaked, f"{piece.name}: solution lines in the learner notebook: {leaked}"
        assert any(len(line) > 12 and line in ref_text for line in body), (
            f"{piece.name}: the leak test sees no solution line even in the reference notebook"
        )
    assert 'NotImplementedError("TODO' not in ref_text


@pytest.mark.parametrize("readme, prefix", [("lessons/README.md", ""), ("README.md", "lessons/")])
def test_lessons_table_is_current(readme, prefix):
    text = (REPO / readme).read_text()
    current = text.split(TABLE_BEGIN, 1)[1].split(TABLE_END, 1)[0].strip()
    assert current == lessons_table(REPO, prefix), (
        f"{readme}'s lessons table is stale: run `python -m tools.build_notebooks`"
    )


@pytest.mark.parametrize("path", milestone_sources(REPO), ids=[p.stem for p in milestone_sources(REPO)])
def test_milestone_notebooks_convert(path):
    nb = build_milestone(path)
    nbformat.validate(nb)
    assert nb.cells and nb.metadata["kernelspec"]["name"] == "python"


def test_builder_rejects_a_source_that_does_not_fit_its_check_file(tmp_path):
    original = (REPO / "lessons" / "01_tensor.py").read_text()
    bad = tmp_path / "01_tensor.py"
    bad.write_text(original.replace("# solution: Tensor.__matmul__", "# solution: Tensor.__matmull__"))
    with pytest.raises(LessonError, match="__matmull__"):
        build_lesson(bad)
    bad.write_text(original.replace("# solution: Tensor.__matmul__", "x = 1"))
    with pytest.raises(LessonError, match="missing: \\['Tensor.__matmul__'\\]"):
        build_lesson(bad)
    bad.write_text(original.replace("from tinytorch_course.checks import Lesson, implement\n", ""))
    with pytest.raises(LessonError, match="from tinytorch_course.checks import Lesson, implement"):
        build_lesson(bad)
    wrong_name = tmp_path / "01_tensors.py"
    wrong_name.write_text(original)
    with pytest.raises(LessonError, match="registry.py"):
        build_lesson(wrong_name)
