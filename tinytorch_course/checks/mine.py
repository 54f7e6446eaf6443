"""The learner's own code: registered from the page, switched on once it passes, saved for later lessons.

In a lesson the learner writes a piece inside an `@implement` block::

    @implement(Tensor)            # methods of tinytorch's Tensor class
    class Tensor:
        def __add__(self, other):
            ...

    @implement("tinytorch.tensor")   # a module-level function of tinytorch.tensor
    def unbroadcast(grad, shape):
        ...

`implement` only *registers* the code (the name `Tensor` stays the package's class), so a stub or a
half-written piece never breaks the rest of the kernel. When all of a piece's checks pass, the check
runner *installs* it (the package's class/module now runs the learner's code, in this kernel) and
*saves* it to the learner's work folder (`my_tinytorch/NN_slug.py`). In a later lesson or a milestone,
`use_my_work()` installs every saved piece again: the learner's framework, not the reference, runs.
`use_reference()` switches back.
"""

from __future__ import annotations

import importlib
import inspect
import os
import re
import sys
import textwrap
import types
from datetime import datetime, timezone
from pathlib import Path

from ..registry import LESSONS
from . import work_store
from .cases import callable_of
from .originals import ORIGINALS

_CLASS_NOISE = {
    "__module__",
    "__qualname__",
    "__doc__",
    "__dict__",
    "__weakref__",
    "__firstlineno__",
    "__static_attributes__",
    "__annotations__",
    "__classcell__",
}

# key "home:Qual.name" -> Entry; what the learner defined most recently
REGISTRY: dict = {}
# keys of learner definitions the package does not have (helpers): added at once, saved with pieces
HELPERS: set = set()


class Entry:
    """One learner definition: where it goes (owner + attr) and its source text (for saving)."""

    def __init__(self, home: str, owner, owner_name: str | None, attr: str, value, source: str | None):
        self.home, self.owner, self.owner_name, self.attr = home, owner, owner_name, attr
        self.value, self.source = value, source

    @property
    def key(self) -> str:
        return f"{self.home}:{self.owner_name + '.' if self.owner_name else ''}{self.attr}"


def _module(target):
    if isinstance(target, types.ModuleType):
        return target
    if isinstance(target, str):
        return importlib.import_module(target)
    raise TypeError(f"implement() needs a class, a module or a module name like 'tinytorch.tensor', got {target!r}")


def _source_of(value) -> str | None:
    fn = callable_of(value)
    try:
        return textwrap.dedent(inspect.getsource(fn))
    except (OSError, TypeError):
        return None


def _with_class_cell(fn, temp_cls, real_cls):
    """Rebuild a method so zero-argument `super()` refers to the real class, not the temporary one
    the `class` statement of an `@implement` block created (else super() raises TypeError)."""
    if not isinstance(fn, types.FunctionType) or "__class__" not in fn.__code__.co_freevars:
        return fn
    cells = list(fn.__closure__)
    i = fn.__code__.co_freevars.index("__class__")
    if cells[i].cell_contents is temp_cls:
        cells[i] = types.CellType(real_cls)
    new = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, tuple(cells))
    new.__kwdefaults__, new.__doc__, new.__qualname__ = fn.__kwdefaults__, fn.__doc__, fn.__qualname__
    new.__dict__.update(fn.__dict__)
    return new


def _rewrap(value, convert):
    """Apply `convert` to the function inside a staticmethod/classmethod/property/plain function."""
    if isinstance(value, staticmethod):
        return staticmethod(convert(value.__func__))
    if isinstance(value, classmethod):
        return classmethod(convert(value.__func__))
    if isinstance(value, property):
        return property(*(convert(f) if f else None for f in (value.fget, value.fset, value.fdel)), value.__doc__)
    return convert(value)


def implement(target, *, _globals=None):
    """Decorator: register the methods in the class body (target = a class) or the decorated
    function (target = a module or its name) as the learner's version of those package pieces.

    Returns the package's class (so `Tensor` keeps naming the real class) or the function itself.
    New names, i.e. helpers that the package does not have, are added to the class at once.
    """

    def decorate(obj):
        if isinstance(target, type):
            if not isinstance(obj, type):
                raise TypeError(
                    f"@implement({target.__name__}) goes on a `class {target.__name__}:` block "
                    f"holding the methods, got {type(obj).__name__} {getattr(obj, '__name__', '')}"
                )
            home = target.__module__
            owner_name = target.__qualname__
            for attr, value in vars(obj).items():
                if attr in _CLASS_NOISE:
                    continue
                value = _rewrap(value, lambda f: _with_class_cell(f, obj, target))
                if _globals is not None:
                    value = _rewrap(value, lambda f: _rebind_globals(f, _globals))
                _register(Entry(home, target, owner_name, attr, value, _source_of(value)))
            return target
        module = _module(target)
        if not callable(obj):
            raise TypeError(f"@implement({module.__name__!r}) goes on a function, got {obj!r}")
        value = obj if _globals is None else _rebind_globals(obj, _globals)
        _register(Entry(module.__name__, module, None, obj.__name__, value, _source_of(obj)))
        return obj

    return decorate


