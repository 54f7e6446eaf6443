"""Checks of lesson 05 (Autograd): the engine (unbroadcast, topological order, backward) and the
backward of every op the learner wrote in lessons 01-04.

- The engine's cases build their graphs from `Tensor._op` with backward closures written here
  (known to be right, and counting how often they run), so they grade the learner's engine alone.
  Expected gradients are closed-form NumPy formulas.
- Each op is checked twice: its forward cases from lessons 01-04 again ("forward: ..."; a rewrite
  must not break what passed), then gradient cases against central finite differences in float64
  (`grad_case`, "backward: ..."), which name the first element of the first input that is off.
  A forward that is wrong in the same way as its backward would fool the gradient check alone.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tinytorch.tensor import Tensor
from tinytorch_course.checks import lesson01, lesson02, lesson03, lesson04
from tinytorch_course.checks.cases import Case, Piece, Raises
from tinytorch_course.checks.compare import describe, mismatch
from tinytorch_course.checks.fixtures import np_uniform
from tinytorch_course.checks.gradients import grad_case

HOME = "tinytorch.tensor"
FUNCTIONAL_HOME = "tinytorch.nn.functional"
F64 = np.float64


def _forward(cases):
    """An earlier lesson's cases, renamed "forward: ...": the rewritten op must still pass them."""
    for case in cases:
        yield dataclasses.replace(case, name="forward: " + case.name)


def _grad(name, fn, *inputs, **kw) -> Case:
    return grad_case("backward: " + name, fn, *inputs, **kw)


# =================================================================================================
# the engine
# =================================================================================================
def unbroadcast_cases():
    g = np.arange(1.0, 7.0).reshape(2, 3)

    def case(name, grad, shape, expected, **kw):
        return Case(name, (grad, shape), np.asarray(expected), **kw)

    yield case("same shape (2, 3): returned unchanged", g, (2, 3), g)
    yield case(
        "(2, 3) -> (3,): sum over the added leading axis",
        g,
        (3,),
        g.sum(axis=0),
        hint="an input of shape (3,) was copied to every row: its gradient is the sum over the rows",
    )
    yield case(
        "(2, 3) -> (2, 1): sum over the stretched axis, keeping it",
        g,
        (2, 1),
        g.sum(axis=1, keepdims=True),
        hint="an axis of size 1 in `shape` that is larger in grad was stretched: sum it with keepdims=True",
    )
    yield case("(2, 3) -> (1, 3)", g, (1, 3), g.sum(axis=0, keepdims=True))
    yield case(
        "a 0-d gradient 2.0 for shape (2, 3): spread over the input",
        np.array(2.0),
        (2, 3),
        np.full((2, 3), 2.0),
        hint="a gradient smaller than the input (e.g. a scalar) is spread over it: np.broadcast_to(grad, shape) "
        "when grad.shape != shape after the sums",
    )
    g3 = np.arange(24.0).reshape(4, 2, 3)
    yield case(
        "(4, 2, 3) -> (2, 1): both at once",
        g3,
        (2, 1),
        g3.sum(axis=0).sum(axis=1, keepdims=True),
        hint="first sum away the extra leading axes (grad.ndim - len(shape) of them), then the stretched ones",
    )
    yield case("(2, 3) -> (): a scalar's gradient is the total", g, (), np.asarray(g.sum()))


# ---- small graphs with known-correct closures ------------------------------------------------------
class _Graph:
    """Builds graphs from `Tensor._op` with backward closures written here, names every node (for
    the report) and counts how many times each node's backward runs."""

    def __init__(self):
        self.names, self.calls = {}, {}

    def leaf(self, name, array, requires_grad=True):
        t = Tensor(np.array(array, F64), dtype=F64, requires_grad=requires_grad)
        self.names[id(t)] = name
        return t

    def op(self, name, data, parents, backward):
        def counted(g):
            self.calls[name] = self.calls.get(name, 0) + 1
            return backward(g)

        t = Tensor._op(np.asarray(data), parents, counted, name)
        self.names[id(t)] = name
        return t

    def scale(self, name, x, c):
        return self.op(name, x.data * c, (x,), lambda g: (g * c,))

    def square(self, name, x):
        a = x.data
        return self.op(name, a * a, (x,), lambda g: (2 * a * g,))

    def add(self, name, x, y):
        return self.op(name, x.data + y.data, (x, y), lambda g: (g, g))

    def mul(self, name, x, y):
        """x * y with broadcasting; the closure returns broadcast-shaped gradients (the engine reduces)."""
        a, b = x.data, y.data
        return self.op(name, a * b, (x, y), lambda g: (g * b, g * a))

    def total(self, name, x):
        shape = x.shape
        return self.op(name, x.data.sum(), (x,), lambda g: (np.broadcast_to(g, shape),))

    def name(self, t):
        known = self.names.get(id(t))
        return known if known is not None else f"an unknown {describe(t)}"


X = np.array([[1.0, -2.0, 3.0], [0.5, 2.0, -1.0]])


def _chain():
    g = _Graph()
    x = g.leaf("x", X)
    a = g.scale("a", x, 3.0)
    b = g.square("b", a)
    return g, g.total("loss", b), x


def _diamond():
    """h = x^2 is used by two ops: loss = sum(h * 3h) = sum(3 x^4)."""
    g = _Graph()
    x = g.leaf("x", X)
    h = g.square("h", x)
    k = g.scale("k", h, 3.0)
    m = g.mul("m", h, k)
    return g, g.total("loss", m), x, h


