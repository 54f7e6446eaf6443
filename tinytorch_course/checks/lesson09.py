"""Checks of lesson 09 (Convolutions): the output-size formula, conv2d (im2col) forward and backward,
the Conv2d layer, and max / average pooling with their gradient routing.

Every expected value comes from the plain loops in this file (one window at a time, in float64),
never from tinytorch; gradients are checked against finite differences (`grad_case`), and the tie
rule of max-pooling (the first maximum of a window gets the gradient, as PyTorch) by a direct
backward call.
"""

from __future__ import annotations

import math

import numpy as np

from tinytorch.nn.conv import Conv2d
from tinytorch.nn.module import Parameter
from tinytorch.tensor import Tensor
from tinytorch_course.checks.cases import Case, Piece, Raises, construct
from tinytorch_course.checks.compare import describe
from tinytorch_course.checks.fixtures import np_randn, op_case, with_seed
from tinytorch_course.checks.gradients import grad_case

HOME = "tinytorch.nn.functional"
CONV_HOME = "tinytorch.nn.conv"
F32 = np.float32


# ---- loop references (NumPy, one window at a time) --------------------------------------------------
def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _loop_conv(x, w, b=None, stride=1, padding=0):
    """out[n, o, i, j] = b[o] + sum over c, di, dj of x_padded[n, c, i*sh + di, j*sw + dj] * w[o, c, di, dj]."""
    (sh, sw), (ph, pw) = _pair(stride), _pair(padding)
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xp = np.zeros((n, c, h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph : ph + h, pw : pw + wd] = x
    oh, ow = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    out = np.zeros((n, o, oh, ow))
    for img in range(n):
        for f in range(o):
            for i in range(oh):
                for j in range(ow):
                    window = xp[img, :, i * sh : i * sh + kh, j * sw : j * sw + kw]
                    out[img, f, i, j] = (window * w[f]).sum() + (0.0 if b is None else b[f])
    return out


def _loop_pool(x, k, stride=None, padding=0, reduce=np.max, pad_value=-np.inf):
    """Each (k x k) window of every (image, channel), reduced by `reduce`."""
    (kh, kw) = _pair(k)
    (sh, sw) = _pair(stride if stride is not None else k)
    (ph, pw) = _pair(padding)
    x = np.asarray(x, np.float64)
    n, c, h, wd = x.shape
    xp = np.full((n, c, h + 2 * ph, wd + 2 * pw), pad_value)
    xp[:, :, ph : ph + h, pw : pw + wd] = x
    oh, ow = (h + 2 * ph - kh) // sh + 1, (wd + 2 * pw - kw) // sw + 1
    out = np.zeros((n, c, oh, ow))
    for img in range(n):
        for ch in range(c):
            for i in range(oh):
                for j in range(ow):
                    out[img, ch, i, j] = reduce(xp[img, ch, i * sh : i * sh + kh, j * sw : j * sw + kw])
    return out


def _grid(*shape, start=0.0, scale=1.0):
    """Small distinct numbers, exactly representable in float32: easy to read in a report."""
    return ((np.arange(np.prod(shape), dtype=np.float64) + start) * scale).astype(F32).reshape(shape)


# ---- the output size ---------------------------------------------------------------------------------
def out_size_cases():
    def case(size, kernel, stride, pad, **kw):
        want = (size + 2 * pad - kernel) // stride + 1
        return Case(
            f"size {size}, kernel {kernel}, stride {stride}, padding {pad} gives {want}",
            (size, kernel, stride, pad, "conv2d", (1, 1, size, size)),
            want,
            **kw,
        )

    yield case(5, 3, 1, 0, hint="with stride 1 and no padding a k-wide kernel fits size - k + 1 times")
    yield case(5, 3, 1, 1, hint="padding adds `pad` pixels on BOTH sides: size + 2 * pad")
    yield case(28, 5, 1, 2)
    yield case(7, 3, 2, 0, hint="with stride s the kernel moves s pixels at a time: (size + 2p - k) // s + 1")
    yield case(6, 3, 2, 1, hint="integer division rounds down: a window that would stick out is dropped")
    yield case(3, 3, 1, 0, hint="a kernel exactly as wide as the input fits once: out = 1 is fine")
    yield Case(
        "a 4-wide kernel on size 3 (the formula gives exactly 0) raises a ValueError",
        (3, 4, 1, 0, "conv2d", (1, 1, 3, 3)),
        Raises(ValueError, "4", "(1, 1, 3, 3)"),
        hint="raise when out < 1: an output size of 0 means no window fits",
    )
    yield Case(
        "a 7-wide kernel on size 3 raises a ValueError naming the kernel and the input shape",
        (3, 7, 1, 0, "conv2d", (2, 1, 3, 9)),
        Raises(ValueError, "7", "(2, 1, 3, 9)"),
        hint="when the formula gives less than 1, no window fits: raise ValueError naming the kernel "
        "size and the input's shape (the `shape` argument)",
    )


# ---- conv2d ------------------------------------------------------------------------------------------
def conv2d_cases():
    x, w = _grid(1, 1, 3, 3), np.array([[[[1.0, 0.0], [0.0, -1.0]]]], F32)
    yield op_case(
        "one channel, one 2x2 filter: (1, 1, 3, 3) -> (1, 1, 2, 2)",
        (Tensor(x), Tensor(w)),
        _loop_conv(x, w),
        hint="output[i, j] is the sum of the window x[i:i+2, j:j+2] times the filter (no flip)",
    )
    x, w, b = np_randn(1, 2, 2, 4, 4), np_randn(2, 3, 2, 2, 2), np.array([0.5, -1.0, 2.0], F32)
    yield op_case(
        "2 images, 2 channels in, 3 filters, bias: (2, 2, 4, 4) -> (2, 3, 3, 3)",
        (Tensor(x), Tensor(w), Tensor(b)),
        _loop_conv(x, w, b),
        hint="im2col: one column of C*kh*kw numbers per (image, output pixel); then weight.reshape(O, -1) "
        "@ columns; the bias adds bias[o] to every pixel of channel o",
    )
    x, w = np_randn(3, 1, 1, 5, 5), np_randn(4, 1, 1, 3, 3)
    yield op_case(
        "stride 2: (1, 1, 5, 5) with a 3x3 filter -> (1, 1, 2, 2)",
        (Tensor(x), Tensor(w)),
        _loop_conv(x, w, stride=2),
        kwargs={"stride": 2},
        hint="with stride s, output pixel (i, j) reads the window starting at (i*s, j*s)",
    )
    x, w = np_randn(5, 1, 2, 4, 4), np_randn(6, 1, 2, 3, 3)
    yield op_case(
        "padding 1 keeps a 4x4 image 4x4 with a 3x3 filter",
        (Tensor(x), Tensor(w)),
        _loop_conv(x, w, padding=1),
        kwargs={"padding": 1},
        hint="pad height and width (not batch or channels) with zeros on both sides: np.pad",
    )
    x, w = np_randn(7, 1, 1, 4, 6), np_randn(8, 2, 1, 2, 3)
    yield op_case(
        "a 2x3 kernel with stride (1, 2): (1, 1, 4, 6) -> (1, 2, 3, 2)",
        (Tensor(x), Tensor(w)),
        _loop_conv(x, w, stride=(1, 2)),
        kwargs={"stride": (1, 2)},
        hint="height and width each have their own kernel size and stride: the given _pair(stride, "
        "'stride') turns 2 or (1, 2) into a pair",
    )
    yield Case(
        "3 input channels for a weight made for 1: ValueError naming both shapes",
        (Tensor(np.ones((1, 3, 4, 4), F32)), Tensor(np.ones((2, 1, 3, 3), F32))),
        Raises(ValueError, "(1, 3, 4, 4)", "(2, 1, 3, 3)", "3 channels"),
        hint="compare x.shape[1] with weight.shape[1] before anything else; say the input has "
        "{x.shape[1]} channels and name both shapes",
    )
    yield Case(
        "a 3-D input (3, 4, 4) raises a ValueError naming its shape",
        (Tensor(np.ones((3, 4, 4), F32)), Tensor(np.ones((2, 3, 3, 3), F32))),
        Raises(ValueError, "(3, 4, 4)", "reshape(1, *x.shape)"),
        hint="conv2d needs (batch, channels, height, width): check x.ndim == 4 first; for a 3-D input "
        "suggest adding a batch axis, x.reshape(1, *x.shape)",
    )
    yield grad_case(
        "gradients w.r.t. x, weight and bias (2 channels, padding 1)",
        lambda conv2d, x, w, b: conv2d(x, w, b, padding=1),
        np_randn(9, 1, 2, 3, 3),
        np_randn(10, 2, 2, 2, 2),
        np.array([0.1, -0.2]),
        names=["x", "weight", "bias"],
        hint="dweight = dout_matrix @ columns.T; dcolumns = weight_matrix.T @ dout_matrix, then col2im "
        "ADDS each column back to the window it came from (windows overlap); dbias sums dout over "
        "batch, height and width",
    )
    yield grad_case(
        "gradients with stride 2 and no bias",
        lambda conv2d, x, w: conv2d(x, w, stride=2),
        np_randn(11, 1, 1, 5, 5),
        np_randn(12, 1, 1, 3, 3),
        names=["x", "weight"],
        hint="with stride 2, the window of output (i, j) starts at input (2i, 2j): col2im must use the "
        "same positions as im2col",
    )


# ---- the Conv2d layer -----------------------------------------------------------------------------------
def _within(arr, bound, name):
    big = float(np.abs(arr).max())
    if big > bound * (1 + 1e-6):
        return f"{name} reach {big:.4g}, outside the bound +-{bound:.4g} (Kaiming-uniform, fan_in = in_channels*kh*kw)"
    if arr.size >= 200 and big < (1 - 20 / arr.size) * bound:
        return (
            f"the largest |{name}| is {big:.4g}; {arr.size} uniform draws in +-{bound:.4g} come closer: is the bound "
            "too small?"
        )
    return None


def _conv_layer_check(c_in, c_out, k, stride, padding, has_bias=True):
    kh, kw = _pair(k)
    bound = 1 / math.sqrt(c_in * kh * kw)

    def check(layer):
        for attr, want in (
            ("in_channels", c_in),
            ("out_channels", c_out),
            ("kernel_size", (kh, kw)),
            ("stride", _pair(stride)),
            ("padding", _pair(padding)),
        ):
            got = getattr(layer, attr, None)
            if got != want:
                return f"layer.{attr} is {got!r}, expected {want!r}"
        w = getattr(layer, "weight", None)
        if not isinstance(w, Parameter):
            return f"layer.weight should be a Parameter (so parameters() finds it), got {describe(w)}"
        if w.shape != (c_out, c_in, kh, kw):
            return (
                f"layer.weight has shape {w.shape}, expected (out_channels, in_channels, kh, kw) = "
                f"{(c_out, c_in, kh, kw)}"
            )
        if w.dtype != F32:
            return f"layer.weight has dtype {w.dtype}, expected float32"
        problem = _within(w.data, bound, "weights")
        if problem:
            return problem
        b = getattr(layer, "bias", "missing")
        if not has_bias:
            return None if b is None else f"with bias=False, layer.bias should be None, got {describe(b)}"
        if not isinstance(b, Parameter) or b.shape != (c_out,):
            return f"layer.bias should be a Parameter of shape {(c_out,)}, got {describe(b)}"
        return _within(b.data, bound, "bias")

    return check


def conv_init_cases():
    def make(*args, seed=0, **kwargs):
        return lambda init: with_seed(seed, lambda: construct(Conv2d, init, *args, **kwargs))

    yield Case(
        "Conv2d(3, 16, 3): weight (16, 3, 3, 3) in +-1/sqrt(27), bias (16,)",
        call=make(3, 16, 3),
        expected=_conv_layer_check(3, 16, 3, 1, 0),
        show="Conv2d(3, 16, 3)",
        hint="weight shape is (out_channels, in_channels, kh, kw); init.kaiming_uniform(shape) gives "
        "the bound 1/sqrt(fan_in) with fan_in = in_channels * kh * kw",
    )
    yield Case(
        "kernel_size=(2, 5), stride=2, padding=1 are stored as pairs",
        call=make(2, 4, (2, 5), stride=2, padding=1, seed=1),
        expected=_conv_layer_check(2, 4, (2, 5), 2, 1),
        show="Conv2d(2, 4, (2, 5), stride=2, padding=1)",
        hint="the given F._pair(v, name) turns 2 into (2, 2) and leaves (2, 5) as it is",
    )
    yield Case(
        "bias=False stores bias = None",
        call=make(1, 2, 3, bias=False, seed=2),
        expected=_conv_layer_check(1, 2, 3, 1, 0, has_bias=False),
        show="Conv2d(1, 2, 3, bias=False)",
    )


def _fixed_conv(c_in, c_out, k, seed, **kw):
    layer = with_seed(seed, lambda: Conv2d(c_in, c_out, k, **kw))
    layer.weight.data = np_randn(seed, c_out, c_in, k, k)
    layer.bias.data = np_randn(seed + 1, c_out)
    return layer


def conv_forward_cases():
    layer = _fixed_conv(2, 3, 3, 20, padding=1)
    x = np_randn(21, 2, 2, 4, 4)
    yield op_case(
        "Conv2d(2, 3, 3, padding=1) on (2, 2, 4, 4) -> (2, 3, 4, 4)",
        (layer, Tensor(x)),
        _loop_conv(x, layer.weight.data, layer.bias.data, padding=1),
        hint="the layer hands its weight, bias, stride and padding to F.conv2d",
    )
    layer = _fixed_conv(1, 2, 2, 22, stride=2)
    x = np_randn(23, 1, 1, 4, 4)
    yield op_case(
        "Conv2d(1, 2, 2, stride=2) on (1, 1, 4, 4) -> (1, 2, 2, 2)",
        (layer, Tensor(x)),
        _loop_conv(x, layer.weight.data, layer.bias.data, stride=2),
    )
    yield Case(
        "Conv2d(3, 4, 3) on 1 channel (2, 1, 8, 8): ValueError naming 3 and the shape",
        (_fixed_conv(3, 4, 3, 24), Tensor(np.ones((2, 1, 8, 8), F32))),
        Raises(ValueError, "3", "(2, 1, 8, 8)", "1 channels", "axis 1"),
        hint="compare x.shape[1] with self.in_channels, say the input has {x.shape[1]} channels and that "
        "axis 1 (NCHW) must hold the channels",
    )
    yield Case(
        "Conv2d(3, 4, 3) on (3, 1, 8, 8): a batch of 3 is not 3 channels (ValueError)",
        (_fixed_conv(3, 4, 3, 26), Tensor(np.ones((3, 1, 8, 8), F32))),
        Raises(ValueError, "(3, 1, 8, 8)", "axis 1"),
        hint="the channels are x.shape[1] (NCHW); x.shape[0] is the batch",
    )
    yield Case(
        "a single image (3, 8, 8) without a batch axis: ValueError naming its shape",
        (_fixed_conv(3, 4, 3, 25), Tensor(np.ones((3, 8, 8), F32))),
        Raises(ValueError, "(3, 8, 8)", "reshape(1, *x.shape)"),
        hint="check x.ndim == 4 first; for a 3-D input suggest adding a batch axis (x.reshape(1, *x.shape))",
    )


# ---- pooling -----------------------------------------------------------------------------------------------
def _grad_of_ones(x, *args):
    """x.grad after pool(x, *args).backward(ones): how much gradient each input element receives."""

    def call(impl):
        leaf = Tensor(x, requires_grad=True)
        out = impl(leaf, *args)
        out.backward(np.ones(out.shape, F32))
        return leaf.grad

    return call


def max_pool_cases():
    x = np_randn(30, 1, 2, 4, 4)
    yield op_case(
        "2x2 windows, stride 2 (the default): (1, 2, 4, 4) -> (1, 2, 2, 2)",
        (Tensor(x), 2),
        _loop_pool(x, 2),
        hint="stride defaults to the kernel size: windows side by side, no overlap",
    )
    x = np_randn(31, 2, 1, 3, 3)
    yield op_case(
        "overlapping 2x2 windows with stride 1: (2, 1, 3, 3) -> (2, 1, 2, 2)", (Tensor(x), 2, 1), _loop_pool(x, 2, 1)
    )
    x = -np.abs(np_randn(32, 1, 1, 3, 3)) - 1
    yield op_case(
        "padding 1 with all-negative inputs: padding never wins (pad with -inf, not 0)",
        (Tensor(x), 2),
        _loop_pool(x, 2, 2, 1),
        kwargs={"stride": 2, "padding": 1},
        hint="pad with -inf (the given _pad(a, ph, pw, -np.inf)): a zero border would beat every negative input",
    )
    yield grad_case(
        "gradient goes to each window's maximum (2x2, stride 2)",
        lambda pool, x: pool(x, 2),
        np_randn(33, 1, 1, 4, 4),
        hint="only the element that won a window receives that window's gradient",
    )
    yield grad_case(
        "overlapping windows: an element that wins twice gets both gradients",
        lambda pool, x: pool(x, 2, 1),
        np.array([[[[1.0, 2.0, 0.0], [0.5, 9.0, 0.25], [3.0, 0.75, 4.0]]]]),
        hint="9 wins all four 2x2 windows: its gradient is the sum of the four (add, do not assign)",
    )
    yield grad_case(
        "gradient with padding 1 on a non-square (1, 1, 3, 5) input",
        lambda pool, x: pool(x, 2, 2, 1),
        np_randn(34, 1, 1, 3, 5),
        hint="the padded gradient is cropped back with [ph : ph + H, pw : pw + W]: H for rows, W for columns",
    )
    x = np.ones((1, 1, 2, 4), F32)
    yield Case(
        "ties: only the first maximum of a window (row-major) gets the gradient, as in PyTorch",
        call=_grad_of_ones(x, 2),
        expected=np.array([[[[1, 0, 1, 0], [0, 0, 0, 0]]]], F32),
        show="x = ones (1, 1, 2, 4), kernel 2, out.backward(ones)",
        hint="a window of four equal values has four maxima: mark a window as claimed once its first winner "
        "got the gradient",
    )
    yield Case(
        "a 2-D input (4, 4) raises a ValueError naming its shape",
        (Tensor(np.ones((4, 4), F32)), 2),
        Raises(ValueError, "(4, 4)"),
        hint="the given _pool_setup checks the rank for you: call it first",
    )


def avg_pool_cases():
    x = np_randn(40, 1, 2, 4, 4)
    yield op_case(
        "2x2 windows, stride 2 (the default): (1, 2, 4, 4) -> (1, 2, 2, 2)",
        (Tensor(x), 2),
        _loop_pool(x, 2, reduce=np.mean),
    )
    x = np_randn(41, 1, 1, 3, 3)
    yield op_case(
        "overlapping 2x2 windows with stride 1: (1, 1, 3, 3) -> (1, 1, 2, 2)",
        (Tensor(x), 2, 1),
        _loop_pool(x, 2, 1, reduce=np.mean),
    )
    x = _grid(1, 1, 2, 2, start=1)
    yield op_case(
        "padding 1: zeros count in the mean (PyTorch's count_include_pad=True)",
        (Tensor(x), 2),
        _loop_pool(x, 2, 2, 1, reduce=np.mean, pad_value=0.0),
        kwargs={"stride": 2, "padding": 1},
        hint="pad with zeros and always divide by kh * kw, even for a window that is mostly padding",
    )
    yield grad_case(
        "gradient: each element gets 1/4 of every window it is in (stride 1)",
        lambda pool, x: pool(x, 2, 1),
        np_randn(42, 1, 1, 3, 3),
        hint="add g / (kh * kw) to every element of each window; a middle element is in four windows",
    )
    yield grad_case("gradient with 3x3 windows, stride 3", lambda pool, x: pool(x, 3), np_randn(43, 1, 2, 3, 6))
    yield grad_case(
        "gradient with padding 1 on a non-square (1, 1, 3, 5) input",
        lambda pool, x: pool(x, 2, 2, 1),
        np_randn(44, 1, 1, 3, 5),
        hint="the padded gradient is cropped back with [ph : ph + H, pw : pw + W]: H for rows, W for columns",
    )


PIECES = [
    Piece(
        "_out_size",
        out_size_cases,
        title="the output-size formula",
        todo="return (size + 2*pad - kernel) // stride + 1, raising ValueError (naming kernel and shape) below 1",
        hints=[
            "Count the positions the kernel's first pixel can take in the padded input of size + 2*pad.",
            "out = (size + 2 * pad - kernel) // stride + 1; if out < 1 nothing fits: raise ValueError "
            "with f-string parts for `what`, `kernel`, `size` and `shape`.",
        ],
    ),
    Piece(
        "conv2d",
        conv2d_cases,
        title="convolution via im2col, forward and backward",
        todo="convolve x (N, C, H, W) with weight (O, C, kh, kw) (+ bias) via im2col and one matmul; write its "
        "backward",
        hints=[
            "Checks first (4-D input, matching channels), then the pairs (_pair), the output size (_out_size) "
            "and the padded input (np.pad on the two spatial axes).",
            "im2col with the batch axis last, as the reference does: xp = np.pad(x.transpose(1, 2, 3, 0), ...) is "
            "(C, H+2p, W+2p, N); np.lib.stride_tricks.sliding_window_view(xp, (kh, kw), axis=(1, 2)) is a view "
            "of every window, (C, oh', ow', N, kh, kw); slice axes 1 and 2 with the stride, transpose to "
            "(C, kh, kw, oh, ow, N) and reshape to cols (C*kh*kw, oh*ow*N). Then out = weight.reshape(O, -1) @ "
            "cols (+ bias[:, None]) is (O, oh*ow*N): reshape to (O, oh, ow, N), transpose to (N, O, oh, ow).",
            "backward: g.transpose(1, 2, 3, 0).reshape(O, oh*ow*N) is gmat, ordered like the columns; dweight = "
            "gmat @ cols.T; dcols = wmat.T @ gmat reshaped to (C, kh, kw, oh, ow, N); col2im loops over the kh*kw "
            "kernel offsets and ADDS each (C, oh, ow, N) slice into a zero (C, H+2p, W+2p, N) gradient, then crops "
            "the padding off and transposes back to (N, C, H, W).",
        ],
    ),
    Piece(
        "Conv2d.__init__",
        conv_init_cases,
        home=CONV_HOME,
        title="the Conv2d layer's parameters",
        todo="store in/out_channels, kernel_size/stride/padding as pairs, and a Kaiming-uniform weight (O, C, kh, kw) "
        "and bias",
        hints=[
            "kh, kw = F._pair(kernel_size, 'kernel_size'); stride and padding the same way.",
            "self.weight = Parameter(init.kaiming_uniform((out_channels, in_channels, kh, kw))): the fan_in "
            "is computed from the shape.",
            "The bias: Parameter(init.bias_uniform((out_channels,), in_channels * kh * kw)), or None.",
        ],
    ),
    Piece(
        "Conv2d.forward",
        conv_forward_cases,
        home=CONV_HOME,
        title="the Conv2d layer's forward",
        todo="check x is 4-D with in_channels channels (errors name the numbers and shape), then return F.conv2d(...)",
        hints=[
            "Two checks: x.ndim != 4, then x.shape[1] != self.in_channels; each raises ValueError with the shape.",
            "The work itself is F.conv2d with the layer's weight, bias, stride and padding.",
        ],
    ),
    Piece(
        "max_pool2d",
        max_pool_cases,
        title="max-pooling and its gradient routing",
        todo="take the maximum of each kernel window (NCHW); the backward sends each window's gradient to its first "
        "maximum",
        hints=[
            "a, kh, kw, sh, sw, ph, pw, oh, ow = _pool_setup(x, kernel_size, stride, padding, 'max_pool2d'); "
            "pad with -inf; _window_offsets(kh, kw, sh, sw, oh, ow) gives, per kernel offset, an index into xp "
            "that selects that offset of every window at once.",
            "Forward: start from xp[offsets[0]].copy() and take np.maximum with every other offset's view.",
            "Backward: for each offset, won = (xp[idx] == out) & unclaimed; clear those from unclaimed; "
            "gx[idx] += g * won. Crop the padding off gx at the end.",
        ],
    ),
    Piece(
        "avg_pool2d",
        avg_pool_cases,
        title="average pooling",
        todo="average each kernel window (zero padding counts); the backward shares each window's gradient equally",
        hints=[
            "Same setup as max_pool2d (_pool_setup, _pad with zeros, _window_offsets).",
            "Forward: sum xp[idx] over the offsets, divide by kh * kw.",
            "Backward: gx[idx] += g / (kh * kw) for every offset; crop the padding off.",
        ],
    ),
]
