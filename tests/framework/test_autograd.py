"""Module 05 (Autograd): every differentiable Tensor op against finite differences and PyTorch,
plus the engine's semantics (accumulation, shared subgraphs, grad modes, retain_grad, deep graphs).

Each case in OPS is one line `fn(L, *xs)` run twice: with tinytorch under `gradcheck` (float64,
central differences, relative error < 1e-5) and, where torch is importable, against PyTorch
(forward values and gradients, float64).
"""

from __future__ import annotations

import sys

import numpy as np
import pytest

import tinytorch as tt
from tinytorch.autograd import GradcheckError, gradcheck, numerical_grad

# ---- the op table --------------------------------------------------------------------------------
# (id, fn(L, *xs), input shapes, domain): domain "pos" keeps log/sqrt/fractional powers/divisors > 0.
IDX_REPEAT = np.array([0, 2, 0, 2, 1])
MASK_3x4 = np.array([[True, False, True, False], [False, False, True, True], [True, True, True, False]])
COND_3x1 = np.array([[True], [False], [True]])

OPS = [
    # + - * / with broadcasting on either side
    ("add", lambda L, a, b: a + b, [(3, 4), (3, 4)], "any"),
    ("add_bcast_row", lambda L, a, b: a + b, [(3, 4), (4,)], "any"),
    ("add_bcast_both", lambda L, a, b: a + b, [(2, 1, 3), (4, 1)], "any"),
    ("add_scalar_tensor", lambda L, a, b: a + b, [(2, 3), ()], "any"),
    ("radd_number", lambda L, a: 2.5 + a, [(2, 3)], "any"),
    ("sub_bcast", lambda L, a, b: a - b, [(3, 1), (1, 4)], "any"),
    ("sub_number", lambda L, a: a - 2.0, [(3,)], "any"),
    ("rsub_number", lambda L, a: 1 - a, [(2, 3)], "any"),
    ("mul_bcast", lambda L, a, b: a * b, [(2, 3), (3,)], "any"),
    ("mul_bcast_both", lambda L, a, b: a * b, [(2, 1), (1, 3)], "any"),
    ("rmul_number", lambda L, a: 2 * a, [(2, 3)], "any"),
    ("mul_number", lambda L, a: a * -3.0, [(2, 3)], "any"),
    ("div_bcast", lambda L, a, b: a / b, [(2, 3), (3,)], "pos"),
    ("div_bcast_numerator", lambda L, a, b: a / b, [(3,), (2, 3)], "pos"),
    ("rdiv_number", lambda L, a: 2 / a, [(2, 3)], "pos"),
    ("div_number", lambda L, a: a / 4, [(2, 3)], "any"),
    ("neg", lambda L, a: -a, [(2, 3)], "any"),
    ("pow_int", lambda L, a: a**3, [(2, 3)], "any"),
    ("pow_frac", lambda L, a: a**2.5, [(2, 3)], "pos"),
    ("pow_negative", lambda L, a: a**-1.5, [(2, 3)], "pos"),
    ("rpow_number", lambda L, a: 2**a, [(2, 3)], "any"),
    ("pow_tensor_bcast", lambda L, a, b: a**b, [(2, 3), (3,)], "pos"),
    ("pow_tensor_scalar", lambda L, a, b: a**b, [(2, 3), ()], "pos"),
    # matmul in every rank combination
    ("matmul_1d_1d", lambda L, a, b: a @ b, [(4,), (4,)], "any"),
    ("matmul_1d_2d", lambda L, a, b: a @ b, [(3,), (3, 4)], "any"),
    ("matmul_2d_1d", lambda L, a, b: a @ b, [(4, 3), (3,)], "any"),
    ("matmul_2d_2d", lambda L, a, b: a @ b, [(2, 3), (3, 4)], "any"),
    ("matmul_batched", lambda L, a, b: a @ b, [(2, 3, 4), (2, 4, 2)], "any"),
    ("matmul_batch_bcast", lambda L, a, b: a @ b, [(2, 1, 3, 4), (3, 4, 2)], "any"),
    ("matmul_batched_2d", lambda L, a, b: a @ b, [(2, 3, 4), (4, 2)], "any"),
    ("matmul_1d_batched", lambda L, a, b: a @ b, [(3,), (2, 3, 4)], "any"),
    ("matmul_batched_1d", lambda L, a, b: a @ b, [(2, 3, 4), (4,)], "any"),
    # reductions
    ("sum_all", lambda L, a: a.sum(), [(2, 3, 4)], "any"),
    ("sum_axis", lambda L, a: a.sum(axis=1), [(2, 3, 4)], "any"),
    ("sum_neg_axis_keepdims", lambda L, a: a.sum(axis=-1, keepdims=True), [(2, 3, 4)], "any"),
    ("sum_tuple", lambda L, a: a.sum(axis=(0, 2)), [(2, 3, 4)], "any"),
    ("sum_dim_kw", lambda L, a: a.sum(dim=0), [(2, 3)], "any"),
    ("sum_all_keepdims", lambda L, a: a.sum(axis=(0, 1, 2), keepdims=True), [(2, 3, 2)], "any"),
    ("mean_all", lambda L, a: a.mean(), [(2, 3, 4)], "any"),
    ("mean_axis", lambda L, a: a.mean(axis=0), [(2, 3, 4)], "any"),
    ("mean_tuple_keepdims", lambda L, a: a.mean(axis=(1, -1), keepdims=True), [(2, 3, 4)], "any"),
    ("mean_dim_kw", lambda L, a: a.mean(dim=-1), [(2, 3)], "any"),
    ("max_all", lambda L, a: L.amax(a), [(3, 4)], "any"),
    ("max_axis", lambda L, a: L.amax(a, axis=1), [(3, 4)], "any"),
    ("max_tuple_keepdims", lambda L, a: L.amax(a, axis=(0, 2), keepdims=True), [(2, 3, 4)], "any"),
    ("max_neg_axis", lambda L, a: L.amax(a, axis=-1), [(2, 3, 4)], "any"),
    ("min_all", lambda L, a: L.amin(a), [(3, 4)], "any"),
    ("min_axis_keepdims", lambda L, a: L.amin(a, axis=0, keepdims=True), [(3, 4)], "any"),
    # shape
    ("reshape_infer", lambda L, a: a.reshape(-1, 2), [(2, 3, 2)], "any"),
    ("reshape_tuple", lambda L, a: a.reshape((4, 3)), [(2, 6)], "any"),
    ("transpose_default", lambda L, a: a.transpose(-2, -1) if L.name == "torch" else a.transpose(), [(2, 3, 4)], "any"),
    ("transpose_0_2", lambda L, a: a.transpose(0, 2), [(2, 3, 4)], "any"),
    ("T", lambda L, a: a.T * 1.0, [(2, 3)], "any"),
    ("permute", lambda L, a: a.permute(2, 0, 1), [(2, 3, 4)], "any"),
    ("permute_negative_dims", lambda L, a: a.permute(0, -1, 1), [(2, 3, 4)], "any"),
    ("view", lambda L, a: a.view(3, 4), [(2, 6)], "any"),
    ("flatten", lambda L, a: a.flatten(1), [(2, 3, 2)], "any"),
    ("unsqueeze_squeeze", lambda L, a: a.unsqueeze(1) * a.unsqueeze(0).squeeze(0), [(2, 3)], "any"),
    ("expand", lambda L, a: a.expand(2, 3, 4), [(3, 1)], "any"),
    ("var_biased", lambda L, a: a.var(dim=1, unbiased=False), [(3, 4)], "any"),
    # unary maths
    ("exp", lambda L, a: a.exp(), [(2, 3)], "any"),
    ("log", lambda L, a: a.log(), [(2, 3)], "pos"),
    ("sqrt", lambda L, a: a.sqrt(), [(2, 3)], "pos"),
    ("tanh", lambda L, a: a.tanh(), [(2, 3)], "any"),
    ("sigmoid", lambda L, a: a.sigmoid(), [(2, 3)], "any"),
    ("relu", lambda L, a: a.relu(), [(3, 4)], "any"),
    ("abs", lambda L, a: a.abs(), [(3, 4)], "any"),
    ("clip_both", lambda L, a: a.clip(-0.5, 0.5), [(3, 4)], "any"),
    ("clip_min_only", lambda L, a: a.clip(min=-0.5), [(3, 4)], "any"),
    ("clip_max_only", lambda L, a: a.clip(max=0.7), [(3, 4)], "any"),
    # indexing
    ("index_int", lambda L, a: a[1], [(3, 4)], "any"),
    ("index_neg_int_pair", lambda L, a: a[-1, 2] * 1.0, [(3, 4)], "any"),
    ("index_slices", lambda L, a: a[:, 1:3], [(3, 4)], "any"),
    ("index_step_slice", lambda L, a: a[::2, -1], [(3, 4)], "any"),
    ("index_int_array_repeats", lambda L, a: a[L.tensor(IDX_REPEAT)], [(3, 4)], "any"),
    ("index_two_int_arrays", lambda L, a: a[L.tensor([0, 2, 2]), L.tensor([1, 3, 3])], [(3, 4)], "any"),
    ("index_bool_mask", lambda L, a: a[L.tensor(MASK_3x4)], [(3, 4)], "any"),
    ("index_row_mask", lambda L, a: a[L.tensor(np.array([True, False, True]))], [(3, 4)], "any"),
    ("index_ellipsis", lambda L, a: a[..., 0], [(2, 3, 4)], "any"),
    # joining and selecting
    ("concat_axis0", lambda L, a, b: L.concat([a, b], 0), [(2, 3), (1, 3)], "any"),
    ("concat_axis_neg1", lambda L, a, b, c: L.concat([a, b, c], -1), [(2, 1), (2, 3), (2, 2)], "any"),
    ("concat_same_tensor_twice", lambda L, a: L.concat([a, a * 2], 1), [(2, 3)], "any"),
    ("stack_axis0", lambda L, a, b: L.stack([a, b], 0), [(2, 3), (2, 3)], "any"),
    ("stack_axis_neg1", lambda L, a, b: L.stack([a, b], -1), [(2, 3), (2, 3)], "any"),
    ("where_bcast", lambda L, a, b: L.where(L.tensor(COND_3x1), a, b), [(3, 4), (4,)], "any"),
    ("where_from_comparison", lambda L, a: L.where(a > 0, a * a, -a), [(3, 4)], "any"),
    ("masked_fill", lambda L, a: a.masked_fill(L.tensor(MASK_3x4), -2.0), [(3, 4)], "any"),
    (
        "masked_fill_bcast_mask",
        lambda L, a: a.masked_fill(L.tensor(np.array([True, False, False, True])), 0.0),
        [(3, 4)],
        "any",
    ),
    # graphs: one input used several times
    ("diamond", lambda L, a, b: (a * b + a.exp()) * a - b / (1 + a * a), [(2, 3), (3,)], "any"),
    ("mlp_like", lambda L, x, w, b: ((x @ w + b).tanh() ** 2).mean(axis=0), [(4, 3), (3, 2), (2,)], "any"),
]


