"""Checks of lesson 01 (Tensor): creation, broadcasting arithmetic, matmul, reductions, reshaping.

Every expected value is computed by NumPy from the same inputs; the learner's pieces are called
directly (`impl(x, y)`), so each check grades exactly one piece of the learner's code.
Lesson 01 checks values, shapes and dtypes only: gradients come in lesson 05.
"""

from __future__ import annotations

import numpy as np

from tinytorch.tensor import Tensor, get_default_dtype
from tinytorch_course.checks.cases import Case, Piece, Raises
from tinytorch_course.checks.fixtures import op_case

HOME = "tinytorch.tensor"


def _t(array) -> Tensor:
    return Tensor(np.asarray(array, dtype=np.float32))


def _grid(*shape, start=0.0) -> np.ndarray:
    """Small, distinct, exactly representable float32 values: easy to read in a report."""
    return (np.arange(np.prod(shape), dtype=np.float32) + start).reshape(shape)


# ---- creation ---------------------------------------------------------------------------------
def to_array_cases():
    f = get_default_dtype()
    yield Case(
        "a list of floats becomes float32",
        ([1.5, 2.0, -3.0],),
        np.array([1.5, 2.0, -3.0], f),
        dtype=f,
        hint="floats are stored as float32 (the default float): half the memory of NumPy's float64",
    )
    yield Case(
        "a nested list keeps its shape",
        ([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]],),
        np.array([[1, 2], [3, 4], [5, 6]], f),
        dtype=f,
    )
    yield Case(
        "a float64 NumPy array becomes float32",
        (np.array([0.1, 0.2, 0.3]),),
        np.array([0.1, 0.2, 0.3], f),
        dtype=f,
        hint="convert float arrays of another float dtype with arr.astype(_DEFAULT_FLOAT)",
    )
    yield Case(
        "Python ints become int64",
        ([1, 2, 3],),
        np.array([1, 2, 3], np.int64),
        dtype=np.int64,
        hint="integer data stays integer (labels, indices); Python ints become int64",
    )
    yield Case(
        "an int32 NumPy array keeps int32 (NumPy data keeps its dtype)",
        (np.array([1, 2], np.int32),),
        np.array([1, 2], np.int32),
        dtype=np.int32,
        hint="only Python ints become int64: an integer NumPy array keeps its own dtype",
    )
    yield Case(
        "a list of NumPy int32 numbers becomes int64 (it is not a NumPy array)",
        ([np.int32(1), np.int32(2)],),
        np.array([1, 2], np.int64),
        dtype=np.int64,
        hint="integer data that did not come as a NumPy array becomes int64 (in the browser NumPy's default "
        "integer is int32): arr.astype(np.int64) when arr.dtype != np.int64 and data is not an ndarray",
    )
    yield Case("booleans stay booleans", ([True, False, True],), np.array([True, False, True]), dtype=np.bool_)
    yield Case(
        "an explicit dtype wins",
        ([1, 2],),
        np.array([1.0, 2.0], np.float64),
        kwargs={"dtype": np.float64},
        dtype=np.float64,
        hint="with dtype= given, return np.asarray(data, dtype=dtype) and nothing else",
    )
    yield Case(
        "a Tensor gives its own data",
        (_t([[1.0, 2.0]]),),
        np.array([[1.0, 2.0]], f),
        dtype=f,
        hint="Tensor(other_tensor) must work: take other_tensor.data first",
    )
    yield Case(
        "strings are rejected with a TypeError",
        (["a", "b"],),
        Raises(TypeError),
        hint="anything that is not float, integer or boolean (arr.dtype.kind) should raise TypeError",
    )


# ---- elementwise arithmetic ---------------------------------------------------------------------
def add_cases():
    a, b = _grid(2, 3), _grid(2, 3, start=10)
    yield op_case("same shapes (2, 3) + (2, 3)", (_t(a), _t(b)), a + b)
    row = np.array([10.0, 20.0, 30.0], np.float32)
    yield op_case(
        "broadcast a row: (2, 3) + (3,)",
        (_t(a), _t(row)),
        a + row,
        hint="NumPy broadcasts for you: add the two .data arrays",
    )
    col, r = _grid(3, 1), _grid(1, 4, start=100)
    yield op_case("broadcast both ways: (3, 1) + (1, 4) gives (3, 4)", (_t(col), _t(r)), col + r)
    yield op_case(
        "tensor + Python number",
        (_t(a), 2.5),
        a + 2.5,
        hint="`other` may be a plain number, not a Tensor: then it has no .data",
    )
    yield Case(
        "shapes (2, 3) and (4,) raise a ValueError naming both shapes",
        (_t(a), _t(np.ones(4))),
        Raises(ValueError, "(2, 3)", "(4,)"),
        hint="catch NumPy's ValueError and raise one naming both shapes (see _shape_error)",
    )