# ---- topological order -------------------------------------------------------------------------------
def _reachable(out):
    """Every tensor that requires grad and leads to `out` (found here, iteratively)."""
    found, stack = {}, [out]
    while stack:
        t = stack.pop()
        if id(t) in found:
            continue
        found[id(t)] = t
        stack += [p for p in t._parents if p.requires_grad]
    return found


def _order_problem(graph, out, order):
    try:
        order = list(order)
    except TypeError:
        return f"expected a list of tensors, got {describe(order)}"
    if not all(isinstance(t, Tensor) for t in order):
        return f"expected a list of tensors, got {describe(order)}"
    names = [graph.name(t) for t in order]
    want = _reachable(out)
    for t in order:
        if id(t) not in want:
            if not t.requires_grad:
                return (
                    f"{graph.name(t)!r} (requires_grad=False) is in the order: it needs no gradient, so do not visit it"
                )
            return f"{graph.name(t)!r} is in the order but does not lead to the output"
    index = {}
    for i, t in enumerate(order):
        if id(t) in index:
            return f"{graph.name(t)!r} appears more than once in {names}"
        index[id(t)] = i
    missing = [graph.name(t) for key, t in want.items() if key not in index]
    if missing:
        return f"{missing} missing from {names}: every tensor that requires grad and leads to the output belongs in it"
    for t in order:
        for p in t._parents:
            if p.requires_grad and index[id(p)] < index[id(t)]:
                return (
                    f"{graph.name(p)!r} comes before {graph.name(t)!r}, which uses it, in {names}: a tensor's "
                    "gradient is complete only once every tensor that uses it has sent its part"
                )
    return None


def _order_case(name, build, show, hint=""):
    def call(topo):
        graph, out = build()
        return graph, out, topo(out)

    def check(got):
        return _order_problem(*got)

    return Case(name, call=call, expected=check, show=show, hint=hint)


def _chain_graph():
    graph, loss, _ = _chain()
    return graph, loss


def _diamond_graph():
    graph, loss, _, _ = _diamond()
    return graph, loss


def _two_depths():
    """a is used directly by c and d and also through b: a walk that adds a tensor when it first meets
    it (breadth-first or pre-order) puts a before b one way or the other, whatever its parent order."""
    g = _Graph()
    x = g.leaf("x", X)
    a = g.square("a", x)
    b = g.scale("b", a, 3.0)
    c = g.mul("c", a, b)
    d = g.mul("d", b, a)
    return g, g.total("loss", g.add("e", c, d))


def _with_constant():
    g = _Graph()
    x = g.leaf("x", X)
    w = g.leaf("w", X * 2, requires_grad=False)
    a = g.mul("a", x, w)
    return g, g.total("loss", a)


DEEP = 3000


def _deep():
    g = _Graph()
    t = g.leaf("x", [1.0, 2.0, 3.0])
    for i in range(DEEP):
        t = g.scale(f"s{i}", t, 1.0001)
    return g, g.total("loss", t)


def topological_order_cases():
    yield _order_case(
        "a chain x -> a -> b -> loss gives [loss, b, a, x]",
        _chain_graph,
        "a = 3x; b = a^2; loss = sum(b)",
        hint="start from self; a tensor goes into the list only after all tensors built from it",
    )
    yield _order_case(
        "a diamond: h feeds k and m, k feeds m",
        _diamond_graph,
        "h = x^2; k = 3h; m = h * k; loss = sum(m)",
        hint="visiting parents depth-first and adding a tensor *after* its parents (post-order), "
        "then reversing the list, puts every tensor after all its users",
    )
    yield _order_case(
        "a tensor used at two depths comes after all its users: b before a",
        _two_depths,
        "a = x^2; b = 3a; c = a * b; d = b * a; e = c + d; loss = sum(e)",
        hint="a breadth-first or pre-order walk from loss meets `a` (a parent of c) before b, which "
        "also uses it: add tensors in post-order and reverse",
    )
    yield _order_case(
        "a tensor that does not require grad is left out",
        _with_constant,
        "w = constant (requires_grad=False); a = x * w; loss = sum(a)",
        hint="skip parents whose requires_grad is False: no gradient is wanted there",
    )
    yield _order_case(
        f"a chain of {DEEP} ops (no recursion limit)",
        _deep,
        f"x -> {DEEP} times x * 1.0001 -> sum",
        hint="a recursive visit needs one Python frame per tensor and Python stops at ~1000: keep "
        "your own stack (a list of (tensor, expanded?) pairs) instead",
    )


# ---- backward ------------------------------------------------------------------------------------------
def _grad_problem(label, t, expected) -> str | None:
    """None if t.grad holds `expected` (or stays None when expected is None); else what is wrong."""
    if expected is None:
        return None if t.grad is None else f"{label}.grad should stay None, got {describe(t.grad)}"
    if t.grad is None:
        return f"{label}.grad is None: the gradient never reached {label}"
    if not isinstance(t.grad, Tensor):
        return f"{label}.grad should be a Tensor, got {type(t.grad).__name__} (leaf._accumulate(g) makes one)"
    problem = mismatch(t.grad, np.asarray(expected), dtype=t.data.dtype)
    return f"{label}.grad: {problem}" if problem else None


