"""Small wrong versions of a piece's reference source, one AST change each.

A mutant is what a learner could plausibly write by mistake: an operator swapped (`+`/`-`, `*`/`/`),
a comparison loosened (`<`/`<=`), a constant off by one, `max`/`min`, `and`/`or`, a negation or a
transpose dropped, a `return` of nothing. Each mutant carries a stable id ("L3 `a < b` -> `a <= b`",
line relative to the piece's `def`) so a reviewed equivalent stays recognised across unrelated edits.
"""

from __future__ import annotations

import ast
import copy
import inspect
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass

from tinytorch_course.checks.cases import callable_of

_BINOP_SWAPS = {
    ast.Add: [ast.Sub],
    ast.Sub: [ast.Add],
    ast.Mult: [ast.Div],
    ast.Div: [ast.Mult],
    ast.FloorDiv: [ast.Div, ast.Mod],
    ast.Mod: [ast.FloorDiv],
    ast.Pow: [ast.Mult],
    ast.MatMult: [ast.Mult],
}
_CMP_SWAPS = {
    ast.Lt: [ast.LtE],
    ast.LtE: [ast.Lt],
    ast.Gt: [ast.GtE],
    ast.GtE: [ast.Gt],
    ast.Eq: [ast.NotEq],
    ast.NotEq: [ast.Eq],
    ast.Is: [ast.IsNot],
    ast.IsNot: [ast.Is],
    ast.In: [ast.NotIn],
    ast.NotIn: [ast.In],
}
_NAME_SWAPS = {
    "max": "min",
    "min": "max",
    "maximum": "minimum",
    "minimum": "maximum",
    "argmax": "argmin",
    "argmin": "argmax",
    "sum": "mean",
    "mean": "sum",
    "exp": "log",
    "log": "exp",
    "any": "all",
    "all": "any",
    "floor": "ceil",
    "ceil": "floor",
}


@dataclass
class Mutant:
    ident: str  # "L3 `a < b` -> `a <= b`": stable across edits elsewhere in the file
    source: str  # the whole mutated piece source (decorators included), dedented


def piece_source(piece) -> str:
    """The reference's source text, dedented (decorators included)."""
    return textwrap.dedent(inspect.getsource(callable_of(piece.reference())))


def _nested(func: ast.AST) -> set:
    """Ids of the nodes inside functions/lambdas nested in `func` (a forward op's backward closure)."""
    inner = set()
    for node in ast.walk(func):
        if node is not func and isinstance(node, (ast.Lambda, ast.FunctionDef)):
            inner |= {id(n) for n in ast.walk(node)}
    return inner


