"""Checks of lesson 11 (Embeddings): id validation, the lookup and its scatter-add gradient, the
Embedding table's initialisation, learned and sinusoidal positional encodings.

Expected values are NumPy indexing of the same tables (lookups) or the sinusoid formula written out
element by element (positional encodings); gradients are checked against finite differences and,
for repeated ids, against a count of how often each row was used.
"""

from __future__ import annotations

import math

import numpy as np

from tinytorch.nn.embedding import Embedding, PositionalEmbedding, SinusoidalPositionalEncoding
from tinytorch.nn.module import Parameter
from tinytorch.tensor import Tensor
from tinytorch_course.checks.cases import Case, Piece, Raises, construct
from tinytorch_course.checks.compare import describe, mismatch
from tinytorch_course.checks.fixtures import with_seed
from tinytorch_course.checks.gradients import grad_case

HOME = "tinytorch.nn.functional"
EMBEDDING_HOME = "tinytorch.nn.embedding"
F32 = np.float32


def _table(rows, dim, start=0.0):
    """Row r is [r.0, r.1, r.2, ...] + start: a looked-up row says which row it came from."""
    return (np.arange(rows)[:, None] + np.arange(dim)[None, :] / 10 + start).astype(F32)


# ---- validating ids ----------------------------------------------------------------------------------
def index_array_cases():
    ids = np.array([[1, 0, 3], [4, 4, 2]], np.int64)
    yield Case("valid int64 ids (2, 3) come back as the same array", (ids, 5, "Embedding"), ids.copy(), dtype=np.int64)
    yield Case(
        "a Tensor of ids gives its int data",
        (Tensor(np.array([2, 0], np.int64)), 3, "Embedding"),
        np.array([2, 0], np.int64),
        dtype=np.int64,
        hint="take ids.data when ids is a Tensor, else np.asarray(ids)",
    )
    yield Case("a plain list of ints works", ([0, 2, 1], 3, "Embedding"), np.array([0, 2, 1]))
    yield Case(
        "an empty batch of ids is fine",
        (np.zeros((0,), np.int64), 5, "Embedding"),
        np.zeros((0,), np.int64),
        hint="min() and max() of an empty array raise: check idx.size first",
    )
    yield Case(
        "id 7 with num_embeddings=5 raises IndexError naming 7 and 5",
        (np.array([2, 7, 1]), 5, "Embedding"),
        Raises(IndexError, "id 7", "5", "0..4"),
        hint="compare idx.max() with num_rows and name the bad id ('token id 7'), the table size, the valid ids "
        "('0..4') and the fix (the vocabulary size)",
    )
    yield Case(
        "id 5 with num_embeddings=5, one past the end, raises IndexError naming id 5 and 0..4",
        (np.array([2, 5, 1]), 5, "Embedding"),
        Raises(IndexError, "id 5", "0..4"),
        hint="valid ids are 0 .. num_rows - 1: raise when idx.max() >= num_rows (equal is already too big)",
    )
    yield Case(
        "a negative id -1 raises IndexError naming it (NumPy would silently take the last row)",
        (np.array([0, -1]), 5, "Embedding"),
        Raises(IndexError, "-1"),
        hint="w[-1] is valid NumPy (the last row), so a negative id would pass unnoticed: check idx.min() < 0 too",
    )
    yield Case(
        "float ids raise TypeError naming the dtype",
        (np.array([1.0, 2.0], F32), 5, "Embedding"),
        Raises(TypeError, "float32"),
        hint="ids must be integers: idx.dtype.kind in 'iu'",
    )


# ---- the lookup ---------------------------------------------------------------------------------------
def _grad_of(ids, weight_array, upstream):
    """weight.grad after embedding(ids, weight).backward(upstream)."""

    def call(impl):
        w = Tensor(weight_array, requires_grad=True)
        out = impl(ids, w)
        out.backward(upstream)
        return w.grad

    return call


