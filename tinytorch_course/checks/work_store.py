"""The learner's saved pieces in the browser's own storage, so they do not depend on the service worker.

Passing pieces are saved as files (`my_tinytorch/NN_slug.py`, see `mine.py`). In JupyterLite those files
reach the browser's storage only through `/drive`, which exists only when a service worker runs: not
over plain `http://` from another computer (a classroom laptop on Wi-Fi is not a secure context), where
the kernel's folder is the worker's memory and is lost on reload. So the kernel itself also writes each
saved file to IndexedDB, database ``DB_NAME``, object store ``STORE_NAME`` (key path ``"id"``, the lesson
id), records ``{"id", "text", "updated"}``; the landing page exports, imports and resets the same records.

When the kernel starts, `pull(folder)` writes the stored files into the work folder (where a file is
missing or older), and `push` mirrors every save. IndexedDB is asynchronous and a notebook cell is not:
`pyodide.ffi.run_sync` (JavaScript Promise Integration) waits for it inside the cell. Natively, and where
the browser offers no IndexedDB, this module does nothing: the files are the storage.
"""

from __future__ import annotations

import json
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

from .. import browser_db

DB_NAME = "tinytorch-work"  # shared with site/landing/app.js
DB_VERSION = 1
STORE_NAME = "pieces"  # keyPath "id" (lesson id); {"id", "text", "updated"}


class WorkStorageWarning(UserWarning):
    """The browser's storage could not be used; the file in the work folder is still written."""


_JS = browser_db.store_js(
    DB_NAME,
    DB_VERSION,
    STORE_NAME,
    """
    put: (text) => inStore("readwrite", (store) => store.put(JSON.parse(text))),
    remove: (id) => inStore("readwrite", (store) => store.delete(id)),
""",
)

_DB = None  # the JavaScript object above, once made


def _warn(message: str) -> None:
    warnings.warn(f"tinytorch: {message}", WorkStorageWarning, stacklevel=3)


def available() -> bool:
    """True in a browser kernel that can wait for IndexedDB inside a cell."""
    if sys.platform != "emscripten":
        return False
    import js
    from pyodide.ffi import can_run_sync

    return getattr(js, "indexedDB", None) is not None and can_run_sync()


def _db():
    global _DB
    if _DB is None:
        from pyodide.code import run_js

        _DB = run_js(_JS)
    return _DB


def _wait(promise):
    from pyodide.ffi import run_sync

    return run_sync(promise)


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def load_all() -> dict:
    """{lesson_id: {"text", "updated"}} stored in the browser ({} natively)."""
    if not available():
        return {}
    try:
        rows = json.loads(_wait(_db().getAll()))
    except Exception as err:
        _warn(f"could not read your saved pieces from the browser's storage ({err})")
        return {}
    return {row["id"]: row for row in rows if isinstance(row, dict) and "id" in row}


def push(lesson_id: str, text: str | None) -> None:
    """Store a lesson's saved-pieces file (None: remove it)."""
    if not available():
        return
    try:
        if text is None:
            _wait(_db().remove(lesson_id))
        else:
            _wait(_db().put(json.dumps({"id": lesson_id, "text": text, "updated": now()})))
    except Exception as err:
        _warn(f"could not store your pieces of {lesson_id} in the browser ({err}); they are in this kernel only")


def _mtime_iso(path: Path) -> str:
    return datetime.fromtimestamp(path.stat().st_mtime, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def pull(folder: Path) -> list:
    """Bring the browser's stored files into `folder`: write each one that is missing there or older;
    mirror a newer file of the folder back. Returns the lesson ids written into the folder."""
    written = []
    for lesson_id, row in sorted(load_all().items()):
        path = folder / f"{lesson_id}.py"
        text = row.get("text")
        if not isinstance(text, str):
            continue
        if path.exists():
            current = path.read_text(encoding="utf-8")
            if current == text:
                continue
            if _mtime_iso(path) > row.get("updated", ""):
                push(lesson_id, current)
                continue
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(lesson_id)
        except OSError as err:
            _warn(f"could not write {path} from the browser's storage ({err})")
    return written
