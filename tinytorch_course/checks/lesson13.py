"""Checks of lesson 13 (Transformers): layer normalisation (values and analytic backward), the
pre-norm block (its layers and its wiring), GPT's embedding and forward, and sampling / generation.

LayerNorm values are NumPy's (x - mean) / sqrt(var + eps) and its gradients finite differences.
The wiring of TransformerBlock.forward and GPT.forward is checked with stand-in sublayers whose
outputs are simple formulas (x -> 2x, x -> x + 1, ...), so a misplaced residual or norm gives a
different number. Generation is checked on a stand-in model whose next-token rule is known
(always "last id + 1"), and sampling by frequencies over a thousand seeded draws.
"""

from __future__ import annotations

import numpy as np

from tinytorch.nn.activations import GELU
from tinytorch.nn.attention import MultiHeadAttention, causal_mask
from tinytorch.nn.embedding import Embedding, PositionalEmbedding
from tinytorch.nn.linear import Dropout, Linear
from tinytorch.nn.module import Module, Parameter, Sequential
from tinytorch.nn.transformer import GPT, LayerNorm, TransformerBlock
from tinytorch.tensor import Tensor, is_grad_enabled
from tinytorch_course.checks.cases import Case, Piece, Raises, construct
from tinytorch_course.checks.compare import describe, mismatch
from tinytorch_course.checks.fixtures import np_randn, np_softmax, op_case, with_seed
from tinytorch_course.checks.gradients import grad_case

HOME = "tinytorch.nn.functional"
TRANSFORMER_HOME = "tinytorch.nn.transformer"
F32 = np.float32


# ---- layer norm ------------------------------------------------------------------------------------------
def _np_layer_norm(x, axes, weight=None, bias=None, eps=1e-5):
    x = np.asarray(x, np.float64)
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)  # biased (divide by n), as torch
    out = (x - mean) / np.sqrt(var + eps)
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def layer_norm_cases():
    x = np_randn(1, 2, 4, scale=3, shift=5)
    yield op_case(
        "(2, 4), normalized_shape 4: each row to mean 0, variance 1",
        (Tensor(x), 4),
        _np_layer_norm(x, -1),
        hint="mean and variance over the last axis with keepdims; the variance divides by n (not n - 1), "
        "and eps goes inside the square root: (x - mean) / sqrt(var + eps)",
    )
    w, b = np.array([1.0, 2.0, 0.5, -1.0], F32), np.array([0.0, 1.0, -1.0, 0.5], F32)
    yield op_case(
        "weight and bias scale and shift each feature",
        (Tensor(x), (4,), Tensor(w), Tensor(b)),
        _np_layer_norm(x, -1, w, b),
        hint="after normalising: out * weight + bias (they broadcast over rows)",
    )
    x3 = np_randn(2, 2, 3, 4)
    yield op_case(
        "normalized_shape (3, 4) normalises over the last two axes of (2, 3, 4)",
        (Tensor(x3), (3, 4)),
        _np_layer_norm(x3, (1, 2)),
        hint="the axes are the last len(normalized_shape) ones: a tuple of axes",
    )
    flat = np.array([[5.0, 5.0, 5.0], [1.0, 2.0, 3.0]], F32)
    yield op_case(
        "a constant row gives 0, not NaN (eps keeps the division finite)",
        (Tensor(flat), 3),
        _np_layer_norm(flat, -1),
        hint="a constant row has variance 0: sqrt(var + eps) is never 0",
    )
    yield Case(
        "an input (2, 5) for normalized_shape (4,) raises ValueError naming both shapes",
        (Tensor(np.ones((2, 5), F32)), 4),
        Raises(ValueError, "(2, 5)", "(4,)", "(5,)"),
        hint="compare the input's trailing shape (here (5,)) with normalized_shape (an int n means (n,)) and "
        "name the input's shape, its trailing shape and normalized_shape",
    )
    yield grad_case(
        "gradients w.r.t. x, weight and bias over the last axis",
        lambda ln, x, w, b: ln(x, 4, w, b),
        np_randn(3, 2, 4),
        np_randn(4, 4, shift=1),
        np_randn(5, 4),
        names=["x", "weight", "bias"],
        hint="with xhat = (x - mean) * rstd and gh = g * weight: dx = rstd * (gh - mean(gh) - xhat * "
        "mean(gh * xhat)), means over the normalised axes; dweight = g * xhat, dbias = g "
        "(the engine sums those down to the parameter's shape)",
    )
    yield grad_case(
        "a bias but no weight: the gradients of x and of the bias",
        lambda ln, x, b: ln(x, 4, None, b),
        np_randn(7, 2, 4),
        np_randn(8, 4),
        names=["x", "bias"],
        hint="return one gradient per parent, in order: with no weight the parents are (x, bias), so no "
        "weight gradient in between",
    )
    yield grad_case(
        "gradient w.r.t. x over two axes, no weight or bias",
        lambda ln, x: ln(x, (2, 3)),
        np_randn(6, 2, 2, 3),
        hint="the means in the backward run over the same axes as in the forward",
    )


