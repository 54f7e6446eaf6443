# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python (Pyodide)
#     language: python
#     name: python
# ---

# %% [markdown]
# A language model writes one token at a time. Lesson 13's `GPT.generate` does the obvious thing at
# every step: run the whole model over the whole sequence so far and keep the last position's logits.
# To write token 101 it recomputes everything it computed for tokens 1 to 100, again.
#
# Most of that is wasted. In a causal model position `i` never sees a later position, so the **keys
# and values** that attention computed for tokens 1 to 100 are exactly the same at the next step.
# **Memoization**, remembering results instead of recomputing them, turns into a **KV-cache**: each
# attention layer stores its keys and values, and each new token only computes its own.
#
# | piece | what it does |
# |---|---|
# | `KVCache.update` | appends new keys/values into preallocated storage, returns everything so far |
# | `make_caches` | one cache per transformer block |
# | `cache_bytes` | what the cache costs in memory |
# | `generate_cached` | generation: the prompt once ("prefill"), then one token per step ("decode") |
#
# The model side is already in place (lessons 12 and 13): `GPT.forward(ids, start_pos, caches)` takes
# explicit positions and hands each block its cache, and `MultiHeadAttention.forward(x, mask, cache)`
# calls `cache.update(k, v)` and attends over what it returns. The checks hold you to the one property
# that matters: **the cached model produces exactly the tokens the uncached one does**.

# %%
import time

import numpy as np

import tinytorch as tt
from tinytorch import nn
from tinytorch.nn.attention import causal_mask
from tinytorch.systems import kvcache as KV
from tinytorch.systems import profiling as P
from tinytorch.systems.kvcache import KVCache, Tensor, _prepare_prompt, _sample, make_caches, no_grad
from tinytorch_course.checks import Lesson, implement, use_my_work
from tinytorch_course.timing import best_time

lesson = Lesson("17_memoization")
use_my_work(before=lesson)  # your code from earlier lessons (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. The cache: append into preallocated storage
#
# Inside attention, keys and values have shape `(batch, heads, T, head_dim)`. A `KVCache(max_len)`
# (constructor given: `self.max_len`, `self.length = 0`, `self.k = self.v = None`) stores them for
# positions `0 .. length-1`. `update(k_new, v_new)` receives the new positions' keys and values, `T_new`
# of them (the whole prompt at first, then 1 per step), and:
#
# 1. on the first call, **allocates** `self.k` and `self.v` once, `np.zeros((batch, heads, max_len,
#    head_dim))` with the new keys' dtype. Growing the arrays with `np.concatenate` at every step would
#    copy all the keys so far each time: `O(n^2)` copying over `n` steps, the very cost the cache removes;
# 2. checks that the new keys fit: same batch, heads and head_dim as the storage (else a `ValueError`
#    naming the new shape; one cache serves one layer), and `length + T_new <= max_len` (else a
#    `ValueError` naming both numbers);
# 3. copies them into place at positions `length .. length + T_new - 1` and advances `length`;
# 4. returns **all** keys and values so far as Tensors: `self.k[:, :, :length]` and the same for `v`
#    (views: no copy).
#
# `k_new` and `v_new` are Tensors; work on their `.data`. (A cache is only used for inference, under
# `no_grad()`: no gradient flows through it.)

# %%
# solution: KVCache.update

# %%
lesson.check("KVCache.update")

# %% [markdown]
# ## 2. The cached attention step
#
# What attention does with a cache, for `T_new` new positions after `L` cached ones:
#
# ```
# q, k, v = project_qkv(x_new)           # each (batch, heads, T_new, head_dim): only the new positions
# k, v = cache.update(k, v)              # now (batch, heads, L + T_new, head_dim): all positions
# out = attend(q, k, v, causal_mask(T_new, L + T_new))
# ```
#
# The queries are only the new positions, the keys are all of them. `causal_mask(T_new, L + T_new)`
# lines the mask up with absolute positions: new query `i` sits at position `L + i` and may see keys
# `0 .. L + i`. For a single new token (`T_new = 1`) the mask allows every key.
#
# Here is that step by hand, with a `KVCache` (your `update` once its checks pass), against the full
# uncached forward over all 6 positions: the new position's output is the same.

