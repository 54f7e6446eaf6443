"""torch's full scaled_dot_product_attention signature on top of the lesson's masked attention.

attn_mask: boolean (True = may attend) or additive float (added to the scores, -inf blocks);
is_causal: each query sees only itself and earlier keys; scale: instead of 1/sqrt(d);
dropout_p: dropout on the attention weights (pass 0 in eval, as torch programs do).
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor, default_rng


def sdpa(q, k, v, mask=None, attn_mask=None, dropout_p: float = 0.0, is_causal: bool = False, scale=None):
    if mask is not None and attn_mask is not None:
        raise TypeError("scaled_dot_product_attention: pass mask= or attn_mask=, not both")
    attn_mask = mask if attn_mask is None else attn_mask
    if is_causal and attn_mask is not None:
        raise ValueError("scaled_dot_product_attention: is_causal=True and attn_mask cannot both be given (as torch)")
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    scores = (q @ k.transpose(-2, -1)) * scale
    if is_causal:
        lq, lk = q.shape[-2], k.shape[-2]
        attn_mask = np.tril(np.ones((lq, lk), dtype=bool))
    if attn_mask is not None:
        m = attn_mask.data if isinstance(attn_mask, Tensor) else np.asarray(attn_mask)
        if m.dtype == np.bool_:
            scores = scores.masked_fill(~m, -np.inf)
        else:
            scores = scores + Tensor(m, dtype=scores.dtype)
    weights = scores.softmax(-1)
    if dropout_p:
        keep = (default_rng().random(weights.shape) >= dropout_p) / (1 - dropout_p)
        weights = weights * Tensor(keep.astype(weights.dtype), dtype=weights.dtype)
    return weights @ v