# ---- the block's layers ----------------------------------------------------------------------------------
def block_init_cases():
    def check(e, heads, hidden, p):
        def inspect(block):
            for name in ("ln1", "ln2"):
                ln = getattr(block, name, None)
                if not isinstance(ln, LayerNorm) or ln.normalized_shape != (e,):
                    return f"block.{name} should be LayerNorm({e}), got {describe(ln)}"
            attn = getattr(block, "attn", None)
            if not isinstance(attn, MultiHeadAttention) or (attn.embed_dim, attn.num_heads) != (e, heads):
                return f"block.attn should be MultiHeadAttention({e}, {heads}), got {describe(attn)}"
            mlp = getattr(block, "mlp", None)
            layers = getattr(mlp, "layers", None)
            if not isinstance(mlp, Sequential) or len(layers) != 3:
                return (
                    f"block.mlp should be Sequential(Linear({e}, {hidden}), GELU(), Linear({hidden}, {e})), got "
                    f"{describe(mlp)}"
                )
            first, act, second = layers
            if not (isinstance(first, Linear) and first.weight.shape == (hidden, e)):
                return (
                    f"block.mlp[0] should be Linear({e}, {hidden}) (hidden = mlp_ratio * embed_dim), got "
                    f"{describe(first)}"
                )
            if not isinstance(act, GELU):
                return f"block.mlp[1] should be GELU(), got {describe(act)}"
            if not (isinstance(second, Linear) and second.weight.shape == (e, hidden)):
                return f"block.mlp[2] should be Linear({hidden}, {e}), got {describe(second)}"
            drop = getattr(block, "dropout", None)
            if not isinstance(drop, Dropout) or drop.p != p:
                return f"block.dropout should be Dropout({p}), got {describe(drop)}"
            return None

        return inspect

    yield Case(
        "TransformerBlock(8, 2): ln1, attn, ln2, an MLP 8 -> 32 -> 8 with GELU, dropout 0",
        call=lambda init: with_seed(0, lambda: construct(TransformerBlock, init, 8, 2)),
        expected=check(8, 2, 32, 0.0),
        show="TransformerBlock(8, 2)",
        hint="hidden = mlp_ratio * embed_dim; the MLP is Sequential(Linear(E, hidden), GELU(), Linear(hidden, E))",
    )
    yield Case(
        "mlp_ratio=2 and dropout=0.1: hidden 12, Dropout(0.1)",
        call=lambda init: with_seed(1, lambda: construct(TransformerBlock, init, 6, 3, 2, 0.1)),
        expected=check(6, 3, 12, 0.1),
        show="TransformerBlock(6, 3, mlp_ratio=2, dropout=0.1)",
    )


# ---- the block's wiring ----------------------------------------------------------------------------------
class _Scale(Module):
    def __init__(self, factor):
        self.factor = factor

    def forward(self, x):
        return x * self.factor


class _SpyAttention(Module):
    """h -> h + 1, remembering the mask and cache it was given."""

    def __init__(self):
        self.calls = []

    def forward(self, h, mask=None, cache=None):
        self.calls.append((mask, cache))
        return h + 1.0


def _wired_block(dropout_factor=1.0):
    """ln1: x2, attn: +1, ln2: x3, mlp: x0.5, dropout: x dropout_factor."""
    block = TransformerBlock.__new__(TransformerBlock)
    block.ln1, block.attn, block.ln2, block.mlp = _Scale(2.0), _SpyAttention(), _Scale(3.0), _Scale(0.5)
    block.dropout = _Scale(dropout_factor)
    return block