@pytest.mark.parametrize("fn, specs, domain", [c[1:] for c in OPS], ids=[c[0] for c in OPS])
def test_op_gradient_matches_finite_differences(check_grad, fn, specs, domain):
    check_grad(fn, *specs, domain=domain)


@pytest.mark.parametrize("fn, specs, domain", [c[1:] for c in OPS], ids=[c[0] for c in OPS])
def test_op_matches_pytorch(check_torch, fn, specs, domain):
    check_torch(fn, *specs, domain=domain)


# ---- ties in max/min: the gradient is shared equally (torch.amax/amin semantics) ----------------
def test_max_ties_share_the_gradient_equally():
    x = tt.Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    x.max(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, [[0, 0.5, 0.5], [0.5, 0.5, 0]])
    y = tt.Tensor([5.0, 1.0, 5.0, 5.0], requires_grad=True)
    y.max().backward()
    np.testing.assert_allclose(y.grad.data, [1 / 3, 0, 1 / 3, 1 / 3], rtol=1e-6)
    z = tt.Tensor([[0.0, -1.0], [0.0, 4.0]], requires_grad=True)
    z.min(axis=0, keepdims=True).sum().backward()  # NumPy spelling: values only, ties share
    np.testing.assert_allclose(z.grad.data, [[0.5, 1], [0.5, 0]])


