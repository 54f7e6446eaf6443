"""Module 01 (Tensor): construction, dtype policy, properties, creation helpers, seeding, and the
forward values of every op (gradients are in test_autograd.py)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt


# ---- construction and the dtype policy -----------------------------------------------------------
@pytest.mark.parametrize(
    "data",
    [1.5, [1.0, 2.0], [[1.0], [2.5]], np.array([1.0, 2.0]), np.array([1.0], dtype=np.float16), np.float64(3.0)],
    ids=["float", "list", "nested", "float64_ndarray", "float16_ndarray", "np_float64"],
)
def test_float_data_is_float32_by_default(data):
    x = tt.Tensor(data)
    assert x.dtype == np.float32
    np.testing.assert_allclose(x.data, np.asarray(data, dtype=np.float64), rtol=1e-3)


@pytest.mark.parametrize(
    "data, dtype",
    [
        (3, np.int64),
        ([1, 2], np.int64),
        (np.array([1, 2], dtype=np.int32), np.int32),
        (np.array([7], dtype=np.uint8), np.uint8),
        ([True, False], np.bool_),
    ],
    ids=["int", "int_list", "int32_ndarray", "uint8_ndarray", "bool"],
)
def test_integer_and_bool_data_keep_their_kind(data, dtype):
    x = tt.Tensor(data)
    assert x.dtype == dtype
    assert x.tolist() == np.asarray(data).tolist()


def test_default_dtype_can_be_switched_to_float64(float64):
    assert tt.get_default_dtype() == np.float64
    assert tt.Tensor([1.0]).dtype == np.float64
    assert tt.zeros(2).dtype == np.float64 and tt.randn(2).dtype == np.float64


def test_explicit_dtype_wins():
    assert tt.Tensor([1.0], dtype=np.float64).dtype == np.float64
    assert tt.Tensor([1, 2], dtype=np.float32).dtype == np.float32


def test_tensor_from_tensor_and_tt_tensor():
    a = tt.Tensor([1.0, 2.0])
    b = tt.Tensor(a)
    assert b.dtype == np.float32 and b.tolist() == [1.0, 2.0] and not b.requires_grad
    c = tt.tensor([1.0, 2.0], requires_grad=True)
    assert isinstance(c, tt.Tensor) and c.requires_grad


def test_non_numeric_data_is_rejected():
    with pytest.raises(TypeError, match="numeric"):
        tt.Tensor("abc")
    with pytest.raises(TypeError, match="numeric"):
        tt.Tensor([1, None])


def test_ints_mixed_with_floats_give_the_default_float():
    pixels = tt.Tensor(np.array([0, 51, 255], dtype=np.uint8))
    scaled = pixels / 255.0
    assert scaled.dtype == np.float32
    np.testing.assert_allclose(scaled.data, [0, 0.2, 1], rtol=1e-6)
    assert (tt.Tensor([1, 2]) * 2.5).dtype == np.float32
    assert (tt.Tensor([1, 2]) / tt.Tensor([2, 4])).dtype == np.float32
    assert tt.Tensor([1, 4]).sqrt().dtype == np.float32
    assert (tt.Tensor([1, 2]) * 2).dtype == np.int64
    assert (tt.Tensor([1.0]).double() * 2).dtype == np.float64


def test_dtype_conversions():
    x = tt.Tensor([1.7, -2.2])
    assert x.double().dtype == np.float64 and x.float().dtype == np.float32
    assert x.long().dtype == np.int64 and x.long().tolist() == [1, -2]
    assert tt.Tensor([1, 2]).double().dtype == np.float64
    assert x.astype(np.float64).dtype == np.float64


def test_dtypes_match_torch(torch):
    cases = [
        "T([1.0, 2.0])",
        "T([1, 2])",
        "T([True])",
        "T([1, 2]) / 2",
        "T([1, 2]) * 2.5",
        "T([1, 2]) * 2",
        "T([1, 2]).sqrt()",
        "T([1.0]).double() * 2",
        "T([1, 2]).float()",
        "T([1, 2]) > 1",
    ]
    for expr in cases:
        ours = eval(expr, {"T": tt.Tensor}).dtype
        ref = eval(expr, {"T": torch.tensor}).dtype
        assert str(ours) == str(ref).replace("torch.", ""), f"{expr}: {ours} vs torch {ref}"


# ---- properties and conversions ------------------------------------------------------------------
def test_properties():
    x = tt.Tensor(np.arange(6.0).reshape(2, 3))
    assert isinstance(x.data, np.ndarray)
    assert x.shape == (2, 3) and x.ndim == 2 and x.dtype == np.float32
    assert x.size == 6 and isinstance(x.size, int) and x.numel() == 6 and len(x) == 2
    assert x.grad is None and x.requires_grad is False and x.is_leaf


def test_numpy_item_tolist():
    x = tt.Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(x.numpy(), np.ndarray) and x.numpy() is x.data
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    v = x[1, 0].item()
    assert v == 3.0 and type(v) is float
    assert type(tt.Tensor([5]).item()) is int
    assert np.asarray(x).shape == (2, 2)


def test_zero_dim_results_are_ndarrays():
    x = tt.Tensor([[1.0, 2.0]])
    for t in (x[0, 1], tt.Tensor(2.0) * 3, x.sum(), x.max(), tt.Tensor(2.0).exp()):
        assert isinstance(t.data, np.ndarray) and t.shape == (), type(t.data)


def test_repr_shows_values_and_grad_flag():
    r = repr(tt.Tensor([1.0, 2.0], requires_grad=True))
    assert r.startswith("Tensor(") and "1." in r and "requires_grad=True" in r
    assert "float64" in repr(tt.Tensor([1.0], dtype=np.float64))


def test_bool_of_a_one_element_tensor():
    assert bool(tt.Tensor([3.0]) > 2)
    with pytest.raises(ValueError, match=r"\(2,\)"):
        bool(tt.Tensor([1.0, 2.0]))


# ---- creation helpers and seeding ----------------------------------------------------------------
def test_zeros_ones_accept_varargs_and_a_tuple():
    for make, value in ((tt.zeros, 0.0), (tt.ones, 1.0)):
        a, b = make(2, 3), make((2, 3))
        assert a.shape == b.shape == (2, 3) and a.dtype == np.float32
        assert np.all(a.data == value) and np.all(b.data == value)
    assert tt.zeros(3, requires_grad=True).requires_grad
    assert tt.full((2, 2), 7.0).tolist() == [[7.0, 7.0], [7.0, 7.0]]
    assert tt.zeros_like(tt.ones(2, 3)).shape == (2, 3) and tt.ones_like(tt.zeros(4)).tolist() == [1.0] * 4
    assert tt.arange(4).tolist() == [0, 1, 2, 3]


def test_randn_seed_is_reproducible_and_private():
    a = tt.randn(3, 4, seed=42)
    tt.randn(10)  # advancing the global stream does not change a seeded draw
    b = tt.randn(3, 4, seed=42)
    assert a.shape == (3, 4) and a.dtype == np.float32
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(a.data, tt.randn(3, 4, seed=43).data)


def test_manual_seed_controls_the_global_stream():
    tt.manual_seed(123)
    a = tt.randn(5)
    b = tt.randn(5)
    tt.manual_seed(123)
    np.testing.assert_array_equal(tt.randn(5).data, a.data)
    assert not np.array_equal(a.data, b.data)


def test_randn_statistics():
    x = tt.randn(20000, seed=0).data
    assert abs(x.mean()) < 0.03 and abs(x.std() - 1) < 0.03


# ---- forward values against NumPy ----------------------------------------------------------------
A = np.array([[1.0, -2.0, 3.0], [0.5, 4.0, -1.5]])
B = np.array([2.0, -1.0, 0.5])


@pytest.mark.parametrize(
    "expr, expected",
    [
        (lambda a, b: a + b, A + B),
        (lambda a, b: a - b, A - B),
        (lambda a, b: a * b, A * B),
        (lambda a, b: a / b, A / B),
        (lambda a, b: 2 * a, 2 * A),
        (lambda a, b: 1 - a, 1 - A),
        (lambda a, b: 2 / b, 2 / B),
        (lambda a, b: a**2, A**2),
        (lambda a, b: 2**a, 2**A),
        (lambda a, b: -a, -A),
        (lambda a, b: a @ b, A @ B),
        (lambda a, b: a.T @ a, A.T @ A),
        (lambda a, b: a.abs().sqrt(), np.sqrt(np.abs(A))),
        (lambda a, b: a.exp(), np.exp(A)),
        (lambda a, b: a.abs().log(), np.log(np.abs(A))),
        (lambda a, b: a.tanh(), np.tanh(A)),
        (lambda a, b: a.sigmoid(), 1 / (1 + np.exp(-A))),
        (lambda a, b: a.relu(), np.maximum(A, 0)),
        (lambda a, b: a.clip(-1, 1), np.clip(A, -1, 1)),
        (lambda a, b: a.sum(axis=0), A.sum(0)),
        (lambda a, b: a.mean(dim=1, keepdims=True), A.mean(1, keepdims=True)),
        (lambda a, b: a.max(), A.max()),
        (lambda a, b: a.min(axis=-1), A.min(-1)),
        (lambda a, b: a.reshape(3, 2), A.reshape(3, 2)),
        (lambda a, b: a.reshape(-1), A.reshape(-1)),
        (lambda a, b: a.transpose(), A.T),
        (lambda a, b: a.permute(1, 0), A.T),
        (lambda a, b: a[1], A[1]),
        (lambda a, b: a[:, ::2], A[:, ::2]),
        (lambda a, b: a[[1, 1, 0]], A[[1, 1, 0]]),
        (lambda a, b: a[a > 0], A[A > 0]),
    ],
    ids=lambda v: "" if callable(v) or isinstance(v, np.ndarray) else str(v),
)
def test_forward_values_match_numpy(expr, expected):
    out = expr(tt.Tensor(A, dtype=np.float64), tt.Tensor(B, dtype=np.float64))
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12)


def test_reductions_accept_dim_and_tuple_axes():
    x = tt.Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.sum(dim=(0, 2)).shape == (3,) and x.sum(axis=[0, 2]).shape == (3,)
    assert x.mean(axis=1, keepdims=True).shape == (2, 1, 4)
    assert x.max(dim=-1).values.tolist() == x.data.max(-1).tolist()  # torch: dim gives (values, indices)
    assert x.sum().shape == () and x.sum(keepdims=True).shape == (1, 1, 1)
    assert x.var().item() == pytest.approx(np.var(np.arange(24.0), ddof=1), rel=1e-5)  # unbiased, as torch.var
    assert x.var(unbiased=False).item() == pytest.approx(np.var(np.arange(24.0)), rel=1e-5)
    assert x.argmax(dim=-1).tolist() == [[3, 3, 3], [3, 3, 3]]


def test_mean_of_bools_and_ints_is_a_float():
    pred, target = tt.Tensor([1, 2, 3, 4]), tt.Tensor([1, 2, 0, 0])
    acc = (pred == target).mean()
    assert acc.item() == 0.5 and acc.dtype == np.float32
    assert tt.Tensor([1, 2]).mean().item() == 1.5


def test_comparisons_give_bool_tensors_without_grad():
    x = tt.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    for m in (x > 1, x >= 2, x < 2, x <= 1, x == 2, x != 2):
        assert m.dtype == np.bool_ and not m.requires_grad
    assert (x > 1.5).tolist() == [False, True, True]
    assert (x == tt.Tensor([1.0, 0.0, 3.0])).tolist() == [True, False, True]


def test_concat_stack_where_masked_fill_values():
    a, b = tt.Tensor([[1.0, 2.0]]), tt.Tensor([[3.0, 4.0]])
    assert tt.concat([a, b]).tolist() == [[1, 2], [3, 4]]
    assert tt.concat([a, b], dim=1).tolist() == [[1, 2, 3, 4]]
    assert tt.cat([a, b], axis=-1).shape == (1, 4)
    assert tt.stack([a, b]).shape == (2, 1, 2) and tt.stack([a, b], axis=-1).shape == (1, 2, 2)
    assert tt.where(tt.Tensor([True, False]), tt.Tensor([1.0, 2.0]), 0.0).tolist() == [1.0, 0.0]
    filled = tt.Tensor([[1.0, 2.0], [3.0, 4.0]]).masked_fill(np.array([False, True]), -np.inf)
    assert filled.tolist() == [[1.0, -np.inf], [3.0, -np.inf]]


def test_shape_helpers():
    x = tt.Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.reshape((4, 6)).shape == (4, 6) and x.view(6, -1).shape == (6, 4)
    assert x.flatten().shape == (24,) and x.flatten(1).shape == (2, 12)
    assert x.unsqueeze(0).shape == (1, 2, 3, 4) and x.unsqueeze(0).squeeze(0).shape == (2, 3, 4)
    assert x.transpose(0, 2).shape == (4, 3, 2) and x.permute((2, 0, 1)).shape == (4, 2, 3)
    assert x[0].T.shape == (4, 3) and x.expand(5, 2, 3, 4).shape == (5, 2, 3, 4)


def test_setitem_outside_a_graph_and_refused_inside():
    x = tt.zeros(3)
    x[1] = 5.0
    assert x.tolist() == [0, 5, 0]
    w = tt.Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        w[0] = 3.0


def test_shape_arguments_as_varargs_or_one_tuple():
    """One parser (`_shape_args`) for every shape-taking function: f(2, 3) == f((2, 3)) == f([2, 3])."""
    x = tt.randn(2, 1, 3, seed=0)
    for spelled in ((2, 0, 1), ((2, 0, 1),), ([2, 0, 1],)):
        assert x.permute(*spelled).shape == (3, 2, 1)
    for spelled in ((2, 4, 3), ((2, 4, 3),), ([2, 4, 3],)):
        assert x.expand(*spelled).shape == (2, 4, 3)
    for spelled in ((2, 3), ((2, 3),), ([2, 3],)):
        assert tt.zeros(*spelled).shape == tt.ones(*spelled).shape == tt.randn(*spelled).shape == (2, 3)
        assert x.reshape(*spelled).shape == (2, 3)


def test_tensor_is_the_function_and_the_module_stays_importable():
    """docs/ARCHITECTURE.md: `tt.tensor` is torch's function; the module stays `tinytorch.tensor`
    for every `from tinytorch.tensor import ...` and `import_module` (the learner's saved work uses it)."""
    import importlib
    import sys
    import types

    from tinytorch.tensor import Tensor as Imported

    module = importlib.import_module("tinytorch.tensor")
    assert isinstance(module, types.ModuleType) and module is sys.modules["tinytorch.tensor"]
    assert module.Tensor is Imported is tt.Tensor and module.tensor is tt.tensor
    assert callable(tt.tensor) and not isinstance(tt.tensor, types.ModuleType)
    data = np.array([1.0, 2.0], np.float32)
    made = tt.tensor(data)
    data[0] = 5.0
    assert made.data.tolist() == [1.0, 2.0]  # torch.tensor copies
