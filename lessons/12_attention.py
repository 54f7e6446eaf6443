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
# In "the animal didn't cross the street because **it** was too tired", the vector for *it* should
# take in information from *animal*, twenty characters back. A convolution only sees a small window;
# **attention** lets every position look at every other position and take a weighted mix of what it
# finds, with weights computed from the data itself. It is the core of the transformer (lesson 13)
# and of every large language model since 2017.
#
# | piece | what it does |
# |---|---|
# | `scaled_dot_product_attention` | `softmax(q kᵀ / √d) v`, with a boolean mask (True = may attend) |
# | `causal_mask` | the mask that stops a position from seeing the future |
# | `MultiHeadAttention.__init__` | four `Linear` projections; `embed_dim` split into `num_heads` heads |
# | `.split_heads`, `.merge_heads` | `(B, T, E)` ⇄ `(B, heads, T, E/heads)` |
# | `.project_qkv`, `.attend`, `.forward` | the whole layer: project, split, attend, merge, project out |

# %%
import math

import numpy as np

import tinytorch as tt
import tinytorch.backend as backend
import tinytorch.nn.attention_options as attention_options
import tinytorch.nn.functional as F
from tinytorch import nn
from tinytorch.nn.attention import Linear, MultiHeadAttention, Tensor
from tinytorch.nn.functional import _float_array, _sum_along, _t, softmax
from tinytorch_course.checks import Lesson, implement, use_my_work

lesson = Lesson("12_attention")
use_my_work(before=lesson)  # your code from earlier lessons (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. Queries, keys and values
#
# Each position produces three vectors of size `d`: a **query** ("what am I looking for?"), a **key**
# ("what do I contain?") and a **value** ("what do I hand over if chosen?"). Position `i` scores every
# position `j` by the dot product `q_i · k_j`, turns the scores into weights with a softmax over `j`,
# and returns the weighted sum of the values:
#
# ```
# q (Lq, d), k (Lk, d), v (Lk, dv)
# scores  = q @ k.T / sqrt(d)          (Lq, Lk): one row per query, one column per key
# weights = softmax(scores, axis=-1)   each row sums to 1
# out     = weights @ v                (Lq, dv)
# ```
#
# Any leading axes (batch, heads) just come along: `(B, H, Lq, d)` works the same, with `k.transpose(-2, -1)`.
#
# **Why divide by √d?** If the entries of `q` and `k` have variance 1, their dot product is a sum of
# `d` products and has variance `d`: for `d = 64` a standard deviation of 8, so the scores of different
# keys differ by 10 or 20, the softmax puts almost all weight on one key, and its gradient almost
# vanishes. Dividing by `√d` brings the variance back to 1, whatever `d` is:

# %%
rng = np.random.default_rng(0)
for d in (4, 64, 256):
    q, k = rng.standard_normal((200, 1, d)), rng.standard_normal((200, 10, d))  # 200 queries, 10 keys each
    dots = (q * k).sum(axis=-1)  # (200, 10) scores
    raw = F.softmax(Tensor(dots)).data.max(axis=-1).mean()
    scaled = F.softmax(Tensor(dots / math.sqrt(d))).data.max(axis=-1).mean()
    print(
        f"d = {d:3d}: score std {dots.std():5.1f}; the largest of 10 weights is on average {raw:.2f} without "
        f"scaling, {scaled:.2f} with 1/sqrt(d)"
    )

# %% [markdown]
# **Masks.** Some positions must not be looked at (the future, in a language model; padding). A mask
# is a boolean array broadcastable to `(..., Lq, Lk)`, **True = may attend** (PyTorch's convention).
# Set the scores where it is False to a very negative number (`-1e9`) *before* the softmax:
# `exp(-1e9 - max)` is exactly 0, so those keys get zero weight and the other weights still sum to 1.
# (Setting weights to 0 *after* the softmax would leave rows that no longer sum to 1.) A float mask of
# 0s and 1s is ambiguous, so it is a `TypeError`. And the shapes must fit: a query and a key need the
# same size `d`, and every key needs a value; NumPy's own errors would not say which was wrong.
#
# Build it from Tensor operations (`@`, `transpose`, `*`, `masked_fill`, your lesson-02 `softmax`):
# then autograd (lesson 05) provides the backward, and the gradient check passes with no extra work.
#
# **PyTorch's keywords.** Programs written for PyTorch may also pass `attn_mask=` (boolean, or a float
# mask *added* to the scores), `is_causal=True`, `scale=` (instead of `1/√d`) or `dropout_p=`. They
# arrive in `**options`; the given `attention_options.sdpa` handles them on top of the same masked
# attention. So begin with the hand-off: when `options` is not empty, return
# `attention_options.sdpa(q, k, v, mask, **options)`.

