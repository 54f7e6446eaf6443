"""Checks of lesson 17 (KV-Cache): appending keys/values into a preallocated cache, the cached
attention step equal to the full forward at the new position, one cache per block and its memory,
and cached generation giving exactly the uncached tokens while feeding one token per step.

Attention references are computed with NumPy from the layer's weights; generation is compared with
an uncached loop written here (the model's full forward over the whole sequence at every step, the
model's own sampler), so no case calls the piece it checks or tinytorch's cached generators.
"""

from __future__ import annotations

import math
import types

import numpy as np

from tinytorch.nn.attention import MultiHeadAttention, causal_mask
from tinytorch.nn.transformer import GPT
from tinytorch.systems.kvcache import KVCache, generate_uncached
from tinytorch.tensor import Tensor, default_rng, no_grad
from tinytorch_course.checks.cases import Case, Piece, Raises
from tinytorch_course.checks.compare import describe, mismatch
from tinytorch_course.checks.fixtures import np_randn

HOME = "tinytorch.systems.kvcache"
F32 = np.float32


def _quietly(build):
    """Build a module without disturbing tinytorch's global generator (the learner's seeded runs)."""
    state = default_rng().bit_generator.state
    try:
        return build()
    finally:
        default_rng().bit_generator.state = state


def _gpt(block_size=8, layers=2, seed=0):
    """A tiny GPT (vocab 11, embed 8, 2 heads) with fixed random weights."""
    model = _quietly(lambda: GPT(vocab_size=11, block_size=block_size, embed_dim=8, num_heads=2, num_layers=layers))
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.data = (rng.standard_normal(p.shape) * 0.5).astype(F32)
    return model


def _mine(cache, update):
    """A KVCache whose update is the learner's function (an instance attribute shadows the class's)."""
    cache.update = types.MethodType(update, cache)
    return cache


# ---- KVCache.update ----------------------------------------------------------------------------------
def _kv_check(k_want, v_want, length, max_len=None):
    def check(got):
        result, cache = got
        if not isinstance(result, tuple) or len(result) != 2:
            return f"update should return (keys, values), got {describe(result)}"
        for label, value, want in (("keys", result[0], k_want), ("values", result[1], v_want)):
            problem = mismatch(value, want, returns=Tensor, dtype=want.dtype)
            if problem:
                return f"{label}: {problem}"
        if cache.length != length:
            return f"cache.length is {cache.length}, expected {length} (positions stored so far)"
        if max_len is not None and (cache.k is None or cache.k.shape[2] != max_len):
            shape = None if cache.k is None else cache.k.shape
            return (
                f"cache.k has shape {shape}; expected it preallocated once with max_len={max_len} positions "
                "on axis 2, so appending is a copy into place, not a growing concatenate"
            )
        return None

    return check


