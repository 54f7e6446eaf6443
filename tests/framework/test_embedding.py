"""Module 11 (Embeddings): lookups and their scattered gradients, learned and sinusoidal positions,
and the errors for ids outside the table and sequences longer than the positional table."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.autograd import gradcheck


def test_embedding_looks_up_rows():
    emb = nn.Embedding(10, 4)
    assert emb.weight.shape == (10, 4) and emb.weight.requires_grad
    ids = np.array([[3, 1, 3], [0, 9, 2]])
    out = emb(ids)
    assert out.shape == (2, 3, 4)
    np.testing.assert_array_equal(out.data, emb.weight.data[ids])
    np.testing.assert_array_equal(emb(tt.Tensor(ids)).data, out.data)  # ids as a Tensor too
    assert abs(emb.weight.data.std() - 1) < 0.5  # N(0, 1) as torch.nn.Embedding


def test_embedding_gradient_scatters_and_repeated_ids_accumulate():
    emb = nn.Embedding(5, 3)
    ids = np.array([1, 3, 1, 1])
    g = np.arange(12, dtype=np.float32).reshape(4, 3)
    emb(ids).backward(g)
    expected = np.zeros((5, 3), dtype=np.float32)
    expected[1] = g[0] + g[2] + g[3]
    expected[3] = g[1]
    np.testing.assert_array_equal(emb.weight.grad.data, expected)  # unused rows 0, 2, 4 get exactly 0


def test_embedding_gradcheck_with_repeated_indices(float64):
    emb = nn.Embedding(6, 3)
    ids = np.array([[2, 2, 5], [0, 2, 5]])
    assert gradcheck(lambda w: (emb(ids) * emb(ids[:, ::-1])).sum(axis=-1), [emb.weight])


def test_embedding_matches_torch(torch):
    w = np.random.default_rng(0).standard_normal((7, 4))
    ids = np.array([[1, 6, 1], [1, 0, 3]])
    ours = tt.Tensor(w, requires_grad=True, dtype=np.float64)
    ref = torch.tensor(w, requires_grad=True)
    out, expected = F.embedding(ids, ours), torch.nn.functional.embedding(torch.tensor(ids), ref)
    np.testing.assert_array_equal(out.data, expected.detach().numpy())
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(g)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.grad.data, ref.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_token_id_out_of_range_names_the_id_and_table_size():
    emb = nn.Embedding(65, 8)
    with pytest.raises(IndexError, match=r"token id 70 is out of range for num_embeddings=65 \(valid ids are 0..64\)"):
        emb(np.array([1, 70, 2]))
    with pytest.raises(IndexError, match=r"token id -1 is out of range"):
        emb(np.array([-1]))
    with pytest.raises(TypeError, match=r"integer"):
        emb(np.array([1.0, 2.0]))


def test_learned_positional_embedding_takes_a_length_or_explicit_positions():
    pos = nn.PositionalEmbedding(16, 4)
    assert pos.weight.shape == (16, 4) and pos.weight.requires_grad
    np.testing.assert_array_equal(pos(5).data, pos.weight.data[:5])
    np.testing.assert_array_equal(pos(np.array([7, 8])).data, pos.weight.data[7:9])  # e.g. new tokens at 7, 8
    pos(3).sum().backward()
    assert np.all(pos.weight.grad.data[:3] == 1) and np.all(pos.weight.grad.data[3:] == 0)


def test_sequence_longer_than_the_positional_table_is_a_clear_error():
    for layer in (nn.PositionalEmbedding(8, 4), nn.SinusoidalPositionalEncoding(8, 4)):
        with pytest.raises(
            IndexError, match=r"max_len=8 positions: a sequence of length 12 is longer than the table; use at most 8"
        ):
            layer(12)
        with pytest.raises(IndexError, match=r"position 9 is outside the table of max_len=8"):
            layer(np.array([9]))


def test_sinusoidal_encoding_follows_the_formula():
    d = 6
    pe = nn.SinusoidalPositionalEncoding(50, d)
    table = pe(50).data
    assert table.shape == (50, d) and pe.parameters() == []  # nothing to learn
    for p in (0, 1, 17, 49):
        for i in range(d // 2):
            angle = p / 10000 ** (2 * i / d)
            assert table[p, 2 * i] == pytest.approx(math.sin(angle), abs=1e-6)
            assert table[p, 2 * i + 1] == pytest.approx(math.cos(angle), abs=1e-6)
    np.testing.assert_allclose((table**2).sum(axis=1), d / 2, rtol=1e-5)  # each sin/cos pair has norm 1
    assert "table" in pe.state_dict()


def test_sinusoidal_encoding_odd_dimension():
    table = nn.SinusoidalPositionalEncoding(4, 5)(4).data
    assert table.shape == (4, 5)
    assert table[1, 4] == pytest.approx(math.sin(1 / 10000 ** (4 / 5)), abs=1e-6)


def test_token_plus_position_embeddings_differ_by_position():
    emb, pos = nn.Embedding(10, 8), nn.PositionalEmbedding(4, 8)
    x = emb(np.array([[3, 3, 3, 3]])) + pos(4)
    assert x.shape == (1, 4, 8)
    assert not np.allclose(x.data[0, 0], x.data[0, 1])  # same token, different positions
