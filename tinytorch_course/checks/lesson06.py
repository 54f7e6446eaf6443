"""Checks of lesson 06 (Optimizers): zero_grad, the SGD / Adam / AdamW / RMSprop update rules, and
the StepLR / CosineAnnealingLR learning-rate schedules.

Every update rule is written out again below in plain NumPy (float64), independently of tinytorch,
and the learner's `step()` must follow it for a few steps: each case returns the parameter after
every step, so a report such as "value at index (2, 1)" means "after step 3, element 1". Gradients
are set by hand (`p.grad = Tensor(...)`) from a NumPy quadratic, so no other piece (not even
autograd) is involved. Schedules are compared with their closed forms (cosine: half a cosine wave).
"""

from __future__ import annotations

import math

import numpy as np

from tinytorch.optim import SGD, Adam, AdamW, RMSprop
from tinytorch.optim.lr_scheduler import CosineAnnealingLR, LRScheduler, StepLR
from tinytorch.tensor import Tensor
from tinytorch_course.checks.cases import Case, Piece
from tinytorch_course.checks.compare import describe, mismatch

HOME = "tinytorch.optim.optimizer"
ADAM_HOME = "tinytorch.optim.adam"
LR_SCHEDULER_HOME = "tinytorch.optim.lr_scheduler"
RMSPROP_HOME = "tinytorch.optim.rmsprop"
SGD_HOME = "tinytorch.optim.sgd"
STEPS = 3

# The loss every case descends: 0.5 * sum(A * (p - C)^2), so grad = A * (p - C), computed in NumPy.
P0 = np.array([1.0, -2.0, 0.5], np.float32)
A = np.array([1.0, 0.5, 2.0])
C = np.array([0.2, 0.4, -0.6])


def _grad(p: np.ndarray) -> np.ndarray:
    return A * (p - C)


def _param(values=P0) -> Tensor:
    return Tensor(np.array(values, np.float32), requires_grad=True)


def _all_none(got):
    """Every gradient is None (a check function: comparing a Tensor with None has no single truth value)."""
    if isinstance(got, tuple) and all(g is None for g in got):
        return None
    return f"expected every grad to be None, got {describe(got)}"


def _trajectory(impl, opt, params, steps=STEPS) -> np.ndarray:
    """Run `steps` updates with the learner's `step` (impl(opt)); rows = the first parameter after each."""
    rows = []
    for _ in range(steps):
        for p in params:
            p.grad = Tensor(_grad(p.data.astype(np.float64)).astype(np.float32))
        impl(opt)
        rows.append(params[0].data.copy())
    return np.stack(rows)


def _show(opt_text: str, steps=STEPS) -> str:
    return (
        f"p = {P0.tolist()}, grad = A * (p - C) with A = {A.tolist()}, C = {C.tolist()}; {opt_text}; "
        f"{steps} steps (row k of the result is p after step k + 1)"
    )


def _rule_case(name, make_opt, numpy_rule, opt_text, hint="", steps=STEPS) -> Case:
    """The learner's step against `numpy_rule(p, g, state) -> p` (float64), step by step."""
    expected, p, state = [], P0.astype(np.float64), {"t": 0}
    for _ in range(steps):
        state["t"] += 1
        p = numpy_rule(p, _grad(p), state)
        expected.append(p.copy())
    expected = np.stack(expected).astype(np.float32)

    def call(impl):
        params = [_param()]
        return _trajectory(impl, make_opt(params), params, steps)

    return Case(name, call=call, expected=expected, show=_show(opt_text, steps), hint=hint, rtol=1e-4, atol=1e-6)


def _skips_none(name, make_opt, opt_text) -> Case:
    """A parameter with no gradient (unused in the loss) must stay exactly as it is, and must not crash."""
    frozen = np.array([3.0, -1.0], np.float32)

    def call(impl):
        p, q = _param(), _param(frozen)
        opt = make_opt([p, q])
        p.grad = Tensor(np.ones(3, np.float32))
        impl(opt)
        return q.data.copy()

    return Case(
        name,
        call=call,
        expected=frozen,
        show=f"two parameters, the second {frozen.tolist()} with grad None; {opt_text}; one step",
        hint="skip every parameter whose `p.grad is None` (`continue`): it took no part in the loss",
    )


