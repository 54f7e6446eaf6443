"""Checks of lesson 03 (Layers): parameter discovery, Linear (fused op, Kaiming init, constructor),
Sequential, and saving/loading a model's state.

The modules the cases inspect are built here from the given `Module`/`Parameter` scaffolding with
fixed numbers, so a discovery or state-dict case depends on no other piece of the learner's.
Initialisation is random: its cases check the distribution's *bounds* exactly and its spread
within a tolerance that a correct version misses with negligible probability (thousands of draws),
and they restore tinytorch's global generator afterwards.
"""

from __future__ import annotations

import math

import numpy as np

from tinytorch.nn.linear import Linear
from tinytorch.nn.module import Module, Parameter, Sequential
from tinytorch.tensor import Tensor
from tinytorch_course.checks.cases import Case, Piece, Raises, construct
from tinytorch_course.checks.compare import describe, mismatch
from tinytorch_course.checks.fixtures import with_seed

HOME = "tinytorch.nn.module"
FUNCTIONAL_HOME = "tinytorch.nn.functional"
INIT_HOME = "tinytorch.nn.init"
LINEAR_HOME = "tinytorch.nn.linear"
F32 = np.float32


# ---- small modules with known parameters ---------------------------------------------------------
def _grid(*shape, start=0.0, scale=0.1):
    return ((np.arange(np.prod(shape), dtype=np.float64) + start) * scale).astype(F32).reshape(shape)


class _Affine(Module):
    """weight (out, in) and bias (out,), fixed numbers: a Linear without randomness."""

    def __init__(self, n_in, n_out, start=0.0):
        self.weight = Parameter(_grid(n_out, n_in, start=start))
        self.bias = Parameter(_grid(n_out, start=start + 100))

    def forward(self, x):
        return Tensor(x.data @ self.weight.data.T + self.bias.data)


class _Net(Module):
    """encoder -> head, plus a constant Tensor, a NumPy array and a number that are NOT parameters."""

    def __init__(self, start=0.0):
        self.scale = Parameter(np.array([2.0], F32) + start)
        self.encoder = _Affine(3, 2, start)
        self.head = _Affine(2, 1, start + 50)
        self.constant = Tensor(np.ones(3, F32))
        self.table = np.zeros(3, F32)
        self.depth = 2


class _AddOne(Module):
    def forward(self, x):
        return Tensor(x.data + 1)


class _Double(Module):
    def forward(self, x):
        return Tensor(x.data * 2)


class _Tied(Module):
    """Two layers sharing one weight (as a language model ties its embedding and output layers)."""

    def __init__(self):
        self.first = _Affine(2, 2)
        self.second = _Affine(2, 2, start=10)
        self.second.weight = self.first.weight


class _Blocks(Module):
    def __init__(self):
        self.blocks = [_Affine(2, 2), _Affine(2, 2, start=20)]


NET_NAMES = ["scale", "encoder.weight", "encoder.bias", "head.weight", "head.bias"]


def _net_params(net):
    return [net.scale, net.encoder.weight, net.encoder.bias, net.head.weight, net.head.bias]


# ---- discovery ------------------------------------------------------------------------------------
def _pairs_check(names, params):
    """The result must list exactly these (name, parameter) pairs, in this order, the very objects."""

    def check(got):
        try:
            got = list(got)
            got_names = [n for n, _ in got]
        except (TypeError, ValueError):
            return f"expected (name, parameter) pairs, got {describe(got)}"
        if got_names != names:
            return f"names {got_names}, expected {names}"
        for (name, p), want in zip(got, params, strict=False):
            if p is not want:
                return f"{name!r} is paired with {describe(p)}, not the module's own Parameter object"
        return None

    return check