def _backward_case(name, build, show, hint="", grad=None, once=False):
    """build() -> (graph, output, [(label, tensor, expected grad or None)]); runs backward(output[, grad])."""

    def call(backward):
        graph, out, wanted = build()
        if grad is None:
            backward(out)
        else:
            backward(out, grad)
        return graph, wanted

    def check(got):
        graph, wanted = got
        for label, t, want in wanted:
            problem = _grad_problem(label, t, want)
            if problem:
                return problem
        if once:
            again = {n: c for n, c in graph.calls.items() if c != 1}
            if again:
                name, count = next(iter(again.items()))
                return (
                    f"the backward of {name!r} ran {count} times: run each tensor's backward once, after its "
                    "gradient is complete (in the order of _topological_order())"
                )
        return None

    return Case(name, call=call, expected=check, show=show, hint=hint)


def backward_cases():
    def chain():
        graph, loss, x = _chain()
        return graph, loss, [("x", x, 18 * X)]

    yield _backward_case(
        "a chain: loss = sum((3x)^2) gives x.grad = 18x",
        chain,
        f"x = {describe(X)}",
        hint="seed the output's gradient with ones (np.ones_like), then pass gradients back through "
        "each tensor's _backward, in the order of self._topological_order()",
    )

    def diamond():
        graph, loss, x, _ = _diamond()
        return graph, loss, [("x", x, 12 * X**3)]

    yield _backward_case(
        "h = x^2 used twice: loss = sum(3 h^2) gives 12x^3, each backward run once",
        diamond,
        "h = x^2; k = 3h; m = h * k; loss = sum(m)",
        once=True,
        hint="keep a dict id(tensor) -> gradient so far; add (+) every part that arrives, and call a "
        "tensor's _backward only when its turn in the order comes",
    )

    def broadcast():
        g = _Graph()
        x = g.leaf("x", X)
        r = g.leaf("r", [2.0, -1.0, 0.5])
        return (
            g,
            g.total("loss", g.mul("y", x, r)),
            [("x", x, np.broadcast_to([2.0, -1.0, 0.5], X.shape)), ("r", r, X.sum(axis=0))],
        )

    yield _backward_case(
        "broadcasting: y = x (2, 3) * r (3,) gives r.grad = the column sums of x",
        broadcast,
        "x (2, 3), r = [2, -1, 0.5]; loss = sum(x * r)",
        hint="an op may return a gradient of the broadcast shape: when its shape differs from the "
        "parent's, reduce it with unbroadcast(grad, parent.shape)",
    )
    w = np.array([[1.0, 0.0, -1.0], [2.0, 0.5, 3.0]])

    def explicit():
        g = _Graph()
        x = g.leaf("x", X)
        return g, g.scale("y", x, 3.0), [("x", x, 3 * w)]

    yield _backward_case(
        "backward(grad) on a (2, 3) output: the gradient of sum(grad * y)",
        explicit,
        f"y = 3x; y.backward({w.tolist()})",
        grad=w,
        hint="with grad given, start from it (as an array of the output's shape) instead of ones",
    )

    def non_scalar(backward):
        g = _Graph()
        return backward(g.scale("y", g.leaf("x", X), 3.0))

    yield Case(
        "backward() on a (2, 3) output raises RuntimeError naming its shape",
        call=non_scalar,
        expected=Raises(RuntimeError, "(2, 3)"),
        show="y = 3x (shape (2, 3)); y.backward()",
        hint="only a single number has an obvious starting gradient (1): say so, name the shape, and "
        "suggest .sum() / .mean() or passing grad=",
    )

    def no_grad_output(backward):
        t = Tensor(X, dtype=F64)
        return backward(t)

    yield Case(
        "backward() on a tensor that does not require grad raises RuntimeError naming requires_grad",
        call=no_grad_output,
        expected=Raises(RuntimeError, "requires_grad"),
        show="Tensor(x) with requires_grad=False; .backward()",
        hint="check self.requires_grad first and say that no input had requires_grad=True (or that it was "
        "computed under no_grad()): almost always a bug upstream",
    )

    def accumulate(backward):
        g = _Graph()
        x = g.leaf("x", X)
        backward(g.total("loss1", g.square("a", x)))
        backward(g.total("loss2", g.scale("b", x, 3.0)))
        return x

    yield Case(
        "gradients accumulate across backward() calls: sum(x^2), then sum(3x) gives 2x + 3",
        call=accumulate,
        expected=lambda x: _grad_problem("x", x, 2 * X + 3),
        show="loss1 = sum(x^2); loss1.backward(); loss2 = sum(3x); loss2.backward()",
        hint="add to an existing leaf.grad instead of replacing it (PyTorch semantics; zero_grad() resets)",
    )

    def leaves_only():
        g = _Graph()
        x = g.leaf("x", X)
        h = g.square("h", x)
        h.retain_grad()
        k = g.scale("k", h, 2.0)
        return g, g.total("loss", k), [("x", x, 4 * X), ("h", h, np.full(X.shape, 2.0)), ("k", k, None)]

    yield _backward_case(
        "only leaves (and retain_grad() tensors) keep .grad: k.grad stays None",
        leaves_only,
        "h = x^2; h.retain_grad(); k = 2h; loss = sum(k)",
        hint="accumulate into .grad only for leaves (t._backward is None) and tensors with t._retain; "
        "intermediate gradients are dropped to save memory",
    )

    def constant():
        g = _Graph()
        x = g.leaf("x", X)
        c = g.leaf("c", X * 2, requires_grad=False)
        return g, g.total("loss", g.mul("y", x, c)), [("x", x, 2 * X), ("c", c, None)]

    yield _backward_case(
        "a constant (requires_grad=False) gets no .grad",
        constant,
        "c constant; loss = sum(x * c)",
        hint="skip parents whose requires_grad is False",
    )

    def none_for_a_constant():
        g = _Graph()
        x = g.leaf("x", X)
        c = g.leaf("c", X * 2, requires_grad=False)
        y = g.op("y", x.data * c.data, (x, c), lambda grad: (grad * c.data, None))
        return g, g.total("loss", y), [("x", x, 2 * X), ("c", c, None)]

    yield _backward_case(
        "an op's backward may return None for a parent that needs no gradient: it is skipped",
        none_for_a_constant,
        "c constant; y = x * c whose backward returns (g * c, None); loss = sum(y)",
        hint="ops return None where no gradient is needed (linear does for an input without requires_grad): "
        "skip a part that is None, as well as parents whose requires_grad is False",
    )

    def wrong_shape(backward):
        g = _Graph()
        return backward(g.scale("y", g.leaf("x", X), 3.0), np.ones(3))

    yield Case(
        "backward(grad) with a grad of shape (3,) for a (2, 3) output raises ValueError naming both shapes",
        call=wrong_shape,
        expected=Raises(ValueError, "(3,)", "(2, 3)"),
        show="y = 3x (shape (2, 3)); y.backward(np.ones(3))",
        hint="compare grad's shape with self.shape before anything flows (torch raises too): a wrong-shaped "
        "grad would otherwise broadcast silently into wrong gradients",
    )

    def twice(backward):
        g = _Graph()
        loss = g.total("loss", g.square("a", g.leaf("x", X)))
        backward(loss)
        return backward(loss)

    yield Case(
        "a second backward() through the same graph raises RuntimeError (its saved values are freed)",
        call=twice,
        expected=Raises(RuntimeError, "retain_graph"),
        show="loss = sum(x^2); loss.backward(); loss.backward()",
        hint="after the sweep, unless retain_graph=True, free the graph: _release_graph(order) makes a second "
        "backward raise instead of silently adding the gradients again",
    )

    def twice_retained(backward):
        g = _Graph()
        x = g.leaf("x", X)
        loss = g.total("loss", g.square("a", x))
        backward(loss, retain_graph=True)
        backward(loss)
        return x

    yield Case(
        "backward(retain_graph=True) keeps the graph: a second backward adds 2x again (4x in all)",
        call=twice_retained,
        expected=lambda x: _grad_problem("x", x, 4 * X),
        show="loss = sum(x^2); loss.backward(retain_graph=True); loss.backward()",
        hint="release the graph only when retain_graph is False",
    )

    def deep():
        graph, loss = _deep()
        x = next(t for t in _reachable(loss).values() if graph.name(t) == "x")
        return graph, loss, [("x", x, np.full(3, 1.0001**DEEP))]

    yield _backward_case(
        f"a chain of {DEEP} ops (no recursion limit)",
        deep,
        f"x -> {DEEP} times x * 1.0001 -> sum",
        hint="use self._topological_order() (iterative) rather than a recursive walk of your own",
    )