def test_max_ties_match_torch_amax(torch):
    a = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, -1.0]])
    x = tt.Tensor(a, requires_grad=True)
    t = torch.tensor(a, requires_grad=True)
    x.max(axis=1).sum().backward()
    torch.amax(t, dim=1).sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-6)


def test_max_pair_tie_passes_gradcheck(float64):
    # with two tied maxima the central difference is exactly 1/2 each, as the shared gradient
    x = tt.Tensor([[1.0, 3.0, 3.0], [0.5, 0.25, 0.5]], requires_grad=True)
    assert gradcheck(lambda a: a.max(axis=1), [x])


# ---- dropout with a fixed mask and detach/no-gradient paths under gradcheck ----------------------
def test_dropout_with_fixed_mask_passes_gradcheck(float64):
    import tinytorch.nn.functional as F

    x = tt.Tensor(np.linspace(-1, 1, 12).reshape(3, 4), requires_grad=True)

    def fn(a):  # a fresh generator with the same seed: the same mask on every evaluation
        return F.dropout(a, 0.4, training=True, rng=np.random.default_rng(7))

    assert gradcheck(fn, [x])
    kept = fn(x).data != 0
    assert 0 < kept.sum() < kept.size, "the fixed mask should drop some entries and keep others"


# ---- gradcheck itself must be able to fail -------------------------------------------------------
def _square_with_wrong_backward(x, bad_index):
    """x**2 whose backward is off by +1 at one element: gradcheck must point at that element."""
    a = x.data

    def backward(g):
        grad = 2 * a * g
        grad[bad_index] += 1.0
        return (grad,)

    return tt.Tensor._op(a * a, (x,), backward, "bad_square")