def named_parameters_cases():
    a = _Affine(3, 2)
    yield Case(
        "a module's own Parameters, in the order assigned: weight, bias",
        (a,),
        _pairs_check(["weight", "bias"], [a.weight, a.bias]),
        hint="look through vars(module): the attributes that are Parameters, in their order",
    )
    net = _Net()
    yield Case(
        "children are prefixed by their attribute name; Tensors, arrays, numbers are not parameters",
        (net,),
        _pairs_check(NET_NAMES, _net_params(net)),
        hint="a plain Tensor is not a Parameter; recurse into child Modules (named_modules gives dotted names)",
    )
    seq = Sequential(_Affine(3, 2), _AddOne(), _Affine(2, 1, 5))
    yield Case(
        "Sequential children are named by position: 0.weight, 0.bias, 2.weight, 2.bias",
        (seq,),
        _pairs_check(
            ["0.weight", "0.bias", "2.weight", "2.bias"], [seq[0].weight, seq[0].bias, seq[2].weight, seq[2].bias]
        ),
        hint="Sequential names its children '0', '1', ...: use named_modules() (or named_children()) "
        "rather than vars() to find children",
    )
    blocks = _Blocks()
    yield Case(
        "a list of modules: blocks.0.weight ... blocks.1.bias",
        (blocks,),
        _pairs_check(
            ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight", "blocks.1.bias"],
            [blocks.blocks[0].weight, blocks.blocks[0].bias, blocks.blocks[1].weight, blocks.blocks[1].bias],
        ),
    )
    tied = _Tied()
    yield Case(
        "a Parameter shared by two layers is listed once",
        (tied,),
        _pairs_check(
            ["first.weight", "first.bias", "second.bias"], [tied.first.weight, tied.first.bias, tied.second.bias]
        ),
        hint="remember the id() of every parameter already yielded, and skip it the second time",
    )
    net = _Net()
    yield Case(
        "prefix='model' goes in front of every name",
        (net,),
        _pairs_check(["model." + n for n in NET_NAMES], _net_params(net)),
        kwargs={"prefix": "model"},
        hint="named_modules(prefix) already puts the prefix in front of the module names",
    )


# ---- Sequential ------------------------------------------------------------------------------------
def _through(seq, x):
    return lambda forward: forward(seq, Tensor(x))


def sequential_forward_cases():
    x = np.array([[1.0, -2.0, 3.0]], F32)
    show = f"x = {describe(x)}"
    yield Case(
        "layers run in order: Sequential(add 1, double) gives (x + 1) * 2",
        call=_through(Sequential(_AddOne(), _Double()), x),
        expected=(x + 1) * 2,
        returns=Tensor,
        show=show,
        hint="feed each layer's output into the next one, first to last",
    )
    yield Case(
        "the other order gives x * 2 + 1",
        call=_through(Sequential(_Double(), _AddOne()), x),
        expected=x * 2 + 1,
        returns=Tensor,
        show=show,
    )
    yield Case("an empty Sequential returns its input", call=_through(Sequential(), x), expected=x, show=show)
    seq = Sequential(_Affine(3, 2), _AddOne(), _Affine(2, 1, 5))
    w1, b1, w2, b2 = (p.data for p in (seq[0].weight, seq[0].bias, seq[2].weight, seq[2].bias))
    yield Case(
        "layers with parameters: (3 -> 2), +1, (2 -> 1)",
        call=_through(seq, x),
        expected=((x @ w1.T + b1) + 1) @ w2.T + b2,
        returns=Tensor,
        show=show,
        hint="call each layer like a function: layer(x) runs its forward",
    )


# ---- initialisation --------------------------------------------------------------------------------
def _uniform_check(shape, bound, name="weights"):
    """float32, the right shape, all within +-bound, reaching close to it, and spread like U(-b, b)."""

    def check(got):
        arr = np.asarray(got.data if isinstance(got, Tensor) else got)
        if arr.shape != tuple(shape):
            return f"{name} have shape {arr.shape}, expected {tuple(shape)}"
        if arr.dtype != F32:
            return f"{name} have dtype {arr.dtype}, expected float32"
        return _spread_problem(arr, bound, name)

    return check


def _spread_problem(arr, bound, name):
    """Why `arr` does not look like n draws of U(-bound, bound), or None. Each test fails a correct
    draw with probability below ~1e-8: the largest |value| of n uniform draws is below
    (1 - 20/n) * bound with probability (1 - 20/n)^n ~ e^-20."""
    big = np.abs(arr).max()
    if big > bound * (1 + 1e-6):
        idx = tuple(int(i) for i in np.unravel_index(np.abs(arr).argmax(), arr.shape))
        return f"{name}{list(idx)} is {arr[idx]:.4g}, outside the bound +-{bound:.4g}"
    if arr.size >= 40 and big < (1 - 20 / arr.size) * bound:
        return (
            f"the largest |{name}| is {big:.4g}, but {arr.size} uniform draws in +-{bound:.4g} come "
            f"closer to the bound: is the bound too small?"
        )
    if arr.size >= 1000:
        std, want = arr.std(), bound / math.sqrt(3)
        if abs(std - want) > 0.05 * want:
            return f"{name} have standard deviation {std:.4g}; U(-b, b) with b = {bound:.4g} has b/sqrt(3) = {want:.4g}"
        if abs(arr.mean()) > 0.05 * bound:
            return f"{name} have mean {arr.mean():.4g}; a uniform draw in +-{bound:.4g} has mean ~0"
    return None


