"""The hand-written NumPy contenders of `make bench` compute the same thing as tinytorch and PyTorch.

A ratio tinytorch/NumPy means something only if the NumPy code trains the same model: for each
workload (digits MLP, LeNet-style CNN, GPT) the contender is loaded with tinytorch's initial weights
(and torch's model with the contender's), and the first batch's loss and every parameter's gradient,
then the losses of a few optimizer steps (the contender's own Adam/AdamW), must agree in float32.
PyTorch is optional (absent under Pyodide): its half of each test skips when it cannot be imported.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import tinytorch as tt
from benchmarks import cnn_epoch, gpt_step, numpy_cnn, numpy_gpt, numpy_mlp
from benchmarks.numpy_adam import Adam, adamw
from tinytorch import nn, optim
from tinytorch.nn import functional as F

STEPS = 3  # optimizer steps whose losses are compared
CONTENDERS = ("numpy_adam", "numpy_mlp", "numpy_cnn", "numpy_gpt")


@pytest.mark.parametrize("module", CONTENDERS)
def test_numpy_contender_imports_only_numpy(module):
    """A contender that borrowed tinytorch's code would measure tinytorch against itself."""
    tree = ast.parse((Path(__file__).parents[2] / "benchmarks" / f"{module}.py").read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):  # a relative import (level > 0) counts as "."
            imported.add("." if node.level else node.module.split(".")[0])
    assert imported <= {"__future__", "math", "numpy"}, f"benchmarks/{module}.py imports {sorted(imported)}"


def assert_grads_close(ours: dict, ref: dict, what: str) -> None:
    assert sorted(ours) == sorted(ref), f"{what}: parameter names differ"
    for name, g in ref.items():
        assert ours[name].shape == g.shape, f"{what}: {name} gradient shape {ours[name].shape} != {g.shape}"
        assert ours[name].dtype == np.float32, f"{what}: {name} gradient is {ours[name].dtype}, not float32"
        np.testing.assert_allclose(ours[name], g, rtol=1e-4, atol=1e-5 * np.abs(g).max(), err_msg=f"{what}: {name}")


def assert_losses_close(ours: list, ref: list, what: str) -> None:
    np.testing.assert_allclose(ours, ref, rtol=1e-5, err_msg=f"{what}: losses over {STEPS} steps")


# ---- one contender = (its parameters from tinytorch's model, its loss_and_grads, its optimizer) -----
def framework_losses(model, opt, batches, loss_of):
    """The losses of a tinytorch or a torch training loop (the same API: that is the point)."""
    losses = []
    for xb, yb in batches:
        loss = loss_of(model, xb, yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def numpy_losses(params, opt, batches, loss_and_grads):
    losses = []
    for xb, yb in batches:
        loss, grads = loss_and_grads(params, xb, yb)
        opt.step(grads)
        losses.append(loss)
    return losses


def torch_grads(torch, model, xb, yb, loss_of) -> tuple[float, dict]:
    model.zero_grad()
    loss = loss_of(model, xb, yb)
    loss.backward()
    return loss.item(), {name: p.grad.numpy() for name, p in model.named_parameters()}


def load_torch(torch, model, params: dict, tied: dict | None = None) -> None:
    state = {name: torch.from_numpy(p.copy()) for name, p in params.items()}
    for alias, name in (tied or {}).items():
        state[alias] = state[name]
    model.load_state_dict(state)


def torch_ce(torch):
    def loss_of(model, xb, yb):
        logits = model(torch.from_numpy(xb))
        return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), torch.from_numpy(yb).reshape(-1))

    return loss_of


# ---- digits MLP ---------------------------------------------------------------------------------
def mlp_batches():
    X, y, _, _ = tt.datasets.digits()
    return [(X[i : i + 32], y[i : i + 32]) for i in range(0, 32 * STEPS, 32)]


def mlp_tinytorch():
    tt.manual_seed(0)
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def tt_ce(model, xb, yb):
    return F.cross_entropy(model(tt.tensor(xb)), yb)