def test_gradcheck_fails_on_a_wrong_backward_and_names_the_element(float64):
    x = tt.Tensor(np.arange(6.0).reshape(2, 3) + 1, requires_grad=True)
    with pytest.raises(GradcheckError) as info:
        gradcheck(lambda a: _square_with_wrong_backward(a, (1, 2)), [x])
    msg = str(info.value)
    assert "(1, 2)" in msg, msg
    assert "input 0" in msg and "1 of 6" in msg, msg


def test_gradcheck_names_the_right_input(float64):
    a = tt.Tensor([1.0, 2.0], requires_grad=True)
    b = tt.Tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(GradcheckError, match=r"input 1 .*index \(0,\)"):
        gradcheck(lambda x, y: x * 2 + _square_with_wrong_backward(y, (0,)), [a, b])


def test_gradcheck_detects_a_missing_gradient(float64):
    x = tt.Tensor([1.0, 2.0, 3.0], requires_grad=True)

    def cut(a):  # the graph is cut: backward gives zero, finite differences do not
        return tt.Tensor._op(a.data * 3, (a,), lambda g: (None,), "cut")

    with pytest.raises(GradcheckError):
        gradcheck(cut, [x])


def test_gradcheck_refuses_float32_inputs():
    x = tt.Tensor([1.0, 2.0], requires_grad=True)
    assert x.dtype == np.float32
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda a: (a * a).sum(), [x])


