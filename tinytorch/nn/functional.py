"""Stateless building blocks (modules 02, 04, 12): activations, losses, attention.

Each function is one op with its own backward where that is cheaper or more stable than composing
smaller ops (softmax, log_softmax, cross-entropy, GELU); the rest compose Tensor methods.
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..tensor import Tensor, _axis, _dim_check, default_rng
from . import attention_options, loss_options

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


# ---- activations (module 02) -------------------------------------------------------------------
def relu(x: Tensor) -> Tensor:
    return _t(x).relu()


def sigmoid(x: Tensor) -> Tensor:
    return _t(x).sigmoid()


def tanh(x: Tensor) -> Tensor:
    return _t(x).tanh()


def gelu(x: Tensor, approximate: str = "none") -> Tensor:
    """GELU as torch: exact x * Phi(x) by default, the tanh approximation with approximate='tanh'."""
    if approximate == "tanh":
        return gelu_tanh(x)
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    from .gelu_exact import gelu_erf

    return gelu_erf(_t(x))


def gelu_tanh(x: Tensor) -> Tensor:
    """GELU, tanh approximation (as in GPT-2 and torch's approximate='tanh'), fused into one op.

    0.5 x (1 + tanh(u)) with u = sqrt(2/pi) (x + 0.044715 x^3) is exactly x * sigmoid(2u), since
    1 + tanh(u) = 2 sigmoid(2u). The sigmoid needs one np.exp, which NumPy vectorises, where its float32
    np.tanh is scalar code (measured 5-7x slower on a GPT's (32, 64, 256) activation). The steps run in
    place on one array s, so the op allocates two arrays, not seven. Backward reuses s:
    d/dx = s (1 + 2 x (1 - s) du/dx), du/dx = sqrt(2/pi) (1 + 3 * 0.044715 x^2).
    """
    x = _t(x)
    a = _float_array(x.data)
    s = a * a  # becomes s = sigmoid(2u) = 1 / (1 + exp(-2u)), step by step
    s *= -2 * _SQRT_2_OVER_PI * 0.044715
    s -= 2 * _SQRT_2_OVER_PI
    s *= a  # -2u
    with np.errstate(over="ignore"):  # exp(-2u) = inf for very negative x: s = 0, the right limit
        np.exp(s, out=s)
    s += 1
    np.reciprocal(s, out=s)

    def backward(g):
        d = a * a
        d *= 3 * 0.044715 * _SQRT_2_OVER_PI
        d += _SQRT_2_OVER_PI  # du/dx
        d *= a
        d *= 2
        d *= 1 - s
        d += 1
        d *= s
        d *= g
        return (d,)

    return Tensor._op(a * s, (x,), backward, "gelu")


def softmax(x: Tensor, axis: int | None = None, *, dim=None) -> Tensor:
    """exp(x) / sum(exp(x)) along `axis` (default the last), computed after subtracting the max (no overflow)."""
    x = _t(x)
    axis = _axis(axis, dim, default=-1)
    _dim_check(x.shape, axis, "softmax")
    a = _float_array(x.data)
    s = a - a.max(axis=axis, keepdims=True)  # the one new array: exp and division in place
    np.exp(s, out=s)
    s /= _sum_along(s, axis)

    def backward(g):
        gs = g * s  # s * (g - sum(g * s)) as g*s - s * sum(g*s): one new array
        gs -= s * _sum_along(gs, axis)
        return (gs,)

    return Tensor._op(s, (x,), backward, "softmax")


def _float_array(a: np.ndarray) -> np.ndarray:
    """`a` itself if it holds floats, else a float64 copy (the fused ops below compute in place)."""
    return a if a.dtype.kind == "f" else a.astype(np.float64)


def _sum_along(a: np.ndarray, axis: int) -> np.ndarray:
    """a.sum(axis, keepdims=True); over the last axis as a matrix-vector product with ones, because
    BLAS sums short rows ~6x faster than NumPy's reduction (a GPT's (32, 4, 64, 64) attention: 0.04 ms
    vs 0.27 ms)."""
    if axis not in (-1, a.ndim - 1) or a.dtype.kind != "f":
        return a.sum(axis=axis, keepdims=True)
    return (a @ np.ones(a.shape[-1], dtype=a.dtype))[..., None]


def log_softmax(x: Tensor, axis: int | None = None, *, dim=None) -> Tensor:
    """x - logsumexp(x) along `axis` (default the last): finite even for logits of magnitude 1e4."""
    x = _t(x)
    axis = _axis(axis, dim, default=-1)
    _dim_check(x.shape, axis, "log_softmax")
    z = x.data - x.data.max(axis=axis, keepdims=True)
    out = z - np.log(np.exp(z).sum(axis=axis, keepdims=True))

    def backward(g):
        return (g - np.exp(out) * g.sum(axis=axis, keepdims=True),)

    return Tensor._op(out, (x,), backward, "log_softmax")


# ---- losses (module 04) ------------------------------------------------------------------------
def _check_same_shape(name, pred, target):
    if pred.shape != target.shape:
        raise ValueError(
            f"{name}: prediction shape {pred.shape} and target shape {target.shape} differ; "
            "they must match (e.g. reshape the target with .reshape(-1, 1) or the prediction with .reshape(-1))"
        )


def mse_loss(pred: Tensor, target, **options) -> Tensor:
    if options:  # reduction='sum' / 'none' (torch's keyword)
        return loss_options.mse_loss(pred, target, **options)
    pred, target = _t(pred), _t(target)
    _check_same_shape("mse_loss", pred, target)
    d = pred - target  # like PyTorch, a target that requires grad gets one too
    return (d * d).mean()


def cross_entropy(logits: Tensor, targets, **options) -> Tensor:
    """Mean negative log-likelihood of integer `targets` (N,) under `logits` (N, C).

    Fused log-softmax + NLL: the gradient is simply (softmax - onehot) / N, the most stable form.
    torch's options (reduction=, ignore_index=, label_smoothing=, weight=) go to loss_options.
    """
    if options:
        return loss_options.cross_entropy(logits, targets, **options)
    logits = _t(logits)
    y = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy expects logits of shape (N, C), got {logits.shape}; flatten extra dims first")
    n, c = logits.shape
    if y.shape != (n,):
        raise ValueError(f"cross_entropy: targets must have shape ({n},) to match logits {logits.shape}, got {y.shape}")
    if y.dtype.kind not in "iu":
        raise TypeError(
            f"cross_entropy: targets must be integer class indices, got dtype {y.dtype}; use targets.astype(np.int64)"
        )
    if n and (y.min() < 0 or y.max() >= c):
        raise IndexError(
            f"cross_entropy: target class {int(y.max() if y.max() >= c else y.min())} is out of range for {c} classes"
        )
    z = logits.data - logits.data.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    rows = np.arange(n)
    loss = -logp[rows, y].mean()

    def backward(g):
        grad = np.exp(logp)
        grad[rows, y] -= 1
        return (grad * (g / n),)

    return Tensor._op(np.asarray(loss, dtype=logits.dtype), (logits,), backward, "cross_entropy")


def nll_loss(log_probs: Tensor, targets, **options) -> Tensor:
    return loss_options.nll_loss(log_probs, targets, **options)


def binary_cross_entropy(prob: Tensor, target, **options) -> Tensor:
    """BCE on probabilities; log clamped at -100 like PyTorch, so p = 0 or 1 gives a finite loss."""
    if options:
        return loss_options.binary_cross_entropy(prob, target, **options)
    prob, target = _t(prob), _t(target)
    _check_same_shape("binary_cross_entropy", prob, target)
    p, t = prob.data, target.data
    loss_options.check_probabilities(p)
    eps = 1e-12
    with np.errstate(divide="ignore"):  # log(0) = -inf is expected here and clamped just below
        logp = np.maximum(np.log(np.maximum(p, 0)), -100)
        log1mp = np.maximum(np.log(np.maximum(1 - p, 0)), -100)
    loss = -(t * logp + (1 - t) * log1mp).mean()

    def backward(g):
        return (g * (p - t) / np.maximum(p * (1 - p), eps) / p.size,)

    return Tensor._op(np.asarray(loss, dtype=p.dtype), (prob,), backward, "bce")


def binary_cross_entropy_with_logits(logits: Tensor, target, **options) -> Tensor:
    """BCE on logits: max(x,0) - x*t + log(1 + exp(-|x|)), stable for any magnitude."""
    if options:
        return loss_options.binary_cross_entropy_with_logits(logits, target, **options)
    logits, target = _t(logits), _t(target)
    _check_same_shape("binary_cross_entropy_with_logits", logits, target)
    x, t = logits.data, target.data
    loss = (np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))).mean()

    def backward(g):
        e = np.exp(-np.abs(x))
        sig = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
        return (g * (sig - t) / x.size,)

    return Tensor._op(np.asarray(loss, dtype=x.dtype), (logits,), backward, "bce_logits")


# ---- attention (module 12) ---------------------------------------------------------------------
def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask=None, **options) -> Tensor:
    """softmax(q k^T / sqrt(d) , masked) v for q (..., Lq, d), k (..., Lk, d), v (..., Lk, dv).

    One op with its own backward (as torch's fused kernels): composed of Tensor ops it would keep four
    (..., Lq, Lk) arrays alive for the backward (scores, scaled, masked, softmax); fused, only the
    attention weights p. Backward: dv = p^T g, dp = g v^T, ds = softmax'(dp) / sqrt(d), dq = ds k,
    dk = ds^T q.

    `mask`: boolean, broadcastable to (..., Lq, Lk), True = may attend (PyTorch's convention).
    torch's attn_mask=, is_causal=, dropout_p=, scale= are handled in attention_options.
    """
    if options:
        return attention_options.sdpa(q, k, v, mask, **options)
    q, k, v = _t(q), _t(k), _t(v)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"attention: query dim {q.shape[-1]} != key dim {k.shape[-1]} (q {q.shape}, k {k.shape})")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"attention: {k.shape[-2]} keys but {v.shape[-2]} values (k {k.shape}, v {v.shape})")
    qa, ka, va = _float_array(q.data), _float_array(k.data), _float_array(v.data)
    scale = 1.0 / math.sqrt(q.shape[-1])
    scores = backend.matmul(qa, np.swapaxes(ka, -1, -2))
    scores *= scale
    if mask is not None:
        m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
        if m.dtype != np.bool_:
            raise TypeError(f"attention mask must be boolean (True = attend), got dtype {m.dtype}")
        # -inf where the query sees some key (its exp is 0 at once; a finite -1e9 underflows to 0 through
        # a slow path, 2x the time of the whole exp in Pyodide); a query that sees no key gets a finite
        # fill instead, any value, so that its row is a uniform mix of the values rather than 0/0
        seen = m.any(axis=m.ndim - 1, keepdims=True)
        np.copyto(scores, np.where(seen, -np.inf, -1e9), where=~m)
    p = scores  # softmax in place: the scores are not needed again
    p -= p.max(axis=-1, keepdims=True)
    np.exp(p, out=p)
    p /= _sum_along(p, -1)  # masked entries are exactly 0, so no gradient reaches them
    out = backend.matmul(p, va)

    def backward(g):
        # the graph keeps p only, not the scores, their scaled and masked copies (one op, not four)
        gv = backend.matmul(np.swapaxes(p, -1, -2), g)
        gs = backend.matmul(g, np.swapaxes(va, -1, -2))  # d loss / d p, then through softmax in place
        gs *= p
        gs -= p * _sum_along(gs, -1)
        gs *= scale
        return backend.matmul(gs, ka), backend.matmul(np.swapaxes(gs, -1, -2), qa), gv

    return Tensor._op(out, (q, k, v), backward, "attention")


def dropout(x: Tensor, p: float = 0.5, training: bool = True, rng=None) -> Tensor:
    """Zero each element with probability p and scale the rest by 1/(1-p) (inverted dropout)."""
    x = _t(x)
    if not training or p == 0:
        return x
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    keep = ((rng or default_rng()).random(x.shape) >= p).astype(x.dtype) / (1 - p)
    return Tensor._op(x.data * keep, (x,), lambda g: (g * keep,), "dropout")


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x @ W.T + b, one fused op (the hottest path of every model in the course)."""
    x = _t(x)
    a, w = x.data, weight.data
    if a.shape[-1] != w.shape[1]:
        raise ValueError(
            f"Linear: input has {a.shape[-1]} features (shape {a.shape}) but the layer expects {w.shape[1]} "
            f"(weight shape {w.shape}); check in_features or flatten the input"
        )
    out = backend.matmul(a, w.T)
    if bias is not None:
        out += bias.data
        parents = (x, weight, bias)
    else:
        parents = (x, weight)

    def backward(g):
        if not g.flags.c_contiguous:  # e.g. the stride-0 view from sum()'s backward: BLAS is slow on it
            g = np.ascontiguousarray(g)
        gx = backend.matmul(g, w) if x.requires_grad else None
        if a.ndim == 2:
            gw = backend.matmul(g.T, a)
        else:
            gw = backend.matmul(g.reshape(-1, g.shape[-1]).T, a.reshape(-1, a.shape[-1]))
        if bias is None:
            return gx, gw
        return gx, gw, _column_sum(g.reshape(-1, g.shape[-1]))

    return Tensor._op(out, parents, backward, "linear")


# ---- convolution and pooling (module 09) -------------------------------------------------------
def _pair(v, name):
    if isinstance(v, int):
        return v, v
    v = tuple(v)
    if len(v) != 2 or not all(isinstance(i, (int, np.integer)) for i in v):
        raise ValueError(f"{name} must be an int or a pair of ints, got {v!r}")
    return int(v[0]), int(v[1])


def _out_size(size, kernel, stride, pad, what, shape):
    out = (size + 2 * pad - kernel) // stride + 1
    if out < 1:
        raise ValueError(
            f"{what}: the {kernel}-wide kernel does not fit an input of size {size} (padding {pad}, input shape "
            f"{shape}); "
            "use a smaller kernel, more padding, or a larger input"
        )
    return out


def _pad(a, ph, pw, value=0.0):
    if ph == 0 and pw == 0:
        return a
    return np.pad(a, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=value)


def _window_offsets(kh, kw, sh, sw, oh, ow):
    """For each kernel offset (i, j), the index of the input pixels it covers in every window.

    x[offset] is a strided (N, C, oh, ow) view: element [n, c, r, q] is pixel (i + r*sh, j + q*sw),
    the (i, j)-th entry of window (r, q). Pooling loops over these kh*kw views (never over pixels).
    """
    return [
        (slice(None), slice(None), slice(i, i + (oh - 1) * sh + 1, sh), slice(j, j + (ow - 1) * sw + 1, sw))
        for i in range(kh)
        for j in range(kw)
    ]


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride=1, padding=0) -> Tensor:
    """2-D cross-correlation (what deep learning calls convolution), NCHW, as one op via im2col.

    x (N, C, H, W), weight (O, C, kh, kw), bias (O,) -> (N, O, H', W'), H' = (H + 2p - kh)//s + 1.
    im2col copies every kernel window into a column of a (C*kh*kw, H'*W'*N) matrix, so the whole
    convolution is one matrix product with the (O, C*kh*kw) weights: BLAS does the work, not Python.
    The backward pass is two more matrix products plus col2im (adding the columns back, one kernel
    offset at a time). Internally the batch axis goes last (C, H, W, N): then every run of numbers
    im2col and col2im copy is W'*N long and contiguous, which is what makes NumPy's copies fast
    (measured ~2x faster than NCHW order on the course's small images; see benchmarks/conv.py).
    """
    x = _t(x)
    a, w = x.data, weight.data
    if a.ndim != 4:
        hint = " (a single image? add a batch axis: x.reshape(1, *x.shape))" if a.ndim == 3 else ""
        raise ValueError(f"conv2d expects a 4-D input (batch, channels, height, width), got shape {a.shape}{hint}")
    o, c, kh, kw = w.shape
    if a.shape[1] != c:
        raise ValueError(
            f"conv2d: the input has {a.shape[1]} channels (shape {a.shape}) but the weight expects {c} "
            f"(weight shape {w.shape}); set in_channels={a.shape[1]} or fix the input's channel axis (NCHW)"
        )
    (sh, sw), (ph, pw) = _pair(stride, "stride"), _pair(padding, "padding")
    n, _, h, wd = a.shape
    oh = _out_size(h, kh, sh, ph, "conv2d", a.shape)
    ow = _out_size(wd, kw, sw, pw, "conv2d", a.shape)
    xp = np.pad(a.transpose(1, 2, 3, 0), ((0, 0), (ph, ph), (pw, pw), (0, 0)))  # (C, H+2p, W+2p, N)
    win = np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(1, 2))
    win = win[:, : (oh - 1) * sh + 1 : sh, : (ow - 1) * sw + 1 : sw]  # (C, oh, ow, N, kh, kw) view
    cols = win.transpose(0, 4, 5, 1, 2, 3).reshape(c * kh * kw, oh * ow * n)  # im2col: the one copy
    wmat = w.reshape(o, c * kh * kw)
    out = backend.matmul(wmat, cols)  # (O, oh*ow*N)
    if bias is not None:
        out += bias.data[:, None]
    data = np.ascontiguousarray(out.reshape(o, oh, ow, n).transpose(3, 0, 1, 2))

    def backward(g):
        gmat = g.transpose(1, 2, 3, 0).reshape(o, oh * ow * n)
        gw = backend.matmul(gmat, cols.T).reshape(w.shape)
        gx = None
        if x.requires_grad:
            gcols = backend.matmul(wmat.T, gmat).reshape(c, kh, kw, oh, ow, n)
            gxp = np.zeros(xp.shape, dtype=gcols.dtype)
            for i in range(kh):  # col2im: loop over kernel offsets only, never over pixels
                for j in range(kw):
                    gxp[:, i : i + (oh - 1) * sh + 1 : sh, j : j + (ow - 1) * sw + 1 : sw] += gcols[:, i, j]
            gx = gxp[:, ph : ph + h, pw : pw + wd].transpose(3, 0, 1, 2)
        if bias is None:
            return gx, gw
        return gx, gw, g.sum(axis=(0, 2, 3))

    parents = (x, weight) if bias is None else (x, weight, bias)
    return Tensor._op(data, parents, backward, "conv2d")


def _pool_setup(x, kernel_size, stride, padding, what):
    a = x.data
    if a.ndim != 4:
        hint = " (a single image? add a batch axis: x.reshape(1, *x.shape))" if a.ndim == 3 else ""
        raise ValueError(f"{what} expects a 4-D input (batch, channels, height, width), got shape {a.shape}{hint}")
    kh, kw = _pair(kernel_size, "kernel_size")
    sh, sw = _pair(stride if stride is not None else (kh, kw), "stride")
    ph, pw = _pair(padding, "padding")
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"{what}: padding {(ph, pw)} must be at most half the kernel size {(kh, kw)}")
    oh = _out_size(a.shape[2], kh, sh, ph, what, a.shape)
    ow = _out_size(a.shape[3], kw, sw, pw, what, a.shape)
    return a, kh, kw, sh, sw, ph, pw, oh, ow


