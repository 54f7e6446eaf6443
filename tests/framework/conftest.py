"""Shared fixtures of the framework tests: float64 mode, seeded inputs, gradient checks, PyTorch parity.

The op tables in test_autograd / test_activations / test_losses write each case once as
`fn(L, *xs)`, where `L` is a small namespace (`L.F`, `L.tensor`, `L.concat`, ...) that is either
tinytorch (`TT`) or PyTorch (`TORCH`): the same line is gradient-checked against finite differences
and compared with torch, so the two checks cannot drift apart.

PyTorch is optional: `torch` skips the test (with a reason) where it cannot be imported, e.g. under
Pyodide, where this whole directory also runs.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch.autograd import gradcheck


@pytest.fixture
def float64():
    """New float tensors are float64 inside the test (finite differences need it); float32 again after."""
    tt.set_default_dtype(np.float64)
    yield np.float64
    tt.set_default_dtype(np.float32)


@pytest.fixture(scope="session")
def torch():
    return pytest.importorskip(
        "torch", reason="PyTorch is not importable here (parity tests need torch CPU; absent under Pyodide)"
    )


def _tt_amax(x, axis=None, keepdims=False):
    return x.max(axis=axis, keepdims=keepdims)


def _tt_amin(x, axis=None, keepdims=False):
    return x.min(axis=axis, keepdims=keepdims)


TT = SimpleNamespace(
    name="tinytorch",
    tensor=tt.tensor,
    concat=tt.concat,
    stack=tt.stack,
    where=tt.where,
    amax=_tt_amax,
    amin=_tt_amin,
    F=F,
    gelu=F.gelu_tanh,
    gelu_exact=F.gelu,
)


@pytest.fixture(scope="session")
def TORCH(torch):
    tf = torch.nn.functional

    def amax(x, axis=None, keepdims=False):
        return torch.amax(x, dim=() if axis is None else axis, keepdim=keepdims)

    def amin(x, axis=None, keepdims=False):
        return torch.amin(x, dim=() if axis is None else axis, keepdim=keepdims)

    return SimpleNamespace(
        name="torch",
        tensor=torch.tensor,
        concat=torch.cat,
        stack=torch.stack,
        where=torch.where,
        amax=amax,
        amin=amin,
        F=tf,
        gelu=lambda x: tf.gelu(x, approximate="tanh"),
        gelu_exact=tf.gelu,
    )


def make_array(spec, domain="any", seed=0):
    """A float64 test input: `spec` is a shape or literal values.

    domain: "any" = magnitudes in [0.2, 1.5] with random signs (away from the kinks of relu/abs/clip
    at 0), "pos" = [0.5, 2] (log, sqrt, fractional powers, divisors), "unit" = [0.1, 0.9] (probabilities).
    """
    if not isinstance(spec, tuple):
        return np.array(spec, dtype=np.float64)
    rng = np.random.default_rng(seed)
    if domain == "pos":
        return rng.uniform(0.5, 2.0, spec)
    if domain == "unit":
        return rng.uniform(0.1, 0.9, spec)
    return rng.uniform(0.2, 1.5, spec) * rng.choice([-1.0, 1.0], spec)


@pytest.fixture
def check_grad(float64):
    """check_grad(fn, *specs, domain=...): gradcheck fn(TT, *xs) in float64, relative error < 1e-5."""

    def check(fn, *specs, domain="any", seed=0):
        arrays = [make_array(s, domain, seed + i) for i, s in enumerate(specs)]
        xs = [tt.Tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
        assert gradcheck(lambda *ins: fn(TT, *ins), xs, rtol=1e-5, atol=1e-8)

    return check


@pytest.fixture
def check_torch(TORCH, torch, float64):
    """check_torch(fn, *specs, domain=...): fn(TT, ...) and fn(TORCH, ...) agree in value and gradient.

    Both run in float64 on the same inputs (constants made inside fn too); gradients are of sum(out * w)
    for fixed random w, so every output element's backward is compared.
    """

    def check(fn, *specs, domain="any", seed=0, rtol=1e-9, atol=1e-11):
        arrays = [make_array(s, domain, seed + i) for i, s in enumerate(specs)]
        xs = [tt.Tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
        ts = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
        out, ref = fn(TT, *xs), fn(TORCH, *ts)
        ref_np = ref.detach().numpy()
        assert out.shape == tuple(ref_np.shape), f"shape {out.shape} != torch {tuple(ref_np.shape)}"
        np.testing.assert_allclose(out.data, ref_np, rtol=rtol, atol=atol, err_msg="forward value")
        w = np.random.default_rng(99).standard_normal(ref_np.shape)
        (out * tt.Tensor(w, dtype=np.float64)).sum().backward()
        (ref * torch.tensor(w, dtype=torch.float64)).sum().backward()
        for k, (x, t) in enumerate(zip(xs, ts, strict=True)):
            tg = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
            xg = np.zeros(x.shape) if x.grad is None else x.grad.data
            np.testing.assert_allclose(xg, tg, rtol=rtol, atol=atol, err_msg=f"gradient of input {k}")

    return check
