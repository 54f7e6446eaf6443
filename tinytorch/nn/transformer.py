"""Module 13 (Transformers): LayerNorm, the pre-norm transformer block, and a small GPT.

GPT is the decoder-only language model: token + position embeddings, a stack of causal
TransformerBlocks, a final LayerNorm and a linear head back to vocabulary logits (optionally sharing
the token-embedding matrix). `generate` samples one token at a time.

The KV-cache seam (module 17) — what a cached generator needs is already here:
  * `GPT.forward(ids, start_pos=0, caches=None)`: positions are explicit (start_pos .. start_pos+T-1),
    so a call can feed only the *new* tokens; `caches` is one cache object per block, passed down as
    `TransformerBlock.forward(x, mask, cache)` -> `MultiHeadAttention.forward(x, mask, cache)`,
    which calls `cache.update(k_new, v_new)` (shapes (B, heads, T_new, head_dim)) and must get back
    all keys/values so far. GPT builds the matching mask `causal_mask(T, start_pos + T)`.
  * Finer-grained pieces for a hand-written cached step: `MultiHeadAttention.project_qkv(x)` and
    `.attend(q, k, v, mask)`, `TransformerBlock.ln1/attn/ln2/mlp`, `GPT.embed(ids, start_pos)` and
    `GPT.logits(x)`.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor, default_rng, get_default_dtype, no_grad
from . import functional as F
from .activations import GELU
from .attention import MultiHeadAttention, causal_mask
from .embedding import Embedding, PositionalEmbedding
from .linear import Dropout, Linear
from .module import Module, ModuleList, Parameter, Sequential


class LayerNorm(Module):
    """Normalise each example's trailing `normalized_shape` features to mean 0 and variance 1,
    then scale by `weight` (init 1) and shift by `bias` (init 0). Unlike BatchNorm it needs no
    batch statistics, so it behaves the same in training, evaluation and one-token generation.
    """

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True):
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.eps = eps
        dtype = get_default_dtype()
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if elementwise_affine else None

    def forward(self, x):
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}"


class TransformerBlock(Module):
    """Pre-norm block: x = x + attn(ln1(x), mask); x = x + mlp(ln2(x)).  (batch, seq, E) -> same.

    The MLP is Linear(E, mlp_ratio*E) -> GELU -> Linear(mlp_ratio*E, E). Normalising *before* each
    sublayer keeps the residual path an identity, which is why deep stacks of these train stably.
    `dropout` applies to each sublayer's output before it is added back (training mode only).
    """

    def __init__(self, embed_dim: int, num_heads: int, mlp_ratio: int = 4, dropout: float = 0.0):
        hidden = int(mlp_ratio * embed_dim)
        self.ln1 = LayerNorm(embed_dim)
        self.attn = MultiHeadAttention(embed_dim, num_heads)
        self.ln2 = LayerNorm(embed_dim)
        self.mlp = Sequential(Linear(embed_dim, hidden), GELU(approximate="tanh"), Linear(hidden, embed_dim))
        self.dropout = Dropout(dropout)

    def forward(self, x: Tensor, mask=None, cache=None) -> Tensor:
        x = x + self.dropout(self.attn(self.ln1(x), mask, cache))
        return x + self.dropout(self.mlp(self.ln2(x)))


class GPT(Module):
    """Decoder-only language model: ids (batch, T) -> next-token logits (batch, T, vocab_size).

    Position t's logits depend only on tokens 0..t (a causal mask in every block), so one forward
    pass trains all T next-token predictions at once. With tie_weights=True the output head reuses
    the token-embedding matrix (GPT-2 does this: fewer parameters, often better small models).
    """

    def __init__(
        self,
        vocab_size: int,
        block_size: int,
        embed_dim: int,
        num_heads: int,
        num_layers: int,
        tie_weights: bool = True,
        mlp_ratio: int = 4,
        dropout: float = 0.0,
    ):
        self.vocab_size, self.block_size = vocab_size, block_size
        self.tok_emb = Embedding(vocab_size, embed_dim)
        self.tok_emb.weight.data *= 0.02  # GPT-2's scale: keeps the tied head's first logits near 0
        self.pos_emb = PositionalEmbedding(block_size, embed_dim)
        self.drop = Dropout(dropout)
        self.blocks = ModuleList(TransformerBlock(embed_dim, num_heads, mlp_ratio, dropout) for _ in range(num_layers))
        self.ln_f = LayerNorm(embed_dim)
        self.head = Linear(embed_dim, vocab_size, bias=False)
        if tie_weights:
            self.head.weight = self.tok_emb.weight  # one Parameter, two uses: its gradients add up

    def embed(self, ids, start_pos: int = 0) -> Tensor:
        """Token + position embeddings of ids (batch, T) at positions start_pos .. start_pos+T-1."""
        idx = ids.data if isinstance(ids, Tensor) else np.asarray(ids)
        if idx.ndim != 2:
            raise ValueError(
                f"GPT expects token ids of shape (batch, seq), got shape {idx.shape}"
                + (" (one sequence? use ids.reshape(1, -1))" if idx.ndim == 1 else "")
            )
        t = idx.shape[1]
        if start_pos + t > self.block_size:
            raise ValueError(
                f"GPT: a sequence of length {start_pos + t} is longer than block_size={self.block_size} "
                f"(the positional table has {self.block_size} rows); feed at most the last {self.block_size} tokens"
            )
        return self.drop(self.tok_emb(idx) + self.pos_emb(np.arange(start_pos, start_pos + t)))

    def logits(self, x: Tensor) -> Tensor:
        """Final LayerNorm and the vocabulary head: (batch, T, E) -> (batch, T, vocab_size)."""
        return self.head(self.ln_f(x))

    def forward(self, ids, start_pos: int = 0, caches=None) -> Tensor:
        x = self.embed(ids, start_pos)
        t = x.shape[1]
        mask = causal_mask(t, start_pos + t)
        for i, block in enumerate(self.blocks):
            x = block(x, mask, None if caches is None else caches[i])
        return self.logits(x)

    def generate(
        self,
        prompt_ids,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        seed: int | None = None,
    ) -> Tensor:
        """Extend prompt_ids ((T,) or (batch, T) ints) by max_new_tokens sampled tokens.

        Each step feeds the last block_size tokens, takes the last position's logits, divides them by
        `temperature` (0 means greedy: always the most likely token), keeps the `top_k` largest if
        given, and samples from the softmax. Returns prompt + new tokens, same rank as the prompt.
        Runs in eval mode without recording a graph; the model's train/eval mode is restored after.
        """
        ids, single, rng = _prepare_prompt(prompt_ids, temperature, seed)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                for _ in range(max_new_tokens):
                    logits = self(ids[:, -self.block_size :]).data[:, -1, :].astype(np.float64)
                    ids = np.concatenate([ids, _sample(logits, temperature, top_k, rng)[:, None]], axis=1)
        finally:
            self.train(was_training)
        return Tensor(ids[0] if single else ids)


def _prepare_prompt(prompt_ids, temperature: float, seed):
    """The prompt as int64 (batch, T), whether it was 1-D, and the sampling generator (seeded or
    tinytorch's global one); rejects an empty prompt and a negative temperature."""
    ids = np.asarray(prompt_ids.data if isinstance(prompt_ids, Tensor) else prompt_ids, dtype=np.int64)
    single = ids.ndim == 1
    ids = ids.reshape(1, -1) if single else ids
    if ids.shape[1] == 0:
        raise ValueError("generate needs a prompt of at least one token")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0 (0 = greedy), got {temperature}")
    rng = np.random.default_rng(seed) if seed is not None else default_rng()
    return ids, single, rng


def _sample(logits: np.ndarray, temperature: float, top_k, rng) -> np.ndarray:
    """One token id per row of logits (batch, vocab)."""
    if temperature == 0:
        return logits.argmax(axis=-1)
    logits = logits / temperature
    if top_k is not None:
        kth = np.sort(logits, axis=-1)[:, -min(top_k, logits.shape[-1]), None]
        logits = np.where(logits < kth, -np.inf, logits)
    p = np.exp(logits - logits.max(axis=-1, keepdims=True))
    p /= p.sum(axis=-1, keepdims=True)
    return np.array([rng.choice(p.shape[-1], p=row) for row in p], dtype=np.int64)


__all__ = ["LayerNorm", "TransformerBlock", "GPT"]
