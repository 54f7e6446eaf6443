"""`input()` in a browser kernel that cannot read the keyboard raises a clear error instead of returning None.

JupyterLite's Pyodide kernel runs in a Web Worker; `input()` blocks it on a synchronous request that the
site's service worker answers with what the learner typed. Without a service worker, e.g. the course
opened over plain `http://` from another computer (not a secure context), that request fails and
`input()` silently returns `None`. The kernel sets `builtins.input` again before every cell, so the
replacement is put back by an IPython `pre_run_cell` hook, which runs after that.
"""

from __future__ import annotations

import builtins
import sys
from pathlib import Path


class InputUnavailableError(EOFError):
    """input() cannot wait for the learner's typing in this browser page."""


def reason() -> str | None:
    """Why input() cannot work in this kernel, or None if it can (natively, or with a service worker)."""
    if sys.platform != "emscripten" or Path("/drive").is_dir():  # /drive is mounted only with the service worker
        return None
    import js

    scope = getattr(js, "self", None)  # the worker's global scope; absent under Node (no page, no service worker)
    if scope is None:
        return None
    if not getattr(scope, "isSecureContext", True):
        return (
            f"this page was opened over plain http:// from {scope.location.host} (not a secure context), "
            "so the browser runs no service worker, and only the service worker can pass your typing to Python"
        )
    return (
        "this browser runs no service worker for this page (a private window?), "
        "and only the service worker can pass your typing to Python"
    )


def _unavailable(why: str):
    def input(prompt=""):  # noqa: A001 - it replaces the builtin of that name
        raise InputUnavailableError(
            f"input({prompt!r}) cannot read the keyboard here: {why}. Put the value in your code instead, "
            "e.g. `answer = '42'`, or open the course on this computer at http://localhost or over https://."
        )

    return input


def install() -> bool:
    """Make input() raise InputUnavailableError where it cannot work; True if it was needed."""
    why = reason()
    if why is None:
        return False
    replacement = _unavailable(why)
    builtins.input = replacement
    ip = getattr(builtins, "get_ipython", lambda: None)()
    if ip is not None:
        ip.events.register("pre_run_cell", lambda *_: setattr(builtins, "input", replacement))
    return True
