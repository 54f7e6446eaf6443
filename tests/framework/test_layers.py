"""Module 03 (Layers): Module/Parameter discovery and naming as in torch, Linear (layout, init,
F.linear gradients), Dropout, Flatten, train/eval, state_dict round trips, and a small MLP that
must match PyTorch with the same weights."""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as nn
import tinytorch.nn.functional as F


# ---- Linear --------------------------------------------------------------------------------------
def test_linear_weight_layout_is_out_by_in():
    layer = nn.Linear(5, 3)
    assert isinstance(layer.weight, nn.Parameter) and isinstance(layer.weight, tt.Tensor)
    assert layer.weight.shape == (3, 5) and layer.bias.shape == (3,)
    assert layer.weight.requires_grad and layer.bias.requires_grad
    assert layer.weight.dtype == np.float32 and layer.in_features == 5 and layer.out_features == 3
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]


def test_linear_computes_x_weight_T_plus_bias():
    layer = nn.Linear(4, 2)
    x = tt.randn(3, 4, seed=0)
    np.testing.assert_allclose(layer(x).data, x.data @ layer.weight.data.T + layer.bias.data, rtol=1e-6)
    no_bias = nn.Linear(4, 2, bias=False)
    assert no_bias.bias is None and [n for n, _ in no_bias.named_parameters()] == ["weight"]
    np.testing.assert_allclose(no_bias(x).data, x.data @ no_bias.weight.data.T, rtol=1e-6)


def test_linear_accepts_1d_and_3d_inputs():
    layer = nn.Linear(4, 2)
    assert layer(tt.randn(4, seed=1)).shape == (2,)
    x = tt.randn(2, 5, 4, seed=2, requires_grad=True)
    y = layer(x)
    assert y.shape == (2, 5, 2)
    y.sum().backward()
    assert x.grad.shape == x.shape and layer.weight.grad.shape == (2, 4) and layer.bias.grad.shape == (2,)
    np.testing.assert_allclose(layer.bias.grad.data, [10, 10])


LINEAR = [
    ("linear_2d", lambda L, x, w, b: L.F.linear(x, w, b), [(4, 3), (2, 3), (2,)]),
    ("linear_3d_input", lambda L, x, w, b: L.F.linear(x, w, b), [(2, 4, 3), (5, 3), (5,)]),
    ("linear_4d_input", lambda L, x, w, b: L.F.linear(x, w, b), [(2, 1, 2, 3), (2, 3), (2,)]),
    ("linear_no_bias", lambda L, x, w: L.F.linear(x, w), [(4, 3), (2, 3)]),
    ("linear_1d_input", lambda L, x, w, b: L.F.linear(x, w, b), [(3,), (2, 3), (2,)]),
    ("linear_square_1d_input", lambda L, x, w, b: L.F.linear(x, w, b), [(3,), (3, 3), (3,)]),
    ("linear_chain", lambda L, x, w1, w2: L.F.linear(L.F.linear(x, w1).tanh(), w2), [(4, 3), (5, 3), (2, 5)]),
]


@pytest.mark.parametrize("fn, specs", [c[1:] for c in LINEAR], ids=[c[0] for c in LINEAR])
def test_functional_linear_gradient_matches_finite_differences(check_grad, fn, specs):
    check_grad(fn, *specs)


@pytest.mark.parametrize("fn, specs", [c[1:] for c in LINEAR], ids=[c[0] for c in LINEAR])
def test_functional_linear_matches_pytorch(check_torch, fn, specs):
    check_torch(fn, *specs)


def test_linear_with_an_input_that_needs_no_grad():
    layer = nn.Linear(3, 2)
    x = tt.randn(4, 3, seed=0)
    layer(x).sum().backward()
    assert x.grad is None
    np.testing.assert_allclose(layer.weight.grad.data, np.tile(x.data.sum(0), (2, 1)), rtol=1e-5)


# ---- initialisation ------------------------------------------------------------------------------
def test_linear_init_is_kaiming_uniform_like_torch():
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)  # gain sqrt(2/(1+5)) * sqrt(3/fan_in) = 1/sqrt(fan_in)
    w, b = layer.weight.data, layer.bias.data
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.mean()) < 0.02 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)  # std of U(-b, b)
    assert np.abs(b).max() <= bound and b.std() == pytest.approx(bound / math.sqrt(3), rel=0.15)


def test_linear_init_matches_torch_bounds(torch):
    ref = torch.nn.Linear(400, 300)
    ours = nn.Linear(400, 300)
    for name in ("weight", "bias"):
        r = getattr(ref, name).detach().numpy()
        o = getattr(ours, name).data
        assert np.abs(o).max() == pytest.approx(np.abs(r).max(), rel=0.02), name
        assert o.std() == pytest.approx(r.std(), rel=0.1), name


def test_other_init_schemes():
    he = nn.Linear(500, 400, init_scheme="kaiming_normal").weight.data
    assert he.std() == pytest.approx(math.sqrt(2 / 500), rel=0.02)
    xav = nn.Linear(500, 400, init_scheme="xavier").weight.data
    bound = math.sqrt(6 / (500 + 400))
    assert np.abs(xav).max() <= bound and np.abs(xav).max() > 0.99 * bound
    with pytest.raises(ValueError, match="init_scheme"):
        nn.Linear(2, 2, init_scheme="zeros")


