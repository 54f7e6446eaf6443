"""Issue 13: tinytorch behaves as torch where real programs depend on it.

The same line runs on both frameworks (`lib` is tinytorch or torch, with `.nn`, `.F`), so each
check is a torch program fragment; values and gradients are compared in float64.
"""

from __future__ import annotations

import io
import math
from types import SimpleNamespace

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn as tnn
import tinytorch.nn.functional as tF
import tinytorch.optim as toptim

TT = SimpleNamespace(torch=tt, nn=tnn, F=tF, optim=toptim)


@pytest.fixture(scope="module")
def TH(torch):
    return SimpleNamespace(torch=torch, nn=torch.nn, F=torch.nn.functional, optim=torch.optim)


def _inputs(specs, seed):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s) if isinstance(s, tuple) else np.asarray(s) for s in specs]


@pytest.fixture
def same(TH, torch, float64):
    """same(fn, *shapes): fn(lib, *xs) agrees between tinytorch and torch in value and gradient."""

    def check(fn, *specs, seed=0, rtol=1e-9, atol=1e-11, grad=True):
        arrays = _inputs(specs, seed)
        xs = [tt.tensor(a, dtype=np.float64, requires_grad=grad) for a in arrays]
        ts = [torch.tensor(a, dtype=torch.float64, requires_grad=grad) for a in arrays]
        out, ref = fn(TT, *xs), fn(TH, *ts)
        outs, refs = (out, ref) if isinstance(out, tuple) else ((out,), (ref,))
        for o, r in zip(outs, refs, strict=True):
            np.testing.assert_allclose(np.asarray(o.data), r.detach().numpy(), rtol=rtol, atol=atol)
            assert o.shape == tuple(r.shape)
        if not grad:
            return
        first, first_ref = outs[0], refs[0]
        w = np.random.default_rng(7).standard_normal(first_ref.shape)
        (first * tt.tensor(w, dtype=np.float64)).sum().backward()
        (first_ref * torch.tensor(w)).sum().backward()
        for x, t in zip(xs, ts, strict=True):
            xg = np.zeros(x.shape) if x.grad is None else x.grad.data
            tg = np.zeros(tuple(t.shape)) if t.grad is None else t.grad.numpy()
            np.testing.assert_allclose(xg, tg, rtol=rtol, atol=atol)

    return check


# ---- silent wrong results of the old tinytorch (issue 13, items 1-8 and AxisError) ---------------
def test_inplace_update_under_no_grad_trains_like_the_tutorial():
    w = tt.tensor([1.0, -2.0], requires_grad=True)
    alias = w
    for _ in range(3):
        loss = (w * w).sum()
        loss.backward()
        with tt.no_grad():
            w -= 0.25 * w.grad
            w.grad = None
    assert alias is w
    np.testing.assert_allclose(w.data, [0.125, -0.25])
    assert w._version == 3


def test_inplace_ops_raise_where_torch_raises(torch):
    for lib in (tt, torch):
        leaf = lib.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            leaf += 1
        h = lib.ones(3, requires_grad=True) * 2
        h += 1  # a non-leaf: recorded in the graph, as torch
        h.sum().backward()


def test_inplace_add_inside_a_graph_gives_torch_gradients(same):
    def fn(L, x, y):
        h = x * 2
        h += y
        h *= y
        return h

    same(fn, (3, 4), (3, 4))


