"""The public API contract (docs/API.md): every name importable exactly as written, called
exactly as written, with the defaults the contract states. Behaviour is tested in the other files;
this file catches a renamed argument, a changed default or a missing export."""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pytest

import tinytorch as tt

REQUIRED = object()  # "this parameter must exist, with no default"
ANY = object()  # "this parameter must exist" (the contract names it without a default; one is allowed)


def assert_params(fn, **expected):
    """fn has each named parameter, with the given default (or none, for REQUIRED)."""
    params = inspect.signature(fn).parameters
    for name, default in expected.items():
        assert name in params, f"{fn.__qualname__} has no parameter {name!r} (has {list(params)})"
        actual = params[name].default
        if default is ANY:
            continue
        if default is REQUIRED:
            assert actual is inspect.Parameter.empty, f"{fn.__qualname__}({name}) should have no default"
        else:
            assert actual == default, f"{fn.__qualname__}({name}=...) default is {actual!r}, contract says {default!r}"


# ---- names ---------------------------------------------------------------------------------------
TOP_LEVEL = ["Tensor", "no_grad", "enable_grad", "concat", "stack", "zeros", "ones", "randn", "manual_seed"]
NN = [
    "Module",
    "Parameter",
    "Sequential",
    "Linear",
    "Conv2d",
    "MaxPool2d",
    "AvgPool2d",
    "Flatten",
    "Dropout",
    "Embedding",
    "LayerNorm",
    "MultiHeadAttention",
    "TransformerBlock",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "GELU",
    "Softmax",
    "LogSoftmax",
    "MSELoss",
    "CrossEntropyLoss",
    "BCELoss",
    "BCEWithLogitsLoss",
]
FUNCTIONAL = [
    "relu",
    "sigmoid",
    "tanh",
    "gelu",
    "softmax",
    "log_softmax",
    "cross_entropy",
    "mse_loss",
    "scaled_dot_product_attention",
]
OPTIM = ["SGD", "Adam", "AdamW", "RMSprop"]
SCHEDULERS = ["StepLR", "CosineAnnealingLR"]
DATA = ["Dataset", "TensorDataset", "DataLoader"]


@pytest.mark.parametrize(
    "module, names",
    [
        ("tinytorch", TOP_LEVEL),
        ("tinytorch.nn", NN),
        ("tinytorch.nn.functional", FUNCTIONAL),
        ("tinytorch.optim", OPTIM),
        ("tinytorch.optim.lr_scheduler", SCHEDULERS),
        ("tinytorch.data", DATA),
        ("tinytorch.datasets", ["digits"]),
    ],
    ids=["tinytorch", "nn", "functional", "optim", "lr_scheduler", "data", "datasets"],
)
def test_contract_names_are_importable(module, names):
    mod = importlib.import_module(module)
    missing = [n for n in names if not hasattr(mod, n)]
    assert not missing, f"{module} lacks {missing}"


def test_import_forms_used_by_lessons():
    import tinytorch.nn as nn
    import tinytorch.nn.functional as F
    from tinytorch.nn import functional

    assert tt.nn is nn and nn.functional is F is functional
    assert tt.optim.lr_scheduler.StepLR is importlib.import_module("tinytorch.optim.lr_scheduler").StepLR
    assert tt.autograd.no_grad is tt.no_grad


# ---- Tensor --------------------------------------------------------------------------------------
def test_tensor_surface():
    x = tt.Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=False)
    for attr in ("data", "shape", "ndim", "dtype", "size", "grad", "requires_grad"):
        assert hasattr(x, attr), attr
    assert isinstance(x.data, np.ndarray) and x.size == 4 and x.ndim == 2
    for method in (
        "numpy",
        "item",
        "tolist",
        "backward",
        "detach",
        "zero_grad",
        "sum",
        "mean",
        "max",
        "reshape",
        "transpose",
        "exp",
        "log",
        "sqrt",
        "tanh",
        "sigmoid",
        "relu",
        "abs",
        "clip",
    ):
        assert callable(getattr(x, method)), method
    assert x.T.shape == (2, 2)
    assert_params(tt.Tensor, data=REQUIRED, requires_grad=False)
    assert_params(tt.Tensor.backward, grad=None)
    for name in ("sum", "mean", "max"):
        assert_params(getattr(tt.Tensor, name), axis=None, keepdims=False, dim=None)
    assert_params(tt.Tensor.transpose, dim0=-2, dim1=-1)
    assert_params(tt.Tensor.clip, min=None, max=None)
    assert_params(tt.randn, seed=None)
    # axis=None in the signature: `_axis` must tell "not given" from 0 to refuse axis= with dim=; the
    # contract's default (0) is what an omitted axis does, checked below
    assert_params(tt.concat, tensors=REQUIRED, axis=ANY)
    assert_params(tt.stack, tensors=REQUIRED, axis=ANY)


