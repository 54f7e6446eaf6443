"""Module 03 (Layers): the Module/Parameter system every model is made of.

A Module holds Parameters and child Modules as plain attributes; `parameters()` finds them by
walking those attributes, so a model is declared simply by assigning layers in `__init__`.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..hooks import RemovableHandle, add_hook
from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor that is a learnable weight of a Module: requires grad, found by `parameters()`."""

    __slots__ = ()

    def __init__(self, data, requires_grad: bool = True):
        # own copy: optimizers update parameters in place, which must never write into the caller's array
        src = data.data if isinstance(data, Tensor) else data
        super().__init__(np.array(src, copy=True), requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter(" + super().__repr__()[len("Tensor(") :]


class Module:
    """Base class of every layer and model. Subclasses set attributes in __init__ and define forward()."""

    training: bool = True

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        hooks = self.__dict__.get("_forward_hooks")
        pre_hooks = self.__dict__.get("_forward_pre_hooks")
        if not hooks and not pre_hooks:
            return self.forward(*args, **kwargs)
        return self._call_with_hooks(pre_hooks or {}, hooks or {}, args, kwargs)

    # ---- hooks (PyTorch's semantics) ------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False) -> RemovableHandle:
        """Run `hook(module, args)` before every `forward` (`hook(module, args, kwargs)` with_kwargs).

        A hook may return new inputs: a tuple of args (a single value is wrapped in one), or with
        with_kwargs an (args, kwargs) pair. Returns a handle whose `remove()` unregisters the hook.
        """
        flags = (self._hook_dict("_forward_hooks_with_kwargs"),) if with_kwargs else ()
        handle = add_hook(self._hook_dict("_forward_pre_hooks"), hook, prepend=prepend, also=flags)
        for flag in flags:
            flag[handle.id] = True
        return handle

    def register_forward_hook(
        self, hook, *, prepend: bool = False, with_kwargs: bool = False, always_call: bool = False
    ) -> RemovableHandle:
        """Run `hook(module, args, output)` after every `forward` (`hook(module, args, kwargs, output)`
        with_kwargs); a hook may return a replacement output. With always_call=True the hook also
        runs when forward raises (output None), so a tool that keeps a stack of running modules can
        pop it. Returns a handle whose `remove()` unregisters the hook.
        """
        wanted = (("_forward_hooks_with_kwargs", with_kwargs), ("_forward_hooks_always_called", always_call))
        flags = tuple(self._hook_dict(name) for name, on in wanted if on)
        handle = add_hook(self._hook_dict("_forward_hooks"), hook, prepend=prepend, also=flags)
        for flag in flags:
            flag[handle.id] = True
        return handle

    def _hook_dict(self, name: str) -> dict:
        # created on first use: subclasses need not call Module.__init__, and a module without hooks
        # carries nothing (named_children and state_dict skip these plain dicts)
        return self.__dict__.setdefault(name, {})

    def _call_with_hooks(self, pre_hooks: dict, hooks: dict, args: tuple, kwargs: dict):
        with_kwargs = self.__dict__.get("_forward_hooks_with_kwargs", {})
        for hook_id, hook in tuple(pre_hooks.items()):
            if hook_id in with_kwargs:
                result = hook(self, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError(
                            f"a forward pre-hook registered with_kwargs=True must return None or a tuple of "
                            f"(new_args, new_kwargs), but got {result!r}"
                        )
                    args, kwargs = result
            else:
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        output = None
        try:
            output = self.forward(*args, **kwargs)
        except Exception:
            always = self.__dict__.get("_forward_hooks_always_called", {})
            for hook_id, hook in tuple(hooks.items()):
                if hook_id in always and hook_id in with_kwargs:
                    hook(self, args, kwargs, None)
                elif hook_id in always:
                    hook(self, args, None)
            raise
        for hook_id, hook in tuple(hooks.items()):
            result = hook(self, args, kwargs, output) if hook_id in with_kwargs else hook(self, args, output)
            if result is not None:
                output = result
        return output

    # ---- discovery ------------------------------------------------------------------------------
    def named_children(self):
        for name, value in vars(self).items():
            if isinstance(value, Module):
                yield name, value
            elif isinstance(value, (list, tuple)) and value and all(isinstance(v, Module) for v in value):
                for i, v in enumerate(value):
                    yield f"{name}.{i}", v

    def children(self):
        return [m for _, m in self.named_children()]

    def named_modules(self, prefix=""):
        yield prefix, self
        for name, child in self.named_children():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return [m for _, m in self.named_modules()]

    def named_parameters(self, prefix=""):
        """(dotted name, Parameter) pairs, each parameter once (shared weights are not repeated)."""
        seen = set()
        for mod_name, mod in self.named_modules(prefix):
            for name, value in vars(mod).items():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{mod_name}.{name}" if mod_name else name), value

    def parameters(self):
        return [p for _, p in self.named_parameters()]

    def num_parameters(self) -> int:
        return sum(p.data.size for p in self.parameters())

    # ---- modes and gradients --------------------------------------------------------------------
    def train(self, mode: bool = True):
        for m in self.modules():
            m.training = mode
        return self

    def eval(self):
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True):
        for p in self.parameters():
            p.grad = None

    # ---- torch's conveniences -------------------------------------------------------------------
    def apply(self, fn):
        """Call fn on every submodule (children first) and on self: model.apply(init_weights)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, *args, **kwargs):
        """model.to(device) is the model itself (CPU only); model.to(dtype) converts the parameters."""
        from ..device import check_device

        dtype = kwargs.pop("dtype", None)
        for arg in list(args) + [kwargs.pop("device", None)]:
            if arg is None:
                continue
            if isinstance(arg, str) or type(arg).__name__ == "device":
                check_device(arg)
            else:
                dtype = arg
        if dtype is not None:
            for p in self.parameters():
                p.data = p.data.astype(dtype)
        return self

    def cpu(self):
        return self

    def requires_grad_(self, flag: bool = True):
        for p in self.parameters():
            p.requires_grad = flag
        return self

    # ---- persistence ----------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, Tensor]:
        """Every parameter, then every registered buffer, by dotted name, as a detached Tensor.

        Tensors as in torch (`sd['w'].shape`, `.numpy()`, `torch.save(sd)` work the same), but each
        holds a **copy** in the array's own dtype, where torch's share storage: our optimizers and
        `p.data -= ...` update arrays in place, so a shared state kept as "the best checkpoint" would
        silently follow the model (torch users need `copy.deepcopy` for that; here it is safe).
        """
        state = OrderedDict((name, Tensor(p.data.copy(), dtype=p.data.dtype)) for name, p in self.named_parameters())
        for mod_name, mod in self.named_modules():
            for name in getattr(mod, "_buffers", ()):
                array = np.array(getattr(mod, name), copy=True)
                state[f"{mod_name}.{name}" if mod_name else name] = Tensor(array, dtype=array.dtype)
        return state

    def load_state_dict(self, state, strict: bool = True):
        own = dict(self.named_parameters())
        buffers = {}
        for mod_name, mod in self.named_modules():
            for name in getattr(mod, "_buffers", ()):
                buffers[f"{mod_name}.{name}" if mod_name else name] = (mod, name)
        missing = [k for k in list(own) + list(buffers) if k not in state]
        unexpected = [k for k in state if k not in own and k not in buffers]
        if strict and (missing or unexpected):
            raise KeyError(f"load_state_dict: missing keys {missing}, unexpected keys {unexpected}")
        for name, value in state.items():
            value = np.asarray(value.data if isinstance(value, Tensor) else value)
            if name in own:
                p = own[name]
                if value.shape != p.shape:
                    raise ValueError(
                        f"load_state_dict: {name} has shape {value.shape} in the checkpoint but {p.shape} in the model"
                    )
                p.data = value.astype(p.data.dtype, copy=True)
            elif name in buffers:
                mod, attr = buffers[name]
                setattr(mod, attr, value.copy())
        return self

    def register_buffer(self, name: str, value: np.ndarray):
        """A non-learnable array saved in state_dict (e.g. a sinusoidal table, a pruning mask)."""
        if "_buffers" not in vars(self):
            self._buffers = []
        if name not in self._buffers:
            self._buffers.append(name)
        setattr(self, name, value)

    # ---- display --------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        children = self.named_children()
        lines = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in children]
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n  " + "\n  ".join(lines) + "\n)"


class Sequential(Module):
    """Apply modules in order: Sequential(Linear(64, 128), ReLU(), Linear(128, 10))."""

    def __init__(self, *modules):
        self.layers = list(modules)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, i):
        return self.layers[i]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def named_children(self):
        for i, m in enumerate(self.layers):
            yield str(i), m


class ModuleList(Module):
    """A list of modules whose parameters are registered (for a stack of transformer blocks)."""

    def __init__(self, modules=()):
        self.items = list(modules)

    def __getitem__(self, i):
        return self.items[i]

    def __len__(self):
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def append(self, m):
        self.items.append(m)

    def named_children(self):
        for i, m in enumerate(self.items):
            yield str(i), m


class ModuleDict(Module):
    """Named modules whose parameters are registered (nanoGPT keeps its embeddings and blocks in one)."""

    def __init__(self, modules=None):
        self.items_ = dict(modules or {})

    def __getitem__(self, key):
        return self.items_[key]

    def __setitem__(self, key, module):
        self.items_[key] = module

    def __getattr__(self, key):  # model.transformer.wte, as in torch
        items = vars(self).get("items_", {})
        if key in items:
            return items[key]
        raise AttributeError(f"{type(self).__name__} has no module {key!r}")

    def __contains__(self, key):
        return key in self.items_

    def __len__(self):
        return len(self.items_)

    def __iter__(self):
        return iter(self.items_)

    def keys(self):
        return self.items_.keys()

    def values(self):
        return self.items_.values()

    def items(self):
        return self.items_.items()

    def named_children(self):
        yield from self.items_.items()
