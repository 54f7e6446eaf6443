"""tinytorch.backend: SciPy's BLAS (forced here; automatic only in Pyodide) computes what NumPy's `@`
computes, through every op that multiplies matrices, and NumPy takes over when SciPy is absent.

Under Pyodide (tests/wasm runs this directory) `use("blas")` really loads the dist's tinytorch-blas wheel.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch import backend


@pytest.fixture
def restore_backend(monkeypatch):
    """Every test starts undecided and leaves the process as it found it."""
    monkeypatch.setattr(backend, "_choice", None)
    monkeypatch.setattr(backend, "_reason", backend._reason)
    yield backend


@pytest.fixture
def blas(restore_backend):
    restore_backend.use("blas")
    return restore_backend


SHAPES = [
    ((64, 100), (100, 70)),  # plain 2-D
    ((3, 64, 50), (50, 40)),  # batch folded into rows (Linear on a sequence)
    ((2, 3, 64, 50), (2, 3, 50, 40)),  # batched products (attention)
    ((8, 8), (8, 8)),  # below the size threshold: NumPy either way
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape_a", "shape_b"), SHAPES)
def test_blas_products_equal_numpy(blas, shape_a, shape_b, dtype):
    rng = np.random.default_rng(0)
    a = rng.standard_normal(shape_a).astype(dtype)
    b = rng.standard_normal(shape_b).astype(dtype)
    out = backend.matmul(a, b)
    assert out.dtype == dtype and out.shape == (a @ b).shape
    np.testing.assert_allclose(out, a @ b, rtol=1e-4 if dtype == np.float32 else 1e-10, atol=1e-4)


def test_blas_takes_transposed_and_strided_operands(blas):
    rng = np.random.default_rng(1)
    a = rng.standard_normal((100, 64)).astype(np.float32)
    b = rng.standard_normal((70, 100)).astype(np.float32)
    strided = rng.standard_normal((100, 140)).astype(np.float32)[:, ::2]  # (100, 70), neither C nor F order
    for left, right in [(a.T, b.T), (a.T, strided), (strided.T, a)]:
        np.testing.assert_allclose(backend.matmul(left, right), left @ right, rtol=1e-4, atol=1e-4)


def test_blas_batched_products_take_any_layout(blas):
    """Batched products decide the operands' layout once per stack: transposed, strided and
    non-reshapeable batches give NumPy's numbers too."""
    rng = np.random.default_rng(2)
    a = rng.standard_normal((2, 3, 64, 50)).astype(np.float32)
    b = rng.standard_normal((2, 3, 50, 40)).astype(np.float32)
    transposed_a = np.swapaxes(rng.standard_normal((2, 3, 50, 64)).astype(np.float32), -1, -2)
    strided_b = rng.standard_normal((2, 3, 50, 80)).astype(np.float32)[..., ::2]
    batch_swapped_a = rng.standard_normal((3, 2, 64, 50)).astype(np.float32).transpose(1, 0, 2, 3)
    strided_transposed_b = np.swapaxes(rng.standard_normal((2, 3, 40, 100)).astype(np.float32)[..., ::2], -1, -2)
    for left, right in [(transposed_a, b), (a, strided_b), (batch_swapped_a, strided_transposed_b)]:
        np.testing.assert_allclose(backend.matmul(left, right), left @ right, rtol=1e-4, atol=1e-4)


def test_blas_is_really_called_for_large_products(blas, monkeypatch):
    calls = []
    sgemm = backend._gemm[np.dtype(np.float32)]
    monkeypatch.setitem(backend._gemm, np.dtype(np.float32), lambda *a, **k: calls.append(1) or sgemm(*a, **k))
    x = tt.randn(64, 64)
    _ = x @ x
    assert calls, "a 64x64x64 float32 product did not reach sgemm with the BLAS backend chosen"


