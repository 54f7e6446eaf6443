"""Where check results are recorded: the one place the course's progress lives.

The check library calls ``record(lesson_id, passed, total)`` after each check run (milestones call it
with their ids too); the landing page (``site/landing/app.js``) reads the same records to show each
lesson as "not started", "in progress" or "passed".

Where records go:
- **In the browser** (Pyodide, ``sys.platform == "emscripten"``): the kernel runs in a Web Worker, which
  has IndexedDB but no localStorage. Records go to IndexedDB database ``DB_NAME`` ("tinytorch"),
  version ``DB_VERSION``, object store ``STORE_NAME`` ("progress") with key path ``"id"`` -- the same
  database the landing page reads (same origin). IndexedDB is asynchronous and a cell is not, so a
  write finishes just after the cell's code returns; ``load()`` returns what this kernel has read or
  written so far and ``await load_async()`` reads the database itself.
- **Natively** (and under Node, which has no IndexedDB): a JSON file, ``~/.tinytorch/progress.json``,
  or the path in the environment variable ``TINYTORCH_PROGRESS``. The file has the same shape as the
  landing page's "Export progress" file, so either can be imported into the other.

A record (one per lesson or milestone id)::

    {"id": "01_tensor", "passed": 3, "total": 5, "status": "in progress",
     "opened": True, "updated": "2026-11-24T15:50:00Z"}

Recording progress must never break a learner's cell: storage problems are turned into a warning.
Wrong arguments (an unknown id, ``passed > total``) are a bug in the caller and raise ``ValueError``.
"""

from __future__ import annotations

import json
import numbers
import os
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

from . import browser_db
from .registry import LESSONS, MILESTONES

DB_NAME = "tinytorch"  # IndexedDB database shared with site/landing/app.js
DB_VERSION = 1
STORE_NAME = "progress"  # object store, keyPath "id"
FILE_FORMAT = "tinytorch-progress"  # "format" field of the JSON file / the landing page's export
FILE_VERSION = 1

NOT_STARTED, IN_PROGRESS, PASSED = "not started", "in progress", "passed"


class ProgressWarning(UserWarning):
    """Progress could not be stored or read; the learner's work itself is unaffected."""


def status(record: dict | None) -> str:
    """Derive a record's status: all checks pass -> "passed"; some pass, or the notebook was opened
    -> "in progress"; otherwise "not started". (The landing page applies the same rule.)"""
    if not record:
        return NOT_STARTED
    passed, total = record.get("passed", 0), record.get("total", 0)
    if total > 0 and passed == total:
        return PASSED
    if passed > 0 or record.get("opened"):
        return IN_PROGRESS
    return NOT_STARTED


def record(lesson_id: str, passed: int, total: int) -> dict:
    """Store that ``passed`` of the ``total`` checks of ``lesson_id`` pass right now; return the record.

    ``total`` is the number of checks of the whole lesson (or milestone), so ``passed == total`` means
    the lesson is done. A run of the checks implies the notebook was opened, so any record is at least
    "in progress". The latest run wins (a learner who breaks a passing lesson sees it again).
    """
    _validate(lesson_id, passed, total)
    patch = {
        "id": lesson_id,
        "passed": int(passed),
        "total": int(total),
        "opened": True,
        "updated": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    patch["status"] = status(patch)
    return _backend().put(patch)


def load() -> dict:
    """All records, ``{id: record}``. In the browser: the records this kernel has read or written so far
    (the database is read in the background from the first import); use ``await load_async()`` there
    when the answer must include everything."""
    return _backend().load()


async def load_async() -> dict:
    """All records, read from the storage itself (awaits IndexedDB in the browser)."""
    return await _backend().load_async()


def _known_ids() -> set:
    return {item.id for item in (*LESSONS, *MILESTONES)}


def _validate(lesson_id, passed, total) -> None:
    known = _known_ids()
    if lesson_id not in known:
        raise ValueError(
            f"progress.record: unknown id {lesson_id!r}; expected a lesson or milestone id "
            f"from tinytorch_course.registry, e.g. '01_tensor' or '1958_perceptron'"
        )
    for name, value in (("passed", passed), ("total", total)):
        # numbers.Integral also admits NumPy integers (e.g. a sum of booleans)
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"progress.record({lesson_id!r}): {name} must be an int >= 0, got {value!r}")
    if passed > total:
        raise ValueError(f"progress.record({lesson_id!r}): passed={passed} is more than total={total}")


def _warn(message: str) -> None:
    warnings.warn(
        f"tinytorch_course.progress: {message} (your code and its checks are unaffected)", ProgressWarning, stacklevel=4
    )


# --------------------------------------------------------------------------------------------
# Native: one JSON file
# --------------------------------------------------------------------------------------------
def progress_path() -> Path:
    """The JSON file used natively: $TINYTORCH_PROGRESS, else ~/.tinytorch/progress.json."""
    return Path(os.environ.get("TINYTORCH_PROGRESS") or Path.home() / ".tinytorch" / "progress.json")