def test_manual_seed_makes_models_reproducible():
    tt.manual_seed(7)
    a = nn.Linear(3, 4)
    tt.manual_seed(7)
    b = nn.Linear(3, 4)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    c = nn.Linear(3, 4)
    assert not np.array_equal(b.weight.data, c.weight.data)


# ---- parameter discovery and names ---------------------------------------------------------------
class Net(nn.Module):
    def __init__(self):
        self.encoder = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8))
        self.head = nn.Linear(8, 3)
        self.scale = nn.Parameter(np.ones(3))
        self.dropout = nn.Dropout(0.5)

    def forward(self, x):
        return self.head(self.dropout(self.encoder(x).relu())) * self.scale


NET_NAMES = [
    "scale",
    "encoder.0.weight",
    "encoder.0.bias",
    "encoder.2.weight",
    "encoder.2.bias",
    "head.weight",
    "head.bias",
]


def test_sequential_names_like_torch():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert len(model) == 3 and isinstance(model[1], nn.ReLU) and list(model)[2] is model[2]
    assert model.parameters() == [p for _, p in model.named_parameters()]
    assert model.num_parameters() == 2 * 3 + 3 + 3 + 1


def test_nested_module_names_like_torch():
    model = Net()
    assert [n for n, _ in model.named_parameters()] == NET_NAMES
    assert list(model.state_dict()) == NET_NAMES
    assert all(isinstance(p, nn.Parameter) for p in model.parameters())


def test_names_match_torch_for_the_same_structure(torch):
    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8))
            self.head = torch.nn.Linear(8, 3)
            self.scale = torch.nn.Parameter(torch.ones(3))
            self.dropout = torch.nn.Dropout(0.5)

    ref = TorchNet()
    assert [n for n, _ in Net().named_parameters()] == [n for n, _ in ref.named_parameters()]
    assert {n: p.shape for n, p in Net().named_parameters()} == {n: tuple(p.shape) for n, p in ref.named_parameters()}


def test_shared_weights_are_counted_once():
    shared = nn.Linear(3, 3)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert [n for n, _ in model.named_parameters()] == ["0.weight", "0.bias"]

    class Tied(nn.Module):
        def __init__(self):
            self.a = nn.Linear(4, 4)
            self.b = nn.Linear(4, 4, bias=False)
            self.b.weight = self.a.weight

    tied = Tied()
    assert [n for n, _ in tied.named_parameters()] == ["a.weight", "a.bias"]
    assert tied.num_parameters() == 16 + 4


def test_module_lists_register_their_modules():
    class Stack(nn.Module):
        def __init__(self):
            self.blocks = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
            self.extra = [nn.Linear(2, 1)]  # a plain list of modules is found too

    names = [n for n, _ in Stack().named_parameters()]
    assert names == [
        "blocks.0.weight",
        "blocks.0.bias",
        "blocks.1.weight",
        "blocks.1.bias",
        "extra.0.weight",
        "extra.0.bias",
    ]


def test_module_needs_a_forward_and_call_runs_it():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(tt.zeros(1))
    assert "Linear(in_features=4, out_features=8" in repr(Net())
    assert "(encoder): Sequential" in repr(Net())


def test_module_zero_grad():
    model = Net()
    model(tt.randn(2, 4, seed=0)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


# ---- train / eval, Dropout -----------------------------------------------------------------------
def test_train_and_eval_propagate_to_every_submodule():
    model = Net()
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not model.training and all(not m.training for m in model.modules())
    assert not model.encoder[1].training and not model.dropout.training
    model.train()
    assert all(m.training for m in model.modules())
    model.train(False)
    assert not model.dropout.training


def test_dropout_is_the_identity_in_eval():
    drop = nn.Dropout(0.5).eval()
    x = tt.randn(4, 5, seed=0, requires_grad=True)
    np.testing.assert_array_equal(drop(x).data, x.data)
    assert F.dropout(x, 0.5, training=False) is x


def test_dropout_zeroes_a_fraction_p_and_scales_the_rest_in_train():
    drop = nn.Dropout(0.3)
    x = tt.ones(200, 100, requires_grad=True)
    y = drop(x)
    kept = y.data != 0
    assert abs(1 - kept.mean() - 0.3) < 0.02
    np.testing.assert_allclose(y.data[kept], 1 / 0.7, rtol=1e-6)
    assert abs(y.data.mean() - 1) < 0.03  # inverted dropout keeps the expectation
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)  # the gradient goes through the same mask
    assert nn.Dropout(0.0)(x) is x


def test_dropout_rejects_bad_p():
    for p in (-0.1, 1.0, 1.5):
        with pytest.raises(ValueError, match="0, 1"):
            nn.Dropout(p)


