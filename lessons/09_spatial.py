# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python (Pyodide)
#     language: python
#     name: python
# ---

# %% [markdown]
# An MLP looks at a 28 x 28 image as 784 unrelated numbers: its first `Linear(784, 128)` learns
# 100,352 weights, and a stroke it learned to see in the top-left corner means nothing to it in the
# bottom-right. A **convolution** slides one small kernel (say 3 x 3) over the whole image instead:
# the same 9 weights per channel look at every position, so a pattern is detected wherever it
# appears, and the layer has a few hundred weights instead of a hundred thousand. Stack a few, with
# **pooling** in between to shrink the image, and you have LeNet (milestone 1998).
#
# | piece | what it does |
# |---|---|
# | `_out_size` | how many positions a kernel takes along one axis: `(size + 2p - k) // s + 1` |
# | `conv2d` | the convolution as **one matrix product** (im2col), and its backward |
# | `Conv2d.__init__`, `Conv2d.forward` | the layer: a `(out, in, kh, kw)` weight, a bias, helpful errors |
# | `max_pool2d` | the largest value of each window; its gradient goes to the winner only |
# | `avg_pool2d` | the mean of each window; its gradient is shared equally |
#
# Shapes follow PyTorch's **NCHW** layout: a batch is `(N, C, H, W)` = (images, channels, height,
# width). A grey digit is `(1, 28, 28)`, a batch of 64 of them `(64, 1, 28, 28)`.

# %%

import numpy as np

import tinytorch as tt
import tinytorch.backend as backend
import tinytorch.nn.functional as F
import tinytorch.nn.init as init
from tinytorch import nn
from tinytorch.nn.conv import Conv2d, Parameter
from tinytorch.nn.functional import Tensor, _out_size, _pad, _pair, _pool_setup, _t, _window_offsets
from tinytorch_course.checks import Lesson, implement, use_my_work

lesson = Lesson("09_spatial")
use_my_work(before=lesson)  # your code from earlier lessons (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. How big is the output?
#
# Along one axis, a kernel of width `k` moving `s` pixels at a time (the **stride**) over an input of
# `size` pixels with `p` zeros added on **both** sides (the **padding**) starts at positions
# `0, s, 2s, ...` as long as it still fits inside the `size + 2p` padded pixels:
#
# ```
# out = (size + 2p - k) // s + 1
#
# size 5, k 3, s 1, p 0:   (5 - 3) // 1 + 1 = 3      positions 0, 1, 2
# size 5, k 3, s 1, p 1:   (7 - 3) // 1 + 1 = 5      "same" padding: p = (k - 1) / 2 keeps the size
# size 7, k 3, s 2, p 0:   (7 - 3) // 2 + 1 = 3      positions 0, 2, 4
# size 6, k 3, s 2, p 1:   (8 - 3) // 2 + 1 = 3      the window at 6 would stick out: dropped
# ```
#
# If the result is below 1, no window fits (a 7-wide kernel on a 3-pixel image): that must be an
# error naming the kernel and the input's shape, not an empty array that fails three layers later.
# `_out_size(size, kernel, stride, pad, what, shape)` gets `what` (the op's name, for the message)
# and `shape` (the whole input shape) only to write that message.

# %%
# solution: _out_size

# %%
lesson.check("_out_size")

# %% [markdown]
# ## 2. Convolution, with loops and without
#
# Deep learning's "convolution" is a cross-correlation (the kernel is not flipped). For input
# `x (N, C, H, W)`, weights `w (O, C, kh, kw)` (O filters, each seeing all C input channels) and bias
# `b (O,)`:
#
# ```
# out[n, o, i, j] = b[o] + sum over c, di, dj of  x_padded[n, c, i*s + di, j*s + dj] * w[o, c, di, dj]
# ```
#
# giving `(N, O, H', W')`. Written as it reads, that is four nested Python loops (image, filter, row,
# column) around a small window product. tinytorch keeps exactly that version as
# `nn.naive_conv2d`, to be measured against (section 6): for a batch of 64 MNIST digits and 16
# filters it is 64 * 16 * 26 * 26 = 692,224 trips through the Python interpreter.
#
# **im2col** ("image to columns") removes the loops. Copy every window (all `C * kh * kw` numbers under
# the kernel) into one column of a matrix; there is one column per (image, output pixel):
#
# ```
# cols:   (C*kh*kw, H'*W'*N)         one window per column
# wmat:   (O, C*kh*kw)               weight.reshape(O, -1): one filter per row
# wmat @ cols:  (O, H'*W'*N)         every filter times every window, in ONE matrix product
# ```
#
# then reshape to `(N, O, H', W')`. The price is memory: every pixel is copied into up to `kh * kw`
# columns (9x for a 3 x 3 kernel). The payoff: one BLAS call does all the multiply-adds.
#
# NumPy builds the windows without copying: `np.lib.stride_tricks.sliding_window_view(a, (kh, kw),
# axis=...)` is a view with two extra axes that index inside each window. A worked example on one
# 3 x 3 image and one 2 x 2 filter:

