"""Module 14 (Profiling): where do the parameters, FLOPs, bytes and milliseconds of a model go?

Three kinds of tools:

* counting formulae, exact and testable by hand: `count_parameters`, `linear_flops`, `conv2d_flops`,
  `attention_flops`, `parameter_bytes`;
* `profile_layers(model, x)`: one forward + backward pass per run, reported per layer
  (parameters, FLOPs, output bytes, forward and backward milliseconds, medians over runs);
* `OpProfiler`: a context manager that times every tensor op of whatever runs inside it
  (a whole training step), forward and backward, by name.

FLOP convention (the usual one): a multiply-add counts as 2 FLOPs, a bias add as 1 per output
element; elementwise work (activations, softmax, scaling, masking, normalisation) is not counted,
because matrix products dominate and every elementwise op would need its own convention.

How the timing works without touching the core: every op creates its output through
`Tensor._op(data, parents, backward, opname)`, which calls the op hooks of `tinytorch.hooks`. A profiler
registers one (and removes it on exit), so it sees each op's name, output and backward closure, and
hands back a wrapper of the closure that times that op's backward exactly. The forward work of an op
happens just *before* its `_op` call, so an op's forward time is the time since the previous op
finished (its own NumPy work plus the Python glue that led to it). Per-layer forward times come from
`Module.register_forward_pre_hook` / `register_forward_hook`, as in PyTorch. Nothing is replaced, so
profilers nest: a `count_flops` inside an `OpProfiler` inside a `profile_layers` each see every op.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from ..hooks import register_op_hook
from ..nn.linear import Linear
from ..nn.module import Module
from ..tensor import Tensor
from .table import Table, format_bytes

__all__ = [
    "count_parameters",
    "parameter_bytes",
    "linear_flops",
    "conv2d_output_size",
    "conv2d_flops",
    "attention_flops",
    "module_flops",
    "count_flops",
    "profile_layers",
    "OpProfiler",
]


# ------------------------------------------------------------------------------------------------
# counting
# ------------------------------------------------------------------------------------------------
def count_parameters(model: Module, trainable_only: bool = False) -> int:
    """Number of scalar parameters (shared weights counted once)."""
    return sum(p.data.size for p in model.parameters() if p.requires_grad or not trainable_only)


def parameter_bytes(model: Module) -> int:
    """Bytes of every parameter and registered buffer: the model's size in memory and on disk."""
    total = sum(p.data.nbytes for p in model.parameters())
    for mod in model.modules():
        for name in getattr(mod, "_buffers", ()):
            total += np.asarray(getattr(mod, name)).nbytes
    return total


def linear_flops(in_features: int, out_features: int, batch: int = 1, bias: bool = True) -> int:
    """FLOPs of y = x W^T + b for `batch` rows: 2*in*out multiply-adds per row, plus out bias adds.

    `batch` is the number of rows after flattening the leading dimensions (batch * seq for 3-D input).
    """
    return batch * out_features * (2 * in_features + (1 if bias else 0))


def conv2d_output_size(height: int, width: int, kernel_size, stride=1, padding=0) -> tuple[int, int]:
    """(H_out, W_out) = floor((H + 2p - k) / s) + 1 in each direction."""
    kh, kw = _pair(kernel_size)
    sh, sw = _pair(stride)
    ph, pw = _pair(padding)
    return (height + 2 * ph - kh) // sh + 1, (width + 2 * pw - kw) // sw + 1


def conv2d_flops(
    in_channels: int, out_channels: int, kernel_size, input_hw, stride=1, padding=0, batch: int = 1, bias: bool = True
) -> int:
    """FLOPs of a 2-D convolution: each output element is a dot product of length C_in*kh*kw.

    per output element: 2 * C_in * kh * kw (+1 for the bias); outputs: batch * C_out * H_out * W_out.
    """
    kh, kw = _pair(kernel_size)
    ho, wo = conv2d_output_size(*input_hw, (kh, kw), stride, padding)
    outputs = batch * out_channels * ho * wo
    return outputs * (2 * in_channels * kh * kw + (1 if bias else 0))