def _pre_norm(x, d=1.0):
    y = x + d * (2 * x + 1)
    return y + d * (0.5 * (3 * y))


def block_forward_cases():
    x = np.array([[[1.0, -2.0], [0.5, 3.0]]], F32)
    show = "x = [[[1, -2], [0.5, 3]]]; stand-ins ln1: 2x, attn: h + 1, ln2: 3x, mlp: h / 2, dropout: identity"
    yield Case(
        "pre-norm residuals: x + attn(ln1(x)), then + mlp(ln2(.)) gives 2.5 (3x + 1)",
        call=lambda fwd: fwd(_wired_block(), Tensor(x)),
        expected=_pre_norm(x).astype(F32),
        returns=Tensor,
        show=show,
        hint="normalise the INPUT of each sublayer, and add the sublayer's output to the unnormalised x "
        "(post-norm, ln(x + attn(x)), is the other, older arrangement)",
    )

    def passed_through(fwd):
        block, mask, cache = _wired_block(), causal_mask(2), object()
        fwd(block, Tensor(x), mask, cache)
        return block.attn.calls, mask, cache

    def same_objects(got):
        calls, mask, cache = got
        if len(calls) != 1:
            return f"attn was called {len(calls)} times, expected once"
        if calls[0][0] is not mask:
            return f"attn got mask {describe(calls[0][0])}, not the mask passed to forward"
        if calls[0][1] is not cache:
            return f"attn got cache {calls[0][1]!r}, not the cache passed to forward (lesson 17 needs it)"
        return None

    yield Case(
        "the mask and the cache are handed to the attention",
        call=passed_through,
        expected=same_objects,
        show="forward(x, causal_mask(2), cache)",
        hint="self.attn(self.ln1(x), mask, cache)",
    )
    yield Case(
        "dropout applies to each sublayer's output before it is added back",
        call=lambda fwd: fwd(_wired_block(0.1), Tensor(x)),
        expected=_pre_norm(x, 0.1).astype(F32),
        returns=Tensor,
        show=show.replace("dropout: identity", "dropout: x 0.1"),
        hint="x + self.dropout(sublayer output): the residual path itself is never dropped",
    )


# ---- GPT --------------------------------------------------------------------------------------------------------
def _tables(vocab=10, block=6, e=4):
    tok = (np.arange(vocab)[:, None] * 10 + np.arange(e)[None, :]).astype(F32)  # row t: 10t + j
    pos = (np.arange(block)[:, None] * 0.1 + np.arange(e)[None, :] * 0.01).astype(F32)  # row p: 0.1p + 0.01j
    return tok, pos


def _gpt_with(tok, pos):
    """A GPT holding these two tables (Parameters, or float64 leaves in a grad_case), no blocks."""
    model = GPT.__new__(GPT)
    model.vocab_size, model.block_size = tok.shape[0], pos.shape[0]
    model.tok_emb = Embedding.__new__(Embedding)
    model.tok_emb.num_embeddings, model.tok_emb.embedding_dim, model.tok_emb.weight = tok.shape[0], tok.shape[1], tok
    model.pos_emb = PositionalEmbedding.__new__(PositionalEmbedding)
    model.pos_emb.max_len, model.pos_emb.embedding_dim, model.pos_emb.weight = pos.shape[0], pos.shape[1], pos
    model.drop = _Scale(1.0)
    return model