def _state_case(name, make_opt, keys, opt_text, hint) -> Case:
    """The per-parameter buffers live in `opt.state[p]` under PyTorch's names (checkpoints save them)."""

    def call(impl):
        params = [_param()]
        opt = make_opt(params)
        _trajectory(impl, opt, params, 2)
        return opt.state.get(params[0])

    def check(state):
        if not isinstance(state, dict):
            return f"opt.state[p] is {describe(state)}, expected a dict of this parameter's buffers"
        missing = [k for k in keys if k not in state]
        if missing:
            return f"opt.state[p] has keys {sorted(state)}, missing {missing}"
        return None

    return Case(name, call=call, expected=check, show=f"{opt_text}; two steps; then look at opt.state[p]", hint=hint)


# ---- zero_grad -------------------------------------------------------------------------------
def zero_grad_cases():
    def setup():
        p, q = _param(), _param([1.0, 2.0])
        p.grad, q.grad = Tensor(np.ones(3, np.float32)), Tensor(np.full(2, 5.0, np.float32))
        return p, q

    def to_none(impl):
        p, q = setup()
        impl(SGD([p, q], lr=0.1))
        return p.grad, q.grad

    yield Case(
        "set_to_none=True (the default): every grad becomes None",
        call=to_none,
        expected=_all_none,
        show="two parameters with gradients",
        hint="for each parameter of each group: p.grad = None",
    )

    def to_zeros(impl):
        p, q = setup()
        impl(SGD([p, q], lr=0.1), set_to_none=False)
        return p.grad, q.grad

    def zeros(got):
        if not isinstance(got, tuple) or any(g is None for g in got):
            return f"expected both grads to be zero tensors, got {describe(got)}"
        return mismatch(got[0], np.zeros(3, np.float32), dtype=np.float32, path="p.grad") or mismatch(
            got[1], np.zeros(2, np.float32), dtype=np.float32, path="q.grad"
        )

    yield Case(
        "set_to_none=False: every grad becomes zeros of its shape",
        call=to_zeros,
        expected=zeros,
        show="two parameters with gradients (3,) and (2,)",
        hint="with set_to_none=False, keep the gradient tensor and fill it with zeros: p.grad.data[...] = 0",
    )

    def groups(impl):
        p, q = setup()
        impl(SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1))
        return p.grad, q.grad

    yield Case(
        "parameters of every group are cleared",
        call=groups,
        expected=_all_none,
        show="two parameter groups, one parameter each",
        hint="loop over self.param_groups, then over group['params']",
    )

    def none_stays(impl):
        p, q = setup()
        q.grad = None
        impl(SGD([p, q], lr=0.1), set_to_none=False)
        return q.grad

    yield Case(
        "set_to_none=False leaves a grad that is None as None",
        call=none_stays,
        expected=lambda g: _all_none((g,)),
        show="q.grad is None",
        hint="there is nothing to zero when p.grad is None: skip it",
    )