def embedding_cases():
    w = _table(5, 4)
    ids = np.array([[1, 0, 3], [4, 4, 2]], np.int64)
    yield Case(
        "ids (2, 3) into a (5, 4) table give (2, 3, 4): row ids[i, j] at [i, j]",
        (ids, Tensor(w)),
        w[ids],
        returns=Tensor,
        dtype=F32,
        hint="NumPy fancy indexing does the lookup: weight.data[ids] has shape ids.shape + (dim,)",
    )
    yield Case("a list of ids [4, 0, 4]", ([4, 0, 4], Tensor(w)), w[[4, 0, 4]], returns=Tensor, dtype=F32)
    yield Case(
        "an id out of range raises IndexError naming it and the table size",
        (np.array([0, 9]), Tensor(w)),
        Raises(IndexError, "9", "5"),
        hint="validate first: idx = _index_array(ids, weight.shape[0], 'Embedding')",
    )
    rep = np.array([[1, 3, 1], [1, 0, 2]], np.int64)
    counts = np.zeros((5, 4), F32)
    for i in rep.reshape(-1):
        counts[i] += 1
    yield Case(
        "a row used 3 times receives 3 gradients added (row 1), an unused row 0 (row 4)",
        call=_grad_of(rep, w, np.ones((2, 3, 4), F32)),
        expected=counts,
        show="ids [[1, 3, 1], [1, 0, 2]], weight (5, 4), out.backward(ones)",
        hint="gw[idx] += g keeps only ONE of the repeated rows (NumPy buffers fancy-index writes): "
        "np.add.at(gw, idx, g) adds every one",
    )
    yield Case(
        "no ids at all (an empty batch): the table's gradient is all zeros",
        call=_grad_of(np.zeros((0,), np.int64), w, np.ones((0, 4), F32)),
        expected=np.zeros((5, 4), F32),
        show="ids [] (shape (0,)), weight (5, 4), out.backward(ones of shape (0, 4))",
        hint="nothing was looked up, so nothing flows back: the backward must still return zeros like the "
        "table (np.add.at handles an empty index; a sort-based scatter needs a guard for it)",
    )
    yield grad_case(
        "gradient w.r.t. the table, ids with repeats",
        lambda emb, w: emb(rep, w),
        _table(5, 3) * 0.5,
        names=["weight"],
        hint="the backward is a scatter-add: gw = zeros like the table; add each output row's gradient "
        "into the row its id points at (flatten ids to (B*T,), gradients to (B*T, dim))",
    )


# ---- the table ------------------------------------------------------------------------------------------
def embedding_init_cases():
    def check(layer):
        for attr, want in (("num_embeddings", 1000), ("embedding_dim", 8)):
            if getattr(layer, attr, None) != want:
                return f"layer.{attr} is {getattr(layer, attr, None)!r}, expected {want}"
        w = getattr(layer, "weight", None)
        if not isinstance(w, Parameter):
            return f"layer.weight should be a Parameter (so an optimizer finds it), got {describe(w)}"
        if w.shape != (1000, 8) or w.dtype != F32:
            return f"layer.weight is {w.shape} {w.dtype}, expected (num_embeddings, embedding_dim) = (1000, 8) float32"
        std, mean = float(w.data.std()), float(w.data.mean())
        if abs(std - 1) > 0.05 or abs(mean) > 0.05:
            return f"weights have mean {mean:.3g} and standard deviation {std:.3g}; N(0, 1) gives ~0 and ~1"
        return None

    yield Case(
        "Embedding(1000, 8): a (1000, 8) float32 Parameter drawn from N(0, 1)",
        call=lambda init: with_seed(0, lambda: construct(Embedding, init, 1000, 8)),
        expected=check,
        show="Embedding(1000, 8)",
        hint="default_rng().standard_normal((num_embeddings, embedding_dim)), "
        "cast to float32 (get_default_dtype()), wrapped in Parameter",
    )

    def twice(init):
        a = with_seed(5, lambda: construct(Embedding, init, 4, 3)).weight.data
        b = with_seed(5, lambda: construct(Embedding, init, 4, 3)).weight.data
        return a, b

    def same(got):
        a, b = (np.asarray(g) for g in got)
        return (
            None if np.array_equal(a, b) else "two tables made after tt.manual_seed(5) differ: draw from default_rng()"
        )

    yield Case(
        "tt.manual_seed makes the table reproducible", call=twice, expected=same, show="Embedding(4, 3) twice, seed 5"
    )


# ---- positions ---------------------------------------------------------------------------------------------
def check_positions_cases():
    yield Case("positions 0..7 fit max_len=8: no error, returns None", (np.arange(8), 8, "PositionalEmbedding"), None)
    yield Case(
        "a sequence of 10 for max_len=8 raises IndexError naming position 9 and max_len 8",
        (np.arange(10), 8, "PositionalEmbedding"),
        Raises(IndexError, "position 9", "8", "length 10"),
        hint="name the largest position ('position 9'), max_len, the sequence length it implies ('length 10') "
        "and what to do (shorter input or a larger max_len)",
    )
    yield Case(
        "a sequence of 9 for max_len=8 (one too many) raises IndexError naming position 8",
        (np.arange(9), 8, "PositionalEmbedding"),
        Raises(IndexError, "position 8", "length 9"),
        hint="positions run 0 .. max_len - 1: raise when pos.max() >= max_len",
    )
    yield Case(
        "a negative position raises IndexError naming it",
        (np.array([0, -2]), 8, "PositionalEmbedding"),
        Raises(IndexError, "-2"),
    )
    yield Case(
        "float positions raise TypeError naming the dtype",
        (np.array([0.0, 1.0]), 8, "PositionalEmbedding"),
        Raises(TypeError, "float64"),
    )