# =================================================================================================
# the ops, again, with their backward
# =================================================================================================
def add_cases():
    yield from _forward(lesson01.add_cases())
    yield _grad(
        "(2, 3) + (2, 3)",
        lambda add, x, y: add(x, y),
        np_uniform(0, 2, 3),
        np_uniform(1, 2, 3),
        hint="d(x + y)/dx = 1 and d(x + y)/dy = 1: each parent gets the output's gradient g unchanged",
    )
    yield _grad(
        "broadcast (2, 3) + (3,): y.grad sums over the rows",
        lambda add, x, y: add(x, y),
        np_uniform(0, 2, 3),
        np_uniform(1, 3),
        hint="return (g, g): the engine's unbroadcast sums y's part down to (3,)",
    )
    yield _grad(
        "x + 2.5 (a number has no gradient)",
        lambda add, x: add(x, 2.5),
        np_uniform(0, 2, 2),
        hint="with a number, there is one parent (self,), so return a 1-tuple (g,)",
    )


def mul_cases():
    yield from _forward(lesson01.mul_cases())
    yield _grad(
        "(2, 3) * (2, 3)",
        lambda mul, x, y: mul(x, y),
        np_uniform(0, 2, 3),
        np_uniform(1, 2, 3),
        hint="d(x * y)/dx = y and d(x * y)/dy = x: return (g * y.data, g * x.data)",
    )
    yield _grad("broadcast (2, 3) * (2, 1)", lambda mul, x, y: mul(x, y), np_uniform(0, 2, 3), np_uniform(1, 2, 1))
    yield _grad(
        "x * x (one tensor, both parents: the parts add up)",
        lambda mul, x: mul(x, x),
        np_uniform(0, 3, 2),
        hint="the two parts g * x each flow to x, and the engine adds them: 2x g",
    )
    yield _grad(
        "x * -1.5 (a number)",
        lambda mul, x: mul(x, -1.5),
        np_uniform(0, 2, 2),
        hint="with a number c, one parent: return (g * c,)",
    )