# ---- SGD ---------------------------------------------------------------------------------------
def sgd_cases():
    def plain(p, g, s):
        return p - 0.1 * g

    yield _rule_case(
        "plain SGD: p = p - lr * grad",
        lambda ps: SGD(ps, lr=0.1),
        plain,
        "SGD(lr=0.1)",
        hint="p.data -= lr * p.grad.data, for every parameter",
    )

    def momentum(p, g, s, mu=0.9, damp=0.0):
        s["buf"] = g.copy() if s["t"] == 1 else mu * s["buf"] + (1 - damp) * g
        return p - 0.1 * s["buf"]

    yield _rule_case(
        "momentum 0.9: buf = 0.9 * buf + grad, p = p - lr * buf",
        lambda ps: SGD(ps, lr=0.1, momentum=0.9),
        momentum,
        "SGD(lr=0.1, momentum=0.9)",
        hint="keep one buffer per parameter in self.state[p], across calls of step()",
    )
    yield _rule_case(
        "dampening 0.5: the first buffer is the plain gradient (as PyTorch), later ones get (1 - 0.5) * grad",
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, dampening=0.5),
        lambda p, g, s: momentum(p, g, s, damp=0.5),
        "SGD(lr=0.1, momentum=0.9, dampening=0.5)",
        hint="on a parameter's first step the buffer is a copy of the gradient itself, not (1 - dampening) * grad",
    )

    def decay(p, g, s):
        return p - 0.1 * (g + 0.5 * p)

    yield _rule_case(
        "weight_decay 0.5 adds 0.5 * p to the gradient",
        lambda ps: SGD(ps, lr=0.1, weight_decay=0.5),
        decay,
        "SGD(lr=0.1, weight_decay=0.5)",
        hint="g = grad + weight_decay * p first; the rest of the step uses that g",
    )

    def nesterov(p, g, s):
        s["buf"] = g.copy() if s["t"] == 1 else 0.9 * s["buf"] + g
        return p - 0.1 * (g + 0.9 * s["buf"])

    yield _rule_case(
        "Nesterov: p = p - lr * (grad + momentum * buf)",
        lambda ps: SGD(ps, lr=0.1, momentum=0.9, nesterov=True),
        nesterov,
        "SGD(lr=0.1, momentum=0.9, nesterov=True)",
        hint="update the buffer as usual, then step along g + momentum * buf instead of buf",
    )

    def two_groups(impl):
        p, q = _param(), _param([1.0, 1.0])
        opt = SGD([{"params": [p]}, {"params": [q], "lr": 0.5}], lr=0.1)
        p.grad, q.grad = Tensor(np.ones(3, np.float32)), Tensor(np.ones(2, np.float32))
        impl(opt)
        return p.data.copy(), q.data.copy()

    yield Case(
        "each parameter group uses its own lr",
        call=two_groups,
        expected=(P0 - np.float32(0.1), np.full(2, 0.5, np.float32)),
        show="group 0: p (lr 0.1), group 1: q = [1, 1] (lr 0.5); all gradients 1; one step",
        hint="read lr, momentum, ... from each `group` dict inside the loop over self.param_groups",
    )
    yield _skips_none(
        "a parameter whose grad is None is left alone",
        lambda ps: SGD(ps, lr=0.1, momentum=0.9),
        "SGD(lr=0.1, momentum=0.9)",
    )
    yield _state_case(
        "the momentum buffer is kept in self.state[p]['momentum_buffer']",
        lambda ps: SGD(ps, lr=0.1, momentum=0.9),
        ["momentum_buffer"],
        "SGD(lr=0.1, momentum=0.9)",
        hint="store it as self.state[p] = {'momentum_buffer': buf} (PyTorch's name): "
        "checkpoints (lesson 07) save self.state",
    )


# ---- Adam / AdamW ----------------------------------------------------------------------------------
def _adam_rule(lr=0.1, b1=0.9, b2=0.999, eps=1e-8, wd=0.0, decoupled=False, amsgrad=False):
    def rule(p, g, s):
        if wd and decoupled:
            p = p * (1 - lr * wd)
        elif wd:
            g = g + wd * p
        s["m"] = b1 * s.get("m", 0.0) + (1 - b1) * g
        s["v"] = b2 * s.get("v", 0.0) + (1 - b2) * g * g
        s["v_max"] = np.maximum(s.get("v_max", 0.0), s["v"])  # AMSGrad's: the largest v so far
        m_hat = s["m"] / (1 - b1 ** s["t"])
        v_hat = (s["v_max"] if amsgrad else s["v"]) / (1 - b2 ** s["t"])
        return p - lr * m_hat / (np.sqrt(v_hat) + eps)

    return rule