def _positional(weight):
    """A PositionalEmbedding holding `weight` (a Tensor: a Parameter, or a float64 leaf in a grad_case)."""
    pe = PositionalEmbedding.__new__(PositionalEmbedding)
    pe.max_len, pe.embedding_dim = weight.shape
    pe.weight = weight
    return pe


def positional_forward_cases():
    w = _table(8, 3)
    yield Case(
        "forward(5): the rows of positions 0..4, (5, 3)",
        (_positional(Parameter(w)), 5),
        w[:5],
        returns=Tensor,
        dtype=F32,
        hint="an int n means positions 0..n-1: the given _positions(n) is np.arange(n)",
    )
    pos = np.array([[3, 4], [0, 1]])
    yield Case(
        "explicit positions [[3, 4], [0, 1]] give (2, 2, 3)",
        (_positional(Parameter(w)), pos),
        w[pos],
        returns=Tensor,
        dtype=F32,
        hint="explicit positions (a generator asking for position t) index the table directly",
    )
    yield Case(
        "a Tensor of positions works too",
        (_positional(Parameter(w)), Tensor(np.array([6, 7], np.int64))),
        w[[6, 7]],
        returns=Tensor,
        dtype=F32,
    )
    yield Case(
        "forward(10) with max_len=8 raises IndexError naming 9 and 8",
        (_positional(Parameter(w)), 10),
        Raises(IndexError, "9", "8"),
        hint="check the positions with the given _check_positions before the lookup",
    )
    yield grad_case(
        "the table gets a gradient in the rows used (0..3 of 6)",
        lambda fwd, w: fwd(_positional(w), 4),
        _table(6, 2) * 0.25,
        names=["weight"],
        hint="do the lookup with F.embedding(positions, self.weight): it records the gradient",
    )