# %%
image = np.arange(9.0).reshape(3, 3)
kernel = np.array([[1.0, 0.0], [0.0, -1.0]])
windows = np.lib.stride_tricks.sliding_window_view(image, (2, 2))  # (2, 2, 2, 2): window (i, j) -> its 2x2 pixels
columns = windows.reshape(4, 4).T  # (kh*kw, windows) = (4, 4): one window per column
print("image:\n", image)
print("columns (one 2x2 window per column):\n", columns)
print("kernel.reshape(1, -1) @ columns -> reshaped to 2x2:\n", (kernel.reshape(1, -1) @ columns).reshape(2, 2))

# %% [markdown]
# Each output is top-left minus bottom-right of its window: `0 - 4 = -4` everywhere, as the loops
# would give. Your `conv2d` does the same with a batch, channels, stride (take every s-th window) and
# padding (`np.pad` the two spatial axes with zeros). The order of the column axis is yours to choose,
# as long as you undo it when reshaping the output; tinytorch puts the batch last (`(C, H, W, N)`),
# which makes the copies contiguous and about 2x faster, but NCHW order is just as correct. It also
# fills `cols` with one copy per kernel offset (9 slices of the padded input, the mirror image of
# col2im below) instead of reshaping the window view: same columns, less overhead on small images.
#
# **Backward.** The output is a matrix product, so with `gmat` the output's gradient arranged like the
# product `(O, H'*W'*N)`:
#
# ```
# dweight = (gmat @ cols.T).reshape(O, C, kh, kw)
# dcols   = wmat.T @ gmat                       (C*kh*kw, H'*W'*N): a gradient for every copied pixel
# dbias   = g.sum(axis=(0, 2, 3))
# ```
#
# `dcols` holds a gradient for each *copy* of a pixel; **col2im** sends them back: a pixel copied into
# nine windows receives the sum of nine gradients (add, never assign). Loop over the `kh * kw` kernel
# offsets (9 steps, not one per pixel) and add the matching slice of `dcols` into a zero array of the
# padded input's shape; finally crop the padding off. When only the weight needs a gradient (the first
# layer of a CNN), `x.requires_grad` is False and `dx` can be skipped.

# %%
# solution: conv2d

# %%
lesson.check("conv2d")

# %% [markdown]
# What a filter sees: two hand-made 3 x 3 edge detectors on an 8 x 8 digit. A filter responds where
# the image matches its pattern (a dark-to-bright change from left to right, or from top to bottom),
# and nowhere else:

# %%
digits = tt.datasets.digits(as_images=True)
img = Tensor(digits.X_train[:1])  # (1, 1, 8, 8)
edges = Tensor(
    np.array(
        [
            [[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]],  # left-to-right change
            [[[-1, -2, -1], [0, 0, 0], [1, 2, 1]]],
        ],
        np.float32,
    )
)  # top-to-bottom change
maps = F.conv2d(img, edges, padding=1)  # (1, 2, 8, 8)
print("digit", digits.y_train[0], "(x 9):\n", (img.data[0, 0] * 9).round().astype(int))
print("vertical-edge map:\n", maps.data[0, 0].round(1))
print("horizontal-edge map:\n", maps.data[0, 1].round(1))

# %% [markdown]
# ## 3. The `Conv2d` layer
#
# The layer owns the numbers: `weight` of shape `(out_channels, in_channels, kh, kw)` and `bias`
# `(out_channels,)`, initialised like `torch.nn.Conv2d`: Kaiming-uniform with
# `fan_in = in_channels * kh * kw` (each output sums that many products), the same helpers as
# lesson 03's `Linear` (`init.kaiming_uniform(shape)`, `init.bias_uniform(shape, fan_in)`).
# `kernel_size`, `stride` and `padding` may each be an int or a pair `(height, width)`; store them as
# pairs (the given `F._pair(v, name)` converts).
#
# `forward` hands everything to `F.conv2d`, after two checks whose messages save real time: a single
# image `(C, H, W)` without a batch axis, and an input whose channel count is not `in_channels`
# (often an NHWC image from another library, `(N, 28, 28, 1)`, whose axis 1 holds 28 "channels").