def kaiming_uniform_cases():
    yield Case(
        "shape (100, 100): U(-b, b) with b = 1/sqrt(fan_in) = 0.1",
        call=lambda k: with_seed(1, lambda: k((100, 100))),
        expected=_uniform_check((100, 100), 0.1),
        show="shape = (100, 100), a = sqrt(5)",
        hint="gain = sqrt(2 / (1 + a^2)) and b = gain * sqrt(3 / fan_in); with a = sqrt(5) that is 1/sqrt(fan_in)",
    )
    yield Case(
        "a=0 (the ReLU gain sqrt(2)): b = sqrt(6 / fan_in), fan_in = 200",
        call=lambda k: with_seed(2, lambda: k((50, 200), a=0.0)),
        expected=_uniform_check((50, 200), math.sqrt(6 / 200)),
        show="shape = (50, 200), a = 0",
    )
    yield Case(
        "a conv weight (8, 3, 3, 3): fan_in = 3 * 3 * 3 = 27",
        call=lambda k: with_seed(3, lambda: k((8, 3, 3, 3))),
        expected=_uniform_check((8, 3, 3, 3), 1 / math.sqrt(27)),
        show="shape = (8, 3, 3, 3), a = sqrt(5)",
        hint="the given _fans(shape) gives (fan_in, fan_out); fan_in is the product of every axis but the first",
    )

    def reproducible(k):
        first = with_seed(7, lambda: k((4, 5)))
        again = with_seed(7, lambda: k((4, 5)))
        other = with_seed(8, lambda: k((4, 5)))
        return first, again, other

    def same_seed_same_weights(got):
        first, again, other = (np.asarray(g) for g in got)
        if not np.array_equal(first, again):
            return (
                "two draws after tt.manual_seed(7) differ: draw from tinytorch's generator (the given uniform(), or "
                "default_rng())"
            )
        if np.array_equal(first, other):
            return "tt.manual_seed(7) and tt.manual_seed(8) give the same weights: are they random at all?"
        return None

    yield Case(
        "tt.manual_seed makes the draw reproducible",
        call=reproducible,
        expected=same_seed_same_weights,
        show="shape = (4, 5), seeds 7, 7, 8",
    )


def _linear_init_check(n_in, n_out, w_bound=None, has_bias=True, w_std=None):
    def check(layer):
        for attr, want in (("in_features", n_in), ("out_features", n_out)):
            if getattr(layer, attr, None) != want:
                return f"layer.{attr} is {getattr(layer, attr, None)!r}, expected {want}"
        w = getattr(layer, "weight", None)
        if not isinstance(w, Parameter):
            return f"layer.weight should be a Parameter (so parameters() finds it), got {describe(w)}"
        if w.shape != (n_out, n_in):
            return f"layer.weight has shape {w.shape}, expected (out_features, in_features) = {(n_out, n_in)}"
        if w.dtype != F32:
            return f"layer.weight has dtype {w.dtype}, expected float32"
        if w_bound is not None:
            problem = _spread_problem(w.data, w_bound, "weights")
            if problem:
                return problem
        if w_std is not None and abs(w.data.std() - w_std) > 0.05 * w_std:
            return f"weight has standard deviation {w.data.std():.4g}, expected sqrt(2 / in_features) = {w_std:.4g}"
        b = getattr(layer, "bias", "missing")
        if not has_bias:
            return None if b is None else f"with bias=False, layer.bias should be None, got {describe(b)}"
        if not isinstance(b, Parameter):
            return f"layer.bias should be a Parameter, got {describe(b)}"
        if b.shape != (n_out,):
            return f"layer.bias has shape {b.shape}, expected (out_features,) = {(n_out,)}"
        return _spread_problem(b.data, 1 / math.sqrt(n_in), "bias")

    return check


