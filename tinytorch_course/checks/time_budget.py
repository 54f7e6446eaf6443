"""A time budget for one check case, enforced inside Python.

In the browser the kernel has no working interrupt (jupyterlite-pyodide-kernel 0.6.1 never hands
Pyodide an interrupt buffer, so the Stop button does nothing), and a learner's `while True:` in a
piece would leave the cell busy until the kernel is restarted and all state is lost. So every case
runs under a budget: once it is spent, the next Python line or loop jump of the case raises
`CaseTimeout`, which the runner reports as a normal failure, leaving the kernel idle and usable.

Python 3.12+ (Pyodide 0.27) watches with `sys.monitoring` (cheap: only function starts and jumps);
older Pythons with a trace function. `CaseTimeout` is a BaseException, like KeyboardInterrupt, so a
learner's `except Exception:` inside the loop cannot swallow it; it is raised again at every later
event until the case gives up, so even a bare `except:` only delays the end.
"""

from __future__ import annotations

import os
import sys
import sysconfig
import time
from pathlib import Path

import tinytorch

DEFAULT_SECONDS = 10.0
ENV = "TINYTORCH_CASE_SECONDS"


class CaseTimeout(BaseException):
    """A check case ran past its time budget (most likely an infinite loop in the learner's code)."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        super().__init__(
            f"this case ran more than {seconds:g} s: an infinite loop? Look at the loop's exit condition "
            "(a `while` whose condition never changes, a counter that never moves). "
            "Stopped so the kernel stays usable."
        )


def budget_seconds() -> float:
    """The per-case budget: $TINYTORCH_CASE_SECONDS, else 10 s (read at every case, so a notebook can change it)."""
    text = os.environ.get(ENV, "")
    try:
        seconds = float(text) if text else DEFAULT_SECONDS
    except ValueError:
        raise ValueError(f"{ENV} must be a number of seconds, got {text!r}") from None
    if seconds <= 0:
        raise ValueError(f"{ENV} must be positive, got {text!r}")
    return seconds


def case_budget(seconds: float | None = None):
    """`with case_budget():` runs the body with a time budget; past it, its Python code raises CaseTimeout.

    A plain context manager object, not a generator: once the budget is spent every Python function
    start raises, and the watcher's own teardown (this file's code) must be the one exception.
    """
    seconds = budget_seconds() if seconds is None else seconds
    deadline = time.monotonic() + seconds
    watcher = _MonitoringWatcher if hasattr(sys, "monitoring") else _TraceWatcher
    return watcher(deadline, seconds)


_LIBRARY_ROOTS = tuple(
    {str(Path(p).resolve()) for p in (sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["purelib"])}
    | {str(Path(tinytorch.__file__).resolve().parent), str(Path(__file__).resolve().parents[1])}  # both packages
)
_library_files: dict = {}


def _is_library(filename: str) -> bool:
    """Code of tinytorch, the standard library or an installed package (NumPy): not the learner's.

    An endless loop is the learner's: their piece's `while` jumps back in their own code, so only
    that code is watched. Library code is let alone (sys.monitoring disables its events for good),
    which keeps the budget's cost low for NumPy- and autograd-heavy cases. This file is library too,
    so the watcher never raises in its own teardown.
    """
    known = _library_files.get(filename)
    if known is None:
        path = str(Path(filename).resolve()) if not filename.startswith("<") else filename
        known = _library_files[filename] = path.startswith(_LIBRARY_ROOTS)
    return known


class _MonitoringWatcher:
    """Python 3.12+: PY_START and JUMP events (every call and every loop iteration) of the learner's
    code check the clock; in library code the event is disabled at its first occurrence."""

    def __init__(self, deadline: float, seconds: float):
        self.deadline, self.seconds = deadline, seconds
        self.tool = None

    def _check(self, code, *_):
        if _is_library(code.co_filename):
            return sys.monitoring.DISABLE
        if time.monotonic() > self.deadline:
            raise CaseTimeout(self.seconds)
        return None

    def __enter__(self):
        mon = sys.monitoring
        for tool in (mon.PROFILER_ID, mon.OPTIMIZER_ID, 4, 3):
            if mon.get_tool(tool) is None:
                self.tool = tool
                break
        if self.tool is None:  # every tool slot taken (a debugger and a profiler): fall back to tracing
            self._fallback = _TraceWatcher(self.deadline, self.seconds)
            return self._fallback.__enter__()
        mon.use_tool_id(self.tool, "tinytorch case budget")
        mon.register_callback(self.tool, mon.events.PY_START, self._check)
        mon.register_callback(self.tool, mon.events.JUMP, self._check)
        mon.set_events(self.tool, mon.events.PY_START | mon.events.JUMP)
        return self

    def __exit__(self, *exc):
        if self.tool is None:
            return self._fallback.__exit__(*exc)
        mon = sys.monitoring
        mon.set_events(self.tool, 0)
        mon.register_callback(self.tool, mon.events.PY_START, None)
        mon.register_callback(self.tool, mon.events.JUMP, None)
        mon.free_tool_id(self.tool)
        return False


class _TraceWatcher:
    """Python 3.10/3.11: a trace function checks the clock at every call, and at every line of the
    learner's code (library frames get no line tracing)."""

    def __init__(self, deadline: float, seconds: float):
        self.deadline, self.seconds = deadline, seconds

    def _trace(self, frame, event, arg):
        if _is_library(frame.f_code.co_filename):
            return None
        if time.monotonic() > self.deadline:
            raise CaseTimeout(self.seconds)
        return self._trace

    def __enter__(self):
        self._previous = sys.gettrace()
        sys.settrace(self._trace)
        return self

    def __exit__(self, *exc):
        sys.settrace(self._previous)
        return False