def _linear_conv_attention_step(seed):
    """Forward + backward through linear (3-D), conv2d and attention; returns every gradient."""
    rng = np.random.default_rng(seed)
    x = tt.tensor(rng.standard_normal((4, 40, 48)).astype(np.float32), requires_grad=True)
    w = tt.tensor(rng.standard_normal((64, 48)).astype(np.float32) * 0.1, requires_grad=True)
    img = tt.tensor(rng.standard_normal((8, 3, 12, 12)).astype(np.float32), requires_grad=True)
    k = tt.tensor(rng.standard_normal((16, 3, 3, 3)).astype(np.float32) * 0.1, requires_grad=True)
    h = F.linear(x, w).reshape(4, 40, 2, 32).transpose(1, 2)  # (4, 2, 40, 32) heads
    att = F.scaled_dot_product_attention(h, h, h)
    loss = (att * att).sum() + (F.conv2d(img, k, padding=1) ** 2).sum()
    loss.backward()
    return [loss.data, x.grad.data, w.grad.data, img.grad.data, k.grad.data]


def test_training_ops_give_the_same_numbers_with_blas_and_numpy(restore_backend):
    restore_backend.use("numpy")
    expected = _linear_conv_attention_step(3)
    restore_backend.use("blas")
    got = _linear_conv_attention_step(3)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_allclose(g, e, rtol=2e-4, atol=2e-4)


def _int8_outputs(seed):
    """A calibrated INT8 Linear (K=300) and Conv2d (K=27) on fresh inputs, integer mode."""
    from tinytorch.systems import quantization as q  # noqa: PLC0415

    rng = np.random.default_rng(seed)
    tt.manual_seed(seed)  # the same layers in both calls
    linear, conv = tt.nn.Linear(300, 40), tt.nn.Conv2d(3, 8, 3, padding=1)
    x = rng.standard_normal((64, 300)).astype(np.float32)
    img = rng.standard_normal((8, 3, 10, 10)).astype(np.float32)
    ql = q.QuantizedLinear(linear, q.compute_qparams(x.min(), x.max(), scheme="asymmetric"))
    qc = q.QuantizedConv2d(conv, q.compute_qparams(img.min(), img.max(), scheme="asymmetric"))
    return ql(tt.tensor(x)).data, qc(tt.tensor(img)).data


def test_int8_layers_are_exact_on_blas(restore_backend, monkeypatch):
    """Their int32 sums run as float32 products on BLAS (every partial sum is an integer below 2^24),
    so the outputs are bit for bit those of NumPy's `@`, in whatever order BLAS adds."""
    restore_backend.use("numpy")
    expected = _int8_outputs(5)
    restore_backend.use("blas")
    calls = []
    sgemm = backend._gemm[np.dtype(np.float32)]
    monkeypatch.setitem(backend._gemm, np.dtype(np.float32), lambda *a, **k: calls.append(1) or sgemm(*a, **k))
    got = _int8_outputs(5)
    assert calls, "the INT8 accumulation did not reach sgemm"
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)


def test_the_learner_is_told_which_backend_and_why(restore_backend):
    assert tt.backend().startswith("undecided:")
    assert restore_backend.use("blas").startswith("blas:")
    assert tt.backend() == backend.which()
    assert "sgemm" in tt.backend()
    assert restore_backend.use("numpy").startswith("numpy:")
    with pytest.raises(ValueError, match="unknown backend 'cuda'"):
        restore_backend.use("cuda")


@pytest.mark.skipif(backend.IN_BROWSER, reason="natively only: in the page the first product may load SciPy")
def test_natively_the_first_large_product_keeps_numpy(restore_backend):
    x = tt.randn(64, 64)
    _ = x @ x
    assert tt.backend().startswith("numpy: native NumPy")


def test_without_scipy_numpy_multiplies_and_says_why(restore_backend, monkeypatch):
    """The page without the SciPy wheel (or a browser that cannot wait for it) still trains."""

    def scipy_missing():
        raise backend.BackendUnavailableError("SciPy is not installed; NumPy's @ is used instead")

    monkeypatch.setattr(backend, "_gemm", {})
    monkeypatch.setattr(backend, "_load_blas", scipy_missing)
    monkeypatch.setattr(backend, "IN_BROWSER", True)
    with pytest.raises(backend.BackendUnavailableError, match="SciPy is not installed"):
        restore_backend.use("blas")
    layer = tt.nn.Linear(64, 64)
    x = tt.randn(64, 64, requires_grad=True)
    layer(x).sum().backward()
    assert x.grad.shape == (64, 64)
    assert (
        tt.backend()
        == "numpy: SciPy's BLAS is not available in this page (SciPy is not installed; NumPy's @ is used instead)"
    )
