"""Which lesson pieces a milestone actually ran, and how many of those were the learner's own code.

A milestone "reached" on tinytorch's reference code is not the learner's achievement. While a
milestone runs, Python 3.12's `sys.monitoring` notes the first start of each piece's code object
(the learner's installed version or the reference) and then switches itself off for that code, so
a training loop costs nothing extra. Without `sys.monitoring` (Python 3.10/3.11 natively) the count
is over every piece of the lessons the milestone builds on, and the sentence says so.
"""

from __future__ import annotations

import sys

from ..registry import LESSONS
from . import mine
from .cases import callable_of
from .runner import load_pieces


def _code(value):
    fn = callable_of(value)
    return getattr(fn, "__code__", None)


class PieceUse:
    """Watch which pieces of lessons 1..`up_to` run between `start()` and `stop()`."""

    def __init__(self, up_to: int):

        self.up_to = up_to
        self.codes: dict = {}  # code object -> (piece key, is the learner's)
        self.keys: set = set()
        installed = set(mine.installed())
        for item in LESSONS:
            if item.number > up_to:
                break
            for piece in load_pieces(item.id):
                self.keys.add(piece.key)
                ref = _code(piece.reference())
                if ref is not None:
                    self.codes.setdefault(ref, (piece.key, False))
                if piece.key in installed:
                    own = _code(mine.mine(piece.key))
                    if own is not None:
                        self.codes[own] = (piece.key, True)
        self.mine_installed = {k for k in self.keys if k in installed}
        self.ran: dict = {}  # key -> True if the learner's version ran (else the reference)
        self.tool = None

    @property
    def watching(self) -> bool:
        return self.tool is not None

    def start(self) -> PieceUse:
        mon = getattr(sys, "monitoring", None)
        if mon is None:
            return self
        for tool in (3, 4, mon.PROFILER_ID, mon.OPTIMIZER_ID):
            if mon.get_tool(tool) is None:
                self.tool = tool
                break
        if self.tool is None:
            return self
        mon.use_tool_id(self.tool, "tinytorch milestone pieces")
        mon.register_callback(self.tool, mon.events.PY_START, self._started)
        mon.set_events(self.tool, mon.events.PY_START)
        return self

    def _started(self, code, offset):
        hit = self.codes.get(code)
        if hit is not None:
            key, is_mine = hit
            self.ran[key] = self.ran.get(key, False) or is_mine
        return sys.monitoring.DISABLE  # each code object is looked at once

    def stop(self) -> None:
        if self.tool is None:
            return
        mon = sys.monitoring
        mon.set_events(self.tool, 0)
        mon.register_callback(self.tool, mon.events.PY_START, None)
        mon.free_tool_id(self.tool)
        mon.restart_events()
        self.tool = None

    def sentence(self, watched: bool) -> str:
        """'It ran 12 lesson pieces; 3 of them are yours ...' (or, unwatched, the pieces in reach)."""
        lessons = "lesson 01" if self.up_to == 1 else f"lessons 01-{self.up_to:02d}"
        if watched:
            total, yours = len(self.ran), sum(self.ran.values())
            what = f"It ran {_count(total, 'piece')} from {lessons}"
        else:
            total, yours = len(self.keys), len(self.mine_installed)
            what = f"Of the {_count(total, 'piece')} from {lessons}"
        if total == 0:
            return f"It ran none of the pieces from {lessons}."
        if yours == 0:
            return (
                f"{what}: none of them is your code yet (tinytorch's reference ran); "
                "pass a lesson's checks to run yours here."
            )
        if yours == total:
            return f"{what}: {'all of them are' if total > 1 else 'it is'} your code."
        verb = "is" if yours == 1 else "are"
        return f"{what}: {yours} of them {verb} your code, the other {total - yours} tinytorch's reference."


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")