def test_second_backward_raises_unless_retain_graph(torch):
    for lib in (tt, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        loss = (x * x).sum()
        loss.backward(retain_graph=True)
        loss.backward()
        np.testing.assert_allclose(np.asarray(x.grad.detach() if lib is torch else x.grad.data), [4.0, 8.0])
        with pytest.raises(RuntimeError, match="backward through the graph a second time"):
            loss.backward()


def test_changing_a_weight_between_forward_and_backward_raises(torch):
    for lib in (tt, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        loss = (w * w).sum()
        with lib.no_grad():
            w.mul_(3)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()


def test_max_with_dim_returns_values_and_indices(same, torch):
    same(lambda L, x: L.torch.max(x, 1), (4, 5))
    same(lambda L, x: x.min(dim=0, keepdim=True), (4, 5))
    same(lambda L, x: L.torch.max(x), (4, 5))
    same(lambda L, x, y: L.torch.max(x, y), (4, 5), (4, 5))
    x = np.random.default_rng(0).standard_normal((6, 3))
    _, predicted = tt.max(tt.tensor(x), 1)
    assert predicted.tolist() == torch.max(torch.tensor(x), 1)[1].tolist()
    assert tt.tensor(x).max(1)[1].dtype == np.int64


def test_bce_rejects_values_outside_zero_one(torch):
    logits, target = np.array([-1.0, 2.0]), np.array([0.0, 1.0])
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        torch.nn.BCELoss()(torch.tensor(logits), torch.tensor(target))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        tnn.BCELoss()(tt.tensor(logits), tt.tensor(target))


def test_tensor_copies_and_from_numpy_shares():
    a = np.ones(3)
    t, shared = tt.tensor(a), tt.from_numpy(a)
    a[0] = 5.0
    assert t.tolist() == [1.0, 1.0, 1.0] and shared.tolist() == [5.0, 1.0, 1.0]
    assert shared.dtype == np.float64


def test_data_update_keeps_an_array_and_state_dict_works():
    model = tnn.Linear(3, 2)
    (model(tt.ones(4, 3)).sum()).backward()
    for p in model.parameters():
        p.data -= 0.1 * p.grad
    assert all(isinstance(p.data, np.ndarray) for p in model.parameters())
    assert set(model.state_dict()) == {"weight", "bias"}


def test_gelu_is_exact_by_default_and_tanh_on_request(same):
    same(lambda L, x: L.F.gelu(x), (3, 4))
    same(lambda L, x: L.nn.GELU()(x), (3, 4))
    same(lambda L, x: L.nn.GELU(approximate="tanh")(x), (3, 4))


@pytest.mark.parametrize(
    "call",
    [
        lambda L, x: x.sum(dim=3),
        lambda L, x: L.F.softmax(x, dim=2),
        lambda L, x: x.transpose(0, 5),
        lambda L, x: x.max(2),
        lambda L, x: x.mean(dim=-3),
    ],
)
def test_dimension_out_of_range_is_torchs_index_error_naming_the_shape(call, TH):
    with pytest.raises(IndexError, match="Dimension out of range"):
        call(TH, TH.torch.ones(2, 3))
    with pytest.raises(IndexError, match=r"Dimension out of range.*\(2, 3\)"):
        call(TT, tt.ones(2, 3))


# ---- function forms and methods -------------------------------------------------------------------
@pytest.mark.parametrize(
    "fn, shapes",
    [
        (lambda L, x: L.torch.exp(x), [(3, 4)]),
        (lambda L, x: L.torch.sin(x) + L.torch.cos(x), [(3, 4)]),
        (lambda L, x: L.torch.tanh(x) * L.torch.sigmoid(x), [(3, 4)]),
        (lambda L, x: L.torch.sum(x, 1), [(3, 4)]),
        (lambda L, x: L.torch.sum(x, dim=0, keepdim=True), [(3, 4)]),
        (lambda L, x: L.torch.pow(x, 2), [(3, 4)]),
        (lambda L, x, y: L.torch.matmul(x, y), [(3, 4), (4, 2)]),
        (lambda L, x: L.torch.softmax(x, dim=1), [(3, 4)]),
        (lambda L, x: L.torch.clamp(x, min=-0.5, max=0.5), [(3, 4)]),
        (lambda L, x: L.torch.flatten(x, 1), [(2, 3, 4)]),
        (lambda L, x: x.flatten(0, 1), [(2, 3, 4)]),
        (lambda L, x: L.torch.tril(x), [(4, 4)]),
        (lambda L, x: x.triu(1), [(4, 4)]),
        (lambda L, x: L.torch.topk(x, 2), [(3, 5)]),
        (lambda L, x: x.topk(2, dim=0, largest=False), [(3, 5)]),
        (lambda L, x: x.split(2, dim=1), [(3, 5)]),
        (lambda L, x: x.split([1, 4], dim=1)[1], [(3, 5)]),
        (lambda L, x: x.chunk(3, dim=1), [(3, 5)]),
        (lambda L, x: x.repeat(2, 3), [(2, 3)]),
        (lambda L, x: x.repeat(2, 1, 1), [(2, 3)]),
        (lambda L, x: x.norm(), [(3, 4)]),
        (lambda L, x: x.norm(dim=1), [(3, 4)]),
        (lambda L, x: x.std(), [(3, 4)]),
        (lambda L, x: x.std(dim=0, keepdim=True), [(3, 4)]),
        (lambda L, x: x.clone() * 2, [(3, 4)]),
        (lambda L, x, y: x.view_as(y), [(3, 4), (4, 3)]),
        (lambda L, x: x.contiguous().view(-1), [(3, 4)]),
        (lambda L, x: x.softmax(-1) + x.log_softmax(0), [(3, 4)]),
        (lambda L, x: L.F.silu(x) + L.F.leaky_relu(x, 0.1), [(3, 4)]),
        (lambda L, x: L.F.pad(x, (1, 2)), [(3, 4)]),
        (lambda L, x: L.F.pad(x, (1, 0, 2, 1), value=0.5), [(2, 3, 4)]),
        (lambda L, x: L.torch.mean(x, 0), [(3, 4)]),
        (lambda L, x: L.torch.var(x, 1), [(3, 4)]),
    ],
)
def test_function_forms_and_methods_match_torch(fn, shapes, same):
    same(fn, *shapes)


def test_size_dim_index_format_and_builders(torch):
    x = tt.zeros(2, 3)
    assert x.size() == (2, 3) and x.size(1) == 3 and x.size(-1) == 3 and x.dim() == 2 and x.size == 6
    assert [10, 20, 30][tt.tensor(2)] == 30 and f"{tt.tensor(3.14159):.2f}" == "3.14"
    assert int(tt.tensor(4)) == 4 and float(tt.tensor(0.5)) == 0.5
    assert tt.float32 == np.float32 and x.dtype == tt.float32 and tt.tensor([1]).dtype == tt.long
    np.testing.assert_allclose(tt.linspace(-1, 1, 5).data, torch.linspace(-1, 1, 5).numpy())
    tt.manual_seed(0)
    r = tt.randint(0, 5, (100,))
    assert r.dtype == np.int64 and 0 <= r.data.min() and r.data.max() < 5 and tt.randint(3, (2, 2)).shape == (2, 2)
    assert tt.randn_like(x).shape == (2, 3)
    probs = tt.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    assert tt.multinomial(probs, 1).tolist() == [[1], [0]]
    assert tt.multinomial(tt.tensor([0.2, 0.3, 0.5]), 3).shape == (3,)


def test_devices_and_to():
    x = tt.ones(2)
    assert x.to("cpu") is x and x.cpu() is x and x.to(tt.device("cpu")) is x
    assert x.to(tt.float64).dtype == np.float64 and x.device == tt.device("cpu")
    assert not tt.cuda.is_available() and not tt.accelerator.is_available()
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")
    model = tnn.Linear(2, 2)
    assert model.to("cpu") is model and model.to(tt.float64).weight.dtype == np.float64


def test_inplace_fills_and_setitem_under_no_grad():
    w = tnn.Parameter(np.ones((2, 2)))
    with tt.no_grad():
        w.zero_().add_(tt.ones(2, 2), alpha=3)
        w.fill_(2.0)
        w.copy_(tt.tensor([[1.0, 2.0], [3.0, 4.0]]))
        w[0, 0] = 9.0
    assert w.tolist() == [[9.0, 2.0], [3.0, 4.0]]
    with pytest.raises(RuntimeError, match="leaf"):
        w.zero_()
    with tt.no_grad():
        w.normal_(0.0, 0.02)
    assert abs(float(w.data.std())) < 0.2


# ---- nn ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "fn",
    [
        lambda L, x, y: L.F.cross_entropy(x, y, reduction="sum"),
        lambda L, x, y: L.F.cross_entropy(x, y, reduction="none"),
        lambda L, x, y: L.F.cross_entropy(x, y, ignore_index=1),
        lambda L, x, y: L.F.cross_entropy(x, y, label_smoothing=0.1),
        lambda L, x, y: L.F.cross_entropy(x, y, ignore_index=2, label_smoothing=0.2),
        lambda L, x, y: L.F.cross_entropy(x, y, weight=L.torch.tensor([1.0, 2.0, 0.5, 1.0], dtype=L.torch.float64)),
        lambda L, x, y: L.nn.CrossEntropyLoss(reduction="sum", ignore_index=0)(x, y),
        lambda L, x, y: L.F.nll_loss(L.F.log_softmax(x, dim=1), y, reduction="sum"),
        lambda L, x, y: L.nn.NLLLoss(ignore_index=3)(L.F.log_softmax(x, dim=1), y),
    ],
)
def test_classification_loss_options_match_torch(fn, TH, torch):
    rng = np.random.default_rng(3)
    logits, y = rng.standard_normal((6, 4)), np.array([0, 1, 2, 3, 1, 2])
    x = tt.tensor(logits, dtype=np.float64, requires_grad=True)
    t = torch.tensor(logits, requires_grad=True)
    out, ref = fn(TT, x, tt.tensor(y)), fn(TH, t, torch.tensor(y))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=1e-10)
    out.sum().backward()
    ref.sum().backward()
    np.testing.assert_allclose(x.grad.data, t.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_and_binary_losses_take_reduction(reduction, same):
    same(lambda L, p, t: L.nn.MSELoss(reduction=reduction)(p, t), (3, 4), (3, 4))
    same(lambda L, p, t: L.F.l1_loss(p, t, reduction=reduction), (3, 4), (3, 4))
    # targets are data (no gradient), as in training
    same(
        lambda L, p, t: L.F.binary_cross_entropy(p.sigmoid(), t.sigmoid().detach(), reduction=reduction), *[(3, 4)] * 2
    )
    same(lambda L, z, t: L.nn.BCEWithLogitsLoss(reduction=reduction)(z, t.sigmoid().detach()), (3, 4), (3, 4))


def test_one_hot_matches_torch(torch):
    y = np.array([0, 2, 1, 2])
    assert tF.one_hot(tt.tensor(y)).tolist() == torch.nn.functional.one_hot(torch.tensor(y)).tolist()
    assert tF.one_hot(tt.tensor(y), num_classes=5).tolist() == torch.nn.functional.one_hot(torch.tensor(y), 5).tolist()


def test_attention_is_causal_and_float_masks_match_torch(same):
    same(lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v, is_causal=True), (2, 5, 4), (2, 5, 4), (2, 5, 3))
    mask = np.tril(np.ones((5, 5), dtype=bool))
    same(lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v, attn_mask=L.torch.tensor(mask)), *[(5, 4)] * 3)
    add = np.random.default_rng(1).standard_normal((5, 5))
    same(
        lambda L, q, k, v: L.F.scaled_dot_product_attention(q, k, v, attn_mask=L.torch.tensor(add), scale=0.3),
        *[(5, 4)] * 3,
    )


