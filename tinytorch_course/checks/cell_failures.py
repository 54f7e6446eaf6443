"""Remember which notebook cells failed, so a check can say "your cell failed" instead of "not run".

A cell with a SyntaxError (or one that raises before its `@implement` block finishes) defines nothing,
so a check afterwards only sees that the piece is missing. Telling the learner to "run its code cell
first" is wrong when they just did. IPython calls `post_run_cell` after every cell; this module keeps,
for each function name a failed cell defines (found by text: a SyntaxError cell cannot be parsed), the
error it failed with, and forgets it once a cell defining that name runs cleanly.
"""

from __future__ import annotations

import re
import sys

_DEF = re.compile(r"^\s*def\s+([A-Za-z_]\w*)\s*\(", re.M)

# function name -> "SyntaxError: invalid syntax (line 3)" for names whose latest cell failed
FAILED: dict = {}
_watching = False


def watch() -> None:
    """Start listening to the IPython shell's cell runs (no-op outside IPython, or if already on)."""
    global _watching
    if _watching:
        return
    ipython = sys.modules.get("IPython")  # a notebook kernel has imported it; plain Python has no cells
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return
    shell.events.register("post_run_cell", after_cell)
    _watching = True


def after_cell(result) -> None:
    """IPython's post_run_cell hook: note the names a failed cell defines, clear them on success."""
    source = getattr(result.info, "raw_cell", "") or ""
    names = _DEF.findall(source)
    if not names:
        return
    error = result.error_before_exec or result.error_in_exec
    for name in names:
        if error is None:
            FAILED.pop(name, None)
        else:
            FAILED[name] = describe(error)


def describe(error: BaseException) -> str:
    text = f"{type(error).__name__}: {getattr(error, 'msg', None) or error}"
    line = getattr(error, "lineno", None)
    if isinstance(error, SyntaxError) and line:
        text += f" (line {line} of the cell)"
    return text


def failure_for(attr: str) -> str | None:
    """The error of the latest failed cell that defines `attr`, or None if no such cell failed."""
    return FAILED.get(attr)