def linear_init_cases():
    def make(*args, seed=0, **kwargs):
        return lambda init: with_seed(seed, lambda: construct(Linear, init, *args, **kwargs))

    yield Case(
        "Linear(3, 2): weight (2, 3) = (out, in), bias (2,), both Parameters",
        call=make(3, 2),
        expected=_linear_init_check(3, 2),
        show="Linear(3, 2)",
        hint="PyTorch stores weight as (out_features, in_features), so that y = x @ weight.T + bias",
    )
    yield Case(
        "Linear(100, 50): weight and bias in +-1/sqrt(100) (Kaiming-uniform, PyTorch's default)",
        call=make(100, 50, seed=1),
        expected=_linear_init_check(100, 50, w_bound=0.1),
        show="Linear(100, 50)",
        hint="weights: init.kaiming_uniform(shape); bias: init.bias_uniform((out_features,), in_features)",
    )
    yield Case(
        "bias=False stores bias = None",
        call=make(4, 3, bias=False),
        expected=_linear_init_check(4, 3, has_bias=False),
        show="Linear(4, 3, bias=False)",
    )
    yield Case(
        "init_scheme='xavier': weights in +-sqrt(6 / (in + out))",
        call=make(100, 50, seed=2, init_scheme="xavier"),
        expected=_linear_init_check(100, 50, w_bound=math.sqrt(6 / 150)),
        show="Linear(100, 50, init_scheme='xavier')",
        hint="init.xavier_uniform(shape) draws them",
    )
    yield Case(
        "init_scheme='kaiming_normal': standard deviation sqrt(2 / in_features)",
        call=make(100, 50, seed=3, init_scheme="kaiming_normal"),
        expected=_linear_init_check(100, 50, w_std=math.sqrt(2 / 100)),
        show="Linear(100, 50, init_scheme='kaiming_normal')",
        hint="init.kaiming_normal(shape) draws them",
    )
    yield Case(
        "an unknown init_scheme raises ValueError naming it",
        call=make(3, 2, init_scheme="orthogonal"),
        expected=Raises(ValueError, "orthogonal"),
        show="Linear(3, 2, init_scheme='orthogonal')",
        hint="the message should name the unknown scheme and the ones that exist",
    )


# ---- the fused linear op ----------------------------------------------------------------------------
def linear_cases():
    x = _grid(2, 3, start=-3, scale=0.5)
    w = _grid(4, 3, start=-6, scale=0.25)
    b = np.array([0.5, -1.0, 2.0, 0.0], F32)

    def op(name, args, expected, **kw):
        return Case(
            name,
            tuple(Tensor(a) if isinstance(a, np.ndarray) else a for a in args),
            expected,
            returns=Tensor,
            dtype=F32,
            **kw,
        )

    yield op(
        "x (2, 3), weight (4, 3), bias (4,) gives x @ weight.T + bias, (2, 4)",
        (x, w, b),
        x @ w.T + b,
        hint="weight is (out_features, in_features): multiply by its transpose",
    )
    yield op(
        "no bias (bias=None) gives x @ weight.T",
        (x, w, None),
        x @ w.T,
        hint="bias is optional: only add it when it is not None",
    )
    seq = _grid(2, 2, 3, start=1, scale=0.3)
    yield op("a batch of sequences: x (2, 2, 3) gives (2, 2, 4)", (seq, w, b), seq @ w.T + b)
    v = np.array([1.0, -1.0, 0.5], F32)
    yield op("a single sample x (3,) gives (4,)", (v, w, b), v @ w.T + b)
    yield Case(
        "x with 4 features into weight (5, 3) raises ValueError naming both shapes",
        (Tensor(np.ones((2, 4), F32)), Tensor(np.ones((5, 3), F32))),
        Raises(ValueError, "(2, 4)", "(5, 3)", "4 features", "expects 3"),
        hint="compare x.shape[-1] with weight.shape[1] first; say 'input has {x.shape[-1]} features' and "
        "'the layer expects {weight.shape[1]}', and put both shapes in the message "
        "(NumPy's own error names neither layer nor fix)",
    )
    yield Case(
        "a batch of sequences (2, 5, 4) into weight (6, 3): the features are the LAST axis (4)",
        (Tensor(np.ones((2, 5, 4), F32)), Tensor(np.ones((6, 3), F32))),
        Raises(ValueError, "(2, 5, 4)", "(6, 3)", "4 features", "expects 3"),
        hint="the feature axis is x.shape[-1] (the last), whatever the number of leading axes",
    )


