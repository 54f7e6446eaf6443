"""Checks of lesson 14 (Profiling): parameter and byte counts, and the FLOP formulas of Linear, Conv2d
and attention, alone and dispatched per module from input shapes.

Expected FLOP counts are hand counts written out in each case (a multiply-add is 2 FLOPs, a bias add
1, elementwise work 0); parameter counts and bytes are summed with NumPy from the arrays the case
builds, so no case relies on the piece it checks.
"""

from __future__ import annotations

import numpy as np

from tinytorch.nn.activations import ReLU
from tinytorch.nn.attention import MultiHeadAttention
from tinytorch.nn.conv import Conv2d
from tinytorch.nn.linear import Linear
from tinytorch.nn.module import Module, Sequential
from tinytorch.tensor import Tensor
from tinytorch_course.checks.cases import Case, Piece, Raises

HOME = "tinytorch.systems.profiling"


# ---- small models with known sizes ---------------------------------------------------------------
def _mlp():
    """64 -> 32 -> 10: 64*32 + 32 + 32*10 + 10 = 2,410 parameters."""
    return Sequential(Linear(64, 32), ReLU(), Linear(32, 10))


class _Tied(Module):
    """Two Linear(4, 4) layers sharing one weight matrix (as a GPT ties its embedding and head)."""

    def __init__(self):
        self.a = Linear(4, 4)
        self.b = Linear(4, 4)
        self.b.weight = self.a.weight


class _WithBuffers(Module):
    """A Linear(3, 2) plus two buffers: a boolean (4, 4) mask and an int8 (5,) code table."""

    def __init__(self):
        self.layer = Linear(3, 2)
        self.register_buffer("mask", np.ones((4, 4), dtype=bool))
        self.register_buffer("codes", np.zeros(5, dtype=np.int8))


class _WithFloatBuffer(Module):
    """A Linear(3, 2) plus a float32 (3,) running mean: a buffer of 4-byte elements."""

    def __init__(self):
        self.layer = Linear(3, 2)
        self.register_buffer("running_mean", np.zeros(3, dtype=np.float32))


class _FakeCache:
    """What module_flops reads from a KV-cache: how many positions it holds."""

    def __init__(self, length):
        self.length = length

    def __repr__(self):
        return f"cache(length={self.length})"


# ---- counting parameters and bytes ---------------------------------------------------------------
def count_parameters_cases():
    yield Case("Linear(3, 2): 3*2 weights + 2 biases = 8", (Linear(3, 2),), 8)
    mlp = _mlp()
    yield Case(
        "MLP 64 -> 32 -> 10: 2,410 (ReLU has none)",
        (mlp,),
        2410,
        hint="sum the number of elements (.data.size) of every parameter from model.parameters()",
    )
    yield Case(
        "two layers sharing one (4, 4) weight: 16 + 4 + 4 = 24, the shared weight once",
        (_Tied(),),
        24,
        hint="model.parameters() lists a shared Parameter once: use it rather than walking the layers yourself",
    )
    yield Case(
        "trainable_only=True skips a frozen (32, 64) weight: 2,410 - 2,048 = 362",
        (_mlp_frozen(),),
        362,
        kwargs={"trainable_only": True},
        hint="with trainable_only=True count only parameters whose requires_grad is True",
    )
    yield Case("trainable_only=False (default) still counts the frozen weight: 2,410", (_mlp_frozen(),), 2410)


def _mlp_frozen():
    m = _mlp()
    m.layers[0].weight.requires_grad = False
    return m


