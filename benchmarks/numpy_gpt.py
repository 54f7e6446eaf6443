"""The GPT of benchmarks/gpt_step.py written by hand in NumPy: forward, backward and AdamW on bare
float32 arrays, no tinytorch. The NumPy contender the framework is measured against.

Model (as gpt_step and tinytorch's nn.GPT): token + learned position embeddings; per block, pre-norm
causal multi-head self-attention and a Linear -> tanh-GELU -> Linear MLP, each added back to the
residual stream; a final layer norm; a head sharing the token-embedding matrix; mean cross-entropy
over every position.

Parameters keep torch's names and layouts (`blocks.0.attn.in_proj_weight` is the (3E, E) query, key
and value projections stacked, as torch.nn.MultiheadAttention), so the test loads torch's weights
unchanged and tinytorch's by stacking q_proj, k_proj, v_proj. What a NumPy programmer does for speed
is done: one product for q, k and v; every token-wise layer on a 2-D (batch*T, E) matrix; heads as
strided views (no copies before the batched products); the causal mask as one additive
(T, T) array; the softmax and GELU backward from the forward's saved results.
"""

from __future__ import annotations

import math

import numpy as np

GELU_C = math.sqrt(2 / math.pi)


def param_shapes(vocab_size: int, block_size: int, embed_dim: int, num_heads: int, num_layers: int) -> dict:
    e, hidden = embed_dim, 4 * embed_dim
    shapes = {"tok.weight": (vocab_size, e), "pos.weight": (block_size, e)}
    for i in range(num_layers):
        b = f"blocks.{i}."
        shapes |= {
            b + "ln1.weight": (e,),
            b + "ln1.bias": (e,),
            b + "attn.in_proj_weight": (3 * e, e),
            b + "attn.in_proj_bias": (3 * e,),
            b + "attn.out_proj.weight": (e, e),
            b + "attn.out_proj.bias": (e,),
            b + "ln2.weight": (e,),
            b + "ln2.bias": (e,),
            b + "mlp.0.weight": (hidden, e),
            b + "mlp.0.bias": (hidden,),
            b + "mlp.2.weight": (e, hidden),
            b + "mlp.2.bias": (e,),
        }
    return shapes | {"ln_f.weight": (e,), "ln_f.bias": (e,)}


def init_params(config: dict, seed: int = 0) -> dict[str, np.ndarray]:
    """tinytorch's nn.GPT init: embeddings N(0, 0.02^2), Linear weights and biases uniform in
    +-1/sqrt(fan_in), layer norms 1 and 0; float32."""
    rng = np.random.default_rng(seed)
    params = {}
    for name, shape in param_shapes(**config).items():
        if name in ("tok.weight", "pos.weight"):
            p = rng.standard_normal(shape) * 0.02
        elif name.endswith(("ln1.weight", "ln2.weight", "ln_f.weight")):
            p = np.ones(shape)
        elif name.endswith(("ln1.bias", "ln2.bias", "ln_f.bias")):
            p = np.zeros(shape)
        else:
            fan_in = shape[-1] if len(shape) == 2 else config["embed_dim"] * (4 if "mlp.2" in name else 1)
            p = rng.uniform(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in), shape)
        params[name] = p.astype(np.float32)
    return params


def _layer_norm(x, w, b, eps=1e-5):
    """Over the last axis of x (N, E): the output and what the backward needs (x̂, 1/std)."""
    mu = x.mean(axis=-1, keepdims=True)
    d = x - mu
    rstd = 1 / np.sqrt((d * d).mean(axis=-1, keepdims=True) + eps)
    xhat = d * rstd
    return xhat * w + b, (xhat, rstd)


def _layer_norm_backward(g, w, saved):
    xhat, rstd = saved
    gh = g * w
    dx = rstd * (gh - gh.mean(axis=-1, keepdims=True) - xhat * (gh * xhat).mean(axis=-1, keepdims=True))
    return dx, (g * xhat).sum(axis=0), g.sum(axis=0)


def _attention(a, p, prefix, batch, heads, mask_add):
    """Causal multi-head self-attention of a (B*T, E): the output (B*T, E) and the saved tensors."""
    n, e = a.shape
    t, d = n // batch, e // heads
    qkv = a @ p[prefix + "in_proj_weight"].T
    qkv += p[prefix + "in_proj_bias"]
    q, k, v = qkv.reshape(batch, t, 3, heads, d).transpose(2, 0, 3, 1, 4)  # each (B, H, T, D), views
    scores = q @ k.transpose(0, 1, 3, 2)
    scores *= 1 / math.sqrt(d)
    scores += mask_add
    scores -= scores.max(axis=-1, keepdims=True)
    probs = np.exp(scores, out=scores)
    probs /= probs.sum(axis=-1, keepdims=True)
    ctx = (probs @ v).transpose(0, 2, 1, 3).reshape(n, e)
    out = ctx @ p[prefix + "out_proj.weight"].T
    out += p[prefix + "out_proj.bias"]
    return out, (a, q, k, v, probs, ctx)


