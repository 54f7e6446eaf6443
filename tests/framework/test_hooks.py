"""Hooks: `Module.register_forward_pre_hook` / `register_forward_hook` with PyTorch's semantics (the
same scenario run on torch gives the same log and outputs), and the engine's op hook."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tinytorch import nn
from tinytorch.hooks import OP_HOOKS, RemovableHandle, register_op_hook


def hook_scenario(nn_mod, as_tensor, to_numpy):
    """Register, fire, modify, prepend, remove and always-call hooks; return what happened."""

    class Scale(nn_mod.Module):
        def __init__(self):
            super().__init__()

        def forward(self, x, scale=1.0):
            return x * scale

    class Boom(nn_mod.Module):
        def forward(self, x):
            raise ValueError("boom")

    log, outputs = [], []
    m = Scale()
    x = as_tensor([1.0, 2.0])

    def see_pre(name):
        return lambda mod, args: log.append((name, len(args)))

    h_first = m.register_forward_pre_hook(see_pre("pre-a"))
    h_double = m.register_forward_pre_hook(lambda mod, args: args[0] * 2)  # a single value: becomes (value,)
    m.register_forward_pre_hook(see_pre("pre-prepended"), prepend=True)
    m.register_forward_pre_hook(
        lambda mod, args, kwargs: (args, {**kwargs, "scale": 10.0}) if "scale" in kwargs else None, with_kwargs=True
    )
    h_plus = m.register_forward_hook(lambda mod, args, out: out + 1)
    m.register_forward_hook(lambda mod, args, out: log.append(("post", to_numpy(out).tolist())))
    m.register_forward_hook(
        lambda mod, args, kwargs, out: log.append(("post-kwargs", sorted(kwargs))), with_kwargs=True, prepend=True
    )
    outputs.append(to_numpy(m(x)))  # (x * 2) * 1 + 1
    outputs.append(to_numpy(m(x, scale=3.0)))  # the kwargs pre-hook turns scale into 10
    h_double.remove()
    h_double.remove()  # twice is harmless
    h_plus.remove()
    outputs.append(to_numpy(m(x)))
    with m.register_forward_hook(lambda mod, args, out: out * 0) as h_zero:
        outputs.append(to_numpy(m(x)))
    outputs.append(to_numpy(m(x)))  # the context manager removed it
    h_first.remove()

    def once(mod, args):
        log.append(("once",))
        handles["once"].remove()

    handles = {"once": m.register_forward_pre_hook(once)}
    m(x)
    m(x)

    boom = Boom()
    boom.register_forward_hook(lambda mod, args, out: log.append(("never",)))
    boom.register_forward_hook(lambda mod, args, out: log.append(("always", out)), always_call=True)
    with pytest.raises(ValueError, match="boom"):
        boom(x)
    return log, [o.tolist() for o in outputs], isinstance(h_zero.id, int)


def test_module_hooks_follow_pytorch(torch):
    got = hook_scenario(nn, lambda v: tt.tensor(v), lambda t: t.data)
    want = hook_scenario(torch.nn, lambda v: torch.tensor(v), lambda t: t.detach().numpy())
    assert got == want


def test_module_hook_results():
    log, outputs, _ = hook_scenario(nn, lambda v: tt.tensor(v), lambda t: t.data)
    assert outputs == [[3.0, 5.0], [21.0, 41.0], [1.0, 2.0], [0.0, 0.0], [1.0, 2.0]]
    assert log[:3] == [("pre-prepended", 1), ("pre-a", 1), ("post-kwargs", [])]
    assert ("always", None) in log and ("never",) not in log
    assert log.count(("once",)) == 1


def test_hooks_leave_no_trace_and_cost_nothing_when_absent():
    lin = nn.Linear(3, 2)
    assert "_forward_hooks" not in vars(lin)  # a module without hooks carries nothing
    handle = lin.register_forward_hook(lambda mod, args, out: None)
    assert isinstance(handle, RemovableHandle)
    handle.remove()
    assert not vars(lin)["_forward_hooks"] and list(lin.state_dict()) == ["weight", "bias"]
    with pytest.raises(TypeError, match="callable"):
        lin.register_forward_hook("not a function")


def test_pre_hook_with_kwargs_must_return_a_pair():
    lin = nn.Linear(3, 2)
    lin.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"\(new_args, new_kwargs\)"):
        lin(tt.randn(1, 3))


def test_op_hook_sees_every_op_and_can_wrap_its_backward():
    seen, backward_calls = [], []

    def watch(name, data, parents, backward):
        seen.append((name, data.shape, len(parents)))
        if backward is None:
            return None

        def wrapped(g):
            backward_calls.append(name)
            return backward(g)

        return wrapped

    x = tt.randn(2, 3, requires_grad=True)
    with register_op_hook(watch):
        y = (x * 2).sum()
        y.backward()
    z = x * 3  # after removal nothing is seen
    assert seen == [("mul", (2, 3), 1), ("sum", (), 1)] and z.shape == (2, 3)
    assert backward_calls == ["sum", "mul"]
    np.testing.assert_allclose(x.grad.data, np.full((2, 3), 2.0))
    assert not OP_HOOKS


def test_op_hooks_nest_in_registration_order():
    order = []
    outer = register_op_hook(lambda name, data, parents, backward: order.append(("outer", name)))
    inner = register_op_hook(lambda name, data, parents, backward: order.append(("inner", name)))
    tt.randn(2) + 1
    inner.remove()
    tt.randn(2) * 1
    outer.remove()
    assert order == [("outer", "add"), ("inner", "add"), ("outer", "mul")]
    assert not OP_HOOKS
