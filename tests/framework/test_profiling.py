"""Module 14: counting formulae against hand counts and against the ops actually executed; the
per-layer and op-level profilers' bookkeeping (not their timings)."""

from __future__ import annotations

import numpy as np
import pytest

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch import nn
from tinytorch.hooks import OP_HOOKS
from tinytorch.systems.profiling import (
    OpProfiler,
    attention_core_flops,
    attention_flops,
    conv2d_flops,
    conv2d_output_size,
    count_flops,
    count_parameters,
    linear_flops,
    module_flops,
    parameter_bytes,
    profile_layers,
)
from tinytorch.systems.table import Table
from tinytorch.tensor import Tensor


def mlp():
    tt.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))


# ---- hand counts ---------------------------------------------------------------------------------
def test_count_parameters_by_hand_and_shared_weights_once():
    assert count_parameters(mlp()) == (6 * 5 + 5) + (5 * 3 + 3)
    gpt = nn.GPT(vocab_size=11, block_size=8, embed_dim=8, num_heads=2, num_layers=1, tie_weights=True)
    untied = nn.GPT(vocab_size=11, block_size=8, embed_dim=8, num_heads=2, num_layers=1, tie_weights=False)
    assert count_parameters(untied) - count_parameters(gpt) == 11 * 8  # the head's own matrix


def test_parameter_bytes_is_four_per_float32_parameter():
    m = mlp()
    assert parameter_bytes(m) == 4 * count_parameters(m)
    m.register_buffer("mask", np.ones(10, dtype=np.uint8))
    assert parameter_bytes(m) == 4 * count_parameters(m) + 10


def test_linear_flops_hand_count():
    # 4 rows x 2 outputs, each a 3-term dot product: 3 multiply-adds (2 FLOPs each) + 1 bias add
    assert linear_flops(3, 2, batch=4) == 4 * 2 * (2 * 3 + 1) == 56
    assert linear_flops(3, 2, batch=4, bias=False) == 4 * 2 * (2 * 3)  # multiply-adds only


def test_conv2d_output_size_and_flops_hand_count():
    assert conv2d_output_size(4, 4, 3, stride=1, padding=1) == (4, 4)
    assert conv2d_output_size(5, 5, 3, stride=2, padding=0) == (2, 2)
    assert conv2d_output_size(8, 6, (3, 2), stride=(1, 2), padding=(0, 1)) == (6, 4)
    # 3 filters over 2 channels, 3x3 kernel, 4x4 output: each output 2*(2*9) + 1 FLOPs
    assert conv2d_flops(2, 3, 3, (4, 4), padding=1) == 3 * 16 * (2 * 18 + 1)
    assert conv2d_flops(1, 1, 3, (5, 5), stride=2, batch=2, bias=False) == 2 * 4 * 18


def test_attention_flops_hand_count():
    # seq 4, embed 8: projections 4 x (4 rows x 8 outputs x (2*8 + 1)); QK^T and AV: 2 x (2*4*4*8)
    assert attention_flops(4, 8, num_heads=2) == 4 * (4 * 8 * 17) + 2 * (2 * 4 * 4 * 8)
    assert attention_flops(4, 8, num_heads=1) == attention_flops(4, 8, num_heads=4)  # heads do not matter
    assert attention_core_flops(1, 8, kv_len=5) == 2 * 2 * 5 * 8  # one cached query over 5 keys
    with pytest.raises(ValueError, match="divisible"):
        attention_flops(4, 8, num_heads=3)


# ---- formulae vs the matrix products actually executed -------------------------------------------
def test_measured_flops_match_linear_formula():
    m = mlp()
    _, counts = count_flops(m, tt.randn(7, 6))
    assert counts == {"linear": linear_flops(6, 5, 7) + linear_flops(5, 3, 7)}


def test_measured_flops_match_conv_formula():
    conv = nn.Conv2d(2, 3, 3, stride=2, padding=1)
    _, counts = count_flops(conv, tt.randn(2, 2, 7, 7))
    assert counts["conv2d"] == conv2d_flops(2, 3, 3, (7, 7), stride=2, padding=1, batch=2)


def test_measured_flops_match_attention_formula():
    mha = nn.MultiHeadAttention(8, 2)
    _, counts = count_flops(mha, tt.randn(3, 5, 8), nn.causal_mask(5))
    assert sum(counts.values()) == attention_flops(5, 8, 2, batch=3)
    assert counts["attention"] == attention_core_flops(5, 8, batch=3)  # the fused attention op


def test_module_flops_rules():
    lin = nn.Linear(4, 3, bias=False)
    assert module_flops(lin, (tt.randn(2, 5, 4),)) == linear_flops(4, 3, 10, bias=False)  # 3-D input: 10 rows
    assert module_flops(nn.ReLU(), (tt.randn(2, 4),)) == 0


# ---- per-layer profile -----------------------------------------------------------------------------
def test_profile_layers_rows_and_counts():
    m = mlp()
    original_op = Tensor.__dict__["_op"]
    table = profile_layers(m, tt.randn(4, 6), runs=2)
    assert isinstance(table, Table)
    rows = {r["layer"]: r for r in table.rows}
    assert list(rows) == ["0", "1", "2", "(other)", "total"]
    assert rows["0"]["FLOPs"] == linear_flops(6, 5, 4) and rows["2"]["FLOPs"] == linear_flops(5, 3, 4)
    assert rows["0"]["params"] == 35 and rows["1"]["params"] == 0 and rows["0"]["param bytes"] == 4 * 35
    assert rows["total"]["param bytes"] == parameter_bytes(m)
    assert rows["0"]["output"] == (4, 5) and rows["0"]["out bytes"] == 4 * 5 * 4
    assert rows["total"]["FLOPs"] == rows["0"]["FLOPs"] + rows["2"]["FLOPs"]
    assert rows["total"]["params"] == count_parameters(m)
    for r in table.rows:
        assert r["fwd ms"] >= 0 and r["bwd ms"] >= 0
    assert m.parameters()[0].grad is None  # the profile leaves no gradients behind
    assert not OP_HOOKS and not any(vars(mod).get("_forward_hooks") for mod in m.modules())  # nor hooks
    assert "forward" not in vars(m.layers[0]) and Tensor.__dict__["_op"] is original_op  # nothing patched
    text = str(table)
    assert "Linear" in text and "total" in text


