"""Checks of lesson 12 (Attention): scaled dot-product attention with boolean masks, the causal
mask, and multi-head attention (construction, head split/merge, projections, forward).

Expected values are computed here with NumPy (a float64 softmax of q k^T / sqrt(d), masked with
-inf), never by tinytorch. Multi-head cases use layers with fixed random weights built in this
file; the causality case changes the last token and requires every earlier output to stay the same.
"""

from __future__ import annotations

import math

import numpy as np

from tinytorch.nn.attention import MultiHeadAttention
from tinytorch.nn.linear import Linear
from tinytorch.nn.module import Parameter
from tinytorch.tensor import Tensor
from tinytorch_course.checks.cases import Case, Piece, Raises, construct
from tinytorch_course.checks.compare import describe, mismatch
from tinytorch_course.checks.fixtures import np_randn, op_case
from tinytorch_course.checks.gradients import grad_case

HOME = "tinytorch.nn.functional"
ATTENTION_HOME = "tinytorch.nn.attention"
F32 = np.float32


# ---- NumPy references --------------------------------------------------------------------------------
def _np_attention(q, k, v, mask=None):
    q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) @ v


def _np_attention_added(q, k, v, bias):
    """torch's float attn_mask: added to the scaled scores before the softmax."""
    q, k, v = (np.asarray(a, np.float64) for a in (q, k, v))
    scores = q @ np.swapaxes(k, -1, -2) / math.sqrt(q.shape[-1]) + bias
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)) @ v