# %%
tt.manual_seed(0)
attn = nn.MultiHeadAttention(16, 4)
x = tt.randn(1, 6, 16, seed=1)
with tt.no_grad():
    full = attn(x, causal_mask(6))  # no cache: all 6 positions at once
    cache = KV.KVCache(max_len=8)
    attn(tt.Tensor(x.data[:, :5]), causal_mask(5), cache)  # prefill: positions 0..4 go into the cache
    q, k, v = attn.project_qkv(tt.Tensor(x.data[:, 5:]))  # the new position 5 only
    k_all, v_all = cache.update(k, v)
    step = attn.attend(q, k_all, v_all, causal_mask(1, 6))
print(f"cache holds {cache.length} positions; keys {k_all.shape}")
print(f"largest difference from the full forward at position 5: {np.abs(step.data - full.data[:, 5:]).max():.2e}")

# %% [markdown]
# The difference is rounding (a 1-row matrix product can round differently from a 6-row one), not
# an error: mathematically the two are identical.
#
# ## 3. One cache per block, and what it costs
#
# A GPT has one attention layer per transformer block, each with its own keys and values:
# `make_caches(model, max_len=None)` returns one fresh `KVCache` per block (`model.blocks`), with
# `max_len` defaulting to the model's `block_size` (positions beyond it do not exist).
#
# The price of memoization is memory. Per block the cache holds keys and values, 2 arrays of
# `batch x max_len x embed_dim` values (heads x head_dim = embed_dim). `cache_bytes(model, batch=1,
# length=None, dtype=np.float32)` computes the total for a given length (default `block_size`);
# `model.blocks[0].attn.embed_dim` is the width, `np.dtype(dtype).itemsize` the bytes per value.
# GPT-2 small (12 blocks, width 768, 1,024 positions) needs 75 MB of cache per sequence in float32:
# serving many users at once is limited by this memory, not by the weights.

# %%
# solution: make_caches, cache_bytes

# %%
lesson.check("make_caches")

# %%
lesson.check("cache_bytes")

# %% [markdown]
# ## 4. Cached generation
#
# `generate_cached(model, prompt_ids, max_new_tokens, temperature=1.0, top_k=None, seed=None,
# return_logits=False)` takes `GPT.generate`'s arguments and must return the same tokens. The given
# `_prepare(model, prompt_ids, temperature, seed)` validates them and returns `(ids, single, rng)`:
# the prompt as a 2-D int64 array `(batch, T)`, whether it was one 1-D sequence, and the random
# generator to sample with. Then, in evaluation mode and under `no_grad()`, for each new token:
#
# - **prefill** (first step): make the caches and run the whole prompt, `model(ids, 0, caches)`;
# - **decode** (later steps): run only the tokens not seen yet, `model(ids[:, pos:], pos, caches)`,
#   where `pos` is how many positions the caches hold (one new token per step);
# - take the last position's logits, `.data[:, -1, :]` as float64, and draw the next token with the
#   model's own sampler `_sample(logits, temperature, top_k, rng)` (given, from lesson 13), then append
#   it to `ids`.
#
# **Past `block_size`** the uncached model feeds only the last `block_size` tokens, so every token shifts
# one position left at each step: every cached key is computed at the wrong position, and nothing is
# reusable. Then run the model on that window without caches, exactly like the uncached loop: the
# speed-up applies up to `block_size` tokens (real models have long contexts for this reason).
#
# Return `Tensor(ids)` in the prompt's rank (`ids[0]` for a single sequence); with `return_logits=True`
# also the `(batch, max_new_tokens, vocab)` stack of the logits each token was drawn from. Restore the
# model's training mode at the end, in a `finally:` block (`model.training`, `model.train(mode)`).

# %%
# solution: generate_cached

# %%
lesson.check("generate_cached")

# %% [markdown]
# ## 5. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your cache in later lessons
#
# Each piece whose checks pass now runs inside tinytorch in this notebook: `KV.generate_cached` and
# `KV.measure_speedup` below use your cache and your generation loop. Later lessons and the milestones
# start from tinytorch's reference; `use_my_work()` (from `tinytorch_course.checks`) switches your saved pieces on there
# (`use_reference()` switches back). Milestone 2018 (MLPerf) and the capstone measure the
# cache on a trained model.