def test_profile_layers_on_gpt_has_attention_core_row():
    gpt = nn.GPT(vocab_size=13, block_size=8, embed_dim=8, num_heads=2, num_layers=1)
    ids = np.arange(12).reshape(2, 6) % 13
    table = profile_layers(gpt, ids, runs=1)
    rows = {r["layer"]: r for r in table.rows}
    assert rows["blocks.0.attn"]["FLOPs"] == attention_core_flops(6, 8, batch=2)
    assert rows["blocks.0.attn.q_proj"]["FLOPs"] == linear_flops(8, 8, 12)
    assert rows["head"]["FLOPs"] == linear_flops(8, 13, 12, bias=False)


# ---- op-level profiler -----------------------------------------------------------------------------
def test_op_profiler_counts_ops_of_a_training_step_and_keeps_gradients_exact():
    m = mlp()
    x, y = tt.randn(4, 6), np.array([0, 1, 2, 0])
    F.cross_entropy(m(x), y).backward()
    expected = [p.grad.data.copy() for p in m.parameters()]
    m.zero_grad()
    original = Tensor.__dict__["_op"]
    with OpProfiler() as prof:
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        with prof.region("sgd update"):
            for p in m.parameters():
                p.data = p.data - 0.0 * p.grad.data
    assert Tensor.__dict__["_op"] is original  # the core is restored
    for p, g in zip(m.parameters(), expected, strict=True):
        np.testing.assert_allclose(p.grad.data, g, rtol=1e-6)  # profiling changes no number
    calls = {name: s[0] for name, s in prof.stats.items()}
    assert calls == {"linear": 2, "relu": 1, "cross_entropy": 1, "sgd update": 1}
    table = prof.table()
    names = table.column("op")
    assert names[-2:] == ["(autograd engine)", "(untracked)"]
    assert all(r["total ms"] >= 0 for r in table.rows)
    assert abs(sum(r["%"] for r in table.rows) - 100) < 1.0  # every microsecond is accounted for
    assert prof.stats["linear"][2] > 0  # backward of linear was timed


def test_op_profiler_removes_its_hook_after_an_error():
    with pytest.raises(ZeroDivisionError):
        with OpProfiler():
            raise ZeroDivisionError("inside the profiler")
    assert not OP_HOOKS


def test_profilers_nest_and_each_sees_every_op_inside_it():
    m, x, y = mlp(), tt.randn(4, 6), np.array([0, 1, 2, 0])
    with OpProfiler() as outer:
        F.cross_entropy(m(x), y).backward()
        with OpProfiler() as inner:
            loss = F.cross_entropy(m(x), y)
            _, counts = count_flops(lambda: m(x))
            loss.backward()
        table = profile_layers(m, x, runs=1)
    assert {n: s[0] for n, s in inner.stats.items()} == {"linear": 4, "relu": 2, "cross_entropy": 1}
    # the outer one saw its own step, the inner step, the FLOP count's forward and the profile's runs
    assert outer.stats["linear"][0] > inner.stats["linear"][0] + 2
    assert counts == {"linear": linear_flops(6, 5, 4) + linear_flops(5, 3, 4)}
    assert {r["layer"] for r in table.rows} >= {"0", "1", "2"}
    assert inner.stats["linear"][2] > 0 and outer.stats["linear"][2] > inner.stats["linear"][2]
    for prof in (inner, outer):
        assert abs(sum(r["%"] for r in prof.table().rows) - 100) < 1.0
    assert not OP_HOOKS and not any(vars(mod).get("_forward_pre_hooks") for mod in m.modules())


def test_profile_layers_pops_its_layer_stack_when_forward_raises():
    class Bad(nn.Module):
        def __init__(self):
            self.lin = nn.Linear(3, 2)

        def forward(self, x):
            self.lin(x)
            raise ValueError("model broke")

    bad = Bad()
    with pytest.raises(ValueError, match="model broke"):
        profile_layers(bad, tt.randn(2, 3), runs=1)
    assert not OP_HOOKS and not vars(bad.lin).get("_forward_hooks") and not vars(bad.lin).get("_forward_pre_hooks")


def test_table_columns_align():
    t = Table([{"name": "a", "n": 1, "x": 0.5}, {"name": "longer", "n": 12345, "x": None}], title="t")
    lines = str(t).splitlines()
    assert lines[0] == "t"
    header, rule, first, second = lines[1:]
    # the last column is numeric, so right-aligned: every line ends at the same place
    assert len(header) == len(rule) == len(first) == len(second)
    assert first.startswith("a ") and second.startswith("longer")  # text left-aligned
    assert first.endswith("0.5") and second.endswith("-")  # missing values print as '-'
    assert first.index("1") + 1 == second.index("12,345") + len("12,345")  # digits line up on the right
    assert t.column("n") == [1, 12345] and len(t) == 2