def test_tensor_calls_as_written():
    x = tt.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.dtype == np.float32  # float64 ndarray -> float32 by default
    assert tt.Tensor([1, 2]).dtype.kind == "i"  # int data stays integer
    y = (x.sum(axis=0, keepdims=True) + x.mean(dim=1, keepdims=True) + x.max(axis=None)).reshape(3, 2)
    y = y.transpose(0, 1).exp().log().sqrt().tanh().sigmoid().relu().abs().clip(0.0, 1.0)
    y.sum().backward()
    assert x.grad.shape == (2, 3)
    x.zero_grad()
    assert x.grad is None and x.detach().requires_grad is False
    with tt.no_grad():
        assert not (x * 2).requires_grad
    assert tt.concat([x, x], axis=0).shape == (4, 3) and tt.stack([x, x], axis=0).shape == (2, 2, 3)
    assert tt.concat([x, x]).shape == (4, 3) and tt.stack([x, x]).shape == (2, 2, 3)  # axis=0 by default
    assert tt.zeros(2, 3).shape == (2, 3) and tt.ones(4).shape == (4,)
    assert tt.randn(2, 2, seed=0).shape == (2, 2)
    tt.manual_seed(0)
    assert x.numpy().shape == (2, 3) and x[0, 0].item() == 0.0 and x.tolist()[1] == [3.0, 4.0, 5.0]


# ---- tinytorch.nn --------------------------------------------------------------------------------
def test_module_surface():
    nn = tt.nn
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    for method in (
        "forward",
        "__call__",
        "parameters",
        "named_parameters",
        "train",
        "eval",
        "state_dict",
        "load_state_dict",
        "zero_grad",
    ):
        assert callable(getattr(model, method)), method
    assert model.training is True
    assert isinstance(model.parameters()[0], nn.Parameter)
    state = model.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    model.load_state_dict(state)
    assert model(tt.ones(5, 3)).shape == (5, 2)


def test_layer_constructors_as_written():
    nn = tt.nn
    lin = nn.Linear(in_features=3, out_features=2, bias=True)
    assert lin.weight.shape == (2, 3) and lin.bias.shape == (2,)
    conv = nn.Conv2d(in_channels=3, out_channels=4, kernel_size=3, stride=1, padding=0, bias=True)
    assert conv.weight.shape == (4, 3, 3, 3) and conv.bias.shape == (4,)
    assert_params(nn.Conv2d, stride=1, padding=0, bias=True)
    assert_params(nn.MaxPool2d, kernel_size=REQUIRED, stride=None)
    assert_params(nn.AvgPool2d, kernel_size=REQUIRED, stride=None)
    nn.MaxPool2d(kernel_size=2, stride=None), nn.AvgPool2d(kernel_size=2, stride=None), nn.Flatten()
    assert_params(nn.Dropout, p=0.5)
    emb = nn.Embedding(num_embeddings=10, embedding_dim=4)
    assert emb.weight.shape == (10, 4)
    ln = nn.LayerNorm(normalized_shape=4, eps=1e-5)
    assert ln.weight.shape == (4,) and ln.bias.shape == (4,)
    assert_params(nn.LayerNorm, eps=1e-5)
    mha = nn.MultiHeadAttention(embed_dim=8, num_heads=2, bias=True)
    for sub in ("q_proj", "k_proj", "v_proj", "out_proj"):
        assert isinstance(getattr(mha, sub), nn.Linear), sub
    assert_params(nn.MultiHeadAttention.forward, x=REQUIRED, mask=None)
    block = nn.TransformerBlock(embed_dim=8, num_heads=2, mlp_ratio=4, dropout=0.0)
    assert_params(nn.TransformerBlock, mlp_ratio=4, dropout=0.0)
    x = tt.randn(2, 5, 8, seed=0)
    assert mha(x, mask=None).shape == (2, 5, 8) and block(x).shape == (2, 5, 8)
    assert_params(nn.Softmax, axis=ANY)  # None in the signature (see concat); an omitted axis is -1
    assert_params(nn.LogSoftmax, axis=ANY)
    assert nn.Softmax().axis == -1 and nn.LogSoftmax().axis == -1
    for act in (nn.ReLU(), nn.Sigmoid(), nn.Tanh(), nn.GELU(), nn.Softmax(axis=-1), nn.LogSoftmax(axis=-1)):
        assert act(x).shape == x.shape
    for loss in (nn.MSELoss(), nn.CrossEntropyLoss(), nn.BCELoss(), nn.BCEWithLogitsLoss()):
        assert isinstance(loss, nn.Module)