def matmul_cases():
    yield from _forward(lesson01.matmul_cases())
    mm = lambda matmul, a, b: matmul(a, b)  # noqa: E731
    yield _grad(
        "(2, 3) @ (3, 4)",
        mm,
        np_uniform(0, 2, 3),
        np_uniform(1, 3, 4),
        names=["a", "b"],
        hint="for C = A @ B: dA = g @ B.T (shape of A) and dB = A.T @ g (shape of B); check the shapes",
    )
    yield _grad(
        "a batch (2, 2, 3) @ (3, 4): b.grad adds up over the batch",
        mm,
        np_uniform(0, 2, 2, 3),
        np_uniform(1, 3, 4),
        names=["a", "b"],
        hint="transpose the last two axes (np.swapaxes(b, -1, -2)); the engine sums b's "
        "(2, 3, 4) gradient over the batch",
    )
    yield _grad(
        "batches of matrices: (2, 2, 3) @ (2, 3, 4)",
        mm,
        np_uniform(0, 2, 2, 3),
        np_uniform(1, 2, 3, 4),
        names=["a", "b"],
        hint="with batches, transpose only the last two axes: np.swapaxes(b, -1, -2), never b.T (which "
        "reverses every axis)",
    )
    yield _grad(
        "matrix @ vector: (2, 3) @ (3,)",
        mm,
        np_uniform(0, 2, 3),
        np_uniform(1, 3),
        names=["a", "b"],
        hint="treat the vector b as a column: dA = g[:, None] * b, db = A.T @ g",
    )
    yield _grad(
        "vector @ matrix: (3,) @ (3, 4)",
        mm,
        np_uniform(0, 3),
        np_uniform(1, 3, 4),
        names=["a", "b"],
        hint="treat the vector a as a row: da = g @ B.T, dB = a[:, None] * g[None, :]",
    )
    yield _grad(
        "vector @ vector: (3,) @ (3,)",
        mm,
        np_uniform(0, 3),
        np_uniform(1, 3),
        names=["a", "b"],
        hint="a dot product: g is a scalar; da = g * b, db = g * a",
    )


def sum_cases():
    yield from _forward(lesson01.sum_cases())
    yield _grad(
        "all elements",
        lambda s, x: s(x),
        np_uniform(0, 2, 3),
        hint="every element contributed once: its gradient is g, spread over x's shape (np.broadcast_to)",
    )
    yield _grad(
        "axis=0: (2, 3) -> (3,)",
        lambda s, x: s(x, axis=0),
        np_uniform(0, 2, 3),
        hint="put the summed axis back (np.expand_dims(g, axis)) before broadcasting to x's shape",
    )
    yield _grad("axis=1, keepdims=True", lambda s, x: s(x, axis=1, keepdims=True), np_uniform(0, 2, 3))
    yield _grad(
        "axis=(0, 2): (2, 3, 2) -> (3,)",
        lambda s, x: s(x, axis=(0, 2)),
        np_uniform(0, 2, 3, 2),
        hint="np.expand_dims accepts a tuple of axes",
    )
    yield _grad("dim=-1", lambda s, x: s(x, dim=-1), np_uniform(0, 3, 2))


def mean_cases():
    yield from _forward(lesson01.mean_cases())
    yield _grad(
        "all elements",
        lambda m, x: m(x),
        np_uniform(0, 2, 3),
        hint="like sum's backward, divided by the number of elements averaged",
    )
    yield _grad(
        "axis=0: each column averages 2 numbers",
        lambda m, x: m(x, axis=0),
        np_uniform(0, 2, 3),
        hint="the count is x.size / output size (2 here, not 6)",
    )
    yield _grad("axis=-1, keepdims=True", lambda m, x: m(x, axis=-1, keepdims=True), np_uniform(0, 2, 3))
    yield _grad(
        "axis=1 without keepdims: (2, 3) -> (2,)",
        lambda m, x: m(x, axis=1),
        np_uniform(0, 2, 3),
        hint="without keepdims put the reduced axis back first (np.expand_dims(g, axis)) so g broadcasts along it",
    )
    yield _grad("axis=(0, 1): (2, 3, 2) -> (2,)", lambda m, x: m(x, axis=(0, 1)), np_uniform(0, 2, 3, 2))


def reshape_cases():
    yield from _forward(lesson01.reshape_cases())
    yield _grad(
        "(2, 3) -> (3, 2)",
        lambda r, x: r(x, 3, 2),
        np_uniform(0, 2, 3),
        hint="reshape moves no numbers: the gradient is g reshaped back to x's shape",
    )
    yield _grad("(2, 3) -> (-1,)", lambda r, x: r(x, -1), np_uniform(0, 2, 3))


def transpose_cases():
    yield from _forward(lesson01.transpose_cases())
    yield _grad(
        "(2, 3) -> (3, 2)",
        lambda t, x: t(x),
        np_uniform(0, 2, 3),
        hint="swapping the same two axes again undoes it: np.swapaxes(g, dim0, dim1)",
    )
    yield _grad("transpose(0, 2): (2, 3, 2) -> (2, 3, 2)", lambda t, x: t(x, 0, 2), np_uniform(0, 2, 3, 2))