# ---- Flatten -------------------------------------------------------------------------------------
def test_flatten():
    x = tt.randn(2, 3, 4, 5, seed=0, requires_grad=True)
    y = nn.Flatten()(x)
    assert y.shape == (2, 60)
    np.testing.assert_array_equal(y.data, x.data.reshape(2, 60))
    y.sum().backward()
    assert x.grad.shape == (2, 3, 4, 5)
    assert nn.Flatten(start_dim=2)(x).shape == (2, 3, 20)
    assert nn.Flatten(0)(x).shape == (120,)


def test_flatten_matches_torch(torch):
    a = np.zeros((2, 3, 4, 5), dtype=np.float32)
    for sd in (0, 1, 2, 3):
        assert nn.Flatten(sd)(tt.Tensor(a)).shape == tuple(torch.nn.Flatten(sd)(torch.tensor(a)).shape)


# ---- state_dict ----------------------------------------------------------------------------------
def test_state_dict_round_trip_is_exact():
    tt.manual_seed(1)
    a = Net()
    tt.manual_seed(2)
    b = Net()
    x = tt.randn(3, 4, seed=5)
    a.eval(), b.eval()
    assert not np.array_equal(a(x).data, b(x).data)
    state = a.state_dict()
    assert all(type(v) is tt.Tensor and not v.requires_grad for v in state.values())
    b.load_state_dict(state)
    np.testing.assert_array_equal(a(x).data, b(x).data)
    for (n, p), (m, q) in zip(a.named_parameters(), b.named_parameters(), strict=True):
        assert n == m and p.data.dtype == q.data.dtype and np.array_equal(p.data, q.data)


def test_state_dict_holds_copies():
    model = nn.Linear(2, 2)
    state = model.state_dict()
    before = state["weight"].numpy().copy()
    model.weight.data += 1
    np.testing.assert_array_equal(state["weight"], before)
    other = nn.Linear(2, 2).load_state_dict(state)
    state["weight"] += 5
    np.testing.assert_array_equal(other.weight.data, before)


def test_load_state_dict_accepts_tensors_and_keeps_dtype():
    model = nn.Linear(2, 2)
    model.load_state_dict({"weight": tt.Tensor(np.eye(2), dtype=np.float64), "bias": np.zeros(2)})
    assert model.weight.dtype == np.float32 and model.weight.tolist() == [[1, 0], [0, 1]]


def test_load_state_dict_errors_on_wrong_shapes():
    model = Net()
    state = model.state_dict()
    state["head.weight"] = np.zeros((4, 8), dtype=np.float32)
    with pytest.raises(ValueError) as info:
        model.load_state_dict(state)
    msg = str(info.value)
    assert "head.weight" in msg and "(4, 8)" in msg and "(3, 8)" in msg, msg


def test_load_state_dict_errors_on_missing_and_unexpected_keys():
    model = Net()
    state = model.state_dict()
    del state["head.bias"]
    state["head.gamma"] = np.zeros(3)
    with pytest.raises(KeyError) as info:
        model.load_state_dict(state)
    assert "head.bias" in str(info.value) and "head.gamma" in str(info.value)
    model.load_state_dict({"scale": np.full(3, 2.0)}, strict=False)
    assert model.scale.tolist() == [2.0, 2.0, 2.0]


def test_buffers_are_saved_but_are_not_parameters():
    class WithBuffer(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(2, 2)
            self.register_buffer("table", np.arange(3.0))

    m = WithBuffer()
    assert "table" in m.state_dict() and "table" not in dict(m.named_parameters())
    state = m.state_dict()
    assert isinstance(state["table"], tt.Tensor) and state["table"].dtype == np.float64
    state["table"] += 1.0  # a copy: the module's buffer stays
    assert m.table.tolist() == [0.0, 1.0, 2.0]
    state["table"] = np.array([7.0, 8.0, 9.0])
    m.load_state_dict(state)
    assert m.table.tolist() == [7.0, 8.0, 9.0]


# ---- a small MLP against PyTorch with the same weights -------------------------------------------
def test_mlp_matches_pytorch_forward_loss_and_gradients(torch):
    tt.manual_seed(0)
    ours = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 8), nn.Tanh(), nn.Linear(8, 4))
    ref = torch.nn.Sequential(
        torch.nn.Linear(6, 16), torch.nn.ReLU(), torch.nn.Linear(16, 8), torch.nn.Tanh(), torch.nn.Linear(8, 4)
    )
    with torch.no_grad():
        for name, p in ref.named_parameters():
            p.copy_(torch.from_numpy(dict(ours.named_parameters())[name].data))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((10, 6)).astype(np.float32)
    y = rng.integers(0, 4, 10)
    out, ref_out = ours(tt.Tensor(x)), ref(torch.tensor(x))
    np.testing.assert_allclose(out.data, ref_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    loss = F.cross_entropy(out, tt.Tensor(y))
    ref_loss = torch.nn.functional.cross_entropy(ref_out, torch.tensor(y))
    assert loss.item() == pytest.approx(ref_loss.item(), rel=1e-5)
    loss.backward()
    ref_loss.backward()
    for name, p in ref.named_parameters():
        ours_grad = dict(ours.named_parameters())[name].grad
        np.testing.assert_allclose(ours_grad.data, p.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)
