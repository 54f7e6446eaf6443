"""Module 06: optimizers and LR schedulers.

Parity: 20 steps of every optimizer variant on the same parameters and the same gradients as PyTorch.
Without PyTorch (the `torch` fixture skips with a reason): single steps worked out by hand.
"""

import math

import numpy as np
import pytest

import tinytorch as tt
from tinytorch import nn, optim
from tinytorch.optim.lr_scheduler import CosineAnnealingLR, StepLR

SHAPES = [(5, 3), (3,), (2, 2, 2)]
STEPS = 20


def make_params(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in SHAPES]


def make_grads(seed=1):
    """STEPS gradient sets; the last parameter has no gradient on odd steps (it must be skipped)."""
    rng = np.random.default_rng(seed)
    out = []
    for step in range(STEPS):
        gs = [rng.standard_normal(s).astype(np.float32) for s in SHAPES]
        if step % 2 == 1:
            gs[-1] = None
        out.append(gs)
    return out


def run_tinytorch(cls, kwargs, params, grads):
    ps = [nn.Parameter(p.copy()) for p in params]
    opt = cls(ps, **kwargs)
    for gs in grads:
        opt.zero_grad()
        for p, g in zip(ps, gs, strict=True):
            if g is not None:
                p.grad = tt.Tensor(g.copy())
        opt.step()
    return [p.data for p in ps], opt


CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.3)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("AdamW", dict()),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, betas=(0.85, 0.995))),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.001, alpha=0.9, momentum=0.9)),
    ("RMSprop", dict(lr=0.001, centered=True, weight_decay=0.05)),
    ("RMSprop", dict(lr=0.002, centered=True, momentum=0.5, eps=1e-4)),
]
# tinytorch state names are PyTorch's
STATE_KEYS = {
    "SGD": ["momentum_buffer"],
    "Adam": ["exp_avg", "exp_avg_sq"],
    "AdamW": ["exp_avg", "exp_avg_sq"],
    "RMSprop": ["square_avg", "momentum_buffer", "grad_avg"],
}


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=[f"{n}-{k}" for n, k in CONFIGS])
def test_matches_pytorch_for_20_steps(name, kwargs, torch):
    params, grads = make_params(), make_grads()
    ours, opt = run_tinytorch(getattr(optim, name), kwargs, params, grads)

    tps = [torch.tensor(p.copy(), requires_grad=True) for p in params]
    topt = getattr(torch.optim, name)(tps, **kwargs)
    for gs in grads:
        topt.zero_grad()
        for p, g in zip(tps, gs, strict=True):
            if g is not None:
                p.grad = torch.tensor(g.copy())
        topt.step()

    for i, (a, t) in enumerate(zip(ours, tps, strict=True)):
        # the parameters moved (a test that would pass with no update at all proves nothing)
        assert not np.allclose(a, params[i], atol=1e-4)
        np.testing.assert_allclose(a, t.detach().numpy(), rtol=1e-5, atol=1e-6, err_msg=f"parameter {i}")
    for i, (p, tp) in enumerate(zip(opt._all_params(), tps, strict=True)):
        ts = topt.state[tp]
        for key in STATE_KEYS[name]:
            if key in ts and ts[key] is not None:
                np.testing.assert_allclose(
                    opt.state[p][key], ts[key].numpy(), rtol=1e-5, atol=1e-7, err_msg=f"{key} of parameter {i}"
                )
        if "step" in ts:
            assert opt.state[p]["step"] == int(ts["step"])
    # the parameter without a gradient on odd steps took exactly 10 steps
    if "step" in topt.state[tps[-1]]:
        assert opt.state[opt._all_params()[-1]]["step"] == STEPS // 2


def torch_lrs(torch, sched_cls, kwargs, epochs, lr=0.1):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    s = getattr(torch.optim.lr_scheduler, sched_cls)(opt, **kwargs)
    out = [s.get_last_lr()[0]]
    for _ in range(epochs):
        opt.step()
        s.step()
        out.append(s.get_last_lr()[0])
    return out


def tt_lrs(sched, kwargs, epochs, lr=0.1):
    opt = optim.SGD([nn.Parameter(np.zeros(1, np.float32))], lr=lr)
    s = sched(opt, **kwargs)
    out = [s.get_last_lr()[0]]
    for _ in range(epochs):
        s.step()
        assert opt.lr == s.get_last_lr()[0] == opt.param_groups[0]["lr"]
        out.append(s.get_last_lr()[0])
    return out