def _sinusoid(max_len, d):
    """The formula, element by element: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(same)."""
    table = np.zeros((max_len, d))
    for p in range(max_len):
        for j in range(d):
            angle = p / 10000 ** ((j - j % 2) / d)
            table[p, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return table.astype(F32)


def sinusoidal_init_cases():
    def table_of(max_len, d):
        def check(layer):
            if getattr(layer, "max_len", None) != max_len or getattr(layer, "embedding_dim", None) != d:
                return (
                    f"max_len, embedding_dim are {getattr(layer, 'max_len', None)}, "
                    f"{getattr(layer, 'embedding_dim', None)}; expected {max_len}, {d}"
                )
            table = getattr(layer, "table", None)
            if table is None:
                return "layer.table is missing: store the (max_len, embedding_dim) table as a buffer named 'table'"
            if "table" not in getattr(layer, "_buffers", ()):
                return (
                    "'table' is not a registered buffer: use self.register_buffer('table', array) so state_dict saves "
                    "it"
                )
            if isinstance(table, Tensor):
                return (
                    "the table should be a plain NumPy array (a buffer, not a Tensor or Parameter: nothing is learned)"
                )
            return mismatch(table, _sinusoid(max_len, d), dtype=F32, atol=1e-5)

        return check

    yield Case(
        "max_len 6, dim 4: sin on even columns, cos on odd, row 0 = [0, 1, 0, 1]",
        call=lambda init: construct(SinusoidalPositionalEncoding, init, 6, 4),
        expected=table_of(6, 4),
        show="SinusoidalPositionalEncoding(6, 4)",
        hint="columns 2i and 2i+1 share one frequency 1 / 10000^(2i/d): angle = position * frequency",
    )
    yield Case(
        "dim 8, 10 positions: the higher columns turn ever slower",
        call=lambda init: construct(SinusoidalPositionalEncoding, init, 10, 8),
        expected=table_of(10, 8),
        show="SinusoidalPositionalEncoding(10, 8)",
        hint="frequencies for i = 0, 1, 2, 3 are 10000^(-0/8), 10000^(-2/8), 10000^(-4/8), 10000^(-6/8)",
    )
    yield Case(
        "an odd dim 5: three sine columns (0, 2, 4) and two cosine columns (1, 3)",
        call=lambda init: construct(SinusoidalPositionalEncoding, init, 3, 5),
        expected=table_of(3, 5),
        show="SinusoidalPositionalEncoding(3, 5)",
        hint="np.arange(0, d, 2) has 3 frequencies for d = 5, but only 2 cosine columns: use the first d // 2",
    )


def sinusoidal_forward_cases():
    def layer():
        pe = SinusoidalPositionalEncoding.__new__(SinusoidalPositionalEncoding)
        pe.max_len, pe.embedding_dim = 8, 4
        pe.table = _sinusoid(8, 4)
        return pe

    table = _sinusoid(8, 4)
    yield Case(
        "forward(3): rows 0..2 of the table as a Tensor (3, 4)",
        (layer(), 3),
        table[:3],
        returns=Tensor,
        dtype=F32,
        hint="positions = _positions(3) = [0, 1, 2]; return Tensor(self.table[positions])",
    )
    pos = np.array([[5, 6, 7]])
    yield Case("explicit positions [[5, 6, 7]] give (1, 3, 4)", (layer(), pos), table[pos], returns=Tensor, dtype=F32)
    yield Case(
        "position 8 with max_len=8 raises IndexError naming 8",
        (layer(), np.array([2, 8])),
        Raises(IndexError, "8"),
        hint="check with _check_positions first: table[8] would raise NumPy's own error",
    )


PIECES = [
    Piece(
        "_index_array",
        index_array_cases,
        title="validating token ids",
        todo="return the ids as an int array; TypeError for non-integers, IndexError naming an id outside "
        "0..num_rows-1",
        hints=[
            "idx = ids.data if ids is a Tensor, else np.asarray(ids); idx.dtype.kind must be 'i' or 'u'.",
            "With idx.size > 0: idx.min() < 0 or idx.max() >= num_rows is an error; report the offending id "
            "(the max if it is too large, else the min) and num_rows.",
        ],
    ),
    Piece(
        "embedding",
        embedding_cases,
        title="the lookup and its scatter-add gradient",
        todo="return weight's rows at ids, (...,) -> (..., dim); the backward adds each row's gradient into its id's "
        "row",
        hints=[
            "idx = _index_array(ids, weight.shape[0], 'Embedding'); the forward is weight.data[idx].",
            "The only parent is weight (ids are integers: no gradient).",
            "backward: start from np.zeros_like(w), then np.add.at it with the ids flattened to (B*T,) and g reshaped "
            "to "
            "(B*T, dim); return a 1-tuple (one parent).",
        ],
    ),
    Piece(
        "Embedding.__init__",
        embedding_init_cases,
        home=EMBEDDING_HOME,
        title="the embedding table",
        todo="store num_embeddings, embedding_dim and a (num_embeddings, embedding_dim) N(0, 1) float32 weight "
        "Parameter",
        hints=[
            "default_rng() is tinytorch's seeded generator: default_rng().standard_normal(shape).",
            "Cast with .astype(get_default_dtype()) and wrap in Parameter(...).",
        ],
    ),
    Piece(
        "_check_positions",
        check_positions_cases,
        home=EMBEDDING_HOME,
        title="positions inside the table",
        todo="raise TypeError for non-integer positions, IndexError naming a position outside 0..max_len-1 and max_len",
        hints=[
            "Like _index_array: pos.dtype.kind in 'iu', then pos.min() < 0 or pos.max() >= max_len (when pos.size).",
            "A good message names the position, max_len and the fix: fewer tokens, or a larger max_len.",
        ],
    ),
    Piece(
        "PositionalEmbedding.forward",
        positional_forward_cases,
        home=EMBEDDING_HOME,
        title="learned positions",
        todo="turn `positions` (an int n or an int array) into an array, check it, and look it up in self.weight",
        hints=[
            "pos = _positions(positions); _check_positions(pos, self.max_len, 'PositionalEmbedding').",
            "Then it is an embedding lookup: F.embedding(pos, self.weight).",
        ],
    ),
    Piece(
        "SinusoidalPositionalEncoding.__init__",
        sinusoidal_init_cases,
        home=EMBEDDING_HOME,
        title="the sinusoid table",
        todo="build the (max_len, dim) table PE[p, 2i] = sin(p * f_i), PE[p, 2i+1] = cos(p * f_i), f_i = "
        "10000^(-2i/d); register it as buffer 'table'",
        hints=[
            "pos = np.arange(max_len)[:, None] (a column); freq = np.exp(-math.log(10000.0) * np.arange(0, d, 2) / d) "
            "(a row).",
            "Fill the even columns (table[:, 0::2]) with sines of pos * freq, the odd ones with cosines; for an odd d "
            "there is one cosine column fewer than frequencies.",
            "self.register_buffer('table', table.astype(get_default_dtype())): a buffer is saved but never trained.",
        ],
    ),
    Piece(
        "SinusoidalPositionalEncoding.forward",
        sinusoidal_forward_cases,
        home=EMBEDDING_HOME,
        title="looking up fixed positions",
        todo="turn `positions` into an int array, check it against max_len, and return the table's rows as a Tensor",
        hints=[
            "Same first two lines as PositionalEmbedding.forward (with 'SinusoidalPositionalEncoding' as the name).",
            "No gradient is needed: Tensor(self.table[pos]).",
        ],
    ),
]