def test_numerical_grad_of_a_known_function(float64):
    x = tt.Tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    (g,) = numerical_grad(lambda a: (a**3).sum(), [x])
    np.testing.assert_allclose(g, 3 * x.data**2, rtol=1e-8)
    np.testing.assert_array_equal(x.data, [[1.0, -2.0], [0.5, 3.0]], err_msg="nudged inputs must be restored")


def test_gradcheck_on_a_non_contiguous_input(float64):
    x = tt.Tensor(np.arange(1.0, 7.0).reshape(2, 3).T, dtype=np.float64, requires_grad=True)
    assert not x.data.flags.c_contiguous
    assert gradcheck(lambda a: (a**3).sum(axis=0), [x])


# ---- engine semantics ----------------------------------------------------------------------------
def test_gradients_accumulate_until_zeroed():
    x = tt.Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3 + 2, 3 + 4])
    x.zero_grad()
    assert x.grad is None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.data, [3, 3])


def test_grad_is_a_tensor_of_the_leaf_shape_and_dtype():
    x = tt.Tensor(np.ones((2, 3)), requires_grad=True)
    (x * tt.Tensor([1.0, 2.0, 3.0])).sum().backward()
    assert isinstance(x.grad, tt.Tensor) and x.grad.shape == (2, 3) and x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.data, [[1, 2, 3], [1, 2, 3]])
    d = tt.Tensor(np.ones(3), dtype=np.float64, requires_grad=True)
    (d * d).sum().backward()
    assert d.grad.dtype == np.float64, "a float64 leaf keeps a float64 gradient under the float32 default"


def test_a_tensor_used_several_times_sums_its_gradients():
    x = tt.Tensor(3.0, requires_grad=True)
    a = x * 2
    b = x * x
    y = a * b + a + b  # diamond: x -> a, b -> y
    y.backward()
    # y = 2x^3 + 2x + x^2  ->  6x^2 + 2 + 2x
    assert x.grad.item() == pytest.approx(6 * 9 + 2 + 6)


def test_same_tensor_on_both_sides_of_an_op():
    x = tt.Tensor([1.0, -2.0], requires_grad=True)
    (x * x + x @ x + x / x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * x.data + 2 * 2 * x.data + 0, rtol=1e-6)


def test_shared_gradient_arrays_are_not_aliased_between_leaves():
    a = tt.Tensor([1.0, 2.0], requires_grad=True)
    b = tt.Tensor([1.0, 2.0], requires_grad=True)
    (a + b).sum().backward()  # add passes the same array to both parents
    a.grad.data += 10
    np.testing.assert_allclose(b.grad.data, [1, 1])


def test_no_grad_records_no_graph():
    x = tt.Tensor([1.0, 2.0], requires_grad=True)
    with tt.no_grad():
        assert not tt.is_grad_enabled()
        y = x * 2 + 1
    assert tt.is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y._parents == ()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_no_grad_as_decorator():
    x = tt.Tensor([1.0, 2.0], requires_grad=True)

    @tt.no_grad()
    def evaluate(t):
        """doc kept"""
        return (t * 3).sum()

    out = evaluate(x)
    assert not out.requires_grad
    assert tt.is_grad_enabled()
    assert evaluate.__name__ == "evaluate" and evaluate.__doc__ == "doc kept"

    @tt.no_grad  # without parentheses, as torch allows
    def bare(t):
        return t * 3

    assert not bare(x).requires_grad and (x * 3).requires_grad


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with tt.no_grad():
            raise ZeroDivisionError("inside no_grad")
    assert tt.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    x = tt.Tensor([1.0, 2.0], requires_grad=True)
    with tt.no_grad():
        with tt.enable_grad():
            y = (x * x).sum()
        z = x * x
        assert not tt.is_grad_enabled()
    assert y.requires_grad and not z.requires_grad
    y.backward()
    np.testing.assert_allclose(x.grad.data, [2, 4])
    from tinytorch import autograd

    assert autograd.no_grad is tt.no_grad and autograd.enable_grad is tt.enable_grad