# %%
# solution: scaled_dot_product_attention

# %%
lesson.check("scaled_dot_product_attention")

# %% [markdown]
# ## 2. The causal mask
#
# A language model predicts token `t + 1` from tokens `0..t`. Trained on a whole sequence at once, it
# must not peek: query `i` may attend to keys `j <= i` only. The mask is the lower triangle,
# diagonal included:
#
# ```
# causal_mask(4)          causal_mask(2, 5): 2 new queries, positions 3 and 4 of 5 keys
# T . . .                 T T T T .
# T T . .                 T T T T T
# T T T .
# T T T T
# ```
#
# The second form is for generation with cached keys (lesson 17): the queries are the last `seq_len`
# of `key_len` positions, so query `i` sits at position `key_len - seq_len + i` and sees keys up to
# there. `np.tri(rows, cols, k, dtype=bool)` is True where `j <= i + k`. Return a boolean Tensor.

# %%
# solution: causal_mask

# %%
lesson.check("causal_mask")

# %% [markdown]
# The attention weights of 4 random queries with the causal mask: row `i` spreads its weight over
# keys `0..i` only, and the first position can only look at itself.

# %%
q, k = tt.randn(4, 8, seed=1), tt.randn(4, 8, seed=2)
allowed = nn.causal_mask(4)
scores = (q @ k.transpose()) * (1 / math.sqrt(8))
weights = F.softmax(scores.masked_fill(~allowed.data, -1e9), axis=-1)
print(allowed.data.astype(int))
print(weights.data.round(3))

# %% [markdown]
# ## 3. Multi-head attention
#
# One attention computes one weighting per query: it can follow one relation (say, "the previous
# word"). **Multi-head attention** runs `H` attentions side by side on smaller slices of the features,
# so different heads can follow different relations, for the cost of one:
#
# ```
# x (B, T, E)
#   q_proj, k_proj, v_proj: Linear(E, E)          three (B, T, E)
#   split_heads:   (B, T, E) -> (B, T, H, E/H) -> (B, H, T, E/H)
#   attention per head (heads are just another batch axis): (B, H, T, E/H)
#   merge_heads:   (B, H, T, E/H) -> (B, T, H, E/H) -> (B, T, E)
#   out_proj: Linear(E, E)                        (B, T, E)
# ```
#
# `E` must divide by `H` (`head_dim = E // H`); if it does not, say so in `__init__`, with the numbers.
# The order of the axes matters in `split_heads`: reshape to `(B, T, H, head_dim)` first (each
# position's features cut into H slices), then swap axes 1 and 2. Reshaping straight to
# `(B, H, T, head_dim)` gives the right shape and mixes positions with features. `merge_heads` undoes
# it in reverse order.
#
# `forward(x, mask=None, cache=None)` is two given steps, written as methods so that lesson 17 can
# reuse them: `project_qkv(x)` returns the split `(q, k, v)`, and `attend(q, k, v, mask)` runs the
# attention, merges and projects out. In between, a **KV-cache** (lesson 17) may extend the keys and
# values with those of earlier positions: if `cache` is given, its `update(k, v)` returns the keys and
# values to attend over (the earlier ones followed by these). Check the
# input first: `(B, T, E)` with the layer's `E`, and a message that says so.

# %%
# solution: MultiHeadAttention.__init__

# %%
lesson.check("MultiHeadAttention.__init__")

# %%
# solution: MultiHeadAttention.split_heads, MultiHeadAttention.merge_heads

# %%
lesson.check("MultiHeadAttention.split_heads")

# %%
lesson.check("MultiHeadAttention.merge_heads")

# %%
# solution: MultiHeadAttention.project_qkv, MultiHeadAttention.attend, MultiHeadAttention.forward

# %%
lesson.check("MultiHeadAttention.project_qkv")

# %%
lesson.check("MultiHeadAttention.attend")

# %%
lesson.check("MultiHeadAttention.forward")

# %% [markdown]
# **Causality, end to end.** With the causal mask, what a position outputs cannot depend on a later
# token. Change the last token of a sequence and compare:

# %%
tt.manual_seed(0)
attn = nn.MultiHeadAttention(16, 4)
x = tt.randn(1, 6, 16, seed=3)
x_changed = Tensor(x.data.copy())
x_changed.data[0, 5] += 10.0
for mask, label in ((nn.causal_mask(6), "causal mask"), (None, "no mask    ")):
    diff = np.abs(attn(x, mask).data - attn(x_changed, mask).data).max(axis=-1)[0]
    print(f"{label}: largest change per position after editing token 5: {[round(float(v), 4) for v in diff]}")