def relu_cases():
    yield from _forward(lesson02.relu_cases())
    x = np.array([[-2.0, -0.4, -0.25, 0.3], [1.5, -1.0, 0.7, 2.0]])
    yield _grad(
        "elementwise, no input at the kink 0",
        lambda r, x: r(x),
        x,
        hint="the slope is 1 where x > 0 and 0 elsewhere: g * mask",
    )

    def grad_at_zero(relu):
        x = Tensor(np.array([-1.0, 0.0, 2.0]), requires_grad=True)
        relu(x).sum().backward()
        return x.grad.data

    yield Case(
        "backward: at exactly 0 the gradient is 0 (as in PyTorch)",
        call=grad_at_zero,
        expected=np.array([0.0, 0.0, 1.0]),
        show="x = [-1, 0, 2]; relu(x).sum().backward(); x.grad",
        hint="the mask is x > 0 (strictly): 0 is not positive",
    )


def sigmoid_cases():
    yield from _forward(lesson02.sigmoid_cases())
    yield _grad(
        "moderate inputs",
        lambda s, x: s(x),
        np_uniform(0, 2, 3, low=-4, high=4),
        hint="sigmoid' = s (1 - s), with s the output you already computed",
    )
    yield _grad("large |x|: -30 and 30", lambda s, x: s(x), np.array([-30.0, -5.0, 5.0, 30.0]))


def tanh_cases():
    yield from _forward(lesson02.tanh_cases())
    yield _grad("elementwise", lambda t, x: t(x), np_uniform(0, 2, 3), hint="tanh' = 1 - t^2, with t the output")


def gelu_cases():
    yield from _forward(lesson02.gelu_cases())
    yield _grad(
        "elementwise, -3 ... 3",
        lambda gelu, x: gelu(x),
        np_uniform(0, 2, 4, low=-3, high=3),
        hint="product rule on 0.5 x (1 + th): 0.5 (1 + th) + 0.5 x (1 - th^2) * d(inner)/dx, "
        "d(inner)/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2)",
    )


def softmax_cases():
    yield from _forward(lesson02.softmax_cases())
    yield _grad(
        "rows of (2, 3)",
        lambda sm, x: sm(x),
        np_uniform(0, 2, 3),
        hint="ds_i/dx_j = s_i (delta_ij - s_j), so the input gradient is s * (g - sum(g * s)) along the axis",
    )
    yield _grad(
        "axis=0",
        lambda sm, x: sm(x, axis=0),
        np_uniform(0, 3, 2),
        hint="the sum in s * (g - sum(g * s)) runs along the same axis, keepdims=True",
    )


def log_softmax_cases():
    yield from _forward(lesson02.log_softmax_cases())
    yield _grad(
        "rows of (2, 3)",
        lambda ls, x: ls(x),
        np_uniform(0, 2, 3),
        hint="d(x_i - logsumexp(x))/dx_j = delta_ij - softmax_j: g - softmax * sum(g) along the axis",
    )
    yield _grad("axis=0", lambda ls, x: ls(x, axis=0), np_uniform(0, 3, 2))


def linear_cases():
    yield from _forward(lesson03.linear_cases())
    names = ["x", "weight", "bias"]
    yield _grad(
        "x (2, 3), weight (4, 3), bias (4,)",
        lambda lin, x, w, b: lin(x, w, b),
        np_uniform(0, 2, 3),
        np_uniform(1, 4, 3),
        np_uniform(2, 4),
        names=names,
        hint="y = x W^T + b: dx = g @ W, dW = g^T @ x, db = g summed over the batch axis",
    )
    yield _grad("no bias", lambda lin, x, w: lin(x, w), np_uniform(0, 2, 3), np_uniform(1, 4, 3), names=names[:2])
    yield _grad(
        "a batch of sequences x (2, 2, 3)",
        lambda lin, x, w, b: lin(x, w, b),
        np_uniform(0, 2, 2, 3),
        np_uniform(1, 4, 3),
        np_uniform(2, 4),
        names=names,
        hint="flatten the leading axes for dW: g.reshape(-1, out).T @ x.reshape(-1, in); db sums all but the last axis",
    )


def mse_cases():
    yield from _forward(lesson04.mse_cases())
    target = np.array([0.5, -1.0, 2.0, 0.0])
    yield _grad(
        "w.r.t. the prediction, (4,)",
        lambda mse, p: mse(p, Tensor(target, dtype=F64)),
        np_uniform(0, 4),
        hint="built from your -, * and mean, mse_loss needs no backward of its own: if this fails, check "
        "those ops' backward first",
    )
    tb = np_uniform(5, 3, 2)
    yield _grad("a (3, 2) batch", lambda mse, p: mse(p, Tensor(tb, dtype=F64)), np_uniform(0, 3, 2))


def cross_entropy_cases():
    yield from _forward(lesson04.cross_entropy_cases())
    y = np.array([0, 3, 1])
    yield _grad(
        "3 samples, 4 classes",
        lambda ce, z: ce(z, y),
        np_uniform(0, 3, 4),
        hint="the gradient w.r.t. the logits is (softmax - onehot(targets)) / N, times g",
    )
    yield _grad("large logits (+-40)", lambda ce, z: ce(z, y), np_uniform(0, 3, 4, low=-40, high=40))


