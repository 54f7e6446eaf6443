"""Isolation for the lesson tests: the learner's work folder, progress file and check log live in a
temporary directory, and no learner code stays installed over the package after a test."""

from __future__ import annotations

import pytest

from tinytorch_course.checks import mine


@pytest.fixture(autouse=True)
def learner_files(tmp_path, monkeypatch):
    """$TINYTORCH_WORK and $TINYTORCH_PROGRESS in tmp_path (also inherited by notebook kernels)."""
    monkeypatch.setenv("TINYTORCH_WORK", str(tmp_path / "my_tinytorch"))
    monkeypatch.setenv("TINYTORCH_PROGRESS", str(tmp_path / "progress.json"))
    monkeypatch.delenv("TINYTORCH_CHECK_LOG", raising=False)
    yield tmp_path
    for key in list(mine.ORIGINALS):
        mine.uninstall(key)
    for key in list(mine.HELPERS):
        entry = mine.REGISTRY.get(key)
        if entry is not None and hasattr(entry.owner, entry.attr):
            delattr(entry.owner, entry.attr)
    mine.HELPERS.clear()
    mine.REGISTRY.clear()