# %% [markdown]
# ## 4. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your attention in later lessons
#
# Every piece that passes runs inside tinytorch in this notebook: `nn.MultiHeadAttention` and
# `nn.causal_mask` are yours, and so is lesson 13's transformer block, which is built on them.
# Later lessons and the milestones start from tinytorch's reference; one call switches your saved
# pieces on there:
#
# ```python
# from tinytorch_course.checks import use_my_work, use_reference
# use_my_work()      # your code from my_tinytorch/ runs from now on
# use_reference()    # back to tinytorch's own
# ```

# %% [markdown]
# ## 5. Systems: the cost of looking everywhere
#
# Every query meets every key, so the score matrix of one head is `T x T`. Per layer and sequence:
#
# - the **projections** (four `Linear(E, E)`) cost `4 * 2 * T * E²` FLOPs: linear in `T`;
# - the **attention** (`q kᵀ` and `weights @ v`, all heads together) costs `2 * 2 * T² * E`: quadratic in `T`;
# - the **weights** take `H * T²` numbers, and the backward pass keeps them.
#
# The two FLOP counts are equal at `T = 2E`; beyond it attention dominates. Measured on one layer,
# `E = 64`, 4 heads (the best of a few runs):

# %%
from tinytorch_course.timing import best_time  # the fastest of a few runs

E, H = 64, 4
tt.manual_seed(0)
layer = nn.MultiHeadAttention(E, H)
previous = None
lengths, milliseconds = (32, 64, 128, 256, 512), []
for T in lengths:
    x = tt.randn(1, T, E, seed=T)
    mask = nn.causal_mask(T)
    seconds = best_time(lambda: layer(x, mask))
    proj, att = 4 * 2 * T * E * E, 2 * 2 * T * T * E
    growth = f"{seconds / previous:4.1f}x the time of T/2" if previous else ""
    print(
        f"T = {T:3d}: projections {proj / 1e6:5.1f} MFLOP, attention {att / 1e6:5.1f} MFLOP, "
        f"weights {H * T * T * 4 / 1e6:5.2f} MB;  {seconds * 1e3:6.2f} ms  {growth}"
    )
    previous = seconds
    milliseconds.append(seconds * 1e3)

# %% [markdown]
# **What the heads look at, and what it costs.** Attention's weights are what it multiplies the values
# by; passing the identity matrix as the values makes your `scaled_dot_product_attention` return the
# weights themselves. Left: the four heads of the (untrained) layer on 12 positions with the causal
# mask: nothing above the diagonal, a query never sees a later key. Right: the times above; the dashed
# line grows as T² from the first point.

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

T = 12
q, k, _ = layer.project_qkv(tt.randn(1, T, E, seed=5))
weights = F.scaled_dot_product_attention(q, k, Tensor(np.eye(T, dtype=np.float32)), nn.causal_mask(T)).data[0]
fig, axes = viz.figure(1, H + 1, size=(13, 2.8))
for head, ax in enumerate(axes[:H]):
    ax.imshow(weights[head], cmap="viridis", vmin=0, vmax=1)
    ax.set_title(f"head {head}")
    ax.set_xlabel("key")
axes[0].set_ylabel("query")
axes[H].loglog(lengths, milliseconds, marker="o", label="measured")
axes[H].loglog(lengths, [milliseconds[0] * (t / lengths[0]) ** 2 for t in lengths], "--", color="gray", label="∝ T²")
axes[H].set_xlabel("sequence length T")
axes[H].set_ylabel("ms per forward")
axes[H].legend(fontsize=8)
viz.show(fig)

# %% [markdown]
# While `T` is small, doubling it costs about 2x (the projections and per-call overheads dominate);
# once the `T²` terms take over, every doubling costs 4x or more (the softmax and the masking are
# elementwise passes over all `H * T²` scores, and once those no longer fit in the CPU's cache, memory
# traffic adds to it). At `T = 512` one layer's weights are already 4 MB in float32; a model with 12 layers
# and 12 heads at `T = 2048` would keep 2.4 GB of them for the backward pass. This quadratic cost is why
# context lengths were long limited to a few thousand tokens, and why FlashAttention (which never
# stores the `T x T` matrix) and the KV-cache (lesson 17, which avoids recomputing past keys during
# generation) matter so much.