def attention_core_flops(seq_len: int, embed_dim: int, batch: int = 1, kv_len: int | None = None) -> int:
    """FLOPs of softmax(Q K^T) V without the projections: two matmuls of 2*Lq*Lk*E each.

    The head count does not matter: h heads of size d = E/h do h * Lq*Lk*d = Lq*Lk*E multiply-adds.
    """
    kv_len = seq_len if kv_len is None else kv_len
    return batch * 2 * (2 * seq_len * kv_len * embed_dim)


def attention_flops(seq_len: int, embed_dim: int, num_heads: int = 1, batch: int = 1, bias: bool = True) -> int:
    """FLOPs of multi-head self-attention: 4 projections (q, k, v, out) + the attention core."""
    if embed_dim % num_heads:
        raise ValueError(f"embed_dim {embed_dim} must be divisible by num_heads {num_heads}")
    projections = 4 * linear_flops(embed_dim, embed_dim, batch * seq_len, bias)
    return projections + attention_core_flops(seq_len, embed_dim, batch)


def _pair(v) -> tuple[int, int]:
    return (v, v) if isinstance(v, int) else tuple(v)


def _rows(shape) -> int:
    return int(np.prod(shape[:-1])) if len(shape) > 1 else 1


def module_flops(module: Module, inputs: tuple, kwargs: dict | None = None) -> int:
    """FLOPs of the work a module does itself (not its children), from its inputs' shapes.

    Linear, Conv2d and MultiHeadAttention (its core; the projections are its child Linears) have
    rules; every other module counts 0 (elementwise work, see the module docstring). For attention
    with a KV-cache (third argument or `cache=`), the keys are all cached positions.
    """
    name = type(module).__name__
    x = inputs[0] if inputs else None
    if isinstance(module, Linear):
        return linear_flops(module.in_features, module.out_features, _rows(x.shape), module.bias is not None)
    if name == "Conv2d":
        w = module.weight.shape
        return conv2d_flops(
            w[1],
            w[0],
            w[2:],
            x.shape[2:],
            getattr(module, "stride", 1),
            getattr(module, "padding", 0),
            x.shape[0],
            getattr(module, "bias", None) is not None,
        )
    if name == "MultiHeadAttention":
        n, length, e = x.shape
        cache = inputs[2] if len(inputs) > 2 else (kwargs or {}).get("cache")
        kv_len = getattr(cache, "length", None) or length
        return attention_core_flops(length, e, n, kv_len)
    return 0


def count_flops(fn, *args, **kwargs) -> tuple[object, dict]:
    """Run `fn(*args)` and count the FLOPs of the matrix products it actually executes.

    Returns (fn's result, {op name: FLOPs}). Counted ops: `matmul` (2*M*N*K per product, batched),
    `attention` (its two products), `linear` (matmul + bias adds) and `conv2d` if the conv layer names its
    op so. This is measured from the executed ops' shapes, so it checks the formulae above independently.
    """
    counts: dict[str, int] = {}

    def count(name, data, parents, backward):
        flops = _op_flops(name, data, parents)
        if flops:
            counts[name] = counts.get(name, 0) + flops

    with register_op_hook(count):
        result = fn(*args, **kwargs)
    return result, counts


def _op_flops(name, out, parents) -> int:
    if name == "matmul":
        a = parents[0].data
        k = a.shape[-1]
        return 2 * k * int(np.prod(out.shape))
    if name == "attention":  # the fused op: q k^T (Lq x Lk x d) and p v (Lq x Lk x dv), per batch and head
        q, k = parents[0].data, parents[1].data
        lq_lk = q.shape[-2] * k.shape[-2]
        return 2 * lq_lk * (q.shape[-1] + out.shape[-1]) * int(np.prod(out.shape[:-2]))
    if name == "linear":
        k = parents[0].data.shape[-1]
        return int(np.prod(out.shape)) * (2 * k + (1 if len(parents) > 2 else 0))
    if name == "conv2d" and len(parents) >= 2:
        w = parents[1].data.shape
        per_out = 2 * int(np.prod(w[1:])) + (1 if len(parents) > 2 else 0)
        return int(np.prod(out.shape)) * per_out
    return 0