def adam_cases():
    one = _adam_rule()(P0.astype(np.float64), _grad(P0.astype(np.float64)), {"t": 1})

    def first(impl):
        params = [_param()]
        return _trajectory(impl, Adam(params, lr=0.1), params, 1)[0]

    yield Case(
        "bias correction: the first step moves every element by about lr, against its gradient",
        call=first,
        expected=one.astype(np.float32),
        show=_show("Adam(lr=0.1)", 1),
        rtol=1e-4,
        hint="without the bias corrections m / (1 - beta1^t) and v / (1 - beta2^t), step 1 is ~3x too long "
        "(m and v start at zero)",
    )
    yield _rule_case(
        "Adam, 3 steps with the default betas (0.9, 0.999)",
        lambda ps: Adam(ps, lr=0.1),
        _adam_rule(),
        "Adam(lr=0.1)",
        hint="t counts this parameter's steps from 1: keep it in self.state[p]['step']",
    )
    yield _rule_case(
        "Adam with betas (0.5, 0.9) and eps 0.1",
        lambda ps: Adam(ps, lr=0.1, betas=(0.5, 0.9), eps=0.1),
        _adam_rule(b1=0.5, b2=0.9, eps=0.1),
        "Adam(lr=0.1, betas=(0.5, 0.9), eps=0.1)",
        hint="read beta1, beta2 = group['betas'] and eps = group['eps']; eps is added after the square root",
    )
    yield _rule_case(
        "Adam weight_decay 0.5: an L2 term 0.5 * p is added to the gradient",
        lambda ps: Adam(ps, lr=0.1, weight_decay=0.5),
        _adam_rule(wd=0.5),
        "Adam(lr=0.1, weight_decay=0.5)",
        hint="for Adam (self._decoupled is False), g = grad + weight_decay * p before the moments",
    )
    yield _rule_case(
        "AdamW weight_decay 0.5: p shrinks by lr * 0.5 * p, outside the moments",
        lambda ps: AdamW(ps, lr=0.1, weight_decay=0.5),
        _adam_rule(wd=0.5, decoupled=True),
        "AdamW(lr=0.1, weight_decay=0.5)",
        hint="AdamW sets self._decoupled = True: then multiply p by (1 - lr * weight_decay) and "
        "leave the gradient alone",
    )
    # With beta2 = 0.5, v follows the shrinking gradients down from step 2 on: AMSGrad keeps the largest v.
    # The expected values agree with torch.optim.Adam(amsgrad=True) to 1.2e-7 on these steps.
    yield _rule_case(
        "Adam amsgrad=True, betas (0.9, 0.5): the step divides by the largest v so far, not the current one",
        lambda ps: Adam(ps, lr=0.1, betas=(0.9, 0.5), amsgrad=True),
        _adam_rule(b2=0.5, amsgrad=True),
        "Adam(lr=0.1, betas=(0.9, 0.5), amsgrad=True)",
        hint="if group.get('amsgrad'): keep state['max_exp_avg_sq'] (zeros at first) = np.maximum of itself and v, "
        "and take the square root of that instead of v",
    )
    yield _skips_none("a parameter whose grad is None is left alone", lambda ps: Adam(ps, lr=0.1), "Adam(lr=0.1)")
    yield _state_case(
        "step count and moments are kept in self.state[p]",
        lambda ps: Adam(ps, lr=0.1),
        ["step", "exp_avg", "exp_avg_sq"],
        "Adam(lr=0.1)",
        hint="use PyTorch's names: self.state[p] = {'step': 0, 'exp_avg': zeros, 'exp_avg_sq': zeros} "
        "on a parameter's first step",
    )


# ---- RMSprop ----------------------------------------------------------------------------------------
def _rms_rule(lr=0.01, alpha=0.99, eps=1e-8, wd=0.0, momentum=0.0, centered=False):
    def rule(p, g, s):
        if wd:
            g = g + wd * p
        s["v"] = alpha * s.get("v", 0.0) + (1 - alpha) * g * g
        if centered:
            s["gbar"] = alpha * s.get("gbar", 0.0) + (1 - alpha) * g
            avg = np.sqrt(s["v"] - s["gbar"] ** 2) + eps
        else:
            avg = np.sqrt(s["v"]) + eps
        if momentum:
            s["buf"] = momentum * s.get("buf", 0.0) + g / avg
            return p - lr * s["buf"]
        return p - lr * g / avg

    return rule


