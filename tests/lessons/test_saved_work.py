"""The learner's saved work across kernels: a saved piece is checked again before it is switched on,
a fresh kernel does not make progress drop, `lesson.restore()` brings saved pieces back, the browser's
copy of the work folder (tinytorch_course.checks.work_store) fills a fresh folder, and input() fails clearly
where the browser cannot read the keyboard."""

from __future__ import annotations

import builtins
import json

import pytest

from tinytorch.tensor import Tensor, _shape_error
from tinytorch_course.checks import Lesson, browser_input, implement, mine, use_my_work, work_store

REFERENCE_ADD = Tensor.__dict__["__add__"]


def _pass_add(lesson):
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


def _fresh_kernel():
    """What a reload leaves: no registered or installed learner code (the files stay)."""
    for key in list(mine.ORIGINALS):
        mine.uninstall(key)
    mine.REGISTRY.clear()
    mine.HELPERS.clear()


def test_a_saved_piece_that_fails_its_checks_on_load_is_skipped_with_a_message(learner_files, capsys):
    folder = learner_files / "my_tinytorch"
    folder.mkdir()
    (folder / "01_tensor.py").write_text(
        "# %% piece tinytorch.tensor:Tensor.__add__ (test)\n@implement(Tensor)\nclass Tensor:\n"
        "    def __add__(self, other):\n        return self\n"
    )
    assert use_my_work(before=2) == []
    out = capsys.readouterr().out
    assert Tensor.__dict__["__add__"] is REFERENCE_ADD, "a failing saved piece must never be installed"
    assert "Tensor.__add__ (lesson 01): it fails its check" in out and "not switched on" in out


def test_a_fresh_kernel_keeps_progress_and_says_how_to_restore(learner_files, capsys):
    lesson = Lesson("01_tensor")
    _pass_add(lesson)
    _fresh_kernel()
    again = Lesson("01_tensor")  # the setup cell after a reload; the code cells are not run again
    again.check()
    out = capsys.readouterr().out
    record = json.loads((learner_files / "progress.json").read_text())["progress"]["01_tensor"]
    assert record["passed"] == 5, "a piece merely not run in this kernel must not count as failing"
    assert "saved version passed all 5 checks" in out and "lesson.restore()" in out
    assert Tensor.__dict__["__add__"] is REFERENCE_ADD

    _fresh_kernel()
    Lesson("01_tensor").check("Tensor.sum")  # checking one other piece after a reload
    record = json.loads((learner_files / "progress.json").read_text())["progress"]["01_tensor"]
    assert record["passed"] == 5, "pieces not checked in this kernel keep their saved result"
    capsys.readouterr()

    again.restore()
    assert "Loaded your saved Tensor.__add__" in capsys.readouterr().out
    assert Tensor.__dict__["__add__"] is not REFERENCE_ADD
    again.check("Tensor.__add__")
    assert "all 5 checks pass" in capsys.readouterr().out


def test_forget_removes_a_lessons_saved_pieces(learner_files):
    _pass_add(Lesson("01_tensor"))
    assert mine.saved_keys("01_tensor") == ["tinytorch.tensor:Tensor.__add__"]
    assert mine.forget("01_tensor") and mine.saved_keys("01_tensor") == []


class FakeBrowserStore:
    """work_store's IndexedDB calls, in memory."""

    def __init__(self, rows):
        self.rows = rows

    def install(self, monkeypatch):
        monkeypatch.setattr(work_store, "available", lambda: True)
        monkeypatch.setattr(work_store, "load_all", lambda: dict(self.rows))
        monkeypatch.setattr(work_store, "push", self.push)

    def push(self, lesson_id, text):
        if text is None:
            self.rows.pop(lesson_id, None)
        else:
            self.rows[lesson_id] = {"id": lesson_id, "text": text, "updated": work_store.now()}


def test_a_fresh_work_folder_is_filled_from_the_browsers_copy(learner_files, monkeypatch):
    """Over plain HTTP there is no /drive: the folder is the kernel's memory, empty after a reload."""
    store = FakeBrowserStore({})
    store.install(monkeypatch)
    _pass_add(Lesson("01_tensor"))
    assert "Tensor.__add__" in store.rows["01_tensor"]["text"], "each save is mirrored to the browser"

    _fresh_kernel()
    folder = learner_files / "my_tinytorch"
    (folder / "01_tensor.py").unlink()  # the reload lost the kernel's files
    mine._PULLED.clear()
    assert use_my_work(before=2) == ["tinytorch.tensor:Tensor.__add__"]
    assert (folder / "01_tensor.py").exists()


def test_a_newer_file_in_the_folder_is_mirrored_back(learner_files, monkeypatch):
    store = FakeBrowserStore({"01_tensor": {"id": "01_tensor", "text": "# old\n", "updated": "2000-01-01T00:00:00Z"}})
    store.install(monkeypatch)
    folder = learner_files / "my_tinytorch"
    folder.mkdir()
    (folder / "01_tensor.py").write_text("# newer\n")
    assert work_store.pull(folder) == []
    assert store.rows["01_tensor"]["text"] == "# newer\n"


def test_input_raises_a_clear_error_where_the_browser_cannot_read_the_keyboard(monkeypatch):
    assert browser_input.install() is False, "natively input() is left alone"
    monkeypatch.setattr(browser_input, "reason", lambda: "this page was opened over plain http://")
    monkeypatch.setattr(builtins, "input", builtins.input)  # restored after the test
    assert browser_input.install() is True
    with pytest.raises(browser_input.InputUnavailableError, match=r"plain http://.*Put the value in your code"):
        input("name? ")
    assert issubclass(browser_input.InputUnavailableError, EOFError)