def update_cases():
    k1, v1 = np_randn(1, 1, 2, 3, 4), np_randn(2, 1, 2, 3, 4)
    yield Case(
        "first update: 3 positions of (1, 2, 3, 4) come back, length 3, storage (1, 2, 8, 4)",
        call=lambda impl: (impl(_c := KVCache(8), Tensor(k1), Tensor(v1)), _c),
        expected=_kv_check(k1, v1, 3, max_len=8),
        show="KVCache(max_len=8); k_new, v_new (1, 2, 3, 4)",
        hint="on the first call allocate np.zeros((batch, heads, max_len, head_dim)) for k and for v, then "
        "write the new positions at [:, :, length:length + t]",
    )
    k2, v2 = np_randn(3, 1, 2, 1, 4), np_randn(4, 1, 2, 1, 4)

    def two(impl):
        cache = KVCache(8)
        impl(cache, Tensor(k1), Tensor(v1))
        return impl(cache, Tensor(k2), Tensor(v2)), cache

    yield Case(
        "a second update appends 1 position: all 4 come back, in order",
        call=two,
        expected=_kv_check(np.concatenate([k1, k2], 2), np.concatenate([v1, v2], 2), 4, max_len=8),
        show="KVCache(8); update with 3 positions, then with 1",
        hint="return Tensors of the stored slices [:, :, :length] (length after this update)",
    )

    def overflow(impl):
        cache = KVCache(4)
        impl(cache, Tensor(np_randn(6, 1, 2, 3, 4)), Tensor(np_randn(7, 1, 2, 3, 4)))
        return impl(cache, Tensor(np_randn(8, 1, 2, 2, 4)), Tensor(np_randn(9, 1, 2, 2, 4)))

    yield Case(
        "3 + 2 positions in a cache of max_len 4 raise a ValueError naming 5 and 4",
        call=overflow,
        expected=Raises(ValueError, "5", "4"),
        show="KVCache(4); update with 3 positions, then with 2",
        hint="before writing, check length + t <= max_len and name both numbers in the error",
    )

    def exactly_full(impl):
        cache = KVCache(4)
        impl(cache, Tensor(np_randn(6, 1, 2, 3, 4)), Tensor(np_randn(7, 1, 2, 3, 4)))
        impl(cache, Tensor(np_randn(8, 1, 2, 1, 4)), Tensor(np_randn(9, 1, 2, 1, 4)))
        return cache.length

    yield Case(
        "3 + 1 positions fill a cache of max_len 4 exactly: allowed",
        call=exactly_full,
        expected=4,
        show="KVCache(4); update with 3 positions, then with 1; cache.length",
        hint="a cache may be filled to max_len itself: raise only when length + t > max_len",
    )

    def wrong_heads(impl):
        cache = KVCache(8)
        impl(cache, Tensor(np_randn(6, 1, 2, 3, 4)), Tensor(np_randn(7, 1, 2, 3, 4)))
        return impl(cache, Tensor(np_randn(8, 1, 3, 1, 4)), Tensor(np_randn(9, 1, 3, 1, 4)))

    yield Case(
        "keys with 3 heads into a cache holding 2 raise a ValueError naming the new shape",
        call=wrong_heads,
        expected=Raises(ValueError, "(1, 3, 1, 4)"),
        show="KVCache(8); (1, 2, 3, 4), then (1, 3, 1, 4)",
        hint="batch, heads and head_dim must match the stored ones: one cache per layer (and per batch)",
    )

    x = np_randn(10, 1, 5, 8)
    mha = _quietly(lambda: MultiHeadAttention(8, 2))
    for i, layer in enumerate((mha.q_proj, mha.k_proj, mha.v_proj, mha.out_proj)):
        layer.weight.data = np_randn(20 + i, 8, 8, scale=0.4)
        layer.bias.data = np_randn(30 + i, 8, scale=0.1)

    def cached_step(impl):
        cache = _mine(KVCache(8), impl)
        with no_grad():
            mha(Tensor(x[:, :4]), causal_mask(4), cache)  # prefill: positions 0..3
            return mha(Tensor(x[:, 4:]), causal_mask(1, 5), cache)  # the new position 4 only

    yield Case(
        "inside attention: prefill 4 positions, then 1 new one = the full forward's last row",
        call=cached_step,
        expected=_np_full_attention_last(mha, x),
        returns=Tensor,
        rtol=1e-4,
        atol=1e-5,
        show="MultiHeadAttention(8, 2) with fixed weights, x (1, 5, 8); your cache in its forward",
        hint="attention calls cache.update(k_new, v_new) and attends over what it returns: all positions so "
        "far, oldest first",
    )


def _np_full_attention_last(mha, x):
    """The uncached causal forward over all 5 positions, in NumPy; its last position (1, 1, 8)."""

    def lin(a, layer):
        return a.astype(np.float64) @ layer.weight.data.T.astype(np.float64) + layer.bias.data

    def split(a):
        return a.reshape(1, 5, 2, 4).transpose(0, 2, 1, 3)

    q, k, v = split(lin(x, mha.q_proj)), split(lin(x, mha.k_proj)), split(lin(x, mha.v_proj))
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(4)
    scores = np.where(np.tri(5, 5, dtype=bool), scores, -np.inf)
    e = np.exp(scores - scores.max(-1, keepdims=True))
    out = (e / e.sum(-1, keepdims=True)) @ v
    merged = out.transpose(0, 2, 1, 3).reshape(1, 5, 8)
    return lin(merged, mha.out_proj)[:, 4:].astype(F32)


# ---- one cache per block, and its memory -----------------------------------------------------------
def make_caches_cases():
    def check(n, max_len):
        def run(got):
            if not isinstance(got, list) or len(got) != n:
                return f"expected a list of {n} caches (one per block), got {describe(got)}"
            if len({id(c) for c in got}) != n:
                return "the same cache object appears twice: each block needs its own keys and values"
            for c in got:
                if not isinstance(c, KVCache) or c.max_len != max_len or c.length != 0:
                    return f"expected empty KVCache(max_len={max_len}) objects, got {describe(c)}"
            return None

        return run

    yield Case(
        "a 3-block GPT (block_size 8): 3 empty KVCache(8), distinct",
        (_gpt(layers=3),),
        check(3, 8),
        hint="one KVCache per block in model.blocks; max_len defaults to model.block_size",
    )
    yield Case("max_len=5 overrides the block size", (_gpt(layers=2),), check(2, 5), kwargs={"max_len": 5})