def rmsprop_cases():
    yield _rule_case(
        "RMSprop: divide by the running RMS of the gradient",
        lambda ps: RMSprop(ps, lr=0.01),
        _rms_rule(),
        "RMSprop(lr=0.01)",
        hint="v = alpha * v + (1 - alpha) * g^2 (v starts at zero), then p -= lr * g / (sqrt(v) + eps)",
    )
    yield _rule_case(
        "alpha 0.5 and weight_decay 0.1",
        lambda ps: RMSprop(ps, lr=0.01, alpha=0.5, weight_decay=0.1),
        _rms_rule(alpha=0.5, wd=0.1),
        "RMSprop(lr=0.01, alpha=0.5, weight_decay=0.1)",
        hint="g = grad + weight_decay * p first, as in SGD",
    )
    yield _rule_case(
        "a strong weight_decay 5.0 can turn a step around",
        lambda ps: RMSprop(ps, lr=0.01, weight_decay=5.0),
        _rms_rule(wd=5.0),
        "RMSprop(lr=0.01, weight_decay=5.0)",
        hint="add the decay, g = grad + weight_decay * p (plus, not minus), before the running mean square",
    )
    yield _rule_case(
        "momentum 0.9: buf = 0.9 * buf + g / avg (buf starts at zero)",
        lambda ps: RMSprop(ps, lr=0.01, momentum=0.9),
        _rms_rule(momentum=0.9),
        "RMSprop(lr=0.01, momentum=0.9)",
        hint="unlike SGD, RMSprop's momentum buffer starts at zeros: buf = momentum * buf + g / avg",
    )
    yield _rule_case(
        "centered: divide by sqrt(v - mean(g)^2), a running variance",
        lambda ps: RMSprop(ps, lr=0.01, alpha=0.9, centered=True),
        _rms_rule(alpha=0.9, centered=True),
        "RMSprop(lr=0.01, alpha=0.9, centered=True)",
        hint="also keep gbar = alpha * gbar + (1 - alpha) * g, and use sqrt(v - gbar^2) + eps",
    )
    yield _skips_none(
        "a parameter whose grad is None is left alone", lambda ps: RMSprop(ps, lr=0.01), "RMSprop(lr=0.01)"
    )


# ---- schedules -----------------------------------------------------------------------------------------
class _Halving(LRScheduler):
    """A schedule of the case file's own: halve every epoch (so LRScheduler.step is checked alone)."""

    def get_lr(self):
        return [g["lr"] * 0.5 for g in self.optimizer.param_groups]


def _two_group_opt(lr0=0.1, lr1=0.4):
    return SGD([{"params": [_param()]}, {"params": [_param([1.0])], "lr": lr1}], lr=lr0)


def lr_step_cases():
    def fresh(impl):
        sched = _Halving.__new__(_Halving)  # as the constructor leaves it just before its step()
        sched.optimizer, sched.base_lrs, sched.last_epoch = _two_group_opt(), [0.1, 0.4], -1
        impl(sched)
        return sched.last_epoch, [g["lr"] for g in sched.optimizer.param_groups]

    yield Case(
        "the first step (epoch 0, from the constructor) keeps the given rates",
        call=fresh,
        expected=(0, [0.1, 0.4]),
        show="a halving schedule, last_epoch = -1, group rates 0.1 and 0.4",
        hint="add 1 to self.last_epoch; at epoch 0 the rates are the groups' own, get_lr() is not asked",
    )

    def three(impl):
        sched = _Halving(_two_group_opt())
        for _ in range(3):
            impl(sched)
        return sched.last_epoch, [g["lr"] for g in sched.optimizer.param_groups]

    yield Case(
        "three more steps: last_epoch 3, every group's lr set from get_lr()",
        call=three,
        expected=(3, [0.1 / 8, 0.4 / 8]),
        show="a halving schedule, group rates 0.1 and 0.4; step() 3 times",
        hint="for group, lr in zip(self.optimizer.param_groups, self.get_lr()): group['lr'] = lr",
    )

    def last(impl):
        sched = _Halving(_two_group_opt())
        impl(sched)
        return sched.get_last_lr()

    yield Case(
        "get_last_lr() reports the rates the last step set",
        call=last,
        expected=[0.05, 0.2],
        show="a halving schedule, group rates 0.1 and 0.4; step() once; get_last_lr()",
        hint="remember the rates in self._last_lr (a list, one per group): get_last_lr() returns it",
    )