@pytest.mark.parametrize(
    "cls,kwargs",
    [
        (StepLR, dict(step_size=3)),
        (StepLR, dict(step_size=4, gamma=0.5)),
        (CosineAnnealingLR, dict(T_max=10)),
        (CosineAnnealingLR, dict(T_max=7, eta_min=0.01)),  # runs past T_max: the rate climbs back
    ],
)
def test_scheduler_matches_pytorch(cls, kwargs, torch):
    ours = tt_lrs(cls, kwargs, 30)
    theirs = torch_lrs(torch, cls.__name__, kwargs, 30)
    np.testing.assert_allclose(ours, theirs, rtol=1e-15, atol=0)
    assert len(set(ours)) > 3  # the rate did change


# ---- without torch: single steps by hand ---------------------------------------------------------
def one_param(value, grad):
    p = nn.Parameter(np.array(value, dtype=np.float32))
    p.grad = tt.Tensor(np.array(grad, dtype=np.float32))
    return p


def test_sgd_by_hand():
    p = one_param([1.0, -2.0], [0.5, 1.0])
    optim.SGD([p], lr=0.1).step()
    np.testing.assert_allclose(p.data, [0.95, -2.1], rtol=1e-6)
    # weight decay adds wd * p to the gradient: g = 0.5 + 0.1 * 1 = 0.6
    p = one_param([1.0], [0.5])
    optim.SGD([p], lr=0.1, weight_decay=0.1).step()
    np.testing.assert_allclose(p.data, [0.94], rtol=1e-6)


def test_sgd_momentum_buffer_starts_at_first_gradient():
    p = one_param([0.0], [1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9)
    opt.step()  # buf = 1            -> p = -0.1
    np.testing.assert_allclose(p.data, [-0.1], rtol=1e-6)
    p.grad = tt.Tensor(np.array([2.0], np.float32))
    opt.step()  # buf = 0.9 + 2 = 2.9 -> p = -0.39
    np.testing.assert_allclose(p.data, [-0.39], rtol=1e-6)
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [2.9], rtol=1e-6)


def test_sgd_nesterov_by_hand():
    p = one_param([0.0], [1.0])
    opt = optim.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    opt.step()  # buf = 1, g = 1 + 0.9 * 1 = 1.9 -> p = -0.19
    np.testing.assert_allclose(p.data, [-0.19], rtol=1e-6)


def test_adam_first_step_is_lr_times_sign():
    # after one step m_hat = g and v_hat = g^2, so the update is lr * g / (|g| + eps)
    p = one_param([1.0, 1.0, 1.0], [0.001, -5.0, 300.0])
    opt = optim.Adam([p], lr=0.01)
    opt.step()
    np.testing.assert_allclose(p.data, [0.99, 1.01, 0.99], rtol=1e-5)
    assert opt.state[p]["step"] == 1
    np.testing.assert_allclose(opt.state[p]["exp_avg"], [0.0001, -0.5, 30.0], rtol=1e-5)
    np.testing.assert_allclose(opt.state[p]["exp_avg_sq"], [1e-9, 0.025, 90.0], rtol=1e-5)


def test_adam_second_step_bias_correction():
    p = one_param([0.0], [1.0])
    opt = optim.Adam([p], lr=0.1)
    opt.step()
    p.grad = tt.Tensor(np.array([3.0], np.float32))
    opt.step()
    m = 0.9 * 0.1 + 0.1 * 3  # 0.39
    v = 0.999 * 0.001 + 0.001 * 9  # 0.009999
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    expected = -0.1 - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-8)
    np.testing.assert_allclose(p.data, [expected], rtol=1e-5)


def test_adam_l2_versus_adamw_decoupled_decay():
    # Adam: the decay enters the gradient, so with g = 0 the first step is still lr * sign(p)
    p = one_param([2.0], [0.0])
    optim.Adam([p], lr=0.01, weight_decay=0.1).step()
    np.testing.assert_allclose(p.data, [1.99], rtol=1e-6)
    # AdamW: p shrinks by lr * wd * p, then the (zero-gradient) Adam step does nothing
    p = one_param([2.0], [0.0])
    optim.AdamW([p], lr=0.01, weight_decay=0.1).step()
    np.testing.assert_allclose(p.data, [2.0 * (1 - 0.001)], rtol=1e-6)