def embed_cases():
    tok, pos = _tables()
    model = _gpt_with(Parameter(tok), Parameter(pos))
    ids = np.array([[1, 2, 3], [4, 0, 9]])
    yield op_case(
        "ids (2, 3): token rows + position rows 0..2 -> (2, 3, 4)",
        (model, ids),
        tok[ids] + pos[:3],
        hint="self.tok_emb(ids) is (B, T, E); self.pos_emb(positions) is (T, E) and broadcasts over the batch",
    )
    yield op_case(
        "start_pos=2: ids (1, 2) get positions 2 and 3",
        (model, np.array([[7, 7]])),
        tok[[[7, 7]]] + pos[2:4],
        kwargs={"start_pos": 2},
        hint="positions are start_pos .. start_pos + T - 1: np.arange(start_pos, start_pos + T)",
    )
    yield op_case("a Tensor of ids works", (model, Tensor(np.array([[5]], np.int64))), tok[[[5]]] + pos[:1])
    yield Case(
        "1-D ids (3,) raise ValueError naming the shape",
        (model, np.array([1, 2, 3])),
        Raises(ValueError, "(3,)", "reshape(1, -1)"),
        hint="GPT needs (batch, seq): check ids.ndim == 2 and, for 1-D ids, suggest ids.reshape(1, -1)",
    )
    yield Case(
        "6 tokens with block_size=6 fit exactly",
        (model, np.zeros((1, 6), np.int64)),
        tok[[[0] * 6]] + pos[:6],
        returns=Tensor,
        dtype=np.float32,
        hint="a sequence of exactly block_size tokens is allowed: raise only when start_pos + T > block_size",
    )
    yield Case(
        "7 tokens with block_size=6 raise ValueError naming 7 and 6",
        (model, np.zeros((1, 7), np.int64)),
        Raises(ValueError, "7", "6"),
        hint="start_pos + T must be at most block_size: name both",
    )
    yield Case(
        "start_pos=4 with 3 tokens (positions up to 6) raises ValueError naming 7 and 6",
        (model, np.zeros((1, 3), np.int64)),
        Raises(ValueError, "7", "6"),
        kwargs={"start_pos": 4},
    )
    yield grad_case(
        "gradients reach both tables",
        lambda embed, t, p: embed(_gpt_with(t, p), np.array([[1, 1, 0]])),
        tok[:3] * 0.1,
        pos[:4],
        names=["token table", "position table"],
        hint="use the layers (self.tok_emb, self.pos_emb) so the lookups record their gradients; "
        "then pass the sum through self.drop",
    )


class _SpyBlock(Module):
    """x -> x + offset, remembering the mask and cache it was given."""

    def __init__(self, offset):
        self.offset, self.calls = offset, []

    def forward(self, x, mask=None, cache=None):
        self.calls.append((np.asarray(mask.data if isinstance(mask, Tensor) else mask), cache))
        return x + self.offset


class _SpyGPT(GPT):
    """embed: a fixed (B, T, 2) Tensor; blocks: +1 then +2; logits: x 10."""

    def __init__(self):
        self.block_size, self.vocab_size = 8, 5
        self.blocks = [_SpyBlock(1.0), _SpyBlock(2.0)]
        self.embedded = []

    def embed(self, ids, start_pos=0):
        b, t = np.shape(ids)
        self.embedded.append(start_pos)
        return Tensor(np.arange(b * t * 2, dtype=F32).reshape(b, t, 2))

    def logits(self, x):
        return x * 10.0


def gpt_forward_cases():
    ids = np.zeros((2, 3), np.int64)
    emb = np.arange(12, dtype=F32).reshape(2, 3, 2)
    yield Case(
        "embed -> every block in order -> logits: (emb + 1 + 2) * 10",
        call=lambda fwd: fwd(_SpyGPT(), ids),
        expected=(emb + 3) * 10,
        returns=Tensor,
        show="ids (2, 3); stand-ins embed: fixed (2, 3, 2), blocks: +1 then +2, logits: x 10",
        hint="x = self.embed(ids, start_pos); each block: x = block(x, mask, cache); return self.logits(x)",
    )

    def masks(start_pos, caches=None):
        def call(fwd):
            model = _SpyGPT()
            fwd(model, np.zeros((1, 3), np.int64), start_pos, caches)
            return model

        return call

    def mask_check(start_pos, caches=None):
        want = np.tri(3, start_pos + 3, start_pos, dtype=bool)

        def check(model):
            if model.embedded != [start_pos]:
                return f"embed was called with start_pos {model.embedded}, expected [{start_pos}]"
            for i, block in enumerate(model.blocks):
                if len(block.calls) != 1:
                    return f"block {i} was called {len(block.calls)} times, expected once"
                mask, cache = block.calls[0]
                problem = mismatch(mask, want)
                if problem:
                    return (
                        f"block {i}'s mask: {problem} (expected causal_mask(T, start_pos + T) = "
                        f"{want.astype(int).tolist()})"
                    )
                wanted_cache = None if caches is None else caches[i]
                if cache is not wanted_cache:
                    return f"block {i} got cache {cache!r}, expected {wanted_cache!r}"
            return None

        return check

    yield Case(
        "every block gets the causal mask (3, 3)",
        call=masks(0),
        expected=mask_check(0),
        show="ids (1, 3), start_pos=0",
        hint="mask = causal_mask(T, start_pos + T), built once, given to every block",
    )
    caches = ["cache0", "cache1"]
    yield Case(
        "start_pos=2 with one cache per block: mask (3, 5), block i gets caches[i]",
        call=masks(2, caches),
        expected=mask_check(2, caches),
        show="ids (1, 3), start_pos=2, caches=['cache0', 'cache1']",
        hint="the new tokens sit at positions start_pos.. of a start_pos + T long sequence; block i gets caches[i]",
    )

    def real_model(fwd):
        model = with_seed(3, lambda: GPT(7, 5, 8, 2, 1))
        ids = np.array([[1, 2, 3, 4], [0, 6, 5, 4]])
        changed = ids.copy()
        changed[:, -1] = [6, 0]
        return fwd(model, ids), fwd(model, changed)

    def causal_logits(got):
        a, b = got
        if not isinstance(a, Tensor) or a.shape != (2, 4, 7):
            return f"expected logits of shape (batch, T, vocab) = (2, 4, 7), got {describe(a)}"
        problem = mismatch(a.data[:, :-1], b.data[:, :-1], atol=1e-5)
        if problem:
            return f"changing the last token changed earlier positions' logits ({problem}): is the causal mask used?"
        return None

    yield Case(
        "a real GPT(vocab 7, block 5, E 8): logits (2, 4, 7), earlier positions blind to the last token",
        call=real_model,
        expected=causal_logits,
        show="GPT(7, 5, 8, 2, 1) on ids (2, 4), then with the last token changed",
    )