def test_module_dict_apply_init_flatten_and_dropout():
    tt.manual_seed(0)
    net = tnn.ModuleDict({"enc": tnn.Linear(4, 3), "blocks": tnn.ModuleList([tnn.Linear(3, 3)])})
    assert [n for n, _ in net.named_parameters()] == ["enc.weight", "enc.bias", "blocks.0.weight", "blocks.0.bias"]
    assert net.enc is net["enc"] and "blocks" in net and len(net) == 2

    def init(m):
        if isinstance(m, tnn.Linear):
            tnn.init.zeros_(m.bias)
            tnn.init.ones_(m.weight)

    net.apply(init)
    assert net.enc.bias.tolist() == [0.0] * 3 and net.blocks[0].weight.data.sum() == 9.0
    assert tnn.Flatten(0, 1)(tt.zeros(2, 3, 4)).shape == (6, 4)
    x = tt.ones(1000)
    assert tF.dropout(x, 0.5, training=False) is x and abs(float(tF.dropout(x, 0.5).data.mean()) - 1) < 0.15


def test_save_and_load_round_trip_a_state_dict_and_tensors():
    model = tnn.Linear(3, 2)
    buf = io.BytesIO()
    tt.save({"model": model.state_dict(), "step": 7, "t": tt.tensor([1.0, 2.0], requires_grad=True)}, buf)
    buf.seek(0)
    loaded = tt.load(buf, map_location="cpu", weights_only=False)
    other = tnn.Linear(3, 2)
    other.load_state_dict(loaded["model"])
    np.testing.assert_array_equal(other.weight.data, model.weight.data)
    assert loaded["step"] == 7 and loaded["t"].requires_grad and loaded["t"].tolist() == [1.0, 2.0]


