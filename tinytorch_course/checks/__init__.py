"""The in-notebook check library: grade the learner's own code, case by case, with hints on request.

In a lesson notebook::

    from tinytorch_course.checks import Lesson, implement
    lesson = Lesson("01_tensor")

    @implement(Tensor)
    class Tensor:
        def __add__(self, other): ...

    lesson.check("Tensor.__add__")   # ✓/✗ per case: input, expected vs got, a hint
    lesson.hint()                    # the next hint, one at a time

Once a piece passes it runs inside tinytorch in this kernel and is saved to the learner's work
folder; `use_my_work()` switches the saved pieces on in later lessons and the milestones.

Case files: `tinytorch_course/checks/lessonNN.py` declares `HOME` (the module holding the reference code;
`<MODULE>_HOME` for each further module a lesson's pieces live in) and `PIECES` (a list of `Piece`s,
each with a function yielding its `Case`s); what they share is in `fixtures.py`. The same cases run
natively under pytest against the package's reference (tests/lessons/).
"""

import sys

from . import browser_input
from .cases import Case, Piece, Raises, construct
from .gradients import grad_case
from .mine import implement, use_reference, work_dir
from .runner import Lesson, load_pieces, run_case, use_my_work

if sys.platform == "emscripten":  # over plain http:// input() would return None silently
    browser_input.install()

__all__ = [
    "Case",
    "Piece",
    "Raises",
    "construct",
    "grad_case",
    "implement",
    "use_my_work",
    "use_reference",
    "work_dir",
    "Lesson",
    "load_pieces",
    "run_case",
]