def parameter_bytes_cases():
    mlp = _mlp()
    expected = sum(
        np.asarray(p.data).nbytes
        for p in (mlp.layers[0].weight, mlp.layers[0].bias, mlp.layers[2].weight, mlp.layers[2].bias)
    )
    yield Case(
        f"MLP 64 -> 32 -> 10 in float32: 2,410 * 4 = {expected:,} bytes",
        (mlp,),
        expected,
        hint="bytes = elements * bytes per element: each parameter's .data.nbytes",
    )
    half = _mlp()
    for layer in (half.layers[0], half.layers[2]):
        layer.weight.data = layer.weight.data.astype(np.float16)
        layer.bias.data = layer.bias.data.astype(np.float16)
    yield Case(
        "the same MLP stored in float16: 2,410 * 2 = 4,820 bytes",
        (half,),
        4820,
        hint="use each array's own nbytes (it knows its dtype) rather than assuming 4 bytes",
    )
    yield Case(
        "buffers count too: Linear(3, 2) 32 bytes + bool (4, 4) mask 16 + int8 (5,) codes 5 = 53",
        (_WithBuffers(),),
        8 * 4 + 16 + 5,
        hint="every module lists its buffer names in `_buffers` (when it has any); getattr(module, name) is the array",
    )
    yield Case(
        "a float32 (3,) buffer is 12 bytes: Linear(3, 2) 32 + 12 = 44",
        (_WithFloatBuffer(),),
        8 * 4 + 3 * 4,
        hint="a buffer's bytes are its nbytes (elements * bytes per element), not its number of elements",
    )
    yield Case("a shared (4, 4) weight is stored once: 24 * 4 = 96 bytes", (_Tied(),), 96)


# ---- FLOP formulas -------------------------------------------------------------------------------
def linear_flops_cases():
    yield Case(
        "Linear(3, 2), one row: 2 outputs * (2*3 + 1) = 14",
        (3, 2),
        14,
        hint="each output is a dot product of length in_features (in multiplies + in adds counted as 2*in) "
        "plus one bias add",
    )
    yield Case("Linear(3, 2), batch=4: 4 * 14 = 56", (3, 2), 56, kwargs={"batch": 4})
    yield Case(
        "Linear(3, 2), batch=4, bias=False: 4 * 2 * 6 = 48",
        (3, 2),
        48,
        kwargs={"batch": 4, "bias": False},
        hint="without a bias there is no +1 per output",
    )
    yield Case("Linear(64, 10), batch=32: 32 * 10 * 129 = 41,280", (64, 10), 41280, kwargs={"batch": 32})


def conv2d_output_size_cases():
    yield Case(
        "8x8, kernel 3: (6, 6)", (8, 8, 3), (6, 6), hint="(H + 2*padding - kernel) // stride + 1 in each direction"
    )
    yield Case("8x8, kernel 3, padding=1 keeps (8, 8)", (8, 8, 3), (8, 8), kwargs={"padding": 1})
    yield Case(
        "8x8, kernel 3, stride=2: (8 - 3) // 2 + 1 = 3, so (3, 3)",
        (8, 8, 3),
        (3, 3),
        kwargs={"stride": 2},
        hint="integer division: a window that does not fit at the end is dropped",
    )
    yield Case(
        "6x10, kernel (3, 5), stride (1, 2), padding (1, 0): (6, 3)",
        (6, 10, (3, 5)),
        (6, 3),
        kwargs={"stride": (1, 2), "padding": (1, 0)},
        hint="kernel_size, stride and padding may each be an int or an (h, w) pair: _pair(v) gives the pair",
    )


def conv2d_flops_cases():
    yield Case(
        "Conv2d(1, 4, 3) on 8x8: 4*6*6 = 144 outputs * (2*1*9 + 1) = 2,736",
        (1, 4, 3, (8, 8)),
        2736,
        hint="outputs = batch * out_channels * H_out * W_out; each costs 2 * in_channels * kh * kw (+1 bias)",
    )
    yield Case(
        "Conv2d(3, 8, 3, padding=1) on 16x16, batch 2: 2*8*256 * (2*27 + 1) = 225,280",
        (3, 8, 3, (16, 16)),
        225280,
        kwargs={"padding": 1, "batch": 2},
    )
    yield Case(
        "Conv2d(2, 4, (3, 5), stride=2, bias=False) on 9x9: 4*4*3 * 2*2*15 = 2,880",
        (2, 4, (3, 5), (9, 9)),
        2880,
        kwargs={"stride": 2, "bias": False},
        hint="use conv2d_output_size for H_out, W_out (here (4, 3)); a (3, 5) kernel has 15 taps per channel",
    )