# %%
# solution: Conv2d.__init__, Conv2d.forward

# %%
lesson.check("Conv2d.__init__")

# %%
lesson.check("Conv2d.forward")

# %%
conv = nn.Conv2d(1, 4, 3)
print(conv, "->", conv(Tensor(digits.X_train[:5])).shape)
try:
    conv(Tensor(digits.X_train[0]))  # one image, (1, 8, 8): no batch axis
except ValueError as err:
    print("ValueError:", err)

# %% [markdown]
# ## 4. Pooling
#
# Pooling shrinks each channel by summarising every `k x k` window with one number; it has no weights.
# By default the windows sit side by side (stride = kernel size), so a 2 x 2 pool halves height and width.
#
# **Max-pooling** keeps the largest value: "was the pattern anywhere in this window?". Its gradient is
# routed: only the element that won a window receives that window's gradient, the others get 0. When
# windows overlap (stride < kernel) one element can win several windows and collects all their
# gradients. On ties (a window of equal values, e.g. all zeros after a ReLU) only the **first** maximum
# in row-major order gets it, as PyTorch does; without that rule, every tied element would receive
# the full gradient and the gradient would be counted several times. Padding for max-pooling is
# `-inf`, so that a border can never win.
#
# **Average-pooling** takes the mean: each element of a window receives `1 / (kh * kw)` of its
# gradient. Zero padding counts in the mean (PyTorch's default `count_include_pad=True`).
#
# Both work without a loop over pixels. The given `_window_offsets(kh, kw, sh, sw, oh, ow)` returns,
# for each of the `kh * kw` kernel offsets `(di, dj)`, an index such that `xp[idx]` is an
# `(N, C, oh, ow)` view holding, for every window, its element at offset `(di, dj)`. Reduce over those
# `kh * kw` views (4 for a 2 x 2 pool): a running `np.maximum`, or a running sum. The given
# `_pool_setup(x, kernel_size, stride, padding, what)` checks the input and returns
# `a, kh, kw, sh, sw, ph, pw, oh, ow`; `_pad(a, ph, pw, value)` pads the spatial axes.

# %%
# solution: max_pool2d, avg_pool2d

# %%
lesson.check("max_pool2d")

# %%
lesson.check("avg_pool2d")

# %%
x = Tensor(
    np.array([[[[1.0, 3.0, 2.0, 0.0], [4.0, 2.0, 1.0, 1.0], [0.0, 0.0, 5.0, 6.0], [1.0, 2.0, 7.0, 8.0]]]]),
    requires_grad=True,
)
pooled = F.max_pool2d(x, 2)
pooled.backward(np.ones(pooled.shape, np.float32))
print(
    "x:\n",
    x.data[0, 0],
    "\nmax_pool2d(x, 2):\n",
    pooled.data[0, 0],
    "\nx.grad (1 where a window's max was):\n",
    x.grad.data[0, 0],
)

# %% [markdown]
# ## 5. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your convolutions in later lessons
#
# Every piece that passes runs inside tinytorch in this notebook: `nn.Conv2d`, `nn.MaxPool2d` and
# `nn.AvgPool2d` now call your code. Later lessons and the milestones (the 1998 LeNet CNN) start from
# tinytorch's reference; one call switches your saved pieces on there:
#
# ```python
# from tinytorch_course.checks import use_my_work, use_reference
# use_my_work()      # your code from my_tinytorch/ runs from now on
# use_reference()    # back to tinytorch's own
# ```

# %% [markdown]
# ## 6. Systems: loops against one matrix product
#
# **FLOPs.** Each output number of a convolution is `C * kh * kw` multiply-adds, and there are
# `N * O * H' * W'` outputs: `2 * N * O * H' * W' * C * kh * kw` floating-point operations. For the two
# layers of a small digits CNN (batches of 32 8 x 8 images, padding 1) and LeNet's first layer on MNIST:


# %%
def conv_flops(n, c, h, w, o, k, stride=1, padding=0):
    """2 * (outputs) * (multiply-adds per output) for a square kernel."""
    oh, ow = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    return 2 * n * o * oh * ow * c * k * k