# ------------------------------------------------------------------------------------------------
# per-layer profile
# ------------------------------------------------------------------------------------------------
class _LayerRecorder:
    """Times each profiled module's forward (self time: children subtracted) and the backward of
    the ops created while it was the innermost running module, through hooks it removes on `close`."""

    def __init__(self):
        self.stack: list = []  # [row name, start, child time] of the running layers
        self.forward: dict = {}
        self.backward: dict = {}
        self.shapes: dict = {}
        self.flops: dict = {}
        self.out_bytes: dict = {}
        self.handles = [register_op_hook(self.on_op)]

    def watch(self, module: Module, name: str) -> None:
        def enter(module, args, kwargs):
            self.stack.append([name, time.perf_counter(), 0.0])

        def leave(module, args, kwargs, out):
            frame = self.stack.pop()
            elapsed = time.perf_counter() - frame[1]
            self.forward[name] = self.forward.get(name, 0.0) + elapsed - frame[2]
            if self.stack:
                self.stack[-1][2] += elapsed
            data = out.data if isinstance(out, Tensor) else None
            self.shapes[name] = tuple(data.shape) if data is not None else None
            self.out_bytes[name] = data.nbytes if data is not None else 0
            if out is not None:
                self.flops[name] = self.flops.get(name, 0) + module_flops(module, args, kwargs=kwargs)

        self.handles.append(module.register_forward_pre_hook(enter, with_kwargs=True))
        self.handles.append(module.register_forward_hook(leave, with_kwargs=True, always_call=True))

    def close(self) -> None:
        for handle in self.handles:
            handle.remove()

    def on_op(self, name, data, parents, backward):
        if backward is None:
            return None
        owner = self.stack[-1][0] if self.stack else "(outside layers)"
        totals = self.backward

        def timed_backward(g):
            t0 = time.perf_counter()
            grads = backward(g)
            totals[owner] = totals.get(owner, 0.0) + time.perf_counter() - t0
            return grads

        return timed_backward


def _profiled_modules(model: Module) -> list:
    """(name, module) for every leaf module and every module with its own FLOP rule."""
    out = []
    for name, mod in model.named_modules():
        leaf = next(iter(mod.named_children()), None) is None
        if leaf or (mod is not model and type(mod).__name__ == "MultiHeadAttention"):
            out.append((name or type(mod).__name__, mod))
    return out


