"""Errors a learner hits must say what is wrong with the numbers involved (the shapes, the class
index, the dtype) and hint at the fix. Each test asserts the facts appear in the message."""

from __future__ import annotations

import operator

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
import tinytorch.nn.functional as F


def _message(exc_type, fn):
    with pytest.raises(exc_type) as info:
        fn()
    return str(info.value)


# ---- shape mismatches name both shapes -----------------------------------------------------------
@pytest.mark.parametrize(
    "a, b",
    [((2, 3), (4, 5)), ((2, 3), (2, 3)), ((3,), (4,)), ((2, 3), (4,)), ((5,), (2, 3)), ((2, 3, 4), (3, 4, 5))],
    ids=["2d_2d", "2d_2d_transposable", "1d_1d", "2d_1d", "1d_2d", "batch"],
)
def test_matmul_mismatch_names_both_shapes(a, b):
    msg = _message(ValueError, lambda: tt.zeros(*a) @ tt.zeros(*b))
    assert str(a) in msg and str(b) in msg, msg


def test_matmul_mismatch_hints_at_the_transpose():
    msg = _message(ValueError, lambda: tt.zeros(2, 3) @ tt.zeros(2, 3))
    assert ".T" in msg, msg


def test_matmul_of_a_scalar_is_refused():
    msg = _message(ValueError, lambda: tt.Tensor(2.0) @ tt.zeros(3))
    assert "()" in msg and "(3,)" in msg


ARITHMETIC = [operator.add, operator.sub, operator.mul, operator.truediv]


@pytest.mark.parametrize("op", ARITHMETIC, ids=lambda f: f.__name__)
@pytest.mark.parametrize("a, b", [((2, 3), (4,)), ((2, 3), (3, 2)), ((4,), (2, 3))])
def test_broadcast_mismatch_names_both_shapes(op, a, b):
    msg = _message(ValueError, lambda: op(tt.ones(*a), tt.ones(*b)))
    assert str(a) in msg and str(b) in msg and "broadcast" in msg, msg


@pytest.mark.parametrize("op", ARITHMETIC, ids=lambda f: f.__name__)
def test_broadcast_mismatch_with_an_ndarray_names_both_shapes(op):
    x, arr = tt.ones(2, 3), np.ones(4)
    for left, right in ((x, arr), (arr, x)):
        msg = _message(ValueError, lambda left=left, right=right: op(left, right))
        assert "(2, 3)" in msg and "(4,)" in msg, msg


def test_linear_with_the_wrong_number_of_features():
    msg = _message(ValueError, lambda: nn.Linear(3, 4)(tt.zeros(2, 5)))
    assert "(2, 5)" in msg and "(4, 3)" in msg and "in_features" in msg, msg


def test_reshape_to_an_incompatible_size():
    msg = _message(ValueError, lambda: tt.zeros(2, 3).reshape(4))
    assert "(2, 3)" in msg and "(4,)" in msg and "6" in msg, msg
    msg = _message(ValueError, lambda: tt.zeros(2, 3).reshape(4, -1))
    assert "(2, 3)" in msg and "(4, -1)" in msg, msg


def test_concat_and_stack_mismatches_list_the_shapes():
    msg = _message(ValueError, lambda: tt.concat([tt.zeros(2, 3), tt.zeros(2, 4)]))
    assert "(2, 3)" in msg and "(2, 4)" in msg
    msg = _message(ValueError, lambda: tt.stack([tt.zeros(2, 3), tt.zeros(3, 2)]))
    assert "(2, 3)" in msg and "(3, 2)" in msg
    assert "at least one" in _message(ValueError, lambda: tt.concat([]))


def test_expand_to_an_incompatible_shape():
    msg = _message(ValueError, lambda: tt.zeros(2, 3).expand(3, 3))
    assert "(2, 3)" in msg and "(3, 3)" in msg


def test_transpose_and_T_on_the_wrong_rank():
    assert "(3,)" in _message(ValueError, lambda: tt.zeros(3).transpose())
    assert "(2, 3, 4)" in _message(ValueError, lambda: tt.zeros(2, 3, 4).T)
    assert "(2, 3)" in _message(ValueError, lambda: tt.zeros(2, 3).permute(0, 2))


def test_index_out_of_range():
    msg = _message(IndexError, lambda: tt.zeros(2, 3)[5])
    assert "(2, 3)" in msg and "5" in msg