def _schedule(impl, sched, epochs) -> list:
    """Drive epochs 1..epochs with the learner's get_lr: [lr of group 0 at each epoch]."""
    out = []
    for t in range(1, epochs + 1):
        sched.last_epoch = t
        lrs = impl(sched)
        for group, lr in zip(sched.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        out.append([float(lr) for lr in lrs])
    return out


def step_lr_cases():
    def run(step_size, gamma, epochs, lrs=(0.1, 0.4)):
        def call(impl):
            return np.array(_schedule(impl, StepLR(_two_group_opt(*lrs), step_size=step_size, gamma=gamma), epochs))

        expected = np.array([[base * gamma ** (t // step_size) for base in lrs] for t in range(1, epochs + 1)])
        return call, expected

    call, exp = run(3, 0.5, 7)
    yield Case(
        "step_size 3, gamma 0.5: epochs 1..7",
        call=call,
        expected=exp,
        rtol=1e-9,
        atol=0,
        show="StepLR(step_size=3, gamma=0.5), rates 0.1 and 0.4 (row = epoch, column = group)",
        hint="at an epoch that is a multiple of step_size, multiply the current lr by gamma; else keep it",
    )
    call, exp = run(1, 0.1, 3)
    yield Case(
        "step_size 1, gamma 0.1: every epoch",
        call=call,
        expected=exp,
        rtol=1e-9,
        atol=0,
        show="StepLR(step_size=1, gamma=0.1), rates 0.1 and 0.4; epochs 1..3",
        hint="self.last_epoch % self.step_size == 0 means 'decay now'",
    )
    call, exp = run(2, 0.5, 2, lrs=(0.3, 0.3))
    yield Case(
        "get_lr returns one rate per parameter group, as a list",
        call=call,
        expected=exp,
        rtol=1e-9,
        atol=0,
        show="StepLR(step_size=2, gamma=0.5), rates 0.3 and 0.3; epochs 1..2",
        hint="return a list: [... for g in self.optimizer.param_groups]",
    )


def cosine_cases():
    def run(T, eta_min, epochs, base=0.1):
        def call(impl):
            return np.array(
                _schedule(impl, CosineAnnealingLR(_two_group_opt(base, 2 * base), T_max=T, eta_min=eta_min), epochs)
            )

        expected = np.array(
            [
                [eta_min + (b - eta_min) * (1 + math.cos(math.pi * t / T)) / 2 for b in (base, 2 * base)]
                for t in range(1, epochs + 1)
            ]
        )
        return call, expected

    call, exp = run(4, 0.0, 4)
    yield Case(
        "T_max 4: half a cosine from lr down to 0 at epoch 4",
        call=call,
        expected=exp,
        rtol=1e-6,
        atol=1e-12,
        show="CosineAnnealingLR(T_max=4), rates 0.1 and 0.2; epochs 1..4 (row = epoch, column = group)",
        hint="lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2, base_lr from self.base_lrs",
    )
    call, exp = run(2, 0.01, 6)
    yield Case(
        "past T_max (T_max 2, 6 epochs, eta_min 0.01): the rate climbs back up, as in PyTorch",
        call=call,
        expected=exp,
        rtol=1e-6,
        atol=1e-12,
        show="CosineAnnealingLR(T_max=2, eta_min=0.01), rates 0.1 and 0.2; epochs 1..6",
        hint="at t - 1 - T_max = 0 (mod 2 T_max) the recursive form adds "
        "(base_lr - eta_min) * (1 - cos(pi / T_max)) / 2",
    )
    call, exp = run(5, 0.01, 5)
    yield Case(
        "eta_min 0.01: the schedule ends at eta_min, not 0",
        call=call,
        expected=exp,
        rtol=1e-6,
        atol=1e-12,
        show="CosineAnnealingLR(T_max=5, eta_min=0.01), rates 0.1 and 0.2; epochs 1..5",
        hint="the cosine runs between base_lr and self.eta_min",
    )
    call, exp = run(2, 0.0, 6)
    yield Case(
        "past T_max the rate climbs back up (epochs 3..4), then down again",
        call=call,
        expected=exp,
        rtol=1e-6,
        atol=1e-12,
        show="CosineAnnealingLR(T_max=2), rates 0.1 and 0.2; epochs 1..6",
        hint="the closed form keeps following the cosine after T_max; a recursive form must not divide by "
        "1 + cos(pi) = 0 at t = T_max + 1",
    )
    # T_max 3 (cos(pi / 3) = 0.5, not 0 as for T_max 2) over two periods: the recursive form's special
    # epochs are 4 = T_max + 1 and 10 = 3 T_max + 1.
    call, exp = run(3, 0.01, 10)
    yield Case(
        "T_max 3, eta_min 0.01, 10 epochs: down, up, down and up again (epochs 4 and 10 start a climb)",
        call=call,
        expected=exp,
        rtol=1e-6,
        atol=1e-12,
        show="CosineAnnealingLR(T_max=3, eta_min=0.01), rates 0.1 and 0.2; epochs 1..10",
        hint="the climbs start at every epoch with (t - 1 - T_max) % (2 * T_max) == 0 (T_max + 1, 3 T_max + 1, ...); "
        "there add (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2, a product",
    )


PIECES = [
    Piece(
        "Optimizer.zero_grad",
        zero_grad_cases,
        title="forget the last gradients",
        todo="set every parameter's grad to None (or, with set_to_none=False, fill it with zeros)",
        hints=[
            "Two loops: `for group in self.param_groups:` then `for p in group['params']:`.",
            "set_to_none: `p.grad = None`; otherwise, if p.grad is not None: `p.grad.data[...] = 0`.",
        ],
    ),
    Piece(
        "SGD.step",
        sgd_cases,
        home=SGD_HOME,
        title="SGD with momentum, Nesterov and weight decay",
        todo="update every parameter with a gradient: p -= lr * g, g with weight decay and momentum as in PyTorch",
        hints=[
            "Per group, read lr, momentum, dampening, weight_decay, nesterov from the group dict; per parameter "
            "skip `p.grad is None`, then g = p.grad.data.",
            "Weight decay: g = g + weight_decay * p.data. Momentum: the buffer is self.state[p]['momentum_buffer']; "
            "on the first step it is g.copy(), afterwards momentum * buf + (1 - dampening) * g.",
            "Then g = g + momentum * buf if nesterov else buf, and finally p.data -= lr * g.",
        ],
    ),
    Piece(
        "Adam.step",
        adam_cases,
        home=ADAM_HOME,
        title="Adam and AdamW",
        todo="update every parameter with Adam's bias-corrected moments (AdamW when self._decoupled)",
        hints=[
            "Per parameter: state = self.state[p], created on the first step as {'step': 0, 'exp_avg': zeros, "
            "'exp_avg_sq': zeros}; then state['step'] += 1 gives t.",
            "m = beta1 * m + (1 - beta1) * g; v = beta2 * v + (1 - beta2) * g * g; m_hat = m / (1 - beta1**t), "
            "v_hat = v / (1 - beta2**t); p.data -= lr * m_hat / (sqrt(v_hat) + eps).",
            "Weight decay before the moments: AdamW (self._decoupled) does p.data *= 1 - lr * weight_decay; "
            "Adam does g = g + weight_decay * p.data.",
            "AMSGrad (group.get('amsgrad')): v_max = state.setdefault('max_exp_avg_sq', zeros); "
            "np.maximum(v_max, v, out=v_max); then use v_max in place of v below the square root.",
        ],
    ),
    Piece(
        "RMSprop.step",
        rmsprop_cases,
        home=RMSPROP_HOME,
        title="RMSprop",
        todo="update every parameter with RMSprop: divide the gradient by the running RMS of past gradients",
        hints=[
            "State per parameter: 'square_avg' (zeros at first), plus 'momentum_buffer' and 'grad_avg' when "
            "momentum > 0 / centered.",
            "v = alpha * v + (1 - alpha) * g * g; avg = sqrt(v) + eps (centered: sqrt(v - gbar**2) + eps).",
            "momentum > 0: buf = momentum * buf + g / avg; p.data -= lr * buf. Otherwise p.data -= lr * g / avg.",
        ],
    ),
    Piece(
        "LRScheduler.step",
        lr_step_cases,
        home=LR_SCHEDULER_HOME,
        title="advance one epoch",
        todo="advance last_epoch and write the new learning rates (get_lr(), or the given ones at epoch 0) into the "
        "groups",
        hints=[
            "self.last_epoch += 1 first.",
            "At epoch 0 the rates are [g['lr'] for g in groups]; afterwards self.get_lr().",
            "Write each rate into its group['lr'] and keep the list in self._last_lr.",
        ],
    ),
    Piece(
        "StepLR.get_lr",
        step_lr_cases,
        home=LR_SCHEDULER_HOME,
        title="step decay",
        todo="return each group's learning rate for epoch self.last_epoch: times gamma every step_size epochs",
        hints=[
            "The current rates are [g['lr'] for g in self.optimizer.param_groups].",
            "If self.last_epoch % self.step_size == 0, return them times self.gamma; else unchanged.",
        ],
    ),
    Piece(
        "CosineAnnealingLR.get_lr",
        cosine_cases,
        home=LR_SCHEDULER_HOME,
        title="cosine annealing",
        todo="return each group's learning rate for epoch self.last_epoch on half a cosine from base_lr to eta_min",
        hints=[
            "t = self.last_epoch, T = self.T_max; the starting rates are self.base_lrs.",
            "eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T)) / 2, for each base in self.base_lrs.",
        ],
    ),
]
