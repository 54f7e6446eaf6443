"""Module 17: cached generation produces exactly the uncached tokens, with allclose logits."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
from tinytorch import nn
from tinytorch.systems.kvcache import (
    KVCache,
    cache_bytes,
    generate_cached,
    generate_uncached,
    make_caches,
    measure_speedup,
)


def gpt(block_size=24, seed=0):
    tt.manual_seed(seed)
    return nn.GPT(vocab_size=17, block_size=block_size, embed_dim=16, num_heads=2, num_layers=2)


def test_cache_appends_and_returns_everything_so_far():
    cache = KVCache(max_len=5)
    k1, v1 = tt.randn(1, 2, 3, 4), tt.randn(1, 2, 3, 4)
    k, v = cache.update(k1, v1)
    assert k.shape == (1, 2, 3, 4) and cache.length == 3
    k2, v2 = tt.randn(1, 2, 1, 4), tt.randn(1, 2, 1, 4)
    k, v = cache.update(k2, v2)
    np.testing.assert_array_equal(k.data, np.concatenate([k1.data, k2.data], axis=2))
    np.testing.assert_array_equal(v.data, np.concatenate([v1.data, v2.data], axis=2))
    with pytest.raises(ValueError, match="max_len"):
        cache.update(tt.randn(1, 2, 2, 4), tt.randn(1, 2, 2, 4))
    with pytest.raises(ValueError, match="do not match"):
        cache.update(tt.randn(2, 2, 1, 4), tt.randn(2, 2, 1, 4))
    assert cache.nbytes() == 2 * 1 * 2 * 5 * 4 * 4


def test_one_token_steps_with_cache_equal_a_full_forward():
    model = gpt().eval()
    ids = np.array([[3, 1, 4, 1, 5, 9, 2, 6]])
    with tt.no_grad():
        full = model(ids).data
        caches = make_caches(model)
        first = model(ids[:, :5], 0, caches).data
        steps = [model(ids[:, t : t + 1], t, caches).data for t in range(5, 8)]
    np.testing.assert_allclose(first, full[:, :5], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.concatenate(steps, axis=1), full[:, 5:], rtol=1e-5, atol=1e-6)
    assert all(c.length == 8 for c in caches)


@pytest.mark.parametrize("temperature,top_k", [(0.0, None), (1.0, None), (0.8, 5)])
def test_cached_generation_gives_the_same_tokens_and_logits(temperature, top_k):
    model = gpt()
    prompt = np.array([1, 2, 3])
    plain, plain_logits = generate_uncached(model, prompt, 15, temperature, top_k, seed=7, return_logits=True)
    cached, cached_logits = generate_cached(model, prompt, 15, temperature, top_k, seed=7, return_logits=True)
    np.testing.assert_array_equal(cached.data, plain.data)
    np.testing.assert_allclose(cached_logits, plain_logits, rtol=1e-5, atol=1e-5)
    assert cached.shape == (18,)
    # and the model's own generate agrees
    np.testing.assert_array_equal(model.generate(prompt, 15, temperature, top_k, seed=7).data, cached.data)


def test_batched_prompts_and_training_mode_restored():
    model = gpt().train()
    prompts = np.array([[1, 2, 3, 4], [5, 6, 7, 8]])
    cached = generate_cached(model, prompts, 6, temperature=0.0)
    assert model.training
    np.testing.assert_array_equal(cached.data, model.generate(prompts, 6, temperature=0.0).data)
    assert cached.shape == (2, 10)


def test_generation_past_block_size_still_matches():
    model = gpt(block_size=8)
    prompt = np.array([1, 2, 3, 4, 5])
    cached = generate_cached(model, prompt, 10, temperature=0.0)
    np.testing.assert_array_equal(cached.data, model.generate(prompt, 10, temperature=0.0).data)


def test_cache_changes_the_numbers_if_it_is_wrong():
    # a cache that forgets old keys (zeros all but the newest) must break equality: the test can fail
    class Forgetful(KVCache):
        def update(self, k_new, v_new):
            k, v = super().update(k_new, v_new)
            stale = k.data.copy()
            stale[:, :, : -k_new.shape[2]] = 0
            return tt.Tensor(stale), v

    model = gpt().eval()
    ids = np.array([[3, 1, 4, 1, 5]])
    with tt.no_grad():
        full = model(ids).data
        caches = [Forgetful(24) for _ in model.blocks]
        model(ids[:, :4], 0, caches)
        last = model(ids[:, 4:], 4, caches).data
    assert not np.allclose(last[:, -1], full[:, -1], atol=1e-4)


def test_measure_speedup_reports_and_cache_bytes():
    model = gpt()
    result = measure_speedup(model, np.array([1, 2]), max_new_tokens=6, repeats=1)
    assert result["same tokens"] is True
    assert result["uncached s"] > 0 and result["cached s"] > 0 and result["speed-up"] > 0
    assert result["cache bytes"] == cache_bytes(model, 1, 8) == 2 * 2 * 1 * 8 * 16 * 4
