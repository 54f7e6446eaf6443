"""Module 18 (Acceleration): the same maths, arranged so the machine does less work per result.

Every technique comes as a pair — the slow form and the fast form compute the same numbers — and a
`measure_*` function that times both and returns the figures (seconds and the speed-up), so the
claim is measured on your machine rather than asserted:

* vectorization: Python loops over elements vs one NumPy call (the loop moves into compiled BLAS)
* im2col: convolution as loops over output pixels vs one matrix product over unrolled windows
* memory layout: walking an array along its contiguous axis vs across it (cache lines)
* operator fusion: one op with a hand-derived backward vs a chain of small ops (fewer passes over
  memory, fewer graph nodes, fewer temporaries): GELU, softmax-cross-entropy, linear
* precision: float64 vs float32 vs float16 (NumPy's float16 has no BLAS: smaller, not faster)

Timings use `benchmarking.benchmark` (warm-up, repeats, median).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..nn import functional as F
from ..nn.conv import naive_conv2d
from ..tensor import Tensor
from .benchmarking import benchmark

__all__ = [
    "im2col",
    "matmul_loops",
    "matmul_row_loop",
    "measure_vectorization",
    "measure_conv",
    "row_sums_loop",
    "measure_layout",
    "gelu_unfused",
    "cross_entropy_unfused",
    "linear_unfused",
    "measure_fusion",
    "measure_precision",
]


def _speedup(slow: float, fast: float) -> float:
    return slow / fast if fast > 0 else float("inf")


# ---- vectorization -------------------------------------------------------------------------------
def matmul_loops(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(M, K) @ (K, N) with three Python loops: M*N*K interpreted multiply-adds."""
    m, k = a.shape
    n = b.shape[1]
    al, bl = a.tolist(), b.tolist()
    out = [[0.0] * n for _ in range(m)]
    for i in range(m):
        row, out_row = al[i], out[i]
        for j in range(n):
            s = 0.0
            for t in range(k):
                s += row[t] * bl[t][j]
            out_row[j] = s
    return np.array(out, dtype=a.dtype)


def matmul_row_loop(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One Python loop over rows, each row a vectorized vector-matrix product (half-way)."""
    return np.stack([row @ b for row in a])


def measure_vectorization(n: int = 64, repeats: int = 5, seed: int = 0) -> dict:
    """Time an n x n matmul three ways: Python loops, a loop over rows, one `@` call."""
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((n, n)).astype(np.float32), rng.standard_normal((n, n)).astype(np.float32)
    loops = benchmark(lambda: matmul_loops(a, b), warmup=1, repeats=max(1, repeats // 2)).median
    rows = benchmark(lambda: matmul_row_loop(a, b), warmup=1, repeats=repeats).median
    vec = benchmark(lambda: a @ b, warmup=3, repeats=repeats * 4).median
    return {
        "n": n,
        "loops s": loops,
        "row loop s": rows,
        "vectorized s": vec,
        "speed-up loops -> vectorized": _speedup(loops, vec),
        "speed-up row loop -> vectorized": _speedup(rows, vec),
    }


# ---- im2col --------------------------------------------------------------------------------------
def _pair(v) -> tuple[int, int]:
    return (int(v), int(v)) if np.isscalar(v) else (int(v[0]), int(v[1]))


def im2col(x: np.ndarray, kernel_size, stride=1, padding=0, pad_value=0) -> tuple[np.ndarray, tuple[int, int]]:
    """Unroll every kernel window of x (N, C, H, W) into a row: ((N*oh*ow, C*kh*kw), (oh, ow)).

    Column order is (C, kh, kw), matching weight.reshape(O, C*kh*kw), so a convolution becomes
    cols @ weight.reshape(O, -1).T. Works for any dtype (the quantized conv feeds it integer codes).
    """
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    if ph or pw:
        x = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=pad_value)
    n, c, h, w = x.shape
    oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    if oh <= 0 or ow <= 0:
        raise ValueError(f"im2col: a {kh}x{kw} kernel does not fit the padded {h}x{w} input")
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]
    cols = windows[:, :, :oh, :ow].transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)
    return cols, (oh, ow)


def measure_conv(
    batch: int = 8,
    in_channels: int = 3,
    out_channels: int = 8,
    size: int = 16,
    kernel: int = 3,
    padding: int = 1,
    repeats: int = 5,
    seed: int = 0,
) -> dict:
    """Forward time of `naive_conv2d` (Python loops over output pixels) vs im2col `F.conv2d`."""
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((batch, in_channels, size, size)).astype(np.float32))
    w = Tensor(rng.standard_normal((out_channels, in_channels, kernel, kernel)).astype(np.float32))
    b = Tensor(rng.standard_normal(out_channels).astype(np.float32))
    naive = benchmark(lambda: naive_conv2d(x, w, b, 1, padding), warmup=1, repeats=max(1, repeats // 2)).median
    fast = benchmark(lambda: F.conv2d(x, w, b, 1, padding), warmup=3, repeats=repeats * 4).median
    return {
        "input": (batch, in_channels, size, size),
        "naive s": naive,
        "im2col s": fast,
        "speed-up": _speedup(naive, fast),
    }


# ---- memory layout -------------------------------------------------------------------------------
def row_sums_loop(a: np.ndarray) -> np.ndarray:
    """Sum each row with a Python loop over rows: contiguous reads if a is C-ordered, strided if not."""
    return np.array([row.sum() for row in a])


def measure_layout(n: int = 1024, repeats: int = 5, seed: int = 0) -> dict:
    """Row-by-row work on a row-major array (each row one contiguous block) vs on its transpose
    (each "row" jumps n*4 bytes between elements, touching a new cache line every read), and the
    cost of fixing the layout once with a contiguous copy."""
    a = np.random.default_rng(seed).standard_normal((n, n)).astype(np.float32)
    strided = a.T  # a view: same memory, rows are now columns
    contiguous = benchmark(lambda: row_sums_loop(a), warmup=1, repeats=repeats).median
    across = benchmark(lambda: row_sums_loop(strided), warmup=1, repeats=repeats).median
    copy_first = benchmark(lambda: row_sums_loop(np.ascontiguousarray(strided)), warmup=1, repeats=repeats).median
    return {
        "n": n,
        "contiguous rows s": contiguous,
        "strided rows s": across,
        "copy then rows s": copy_first,
        "speed-up strided -> contiguous": _speedup(across, contiguous),
        "speed-up strided -> copy then rows": _speedup(across, copy_first),
    }


# ---- operator fusion -----------------------------------------------------------------------------
def gelu_unfused(x: Tensor) -> Tensor:
    """0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) from small differentiable ops (nine graph nodes)."""
    inner = (x + x * x * x * 0.044715) * math.sqrt(2.0 / math.pi)
    return x * 0.5 * (inner.tanh() + 1.0)


def cross_entropy_unfused(logits: Tensor, targets) -> Tensor:
    """Mean NLL via max-shift, exp, sum, log, gather and mean: each its own op and temporary."""
    y = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    z = logits - Tensor(logits.data.max(axis=1, keepdims=True))
    logp = z - z.exp().sum(axis=1, keepdims=True).log()
    return -logp[np.arange(len(y)), y].mean()


def linear_unfused(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ W.T + b as three ops (transpose, matmul, add) instead of F.linear's one."""
    out = x @ weight.T
    return out if bias is None else out + bias