def mul_cases():
    a = _grid(2, 3, start=1)
    yield op_case("same shapes (2, 3) * (2, 3)", (_t(a), _t(a)), a * a)
    col = np.array([[2.0], [-1.0]], np.float32)
    yield op_case("broadcast a column: (2, 3) * (2, 1)", (_t(a), _t(col)), a * col)
    yield op_case(
        "tensor * Python number",
        (_t(a), -0.5),
        a * -0.5,
        hint="`other` may be a plain number, not a Tensor: then it has no .data",
    )
    yield Case(
        "shapes (2, 3) and (3, 2) raise a ValueError naming both shapes",
        (_t(a), _t(np.ones((3, 2)))),
        Raises(ValueError, "(2, 3)", "(3, 2)"),
    )


def _matmul_message(a, b):
    """What the piece says for a @ b that does not fit (its ValueError message), for the cases below."""

    def call(impl):
        try:
            impl(_t(a), _t(b))
        except ValueError as err:
            return str(err)
        return "(no ValueError)"

    return call


def _matmul_message_cases(a):
    def says(*must, never=()):
        def check(message):
            missing = [m for m in must if m not in message]
            wrong = [m for m in never if m in message]
            if missing or wrong:
                return f"message {message!r}: " + (
                    f"should mention {missing}" if missing else f"should not say {wrong}"
                )
            return None

        return check

    yield Case(
        "(2, 3) @ (2, 3): the message says the left's last dimension (3) must equal the right's second-to-last (2), "
        "and suggests b.T (which would fit)",
        call=_matmul_message(a, _grid(2, 3)),
        expected=says("(3)", "(2)", "second-to-last", "b.T"),
        show="(2, 3) @ (2, 3)",
        hint="name ka = a.shape[-1] and kb = b.shape[-2]; when b is 2-D and b.shape[-1] == ka, suggest b.T",
    )
    yield Case(
        "(2, 3) @ (4,): the message names the vector's only dimension (4), and no b.T",
        call=_matmul_message(a, np.ones(4, np.float32)),
        expected=says("(3)", "(4)", "only", never=("b.T",)),
        show="(2, 3) @ (4,)",
        hint="for a 1-D right operand the matching dimension is its only one, b.shape[0]; b.T would not help",
    )
    yield Case(
        "(2, 3) @ (4, 5): no b.T suggestion (transposed it would not fit either)",
        call=_matmul_message(a, np.ones((4, 5), np.float32)),
        expected=says("(3)", "(4)", never=("b.T",)),
        show="(2, 3) @ (4, 5)",
        hint="suggest b.T only when b is 2-D and b.shape[-1] == a.shape[-1]",
    )


def matmul_cases():
    a, b = _grid(2, 3), _grid(3, 4, start=-5)
    yield op_case(
        "matrix @ matrix: (2, 3) @ (3, 4) gives (2, 4)",
        (_t(a), _t(b)),
        a @ b,
        hint="each output element is a row of the left times a column of the right: NumPy's @ does it",
    )
    batch = _grid(2, 2, 3)
    yield op_case("a batch of matrices: (2, 2, 3) @ (3, 4) gives (2, 2, 4)", (_t(batch), _t(b)), batch @ b)
    v = np.array([1.0, -1.0, 2.0], np.float32)
    yield op_case("matrix @ vector: (2, 3) @ (3,) gives (2,)", (_t(a), _t(v)), a @ v)
    yield op_case("vector @ vector: (3,) @ (3,) gives a 0-d scalar", (_t(v), _t(v)), v @ v)
    yield Case(
        "(2, 3) @ (4, 5) raises a ValueError naming both shapes",
        (_t(a), _t(np.ones((4, 5)))),
        Raises(ValueError, "(2, 3)", "(4, 5)"),
        hint="compare a.shape[-1] with the right operand's matching dimension before multiplying, "
        "and put both shapes in the message",
    )
    yield from _matmul_message_cases(a)
    batch3, right3 = _grid(3, 2, 4), _grid(3, 4, 5, start=-7)
    yield op_case(
        "batched (3, 2, 4) @ (3, 4, 5) gives (3, 2, 5): k is the right operand's second-to-last axis",
        (_t(batch3), _t(right3)),
        batch3 @ right3,
        hint="for a right operand with 2 or more axes the matching dimension is b.shape[-2], not b.shape[0]",
    )
    yield op_case(
        "Tensor @ NumPy array: (2, 3) @ (3, 4) array",
        (_t(a), b),
        a @ b,
        hint="`other` may be a NumPy array: wrap it in a Tensor first (if not isinstance(other, Tensor))",
    )
    # 1e8 + 1 is exact in float64 but rounds to 1e8 in float32: the result tells which one was multiplied.
    row, col = np.array([[1.0, -1.0]]), np.array([[1e8 + 1], [1e8]])
    yield op_case(
        "float64 @ float64 keeps float64: [[1, -1]] @ [[1e8 + 1], [1e8]] is [[1]] (float32 would give [[0]])",
        (Tensor(row, dtype=np.float64), Tensor(col, dtype=np.float64)),
        row @ col,
        dtype=np.float64,
        hint="wrap `other` only when it is not a Tensor already: Tensor(other) turns a float64 Tensor into "
        "float32 (the default float) and loses its precision",
    )
    yield Case(
        "a 0-d operand raises a ValueError suggesting * for scalars",
        (_t(a), _t(np.float32(2.0))),
        Raises(ValueError, "()", "*"),
        hint="matmul needs at least 1 dimension on both sides: raise ValueError naming the shapes and "
        "saying to use * for a scalar",
    )


