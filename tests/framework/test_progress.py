"""tinytorch_course.progress, native path: records go to one JSON file ($TINYTORCH_PROGRESS)."""

import json

import numpy as np
import pytest

from tinytorch_course import progress


@pytest.fixture
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "nested" / "progress.json"
    monkeypatch.setenv("TINYTORCH_PROGRESS", str(path))
    monkeypatch.setattr(progress, "_BACKEND", None)
    return path


def test_default_path_is_in_the_home_directory(monkeypatch, tmp_path):
    monkeypatch.delenv("TINYTORCH_PROGRESS", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert progress.progress_path() == tmp_path / ".tinytorch" / "progress.json"


def test_nothing_recorded_loads_empty(progress_file):
    assert progress.load() == {}
    assert not progress_file.exists()


def test_record_then_load_round_trips_through_the_file(progress_file):
    rec = progress.record("01_tensor", 3, 5)
    assert rec["passed"] == 3 and rec["total"] == 5 and rec["status"] == "in progress"
    assert progress.load() == {"01_tensor": rec}
    data = json.loads(progress_file.read_text())
    assert data["format"] == "tinytorch-progress" and data["version"] == 1
    assert data["progress"]["01_tensor"]["passed"] == 3


def test_all_checks_passing_is_passed_and_the_latest_run_wins(progress_file):
    assert progress.record("02_activations", 4, 4)["status"] == "passed"
    assert progress.record("02_activations", 2, 4)["status"] == "in progress"
    assert progress.load()["02_activations"]["passed"] == 2


def test_records_of_different_lessons_and_milestones_coexist(progress_file):
    progress.record("01_tensor", 1, 1)
    progress.record("1958_perceptron", 0, 2)
    loaded = progress.load()
    assert sorted(loaded) == ["01_tensor", "1958_perceptron"]
    assert loaded["1958_perceptron"]["status"] == "in progress"  # a run means it was opened


def test_fields_written_by_others_survive_a_record(progress_file):
    """The landing page may add fields (e.g. when a notebook was first opened); record() merges."""
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text(
        json.dumps(
            {
                "format": "tinytorch-progress",
                "version": 1,
                "progress": {"01_tensor": {"id": "01_tensor", "opened": True, "opened_at": "2026-01-01T00:00:00Z"}},
            }
        )
    )
    progress.record("01_tensor", 1, 2)
    assert progress.load()["01_tensor"]["opened_at"] == "2026-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "record, expected",
    [
        (None, "not started"),
        ({}, "not started"),
        ({"passed": 0, "total": 5}, "not started"),
        ({"passed": 0, "total": 5, "opened": True}, "in progress"),
        ({"passed": 2, "total": 5}, "in progress"),
        ({"passed": 5, "total": 5}, "passed"),
        ({"passed": 0, "total": 0, "opened": True}, "in progress"),  # no checks: never "passed"
    ],
)
def test_status_rule(record, expected):
    assert progress.status(record) == expected


def test_numpy_integers_are_accepted(progress_file):
    rec = progress.record("03_layers", np.sum(np.array([True, True, False])), np.int64(3))
    assert (rec["passed"], rec["total"]) == (2, 3)
    json.loads(progress_file.read_text())  # stored as plain JSON ints


@pytest.mark.parametrize(
    "args, message",
    [
        (("99_nope", 1, 1), "unknown id '99_nope'"),
        (("01_tensor", 3, 2), "passed=3 is more than total=2"),
        (("01_tensor", -1, 2), "passed must be an int >= 0"),
        (("01_tensor", 1.0, 2), "passed must be an int >= 0"),
        (("01_tensor", True, 2), "passed must be an int >= 0"),
    ],
)
def test_wrong_arguments_name_the_problem(progress_file, args, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        progress.record(*args)
    assert not progress_file.exists()


def test_corrupt_file_warns_instead_of_raising(progress_file):
    progress_file.parent.mkdir(parents=True)
    progress_file.write_text("{not json")
    with pytest.warns(progress.ProgressWarning, match="could not read"):
        assert progress.load() == {}
    with pytest.warns(progress.ProgressWarning, match="moved it to"):
        progress.record("01_tensor", 1, 1)  # starts a fresh file rather than failing the cell
    assert progress.load()["01_tensor"]["status"] == "passed"
    assert (progress_file.parent / "progress.json.unreadable").read_text() == "{not json"


def test_unwritable_location_warns_instead_of_raising(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("TINYTORCH_PROGRESS", str(blocker / "progress.json"))  # parent is a file
    monkeypatch.setattr(progress, "_BACKEND", None)
    with pytest.warns(progress.ProgressWarning, match="could not write"):
        rec = progress.record("01_tensor", 1, 1)
    assert rec["status"] == "passed"


def test_load_async_matches_load(progress_file):
    import asyncio

    progress.record("05_autograd", 1, 3)
    assert asyncio.run(progress.load_async()) == progress.load()