def _sites(tree: ast.AST, skip_nested: bool = False) -> Iterator[tuple[ast.AST, str, callable]]:
    """(node, label, apply) for every mutation; `apply(node)` returns the replacement node."""
    func = tree.body[0]
    skip = _nested(func) if skip_nested else set()
    body_nodes = [n for stmt in func.body for n in ast.walk(stmt) if id(n) not in skip]
    for node in body_nodes:
        if isinstance(node, ast.BinOp):
            for new in _BINOP_SWAPS.get(type(node.op), []):
                yield node, f"{type(node.op).__name__}->{new.__name__}", lambda n, new=new: _with(n, op=new())
        elif isinstance(node, ast.AugAssign):
            for new in _BINOP_SWAPS.get(type(node.op), []):
                yield node, f"{type(node.op).__name__}=->{new.__name__}=", lambda n, new=new: _with(n, op=new())
        elif isinstance(node, ast.Compare) and len(node.ops) == 1:
            for new in _CMP_SWAPS.get(type(node.ops[0]), []):
                yield node, f"{type(node.ops[0]).__name__}->{new.__name__}", lambda n, new=new: _with(n, ops=[new()])
        elif isinstance(node, ast.BoolOp):
            new = ast.Or if isinstance(node.op, ast.And) else ast.And
            yield node, f"{type(node.op).__name__}->{new.__name__}", lambda n, new=new: _with(n, op=new())
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.USub)):
            yield node, f"drop {type(node.op).__name__}", lambda n: n.operand
        elif isinstance(node, ast.Constant) and type(node.value) is bool:
            yield node, f"{node.value}->{not node.value}", lambda n: ast.Constant(not n.value)
        elif isinstance(node, ast.Constant) and type(node.value) in (int, float):
            yield node, "const+1", lambda n: ast.Constant(n.value + 1)
            if node.value != 0:
                yield node, "const-1", lambda n: ast.Constant(n.value - 1)
        elif isinstance(node, ast.Attribute) and node.attr in _NAME_SWAPS and isinstance(node.ctx, ast.Load):
            swap = _NAME_SWAPS[node.attr]
            yield node, f".{node.attr}->.{swap}", lambda n, s=swap: _with(n, attr=s)
        elif isinstance(node, ast.Name) and node.id in ("max", "min", "any", "all") and isinstance(node.ctx, ast.Load):
            swap = _NAME_SWAPS[node.id]
            yield node, f"{node.id}->{swap}", lambda n, s=swap: _with(n, id=s)
        elif isinstance(node, ast.Attribute) and node.attr in ("T", "mT") and isinstance(node.ctx, ast.Load):
            yield node, "drop .T", lambda n: n.value
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.UnaryOp):
            # x[-1] -> x[0]: off-by-one indexing from the end
            yield node, "index -k -> 0", lambda n: _with(n, slice=ast.Constant(0))
    for stmt in body_nodes:
        if isinstance(stmt, ast.Return) and stmt.value is not None and not _is_none(stmt.value):
            yield stmt, "return None", lambda n: _with(n, value=None)
        elif isinstance(stmt, ast.If) and not isinstance(stmt.test, ast.Constant):
            yield stmt, "if -> if True", lambda n: _with(n, test=ast.Constant(True))
            yield stmt, "if -> if False", lambda n: _with(n, test=ast.Constant(False))


def _is_none(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


def _with(node, **changes):
    new = copy.copy(node)
    for key, value in changes.items():
        setattr(new, key, value)
    return new


class _Replace(ast.NodeTransformer):
    def __init__(self, target, replacement):
        self.target, self.replacement = target, replacement

    def visit(self, node):
        if node is self.target:
            return self.replacement
        return super().visit(node)


def mutants(source: str, skip_nested: bool = False) -> list[Mutant]:
    """Every mutant of `source` (one change each) that still compiles and differs from the original.

    skip_nested: leave nested functions/lambdas alone (in lesson 01 an op's backward closure is not
    graded yet: lesson 05 revisits the piece and grades it there).
    """
    tree = ast.parse(source)
    func = tree.body[0]
    base = func.lineno
    original = ast.unparse(tree)
    found, seen = [], set()
    for node, label, apply in list(_sites(tree, skip_nested)):
        mutated = copy.deepcopy(tree)
        # find the same node in the copy by walking both trees in step
        twin = next(m for o, m in zip(ast.walk(tree), ast.walk(mutated), strict=True) if o is node)
        replacement = apply(twin)
        mutated = _Replace(twin, replacement).visit(mutated)
        ast.fix_missing_locations(mutated)
        try:
            text = ast.unparse(mutated)
            compile(text, "<mutant>", "exec")
        except (SyntaxError, ValueError, TypeError):
            continue
        if text == original or text in seen:
            continue
        seen.add(text)
        snippet = ast.unparse(node).splitlines()[0][:60]
        ident = f"L{node.lineno - base} {label} `{snippet}`"
        count = sum(m.ident == ident or m.ident.startswith(ident + " #") for m in found)
        found.append(Mutant(ident if not count else f"{ident} #{count + 1}", text))
    return found


def sample(found: list[Mutant], cap: int) -> list[Mutant]:
    """At most `cap` mutants, spread evenly over the piece (deterministic: same list every run)."""
    if len(found) <= cap:
        return found
    step = len(found) / cap
    return [found[int(i * step)] for i in range(cap)]
