"""Module 13 (Transformers): LayerNorm (fused op), the pre-norm TransformerBlock and the GPT decoder:
finite differences, PyTorch parity, causality, weight tying, generation, the KV-cache seam, errors."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
import tinytorch.nn.functional as F
from tinytorch.autograd import gradcheck
from tinytorch.nn.attention import causal_mask


# ---- LayerNorm ------------------------------------------------------------------------------------
@pytest.mark.parametrize("x_shape,norm_shape", [((3, 6), (6,)), ((2, 3, 5), (5,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_gradcheck(check_grad, x_shape, norm_shape):
    check_grad(lambda L, x, w, b: L.F.layer_norm(x, norm_shape, w, b, 1e-5), x_shape, norm_shape, norm_shape)
    check_grad(lambda L, x: L.F.layer_norm(x, norm_shape, None, None, 1e-5), x_shape)


@pytest.mark.parametrize("x_shape,norm_shape", [((3, 6), (6,)), ((2, 3, 4), (3, 4))])
def test_layer_norm_matches_torch(check_torch, x_shape, norm_shape):
    check_torch(lambda L, x, w, b: L.F.layer_norm(x, norm_shape, w, b, 1e-5), x_shape, norm_shape, norm_shape)
    check_torch(lambda L, x, w, b: L.F.layer_norm(x * 100 + 3, norm_shape, w, b, 1e-3), x_shape, norm_shape, norm_shape)


def test_layer_norm_module_normalises_each_row():
    ln = nn.LayerNorm(16)
    assert [n for n, _ in ln.named_parameters()] == ["weight", "bias"]
    assert np.all(ln.weight.data == 1) and np.all(ln.bias.data == 0) and ln.eps == 1e-5
    x = tt.Tensor(np.random.default_rng(0).normal(5.0, 3.0, (4, 7, 16)))
    y = ln(x).data
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(-1), 1, rtol=1e-3)
    assert nn.LayerNorm(4, elementwise_affine=False).parameters() == []


def test_layer_norm_module_matches_torch_float32(torch):
    ours, ref = nn.LayerNorm(10), torch.nn.LayerNorm(10)
    rng = np.random.default_rng(1)
    ours.weight.data[:] = rng.standard_normal(10)
    ours.bias.data[:] = rng.standard_normal(10)
    with torch.no_grad():
        ref.weight.copy_(torch.tensor(ours.weight.data))
        ref.bias.copy_(torch.tensor(ours.bias.data))
    x = rng.standard_normal((3, 4, 10)).astype(np.float32)
    np.testing.assert_allclose(ours(tt.Tensor(x)).data, ref(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-5)


def test_layer_norm_shape_mismatch_is_clear():
    with pytest.raises(
        ValueError, match=r"trailing shape \(8,\) \(input shape \(2, 8\)\) must equal normalized_shape \(6,\)"
    ):
        nn.LayerNorm(6)(tt.randn(2, 8))


# ---- TransformerBlock -----------------------------------------------------------------------------
def test_transformer_block_layout():
    block = nn.TransformerBlock(16, 4)
    names = [n for n, _ in block.named_parameters()]
    assert names[:2] == ["ln1.weight", "ln1.bias"] and "attn.q_proj.weight" in names and "ln2.bias" in names
    assert block.mlp[0].weight.shape == (64, 16) and block.mlp[2].weight.shape == (16, 64)  # mlp_ratio=4
    assert isinstance(block.mlp[1], nn.GELU)
    assert nn.TransformerBlock(16, 4, mlp_ratio=2).mlp[0].out_features == 32
    assert block(tt.randn(2, 5, 16)).shape == (2, 5, 16)


def test_transformer_block_gradcheck(float64):
    block = nn.TransformerBlock(8, 2, mlp_ratio=2)
    x = tt.randn(2, 4, 8, seed=5, requires_grad=True)
    assert gradcheck(lambda x, *ps: block(x, causal_mask(4)), [x, *block.parameters()])


def test_transformer_block_matches_torch_composition(torch, float64):
    """x + attn(ln1(x)); x + mlp(ln2(x)), written with torch ops on the same weights."""
    E, T = 8, 5
    block = nn.TransformerBlock(E, 2)
    tw = {n: torch.tensor(p.data, requires_grad=True) for n, p in block.named_parameters()}
    tf = torch.nn.functional
    xn = np.random.default_rng(0).standard_normal((2, T, E))
    xt = torch.tensor(xn)

    def ln(h, name):
        return tf.layer_norm(h, (E,), tw[f"{name}.weight"], tw[f"{name}.bias"], 1e-5)

    def attn(h):
        q, k, v = (
            tf.linear(h, tw[f"attn.{p}_proj.weight"], tw[f"attn.{p}_proj.bias"]).reshape(2, T, 2, 4).transpose(1, 2)
            for p in "qkv"
        )
        mask = torch.tensor(causal_mask(T).data)
        o = tf.scaled_dot_product_attention(q, k, v, attn_mask=mask).transpose(1, 2).reshape(2, T, E)
        return tf.linear(o, tw["attn.out_proj.weight"], tw["attn.out_proj.bias"])

    h = xt + attn(ln(xt, "ln1"))
    m = tf.linear(
        tf.gelu(tf.linear(ln(h, "ln2"), tw["mlp.0.weight"], tw["mlp.0.bias"]), approximate="tanh"),
        tw["mlp.2.weight"],
        tw["mlp.2.bias"],
    )
    expected = h + m
    out = block(tt.Tensor(xn), causal_mask(T))
    np.testing.assert_allclose(out.data, expected.detach().numpy(), rtol=1e-10, atol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    for name, p in block.named_parameters():
        np.testing.assert_allclose(p.grad.data, tw[name].grad.numpy(), rtol=1e-9, atol=1e-11, err_msg=name)


def test_transformer_block_dropout_only_in_training():
    block = nn.TransformerBlock(8, 2, dropout=0.5)
    x = tt.randn(2, 3, 8, seed=0)
    assert not np.allclose(block(x).data, block(x).data)  # training: random masks
    block.eval()
    np.testing.assert_array_equal(block(x).data, block(x).data)
    block.dropout.p = 0.0
    np.testing.assert_array_equal(block(x).data, nn.TransformerBlock.forward(block, x).data)


# ---- GPT ------------------------------------------------------------------------------------------
def small_gpt(**kw):
    tt.manual_seed(0)
    return nn.GPT(vocab_size=13, block_size=8, embed_dim=16, num_heads=2, num_layers=2, **kw)


def test_gpt_shapes_and_tied_weights():
    model = small_gpt()
    ids = np.random.default_rng(0).integers(0, 13, (3, 8))
    assert model(ids).shape == (3, 8, 13)
    assert model.head.weight is model.tok_emb.weight
    names = [n for n, _ in model.named_parameters()]
    assert "head.weight" not in names and "tok_emb.weight" in names and "ln_f.weight" in names
    untied = small_gpt(tie_weights=False)
    assert untied.head.weight is not untied.tok_emb.weight
    assert untied.num_parameters() - model.num_parameters() == 13 * 16


def test_gpt_tied_weight_gets_both_gradients():
    model = small_gpt()
    ids = np.array([[1, 2, 3]])
    F.cross_entropy(model(ids).reshape(-1, 13), np.array([2, 3, 4])).backward()
    g = model.tok_emb.weight.grad.data
    assert np.all(g[[0, 5, 12]] != 0)  # unused as input, still trained through the head
    assert not np.allclose(g[1], 0)


def test_gpt_is_causal_future_tokens_never_change_earlier_logits():
    model = small_gpt()
    ids = np.random.default_rng(1).integers(0, 13, (2, 8))
    base = model(ids).data
    for t in range(1, 8):
        edited = ids.copy()
        edited[:, t] = (edited[:, t] + 1) % 13
        out = model(edited).data
        np.testing.assert_array_equal(out[:, :t], base[:, :t], err_msg=f"changing token {t} leaked backwards")
        assert not np.allclose(out[:, t], base[:, t])


def test_gpt_gradcheck_small(float64):
    model = nn.GPT(vocab_size=5, block_size=4, embed_dim=4, num_heads=2, num_layers=1, mlp_ratio=1)
    ids = np.array([[0, 3, 3, 1]])
    params = model.parameters()
    assert gradcheck(lambda *ps: F.cross_entropy(model(ids)[0], np.array([3, 3, 1, 4])), params)


def test_gpt_errors_name_the_numbers():
    model = small_gpt()
    with pytest.raises(ValueError, match=r"sequence of length 9 is longer than block_size=8.*last 8 tokens"):
        model(np.zeros((1, 9), dtype=np.int64))
    with pytest.raises(ValueError, match=r"sequence of length 10 is longer than block_size=8"):
        model(np.zeros((1, 4), dtype=np.int64), start_pos=6)
    with pytest.raises(IndexError, match=r"token id 13 is out of range for num_embeddings=13"):
        model(np.array([[1, 13]]))
    with pytest.raises(ValueError, match=r"shape \(batch, seq\), got shape \(4,\).*reshape\(1, -1\)"):
        model(np.array([1, 2, 3, 4]))


def test_generate_shapes_modes_and_reproducibility():
    model = small_gpt()
    out = model.generate([1, 2, 3], max_new_tokens=10, seed=0)
    assert isinstance(out, tt.Tensor) and out.shape == (13,) and out.tolist()[:3] == [1, 2, 3]
    assert out.data.min() >= 0 and out.data.max() < 13  # longer than block_size: context is cropped
    assert model.generate([1, 2, 3], 10, seed=0).tolist() == out.tolist()
    assert model.training  # mode restored
    batch = model.generate(np.array([[1, 2], [3, 4]]), 4, seed=1)
    assert batch.shape == (2, 6)
    greedy = model.generate([1, 2, 3], 6, temperature=0)
    assert model.generate([1, 2, 3], 6, top_k=1, seed=7).tolist() == greedy.tolist()
    # greedy == argmax of the model's own next-token logits
    ids = greedy.data[None, :3]
    assert greedy.data[3] == model(ids).data[0, -1].argmax()
    assert tt.is_grad_enabled()  # no_grad only inside generate


def test_generate_top_k_restricts_the_choices():
    model = small_gpt()
    ids = np.array([[4, 5]])
    top3 = set(np.argsort(model(ids).data[0, -1])[-3:])
    draws = {int(model.generate(ids, 1, top_k=3, temperature=2.0, seed=s).data[0, -1]) for s in range(40)}
    assert draws <= top3 and len(draws) > 1


class ListCache:
    """The smallest KV-cache satisfying the seam: append new keys/values, return everything so far."""

    def __init__(self):
        self.k = self.v = None

    def update(self, k, v):
        self.k = k if self.k is None else tt.concat([self.k, k], axis=2)
        self.v = v if self.v is None else tt.concat([self.v, v], axis=2)
        return self.k, self.v


def test_kv_cache_seam_incremental_forward_equals_full_forward():
    model = small_gpt()
    model.eval()
    ids = np.random.default_rng(2).integers(0, 13, (2, 7))
    full = model(ids).data
    caches = [ListCache() for _ in model.blocks]
    with tt.no_grad():
        first = model(ids[:, :4], start_pos=0, caches=caches).data  # the prompt at once
        steps = [model(ids[:, t : t + 1], start_pos=t, caches=caches).data for t in range(4, 7)]  # one token each
    np.testing.assert_allclose(first, full[:, :4], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full[:, 4:], rtol=1e-5, atol=1e-6)
    assert caches[0].k.shape == (2, 2, 7, 8)