def max_pool2d(x: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Maximum over each kernel window (stride defaults to the kernel size), NCHW.

    The gradient flows only to the element that won each window; on ties, to the first one in
    row-major window order (as PyTorch). Both passes loop over the kh*kw kernel offsets, each step a
    whole-array NumPy op, which measured 3-4x faster than argmax over a copied (..., kh*kw) axis.
    """
    x = _t(x)
    a, kh, kw, sh, sw, ph, pw, oh, ow = _pool_setup(x, kernel_size, stride, padding, "max_pool2d")
    xp = _pad(a, ph, pw, -np.inf)
    offsets = _window_offsets(kh, kw, sh, sw, oh, ow)
    data = xp[offsets[0]].copy()
    for idx in offsets[1:]:
        np.maximum(data, xp[idx], out=data)

    def backward(g):
        gx = np.zeros(xp.shape, dtype=g.dtype)
        unclaimed = np.ones(data.shape, dtype=bool)  # windows whose winner is not yet found
        for idx in offsets:
            won = (xp[idx] == data) & unclaimed
            unclaimed &= ~won
            gx[idx] += g * won
        return (gx[:, :, ph : ph + a.shape[2], pw : pw + a.shape[3]],)

    return Tensor._op(data, (x,), backward, "max_pool2d")


def avg_pool2d(x: Tensor, kernel_size, stride=None, padding=0) -> Tensor:
    """Mean over each kernel window (stride defaults to the kernel size), NCHW.

    Zero padding counts towards the mean, as PyTorch's default (count_include_pad=True). Each input
    pixel receives 1/(kh*kw) of the gradient of every window it belongs to.
    """
    x = _t(x)
    a, kh, kw, sh, sw, ph, pw, oh, ow = _pool_setup(x, kernel_size, stride, padding, "avg_pool2d")
    xp = _pad(a, ph, pw)
    offsets = _window_offsets(kh, kw, sh, sw, oh, ow)
    data = xp[offsets[0]].copy()
    for idx in offsets[1:]:
        data += xp[idx]
    data /= kh * kw

    def backward(g):
        gx = np.zeros(xp.shape, dtype=g.dtype)
        share = g / (kh * kw)
        for idx in offsets:
            gx[idx] += share
        return (gx[:, :, ph : ph + a.shape[2], pw : pw + a.shape[3]],)

    return Tensor._op(data, (x,), backward, "avg_pool2d")


# ---- embeddings (module 11) --------------------------------------------------------------------
def _index_array(ids, num_rows, what):
    idx = ids.data if isinstance(ids, Tensor) else np.asarray(ids)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{what}: indices must be integers, got dtype {idx.dtype}; use ids.astype(np.int64)")
    if idx.size and (idx.min() < 0 or idx.max() >= num_rows):
        bad = int(idx.max() if idx.max() >= num_rows else idx.min())
        raise IndexError(
            f"{what}: token id {bad} is out of range for num_embeddings={num_rows} (valid ids are "
            f"0..{num_rows - 1}); is the vocabulary size right?"
        )
    return idx


def embedding(ids, weight: Tensor) -> Tensor:
    """Look up rows of `weight` (num_embeddings, dim): ids (...) int -> (..., dim).

    A lookup is a one-hot matrix product done cheaply: the backward adds each output row's gradient
    into the row it came from, so a token used twice receives both gradients. It sorts the rows by
    id and sums each run of equal ids with one np.add.reduceat: 6x faster than np.add.at(gw, ids, g)
    on a GPT batch (2048 ids), same sums.
    """
    idx = _index_array(ids, weight.shape[0], "Embedding")
    w = weight.data

    def backward(g):
        gw = np.zeros_like(w)
        flat = idx.reshape(-1)
        if flat.size:
            order = np.argsort(flat, kind="stable")
            sorted_ids = flat[order]
            starts = np.flatnonzero(np.r_[True, sorted_ids[1:] != sorted_ids[:-1]])  # first row of each id
            gw[sorted_ids[starts]] = np.add.reduceat(g.reshape(-1, w.shape[1])[order], starts, axis=0)
        return (gw,)

    return Tensor._op(w[idx], (weight,), backward, "embedding")


# ---- normalisation (module 13) -----------------------------------------------------------------
def layer_norm(
    x: Tensor, normalized_shape, weight: Tensor | None = None, bias: Tensor | None = None, eps: float = 1e-5
) -> Tensor:
    """Normalise over the trailing `normalized_shape` axes to mean 0, variance 1, then scale and shift.

    One op with the analytic backward (instead of ~10 small ops): with x̂ = (x - mean) / std and
    ĝ = g * weight, dx = (ĝ - mean(ĝ) - x̂ * mean(ĝ * x̂)) / std, means over the normalised axes.
    """
    x = _t(x)
    a = x.data
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    normalized_shape = tuple(normalized_shape)
    k = len(normalized_shape)
    if a.shape[a.ndim - k :] != normalized_shape:
        raise ValueError(
            f"layer_norm: the input's trailing shape {a.shape[a.ndim - k :]} (input shape {a.shape}) "
            f"must equal normalized_shape {normalized_shape}"
        )
    n = int(np.prod(normalized_shape))
    # one row per normalised group, so that every mean below is a row mean
    rows = _float_array(a.reshape(-1, n))
    xhat = rows - _row_mean(rows)  # becomes x̂ in place: the one array the backward keeps
    rstd = 1.0 / np.sqrt(_row_mean(np.square(xhat)) + eps)
    xhat *= rstd
    data = xhat
    parents = [x]
    if weight is not None:
        data = data * weight.data.reshape(n)
        parents.append(weight)
    if bias is not None:
        data = data + bias.data.reshape(n) if data is xhat else np.add(data, bias.data.reshape(n), out=data)
        parents.append(bias)

    def backward(g):
        g = g.reshape(-1, n)
        gh = g * weight.data.reshape(n) if weight is not None else g.copy()
        gx = gh * xhat  # ĝ x̂ for its mean, then reused for x̂ mean(ĝ x̂)
        np.multiply(xhat, _row_mean(gx), out=gx)
        gh -= _row_mean(gh)
        gh -= gx
        gh *= rstd
        grads = [gh.reshape(a.shape)]
        if weight is not None:
            grads.append(_column_sum(g * xhat).reshape(weight.shape))
        if bias is not None:
            grads.append(_column_sum(g).reshape(bias.shape))
        return tuple(grads)

    data = data.reshape(a.shape)
    return Tensor._op(data.astype(rows.dtype, copy=False), tuple(parents), backward, "layer_norm")


def _row_mean(rows: np.ndarray) -> np.ndarray:
    """Mean of each row of a 2-D array, (r, n) -> (r, 1), through BLAS (see _sum_along)."""
    return (rows @ np.full(rows.shape[1], 1.0 / rows.shape[1], dtype=rows.dtype))[:, None]


def _column_sum(rows: np.ndarray) -> np.ndarray:
    """Sum over the rows of a 2-D array, (r, n) -> (n,): a bias's or a scale's gradient, through BLAS."""
    return np.ones(rows.shape[0], dtype=rows.dtype) @ rows


# ---- more of torch.nn.functional ---------------------------------------------------------------
l1_loss = loss_options.l1_loss


def silu(x: Tensor) -> Tensor:
    x = _t(x)
    return x * x.sigmoid()


def leaky_relu(x: Tensor, negative_slope: float = 0.01) -> Tensor:
    x = _t(x)
    slope = np.where(x.data > 0, 1.0, negative_slope).astype(x.dtype)
    return Tensor._op(x.data * slope, (x,), lambda g: (g * slope,), "leaky_relu")


def one_hot(tensor, num_classes: int = -1) -> Tensor:
    """Integer classes (...) -> (..., num_classes) of 0/1 (int64, as torch)."""
    y = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    if y.dtype.kind not in "iu":
        raise TypeError(f"one_hot: needs an integer tensor of class indices, got dtype {y.dtype}")
    n = int(y.max()) + 1 if num_classes < 0 else num_classes
    if y.size and (y.min() < 0 or y.max() >= n):
        raise RuntimeError(f"one_hot: class values must be in [0, {n}), got [{y.min()}, {y.max()}]")
    return Tensor((y[..., None] == np.arange(n)).astype(np.int64))


def pad(x: Tensor, pad: tuple, mode: str = "constant", value: float = 0.0) -> Tensor:
    """torch's padding order: (left, right) for the last axis, then (top, bottom) for the one before, ..."""
    x = _t(x)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: needs pairs (before, after) for at most {x.ndim} axes, got {pad}")
    if mode != "constant":
        raise NotImplementedError(f"pad: only mode='constant' is supported, got {mode!r}")
    widths = [(0, 0)] * x.ndim
    for i in range(len(pad) // 2):
        widths[x.ndim - 1 - i] = (pad[2 * i], pad[2 * i + 1])
    if any(a < 0 or b < 0 for a, b in widths):
        raise NotImplementedError(f"pad: negative padding (cropping) is not supported, got {pad}")
    data = np.pad(x.data, widths, constant_values=value)
    inner = tuple(slice(a, a + n) for (a, _), n in zip(widths, x.shape, strict=True))
    return Tensor._op(data, (x,), lambda g: (g[inner],), "pad")