def test_item_and_bool_of_many_elements():
    assert "(2, 3)" in _message(ValueError, lambda: tt.zeros(2, 3).item())
    assert "(2,)" in _message(ValueError, lambda: bool(tt.zeros(2)))


# ---- losses ------------------------------------------------------------------------------------
def test_cross_entropy_with_the_wrong_target_shape():
    msg = _message(ValueError, lambda: F.cross_entropy(tt.zeros(4, 3), tt.Tensor([[0], [1], [2], [0]])))
    assert "(4,)" in msg and "(4, 1)" in msg and "(4, 3)" in msg, msg
    msg = _message(ValueError, lambda: F.cross_entropy(tt.zeros(4, 3), tt.Tensor([0, 1])))
    assert "(4,)" in msg and "(2,)" in msg, msg


def test_cross_entropy_with_float_targets():
    msg = _message(TypeError, lambda: F.cross_entropy(tt.zeros(2, 3), tt.Tensor([0.0, 1.0])))
    assert "integer" in msg and "float32" in msg, msg


@pytest.mark.parametrize("bad", [3, -1, 10])
def test_cross_entropy_with_a_class_out_of_range(bad):
    msg = _message(IndexError, lambda: F.cross_entropy(tt.zeros(3, 3), tt.Tensor([0, bad, 1])))
    assert str(bad) in msg and "3 classes" in msg, msg


def test_cross_entropy_needs_2d_logits():
    msg = _message(ValueError, lambda: F.cross_entropy(tt.zeros(4), tt.Tensor([0])))
    assert "(N, C)" in msg and "(4,)" in msg


def test_cross_entropy_errors_match_torch_in_kind(torch):
    tf = torch.nn.functional
    with pytest.raises((IndexError, RuntimeError)):
        tf.cross_entropy(torch.zeros(3, 3), torch.tensor([0, 3, 1]))
    with pytest.raises(IndexError):
        F.cross_entropy(tt.zeros(3, 3), tt.Tensor([0, 3, 1]))


@pytest.mark.parametrize("loss", [F.mse_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits])
def test_elementwise_losses_refuse_mismatched_shapes(loss):
    msg = _message(ValueError, lambda: loss(tt.ones(4, 1) * 0.5, tt.ones(4) * 0.5))
    assert "(4, 1)" in msg and "(4,)" in msg and "reshape" in msg, msg


# ---- autograd misuse -----------------------------------------------------------------------------
def test_backward_without_any_grad_path():
    msg = _message(RuntimeError, lambda: tt.ones(2).sum().backward())
    assert "requires_grad" in msg and "no_grad" in msg


def test_backward_of_a_vector_without_grad():
    x = tt.ones(3, requires_grad=True)
    msg = _message(RuntimeError, lambda: (x * 2).backward())
    assert "(3,)" in msg and "sum()" in msg


def test_backward_grad_of_the_wrong_shape():
    x = tt.ones(3, requires_grad=True)
    msg = _message(ValueError, lambda: (x * 2).backward(tt.ones(4)))
    assert "(4,)" in msg and "(3,)" in msg


def test_ints_cannot_require_grad():
    msg = _message(TypeError, lambda: tt.Tensor([1, 2], requires_grad=True))
    assert "int64" in msg and "float" in msg


def test_axis_and_dim_together():
    assert "dim" in _message(TypeError, lambda: tt.ones(3).sum(axis=0, dim=0))


def test_power_with_a_bad_exponent():
    assert "str" in _message(TypeError, lambda: tt.ones(3) ** "2")


def test_in_place_assignment_into_a_graph():
    x = tt.ones(3, requires_grad=True)
    assert "where()" in _message(RuntimeError, lambda: x.__setitem__(0, 2.0))


# ---- modules -------------------------------------------------------------------------------------
def test_load_state_dict_messages():
    model = nn.Linear(3, 2)
    msg = _message(ValueError, lambda: model.load_state_dict({"weight": np.zeros((3, 2)), "bias": np.zeros(2)}))
    assert "weight" in msg and "(3, 2)" in msg and "(2, 3)" in msg
    msg = _message(KeyError, lambda: model.load_state_dict({"weight": np.zeros((2, 3))}))
    assert "bias" in msg and "missing" in msg


def test_dropout_probability_out_of_range():
    assert "1.0" in _message(ValueError, lambda: nn.Dropout(1.0))
    assert "1.5" in _message(ValueError, lambda: F.dropout(tt.ones(2), 1.5))