# %% [markdown]
# ## 6. Systems: what the cache saves
#
# **Work per token.** Lesson 14's `P.count_flops` counts the matrix-product FLOPs each generation step
# actually executes. Without a cache, step `t` pushes all `t` positions through every layer; with it,
# one position, whose attention reads the `t` cached keys:

# %%
tt.manual_seed(0)
gpt = nn.GPT(vocab_size=32, block_size=128, embed_dim=32, num_heads=4, num_layers=2)
gpt.eval()
print(
    f"model: {P.count_parameters(gpt):,} parameters, {P.parameter_bytes(gpt):,} bytes; "
    f"a full cache: {KV.cache_bytes(gpt):,} bytes"
)
print("\nposition t   FLOPs uncached   FLOPs cached   ratio")
with tt.no_grad():
    for t in (8, 32, 64, 127):
        ids = np.arange(t + 1).reshape(1, -1) % 32
        _, full = P.count_flops(gpt, ids)
        caches = KV.make_caches(gpt)
        gpt(ids[:, :t], 0, caches)  # prefill t positions (not counted)
        _, step = P.count_flops(gpt, ids[:, t:], t, caches)  # the new token at position t
        print(
            f"{t:10d}   {sum(full.values()):14,}   {sum(step.values()):12,}   "
            f"{sum(full.values()) / sum(step.values()):5.1f}x"
        )

# %% [markdown]
# The same comparison in time: the cost of producing the token at position t, by running the whole
# prefix again (uncached) or one position with your cache (cached), for every eighth position.


# %%
def token_ms(t, cached, repeats=3):
    """Milliseconds to compute the logits of position t (best of `repeats`)."""
    ids = np.arange(t + 1).reshape(1, -1) % 32

    def prefilled():
        caches = KV.make_caches(gpt)
        gpt(ids[:, :t], 0, caches)  # prefill: not timed
        return caches

    with tt.no_grad():
        if cached:
            return 1e3 * best_time(lambda caches: gpt(ids[:, t:], t, caches), repeats, setup=prefilled)
        return 1e3 * best_time(lambda: gpt(ids), repeats)


import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

positions = list(range(8, 128, 8))
fig, ax = viz.figure(size=(5.5, 3.2))
ax.plot(positions, [token_ms(t, cached=False) for t in positions], marker="o", label="uncached: whole prefix")
ax.plot(positions, [token_ms(t, cached=True) for t in positions], marker="s", label="cached: one position")
ax.set_xlabel("position t of the new token")
ax.set_ylabel("ms per token")
ax.set_title("Time per generated token")
ax.legend()
viz.show(fig)

# %% [markdown]
# Uncached, the work per token grows with the position, so generating `n` tokens costs `O(n^2)`;
# cached, it is nearly constant (only attention's reads of the cached keys grow), so `n` tokens cost
# about `O(n)`.
#
# **Time.** `KV.measure_speedup` times `GPT.generate` against `KV.generate_cached` on the same greedy
# generation (median of 3 runs each) and checks that the tokens are identical:

# %%
prompt = np.arange(8) % 32
print("new tokens   uncached s   cached s   speed-up   same tokens   cache bytes")
for n in (30, 120):
    r = KV.measure_speedup(gpt, prompt, max_new_tokens=n, repeats=3)
    print(
        f"{n:10d}   {r['uncached s']:10.3f}   {r['cached s']:8.3f}   {r['speed-up']:7.1f}x   "
        f"{str(r['same tokens']):>11s}   {r['cache bytes']:11,}"
    )

# %% [markdown]
# The speed-up grows with the length, as the FLOP counts predict, but less than they do: a cached
# step on one token is so little arithmetic that Python and per-op overhead (the same at any length)
# dominate it, and that overhead is larger in the browser. Real inference engines fight exactly this
# with fused kernels (lesson 18). The cache's memory grows linearly with the length and the batch:
# that trade, memory for recomputation, is the whole idea of memoization.