# ---- state dict ----------------------------------------------------------------------------------------
def _state_check(expected: dict):
    """A mapping with exactly these keys, in this order, holding detached Tensors equal to these
    arrays in their dtype (torch's state_dict holds tensors too)."""

    def check(got):
        if not hasattr(got, "keys"):
            return f"expected a dict of name -> Tensor, got {describe(got)}"
        if list(got.keys()) != list(expected):
            return f"keys {list(got.keys())}, expected {list(expected)}"
        for key, want in expected.items():
            value = got[key]
            if isinstance(value, Parameter) or (isinstance(value, Tensor) and value.requires_grad):
                return (
                    f"state[{key!r}] is the model's own {type(value).__name__}; store a new Tensor holding a copy: "
                    "Tensor(p.data.copy(), dtype=p.data.dtype)"
                )
            if not isinstance(value, Tensor):
                return (
                    f"state[{key!r}] is a {type(value).__name__}; torch's state_dict holds tensors: "
                    "wrap the copy, Tensor(p.data.copy(), dtype=p.data.dtype)"
                )
            problem = mismatch(value, want, dtype=np.asarray(want).dtype)
            if problem:
                return f"state[{key!r}]: {problem}"
        return None

    return check


def _net_state(net):
    return dict(zip(NET_NAMES, [p.data.copy() for p in _net_params(net)], strict=True))


def state_dict_cases():
    net = _Net()
    yield Case(
        "keys are the dotted parameter names, values Tensors holding their arrays",
        (net,),
        _state_check(_net_state(net)),
        hint="named_parameters() gives the names; store a new Tensor of each parameter's .data",
    )

    def edit_after_saving(state_dict):
        model = _Net()
        state = state_dict(model)
        model.encoder.weight.data += 1.0  # an optimizer updates parameters in place, like this
        return state

    yield Case(
        "the Tensors hold copies: updating the model afterwards leaves the saved state alone",
        call=edit_after_saving,
        expected=_state_check(_net_state(_Net())),
        show="model = _Net(); state = model.state_dict(); model.encoder.weight.data += 1",
        hint="wrap p.data.copy(), not p.data: an optimizer changes p.data in place after you saved it",
    )
    net64 = _Net()
    for p in _net_params(net64):
        p.data = p.data.astype(np.float64)
    yield Case(
        "each Tensor keeps its array's dtype: a float64 model saves float64",
        (net64,),
        _state_check(_net_state(net64)),
        hint="Tensor(...) turns floats into float32 unless told otherwise: pass dtype=p.data.dtype",
    )
    seq = Sequential(_Affine(3, 2), _AddOne(), _Affine(2, 1, 5))
    yield Case(
        "a Sequential: 0.weight, 0.bias, 2.weight, 2.bias",
        (seq,),
        _state_check(
            {
                "0.weight": seq[0].weight.data,
                "0.bias": seq[0].bias.data,
                "2.weight": seq[2].weight.data,
                "2.bias": seq[2].bias.data,
            }
        ),
    )
    net = _Net()
    net.head.register_buffer("mask", np.array([1.0, 0.0], F32))
    yield Case(
        "registered buffers are saved after the parameters: head.mask",
        (net,),
        _state_check({**_net_state(net), "head.mask": np.array([1.0, 0.0], F32)}),
        hint="each module lists its buffers' attribute names in `_buffers` (see register_buffer); "
        "walk named_modules() for them",
    )

    def edit_buffer_after_saving(state_dict):
        model = _Net()
        model.head.register_buffer("mask", np.array([1.0, 0.0], F32))
        state = state_dict(model)
        model.head.mask[0] = 5.0  # a buffer updated in place (a running mean does this)
        return state["head.mask"]

    yield Case(
        "buffers are saved as copies too: changing the buffer afterwards leaves the saved one alone",
        call=edit_buffer_after_saving,
        expected=np.array([1.0, 0.0], F32),
        show="model.head.register_buffer('mask', [1, 0]); state = model.state_dict(); model.head.mask[0] = 5",
        hint="copy buffers as you copy parameters: np.array(buffer, copy=True), wrapped in a Tensor",
    )


def _load(model_start, state_fn, **kwargs):
    """Build a model, load a state into it with the learner's load_state_dict, return the model."""

    def call(load):
        model = _Net(model_start)
        load(model, state_fn(), **kwargs)
        return model

    return call