def attention_core_flops_cases():
    yield Case(
        "seq 4, embed 8: Q K^T and A V, 2 * (2*4*4*8) = 512",
        (4, 8),
        512,
        hint="Q K^T is (Lq, E) @ (E, Lk): 2*Lq*Lk*E FLOPs; A V is (Lq, Lk) @ (Lk, E): the same again",
    )
    yield Case("batch 3 triples it: 1,536", (4, 8), 1536, kwargs={"batch": 3})
    yield Case(
        "one new query over 10 cached keys (kv_len=10), embed 8: 2 * 2*1*10*8 = 320",
        (1, 8),
        320,
        kwargs={"kv_len": 10},
        hint="the keys' length is kv_len when given, else seq_len",
    )


def attention_flops_cases():
    yield Case(
        "seq 4, embed 8, 2 heads: 4 projections 4 * 4*8*17 = 2,176 + core 512 = 2,688",
        (4, 8, 2),
        2688,
        hint="four Linear(E, E) projections (q, k, v, out) over batch*seq rows, plus attention_core_flops",
    )
    yield Case("the head count does not change the FLOPs: 1 head, seq 4, embed 8 is also 2,688", (4, 8, 1), 2688)
    yield Case(
        "batch 2, seq 16, embed 16, 4 heads, bias=False: 4 * 32*16*32 + 2 * 2*(2*16*16*16) = 98,304",
        (16, 16, 4),
        98304,
        kwargs={"batch": 2, "bias": False},
    )
    yield Case(
        "embed_dim 10 with 3 heads raises a ValueError naming 10 and 3",
        (4, 10, 3),
        Raises(ValueError, "10", "3"),
        hint="each head gets embed_dim // num_heads features: check embed_dim % num_heads first",
    )


def module_flops_cases():
    yield Case(
        "Linear(3, 2) on a (5, 3) batch: 5 * 2 * 7 = 70",
        (Linear(3, 2), (Tensor(np.zeros((5, 3))),)),
        70,
        hint="for a Linear, linear_flops(in_features, out_features, rows, has bias)",
    )
    yield Case(
        "Linear(3, 2) on (2, 5, 3): 10 rows, 140",
        (Linear(3, 2), (Tensor(np.zeros((2, 5, 3))),)),
        140,
        hint="the rows are every leading dimension multiplied together (_rows(x.shape)): 2 * 5 = 10",
    )
    yield Case(
        "Linear(3, 2, bias=False) on (4, 3): 4 * 2 * 6 = 48",
        (Linear(3, 2, bias=False), (Tensor(np.zeros((4, 3))),)),
        48,
    )
    conv = Conv2d(1, 4, 3, padding=1)
    yield Case(
        "Conv2d(1, 4, 3, padding=1) on (2, 1, 8, 8): 2*4*8*8 * 19 = 9,728",
        (conv, (Tensor(np.zeros((2, 1, 8, 8))),)),
        9728,
        hint="read in/out channels and the kernel from weight.shape (out, in, kh, kw), the image size and "
        "batch from the input, stride and padding from the layer",
    )
    mha = MultiHeadAttention(8, 2)
    yield Case(
        "MultiHeadAttention(8, 2) on (1, 4, 8): only its core, 512 (its projections are child Linears)",
        (mha, (Tensor(np.zeros((1, 4, 8))),)),
        512,
        hint="count only the module's own work: the q/k/v/out Linears are counted as modules of their own",
    )
    yield Case(
        "attention with a cache of 10 positions, 1 new query: 320",
        (MultiHeadAttention(8, 2), (Tensor(np.zeros((1, 1, 8))),)),
        320,
        kwargs={"kwargs": {"cache": _FakeCache(10)}},
        hint="the cache comes as the third input or as kwargs['cache']; its .length is the number of keys",
    )
    yield Case(
        "attention with the cache as its third input (x, mask, cache): 320",
        (MultiHeadAttention(8, 2), (Tensor(np.zeros((1, 1, 8))), None, _FakeCache(10))),
        320,
        hint="inputs are forward's positional arguments (x, mask, cache): the cache is inputs[2] when there are 3",
    )
    yield Case(
        "attention called with (x, mask) and no cache: 512",
        (MultiHeadAttention(8, 2), (Tensor(np.zeros((1, 4, 8))), None)),
        512,
        hint="with only two inputs there is no inputs[2]: look for the cache only when len(inputs) > 2",
    )
    yield Case("ReLU counts 0 (elementwise work is not counted)", (ReLU(), (Tensor(np.zeros((2, 3))),)), 0)