def _attention_backward(g, p, prefix, saved, grads):
    """dL/d(input) of _attention for the output gradient g (B*T, E); parameter gradients into grads."""
    a, q, k, v, probs, ctx = saved
    batch, heads, t, d = q.shape
    n, e = g.shape
    grads[prefix + "out_proj.weight"] = g.T @ ctx
    grads[prefix + "out_proj.bias"] = g.sum(axis=0)
    dctx = (g @ p[prefix + "out_proj.weight"]).reshape(batch, t, heads, d).transpose(0, 2, 1, 3)
    dv = probs.transpose(0, 1, 3, 2) @ dctx
    dprobs = dctx @ v.transpose(0, 1, 3, 2)
    dscores = dprobs
    dscores -= (dprobs * probs).sum(axis=-1, keepdims=True)
    dscores *= probs
    dscores *= 1 / math.sqrt(d)
    dq = dscores @ k
    dk = dscores.transpose(0, 1, 3, 2) @ q
    dqkv = np.stack((dq, dk, dv)).transpose(1, 3, 0, 2, 4).reshape(n, 3 * e)
    grads[prefix + "in_proj_weight"] = dqkv.T @ a
    grads[prefix + "in_proj_bias"] = dqkv.sum(axis=0)
    return dqkv @ p[prefix + "in_proj_weight"]


def _mlp(a, p, prefix):
    """Linear -> tanh-GELU -> Linear on a (B*T, E). GELU as h * sigmoid(2u), u = c (h + 0.044715 h^3):
    the same function (1 + tanh(u) = 2 sigmoid(2u)) with one np.exp, which NumPy vectorises, instead
    of np.tanh, which it does not for float32 (2-5x slower here); in place, one temporary."""
    h = a @ p[prefix + "0.weight"].T
    h += p[prefix + "0.bias"]
    sig = h * h
    sig *= -2 * GELU_C * 0.044715
    sig -= 2 * GELU_C
    sig *= h  # -2u
    with np.errstate(over="ignore"):  # exp(-2u) = inf for very negative h: sigmoid 0, the right limit
        np.exp(sig, out=sig)
    sig += 1
    np.reciprocal(sig, out=sig)
    gelu = h * sig
    out = gelu @ p[prefix + "2.weight"].T
    out += p[prefix + "2.bias"]
    return out, (a, h, sig, gelu)


def _mlp_backward(g, p, prefix, saved, grads):
    a, h, sig, gelu = saved
    grads[prefix + "2.weight"] = g.T @ gelu
    grads[prefix + "2.bias"] = g.sum(axis=0)
    dgelu = g @ p[prefix + "2.weight"]
    # d(h sigmoid(2u))/dh = sig (1 + 2 h (1 - sig) du/dh), du/dh = c (1 + 3 * 0.044715 h^2); in place
    dh = h * h
    dh *= 3 * 0.044715 * GELU_C
    dh += GELU_C
    dh *= h
    dh *= 2
    dh *= 1 - sig
    dh += 1
    dh *= sig
    dh *= dgelu
    grads[prefix + "0.weight"] = dh.T @ a
    grads[prefix + "0.bias"] = dh.sum(axis=0)
    return dh @ p[prefix + "0.weight"]


def loss_and_grads(params: dict[str, np.ndarray], ids: np.ndarray, targets: np.ndarray, num_heads: int):
    """Mean next-token cross-entropy of ids (B, T) against targets (B, T), and every parameter's
    gradient (a dict with params' names; the tied head's gradient is added into tok.weight's)."""
    batch, t = ids.shape
    n = batch * t
    num_layers = sum(1 for name in params if name.endswith("ln1.weight"))
    mask_add = np.triu(np.full((t, t), -np.inf, dtype=np.float32), 1)  # -inf above the diagonal

    x = (params["tok.weight"][ids] + params["pos.weight"][:t]).reshape(n, -1)
    saved = []
    for i in range(num_layers):
        b = f"blocks.{i}."
        a1, ln1 = _layer_norm(x, params[b + "ln1.weight"], params[b + "ln1.bias"])
        att, att_saved = _attention(a1, params, b + "attn.", batch, num_heads, mask_add)
        x = x + att
        a2, ln2 = _layer_norm(x, params[b + "ln2.weight"], params[b + "ln2.bias"])
        mlp, mlp_saved = _mlp(a2, params, b + "mlp.")
        x = x + mlp
        saved.append((ln1, att_saved, ln2, mlp_saved))
    xf, lnf = _layer_norm(x, params["ln_f.weight"], params["ln_f.bias"])
    logits = xf @ params["tok.weight"].T  # the tied head

    z = logits
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    rows, y = np.arange(n), targets.reshape(n)
    loss = np.mean(np.log(s[:, 0]) - z[rows, y])  # a 0-d array: no Python float per step
    dlogits = e
    dlogits /= s
    dlogits[rows, y] -= 1
    dlogits /= n

    grads = {}
    dtok_head = dlogits.T @ xf
    dxf = dlogits @ params["tok.weight"]
    dx, grads["ln_f.weight"], grads["ln_f.bias"] = _layer_norm_backward(dxf, params["ln_f.weight"], lnf)
    for i in reversed(range(num_layers)):
        b = f"blocks.{i}."
        ln1, att_saved, ln2, mlp_saved = saved[i]
        da2 = _mlp_backward(dx, params, b + "mlp.", mlp_saved, grads)
        da2, grads[b + "ln2.weight"], grads[b + "ln2.bias"] = _layer_norm_backward(da2, params[b + "ln2.weight"], ln2)
        dx = dx + da2
        da1 = _attention_backward(dx, params, b + "attn.", att_saved, grads)
        da1, grads[b + "ln1.weight"], grads[b + "ln1.bias"] = _layer_norm_backward(da1, params[b + "ln1.weight"], ln1)
        dx = dx + da1
    dx = dx.reshape(batch, t, -1)
    grads["pos.weight"] = np.zeros_like(params["pos.weight"])
    grads["pos.weight"][:t] = dx.sum(axis=0)
    np.add.at(dtok_head, ids.reshape(n), dx.reshape(n, -1))
    grads["tok.weight"] = dtok_head
    return loss, grads