def _model_check(expected_state: dict):
    def check(model):
        state = dict(zip(NET_NAMES, [p.data for p in _net_params(model)], strict=True))
        for key, want in expected_state.items():
            problem = mismatch(state[key], want, dtype=F32)
            if problem:
                return f"after loading, model's {key}: {problem}"
        return None

    return check


def load_state_dict_cases():
    saved = _net_state(_Net(7.0))
    yield Case(
        "round trip: every parameter gets the saved values",
        call=_load(0.0, lambda: dict(saved)),
        expected=_model_check(saved),
        show="model = _Net(0); model.load_state_dict(_Net(7).state_dict())",
        hint="for each name, value of the dict, find the parameter of that name (named_parameters) and set its .data",
    )

    def same_objects(load):
        model = _Net()
        before = _net_params(model)
        load(model, dict(saved))
        return before, _net_params(model)

    def kept(got):
        before, after = got
        for name, b, a in zip(NET_NAMES, before, after, strict=True):
            if a is not b:
                return (
                    f"model.{name} is a new object after loading: an optimizer holding the old Parameter would not "
                    "see it"
                )
            problem = mismatch(a.data, saved[name])
            if problem:
                return f"model.{name}: {problem}"
        return None

    yield Case(
        "the model keeps its Parameter objects (set p.data; an optimizer holds the Parameters)",
        call=same_objects,
        expected=kept,
        show="_Net(0).load_state_dict(_Net(7).state_dict())",
        hint="assign the new array to the existing parameter's .data instead of replacing the Parameter",
    )

    def edit_after_loading(load):
        state = dict(saved)
        state = {k: v.copy() for k, v in state.items()}
        model = _Net()
        load(model, state)
        state["encoder.weight"] += 100.0
        return model

    yield Case(
        "the model keeps its own copy: editing the dict afterwards changes nothing",
        call=edit_after_loading,
        expected=_model_check(saved),
        show="load, then state['encoder.weight'] += 100",
        hint="copy the arrays as you load them (e.g. value.astype(p.data.dtype, copy=True))",
    )
    yield Case(
        "a state of Tensors (what state_dict returns) loads like one of arrays",
        call=_load(0.0, lambda: {k: Tensor(v.copy(), dtype=v.dtype) for k, v in saved.items()}),
        expected=_model_check(saved),
        show="model.load_state_dict({name: Tensor(array) ...})",
        hint="take value.data when the value is a Tensor, then convert and copy as for an array",
    )
    as64 = {k: v.astype(np.float64) for k, v in saved.items()}
    yield Case(
        "float64 arrays are stored in the parameter's own dtype (float32)",
        call=_load(0.0, lambda: dict(as64)),
        expected=_model_check(saved),
        show="a state dict of float64 arrays",
        hint="convert to p.data.dtype when you copy",
    )
    missing = {k: v for k, v in saved.items() if k != "head.bias"}
    yield Case(
        "a missing key raises KeyError naming it",
        call=_load(0.0, lambda: dict(missing)),
        expected=Raises(KeyError, "head.bias"),
        show="the saved state without 'head.bias'",
        hint="collect the model's names that the dict lacks, and raise KeyError listing them before loading anything",
    )
    extra = {**saved, "tail.weight": np.zeros((1, 1), F32)}
    yield Case(
        "an unexpected key raises KeyError naming it",
        call=_load(0.0, lambda: dict(extra)),
        expected=Raises(KeyError, "tail.weight"),
        show="the saved state plus 'tail.weight'",
        hint="names in the dict that the model does not have are an error too (strict=True)",
    )
    partial = {"encoder.weight": saved["encoder.weight"], "tail.weight": np.zeros((1, 1), F32)}
    fresh = _net_state(_Net(0.0))
    yield Case(
        "strict=False loads the names that match and skips the rest",
        call=_load(0.0, lambda: dict(partial), strict=False),
        expected=_model_check({**fresh, "encoder.weight": saved["encoder.weight"]}),
        show="{'encoder.weight': ..., 'tail.weight': ...}, strict=False",
        hint="with strict=False, raise nothing for missing or unexpected names",
    )
    wrong = {**saved, "encoder.weight": np.zeros((3, 2), F32)}
    yield Case(
        "a wrong shape raises ValueError naming the key and both shapes",
        call=_load(0.0, lambda: dict(wrong)),
        expected=Raises(ValueError, "encoder.weight", "(3, 2)", "(2, 3)"),
        show="'encoder.weight' of shape (3, 2) for a (2, 3) parameter",
        hint="compare value.shape with p.shape and name both (a checkpoint of another architecture)",
    )

    def with_buffer(load):
        model = _Net()
        model.head.register_buffer("mask", np.array([1.0, 1.0], F32))
        load(model, {**saved, "head.mask": np.array([0.0, 1.0], F32)})
        return model.head.mask

    yield Case(
        "registered buffers are loaded too",
        call=with_buffer,
        expected=np.array([0.0, 1.0], F32),
        show="model.head.mask = [1, 1]; loading {'head.mask': [0, 1], ...}",
        hint="a buffer is a plain attribute of its module: setattr(module, name, value.copy())",
    )