def bce_cases():
    yield from _forward(lesson04.bce_cases())
    t = np.array([1.0, 0.0, 0.0, 0.3])
    yield _grad(
        "probabilities in (0.1, 0.9)",
        lambda bce, p: bce(p, Tensor(t, dtype=F64)),
        np_uniform(0, 4, low=0.1, high=0.9),
        hint="d/dp of -(t log p + (1 - t) log(1 - p)) is (p - t) / (p (1 - p)); divide by the number of elements",
    )

    def grad_at_ends(bce):
        p = Tensor(np.array([1.0, 0.0]), requires_grad=True)
        bce(p, Tensor(np.array([1.0, 0.0]))).backward()
        return p.grad.data

    yield Case(
        "backward: p exactly 1 and 0 with matching targets: gradient 0, not NaN",
        call=grad_at_ends,
        expected=np.array([0.0, 0.0]),
        show="p = [1, 0], t = [1, 0]; bce(p, t).backward(); p.grad",
        hint="divide by np.maximum(p * (1 - p), 1e-12): p (1 - p) is 0 at the ends",
    )


def bce_logits_cases():
    yield from _forward(lesson04.bce_logits_cases())
    t = np.array([1.0, 0.0, 0.0, 0.3])
    yield _grad(
        "moderate logits",
        lambda f, x: f(x, Tensor(t, dtype=F64)),
        np_uniform(0, 4, low=-3, high=3),
        hint="the gradient w.r.t. the logits is (sigmoid(x) - t) / N, times g",
    )
    yield _grad(
        "large logits (+-30)",
        lambda f, x: f(x, Tensor(t, dtype=F64)),
        np.array([30.0, -30.0, 30.0, -30.0]),
        hint="compute sigmoid(x) the stable way (as in Tensor.sigmoid)",
    )


_OP = "as in lesson {n:02d}, with a backward closure that returns {what}"