def assert_matches_tinytorch(model, contender, batches, label):
    """The contender, from the model's own weights: the same loss and gradients on one batch, then the
    same losses over the steps with Adam on both sides."""
    params = {name: p.data.copy() for name, p in model.named_parameters()}
    assert {k: v.shape for k, v in params.items()} == {k: v.shape for k, v in contender.init_params().items()}
    loss, grads = contender.loss_and_grads(params, *batches[0])
    ref = tt_ce(model, *batches[0])
    ref.backward()
    assert loss == pytest.approx(float(ref.data), rel=1e-5)
    assert_grads_close(grads, {n: p.grad.data for n, p in model.named_parameters()}, f"{label} vs tinytorch")
    model.zero_grad()
    ours = numpy_losses(params, Adam(params, lr=1e-3), batches, contender.loss_and_grads)
    assert_losses_close(ours, framework_losses(model, optim.Adam(model.parameters(), lr=1e-3), batches, tt_ce), label)


def assert_matches_torch(torch, model, params, batches, loss_and_grads, optimizers, label):
    """The same check against a torch model loaded with the contender's weights; `optimizers`: the
    contender's and torch's, built with the same settings."""
    ref_loss, ref_grads = torch_grads(torch, model, *batches[0], torch_ce(torch))
    loss, grads = loss_and_grads(params, *batches[0])
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    assert_grads_close(grads, ref_grads, f"{label} vs torch")
    model.zero_grad()
    ours = numpy_losses(params, optimizers[0], batches, loss_and_grads)
    ref = framework_losses(model, optimizers[1], batches, torch_ce(torch))
    assert_losses_close(ours, ref, f"{label} vs torch")


def test_numpy_mlp_matches_tinytorch():
    assert_matches_tinytorch(mlp_tinytorch(), numpy_mlp, mlp_batches(), "MLP")