# ---- sampling ------------------------------------------------------------------------------------------------------
def _freq(draws, vocab):
    # bincount wants the platform's index type (int32 on wasm32 refuses int64 input)
    return np.bincount(np.asarray(draws).reshape(-1).astype(np.intp), minlength=vocab) / np.size(draws)


def _freq_check(probs, n, tol=0.06):
    def check(got):
        arr = np.asarray(got)
        if arr.shape != (n,) or arr.dtype.kind not in "iu":
            return f"expected {n} integer token ids, shape ({n},), got {describe(got)}"
        f = _freq(arr, len(probs))
        worst = int(np.abs(f - probs).argmax())
        if abs(f[worst] - probs[worst]) > tol:
            return (
                f"token {worst} was drawn {f[worst]:.3f} of the time, expected {probs[worst]:.3f} "
                f"(frequencies {np.round(f, 3).tolist()} vs {np.round(probs, 3).tolist()})"
            )
        return None

    return check


def sample_cases():
    logits = np.array([[1.0, 3.0, 2.0, -1.0], [0.5, 0.0, 0.0, 4.0], [2.0, 2.5, 1.0, 0.0]])
    yield Case(
        "temperature 0 is greedy: the argmax of each row",
        (logits, 0.0, None, np.random.default_rng(0)),
        np.array([1, 3, 1]),
        hint="temperature == 0 cannot divide the logits: return logits.argmax(axis=-1)",
    )
    yield Case(
        "top_k=1 keeps only the largest: the argmax even at temperature 1",
        (logits, 1.0, 1, np.random.default_rng(1)),
        np.array([1, 3, 1]),
        hint="after top-k, every logit below the k-th largest must get probability 0 (-inf)",
    )
    row = np.array([2.0, 1.0, 0.0, -0.5])
    many = np.tile(row, (1000, 1))
    yield Case(
        "temperature 1: 1,000 draws follow softmax(logits)",
        (many, 1.0, None, np.random.default_rng(2)),
        _freq_check(np_softmax(row), 1000),
        hint="probabilities p = softmax(logits / temperature) per row; draw with rng.choice(vocab, p=p_row)",
    )
    yield Case(
        "temperature 0.5 sharpens: draws follow softmax(logits / 0.5)",
        (many, 0.5, None, np.random.default_rng(3)),
        _freq_check(np_softmax(row / 0.5), 1000),
        hint="divide the logits by the temperature before the softmax",
    )
    top2 = np_softmax(row[:2])
    yield Case(
        "top_k=2: only tokens 0 and 1, renormalised",
        (many, 1.0, 2, np.random.default_rng(4)),
        _freq_check(np.array([top2[0], top2[1], 0.0, 0.0]), 1000),
        hint="the k-th largest logit per row: np.sort(logits, axis=-1)[:, -k]; set smaller logits to -inf, then "
        "softmax",
    )

    yield Case(
        "top_k=6 on 4 tokens keeps them all (k is capped at the vocabulary)",
        (many, 1.0, 6, np.random.default_rng(5)),
        _freq_check(np_softmax(row), 1000),
        hint="k = min(top_k, vocab): a top_k larger than the vocabulary keeps every token",
    )
    one = np.array([[2.0, 1.0, 0.0, -0.5]])
    yield Case(
        "top_k=3 on one row: never the smallest token 3 (200 draws)",
        call=lambda impl: np.array([impl(one, 1.0, 3, np.random.default_rng(s))[0] for s in range(200)]),
        expected=lambda got: (
            None
            if 3 not in got and len(set(got.tolist())) == 3
            else f"draws {sorted(set(got.tolist()))}: expected tokens 0, 1 and 2 only (all three)"
        ),
        show="logits [[2, 1, 0, -0.5]], temperature 1, top_k=3, seeds 0..199",
        hint="the k-th largest of each row is np.sort(logits, axis=-1)[:, -k] (counted from the end), "
        "with k = min(top_k, vocab = logits.shape[-1])",
    )

    def twice(sample):
        flat = np.zeros((50, 20))
        a = sample(flat, 1.0, None, np.random.default_rng(7))
        b = sample(flat, 1.0, None, np.random.default_rng(7))
        c = sample(flat, 1.0, None, np.random.default_rng(8))
        return a, b, c

    def uses_rng(got):
        a, b, c = (np.asarray(g) for g in got)
        if not np.array_equal(a, b):
            return (
                "the same seeded rng gave different draws: draw with the `rng` argument, not np.random's global state"
            )
        if np.array_equal(a, c):
            return "two different seeds gave the same 50 draws: are the draws random at all?"
        return None

    yield Case(
        "the draws come from the given rng: same seed, same tokens",
        call=twice,
        expected=uses_rng,
        show="50 rows of 20 equal logits, with default_rng(7), default_rng(7), default_rng(8)",
    )