def cache_bytes_cases():
    yield Case(
        "3 blocks, embed 8, block_size 16, batch 1, float32: 2 * 3 * 1 * 16 * 8 * 4 = 3,072",
        (_gpt(block_size=16, layers=3),),
        3072,
        hint="keys and values (2) for every block, batch, position and embedding feature, times the itemsize",
    )
    yield Case(
        "batch 2, length 10: 2 * 3 * 2 * 10 * 8 * 4 = 3,840",
        (_gpt(block_size=16, layers=3),),
        3840,
        kwargs={"batch": 2, "length": 10},
        hint="length defaults to block_size; given, it replaces it",
    )
    yield Case(
        "float16 halves it: 1,536",
        (_gpt(block_size=16, layers=3),),
        1536,
        kwargs={"dtype": np.float16},
        hint="np.dtype(dtype).itemsize is 2 for float16, 4 for float32",
    )


# ---- cached generation -------------------------------------------------------------------------------------
def _uncached(model, prompt, n, temperature=0.0, seed=None):
    """Tokens and logits of plain generation (the whole windowed sequence through the model every
    step): the package's `generate_uncached`, the one reference loop the cached version must match."""
    tokens, logits = generate_uncached(model, prompt, n, temperature, seed=seed, return_logits=True)
    return tokens.data, logits


def _tokens_check(want):
    def check(got):
        data = got.data if isinstance(got, Tensor) else got
        return mismatch(np.asarray(data) if data is not None else None, want)

    return check


def generate_cases():
    model, prompt = _gpt(), np.array([3, 1, 4])
    want, _ = _uncached(model, prompt, 4)
    yield Case(
        "greedy, 1-D prompt [3, 1, 4], 4 new tokens: the same 7 tokens as without a cache, 1-D",
        (model, prompt, 4),
        _tokens_check(want),
        kwargs={"temperature": 0.0},
        returns=Tensor,
        hint="prefill the whole prompt once with fresh caches, then feed only the newest token at its position",
    )
    model2 = _gpt(seed=1)
    want2, _ = _uncached(model2, prompt, 4, temperature=1.0, seed=5)
    yield Case(
        "sampling at temperature 1 with seed 5: the same draws as without a cache",
        (model2, prompt, 4),
        _tokens_check(want2),
        kwargs={"temperature": 1.0, "seed": 5},
        returns=Tensor,
        hint="draw each token with the model's own sampler, _sample(logits, temperature, top_k, rng), "
        "using the rng that _prepare returns",
    )
    batch = np.array([[3, 1, 4], [2, 7, 1]])
    want3, _ = _uncached(model, batch, 3)
    yield Case(
        "a batch of 2 prompts (2, 3) gives (2, 6), the same rows as without a cache",
        (model, batch, 3),
        _tokens_check(want3),
        kwargs={"temperature": 0.0},
        returns=Tensor,
        hint="_prepare makes every prompt 2-D and tells you whether it was a single sequence",
    )

    def spy(impl):
        m = _gpt()
        calls = []
        original = m.forward

        def forward(ids, start_pos=0, caches=None):
            calls.append((np.asarray(ids).shape[1], start_pos, caches is not None))
            return original(ids, start_pos, caches)

        m.forward = forward
        impl(m, prompt, 4, temperature=0.0)
        return calls

    yield Case(
        "the model sees the 3-token prompt once, then 1 token per step at positions 3, 4, 5",
        call=spy,
        expected=[(3, 0, True), (1, 3, True), (1, 4, True), (1, 5, True)],
        show="prompt [3, 1, 4], 4 new tokens; each call to the model recorded as (tokens fed, start_pos, caches given)",
        hint="the last generated token is never fed (nothing comes after it): 4 tokens need 1 prefill + 3 steps",
    )
    long_prompt = np.array([1, 2, 3, 4, 5, 6])
    want4, _ = _uncached(model, long_prompt, 5)
    yield Case(
        "past block_size (6 + 5 > 8) the window slides: still the uncached tokens",
        (model, long_prompt, 5),
        _tokens_check(want4),
        kwargs={"temperature": 0.0},
        returns=Tensor,
        hint="once ids.shape[1] > block_size, positions shift every step and no cached key is valid: run the "
        "model on the last block_size tokens without caches, like the uncached loop",
    )
    want6, logits6 = _uncached(model, long_prompt, 5)

    def window_logits(got):
        if not isinstance(got, tuple) or len(got) != 2:
            return f"with return_logits=True expected (tokens, logits), got {describe(got)}"
        problem = mismatch(np.asarray(got[1], np.float64), logits6, rtol=1e-4, atol=1e-5)
        return f"logits: {problem}" if problem else None

    yield Case(
        "past block_size the logits too are those of the last block_size tokens' final position",
        (model, long_prompt, 5),
        window_logits,
        kwargs={"temperature": 0.0, "return_logits": True},
        hint="model(ids[:, -block_size:]).data[:, -1, :]: the window is the LAST block_size tokens, the logits "
        "those of its last position",
    )
    yield Case(
        "max_new_tokens=0 with return_logits: the prompt and an empty (1, 0, 11) logits array",
        (model, prompt, 0),
        lambda got: (
            None
            if isinstance(got, tuple) and len(got) == 2 and np.asarray(got[1]).shape == (1, 0, 11)
            else f"expected (prompt, logits of shape (1, 0, 11)), got {describe(got)}"
        ),
        kwargs={"temperature": 0.0, "return_logits": True},
        hint="no step ran: return np.zeros((batch, 0, model.vocab_size)) for the logits",
    )
    want5, logits5 = _uncached(model, prompt, 3)

    def with_logits(got):
        if not isinstance(got, tuple) or len(got) != 2:
            return f"with return_logits=True expected (tokens, logits), got {describe(got)}"
        problem = _tokens_check(want5)(got[0])
        if problem:
            return f"tokens: {problem}"
        problem = mismatch(np.asarray(got[1], np.float64), logits5, rtol=1e-4, atol=1e-5)
        return f"logits: {problem}" if problem else None

    yield Case(
        "return_logits=True also gives the (1, 3, 11) logits each token came from",
        (model, prompt, 3),
        with_logits,
        kwargs={"temperature": 0.0, "return_logits": True},
        hint="collect each step's last-position logits (as float64) and np.stack them on axis 1",
    )

    def mode_kept(impl):
        m = _gpt()
        m.train()
        impl(m, prompt, 2, temperature=0.0)
        return m.training

    yield Case(
        "the model's training mode is restored afterwards",
        call=mode_kept,
        expected=True,
        show="a model in training mode",
        hint="remember model.training, call model.eval(), and restore it in "
        "a finally: block with model.train(was_training)",
    )