def _register(entry: Entry) -> None:
    REGISTRY[entry.key] = entry
    if entry.key in HELPERS or not _exists_in_package(entry):
        # a helper of the learner's: nothing in the package to replace, so add it at once
        HELPERS.add(entry.key)
        setattr(entry.owner, entry.attr, entry.value)


def _current(owner, attr):
    return vars(owner).get(attr) if isinstance(owner, type) else getattr(owner, attr, None)


def _exists_in_package(entry: Entry) -> bool:
    return entry.key in ORIGINALS or _current(entry.owner, entry.attr) is not None


def _rebind_globals(fn, namespace: dict):
    if not isinstance(fn, types.FunctionType):
        return fn
    new = types.FunctionType(fn.__code__, namespace, fn.__name__, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__, new.__doc__, new.__qualname__ = fn.__kwdefaults__, fn.__doc__, fn.__qualname__
    new.__dict__.update(fn.__dict__)
    return new


def mine(key: str):
    """The learner's registered code for a piece key ("tinytorch.tensor:Tensor.__add__"), or None."""
    entry = REGISTRY.get(key)
    return None if entry is None else entry.value


# ---------------------------------------------------------------------------------------------
# installing over the package (and back)
# ---------------------------------------------------------------------------------------------
def install(entry: Entry) -> None:
    """Make the package run the learner's code for this piece, everywhere in this kernel.

    Aliases follow (`__radd__ = __add__` in the class body), and so do other tinytorch modules that
    imported a replaced function by name (`from .tensor import unbroadcast`).
    """
    current = _current(entry.owner, entry.attr)
    if entry.key not in ORIGINALS:
        ORIGINALS[entry.key] = (entry.owner, entry.attr, current)
    for target, name in _places(entry.owner, entry.attr, current):
        setattr(target, name, entry.value)


def uninstall(key: str) -> None:
    """Put the package's own code back for one piece."""
    if key not in ORIGINALS:
        return
    owner, attr, original = ORIGINALS.pop(key)
    current = _current(owner, attr)
    for target, name in _places(owner, attr, current):
        setattr(target, name, original)


def installed() -> list:
    """Keys of the pieces that currently run the learner's code."""
    return sorted(ORIGINALS)


def _places(owner, attr, value):
    """Every (object, name) through which the package reaches `value` (the piece's current code)."""
    places = [(owner, attr)]
    if isinstance(owner, type):
        places += [(owner, n) for n, v in list(vars(owner).items()) if v is value and n != attr]
    else:
        for name, module in list(sys.modules.items()):
            if module is owner or not name.startswith("tinytorch") or module is None:
                continue
            places += [(module, n) for n, v in list(vars(module).items()) if v is value]
    return places


def use_reference() -> None:
    """Run the package's reference code for every piece again (undoes installs and use_my_work)."""
    for key in list(ORIGINALS):
        uninstall(key)
    print("Using tinytorch's reference code for every piece.")


# ---------------------------------------------------------------------------------------------
# the learner's work folder
# ---------------------------------------------------------------------------------------------
def work_dir() -> Path:
    """Where passing pieces are saved: $TINYTORCH_WORK, else `my_tinytorch/` at the root of the
    browser's file space (/drive), else ~/.tinytorch/my_tinytorch natively."""
    if os.environ.get("TINYTORCH_WORK"):
        folder = Path(os.environ["TINYTORCH_WORK"])
    elif sys.platform == "emscripten" and Path("/drive").is_dir():
        folder = Path("/drive/my_tinytorch")
    else:
        folder = Path.home() / ".tinytorch" / "my_tinytorch"
    if folder not in _PULLED:  # first use in this kernel: bring in what the browser stored
        _PULLED.add(folder)
        work_store.pull(folder)
    return folder


_PULLED: set = set()  # work folders already filled from the browser's storage in this kernel


_BLOCK = re.compile(r"^# %% piece (\S+)(?: .*)?$", re.M)

_HEADER = """\
# My TinyTorch, lesson {lesson}: the pieces I wrote whose checks all pass.
# Written by tinytorch_course.checks; each block is my code as I wrote it. In a later lesson or a
# milestone, `tinytorch_course.checks.use_my_work()` runs these instead of tinytorch's reference.
# (Edit them in the lesson notebook and re-run its checks; this file is rewritten then.)
"""


def _read_blocks(path: Path) -> dict:
    """{key: block text} from a saved lesson file (blocks start with a `# %% piece KEY` line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return {}
    marks = list(_BLOCK.finditer(text))
    blocks = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        blocks[m.group(1)] = text[m.start() : end].rstrip() + "\n"
    return blocks


def _block(entry: Entry, note: str) -> str | None:
    """The saved form of one registered definition, or None if its source is unknown."""
    if entry.source is None:
        return None
    imports = _notebook_imports(entry)
    lines = [f"# %% piece {entry.key} {note}".rstrip()]
    lines += imports
    if entry.owner_name:
        lines += [
            f"@implement({entry.owner_name})",
            f"class {entry.owner_name.rpartition('.')[2]}:",
            textwrap.indent(entry.source.rstrip(), "    "),
        ]
    else:
        lines += [f"@implement({entry.home!r})", _without_implement(entry.source).rstrip()]
    return "\n".join(lines) + "\n"


def _without_implement(source: str) -> str:
    """A module function's source as `inspect` gives it starts with the learner's own `@implement(...)`
    line; the saved block writes its own, so drop that one (else the file repeats it)."""
    lines = source.splitlines(keepends=True)
    while lines and lines[0].lstrip().startswith("@implement("):
        lines.pop(0)
    return "".join(lines)


def _code_names(code) -> set:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _notebook_imports(entry: Entry) -> list:
    """`import x as y` lines for modules the learner's code uses by a name its home module lacks."""
    fn = callable_of(entry.value)
    if not isinstance(fn, types.FunctionType):
        return []
    home = vars(importlib.import_module(entry.home))
    lines = []
    for name in sorted(_code_names(fn.__code__)):
        value = fn.__globals__.get(name)
        if name not in home and isinstance(value, types.ModuleType):
            lines.append(f"import {value.__name__} as {name}" if value.__name__ != name else f"import {name}")
    return lines


def save(lesson_id: str, passing: list, failing: list, order: list) -> Path | None:
    """Rewrite `my_tinytorch/<lesson_id>.py`: add/refresh the `passing` entries, drop the `failing`
    keys, keep other pieces saved earlier. Returns the path, or None if nothing could be written."""
    path = work_dir() / f"{lesson_id}.py"
    blocks = _read_blocks(path)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    for key in failing:
        blocks.pop(key, None)
    for entry in passing:
        helpers = [e for e in REGISTRY.values() if e.key in HELPERS and e.owner is entry.owner]
        for helper in helpers:
            text = _block(helper, "(helper)")
            if text:
                blocks[helper.key] = text
        text = _block(entry, f"(checks passed {stamp})")
        if text:
            blocks[entry.key] = text
    ranked = sorted(blocks, key=lambda k: (order.index(k) if k in order else -1, k))
    if not blocks and not path.exists():
        return None  # nothing passes yet: no empty file
    text = _HEADER.format(lesson=lesson_id) + "\n" + "\n\n".join(blocks[k] for k in ranked)
    work_store.push(lesson_id, text)  # the browser's own copy: survives a reload without /drive
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        print(f"(could not save your code to {path}: {err})")
        return None
    return path


def saved_keys(lesson_id: str) -> list:
    """Keys of the pieces saved (passing) for a lesson in the work folder."""
    return [k for k in _read_blocks(work_dir() / f"{lesson_id}.py") if k not in HELPERS]


def forget(lesson_id: str) -> bool:
    """Remove a lesson's saved pieces (file and browser copy); True if there was a file."""
    path = work_dir() / f"{lesson_id}.py"
    work_store.push(lesson_id, None)
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _declaring_lessons() -> dict:
    """piece key -> the lesson numbers whose case files declare it (written lessons only)."""

    declared: dict = {}
    for item in LESSONS:
        try:
            module = importlib.import_module(f"tinytorch_course.checks.lesson{item.number:02d}")
        except ModuleNotFoundError:
            continue
        for piece in module.PIECES:
            declared.setdefault(f"{piece.home or module.HOME}:{piece.name}", []).append(item.number)
    return declared


def _load_block(key: str, block: str, filename: str) -> list:
    """Run one saved block inside its home module's namespace and install what it defines."""
    home_name = key.partition(":")[0]
    home = importlib.import_module(home_name)
    namespace = dict(vars(home))
    before = set(REGISTRY)
    previous = {k: REGISTRY[k] for k in REGISTRY}
    namespace["implement"] = lambda target: implement(target, _globals=vars(home))
    exec(compile(block, filename, "exec"), namespace)
    for name, value in namespace.items():  # modules the block imports must be visible to its code
        if isinstance(value, types.ModuleType) and name not in vars(home):
            setattr(home, name, value)
    return [k for k in REGISTRY if k not in before or REGISTRY[k] is not previous.get(k)]