# ---- generation --------------------------------------------------------------------------------------------------
class _NextId(Module):
    """A stand-in language model: the logits of position t favour token (ids[t] + 1) % vocab by 5.

    Like GPT it has `block_size` and refuses longer inputs; it records what each call saw."""

    def __init__(self, vocab=6, block_size=8, flat=False):
        self.vocab_size, self.block_size, self.flat = vocab, block_size, flat
        self.seen = []  # (T, training, grad enabled) per call

    def forward(self, ids, start_pos=0, caches=None):
        idx = np.asarray(ids.data if isinstance(ids, Tensor) else ids)
        if idx.ndim != 2:
            raise ValueError(f"the model expects ids (batch, seq), got shape {idx.shape}")
        if idx.shape[1] > self.block_size:
            raise ValueError(f"a sequence of length {idx.shape[1]} is longer than block_size={self.block_size}")
        self.seen.append((idx.shape[1], self.training, is_grad_enabled()))
        logits = np.zeros(idx.shape + (self.vocab_size,), F32)
        if not self.flat:
            b, t = np.indices(idx.shape)
            logits[b, t, (idx + 1) % self.vocab_size] = 5.0
        return Tensor(logits)

    def __repr__(self):
        return f"model(next id = last id + 1, vocab {self.vocab_size}, block_size {self.block_size})"