def test_rmsprop_first_step_by_hand():
    # v = 0.01 g^2 -> update = lr * g / (0.1 |g| + eps) = 10 lr sign(g)
    p = one_param([1.0, 1.0], [2.0, -0.5])
    optim.RMSprop([p], lr=0.01).step()
    np.testing.assert_allclose(p.data, [0.9, 1.1], rtol=1e-5)


def test_params_without_grad_are_left_alone():
    a, b = one_param([1.0], [1.0]), nn.Parameter(np.array([5.0], np.float32))
    for cls in (optim.SGD, optim.Adam, optim.AdamW, optim.RMSprop):
        opt = cls([a, b], lr=0.1, weight_decay=0.1)
        opt.step()
        assert b.data[0] == 5.0 and b not in opt.state


def test_zero_grad_sets_none():
    p = one_param([1.0], [1.0])
    opt = optim.SGD([p], lr=0.1)
    opt.zero_grad()
    assert p.grad is None


def test_updates_are_in_place():
    p = one_param([1.0, 2.0], [1.0, 1.0])
    before = p.data
    optim.Adam([p]).step()
    assert p.data is before


@pytest.mark.parametrize(
    "cls,kwargs",
    [
        (optim.SGD, dict(lr=0.1, momentum=0.9)),
        (optim.Adam, dict(lr=0.01)),
        (optim.AdamW, dict(lr=0.01)),
        (optim.RMSprop, dict(momentum=0.5, centered=True)),
    ],
)
def test_state_dict_round_trip_continues_identically(cls, kwargs):
    params, grads = make_params(), make_grads()
    ps = [nn.Parameter(p.copy()) for p in params]
    opt = cls(ps, **kwargs)

    def steps(opt, ps, gs_list):
        for gs in gs_list:
            for p, g in zip(ps, gs, strict=True):
                p.grad = None if g is None else tt.Tensor(g.copy())
            opt.step()

    steps(opt, ps, grads[:7])
    saved = opt.state_dict()
    saved_copy = {i: {k: np.copy(v) for k, v in s.items()} for i, s in saved["state"].items()}
    ps2 = [nn.Parameter(p.data.copy()) for p in ps]
    opt2 = cls(ps2, lr=123.0)  # different hyper-parameters: loading must restore them
    opt2.load_state_dict(saved)
    assert opt2.lr == opt.lr
    steps(opt, ps, grads[7:])
    steps(opt2, ps2, grads[7:])
    for a, b in zip(ps, ps2, strict=True):
        assert np.array_equal(a.data, b.data)
    # state_dict() is a snapshot: later steps did not change it
    for i, s in saved["state"].items():
        for k, v in s.items():
            assert np.array_equal(v, saved_copy[i][k])


def test_lr_attribute_and_param_groups():
    w, b = nn.Parameter(np.ones(2, np.float32)), nn.Parameter(np.ones(1, np.float32))
    opt = optim.SGD([{"params": [w]}, {"params": [b], "lr": 0.5}], lr=0.1)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5]
    opt.lr = 0.01
    assert [g["lr"] for g in opt.param_groups] == [0.01, 0.01]


def test_scheduler_by_hand():
    opt = optim.SGD([nn.Parameter(np.zeros(1, np.float32))], lr=1.0)
    s = StepLR(opt, step_size=2, gamma=0.5)
    seen = [s.get_last_lr()[0]]
    for _ in range(5):
        s.step()
        seen.append(opt.lr)
    assert seen == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    opt = optim.SGD([nn.Parameter(np.zeros(1, np.float32))], lr=1.0)
    c = CosineAnnealingLR(opt, T_max=4)
    seen = [opt.lr]
    for _ in range(4):
        c.step()
        seen.append(opt.lr)
    np.testing.assert_allclose(seen, [(1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)], atol=1e-12)


def test_helpful_errors():
    model = nn.Linear(2, 1)
    with pytest.raises(TypeError, match=r"model.parameters\(\)"):
        optim.SGD(model, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(ValueError, match="lr must be"):
        optim.SGD(model.parameters(), lr=-1)
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD(model.parameters(), lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        optim.Adam(model.parameters(), betas=(1.0, 0.999))