def profile_layers(model: Module, *inputs, loss_fn=None, target=None, runs: int = 5, backward: bool = True) -> Table:
    """Per-layer parameters, FLOPs, output bytes and forward/backward time (median of `runs`).

    model(*inputs) is run `runs` times after one warm-up; with `backward=True` each run also calls
    backward on `loss_fn(output, target)` (default: output.sum(), enough to exercise every gradient).
    Rows: one per leaf layer (and per attention module, for its QK^T/AV core), then "(other)" for
    work outside those layers (forward: the loss and glue in the model's forward; backward: their
    gradients and the autograd engine's bookkeeping) and "total".
    Columns: layer, type, output shape, params, param bytes, FLOPs, out bytes (the layer's output
    activation, which training keeps for the backward pass), fwd ms, bwd ms.
    """
    inputs = tuple(Tensor(x) if isinstance(x, np.ndarray) else x for x in inputs)
    modules = _profiled_modules(model)
    names = [n for n, _ in modules]
    fwd_runs = {n: [] for n in names}
    bwd_runs = {n: [] for n in names}
    total_fwd, total_bwd = [], []
    recorder = None
    for run in range(runs + 1):
        recorder = _LayerRecorder()
        try:
            for name, mod in modules:
                recorder.watch(mod, name)
            model.zero_grad()
            t0 = time.perf_counter()
            out = model(*inputs)
            if backward:
                loss = loss_fn(out, target) if loss_fn is not None else out.sum()
            t1 = time.perf_counter()
            if backward:
                loss.backward()
            t2 = time.perf_counter()
        finally:
            recorder.close()
        if backward:
            model.zero_grad()
        if run == 0:
            continue  # warm-up: first calls pay for allocation and caches
        for n in names:
            fwd_runs[n].append(recorder.forward.get(n, 0.0))
            bwd_runs[n].append(recorder.backward.get(n, 0.0))
        total_fwd.append(t1 - t0)
        total_bwd.append(t2 - t1)

    rows = []
    for name, mod in modules:
        rows.append(
            {
                "layer": name,
                "type": type(mod).__name__,
                "output": recorder.shapes.get(name),
                "params": sum(p.data.size for p in vars(mod).values() if isinstance(p, Tensor)),
                "param bytes": sum(p.data.nbytes for p in vars(mod).values() if isinstance(p, Tensor)),
                "FLOPs": recorder.flops.get(name, 0),
                "out bytes": recorder.out_bytes.get(name, 0),
                "fwd ms": 1e3 * statistics.median(fwd_runs[name]),
                "bwd ms": 1e3 * statistics.median(bwd_runs[name]) if backward else None,
            }
        )
    fwd_total, bwd_total = 1e3 * statistics.median(total_fwd), 1e3 * statistics.median(total_bwd)
    rows.append(
        {
            "layer": "(other)",
            "type": "",
            "output": None,
            "params": None,
            "param bytes": None,
            "FLOPs": None,
            "out bytes": None,
            "fwd ms": max(fwd_total - sum(r["fwd ms"] for r in rows), 0.0),
            "bwd ms": max(bwd_total - sum(r["bwd ms"] for r in rows), 0.0) if backward else None,
        }
    )
    rows.append(
        {
            "layer": "total",
            "type": type(model).__name__,
            "output": None,
            "params": count_parameters(model),
            "param bytes": parameter_bytes(model),
            "FLOPs": sum(r["FLOPs"] or 0 for r in rows),
            "out bytes": sum(r["out bytes"] or 0 for r in rows),
            "fwd ms": fwd_total,
            "bwd ms": bwd_total if backward else None,
        }
    )
    return Table(
        rows,
        ["layer", "type", "output", "params", "param bytes", "FLOPs", "out bytes", "fwd ms", "bwd ms"],
        formats={"fwd ms": ".3f", "bwd ms": ".3f"},
        title=f"profile of {type(model).__name__}: median of {runs} runs, parameters "
        f"{format_bytes(parameter_bytes(model))}",
    )