def _np_split(x, heads):
    b, t, e = x.shape
    return x.reshape(b, t, heads, e // heads).transpose(0, 2, 1, 3)


def _np_merge(x):
    b, h, t, d = x.shape
    return x.transpose(0, 2, 1, 3).reshape(b, t, h * d)


def _np_linear(x, layer):
    out = np.asarray(x, np.float64) @ layer.weight.data.T.astype(np.float64)
    return out if layer.bias is None else out + layer.bias.data


def _np_qkv(m, x):
    return tuple(_np_split(_np_linear(x, layer), m.num_heads) for layer in (m.q_proj, m.k_proj, m.v_proj))


def _np_mha(m, x, mask=None):
    q, k, v = _np_qkv(m, x)
    return _np_linear(_np_merge(_np_attention(q, k, v, mask)), m.out_proj)


def _fixed_linear(rng, e):
    layer = Linear.__new__(Linear)
    layer.in_features = layer.out_features = e
    layer.weight = Parameter((rng.standard_normal((e, e)) / math.sqrt(e)).astype(F32))
    layer.bias = Parameter((rng.standard_normal(e) * 0.1).astype(F32))
    return layer


def _mha(embed_dim, heads, seed):
    """A MultiHeadAttention with fixed random projections, built without its __init__."""
    m = MultiHeadAttention.__new__(MultiHeadAttention)
    m.embed_dim, m.num_heads, m.head_dim = embed_dim, heads, embed_dim // heads
    rng = np.random.default_rng(seed)
    for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
        setattr(m, name, _fixed_linear(rng, embed_dim))
    return m


def _tril(t, total=None):
    total = t if total is None else total
    return np.tri(t, total, total - t, dtype=bool)


SDPA_OPTIONS_HINT = (
    "torch's keywords (attn_mask=, is_causal=, scale=, dropout_p=) arrive in **options: hand them over first, "
    "`if options: return attention_options.sdpa(q, k, v, mask, **options)`"
)


# ---- scaled dot-product attention ------------------------------------------------------------------------
def sdpa_cases():
    q, k, v = np_randn(1, 3, 2), np_randn(2, 4, 2), np_randn(3, 4, 3)
    yield op_case(
        "3 queries over 4 keys/values: (3, 2), (4, 2), (4, 3) -> (3, 3)",
        (Tensor(q), Tensor(k), Tensor(v)),
        _np_attention(q, k, v),
        hint="weights = softmax(q @ k^T / sqrt(d)) along the LAST axis (over the keys), then weights @ v",
    )
    q, k, v = np_randn(4, 2, 3, 16, scale=3), np_randn(5, 2, 3, 16, scale=3), np_randn(6, 2, 3, 2)
    yield op_case(
        "scores are divided by sqrt(d): d = 16, large dot products",
        (Tensor(q), Tensor(k), Tensor(v)),
        _np_attention(q, k, v),
        hint="divide the scores by sqrt(d) = sqrt(q.shape[-1]) = 4 before the softmax",
    )
    q, k, v = np_randn(31, 2, 3, 16, scale=6), np_randn(32, 2, 3, 16, scale=6), np_randn(33, 2, 3, 2)
    yield op_case(
        "a batch of 2 with scores in the hundreds: exp must not overflow",
        (Tensor(q), Tensor(k), Tensor(v)),
        _np_attention(q, k, v),
        hint="subtract each row's maximum (over the LAST axis, the keys) before the exp: softmax is unchanged "
        "and exp never sees a large positive number",
    )
    q, k, v = np_randn(7, 2, 2, 3, 4), np_randn(8, 2, 2, 3, 4), np_randn(9, 2, 2, 3, 4)
    yield op_case(
        "batch and heads (2, 2, 3, 4): the last two axes are (positions, features)",
        (Tensor(q), Tensor(k), Tensor(v)),
        _np_attention(q, k, v),
        hint="transpose only the last two axes of k: k.transpose(-2, -1)",
    )
    q, k, v = np_randn(10, 3, 2), np_randn(11, 4, 2), np_randn(12, 4, 2)
    mask = np.array([[True, False, True, False], [True, True, True, True], [False, False, False, True]])
    yield op_case(
        "a boolean mask: False (not allowed) gets zero weight",
        (Tensor(q), Tensor(k), Tensor(v)),
        _np_attention(q, k, v, mask),
        kwargs={"mask": Tensor(mask)},
        hint="True means 'may attend' (PyTorch's convention): fill the scores where the mask is False "
        "with a very negative number (masked_fill(~mask, -1e9)) BEFORE the softmax",
    )
    q, k, v = np_randn(13, 2, 4, 3), np_randn(14, 2, 4, 3), np_randn(15, 2, 4, 3)
    yield op_case(
        "a causal (4, 4) mask broadcast over a batch of 2: query 0 sees only key 0",
        (Tensor(q), Tensor(k), Tensor(v)),
        _np_attention(q, k, v, _tril(4)),
        kwargs={"mask": _tril(4)},
        hint="the mask may be a NumPy array or a Tensor (take .data), and broadcasts like any operand",
    )
    yield Case(
        "a float mask of 0s and 1s raises TypeError naming its dtype",
        (Tensor(q), Tensor(k), Tensor(v)),
        Raises(TypeError, "float32"),
        kwargs={"mask": np.ones((4, 4), F32)},
        hint="a 0/1 float mask is ambiguous (is 1 'keep' or 'add 1'?): require dtype bool and name the dtype you got",
    )
    yield Case(
        "query dim 4 but key dim 3 (k is (5, 3): 5 keys of 3 features) raises ValueError naming both shapes",
        (Tensor(np_randn(16, 2, 4)), Tensor(np_randn(17, 5, 3)), Tensor(np_randn(18, 5, 4))),
        Raises(ValueError, "(2, 4)", "(5, 3)", "dim 4", "dim 3"),
        hint="check q.shape[-1] == k.shape[-1] first; say 'query dim 4 != key dim 3' and name both shapes",
    )
    yield Case(
        "batched: query dim 4 but key dim 3 in (1, 2, 4) and (1, 5, 3): the dims are the LAST axes",
        (Tensor(np_randn(22, 1, 2, 4)), Tensor(np_randn(23, 1, 5, 3)), Tensor(np_randn(24, 1, 5, 4))),
        Raises(ValueError, "(1, 2, 4)", "(1, 5, 3)", "dim 4", "dim 3"),
        hint="compare q.shape[-1] with k.shape[-1], whatever the leading (batch, head) axes",
    )
    yield Case(
        "3 keys but 2 values raises ValueError naming both shapes",
        (Tensor(np_randn(19, 2, 4)), Tensor(np_randn(20, 3, 4)), Tensor(np_randn(21, 2, 4))),
        Raises(ValueError, "(3, 4)", "(2, 4)", "3 keys", "2 values"),
        hint="every key needs a value: k.shape[-2] == v.shape[-2]; say '3 keys but 2 values'",
    )
    yield Case(
        "batched: 3 keys but 2 values in (1, 3, 4) and (1, 2, 4): the counts are the second-to-last axes",
        (Tensor(np_randn(19, 1, 2, 4)), Tensor(np_randn(20, 1, 3, 4)), Tensor(np_randn(21, 1, 2, 4))),
        Raises(ValueError, "(1, 3, 4)", "(1, 2, 4)", "3 keys", "2 values"),
        hint="count keys and values on axis -2 (k.shape[-2], v.shape[-2]), whatever the leading axes",
    )
    q, k, v = np_randn(25, 2, 4), np_randn(26, 3, 4), np_randn(27, 3, 4)
    nothing = np.array([[True, True, True], [False, False, False]])  # every key seen, yet one query sees none
    yield Case(
        "float32, a query that may see no key at all: a uniform average of the values, never NaN",
        (Tensor(q), Tensor(k), Tensor(v)),
        np.stack([_np_attention(q[:1], k, v, nothing[:1])[0], v.astype(np.float64).mean(axis=0)]).astype(F32),
        kwargs={"mask": nothing},
        returns=Tensor,
        dtype=F32,
        rtol=1e-4,
        atol=1e-5,
        hint="fill masked scores with a large finite negative number that float32 can hold (-1e9), not -1e300 "
        "(-inf in float32) or -inf: a fully masked row then gets equal weights instead of NaN",
    )
    q, k, v = np_randn(28, 2, 4, 3), np_randn(29, 2, 4, 3), np_randn(30, 2, 4, 2)
    yield op_case(
        "is_causal=True (torch's keyword): the same as a causal (4, 4) mask",
        (Tensor(q), Tensor(k), Tensor(v)),
        _np_attention(q, k, v, _tril(4)),
        kwargs={"is_causal": True},
        hint=SDPA_OPTIONS_HINT,
    )
    yield op_case(
        "scale=0.5 (torch's keyword): scores are q k^T * 0.5 instead of / sqrt(3)",
        (Tensor(q), Tensor(k), Tensor(v)),
        _np_attention(q * (0.5 * math.sqrt(3)), k, v),
        kwargs={"scale": 0.5},
        hint=SDPA_OPTIONS_HINT,
    )
    bias = np.where(_tril(4), 0.0, -np.inf).astype(F32)
    bias[:, 0] += 1.0
    yield op_case(
        "a float attn_mask (torch's keyword) is ADDED to the scores: -inf blocks, +1 favours key 0",
        (Tensor(q), Tensor(k), Tensor(v)),
        _np_attention_added(q, k, v, bias),
        kwargs={"attn_mask": bias},
        hint=SDPA_OPTIONS_HINT,
    )
    yield grad_case(
        "gradients w.r.t. q, k and v through a causal mask",
        lambda sdpa, q, k, v: sdpa(q, k, v, _tril(3)),
        np_randn(22, 3, 2),
        np_randn(23, 3, 2),
        np_randn(24, 3, 2),
        names=["q", "k", "v"],
        hint="build it from Tensor ops (@, transpose, *, masked_fill, softmax): autograd then gives the backward",
    )
    yield grad_case(
        "gradients w.r.t. q, k and v of a batch of 2, causal mask: sums run over the LAST axis",
        lambda sdpa, q, k, v: sdpa(q, k, v, _tril(3)),
        np_randn(34, 2, 3, 2),
        np_randn(35, 2, 3, 2),
        np_randn(36, 2, 3, 2),
        names=["q", "k", "v"],
        hint="every softmax sum in the backward is over the keys (axis -1), whatever the leading batch axes",
    )


def causal_mask_cases():
    yield Case(
        "causal_mask(4): lower-triangular (4, 4) booleans, True on and below the diagonal",
        (4,),
        _tril(4),
        returns=Tensor,
        dtype=np.bool_,
        hint="row i (a query) may see keys 0..i: np.tril of ones, or np.tri(..., dtype=bool)",
    )
    yield Case("causal_mask(1) is [[True]]", (1,), np.array([[True]]), returns=Tensor, dtype=np.bool_)
    yield Case(
        "causal_mask(2, 5): 2 new queries at positions 3 and 4 of 5 keys",
        (2, 5),
        np.array([[True, True, True, True, False], [True, True, True, True, True]]),
        returns=Tensor,
        dtype=np.bool_,
        hint="query i sits at absolute position key_len - seq_len + i: the diagonal moves right by key_len - seq_len "
        "(np.tri's third argument k)",
    )
    yield Case(
        "causal_mask(3, 2) raises ValueError naming 3 and 2",
        (3, 2),
        Raises(ValueError, "3", "2"),
        hint="3 queries cannot be the last positions of only 2 keys",
    )


# ---- MultiHeadAttention ---------------------------------------------------------------------------------
def mha_init_cases():
    def check(e, h, bias=True):
        def inspect(m):
            for attr, want in (("embed_dim", e), ("num_heads", h), ("head_dim", e // h)):
                if getattr(m, attr, None) != want:
                    return f"self.{attr} is {getattr(m, attr, None)!r}, expected {want}"
            layers = []
            for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
                layer = getattr(m, name, None)
                if not isinstance(layer, Linear):
                    return f"self.{name} should be a Linear({e}, {e}), got {describe(layer)}"
                if layer.weight.shape != (e, e):
                    return f"self.{name}.weight has shape {layer.weight.shape}, expected ({e}, {e})"
                if (layer.bias is not None) != bias:
                    return (
                        f"self.{name}.bias is {describe(layer.bias)}; expected {'a Parameter' if bias else 'None'} "
                        f"(bias={bias})"
                    )
                layers.append(layer)
            if len({id(layer) for layer in layers}) < 4:
                return "the four projections must be four different Linear layers (each learns its own weights)"
            return None

        return inspect

    yield Case(
        "MultiHeadAttention(8, 2): head_dim 4, four Linear(8, 8) projections",
        call=lambda init: construct(MultiHeadAttention, init, 8, 2),
        expected=check(8, 2),
        show="MultiHeadAttention(8, 2)",
        hint="q_proj, k_proj, v_proj and out_proj are each Linear(embed_dim, embed_dim)",
    )
    yield Case(
        "bias=False: no projection has a bias",
        call=lambda init: construct(MultiHeadAttention, init, 6, 3, bias=False),
        expected=check(6, 3, bias=False),
        show="MultiHeadAttention(6, 3, bias=False)",
    )
    yield Case(
        "embed_dim 6 with 4 heads raises ValueError naming 6 and 4",
        call=lambda init: construct(MultiHeadAttention, init, 6, 4),
        expected=Raises(ValueError, "6", "4", "[1, 2, 3, 6]"),
        show="MultiHeadAttention(6, 4)",
        hint="each head gets embed_dim // num_heads features: check the remainder first, and suggest the head "
        "counts that divide embed_dim (6 itself included)",
    )
    yield Case(
        "embed_dim 24 with 5 heads: the message lists the first 6 head counts that work, [1, 2, 3, 4, 6, 8]",
        call=lambda init: construct(MultiHeadAttention, init, 24, 5),
        expected=Raises(ValueError, "24", "5", "[1, 2, 3, 4, 6, 8]"),
        show="MultiHeadAttention(24, 5)",
        hint="suggest the divisors: [h for h in range(1, embed_dim + 1) if embed_dim % h == 0][:6]",
    )
    yield Case(
        "head_dim is an int (reshape needs one): MultiHeadAttention(8, 2).head_dim is 4, not 4.0",
        call=lambda init: type(construct(MultiHeadAttention, init, 8, 2).head_dim).__name__,
        expected="int",
        show="type(MultiHeadAttention(8, 2).head_dim)",
        hint="integer division: head_dim = embed_dim // num_heads",
    )


def split_heads_cases():
    x = np_randn(30, 2, 3, 6)
    yield op_case(
        "(2, 3, 6) with 2 heads -> (2, 2, 3, 3): head h holds features 3h..3h+2",
        (_mha(6, 2, 0), Tensor(x)),
        _np_split(x, 2),
        hint="reshape to (batch, seq, heads, head_dim), then swap axes 1 and 2",
    )
    x = np_randn(31, 1, 2, 6)
    yield op_case(
        "(1, 2, 6) with 3 heads -> (1, 3, 2, 2)",
        (_mha(6, 3, 1), Tensor(x)),
        _np_split(x, 3),
        hint="(b, t, e) -> (b, t, heads, head_dim) -> (b, heads, t, head_dim): a plain reshape to "
        "(b, heads, t, head_dim) would mix positions and features",
    )


def merge_heads_cases():
    x = np_randn(32, 2, 2, 3, 3)
    yield op_case(
        "(2, 2, 3, 3) -> (2, 3, 6): the heads side by side",
        (_mha(6, 2, 0), Tensor(x)),
        _np_merge(x),
        hint="swap axes 1 and 2 back, then reshape to (batch, seq, embed_dim)",
    )
    x = np_randn(33, 1, 3, 2, 2)
    yield op_case(
        "(1, 3, 2, 2) with 3 heads -> (1, 2, 6), the inverse of split_heads", (_mha(6, 3, 1), Tensor(x)), _np_merge(x)
    )


def project_qkv_cases():
    m, x = _mha(6, 2, 2), np_randn(34, 2, 3, 6)
    yield Case(
        "q, k, v of x (2, 3, 6) with 2 heads: three (2, 2, 3, 3) tensors",
        (m, Tensor(x)),
        tuple(a.astype(F32) for a in _np_qkv(m, x)),
        hint="each is its projection of x, split into heads: self.split_heads(self.q_proj(x)), and so on",
    )


def attend_cases():
    m = _mha(6, 2, 3)
    q, k, v = np_randn(35, 1, 2, 3, 3), np_randn(36, 1, 2, 4, 3), np_randn(37, 1, 2, 4, 3)
    expected = _np_linear(_np_merge(_np_attention(q, k, v)), m.out_proj)
    yield op_case(
        "3 queries over 4 keys per head: attention, merge heads, out_proj -> (1, 3, 6)",
        (m, Tensor(q), Tensor(k), Tensor(v)),
        expected,
        hint="F.scaled_dot_product_attention(q, k, v, mask) per head, then self.merge_heads, then self.out_proj",
    )
    mask = _tril(3, 4)
    expected = _np_linear(_np_merge(_np_attention(q, k, v, mask)), m.out_proj)
    yield op_case(
        "with a mask (3, 4): the mask is passed to the attention", (m, Tensor(q), Tensor(k), Tensor(v), mask), expected
    )


class _FixedCache:
    """A stand-in KV-cache: update(k_new, v_new) records the shapes and returns fixed keys/values."""

    def __init__(self, k_all, v_all):
        self.k_all, self.v_all, self.seen = k_all, v_all, []

    def update(self, k_new, v_new):
        self.seen.append((tuple(k_new.shape), tuple(v_new.shape)))
        return Tensor(self.k_all), Tensor(self.v_all)

    def __repr__(self):
        return f"cache(keys {self.k_all.shape})"


def forward_cases():
    m, x = _mha(8, 2, 4), np_randn(38, 2, 4, 8)
    yield op_case(
        "self-attention without a mask: (2, 4, 8) -> (2, 4, 8)",
        (m, Tensor(x)),
        _np_mha(m, x),
        hint="q, k, v = self.project_qkv(x); return self.attend(q, k, v, mask)",
    )
    yield op_case("with causal_mask(4)", (m, Tensor(x)), _np_mha(m, x, _tril(4)), kwargs={"mask": _tril(4)})

    def two_runs(forward):
        x2 = x.copy()
        x2[:, -1] += 5.0  # change the last token only
        a = forward(m, Tensor(x), _tril(4))
        b = forward(m, Tensor(x2), _tril(4))
        return a, b

    def causal(got):
        a, b = got
        problem = mismatch(np.asarray(a.data)[:, :-1], np.asarray(b.data)[:, :-1], atol=1e-5)
        if problem:
            return f"changing the last token changed an earlier position's output ({problem}): the mask is not applied"
        if np.allclose(np.asarray(a.data)[:, -1], np.asarray(b.data)[:, -1]):
            return "changing the last token did not change its own output"
        return None

    yield Case(
        "causality: changing the last token never changes positions 0..2",
        call=two_runs,
        expected=causal,
        show="x (2, 4, 8), then x with x[:, 3] += 5, both with causal_mask(4)",
        hint="pass the mask through to the attention",
    )
    yield Case(
        "a 2-D input (4, 8) raises ValueError naming its shape",
        (m, Tensor(np_randn(39, 4, 8))),
        Raises(ValueError, "(4, 8)", "reshape(1, *x.shape)"),
        hint="check x.ndim == 3 and, for a 2-D input, suggest adding a batch axis: x.reshape(1, *x.shape)",
    )
    yield Case(
        "(1, 3, 6) into embed_dim 8 raises ValueError naming 8 and the shape",
        (m, Tensor(np_randn(40, 1, 3, 6))),
        Raises(ValueError, "8", "(1, 3, 6)"),
        hint="the last axis must be embed_dim: name it and the shape you got",
    )
    x_new, k_all, v_all = np_randn(41, 1, 1, 8), np_randn(42, 1, 2, 5, 4), np_randn(43, 1, 2, 5, 4)
    q_new = _np_qkv(m, x_new)[0]
    want = _np_linear(_np_merge(_np_attention(q_new, k_all, v_all)), m.out_proj)

    def with_cache(forward):
        cache = _FixedCache(k_all, v_all)
        out = forward(m, Tensor(x_new), None, cache)
        return out, cache.seen

    def cached(got):
        out, seen = got
        if seen != [((1, 2, 1, 4), (1, 2, 1, 4))]:
            return (
                f"cache.update was called with {seen}; expected once, with this step's keys and values "
                f"(1, 2, 1, 4) each"
            )
        return mismatch(out, want.astype(F32), returns=Tensor)

    yield Case(
        "a cache supplies all keys/values: cache.update(k, v) (lesson 17's seam)",
        call=with_cache,
        expected=cached,
        show="one new token (1, 1, 8), a cache returning 5 keys/values per head",
        hint="after project_qkv: if cache is not None, k, v = cache.update(k, v); then attend",
    )


PIECES = [
    Piece(
        "scaled_dot_product_attention",
        sdpa_cases,
        title="scaled dot-product attention",
        todo="return softmax(q k^T / sqrt(d), masked where mask is False) @ v; errors name the shapes",
        hints=[
            "q, k, v = _t(q), _t(k), _t(v); check the key dim and the number of keys vs values first.",
            "scores = (q @ k.transpose(-2, -1)) scaled by 1 / sqrt(d); with a mask (bool, True = attend) use "
            "scores.masked_fill(~m, -1e9) so the softmax gives those keys ~0 weight.",
            "softmax(scores, axis=-1) @ v. Everything is a Tensor op, so the backward comes for free.",
            "torch's attn_mask=, is_causal=, scale=, dropout_p= arrive in **options: first of all, if options is "
            "not empty, return attention_options.sdpa(q, k, v, mask, **options).",
        ],
    ),
    Piece(
        "causal_mask",
        causal_mask_cases,
        home=ATTENTION_HOME,
        title="the causal mask",
        todo="return a (seq_len, key_len) boolean Tensor, True where query i may see key j (j <= its position)",
        hints=[
            "For seq_len == key_len it is the lower triangle including the diagonal.",
            "np.tri(rows, cols, k, dtype=bool) is True where j <= i + k; here k = key_len - seq_len.",
            "Check key_len >= seq_len first (ValueError naming both).",
        ],
    ),
    Piece(
        "MultiHeadAttention.__init__",
        mha_init_cases,
        home=ATTENTION_HOME,
        title="multi-head attention's layers",
        todo="check embed_dim % num_heads == 0 (ValueError naming both), store the sizes, build q/k/v/out Linear(E, "
        "E) projections",
        hints=[
            "head_dim = embed_dim // num_heads; raise if embed_dim % num_heads != 0.",
            "Four separate Linear(embed_dim, embed_dim, bias=bias) layers: q_proj, k_proj, v_proj, out_proj.",
        ],
    ),
    Piece(
        "MultiHeadAttention.split_heads",
        split_heads_cases,
        home=ATTENTION_HOME,
        title="splitting the heads",
        todo="(batch, seq, embed) -> (batch, heads, seq, head_dim)",
        hints=[
            "x.reshape(b, t, self.num_heads, self.head_dim) splits the features of each position.",
            "Then .transpose(1, 2) puts the heads before the positions.",
        ],
    ),
    Piece(
        "MultiHeadAttention.merge_heads",
        merge_heads_cases,
        home=ATTENTION_HOME,
        title="merging the heads",
        todo="(batch, heads, seq, head_dim) -> (batch, seq, embed)",
        hints=["The exact inverse of split_heads, in reverse order: transpose(1, 2), then reshape(b, t, embed_dim)."],
    ),
    Piece(
        "MultiHeadAttention.project_qkv",
        project_qkv_cases,
        home=ATTENTION_HOME,
        title="projecting queries, keys, values",
        todo="return (q, k, v): each projection of x split into heads, (batch, heads, seq, head_dim)",
        hints=["Three lines in one: split_heads of q_proj(x), of k_proj(x), of v_proj(x), returned as a tuple."],
    ),
    Piece(
        "MultiHeadAttention.attend",
        attend_cases,
        home=ATTENTION_HOME,
        title="attending, merging, projecting out",
        todo="attention of q over k, v (with mask), heads merged, then out_proj: (batch, t_q, embed)",
        hints=[
            "F.scaled_dot_product_attention works on every head at once: heads are just another batch axis.",
            "Then self.merge_heads and self.out_proj.",
        ],
    ),
    Piece(
        "MultiHeadAttention.forward",
        forward_cases,
        home=ATTENTION_HOME,
        title="the forward pass",
        todo="check x is (batch, seq, embed_dim), project to q/k/v, let a cache extend k/v, and attend with the mask",
        hints=[
            "Raise ValueError naming x's shape and embed_dim when x.ndim != 3 or x.shape[-1] != self.embed_dim.",
            "Then the two given steps: project_qkv, and attend with the mask; with a cache, the keys and values "
            "attend uses are what cache.update(k, v) returns.",
        ],
    ),
]