def test_functional_as_written():
    import tinytorch.nn.functional as F

    assert_params(F.softmax, x=REQUIRED, axis=ANY)  # None in the signature (see concat); omitted is -1
    assert_params(F.log_softmax, x=REQUIRED, axis=ANY)
    y = tt.randn(2, 3, seed=2)
    np.testing.assert_allclose(F.softmax(y).data.sum(axis=-1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(F.log_softmax(y).data, F.log_softmax(y, axis=-1).data)
    assert_params(F.scaled_dot_product_attention, mask=None)
    x = tt.randn(4, 3, seed=0)
    for fn in (F.relu, F.sigmoid, F.tanh, F.gelu, F.softmax, F.log_softmax):
        assert fn(x).shape == (4, 3)
    assert F.cross_entropy(x, tt.Tensor([0, 1, 2, 0])).shape == ()
    assert F.mse_loss(x, x * 0).shape == ()
    q = tt.randn(2, 3, 4, seed=1)
    assert F.scaled_dot_product_attention(q, q, q, mask=None).shape == (2, 3, 4)


# ---- optim and data ------------------------------------------------------------------------------
def test_optimizers_as_written():
    from tinytorch import optim
    from tinytorch.optim import lr_scheduler

    assert_params(optim.SGD, params=REQUIRED, lr=ANY, momentum=0.0, weight_decay=0.0)
    assert_params(optim.Adam, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    assert_params(optim.AdamW, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2)
    assert_params(optim.RMSprop, lr=1e-2, alpha=0.99, eps=1e-8)
    assert_params(lr_scheduler.StepLR, step_size=REQUIRED, gamma=0.1)
    assert_params(lr_scheduler.CosineAnnealingLR, T_max=REQUIRED)
    model = tt.nn.Linear(2, 1)
    for opt in (
        optim.SGD(model.parameters(), lr=0.1),
        optim.Adam(model.parameters()),
        optim.AdamW(model.parameters()),
        optim.RMSprop(model.parameters()),
    ):
        for method in ("step", "zero_grad", "state_dict", "load_state_dict"):
            assert callable(getattr(opt, method)), (type(opt).__name__, method)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.0, weight_decay=0.0)
    lr_scheduler.StepLR(opt, step_size=2, gamma=0.1), lr_scheduler.CosineAnnealingLR(opt, T_max=10)


def test_data_as_written():
    from tinytorch.data import DataLoader, Dataset, TensorDataset

    assert_params(DataLoader, dataset=REQUIRED, batch_size=1, shuffle=False, drop_last=False, seed=None)
    ds = TensorDataset(tt.Tensor(np.arange(10.0).reshape(5, 2)), tt.Tensor(np.arange(5)))
    assert isinstance(ds, Dataset)
    loader = DataLoader(ds, batch_size=2, shuffle=False, drop_last=False, seed=None)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert isinstance(batches[0], tuple) and all(isinstance(t, tt.Tensor) for t in batches[0])
    assert batches[0][0].shape == (2, 2) and batches[-1][0].shape == (1, 2)
    assert len(DataLoader(ds, batch_size=2, drop_last=True)) == 2