def test_detach_cuts_the_graph_and_shares_data():
    x = tt.Tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    np.testing.assert_allclose(d.data, [2, 4])
    y = (x * d).sum()  # d is a constant here
    y.backward()
    np.testing.assert_allclose(x.grad.data, [2, 4])
    assert x.detach().data is x.data


def test_non_leaf_grads_are_not_kept_unless_retained():
    x = tt.Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    kept = x * 5
    kept.retain_grad()
    (h * h + kept).sum().backward()
    assert h.grad is None
    np.testing.assert_allclose(kept.grad.data, [1, 1])
    np.testing.assert_allclose(x.grad.data, 18 * x.data + 5)
    assert x.is_leaf and not h.is_leaf


def test_backward_on_a_non_scalar_needs_a_gradient():
    x = tt.Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2
    with pytest.raises(RuntimeError) as info:
        y.backward()
    msg = str(info.value)
    assert "(2, 3)" in msg and "sum()" in msg and "grad=" in msg, msg


def test_backward_with_an_explicit_gradient():
    x = tt.Tensor(np.ones((2, 3)), requires_grad=True)
    y = x * 2
    g = np.arange(6.0).reshape(2, 3)
    y.backward(tt.Tensor(g))
    np.testing.assert_allclose(x.grad.data, 2 * g)
    x.zero_grad()
    y = x * 2
    y.backward(g)  # an ndarray works too
    np.testing.assert_allclose(x.grad.data, 2 * g)


def test_backward_with_a_wrong_gradient_shape_errors():
    x = tt.Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError) as info:
        (x * 2).backward(np.ones((3, 2)))
    assert "(3, 2)" in str(info.value) and "(2, 3)" in str(info.value)


def test_backward_on_a_scalar_leaf():
    x = tt.Tensor(2.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_deep_chain_does_not_hit_the_recursion_limit():
    depth = max(5000, sys.getrecursionlimit() + 100)
    x = tt.Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(depth):
        y = y * 1.0001 + 0.0
    y.backward()
    assert x.grad.item() == pytest.approx(1.0001**depth, rel=1e-3)
    del y  # freeing a long chain must not overflow the C stack either


def test_int_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        tt.Tensor([1, 2, 3], requires_grad=True)
    with pytest.raises(TypeError, match="floating-point"):
        tt.Tensor(np.array([1, 2], dtype=np.int32)).requires_grad_()
    with pytest.raises(TypeError):
        tt.Tensor([True, False], requires_grad=True)
    from tinytorch.nn import Parameter

    with pytest.raises(TypeError):
        Parameter(np.array([1, 2]))


def test_integer_inputs_carry_no_gradient_through_ops():
    x = tt.Tensor([1.0, 2.0, 3.0], requires_grad=True)
    idx = tt.Tensor([2, 0])
    y = x[idx] * tt.Tensor([1, 2])  # int factor: a constant
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2, 0, 1])
    assert not idx.requires_grad


def test_only_tensors_that_require_grad_get_grads():
    a = tt.Tensor([1.0, 2.0], requires_grad=True)
    c = tt.Tensor([3.0, 4.0])
    (a * c).sum().backward()
    assert c.grad is None
    np.testing.assert_allclose(a.grad.data, [3, 4])


def test_requires_grad_propagates_only_when_a_parent_requires_it():
    a = tt.Tensor([1.0], requires_grad=True)
    b = tt.Tensor([2.0])
    assert (a + b).requires_grad and (b * a).requires_grad
    assert not (b * 2).requires_grad and (b * 2).is_leaf