PIECES = [
    Piece(
        "unbroadcast",
        unbroadcast_cases,
        title="sum a gradient down to an input's shape",
        todo="return `grad` summed over the axes that broadcasting added or stretched, so its shape is `shape`",
        hints=[
            "Leading axes: sum over the first grad.ndim - len(shape) axes.",
            "Then every axis i where shape[i] == 1 but grad.shape[i] != 1: sum it with keepdims=True.",
        ],
    ),
    Piece(
        "Tensor._topological_order",
        topological_order_cases,
        title="the order of the backward sweep",
        todo="return every tensor that requires grad and leads to self, self first, each after all tensors that use it",
        hints=[
            "A depth-first walk over _parents (skipping those with requires_grad False) that appends a tensor "
            "after its parents (post-order), then reverse the list.",
            "Recursion is limited to ~1000 frames: keep a stack of (tensor, expanded) pairs; when you pop an "
            "expanded one, append it; otherwise push it back as expanded, then its parents.",
            "A set of id(tensor) you have visited keeps every tensor in the list once.",
        ],
    ),
    Piece(
        "Tensor.backward",
        backward_cases,
        title="reverse-mode differentiation",
        todo="push d(self)/d(every tensor) back through the graph in reverse topological order; leaves accumulate "
        ".grad",
        hints=[
            "Errors first: self.requires_grad must be True; with grad None, self must have one element "
            "(then the seed is np.ones_like(self.data)).",
            "grads = {id(self): seed}; for node in self._topological_order(): pop its gradient; leaves (and "
            "_retain tensors) get node._accumulate(g); non-leaves call node._backward(g).",
            "zip(node._parents, node._backward(g)): skip None and parents without requires_grad; unbroadcast "
            "when the shape differs; add into grads[id(parent)].",
        ],
    ),
    Piece(
        "Tensor.__add__",
        add_cases,
        title="add, with its backward",
        todo=_OP.format(n=1, what="(g, g) (or (g,) for a number)"),
        hints=[
            "The forward is lesson 01's; only the third argument of Tensor._op changes.",
            "lambda g: (g, g) for two tensors, lambda g: (g,) with a number: the engine unbroadcasts.",
        ],
    ),
    Piece(
        "Tensor.__mul__",
        mul_cases,
        title="multiply, with its backward",
        todo=_OP.format(n=1, what="(g * other, g * self) (or (g * number,))"),
        hints=[
            "Keep the two input arrays in local variables a and b; the closure uses them.",
            "lambda g: (g * b, g * a); with a number c: lambda g: (g * c,).",
        ],
    ),
    Piece(
        "Tensor.__matmul__",
        matmul_cases,
        title="matrix product, with its backward",
        todo=_OP.format(n=1, what="(g @ b^T, a^T @ g), with the vector cases handled"),
        hints=[
            "Matrices (and batches): g @ np.swapaxes(b, -1, -2) and np.swapaxes(a, -1, -2) @ g.",
            "A 1-D operand: give it the missing axis (a[None, :] or b[:, None]), use the matrix rule, then "
            "drop that axis again; both 1-D: (g * b, g * a).",
        ],
    ),
    Piece(
        "Tensor.sum",
        sum_cases,
        title="sum, with its backward",
        todo=_OP.format(n=1, what="g spread back over the input's shape"),
        hints=[
            "Without keepdims, first put the reduced axes back: g = np.expand_dims(g, axis).",
            "Then np.broadcast_to(g, shape_of_x); axis None needs no expand_dims (g is 0-d).",
        ],
    ),
    Piece(
        "Tensor.mean",
        mean_cases,
        title="mean, with its backward",
        todo=_OP.format(n=1, what="g spread back over the input's shape, divided by the count averaged"),
        hints=[
            "It is sum's backward divided by count = x.size / output.size.",
            "If your mean calls your sum, its gradient comes from sum's backward: write that first.",
        ],
    ),
    Piece(
        "Tensor.reshape",
        reshape_cases,
        title="reshape, with its backward",
        todo=_OP.format(n=1, what="g reshaped back to the input's shape"),
        hints=["Remember old = self.data.shape before reshaping; the closure returns (g.reshape(old),)."],
    ),
    Piece(
        "Tensor.transpose",
        transpose_cases,
        title="transpose, with its backward",
        todo=_OP.format(n=1, what="g with the same two axes swapped back"),
        hints=["np.swapaxes(g, dim0, dim1) undoes np.swapaxes(x, dim0, dim1)."],
    ),
    Piece(
        "Tensor.relu",
        relu_cases,
        title="ReLU, with its backward",
        todo=_OP.format(n=2, what="g where the input was positive, 0 elsewhere"),
        hints=["Keep the mask a > 0 from the forward; the closure returns (g * mask,)."],
    ),
    Piece(
        "Tensor.sigmoid",
        sigmoid_cases,
        title="sigmoid, with its backward",
        todo=_OP.format(n=2, what="g * s * (1 - s), s the output"),
        hints=["The closure may use the forward's output array: (g * data * (1 - data),)."],
    ),
    Piece(
        "Tensor.tanh",
        tanh_cases,
        title="tanh, with its backward",
        todo=_OP.format(n=2, what="g * (1 - t^2), t the output"),
        hints=["(g * (1 - data * data),) with data = np.tanh(self.data)."],
    ),
    Piece(
        "gelu_tanh",
        gelu_cases,
        home=FUNCTIONAL_HOME,
        title="GELU, with its backward",
        todo=_OP.format(n=2, what="g times the derivative of 0.5 x (1 + tanh(inner))"),
        hints=[
            "Keep th = np.tanh(inner) from the forward.",
            "d/dx = 0.5 (1 + th) + 0.5 x (1 - th^2) * _SQRT_2_OVER_PI (1 + 3 * 0.044715 x^2).",
        ],
    ),
    Piece(
        "softmax",
        softmax_cases,
        home=FUNCTIONAL_HOME,
        title="softmax, with its backward",
        todo=_OP.format(n=2, what="s * (g - sum(g * s)) along the axis"),
        hints=[
            "Keep the output s; the sum runs along `axis` with keepdims=True.",
            "(s * (g - (g * s).sum(axis=axis, keepdims=True)),).",
        ],
    ),
    Piece(
        "log_softmax",
        log_softmax_cases,
        home=FUNCTIONAL_HOME,
        title="log-softmax, with its backward",
        todo=_OP.format(n=2, what="g - softmax * sum(g) along the axis"),
        hints=[
            "softmax is np.exp(out), out being the log-softmax you computed.",
            "(g - np.exp(out) * g.sum(axis=axis, keepdims=True),).",
        ],
    ),
    Piece(
        "linear",
        linear_cases,
        home=FUNCTIONAL_HOME,
        title="the linear op, with its backward",
        todo="as in lesson 03, with a backward returning dx = g @ W, dW = g^T @ x and db = g summed over the batch",
        hints=[
            "Shapes guide you: g is (N, out), W (out, in), x (N, in); dx (N, in), dW (out, in), db (out,).",
            "For x with more axes, flatten them: g.reshape(-1, out) and x.reshape(-1, in).",
            "Return (gx, gw) without a bias, (gx, gw, gb) with one: one gradient per parent.",
        ],
    ),
    Piece(
        "mse_loss",
        mse_cases,
        home=FUNCTIONAL_HOME,
        title="MSE, differentiable",
        todo="as in lesson 04, built from Tensor operations so that gradients flow through them",
        hints=[
            "(d * d).mean() with d = pred - target: your ops' backward does the rest.",
            "If the gradient is wrong, the culprit is one of the ops it uses: check them first.",
        ],
    ),
    Piece(
        "cross_entropy",
        cross_entropy_cases,
        home=FUNCTIONAL_HOME,
        title="cross-entropy, with its backward",
        todo="as in lesson 04, with a backward returning (softmax(logits) - onehot(targets)) * g / N",
        hints=[
            "np.exp(logp) is the softmax; subtract 1 at [np.arange(n), y].",
            "Multiply by g / n (g is the 0-d gradient of the loss).",
        ],
    ),
    Piece(
        "binary_cross_entropy",
        bce_cases,
        home=FUNCTIONAL_HOME,
        title="BCE, with its backward",
        todo="as in lesson 04, with a backward returning g * (p - t) / (p (1 - p)) / p.size",
        hints=["Guard the division: np.maximum(p * (1 - p), 1e-12) for p at exactly 0 or 1."],
    ),
    Piece(
        "binary_cross_entropy_with_logits",
        bce_logits_cases,
        home=FUNCTIONAL_HOME,
        title="BCE with logits, with its backward",
        todo="as in lesson 04, with a backward returning g * (sigmoid(x) - t) / x.size",
        hints=["The stable sigmoid: e = exp(-|x|); np.where(x >= 0, 1 / (1 + e), e / (1 + e))."],
    ),
]
