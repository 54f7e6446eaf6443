"""Hooks: the explicit places where tools (a profiler, a FLOP counter) watch the framework run.

Instead of replacing `Tensor._op` or a module's `forward` for a while (which breaks as soon as two
tools do it at once), the framework calls the hooks registered here:

* `register_op_hook(hook)`: `hook(opname, data, parents, backward)` runs every time an op creates its
  output through `Tensor._op` (`data` is the output array, `parents` the input tensors, `backward`
  the op's backward closure or None). It may return a replacement closure (to time the backward
  pass, say) or None to keep the one it was given.
* `Module.register_forward_pre_hook` / `register_forward_hook` (in `nn/module.py`, PyTorch's
  semantics) watch one module's calls.

Every registration returns a `RemovableHandle`: `handle.remove()`, or use it as a context manager.
Hooks run in registration order, so tools nest: each one sees every op and wraps the backward it is
handed, whoever wrapped it before. With no hook registered the engine pays one truth test per op.
"""

from __future__ import annotations

import itertools

__all__ = ["RemovableHandle", "register_op_hook"]

_ids = itertools.count()

# id -> hook; a plain dict keeps registration order. The engine (tensor.py) reads it directly.
OP_HOOKS: dict = {}


class RemovableHandle:
    """What a `register_*` call returns: `remove()` unregisters the hook (twice is harmless).

    `with module.register_forward_hook(h):` removes it when the block ends, as in PyTorch.
    """

    def __init__(self, *registries: dict):
        self.id = next(_ids)
        self._registries = registries

    def remove(self) -> None:
        for registry in self._registries:
            registry.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


def add_hook(registry: dict, hook, *, prepend: bool = False, also: tuple = ()) -> RemovableHandle:
    """Put `hook` into `registry` (first if `prepend`) and return the handle that takes it out again;
    the handle also cleans the registries in `also` (PyTorch's "always call" set, say)."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(registry, *also)
    registry[handle.id] = hook
    if prepend:
        items = list(registry.items())
        registry.clear()
        registry.update([items[-1], *items[:-1]])
    return handle


def register_op_hook(hook) -> RemovableHandle:
    """Call `hook(opname, data, parents, backward)` for every op created; it may return a new backward."""
    return add_hook(OP_HOOKS, hook)


def run_op_hooks(opname, data, parents, backward):
    """The engine's side of `register_op_hook`: each hook may replace the backward closure."""
    for hook in tuple(OP_HOOKS.values()):  # a hook may remove itself while running
        replaced = hook(opname, data, parents, backward)
        if replaced is not None and backward is not None:
            backward = replaced
    return backward