# ---- reductions ---------------------------------------------------------------------------------
def sum_cases():
    a, c = _grid(2, 3), _grid(2, 3, 4)
    yield op_case("all elements (axis=None) give a 0-d tensor", (_t(a),), a.sum())
    yield op_case("axis=0 sums down the columns: (2, 3) gives (3,)", (_t(a),), a.sum(axis=0), kwargs={"axis": 0})
    yield op_case(
        "axis=1, keepdims=True: (2, 3) gives (2, 1)",
        (_t(a),),
        a.sum(axis=1, keepdims=True),
        kwargs={"axis": 1, "keepdims": True},
        hint="keepdims=True keeps the summed axis with size 1",
    )
    yield op_case("negative axis=-1 counts from the end", (_t(c),), c.sum(axis=-1), kwargs={"axis": -1})
    yield op_case("a tuple of axes (0, 2): (2, 3, 4) gives (3,)", (_t(c),), c.sum(axis=(0, 2)), kwargs={"axis": (0, 2)})
    yield op_case(
        "PyTorch's keyword dim=1 works like axis=1",
        (_t(a),),
        a.sum(axis=1),
        kwargs={"dim": 1},
        hint="accept dim= as another name for axis= (see the helper _axis)",
    )


def mean_cases():
    a = _grid(2, 3)
    yield op_case("all elements give a 0-d tensor", (_t(a),), a.mean())
    yield op_case("axis=0: (2, 3) gives (3,)", (_t(a),), a.mean(axis=0), kwargs={"axis": 0})
    yield op_case(
        "axis=-1, keepdims=True: (2, 3) gives (2, 1)",
        (_t(a),),
        a.mean(axis=-1, keepdims=True),
        kwargs={"axis": -1, "keepdims": True},
    )
    ints = np.array([1, 2, 3, 4], np.int64)
    yield op_case(
        "the mean of an int tensor is a float (an accuracy: (pred == y).mean())",
        (Tensor(ints),),
        np.float32(2.5),
        hint="the mean of integers is not an integer: give the result the default "
        "float dtype when the input is not float",
    )


# ---- shape ----------------------------------------------------------------------------------------
def reshape_cases():
    a = _grid(6)
    yield op_case("(6,) into (2, 3) with reshape(2, 3)", (_t(a), 2, 3), a.reshape(2, 3))
    yield op_case(
        "a tuple works too: reshape((3, 2))",
        (_t(a), (3, 2)),
        a.reshape(3, 2),
        hint="reshape(2, 3) and reshape((2, 3)) mean the same: unpack a single tuple argument",
    )
    yield op_case("-1 infers one size: (2, 3) into (-1,) gives (6,)", (_t(a.reshape(2, 3)), -1), a)
    yield Case(
        "(2, 3) into (4, 2) raises a ValueError naming both shapes",
        (_t(a.reshape(2, 3)), 4, 2),
        Raises(ValueError, "(2, 3)", "(4, 2)"),
        hint="6 elements cannot fill 8 places: catch NumPy's error and name the old and new shapes",
    )