# ---- optim -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make",
    [
        lambda optim, ps: optim.Adagrad(ps, lr=0.1),
        lambda optim, ps: optim.Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.2),
        lambda optim, ps: optim.Adadelta(ps),
        lambda optim, ps: optim.Adadelta(ps, lr=0.5, rho=0.8, weight_decay=0.1),
        lambda optim, ps: optim.Adam(ps, lr=0.05, amsgrad=True),
        lambda optim, ps: optim.AdamW(ps, lr=0.05, amsgrad=True, weight_decay=0.1),
    ],
)
def test_new_optimizers_follow_torch_trajectories(make, torch):
    rng = np.random.default_rng(5)
    start = rng.standard_normal((3, 2))
    grads = [rng.standard_normal((3, 2)) for _ in range(15)]
    ours = tt.tensor(start, dtype=np.float64, requires_grad=True)
    theirs = torch.tensor(start, requires_grad=True)
    a, b = make(toptim, [ours]), make(torch.optim, [theirs])
    for g in grads:
        ours.grad, theirs.grad = tt.tensor(g, dtype=np.float64), torch.tensor(g)
        a.step()
        b.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)
    assert not np.allclose(ours.data, start)


def test_lambda_lr_matches_torch(torch):
    def warm(epoch):
        return min(1.0, (epoch + 1) / 4) * 0.9**epoch

    p, q = tt.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    ours = toptim.lr_scheduler.LambdaLR(toptim.SGD([p], lr=0.1), warm)
    theirs = torch.optim.lr_scheduler.LambdaLR(torch.optim.SGD([q], lr=0.1), warm)
    seen = []
    for _ in range(8):
        seen.append((ours.get_last_lr()[0], theirs.get_last_lr()[0]))
        ours.step()
        theirs.step()
    np.testing.assert_allclose(*zip(*seen, strict=True), rtol=1e-12)


