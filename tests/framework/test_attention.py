"""Module 12 (Attention): scaled dot-product attention with boolean masks, the causal mask helper,
and MultiHeadAttention — finite differences, PyTorch parity, causality, head split/merge, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.autograd import gradcheck
from tinytorch.nn.attention import causal_mask

RAGGED = np.array(
    [
        [1, 1, 0, 1, 0],  # an arbitrary (Lq=3, Lk=5) pattern, at least one True per row
        [0, 1, 1, 0, 0],
        [1, 1, 1, 1, 1],
    ],
    dtype=bool,
)


# ---- causal_mask ----------------------------------------------------------------------------------
def test_causal_mask_is_lower_triangular_true_means_attend():
    m = causal_mask(4)
    assert isinstance(m, tt.Tensor) and m.dtype == np.bool_ and m.shape == (4, 4)
    np.testing.assert_array_equal(m.data, np.tril(np.ones((4, 4), dtype=bool)))
    assert m.data[3, 0] and not m.data[0, 3]  # the last position sees the first, not vice versa


def test_causal_mask_for_new_queries_over_cached_keys():
    m = causal_mask(2, 5).data  # queries are positions 3 and 4 of 5
    np.testing.assert_array_equal(m, [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]])
    np.testing.assert_array_equal(causal_mask(5, 5).data[-2:], m)
    with pytest.raises(ValueError, match="3 queries cannot be the last positions of only 2 keys"):
        causal_mask(3, 2)


# ---- scaled dot-product attention -----------------------------------------------------------------
def test_attention_by_hand():
    q = tt.Tensor([[1.0, 0.0]])
    k = tt.Tensor([[1.0, 0.0], [0.0, 1.0]])
    v = tt.Tensor([[10.0], [20.0]])
    w = np.exp([1 / math.sqrt(2), 0])
    w /= w.sum()
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v).data, [[w @ [10, 20]]], rtol=1e-6)
    only_second = F.scaled_dot_product_attention(q, k, v, mask=np.array([[False, True]]))
    np.testing.assert_allclose(only_second.data, [[20.0]], rtol=1e-6)


@pytest.mark.parametrize("mask", [None, "causal", "ragged", "batched"])
def test_attention_gradcheck_with_masks(check_grad, mask):
    lk = 3 if mask == "causal" else 5
    masks = {
        None: None,
        "causal": causal_mask(3).data,
        "ragged": RAGGED,
        "batched": np.broadcast_to(RAGGED, (2, 2, 3, 5)).copy(),
    }
    m = masks[mask]
    if mask == "batched":
        m[1, 0] = True  # masks may differ per batch element / head
    check_grad(
        lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v, m), (2, 2, 3, 4), (2, 2, lk, 4), (2, 2, lk, 3)
    )


@pytest.mark.parametrize("mask", [None, "causal", "ragged"])
def test_attention_matches_torch(check_torch, mask):
    lk = 3 if mask == "causal" else 5
    m = {None: None, "causal": causal_mask(3).data, "ragged": RAGGED}[mask]

    def attend(L, q, k, v):
        return L.F.scaled_dot_product_attention(q, k, v, None if m is None else L.tensor(m))

    check_torch(attend, (2, 2, 3, 4), (2, 2, lk, 4), (2, 2, lk, 3))


def test_masked_keys_get_no_weight_and_no_gradient(float64):
    q = tt.randn(1, 3, 4, seed=0, requires_grad=True)
    k = tt.randn(1, 5, 4, seed=1, requires_grad=True)
    v = tt.randn(1, 5, 2, seed=2, requires_grad=True)
    mask = RAGGED.copy()
    mask[:, 4] = False  # key 4 is hidden from every query
    out = F.scaled_dot_product_attention(q, k, v, mask)
    v2 = v.data.copy()
    v2[:, 4] = 1e6  # so its value cannot matter
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, tt.Tensor(v2), mask).data, out.data)
    out.sum().backward()
    assert np.all(k.grad.data[:, 4] == 0) and np.all(v.grad.data[:, 4] == 0)
    assert np.all(k.grad.data[:, :4] != 0) and np.all(v.grad.data[:, :4] != 0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_query_without_keys_gets_a_uniform_mix_the_others_exact_zeros(dtype):
    """Hidden keys get -inf where the query sees some key (weight exactly 0, the fast exp), a finite
    fill where it sees none: that row is then the plain average of the values, never NaN."""
    rng = np.random.default_rng(0)
    q, k, v = (tt.tensor(rng.standard_normal((2, 1, 5, 4)).astype(dtype)) for _ in range(3))
    blind = np.tril(np.ones((5, 5), dtype=bool))
    blind[2] = False
    for mask in (blind, np.broadcast_to(blind, (2, 1, 5, 5))):
        out = F.scaled_dot_product_attention(q, k, v, mask).data
        assert np.isfinite(out).all()
        np.testing.assert_allclose(out[:, 0, 2], v.data[:, 0].mean(axis=1), rtol=1e-5)
        np.testing.assert_allclose(out[:, 0, 0], v.data[:, 0, 0], rtol=1e-6)  # query 0 sees key 0 alone


# ---- MultiHeadAttention ---------------------------------------------------------------------------
def test_mha_layout_and_head_split_merge_round_trip():
    mha = nn.MultiHeadAttention(12, 3)
    assert (mha.head_dim, mha.num_heads) == (4, 3)
    names = [n for n, _ in mha.named_parameters()]
    assert names == [f"{p}_proj.{w}" for p in "qkv" for w in ("weight", "bias")] + ["out_proj.weight", "out_proj.bias"]
    assert all(isinstance(getattr(mha, f"{p}_proj"), nn.Linear) for p in ("q", "k", "v", "out"))
    x = tt.randn(2, 5, 12, seed=0)
    heads = mha.split_heads(x)
    assert heads.shape == (2, 3, 5, 4)
    np.testing.assert_array_equal(heads.data[1, 2, 3], x.data[1, 3, 8:12])  # head h holds features h*4..h*4+3
    np.testing.assert_array_equal(mha.merge_heads(heads).data, x.data)
    assert mha(x).shape == (2, 5, 12)
    assert [n for n, _ in nn.MultiHeadAttention(8, 2, bias=False).named_parameters()] == [
        "q_proj.weight",
        "k_proj.weight",
        "v_proj.weight",
        "out_proj.weight",
    ]


def test_mha_gradcheck_inputs_and_every_weight(float64):
    mha = nn.MultiHeadAttention(6, 2)
    x = tt.randn(2, 4, 6, seed=3, requires_grad=True)
    assert gradcheck(lambda x, *ps: mha(x, causal_mask(4)), [x, *mha.parameters()])


@pytest.mark.parametrize("masked", [False, True])
def test_mha_matches_torch_multihead_attention(torch, float64, masked):
    """Same projections as torch.nn.MultiheadAttention (its in_proj stacks q, k, v; its bool mask
    uses True = *blocked*, so it gets the complement of ours)."""
    E, H, T = 8, 2, 5
    ours = nn.MultiHeadAttention(E, H)
    ref = torch.nn.MultiheadAttention(E, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        ref.in_proj_weight.copy_(
            torch.tensor(np.concatenate([ours.q_proj.weight.data, ours.k_proj.weight.data, ours.v_proj.weight.data]))
        )
        ref.in_proj_bias.copy_(
            torch.tensor(np.concatenate([ours.q_proj.bias.data, ours.k_proj.bias.data, ours.v_proj.bias.data]))
        )
        ref.out_proj.weight.copy_(torch.tensor(ours.out_proj.weight.data))
        ref.out_proj.bias.copy_(torch.tensor(ours.out_proj.bias.data))
    xn = np.random.default_rng(0).standard_normal((3, T, E))
    x, xt = tt.Tensor(xn, requires_grad=True), torch.tensor(xn, requires_grad=True)
    mask = causal_mask(T) if masked else None
    out = ours(x, mask)
    expected, _ = ref(xt, xt, xt, attn_mask=None if mask is None else torch.tensor(~mask.data), need_weights=False)
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    g = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(g)
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.out_proj.weight.grad.data, ref.out_proj.weight.grad.numpy(), rtol=1e-10, atol=1e-12)
    in_grad = np.concatenate([ours.q_proj.weight.grad.data, ours.k_proj.weight.grad.data, ours.v_proj.weight.grad.data])
    np.testing.assert_allclose(in_grad, ref.in_proj_weight.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_causal_mha_future_tokens_never_change_earlier_outputs():
    mha = nn.MultiHeadAttention(8, 2)
    x = tt.randn(2, 6, 8, seed=0)
    base = mha(x, causal_mask(6)).data
    changed = x.data.copy()
    changed[:, 4] += 5.0  # edit position 4 only
    out = mha(tt.Tensor(changed), causal_mask(6)).data
    np.testing.assert_array_equal(out[:, :4], base[:, :4])  # positions 0..3 cannot see it
    assert not np.allclose(out[:, 4:], base[:, 4:])  # 4 and 5 can
    unmasked = mha(tt.Tensor(changed)).data  # without the mask, everyone sees it
    assert not np.allclose(unmasked[:, 0], mha(x).data[:, 0])


def test_project_qkv_then_attend_is_forward():
    """The seam a KV-cache uses: forward == attend(*project_qkv(x), mask)."""
    mha = nn.MultiHeadAttention(8, 4)
    x = tt.randn(1, 5, 8, seed=2)
    q, k, v = mha.project_qkv(x)
    assert q.shape == k.shape == v.shape == (1, 4, 5, 2)
    np.testing.assert_array_equal(mha.attend(q, k, v, causal_mask(5)).data, mha(x, causal_mask(5)).data)


def test_mha_errors_name_the_numbers():
    with pytest.raises(ValueError, match=r"embed_dim=10 is not divisible by num_heads=4"):
        nn.MultiHeadAttention(10, 4)
    mha = nn.MultiHeadAttention(8, 2)
    with pytest.raises(ValueError, match=r"expects input \(batch, seq, 8\), got shape \(5, 8\).*batch axis"):
        mha(tt.randn(5, 8))
    with pytest.raises(ValueError, match=r"got shape \(1, 5, 6\)"):
        mha(tt.randn(1, 5, 6))
    with pytest.raises(TypeError, match="mask must be boolean"):
        mha(tt.randn(1, 3, 8), np.ones((3, 3)))
