"""Module 11 (Embeddings): token ids -> vectors, and the position information attention lacks.

`Embedding` is a learnable lookup table. Attention is blind to order, so a model adds a vector
per position: either learned (`PositionalEmbedding`, as GPT does) or fixed sines and cosines
(`SinusoidalPositionalEncoding`, "Attention Is All You Need"). Both take *explicit* positions,
so a model generating one token at a time can ask for position t without recomputing 0..t-1.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor, default_rng, get_default_dtype
from . import functional as F
from .module import Module, Parameter


def _positions(positions) -> np.ndarray:
    """An int becomes arange(n) (the positions of a length-n sequence); arrays/Tensors pass through."""
    if isinstance(positions, (int, np.integer)):
        return np.arange(int(positions))
    return positions.data if isinstance(positions, Tensor) else np.asarray(positions)


class Embedding(Module):
    """A table of `num_embeddings` learnable vectors of size `embedding_dim`; ids (...) -> (..., dim).

    Initialised N(0, 1) as torch.nn.Embedding. The gradient of a lookup lands only in the rows that
    were used, and a row used k times receives the sum of its k gradients.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int):
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Parameter(
            default_rng().standard_normal((num_embeddings, embedding_dim)).astype(get_default_dtype())
        )

    def forward(self, ids):
        return F.embedding(ids, self.weight)  # checks dtype and range, naming the bad id

    def extra_repr(self):
        return f"{self.num_embeddings}, {self.embedding_dim}"


class PositionalEmbedding(Module):
    """Learned position vectors: a (max_len, embedding_dim) table indexed by position.

    forward(positions): an int n (positions 0..n-1) or an int array of positions -> (..., dim).
    Positions at or beyond max_len have no row: that is an error, not a silent wrap-around.
    """

    def __init__(self, max_len: int, embedding_dim: int):
        self.max_len, self.embedding_dim = max_len, embedding_dim
        self.weight = Parameter(
            (default_rng().standard_normal((max_len, embedding_dim)) * 0.02).astype(get_default_dtype())
        )

    def forward(self, positions):
        pos = _positions(positions)
        _check_positions(pos, self.max_len, "PositionalEmbedding")
        return F.embedding(pos, self.weight)

    def extra_repr(self):
        return f"max_len={self.max_len}, embedding_dim={self.embedding_dim}"


class SinusoidalPositionalEncoding(Module):
    """Fixed position vectors: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(same angle).

    Each pair of dimensions is a clock at its own frequency, so relative offsets are linear
    functions of the encoding. Nothing is learned; the table is a buffer (saved in state_dict).
    """

    def __init__(self, max_len: int, embedding_dim: int):
        self.max_len, self.embedding_dim = max_len, embedding_dim
        pos = np.arange(max_len)[:, None]
        freq = np.exp(-math.log(10000.0) * np.arange(0, embedding_dim, 2) / embedding_dim)
        table = np.zeros((max_len, embedding_dim))
        table[:, 0::2] = np.sin(pos * freq)
        table[:, 1::2] = np.cos(pos * freq[: embedding_dim // 2])
        self.register_buffer("table", table.astype(get_default_dtype()))

    def forward(self, positions):
        pos = _positions(positions)
        _check_positions(pos, self.max_len, "SinusoidalPositionalEncoding")
        return Tensor(self.table[pos])

    def extra_repr(self):
        return f"max_len={self.max_len}, embedding_dim={self.embedding_dim}"


def _check_positions(pos, max_len, what):
    if pos.dtype.kind not in "iu":
        raise TypeError(f"{what}: positions must be integers, got dtype {pos.dtype}")
    if pos.size and (pos.min() < 0 or pos.max() >= max_len):
        raise IndexError(
            f"{what}: position {int(pos.max() if pos.max() >= max_len else pos.min())} is outside the table of "
            f"max_len={max_len} positions: a sequence of length {int(pos.max()) + 1} is longer than the table; "
            f"use at most {max_len} tokens or build the layer with a larger max_len"
        )


__all__ = ["Embedding", "PositionalEmbedding", "SinusoidalPositionalEncoding"]