def test_dataloader_accepts_torch_worker_options_and_utils_data_path():
    from tinytorch.utils.data import DataLoader, TensorDataset, random_split

    ds = TensorDataset(tt.arange(10), tt.arange(10) * 2)
    loader = DataLoader(ds, batch_size=4, shuffle=False, num_workers=2, pin_memory=True, persistent_workers=False)
    assert [len(x) for x, _ in loader] == [4, 4, 2] and tt.utils.data.DataLoader is DataLoader
    a, b = random_split(ds, [7, 3])
    assert len(a) == 7 and len(b) == 3 and sorted(a.indices + b.indices) == list(range(10))


def test_clip_grad_norm_is_where_torch_programs_look():
    p = tt.tensor([3.0, 4.0], requires_grad=True)
    p.grad = tt.tensor([3.0, 4.0])
    total = tnn.utils.clip_grad_norm_([p], 1.0)
    assert math.isclose(float(total), 5.0) and np.allclose(p.grad.data, [0.6, 0.8], rtol=1e-5)


def test_state_dict_values_are_detached_tensors_like_torch(torch):
    """Same keys, types, shapes, dtypes and values as torch's state_dict, buffers included.

    Order differs on purpose for now: tinytorch lists all parameters, then all buffers (lesson 03's
    piece); torch goes module by module (each module's parameters, then its buffers)."""

    def build(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = lib.nn.Linear(3, 2)
                self.register_buffer("mask", lib.torch.tensor([1.0, 0.0]))

        return Net()

    ours, theirs = build(TT), build(SimpleNamespace(torch=torch, nn=torch.nn))
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})  # arrays are accepted
    mine, ref = ours.state_dict(), theirs.state_dict()
    assert type(mine).__name__ == type(ref).__name__ == "OrderedDict" and set(mine) == set(ref)
    for key, value in ref.items():
        got = mine[key]
        assert isinstance(got, tt.Tensor) and not got.requires_grad and not value.requires_grad, key
        assert tuple(got.shape) == tuple(value.shape) and str(got.dtype) == str(value.dtype).replace("torch.", "")
        np.testing.assert_array_equal(got.numpy(), value.numpy())
    ours.load_state_dict(mine)  # tensors are accepted too
    buf = io.BytesIO()
    tt.save(mine, buf)
    buf.seek(0)
    again = tt.load(buf)
    assert all(isinstance(v, tt.Tensor) for v in again.values()) and list(again) == list(mine)
    # torch shares storage with the parameter; ours is a copy (see Module.state_dict's docstring)
    mine["fc.weight"] += 1.0
    np.testing.assert_array_equal(ours.fc.weight.data, ref["fc.weight"].numpy())
