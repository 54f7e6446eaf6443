"""Runaway recursion in the learner's code: a readable failure, never a dead kernel.

Natively, endless recursion is a RecursionError after 1000 frames. In the browser the kernel runs in a
Web Worker whose JavaScript stack is smaller than what 1000 Python frames need once NumPy calls back
into Python (`np.add` -> `Tensor.__array_ufunc__` -> ...): the worker dies silently with the cell left
at `[*]` and every variable lost. An earlier attempt measured, in Debian Chromium with Pyodide
0.27.7, the worker dying at about 1025 frames of operator recursion and about 800 through NumPy (not
re-measured here; what is verified, by tests/browser/test_learner_loop.py on main's site, is that the
default limit of 1000 kills the worker through NumPy and 400 does not). So in Pyodide the limit is
lowered to 400, well below both, and plenty for tinytorch itself (its autograd walks the graph iteratively).
"""

from __future__ import annotations

import sys
import traceback

BROWSER_LIMIT = 400

# a method calling itself again through an operator: which operator a dunder is reached by
OPERATORS = {
    "__add__": "+",
    "__radd__": "+",
    "__sub__": "-",
    "__rsub__": "-",
    "__mul__": "*",
    "__rmul__": "*",
    "__truediv__": "/",
    "__rtruediv__": "/",
    "__matmul__": "@",
    "__rmatmul__": "@",
    "__pow__": "**",
    "__neg__": "-x",
    "__getitem__": "x[...]",
    "__eq__": "==",
    "__lt__": "<",
    "__gt__": ">",
    "__len__": "len()",
    "__repr__": "repr()",
}


def keep_below_browser_stack() -> None:
    """In Pyodide, lower the recursion limit so a RecursionError comes before the worker's stack ends."""
    if sys.platform == "emscripten" and sys.getrecursionlimit() > BROWSER_LIMIT:
        sys.setrecursionlimit(BROWSER_LIMIT)


def describe_self_call(err: RecursionError, piece_name: str) -> str:
    """Why the piece recursed, when the traceback shows it calling itself (else the plain error).

    `def __add__(self, other): return self + other` passes no check once the piece runs inside
    tinytorch: `+` comes straight back to it. Say so, and how to compute instead.
    """
    attr = piece_name.rpartition(".")[2]
    frames = traceback.extract_tb(err.__traceback__)
    own = [f for f in frames if f.name == attr]
    if len(own) < 3:
        return f"RecursionError: {err}"
    call = own[-2]  # the deepest frame stops at its `def` line; the one above it shows the call
    line = (call.line or "").strip()
    how = OPERATORS.get(attr)
    through = f" through `{how}`" if how else ""
    return (
        f"RecursionError: your {piece_name} calls itself again{through} (line {call.lineno}: {line}). "
        f"While it is checked, and once it passes, tinytorch runs your {piece_name} for every `{how or attr}`, "
        f"so it cannot hand the work back to tinytorch: compute on the NumPy arrays (`self.data`) instead."
    )
