"""Module 17 (Memoization): a key/value cache makes each generated token cost O(1) forward work.

Without a cache, generating token t+1 runs the whole model over all t tokens again, although the
keys and values of tokens 0..t-1 are exactly what the previous step computed (a causal model never
lets an earlier position see a later one, so they cannot change). The cache remembers them:

    prefill: one forward pass over the prompt, storing every block's keys and values
    decode:  feed only the newest token at its position; each attention layer appends its k, v to
             the cache and attends over everything stored

Per new token the projections and MLPs then run on 1 position instead of t, and attention reads t
cached keys instead of recomputing them: total work over n new tokens drops from O(n^2) to O(n)
for everything but attention itself.

The seam in the model (`nn/transformer.py`): `GPT.forward(ids, start_pos, caches)` passes one cache
per block down to `MultiHeadAttention`, which calls `cache.update(k_new, v_new)` and attends over
what it returns. `KVCache` preallocates (batch, heads, max_len, head_dim) arrays, so appending is
a copy into place rather than a growing concatenate.

Exactness: a causal model's logits for position t depend only on tokens 0..t at positions 0..t, so
cached and uncached generation compute the same numbers (up to float rounding: a 1-row matrix
product may round differently from a t-row one) and pick the same tokens. Once the sequence is
longer than block_size, the uncached model slides its window (every token changes position each
step), so no cached key stays valid: `generate_cached` then recomputes the window like the uncached
model, and the speed-up applies only up to block_size tokens.
"""

from __future__ import annotations

import time

import numpy as np

from ..nn.transformer import _prepare_prompt, _sample  # the model's own: same checks and draws as GPT.generate
from ..tensor import Tensor, no_grad

__all__ = ["KVCache", "make_caches", "generate_cached", "generate_uncached", "measure_speedup", "cache_bytes"]


class KVCache:
    """Keys and values of one attention layer for positions 0..length-1.

    update(k_new, v_new): k_new, v_new (batch, heads, t_new, head_dim) are written at positions
    length..length+t_new-1; returns Tensors of all keys and values so far, (batch, heads, length, head_dim).
    """

    def __init__(self, max_len: int):
        self.max_len = max_len
        self.length = 0
        self.k = self.v = None

    def update(self, k_new: Tensor, v_new: Tensor):
        kn, vn = k_new.data, v_new.data
        b, h, t, d = kn.shape
        if self.k is None:
            self.k = np.zeros((b, h, self.max_len, d), dtype=kn.dtype)
            self.v = np.zeros((b, h, self.max_len, d), dtype=vn.dtype)
        elif self.k.shape[:2] != (b, h) or self.k.shape[3] != d:
            raise ValueError(
                f"KVCache: new keys of shape {kn.shape} do not match the cached (batch, heads, _, head_dim) "
                f"= {self.k.shape}; use one cache per layer and per batch"
            )
        end = self.length + t
        if end > self.max_len:
            raise ValueError(
                f"KVCache: {end} positions exceed max_len={self.max_len}; make a larger cache "
                "(at most the model's block_size)"
            )
        self.k[:, :, self.length : end] = kn
        self.v[:, :, self.length : end] = vn
        self.length = end
        return Tensor(self.k[:, :, :end], dtype=self.k.dtype), Tensor(self.v[:, :, :end], dtype=self.v.dtype)

    def reset(self) -> None:
        self.length = 0

    def nbytes(self) -> int:
        return 0 if self.k is None else self.k.nbytes + self.v.nbytes


def make_caches(model, max_len: int | None = None) -> list:
    """One empty KVCache per transformer block of a GPT."""
    return [KVCache(max_len or model.block_size) for _ in model.blocks]


def cache_bytes(model, batch: int = 1, length: int | None = None, dtype=np.float32) -> int:
    """Memory the cache takes: 2 (k and v) * layers * batch * length * embed_dim values."""
    length = length or model.block_size
    embed = model.blocks[0].attn.embed_dim
    return 2 * len(model.blocks) * batch * length * embed * np.dtype(dtype).itemsize


def generate_cached(
    model,
    prompt_ids,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: int | None = None,
    return_logits: bool = False,
):
    """`GPT.generate` with a KV-cache: same arguments, same tokens, far less work per token.

    Returns prompt + new tokens (same rank as the prompt); with return_logits=True also the
    (batch, max_new_tokens, vocab) logits each token was sampled from.
    """
    ids, single, rng = _prepare_prompt(prompt_ids, temperature, seed)
    bs = model.block_size
    steps = []
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            caches, pos = None, 0
            for _ in range(max_new_tokens):
                if ids.shape[1] > bs:
                    logits = model(ids[:, -bs:]).data[:, -1, :]  # window slides: nothing reusable
                elif caches is None:
                    caches = make_caches(model, bs)  # prefill: the whole prompt once
                    logits = model(ids, 0, caches).data[:, -1, :]
                    pos = ids.shape[1]
                else:
                    logits = model(ids[:, pos:], pos, caches).data[:, -1, :]  # only the newest token
                    pos = ids.shape[1]
                logits = logits.astype(np.float64)
                steps.append(logits)
                ids = np.concatenate([ids, _sample(logits, temperature, top_k, rng)[:, None]], axis=1)
    finally:
        model.train(was_training)
    out = Tensor(ids[0] if single else ids)
    if return_logits:
        return out, np.stack(steps, axis=1) if steps else np.zeros((ids.shape[0], 0, model.vocab_size))
    return out


def generate_uncached(
    model,
    prompt_ids,
    max_new_tokens: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed: int | None = None,
    return_logits: bool = False,
):
    """The reference: `GPT.generate` itself (every step runs the model over the whole windowed
    sequence), optionally with the logits each token was sampled from, read by a forward hook."""
    steps = []

    def keep_last_logits(module, args, out):
        steps.append(out.data[:, -1, :].astype(np.float64))

    with model.register_forward_hook(keep_last_logits):
        out = model.generate(prompt_ids, max_new_tokens, temperature=temperature, top_k=top_k, seed=seed)
    if return_logits:
        batch = 1 if out.ndim == 1 else out.shape[0]
        return out, np.stack(steps, axis=1) if steps else np.zeros((batch, 0, model.vocab_size))
    return out


def measure_speedup(
    model, prompt_ids, max_new_tokens: int = 128, repeats: int = 3, temperature: float = 0.0, seed: int = 0
) -> dict:
    """Wall time of uncached (`GPT.generate`) vs cached generation of the same tokens; median of repeats.

    Returns seconds for each, tokens/s, the speed-up, whether the tokens were identical, and the
    cache's memory.
    """

    def timed(fn):
        times, out = [], None
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = fn(model, prompt_ids, max_new_tokens, temperature=temperature, seed=seed)
            times.append(time.perf_counter() - t0)
        return float(np.median(times)), out

    t_plain, plain = timed(lambda m, *a, **k: m.generate(*a, **k))
    t_cached, cached = timed(generate_cached)
    prompt = np.asarray(prompt_ids.data if isinstance(prompt_ids, Tensor) else prompt_ids)
    n = 1 if prompt.ndim == 1 else prompt.shape[0]
    return {
        "new tokens": max_new_tokens,
        "uncached s": t_plain,
        "cached s": t_cached,
        "uncached tokens/s": max_new_tokens * n / t_plain,
        "cached tokens/s": max_new_tokens * n / t_cached,
        "speed-up": t_plain / t_cached,
        "same tokens": bool(np.array_equal(plain.data, cached.data)),
        "cache bytes": cache_bytes(model, n, min(model.block_size, prompt.shape[-1] + max_new_tokens)),
    }
