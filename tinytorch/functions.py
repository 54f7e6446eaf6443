"""torch's function forms (`torch.exp(x)`, `torch.max(x, 1)`, `torch.randint(...)`) and dtype names.

Each is one line on top of a Tensor method or a NumPy call, so `import tinytorch as torch` reads as
PyTorch. dtypes are NumPy's scalar types: `x.dtype == torch.float32` compares as expected.
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor, _shape_args, default_rng, get_default_dtype, maximum, minimum

float32 = float = np.float32
float64 = double = np.float64
float16 = half = np.float16
int64 = long = np.int64
int32 = int = np.int32
int16 = short = np.int16
int8 = np.int8
uint8 = np.uint8
bool = np.bool_


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


# ---- elementwise and reductions: the method, called as a function ---------------------------------
def exp(x):
    return _t(x).exp()


def log(x):
    return _t(x).log()


def sqrt(x):
    return _t(x).sqrt()


def abs(x):
    return _t(x).abs()


def sin(x):
    return _t(x).sin()


def cos(x):
    return _t(x).cos()


def tanh(x):
    return _t(x).tanh()


def sigmoid(x):
    return _t(x).sigmoid()


def relu(x):
    return _t(x).relu()


def pow(x, exponent):
    return _t(x) ** exponent


def matmul(a, b):
    return _t(a) @ b


mm = matmul


def clamp(x, min=None, max=None):
    return _t(x).clamp(min, max)


clip = clamp


def sum(x, dim=None, keepdim=False):
    return _t(x).sum(dim=dim, keepdim=keepdim)


def mean(x, dim=None, keepdim=False):
    return _t(x).mean(dim=dim, keepdim=keepdim)


def std(x, dim=None, unbiased=True, keepdim=False):
    return _t(x).std(dim, unbiased, keepdim)


def var(x, dim=None, unbiased=True, keepdim=False):
    return _t(x).var(dim=dim, unbiased=unbiased, keepdim=keepdim)


def max(x, dim=None, keepdim=False):
    """torch.max(x): the largest element; torch.max(x, dim): (values, indices); torch.max(x, y): elementwise."""
    return _t(x).max(dim, keepdim)


def min(x, dim=None, keepdim=False):
    return _t(x).min(dim, keepdim)


def argmax(x, dim=None, keepdim=False):
    return _t(x).argmax(dim=dim, keepdim=keepdim)


def argmin(x, dim=None, keepdim=False):
    return _t(x).argmin(dim=dim, keepdim=keepdim)


def softmax(x, dim):
    return _t(x).softmax(dim)


def log_softmax(x, dim):
    return _t(x).log_softmax(dim)


def flatten(x, start_dim=0, end_dim=-1):
    return _t(x).flatten(start_dim, end_dim)


def reshape(x, shape):
    return _t(x).reshape(shape)


def transpose(x, dim0, dim1):
    return _t(x).transpose(dim0, dim1)


def permute(x, dims):
    return _t(x).permute(dims)


def squeeze(x, dim=None):
    return _t(x).squeeze(dim)


def unsqueeze(x, dim):
    return _t(x).unsqueeze(dim)


def tril(x, diagonal=0):
    return _t(x).tril(diagonal)


def triu(x, diagonal=0):
    return _t(x).triu(diagonal)


def topk(x, k, dim=-1, largest=True, sorted=True):
    return _t(x).topk(k, dim, largest, sorted)


def split(x, split_size_or_sections, dim=0):
    return _t(x).split(split_size_or_sections, dim)


def chunk(x, chunks, dim=0):
    return _t(x).chunk(chunks, dim)


def norm(x, p=2, dim=None, keepdim=False):
    return _t(x).norm(p, dim, keepdim)


def numel(x):
    return _t(x).numel()


def is_tensor(x):
    return isinstance(x, Tensor)


def allclose(a, b, rtol=1e-5, atol=1e-8):
    return np.allclose(_t(a).data, _t(b).data, rtol=rtol, atol=atol)


def equal(a, b):
    return _t(a).shape == _t(b).shape and np.array_equal(_t(a).data, _t(b).data)


# ---- building tensors ---------------------------------------------------------------------------
def linspace(start, end, steps, dtype=None, requires_grad=False):
    return Tensor(np.linspace(start, end, steps).astype(dtype or get_default_dtype()), requires_grad=requires_grad)


def randn_like(x, dtype=None, requires_grad=False):
    data = default_rng().standard_normal(x.shape).astype(dtype or x.dtype)
    return Tensor(data, requires_grad=requires_grad)


def rand_like(x, dtype=None, requires_grad=False):
    return Tensor(default_rng().random(x.shape).astype(dtype or x.dtype), requires_grad=requires_grad)


def randint(low, high=None, size=None, dtype=None):
    """torch.randint(high, size) or torch.randint(low, high, size): integers in [low, high)."""
    if size is None:  # randint(high, size)
        low, high, size = 0, low, high
    return Tensor(default_rng().integers(low, high, size=_shape_args((size,))).astype(dtype or np.int64))


def randperm(n, dtype=None):
    return Tensor(default_rng().permutation(n).astype(dtype or np.int64))


def empty(*shape, dtype=None, requires_grad=False):
    return Tensor(np.zeros(_shape_args(shape), dtype=dtype or get_default_dtype()), requires_grad=requires_grad)


def full_like(x, fill_value, dtype=None):
    return Tensor(np.full(x.shape, fill_value, dtype=dtype or x.dtype))


def eye(n, m=None, dtype=None):
    return Tensor(np.eye(n, m, dtype=dtype or get_default_dtype()))


def multinomial(probs, num_samples, replacement=False):
    """Draw category indices with the given (unnormalised) probabilities, one row per distribution."""
    p = np.asarray(_t(probs).data, dtype=np.float64)
    rows = p.reshape(-1, p.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all() or (rows.sum(axis=1) <= 0).any():
        raise RuntimeError("multinomial: probabilities must be finite, non-negative and not all zero")
    rng = default_rng()
    out = [rng.choice(len(r), size=num_samples, replace=replacement, p=r / r.sum()) for r in rows]
    return Tensor(np.asarray(out, dtype=np.int64).reshape(p.shape[:-1] + (num_samples,)))


__all__ = [name for name in dir() if not name.startswith("_")] + ["maximum", "minimum"]