class FileBackend:
    """Records in one JSON file ``{"format", "version", "progress": {id: record}}``, written atomically."""

    def _read(self) -> tuple[dict, str | None]:
        """(records, problem): problem says why an existing file could not be used."""
        path = progress_path()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, NotADirectoryError):
            return {}, None
        except (OSError, ValueError) as err:
            return {}, f"could not read {path}: {err}"
        progress = data.get("progress") if isinstance(data, dict) else None
        if not isinstance(progress, dict):
            return {}, f"{path} is not a progress file (no 'progress' object)"
        return progress, None

    def load(self) -> dict:
        progress, problem = self._read()
        if problem:
            _warn(problem)
        return progress

    async def load_async(self) -> dict:
        return self.load()

    def put(self, patch: dict) -> dict:
        path = progress_path()
        progress, problem = self._read()
        merged = {**progress.get(patch["id"], {}), **patch}
        progress[patch["id"]] = merged
        body = {"format": FILE_FORMAT, "version": FILE_VERSION, "progress": progress}
        try:
            if problem:  # keep the unreadable file for the learner instead of overwriting it
                aside = path.with_name(path.name + ".unreadable")
                os.replace(path, aside)
                _warn(f"{problem}; moved it to {aside} and started a new file")
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(json.dumps(body, indent=1, sort_keys=True), encoding="utf-8")
            os.replace(tmp, path)  # atomic: a crash never leaves half a file
        except OSError as err:
            _warn(f"could not write {path}: {err}")
        return merged


# --------------------------------------------------------------------------------------------
# Browser: IndexedDB, through JavaScript run in the kernel's worker
# --------------------------------------------------------------------------------------------
# Evaluates to {put(json) -> Promise<record>, getAll() -> Promise<json>}. put() merges the new fields
# into the stored record inside one readwrite transaction, so fields the landing page sets survive.
_JS = browser_db.store_js(
    DB_NAME,
    DB_VERSION,
    STORE_NAME,
    """
    put: (text) => inStore("readwrite", (store, done) => {
      const patch = JSON.parse(text);
      const get = store.get(patch.id);
      get.onsuccess = () => {
        const merged = Object.assign({}, get.result || {}, patch);
        store.put(merged);
        done(JSON.stringify(merged));
      };
    }),
""",
)


class IndexedDBBackend:
    """Records in the browser's IndexedDB; keeps a copy of what it has read and written."""

    def __init__(self, run_js):
        self._db = run_js(_JS)
        self._cache: dict = {}
        self._loaded = False
        self._prefetch = None

    def start_prefetch(self) -> None:
        """Read the database in the background (on the kernel's event loop) so load() sees it."""
        import asyncio  # only the browser's prefetch needs it: keeps a native `import` of progress light

        try:
            self._prefetch = asyncio.ensure_future(self.load_async())
        except Exception as err:  # no running loop: load_async() still works when awaited
            _warn(f"could not start reading saved progress: {err}")

    async def load_async(self) -> dict:
        try:
            rows = json.loads(await self._db.getAll())
        except Exception as err:
            _warn(f"could not read progress from IndexedDB {DB_NAME!r}: {err}")
            return dict(self._cache)
        stored = {row["id"]: row for row in rows}
        # records written by this kernel while the read was in flight are newer than the read
        self._cache = {
            **stored,
            **{
                k: v
                for k, v in self._cache.items()
                if k not in stored or v.get("updated", "") >= stored[k].get("updated", "")
            },
        }
        self._loaded = True
        return dict(self._cache)

    def load(self) -> dict:
        if not self._loaded:
            _warn("saved progress is still being read; `await tinytorch_course.progress.load_async()` waits for it")
        return dict(self._cache)

    def put(self, patch: dict) -> dict:
        merged = {**self._cache.get(patch["id"], {}), **patch}
        self._cache[patch["id"]] = merged
        try:
            promise = self._db.put(json.dumps(patch))
            # a rejected write must still not go unnoticed: report it when it happens
            promise.catch(lambda err: _warn(f"could not save progress to IndexedDB {DB_NAME!r}: {err}"))
        except Exception as err:
            _warn(f"could not save progress to IndexedDB {DB_NAME!r}: {err}")
        return merged


_BACKEND = None


def _make_backend():
    if sys.platform == "emscripten":
        try:
            import js  # Pyodide-only modules: they exist only on this branch
            from pyodide.code import run_js

            if getattr(js, "indexedDB", None) is not None:
                backend = IndexedDBBackend(run_js)
                backend.start_prefetch()
                return backend
        except Exception as err:
            _warn(f"IndexedDB unavailable ({err}); keeping progress in {progress_path()}")
    return FileBackend()


def _backend():
    global _BACKEND
    if _BACKEND is None:
        _BACKEND = _make_backend()
    return _BACKEND


if sys.platform == "emscripten":  # start reading saved progress as early as possible
    try:
        _backend()
    except Exception as err:
        _warn(f"progress storage unavailable: {err}")