def test_numpy_mlp_matches_torch():
    torch = pytest.importorskip("torch")
    params = numpy_mlp.init_params(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    load_torch(torch, model, params)
    optimizers = (Adam(params, lr=1e-3), torch.optim.Adam(model.parameters(), lr=1e-3))
    assert_matches_torch(torch, model, params, mlp_batches(), numpy_mlp.loss_and_grads, optimizers, "MLP")


# ---- LeNet-style CNN ----------------------------------------------------------------------------
def cnn_batches():
    X, y = cnn_epoch.images()
    return [(X[i : i + 32], y[i : i + 32]) for i in range(0, 32 * STEPS, 32)]


def test_numpy_cnn_matches_tinytorch():
    tt.manual_seed(0)
    assert_matches_tinytorch(cnn_epoch.tinytorch_model(), numpy_cnn, cnn_batches(), "CNN")


def test_numpy_cnn_matches_torch():
    torch = pytest.importorskip("torch")
    params = numpy_cnn.init_params(0)
    model = cnn_epoch.torch_model()
    load_torch(torch, model, params)
    optimizers = (Adam(params, lr=1e-3), torch.optim.Adam(model.parameters(), lr=1e-3))
    assert_matches_torch(torch, model, params, cnn_batches(), numpy_cnn.loss_and_grads, optimizers, "CNN")


# ---- GPT ----------------------------------------------------------------------------------------
GPT_BATCH = 4  # a slice of the benchmark's batch of 32: the same model, a faster test


def gpt_batches():
    return [(x[:GPT_BATCH], y[:GPT_BATCH]) for x, y in gpt_step.batches(STEPS)]


def gpt_loss_and_grads(params, ids, targets):
    return numpy_gpt.loss_and_grads(params, ids, targets, gpt_step.CONFIG["num_heads"])


def numpy_names(tinytorch_named: dict) -> dict:
    """tinytorch's GPT arrays under the contender's (torch's) names: q, k, v projections stacked."""
    out = {}
    for name, a in tinytorch_named.items():
        name = name.replace("tok_emb.", "tok.").replace("pos_emb.", "pos.")
        if ".attn.k_proj." in name or ".attn.v_proj." in name:
            continue
        if ".attn.q_proj." in name:
            prefix, kind = name.split("q_proj.")
            a = np.concatenate([tinytorch_named[f"{prefix}{p}_proj.{kind}"] for p in "qkv"])
            name = f"{prefix}in_proj_{kind}"
        out[name] = a.copy()
    return out


def test_numpy_gpt_matches_tinytorch():
    batches = gpt_batches()
    tt.manual_seed(0)
    model = nn.GPT(**gpt_step.CONFIG)
    params = numpy_names({n: p.data for n, p in model.named_parameters()})
    assert {k: v.shape for k, v in params.items()} == {
        k: v.shape for k, v in numpy_gpt.init_params(gpt_step.CONFIG).items()
    }

    def loss_of(model, ids, targets):
        return F.cross_entropy(model(ids).reshape(-1, gpt_step.CONFIG["vocab_size"]), targets.reshape(-1))

    loss, grads = gpt_loss_and_grads(params, *batches[0])
    ref = loss_of(model, *batches[0])
    ref.backward()
    assert loss == pytest.approx(float(ref.data), rel=1e-5)
    assert_grads_close(grads, numpy_names({n: p.grad.data for n, p in model.named_parameters()}), "GPT vs tinytorch")
    model.zero_grad()
    ours = numpy_losses(params, adamw(params, lr=3e-4), batches, gpt_loss_and_grads)
    ref_losses = framework_losses(model, optim.AdamW(model.parameters(), lr=3e-4), batches, loss_of)
    assert_losses_close(ours, ref_losses, "GPT")


def test_numpy_gpt_matches_torch():
    torch = pytest.importorskip("torch")
    params = numpy_gpt.init_params(gpt_step.CONFIG)
    model = gpt_step.torch_model()
    load_torch(torch, model, params, tied={"head.weight": "tok.weight"})
    optimizers = (adamw(params, lr=3e-4), torch.optim.AdamW(model.parameters(), lr=3e-4))
    assert_matches_torch(torch, model, params, gpt_batches(), gpt_loss_and_grads, optimizers, "GPT")


# ---- the contenders' optimizer ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("weight_decay", "decoupled"), [(0.0, False), (0.1, False), (0.1, True)], ids=["Adam", "Adam-L2", "AdamW"]
)
def test_numpy_adam_matches_tinytorch_and_torch(weight_decay, decoupled):
    """Same start, same gradients (a strong decay, so a decay step done wrong shows): same weights."""
    rng = np.random.default_rng(0)
    start = rng.standard_normal((5, 7)).astype(np.float32)
    grads = [rng.standard_normal((5, 7)).astype(np.float32) for _ in range(5)]
    ours = {"w": start.copy()}
    opt = Adam(ours, lr=1e-2, weight_decay=weight_decay, decoupled=decoupled)
    p = nn.Parameter(start.copy())
    tt_opt = (optim.AdamW if decoupled else optim.Adam)([p], lr=1e-2, weight_decay=weight_decay)
    for g in grads:
        opt.step({"w": g})
        p.grad = tt.tensor(g)
        tt_opt.step()
    np.testing.assert_allclose(ours["w"], p.data, rtol=1e-6, atol=1e-6)
    assert ours["w"].dtype == np.float32
    torch = pytest.importorskip("torch")
    tp = torch.nn.Parameter(torch.from_numpy(start.copy()))
    torch_opt = (torch.optim.AdamW if decoupled else torch.optim.Adam)([tp], lr=1e-2, weight_decay=weight_decay)
    for g in grads:
        tp.grad = torch.from_numpy(g)
        torch_opt.step()
    np.testing.assert_allclose(ours["w"], tp.detach().numpy(), rtol=1e-6, atol=1e-6)
