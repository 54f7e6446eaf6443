"""What every milestone script shares: its run mode, the learner's own code, figures, and progress.

A milestone runs natively (`python milestones/1986_mlp.py [--quick|--browser|--full]`) and as a
notebook in the browser course; these helpers make both behave the same.
"""

from __future__ import annotations

from pathlib import Path

from . import checks, progress
from .checks.pieces_ran import PieceUse
from .checks.recursion import keep_below_browser_stack
from .registry import MILESTONES, run_mode

FIGURES = Path("milestones/figures")

# the pieces watched between start() and finish(): how many that ran are the learner's own
_use = None


def start(milestone_id: str, use_my_work: bool = True) -> str:
    """Announce the milestone, switch on the learner's passing lesson code, return the run mode.

    `use_my_work=False` runs on tinytorch's reference code only.
    """
    ids = [m.id for m in MILESTONES]
    if milestone_id not in ids:
        raise KeyError(f"unknown milestone {milestone_id!r}; milestones are {', '.join(ids)}")
    global _use
    mode = run_mode()
    print(f"milestone {milestone_id}, mode: {mode}")
    if use_my_work:
        checks.use_my_work()
    keep_below_browser_stack()  # runaway recursion in the learner's pieces: an error, not a dead kernel
    if _use is not None:
        _use.stop()
    milestone = next(m for m in MILESTONES if m.id == milestone_id)
    _use = PieceUse(max(milestone.requires, default=1)).start()
    return mode


def figure_path(name: str, mode: str):
    """Where a full native run from the repository root saves a plot; None (just show it) otherwise."""
    return str(FIGURES / name) if mode == "full" and FIGURES.is_dir() else None


def finish(milestone_id: str, targets: dict) -> bool:
    """Print each target as reached or missed, record the count for the course page, return all-reached.

    `targets` maps a readable target ("test accuracy >= 95 %") to whether it was reached.
    """
    global _use
    for name, ok in targets.items():
        print(f"{'✓' if ok else '✗'} {name}")
    passed = sum(bool(v) for v in targets.values())
    if _use is not None:  # reached on whose code? say how many of the pieces it ran are the learner's
        watched = _use.watching
        _use.stop()
        print(_use.sentence(watched))
        _use = None
    try:
        progress.record(milestone_id, passed, len(targets))
    except Exception as err:  # the course page's bookkeeping must never break a run
        print(f"(progress not recorded: {err})")
    return passed == len(targets)