def generate_cases():
    yield Case(
        "greedy: prompt [1, 2] + 4 tokens with 'next = last + 1' gives [1, 2, 3, 4, 5, 0]",
        call=lambda gen: gen(_NextId(), np.array([1, 2]), 4, temperature=0.0),
        expected=np.array([1, 2, 3, 4, 5, 0]),
        returns=Tensor,
        dtype=np.int64,
        show="model: next = (last + 1) % 6; prompt [1, 2], max_new_tokens=4, temperature=0",
        hint="each step: logits of the LAST position (logits[:, -1, :]), pick a token, append it, repeat",
    )
    yield Case(
        "a batch of prompts (2, 2) gives (2, 5)",
        call=lambda gen: gen(_NextId(), np.array([[0, 1], [3, 4]]), 3, temperature=0.0),
        expected=np.array([[0, 1, 2, 3, 4], [3, 4, 5, 0, 1]]),
        returns=Tensor,
        dtype=np.int64,
        show="prompt [[0, 1], [3, 4]], max_new_tokens=3, temperature=0",
        hint="keep ids as (batch, T); a 1-D prompt is reshaped to (1, T) and the result back to 1-D",
    )

    def cropped(gen):
        model = _NextId(block_size=3)
        out = gen(model, np.array([0, 1]), 5, temperature=0.0)
        return out, model.seen

    def crop_check(got):
        out, seen = got
        problem = mismatch(out, np.array([0, 1, 2, 3, 4, 5, 0]))
        if problem:
            return problem
        longest = max(t for t, _, _ in seen)
        return None if longest <= 3 else f"the model was fed {longest} tokens, more than its block_size 3"

    yield Case(
        "only the last block_size tokens are fed: block_size 3, 7 tokens in the end",
        call=cropped,
        expected=crop_check,
        show="block_size=3, prompt [0, 1], max_new_tokens=5",
        hint="feed ids[:, -self.block_size:]: the positional table has only block_size rows",
    )

    def modes(gen):
        model = _NextId()
        model.train()
        gen(model, np.array([2]), 3, temperature=0.0)
        return model

    def mode_check(model):
        if any(training for _, training, _ in model.seen):
            return "the model was in training mode while generating (dropout would be active): call self.eval() first"
        if any(grad for _, _, grad in model.seen):
            return "gradients were being recorded while generating: wrap the loop in `with no_grad():`"
        if not model.training:
            return "after generate the model is still in eval mode: restore the mode it had (self.train(was_training))"
        return None

    yield Case(
        "generates in eval mode without recording a graph, then restores training mode",
        call=modes,
        expected=mode_check,
        show="a model in training mode; prompt [2], max_new_tokens=3",
        hint="remember self.training, call self.eval(), loop inside `with no_grad():`, and restore the mode in a "
        "finally",
    )

    def seeded(gen):
        a = gen(_NextId(vocab=50, flat=True), np.array([0]), 8, seed=3)
        b = gen(_NextId(vocab=50, flat=True), np.array([0]), 8, seed=3)
        c = gen(_NextId(vocab=50, flat=True), np.array([0]), 8, seed=4)
        return a, b, c

    def seed_check(got):
        a, b, c = (np.asarray(g.data if isinstance(g, Tensor) else g) for g in got)
        if a.shape != (9,):
            return f"expected 9 ids (prompt + 8), got shape {a.shape}"
        if not np.array_equal(a, b):
            return (
                f"seed=3 twice gave {a.tolist()} and {b.tolist()}: build the rng from the seed "
                "(np.random.default_rng(seed))"
            )
        if np.array_equal(a, c):
            return "seeds 3 and 4 gave the same 8 tokens out of 50 equally likely ones: is the seed used?"
        return None

    yield Case(
        "seed=3 twice gives the same tokens; seed=4 others",
        call=seeded,
        expected=seed_check,
        show="a model with equal logits for 50 tokens; prompt [0], max_new_tokens=8, seeds 3, 3, 4",
    )
    yield Case(
        "top_k=1 at temperature 1 is greedy too",
        call=lambda gen: gen(_NextId(), np.array([4]), 3, temperature=1.0, top_k=1, seed=0),
        expected=np.array([4, 5, 0, 1]),
        returns=Tensor,
        dtype=np.int64,
        show="prompt [4], max_new_tokens=3, temperature=1, top_k=1",
        hint="hand top_k to the given _sample",
    )
    yield Case(
        "a negative temperature raises ValueError naming it",
        call=lambda gen: gen(_NextId(), np.array([1]), 2, temperature=-0.5),
        expected=Raises(ValueError, "-0.5"),
        show="temperature=-0.5",
        hint="temperature must be >= 0 (0 = greedy)",
    )
    yield Case(
        "an empty prompt raises ValueError",
        call=lambda gen: gen(_NextId(), np.zeros(0, np.int64), 2),
        expected=Raises(ValueError, "prompt"),
        show="prompt [] (no tokens)",
        hint="there is no last position to predict from: raise a ValueError saying the prompt needs a token",
    )