PIECES = [
    Piece(
        "count_parameters",
        count_parameters_cases,
        title="how many numbers a model learns",
        todo="return the number of scalar parameters (only those with requires_grad if trainable_only)",
        hints=[
            "model.parameters() lists every Parameter once, shared ones included only once.",
            "Each parameter holds p.data.size numbers; skip it when trainable_only and not p.requires_grad.",
        ],
    ),
    Piece(
        "parameter_bytes",
        parameter_bytes_cases,
        title="bytes of parameters and buffers",
        todo="return the bytes of every parameter plus every registered buffer of every submodule",
        hints=[
            "p.data.nbytes is a parameter's size in bytes, whatever its dtype.",
            "Buffers: for mod in model.modules(), the names in getattr(mod, '_buffers', ()) are attributes "
            "holding arrays; add np.asarray(getattr(mod, name)).nbytes.",
        ],
    ),
    Piece(
        "linear_flops",
        linear_flops_cases,
        title="FLOPs of a Linear",
        todo="return the FLOPs of y = x W^T + b over `batch` rows (a multiply-add counts 2, a bias add 1)",
        hints=[
            "One output: in_features multiply-adds, 2 FLOPs each, then 1 for the bias.",
            "There are batch * out_features outputs.",
        ],
    ),
    Piece(
        "conv2d_output_size",
        conv2d_output_size_cases,
        title="a convolution's output size",
        todo="return (H_out, W_out) = ((H + 2p - k) // s + 1, (W + 2p - k) // s + 1) per direction",
        hints=[
            "Turn kernel_size, stride and padding into (h, w) pairs with the given _pair.",
            "Apply the formula once with the h-values and once with the w-values.",
        ],
    ),
    Piece(
        "conv2d_flops",
        conv2d_flops_cases,
        title="FLOPs of a Conv2d",
        todo="return the FLOPs of a 2-D convolution: number of outputs times the cost of one output",
        hints=[
            "Each output element is a dot product over C_in * kh * kw input values.",
            "conv2d_output_size(*input_hw, kernel, stride, padding) gives H_out, W_out; "
            "outputs = batch * out_channels * H_out * W_out.",
        ],
    ),
    Piece(
        "attention_core_flops",
        attention_core_flops_cases,
        title="FLOPs of softmax(QK^T)V",
        todo="return the FLOPs of the two attention matrix products (Q K^T and A V); kv_len defaults to seq_len",
        hints=[
            "Two matrix products per batch element: Q K^T and (weights) V, each 2 * Lq * Lk * E FLOPs.",
            "Heads do not matter: h heads of size E/h do the same total work as one head of size E.",
        ],
    ),
    Piece(
        "attention_flops",
        attention_flops_cases,
        title="FLOPs of multi-head self-attention",
        todo="return 4 projections (linear_flops over batch*seq rows) + attention_core_flops; check divisibility",
        hints=[
            "Raise ValueError naming embed_dim and num_heads when embed_dim % num_heads != 0.",
            "q, k, v and out are each Linear(embed_dim, embed_dim) applied to batch * seq_len rows.",
        ],
    ),
    Piece(
        "module_flops",
        module_flops_cases,
        title="FLOPs of one module from its input shapes",
        todo="return the FLOPs a Linear, Conv2d or MultiHeadAttention does itself for these inputs; 0 otherwise",
        hints=[
            "x = inputs[0]; branch on isinstance(module, Linear), then on type(module).__name__.",
            "Conv2d: weight.shape is (out, in, kh, kw); pass the layer's stride and padding and x.shape[0] as the "
            "batch.",
            "Attention: (batch, length, E) = x.shape; keys = cache.length if a cache came (inputs[2] or "
            "kwargs['cache']), else length.",
        ],
    ),
]