for shape, o, k, pad in [((32, 1, 8, 8), 16, 3, 1), ((32, 16, 8, 8), 32, 3, 1), ((64, 1, 28, 28), 6, 5, 2)]:
    n, c, h, w = shape
    layer_weights = o * c * k * k + o
    print(
        f"Conv2d({c:2d}, {o:2d}, {k}) on {str(shape):15s}: {layer_weights:5,d} weights, "
        f"{conv_flops(n, c, h, w, o, k, padding=pad) / 1e6:6.2f} MFLOP per forward"
    )

# %% [markdown]
# A few thousand weights, millions of FLOPs: each weight is reused at every position of every image.
# A convolution is cheap in memory and expensive in arithmetic, the opposite of a wide `Linear`.
#
# **Time.** The same convolution, with the naive loops and with your im2col (the best of a few runs,
# on a small batch so the loops finish quickly):

# %%
from tinytorch_course.timing import best_time  # the fastest of a few runs

x = tt.randn(4, 3, 12, 12, seed=0)
w, b = tt.randn(8, 3, 3, 3, seed=1), tt.randn(8, seed=2)
flops = conv_flops(4, 3, 12, 12, 8, 3)
loops = best_time(lambda: nn.naive_conv2d(x, w, b))
im2col = best_time(lambda: F.conv2d(x, w, b))
print(f"(4, 3, 12, 12) * 8 filters 3x3: {flops / 1e6:.2f} MFLOP, {4 * 8 * 10 * 10:,d} output pixels")
print(f"  naive loops: {loops * 1e3:8.2f} ms   ({flops / loops / 1e9:6.3f} GFLOP/s)")
print(f"  im2col:      {im2col * 1e3:8.2f} ms   ({flops / im2col / 1e9:6.3f} GFLOP/s)   {loops / im2col:.0f}x faster")
print("  same numbers:", np.allclose(nn.naive_conv2d(x, w, b).data, F.conv2d(x, w, b).data, atol=1e-4))

# %% [markdown]
# **What a filter looks at.** Your `conv2d` and `max_pool2d` on a digit, with two hand-made 3 × 3
# filters: one responds to vertical edges (dark to light from left to right), the other to horizontal
# ones. Each feature map is bright where its pattern is; pooling keeps the strongest response of each
# 2 × 2 patch. A trained network learns filters like these (milestone 1998 shows its own).

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

edges = np.array([[[[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]], [[[-1, -2, -1], [0, 0, 0], [1, 2, 1]]]], np.float32)
digit = Tensor(digits.X_train[:1])  # (1, 1, 8, 8)
maps = F.conv2d(digit, Tensor(edges), padding=1)  # (1, 2, 8, 8)
pooled = F.max_pool2d(maps, 2)  # (1, 2, 4, 4)
fig, axes = viz.figure(2, 4, size=(8, 4))
for row, name in enumerate(("vertical edges", "horizontal edges")):
    panels = [
        (digit.data[0, 0], f"digit {digits.y_train[0]}"),
        (edges[row, 0], f"filter: {name}"),
        (maps.data[0, row], "feature map"),
        (pooled.data[0, row], "max-pooled 2x2"),
    ]
    for ax, (image, title) in zip(axes[row], panels, strict=True):
        ax.imshow(image, cmap="gray" if title.startswith("digit") else "coolwarm")
        ax.set_title(title, fontsize=9)
        ax.axis("off")
viz.show(fig)

# %% [markdown]
# The loops pay the interpreter's cost (a few microseconds) for every output pixel; im2col pays it a
# handful of times and lets one matrix product do the arithmetic. **Memory** is what im2col costs:
# the column matrix holds `kh * kw` copies of (almost) every input pixel:

# %%
for (n, c, h, w_), k in [((4, 3, 12, 12), 3), ((64, 1, 28, 28), 5), ((64, 16, 14, 14), 3)]:
    oh, ow = h - k + 1, w_ - k + 1
    input_bytes = n * c * h * w_ * 4
    cols_bytes = c * k * k * oh * ow * n * 4
    print(
        f"input {str((n, c, h, w_)):17s} {input_bytes / 1e6:6.2f} MB   im2col matrix ({c * k * k}, {oh * ow * n:,d}) "
        f"{cols_bytes / 1e6:6.2f} MB   ({cols_bytes / input_bytes:.1f}x)"
    )

# %% [markdown]
# A k x k kernel costs up to k² times the input's memory, and the backward pass keeps the columns
# alive until the gradient is computed. Frameworks on GPUs avoid the copy with direct or FFT/Winograd
# kernels; on a CPU with NumPy, im2col is the standard trade. Lesson 18 (Acceleration) measures these
# trade-offs further, and lesson 14 (Profiling) counts FLOPs of whole models.