PIECES = [
    Piece(
        "Module.named_parameters",
        named_parameters_cases,
        title="finding the parameters",
        todo="yield (dotted name, Parameter) for every Parameter of this module and its children, each once",
        hints=[
            "named_modules(prefix) yields (dotted module name, module) for this module and all below it.",
            "In each module, the Parameters are the values of vars(module) that are instances of Parameter.",
            "Name = module name + '.' + attribute (just the attribute at the top); keep a set of id(p) "
            "to skip a shared parameter the second time.",
        ],
    ),
    Piece(
        "linear",
        linear_cases,
        home=FUNCTIONAL_HOME,
        title="the fused linear op",
        todo="return x @ weight.T + bias (bias may be None) as one Tensor; a feature mismatch names both shapes",
        hints=[
            "Work on the arrays: a = x.data, w = weight.data; the output is a @ w.T.",
            "Add bias.data when bias is not None; parents are (x, weight, bias) or (x, weight).",
            "Check a.shape[-1] == w.shape[1] before multiplying, and raise ValueError naming both shapes.",
        ],
    ),
    Piece(
        "kaiming_uniform",
        kaiming_uniform_cases,
        home=INIT_HOME,
        title="Kaiming-uniform initialisation",
        todo="draw an array of `shape` from U(-b, b), b = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2))",
        hints=[
            "fan_in, _ = _fans(shape): the inputs each output unit sums over.",
            "gain = math.sqrt(2.0 / (1 + a * a)); bound = gain * math.sqrt(3.0 / fan_in).",
            "The given uniform(shape, bound) draws from tinytorch's generator in float32.",
        ],
    ),
    Piece(
        "Linear.__init__",
        linear_init_cases,
        home=LINEAR_HOME,
        title="the Linear layer",
        todo="store in/out_features, a weight Parameter (out, in) initialised by init_scheme, and a bias Parameter "
        "(or None)",
        hints=[
            "shape = (out_features, in_features); pick the init function from init_scheme "
            "(init.kaiming_uniform / init.kaiming_normal / init.xavier_uniform).",
            "self.weight = Parameter(w); the bias is Parameter(init.bias_uniform((out_features,), in_features)).",
            "An unknown init_scheme: raise ValueError(f'unknown init_scheme {init_scheme!r}; use ...').",
        ],
    ),
    Piece(
        "Sequential.forward",
        sequential_forward_cases,
        title="Sequential",
        todo="pass x through every layer in self.layers, in order, and return the result",
        hints=["A for loop over self.layers; each step replaces x by layer(x)."],
    ),
    Piece(
        "Module.state_dict",
        state_dict_cases,
        title="saving a model",
        todo="return an OrderedDict: dotted parameter name -> a copy of its array, then every registered buffer",
        hints=[
            "Loop over self.named_parameters(); the value is p.data.copy() (a NumPy array).",
            "Buffers: for each (module name, module) in self.named_modules(), the names listed in "
            "getattr(module, '_buffers', ()); the array is getattr(module, name).",
        ],
    ),
    Piece(
        "Module.load_state_dict",
        load_state_dict_cases,
        title="loading a model",
        todo="copy each array of `state` into the parameter (or buffer) of that name; strict=True: names must match "
        "exactly",
        hints=[
            "own = dict(self.named_parameters()); buffers as in state_dict, name -> (module, attribute).",
            "With strict, first compute the missing and unexpected names and raise KeyError naming them.",
            "For a parameter: check the shape, then p.data = value.astype(p.data.dtype, copy=True).",
        ],
    ),
]
