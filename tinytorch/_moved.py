"""Old import paths of the course machinery, which moved out of the framework into `tinytorch_course`.

`tinytorch` is the framework a learner builds; the grader, the lesson registry, progress storage,
milestone support and the timing helper moved to the top-level package `tinytorch_course` (issue 14).
An old import such as `from tinytorch.checks import Lesson` must not fail as a bare "No module named"
nor silently alias the new module (two names for one module drift apart): this finder, installed by
`tinytorch/__init__.py`, turns it into an ImportError that names the new module. It knows only names;
`tinytorch` never imports `tinytorch_course`.
"""

from __future__ import annotations

import importlib.abc

MOVED = {
    "tinytorch.checks": "tinytorch_course.checks",
    "tinytorch.course": "tinytorch_course.registry",
    "tinytorch.progress": "tinytorch_course.progress",
    "tinytorch.milestone": "tinytorch_course.milestone",
    "tinytorch.timing": "tinytorch_course.timing",
}


def new_name(fullname: str) -> str | None:
    """The new home of an old module name (submodules follow their package), or None."""
    for old, new in MOVED.items():
        if fullname == old or fullname.startswith(old + "."):
            return new + fullname[len(old) :]
    return None


def moved_message(fullname: str) -> str:
    new = new_name(fullname)
    return (
        f"`{fullname}` moved to `{new}`: the course machinery lives in the package `tinytorch_course`, "
        f"beside the framework. Write `import {new}` (or `from {new} import ...`) instead."
    )


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Raises a clear ImportError for an old course-machinery module path; finds nothing else."""

    def find_spec(self, fullname, path=None, target=None):
        if new_name(fullname) is not None:
            raise ImportError(
                moved_message(fullname), name=fullname
            )  # not ModuleNotFoundError: `from tinytorch import progress` would swallow that one
        return None


def install(meta_path: list) -> None:
    """Put one finder first on `meta_path` (idempotent: a reload of tinytorch adds no second one)."""
    if not any(isinstance(f, MovedModuleFinder) for f in meta_path):
        meta_path.insert(0, MovedModuleFinder())