PIECES = [
    Piece(
        "KVCache.update",
        update_cases,
        title="append keys and values",
        todo="write k_new, v_new at positions length.. of preallocated storage; return all keys and values so far",
        hints=[
            "k_new.data has shape (batch, heads, t, head_dim). On the first call allocate self.k and self.v "
            "with np.zeros((batch, heads, self.max_len, head_dim), dtype=...).",
            "Check the shapes match the storage and that self.length + t <= self.max_len (ValueErrors naming them).",
            "Copy into self.k[:, :, self.length:end], update self.length, return Tensors of self.k[:, :, :end] "
            "and self.v[:, :, :end].",
        ],
    ),
    Piece(
        "make_caches",
        make_caches_cases,
        title="one cache per block",
        todo="return a list with one empty KVCache per transformer block (max_len defaults to model.block_size)",
        hints=["model.blocks is the list of blocks; build a new KVCache for each one."],
    ),
    Piece(
        "cache_bytes",
        cache_bytes_cases,
        title="the cache's memory",
        todo="return 2 (k and v) * blocks * batch * length * embed_dim * bytes per value",
        hints=[
            "The embedding width is model.blocks[0].attn.embed_dim; length defaults to model.block_size.",
            "np.dtype(dtype).itemsize is the bytes per value.",
        ],
    ),
    Piece(
        "generate_cached",
        generate_cases,
        title="generation with a KV-cache",
        todo="generate like GPT.generate, but prefill the prompt once and then feed only the newest token",
        hints=[
            "ids, single, rng = _prepare(model, prompt_ids, temperature, seed). Run in eval mode under no_grad(), "
            "restoring the mode in a finally block.",
            "Each step: if ids.shape[1] > block_size run the model on the window without caches; else if no "
            "caches yet, make_caches and run the whole prompt at start_pos 0; else run ids[:, pos:] at start_pos pos.",
            "Take .data[:, -1, :] as float64, keep it for return_logits, append _sample(logits, temperature, top_k, "
            "rng) to ids; return Tensor(ids[0] if single else ids).",
        ],
    ),
]