PIECES = [
    Piece(
        "layer_norm",
        layer_norm_cases,
        title="layer normalisation, forward and backward",
        todo="normalise over the trailing normalized_shape axes ((x - mean) / sqrt(var + eps)), scale, shift; one op "
        "with its backward",
        hints=[
            "axes = the last len(normalized_shape) axes; mean and biased variance over them with keepdims=True.",
            "Keep xhat = (x - mean) * rstd and rstd = 1 / sqrt(var + eps) for the backward; parents are x, then "
            "weight and bias when given.",
            "Backward: gh = g * weight (or g); dx = rstd * (gh - gh.mean(axes) - xhat * (gh * xhat).mean(axes)) "
            "with keepdims; dweight = g * xhat; dbias = g.",
        ],
    ),
    Piece(
        "TransformerBlock.__init__",
        block_init_cases,
        home=TRANSFORMER_HOME,
        title="the block's layers",
        todo="build ln1, attn (MultiHeadAttention), ln2, mlp (Linear -> GELU -> Linear, hidden = mlp_ratio * E) and "
        "dropout",
        hints=[
            "LayerNorm(embed_dim) twice, MultiHeadAttention(embed_dim, num_heads).",
            "hidden = int(mlp_ratio * embed_dim); self.mlp = Sequential(Linear(E, hidden), GELU(), Linear(hidden, E)); "
            "self.dropout = Dropout(dropout).",
        ],
    ),
    Piece(
        "TransformerBlock.forward",
        block_forward_cases,
        home=TRANSFORMER_HOME,
        title="the pre-norm block",
        todo="x + dropout(attn(ln1(x), mask, cache)), then that + dropout(mlp(ln2(that)))",
        hints=[
            "Two residual steps, each: x = x + self.dropout(sublayer(norm(x))).",
            "The attention also takes the mask and the cache, in that order.",
        ],
    ),
    Piece(
        "GPT.embed",
        embed_cases,
        home=TRANSFORMER_HOME,
        title="token + position embeddings",
        todo="check ids are (batch, T) and fit block_size from start_pos; return drop(tok_emb(ids) + "
        "pos_emb(positions))",
        hints=[
            "idx = ids.data if a Tensor else np.asarray(ids); idx.ndim must be 2 (name the shape if not).",
            "start_pos + T > self.block_size is an error naming both numbers.",
            "self.tok_emb(idx) + self.pos_emb(np.arange(start_pos, start_pos + T)), through self.drop.",
        ],
    ),
    Piece(
        "GPT.forward",
        gpt_forward_cases,
        home=TRANSFORMER_HOME,
        title="the GPT forward pass",
        todo="embed, build causal_mask(T, start_pos + T), run every block (with its cache), return the logits",
        hints=[
            "x = self.embed(ids, start_pos); T = x.shape[1].",
            "The same mask for every block; block i gets caches[i] when caches is given, else None.",
            "Finish with self.logits(x).",
        ],
    ),
    Piece(
        "_sample",
        sample_cases,
        home=TRANSFORMER_HOME,
        title="sampling with temperature and top-k",
        todo="one token id per row of logits (batch, vocab): argmax at temperature 0, else softmax(logits / T) over "
        "the top_k, drawn with rng",
        hints=[
            "temperature == 0: return logits.argmax(axis=-1).",
            "Divide by the temperature; with top_k, find each row's k-th largest value and set every smaller "
            "logit to -inf (np.where).",
            "Stable softmax per row, then one rng.choice(vocab, p=row) per row, as an int64 array.",
        ],
    ),
    Piece(
        "GPT.generate",
        generate_cases,
        home=TRANSFORMER_HOME,
        title="generating text",
        todo="append max_new_tokens sampled tokens to the prompt (eval mode, no_grad, last block_size tokens, seeded "
        "rng)",
        hints=[
            "The given _prepare_prompt(prompt_ids, temperature, seed) returns ids as int64 (batch, T), whether "
            "the prompt was 1-D, and the rng (seeded, else tinytorch's default_rng()); it also checks the arguments.",
            "Each step: run the model on the last block_size tokens, keep the last position's logits (batch, vocab) "
            "as float64, let _sample pick one id per row, and append them to ids as a new column.",
            "Remember self.training, self.eval(), loop inside `with no_grad():`, restore the mode in `finally`; "
            "return a Tensor, 1-D if the prompt was.",
        ],
    ),
]