# ------------------------------------------------------------------------------------------------
# op-level profiler
# ------------------------------------------------------------------------------------------------
class OpProfiler:
    """Time every tensor op executed inside `with OpProfiler() as prof:`, forward and backward.

        with OpProfiler() as prof:
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            with prof.region("optimizer step"):
                opt.step()
        print(prof.table())

    Forward time of an op = time since the previous op (its NumPy work and the glue before it);
    backward time = the op's backward closure, timed exactly. Work that creates no op (an optimizer
    update) is charged to the next op unless wrapped in `prof.region(label)`. The autograd engine's
    own bookkeeping (ordering the graph, adding gradients up between the closures) shows as
    "(autograd engine)", anything else unaccounted as "(untracked)". Profilers nest: each one
    registers its own op hook (`tinytorch.hooks`), so an inner profiler's ops count in the outer one too.
    """

    def __init__(self):
        self.stats: dict = {}  # name -> [calls, forward s, backward s, bytes allocated]
        self.total = 0.0
        self._last = 0.0  # when the last op, backward closure or region ended
        self._in_backward = False  # the last thing that ended was a backward closure
        self._engine = 0.0
        self._attributed = 0.0
        self._handle = None

    def _entry(self, name):
        entry = self.stats.get(name)
        if entry is None:
            entry = self.stats[name] = [0, 0.0, 0.0, 0]
        return entry

    def _settle_backward(self, now: float) -> None:
        """Time since the last backward closure ended, up to `now`, is the engine's bookkeeping."""
        if self._in_backward:
            self._engine += now - self._last
            self._attributed += now - self._last
            self._last, self._in_backward = now, False

    def _on_op(self, name, data, parents, backward):
        now = time.perf_counter()
        self._in_backward = False  # a new op: whatever ran since the last event is its forward work
        entry = self._entry(name)
        entry[0] += 1
        entry[1] += now - self._last
        self._attributed += now - self._last
        # new memory unless the output is a view of an input (reshape, transpose, slicing)
        if isinstance(data, np.ndarray) and not any(np.may_share_memory(data, p.data) for p in parents):
            entry[3] += data.nbytes
        self._last = time.perf_counter()
        if backward is None:
            return None
        profiler = self

        def timed_backward(g):
            t0 = time.perf_counter()
            # the gap before a closure: the engine ordering the graph (first closure of a pass) or
            # reducing and routing gradients between closures
            profiler._engine += t0 - profiler._last
            profiler._attributed += t0 - profiler._last
            grads = backward(g)
            t1 = time.perf_counter()
            entry[2] += t1 - t0
            profiler._attributed += t1 - t0
            profiler._last, profiler._in_backward = t1, True
            return grads

        return timed_backward

    def region(self, label: str):
        """Label non-op work (e.g. the optimizer step) so it is not charged to the next op."""
        return _Region(self, label)

    def __enter__(self):
        self._start = self._last = time.perf_counter()
        self._in_backward = False
        self._handle = register_op_hook(self._on_op)
        return self

    def __exit__(self, *exc):
        self._handle.remove()
        now = time.perf_counter()
        self._settle_backward(now)
        self.total += now - self._start
        return False

    def table(self, top: int | None = None) -> Table:
        """Ops sorted by total time, with share of the profiled wall time and the bytes of new
        outputs (views of an input, such as reshape or transpose, allocate nothing)."""
        rows = [
            {
                "op": name,
                "calls": c,
                "fwd ms": 1e3 * f,
                "bwd ms": 1e3 * b,
                "total ms": 1e3 * (f + b),
                "alloc": format_bytes(m),
            }
            for name, (c, f, b, m) in self.stats.items()
        ]
        rows.sort(key=lambda r: -r["total ms"])
        if top is not None:
            rows = rows[:top]
        engine = self._engine
        untracked = max(self.total - self._attributed, 0.0)
        rows.append(
            {
                "op": "(autograd engine)",
                "calls": None,
                "fwd ms": None,
                "bwd ms": 1e3 * engine,
                "total ms": 1e3 * engine,
                "alloc": "",
            }
        )
        rows.append(
            {
                "op": "(untracked)",
                "calls": None,
                "fwd ms": None,
                "bwd ms": None,
                "total ms": 1e3 * untracked,
                "alloc": "",
            }
        )
        for r in rows:
            r["%"] = 100 * r["total ms"] / (1e3 * self.total) if self.total else 0.0
        return Table(
            rows,
            ["op", "calls", "fwd ms", "bwd ms", "total ms", "%", "alloc"],
            formats={"fwd ms": ".3f", "bwd ms": ".3f", "total ms": ".3f", "%": ".1f"},
            title=f"op profile: {1e3 * self.total:.2f} ms wall time",
        )


class _Region:
    def __init__(self, profiler: OpProfiler, label: str):
        self.profiler, self.label = profiler, label

    def __enter__(self):
        self._t0 = time.perf_counter()
        self.profiler._settle_backward(self._t0)  # a backward pass ending here: its tail is the engine's
        self._attributed0 = self.profiler._attributed
        return self

    def __exit__(self, *exc):
        p = self.profiler
        elapsed = time.perf_counter() - self._t0
        inside_ops = p._attributed - self._attributed0
        own = max(elapsed - inside_ops, 0.0)
        entry = p._entry(self.label)
        entry[0] += 1
        entry[1] += own
        p._attributed += own
        p._last, p._in_backward = time.perf_counter(), False
        return False
