"""What a lesson's checks are made of: pieces (what the learner writes) and cases (how it is tested).

A *piece* is one function or method of the package that a lesson asks the learner to write, named by
its place in the package (`Piece("Tensor.__add__")` in home module `tinytorch.tensor`). The package's
own code is the reference solution, so there is no second copy that can drift: the notebook builder
shows it verbatim in the reference notebook and a signature + `NotImplementedError` stub in the
learner's notebook, and the cases run against the learner's function (in the page) or the package's
(under pytest).

A *case* is one call and its expectation, e.g. "broadcast (2, 3) + (3,)": arguments, the expected
value (NumPy computes it), `Raises(...)` for an error the learner must raise, or a function that
inspects the result. Cases are built fresh for every run (a learner's code may modify its inputs).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .originals import original


@dataclass
class Raises:
    """Expect the call to raise `error` with a message that mentions every one of `mentions`.

    `Raises(ValueError, "(2, 3)", "(4, 5)")`: a shape error must name both shapes, so the learner's
    users can fix their code from the message alone.
    """

    error: type
    mentions: tuple = ()

    def __init__(self, error: type, *mentions: str):
        self.error = error
        self.mentions = tuple(mentions)

    def describe(self) -> str:
        what = self.error.__name__
        if self.mentions:
            what += " whose message names " + " and ".join(self.mentions)
        return what


@dataclass
class Case:
    """One check: call the piece with `args`/`kwargs` (or `call(impl)`) and compare with `expected`.

    expected: a value (array, scalar, Tensor, tuple of those), `Raises(...)`, or a function
              `check(got) -> None | str` returning why `got` is wrong.
    returns:  the type the result must have (e.g. `Tensor`); None accepts anything array-like.
    dtype:    if set, the result's dtype must be exactly this.
    show:     how to describe the input, when `args` do not say it (custom `call`s).
    hint:     why this case might fail, shown with the failure (one sentence).
    """

    name: str
    args: tuple = ()
    expected: Any = None
    kwargs: dict = field(default_factory=dict)
    hint: str = ""
    call: Callable | None = None
    returns: type | None = None
    dtype: Any = None
    show: str | None = None
    rtol: float = 1e-5
    atol: float = 1e-6

    def run(self, impl):
        """Call the implementation under test (may raise: the runner turns that into a report)."""
        if self.call is not None:
            return self.call(impl)
        return impl(*self.args, **self.kwargs)


@dataclass
class Piece:
    """A function or method the learner implements in a lesson.

    name:  qualified name inside its home module: "Tensor.__add__", "Linear.forward", "softmax".
    cases: a function returning the piece's cases (called at every check run: fresh inputs).
    todo:  one line saying what to implement; it becomes the stub's `NotImplementedError` message.
    hints: revealed one at a time on request (`lesson.hint()`), most general first.
    home:  the module that holds the reference (default: the lesson file's HOME).
    """

    name: str
    cases: Callable[[], Iterable[Case]]
    todo: str
    hints: Sequence[str] = ()
    home: str = ""
    title: str = ""

    @property
    def key(self) -> str:
        """ "tinytorch.tensor:Tensor.__add__": the piece's unique name across the course."""
        return f"{self.home}:{self.name}"

    @property
    def owner_name(self) -> str | None:
        """ "Tensor" for a method, None for a module-level function."""
        return self.name.rpartition(".")[0] or None

    @property
    def attr(self) -> str:
        return self.name.rpartition(".")[2]

    def module(self):
        return importlib.import_module(self.home)

    def owner(self):
        """The class (for methods) or module (for functions) the piece belongs to."""
        target = self.module()
        for part in (self.owner_name or "").split(".") if self.owner_name else ():
            target = getattr(target, part)
        return target

    def reference(self):
        """The package's own implementation (the raw class attribute: function, property, ...),
        even while the learner's version is installed in its place."""
        owner = self.owner()
        value = original(self.key)
        if value is None:
            value = vars(owner).get(self.attr) if isinstance(owner, type) else getattr(owner, self.attr, None)
        if value is None:
            raise LookupError(f"{self.key}: {self.home} has no {self.name}; fix the lesson's check file")
        return value

    def build_cases(self) -> list:
        cases = list(self.cases())
        names = [c.name for c in cases]
        duplicate = {n for n in names if names.count(n) > 1}
        if duplicate:
            raise ValueError(f"{self.key}: case names must be unique, repeated: {sorted(duplicate)}")
        return cases


def callable_of(value):
    """The function inside a class attribute (plain function, staticmethod, classmethod, property)."""
    if isinstance(value, (staticmethod, classmethod)):
        return value.__func__
    if isinstance(value, property):
        return value.fget
    return value


def construct(cls, init, *args, **kwargs):
    """Build a `cls` object with the learner's `__init__` (for `Piece("Linear.__init__")` cases):
    `Case("3 -> 2", call=lambda init: construct(Linear, init, 3, 2), expected=check_shapes)`."""
    obj = cls.__new__(cls)
    result = init(obj, *args, **kwargs)
    if result is not None:
        raise TypeError(f"__init__ should return None, got {type(result).__name__}")
    return obj
