"""Module 12 (Attention): every position looks at every (allowed) position and takes a weighted mix.

scaled dot-product attention (in `functional`) is softmax(q k^T / sqrt(d)) v. Multi-head attention
runs it in `num_heads` smaller subspaces side by side: project x to queries, keys and values, split
the embedding into heads, attend in each head, merge the heads back, and project out.

The KV-cache seam (module 17): `forward` is `project_qkv` -> optional `cache.update(k, v)` -> `attend`.
A cache is any object whose `update(k_new, v_new)` appends the new positions' keys/values
(batch, heads, t_new, head_dim) along axis 2 and returns all keys/values so far; queries are then
only the new positions, and `causal_mask(t_new, t_total)` lines the mask up with absolute positions.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import functional as F
from .linear import Linear
from .module import Module


def causal_mask(seq_len: int, key_len: int | None = None) -> Tensor:
    """Boolean (seq_len, key_len) mask, True = may attend: position i sees keys 0..i, never the future.

    With key_len > seq_len the queries are the *last* seq_len positions of a key_len-long sequence
    (generation with cached keys): query i sits at absolute position key_len - seq_len + i.
    """
    key_len = seq_len if key_len is None else key_len
    if key_len < seq_len:
        raise ValueError(f"causal_mask: {seq_len} queries cannot be the last positions of only {key_len} keys")
    return Tensor(np.tri(seq_len, key_len, key_len - seq_len, dtype=bool))


class MultiHeadAttention(Module):
    """Self-attention with `num_heads` heads: (batch, seq, embed_dim) -> (batch, seq, embed_dim).

    Sublayers q_proj, k_proj, v_proj, out_proj are Linear(embed_dim, embed_dim); each head works on
    head_dim = embed_dim // num_heads features. `mask`: boolean, (seq, seq) or broadcastable to
    (batch, heads, seq, seq), True = may attend (e.g. `causal_mask(seq)`).
    """

    def __init__(self, embed_dim: int, num_heads: int, bias: bool = True):
        if embed_dim % num_heads:
            raise ValueError(
                f"MultiHeadAttention: embed_dim={embed_dim} is not divisible by num_heads={num_heads}; "
                f"each head gets embed_dim // num_heads features, so pick e.g. num_heads in "
                f"{[h for h in range(1, embed_dim + 1) if embed_dim % h == 0][:6]}"
            )
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.q_proj = Linear(embed_dim, embed_dim, bias=bias)
        self.k_proj = Linear(embed_dim, embed_dim, bias=bias)
        self.v_proj = Linear(embed_dim, embed_dim, bias=bias)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias)

    def split_heads(self, x: Tensor) -> Tensor:
        """(batch, seq, embed) -> (batch, heads, seq, head_dim): each head sees its own slice of features."""
        b, t, _ = x.shape
        return x.reshape(b, t, self.num_heads, self.head_dim).transpose(1, 2)

    def merge_heads(self, x: Tensor) -> Tensor:
        """(batch, heads, seq, head_dim) -> (batch, seq, embed): the heads' outputs side by side."""
        b, _, t, _ = x.shape
        return x.transpose(1, 2).reshape(b, t, self.embed_dim)

    def project_qkv(self, x: Tensor):
        """Queries, keys and values of x, each (batch, heads, seq, head_dim)."""
        return self.split_heads(self.q_proj(x)), self.split_heads(self.k_proj(x)), self.split_heads(self.v_proj(x))

    def attend(self, q: Tensor, k: Tensor, v: Tensor, mask=None) -> Tensor:
        """Attention of queries q over keys/values k, v (per head), merged and projected: (batch, t_q, embed)."""
        return self.out_proj(self.merge_heads(F.scaled_dot_product_attention(q, k, v, mask)))

    def forward(self, x: Tensor, mask=None, cache=None) -> Tensor:
        if x.ndim != 3 or x.shape[-1] != self.embed_dim:
            raise ValueError(
                f"MultiHeadAttention(embed_dim={self.embed_dim}) expects input (batch, seq, {self.embed_dim}), "
                f"got shape {tuple(x.shape)}" + (" (add a batch axis: x.reshape(1, *x.shape))" if x.ndim == 2 else "")
            )
        q, k, v = self.project_qkv(x)
        if cache is not None:  # module 17: keys/values of earlier positions come from the cache
            k, v = cache.update(k, v)
        return self.attend(q, k, v, mask)

    def extra_repr(self):
        return f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"


__all__ = ["MultiHeadAttention", "causal_mask"]