def transpose_cases():
    a, c = _grid(2, 3), _grid(2, 3, 4)
    yield op_case("(2, 3) by default swaps the two axes: (3, 2)", (_t(a),), a.T)
    yield op_case(
        "by default the last two axes: (2, 3, 4) gives (2, 4, 3)",
        (_t(c),),
        np.swapaxes(c, -2, -1),
        hint="the defaults are dim0=-2, dim1=-1: np.swapaxes(data, dim0, dim1)",
    )
    yield op_case("transpose(0, 2): (2, 3, 4) gives (4, 3, 2)", (_t(c), 0, 2), np.swapaxes(c, 0, 2))
    yield Case(
        "a 1-D tensor raises a ValueError naming its shape",
        (_t(np.ones(3)),),
        Raises(ValueError, "(3,)"),
        hint="a vector has no two axes to swap: check data.ndim first",
    )


PIECES = [
    Piece(
        "_to_array",
        to_array_cases,
        title="creation",
        todo="turn `data` into a NumPy array following the dtype rules (float -> float32, int -> int64, bool stays)",
        hints=[
            "Start from `arr = np.asarray(data)` (after taking `.data` if data is a Tensor).",
            "`arr.dtype.kind` is 'f' for floats, 'i'/'u' for integers, 'b' for booleans: branch on it.",
            "Only non-ndarray integer data is converted to int64 (an int32 array you pass in stays int32).",
        ],
    ),
    Piece(
        "Tensor.__add__",
        add_cases,
        title="addition with broadcasting",
        todo="return a new Tensor holding self + other (other: a Tensor or a number), broadcasting like NumPy",
        hints=[
            "Add the arrays: `data = self.data + other.data` when other is a Tensor, else `self.data + other`.",
            "Return `Tensor._op(data, parents, backward, 'add')`; in this lesson `backward` may be None.",
            "Wrap the addition in try/except ValueError and raise `_shape_error('add', self.data, other.data, e)`.",
        ],
    ),
    Piece(
        "Tensor.__mul__",
        mul_cases,
        title="elementwise product",
        todo="return a new Tensor holding self * other elementwise (other: a Tensor or a number), broadcasting",
        hints=[
            "It is __add__ with * instead of +.",
            "Shape errors: catch ValueError and raise `_shape_error('mul', a, b, e)`.",
        ],
    ),
    Piece(
        "Tensor.__matmul__",
        matmul_cases,
        title="matrix product",
        todo="return self @ other as a Tensor; a shape mismatch raises ValueError naming both shapes",
        hints=[
            "`self.data @ other.data` does the arithmetic, including batches and vectors.",
            "Before multiplying, compare `a.shape[-1]` with `b.shape[-2]` (or `b.shape[0]` for a vector).",
            "The error message should contain both shapes, e.g. f'matmul: shapes {a.shape} and {b.shape} ...'.",
        ],
    ),
    Piece(
        "Tensor.sum",
        sum_cases,
        title="sum over axes",
        todo="sum over `axis` (None = all; int or tuple), keeping the axis as size 1 when keepdims=True",
        hints=[
            "`self.data.sum(axis=axis, keepdims=keepdims)` does the work.",
            "Accept PyTorch's `dim=` too: `axis = _axis(axis, dim)`.",
            "A full sum gives a NumPy scalar: wrap it with np.asarray so .data stays an array.",
        ],
    ),
    Piece(
        "Tensor.mean",
        mean_cases,
        title="mean over axes",
        todo="average over `axis` like sum does; the mean of an integer tensor is a float",
        hints=[
            "`self.data.mean(axis=axis, keepdims=keepdims)` does the work.",
            "For non-float input, convert the result to the default float: np.asarray(data, dtype=_DEFAULT_FLOAT).",
        ],
    ),
    Piece(
        "Tensor.reshape",
        reshape_cases,
        title="reshape",
        todo="return the same elements in a new shape; reshape(2, 3) and reshape((2, 3)) both work",
        hints=[
            "If you got a single tuple or list (`len(shape) == 1`), unpack it: shape = tuple(shape[0]).",
            "`self.data.reshape(shape)` raises ValueError when the sizes do not match: catch it and name both shapes.",
        ],
    ),
    Piece(
        "Tensor.transpose",
        transpose_cases,
        title="swap two axes",
        todo="swap axes dim0 and dim1 (default: the last two); a tensor with fewer than 2 dimensions raises",
        hints=[
            "`np.swapaxes(self.data, dim0, dim1)`.",
            "Check `self.data.ndim < 2` first and raise ValueError naming the shape.",
        ],
    ),
]