def _fwd_bwd(fn, *inputs):
    out = fn(*inputs)
    (out if out.data.size == 1 else out.sum()).backward()
    return out


def measure_fusion(rows: int = 256, features: int = 512, classes: int = 10, repeats: int = 10, seed: int = 0) -> dict:
    """Forward + backward time of each fused op vs its unfused composition (same numbers).

    Returns {case: {"fused s", "unfused s", "speed-up"}} for gelu, cross_entropy and linear.
    """
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal((rows, features)).astype(np.float32), requires_grad=True)
    logits = Tensor(rng.standard_normal((rows, classes)).astype(np.float32) * 3, requires_grad=True)
    targets = rng.integers(0, classes, rows)
    w = Tensor(rng.standard_normal((classes, features)).astype(np.float32), requires_grad=True)
    b = Tensor(rng.standard_normal(classes).astype(np.float32), requires_grad=True)
    cases = {
        "gelu": (F.gelu_tanh, gelu_unfused, (x,)),
        "cross_entropy": (F.cross_entropy, cross_entropy_unfused, (logits, targets)),
        "linear": (F.linear, linear_unfused, (x, w, b)),
    }
    results = {}
    for name, (fused, unfused, inputs) in cases.items():
        tf = benchmark(functools.partial(_fwd_bwd, fused, *inputs), warmup=3, repeats=repeats).median
        tu = benchmark(functools.partial(_fwd_bwd, unfused, *inputs), warmup=3, repeats=repeats).median
        results[name] = {"fused s": tf, "unfused s": tu, "speed-up": _speedup(tu, tf)}
    return results


# ---- precision -----------------------------------------------------------------------------------
def measure_precision(n: int = 256, repeats: int = 10, seed: int = 0) -> dict:
    """An n x n matmul in float64, float32 and float16, and mixed (a float16-stored operand upcast to
    float32 for the product): time, bytes per operand, error vs float64.

    float32 halves memory traffic and doubles SIMD width over float64, so BLAS runs it ~2x faster.
    NumPy's float16 matmul has no BLAS kernel (it loops), so it is smaller but much slower here;
    on GPUs with tensor cores it is the fastest of the three.
    """
    rng = np.random.default_rng(seed)
    a64, b64 = rng.standard_normal((n, n)), rng.standard_normal((n, n))
    ref = a64 @ b64
    out = {}
    for dtype in (np.float64, np.float32, np.float16):
        a, b = a64.astype(dtype), b64.astype(dtype)
        reps = repeats if dtype != np.float16 else max(1, repeats // 5)
        t = benchmark(functools.partial(np.matmul, a, b), warmup=1, repeats=reps).median
        err = float(np.abs((a @ b).astype(np.float64) - ref).max() / np.abs(ref).max())
        out[np.dtype(dtype).name] = {"s": t, "bytes": a.nbytes, "relative error": err}
    # mixed precision: store in float16 (half the bytes), compute in float32 (BLAS), upcast on the fly
    a32, b16 = a64.astype(np.float32), b64.astype(np.float16)
    t = benchmark(lambda: a32 @ b16.astype(np.float32), warmup=1, repeats=repeats).median
    err = float(np.abs((a32 @ b16.astype(np.float32)).astype(np.float64) - ref).max() / np.abs(ref).max())
    out["float16 storage, float32 compute"] = {"s": t, "bytes": b16.nbytes, "relative error": err}
    out["speed-up float64 -> float32"] = _speedup(out["float64"]["s"], out["float32"]["s"])
    return out
