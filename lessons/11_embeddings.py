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
# Lesson 10's tokenizer turns text into integer ids: `"hello"` might become `[7, 4, 11, 11, 14]`. A
# network cannot do arithmetic with an id (token 14 is not "twice" token 7), so the first layer of
# every language model maps each id to a learned **vector**: row `id` of a table of shape
# `(vocab_size, dim)`. Training moves the rows so that tokens used alike end up close together.
#
# The second thing a language model needs is **position**. Attention (lesson 12) compares every
# token with every other, and that comparison does not know which came first: "dog bites man" and
# "man bites dog" would look the same. So each position also gets a vector, added to the token's.
#
# | piece | what it does |
# |---|---|
# | `_index_array` | checks ids: integers, inside `0..vocab_size-1` (an error names the bad id) |
# | `embedding` | the lookup `weight[ids]`, and its **scatter-add** gradient |
# | `Embedding.__init__` | the learnable `(num_embeddings, embedding_dim)` table |
# | `_check_positions`, `PositionalEmbedding.forward` | learned position vectors (GPT) |
# | `SinusoidalPositionalEncoding.__init__`, `.forward` | fixed sine/cosine positions ("Attention Is All You Need") |

# %%

import math

import numpy as np

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch import nn
from tinytorch.nn.embedding import (
    Embedding,
    Parameter,
    PositionalEmbedding,
    SinusoidalPositionalEncoding,
    Tensor,
    _check_positions,
    _positions,
    default_rng,
    get_default_dtype,
)
from tinytorch.nn.functional import _index_array
from tinytorch_course.checks import Lesson, implement, use_my_work

lesson = Lesson("11_embeddings")
use_my_work(before=lesson)  # your code from earlier lessons (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. A lookup is a one-hot matrix product
#
# Write token id `t` as a one-hot row `e_t` (all zeros but a 1 at `t`, length `vocab_size`). Then
# `e_t @ W` is exactly row `t` of `W`. For ids of shape `(B, T)` the one-hot tensor is `(B, T, V)`, and
# `one_hot @ W` gives `(B, T, dim)`. That view tells us the gradient (next section), but nobody builds
# the one-hot matrix: for a vocabulary of 50,000 it is 50,000 multiplications to copy one row.
# Indexing, `W[ids]`, copies the row directly.
#
# NumPy's indexing has two traps that the lookup must close first:
#
# - `W[-1]` is valid NumPy: the *last* row. A negative id (a padding value, an off-by-one) would
#   silently read a real token's vector. It must be an error.
# - an id `>= vocab_size` raises NumPy's `index 7 is out of bounds for axis 0 with size 5`, which does
#   not say that the tokenizer and the model disagree about the vocabulary size. Ours does.
#
# `_index_array(ids, num_rows, what)` accepts ids as a Tensor, an array or a list, returns the integer
# array, and raises `TypeError` for non-integer ids and `IndexError` naming the offending id and
# `num_rows` (`what` is the layer's name, for the message).

# %%
# solution: _index_array

# %%
lesson.check("_index_array")

# %% [markdown]
# ## 2. The lookup and its scatter-add gradient
#
# Forward: `out = weight.data[idx]`, shape `idx.shape + (dim,)`. The only parent is `weight`: integer
# ids have no gradient.
#
# Backward: with `out = one_hot @ W`, the gradient is `dW = one_hot.T @ g`: row `t` of `dW` is the sum
# of the gradients of every output position whose id was `t`. Rows never used get 0. Without building
# the one-hot matrix, that is a **scatter-add**: start from zeros of `W`'s shape and add each output
# row's gradient into row `ids[...]`.
#
# The trap: `gw[idx] += g` looks right and is wrong when an id repeats. NumPy evaluates it as
# `gw[idx] = gw[idx] + g`, and for a repeated index the later write simply replaces the earlier one:
# a token used three times in a batch gets one gradient instead of three. `np.add.at(gw, idx, g)`
# adds every one ("unbuffered"). Flatten first: ids to `(B*T,)`, `g` to `(B*T, dim)`.
#
# ```
# ids = [[1, 3, 1], [1, 0, 2]], out.backward(ones):   weight.grad rows = [1, 3, 1, 1, 0] * ones(dim)
#                                                      (row 1 used three times, row 4 never)
# ```

# %%
# solution: embedding

# %%
lesson.check("embedding")

# %%
w = Tensor(np.zeros((5, 2)), requires_grad=True)
ids = np.array([[1, 3, 1], [1, 0, 2]])
F.embedding(ids, w).sum().backward()
print("ids:", ids.tolist(), "\nweight.grad (one row per token id):\n", w.grad.data)
scatter = np.zeros((5, 2))
scatter[ids.reshape(-1)] += 1.0
print("the same with gw[idx] += g instead of np.add.at:\n", scatter)

# %% [markdown]
# ## 3. The `Embedding` layer
#
# The layer owns the table: `weight`, a `Parameter` of shape `(num_embeddings, embedding_dim)`,
# initialised from a standard normal N(0, 1) like `torch.nn.Embedding` (draw from tinytorch's seeded
# generator `default_rng()`, so `tt.manual_seed` makes it reproducible; store float32 via
# `get_default_dtype()`). Its `forward(ids)` is given: one call of your `F.embedding`.

# %%
# solution: Embedding.__init__

# %%
lesson.check("Embedding.__init__")

# %%
tt.manual_seed(0)
emb = nn.Embedding(10, 4)
print(emb, "weight", emb.weight.shape)
print("ids (2, 3) ->", emb(np.array([[1, 2, 3], [3, 2, 1]])).shape)
try:
    emb(np.array([[1, 2, 10]]))
except IndexError as err:
    print("IndexError:", err)

# %% [markdown]
# ## 4. Learned positions
#
# The simplest position information is a second table: row `p` is the vector of position `p`, learned
# like any other weight. GPT-2 does this with 1,024 positions. `PositionalEmbedding(max_len, dim)`
# holds a `(max_len, dim)` table (initialised small, N(0, 0.02²), given) and `forward(positions)`
# takes either an int `n` (the positions `0..n-1` of a length-n sequence) or explicit positions. The
# explicit form matters for generation (lesson 17): a model producing token 100 asks for position 100
# alone, without recomputing 0..99. The given `_positions(positions)` turns an int `n` into
# `np.arange(n)` and passes arrays (or a Tensor's data) through.
#
# A table has `max_len` rows and no more: position `max_len` is not "wrapped around", it is an error,
# and the message should say the sequence is longer than the table and what to do.
# `_check_positions(pos, max_len, what)` raises it (and a `TypeError` for non-integer positions); it
# returns nothing when all is well.

# %%
# solution: _check_positions, PositionalEmbedding.forward

# %%
lesson.check("_check_positions")

# %%
lesson.check("PositionalEmbedding.forward")

# %% [markdown]
# ## 5. Sinusoidal positions
#
# "Attention Is All You Need" (2017) used a fixed table instead, with no parameters and defined for
# any position. Each pair of columns `(2i, 2i+1)` is a clock turning at its own frequency
# `f_i = 1 / 10000^(2i/d)`:
#
# ```
# PE[p, 2i]   = sin(p * f_i)
# PE[p, 2i+1] = cos(p * f_i)          i = 0, 1, ..., d/2 - 1
# ```
#
# Column pair 0 turns once every 2π ≈ 6.3 positions; the last pair barely moves over thousands of
# positions. Together they give every position a distinct pattern, and because `sin(a + b)` and
# `cos(a + b)` are linear in `sin(a)`, `cos(a)`, moving `k` positions further is the same rotation of
# every clock whatever the starting position: the dot product `PE[p] · PE[p + k]` depends only on `k`
# (the cell after the checks shows it). With an odd `d` the last column is a sine with no cosine partner.
#
# In NumPy, without loops: positions as a column `(max_len, 1)` times frequencies as a row gives every
# angle at once (`np.arange(0, d, 2)` are the even column indices `2i`). The table is not learned, so
# it is not a Parameter: `self.register_buffer("table", array)` stores it as a plain attribute that
# `state_dict` still saves. `forward` is the lookup: check the positions, return the rows as a Tensor.

# %%
# solution: SinusoidalPositionalEncoding.__init__, SinusoidalPositionalEncoding.forward

# %%
lesson.check("SinusoidalPositionalEncoding.__init__")

# %%
lesson.check("SinusoidalPositionalEncoding.forward")

# %%
pe = nn.SinusoidalPositionalEncoding(64, 16).table
print("rows 0..3, first 6 columns:\n", pe[:4, :6].round(3))
for k in (1, 4):
    dots = [float(pe[p] @ pe[p + k]) for p in (0, 10, 40)]
    print(f"PE[p] . PE[p + {k}] for p = 0, 10, 40: {np.round(dots, 4).tolist()}   (depends only on k)")

# %% [markdown]
# The whole table your encoding builds, as a picture: each column is a clock, fast on the left and
# slower to the right. On the right, the dot product of every pair of positions: it depends only on
# their distance (constant along each diagonal), which is what lets attention find "3 tokens back".

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

table = nn.SinusoidalPositionalEncoding(64, 32).table
fig, (left, right) = viz.figure(1, 2, size=(9, 3.6))
image = left.imshow(table, cmap="RdBu", aspect="auto", vmin=-1, vmax=1)
left.set_xlabel("dimension")
left.set_ylabel("position")
left.set_title("sinusoidal encoding (64 positions x 32)")
fig.colorbar(image, ax=left)
image = right.imshow(table @ table.T, cmap="viridis")
right.set_xlabel("position q")
right.set_ylabel("position p")
right.set_title("PE[p] . PE[q]")
fig.colorbar(image, ax=right)
viz.show(fig)

# %% [markdown]
# ## 6. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your embeddings in later lessons
#
# Every piece that passes runs inside tinytorch in this notebook: `nn.Embedding`,
# `nn.PositionalEmbedding` and `nn.SinusoidalPositionalEncoding` use your code, and lesson 13's GPT
# starts with exactly these two lookups added together. Later lessons and the milestones start from
# tinytorch's reference; one call switches your saved pieces on there:
#
# ```python
# from tinytorch_course.checks import use_my_work, use_reference
# use_my_work()      # your code from my_tinytorch/ runs from now on
# use_reference()    # back to tinytorch's own
# ```

# %% [markdown]
# ## 7. Systems: what a table costs
#
# **Parameters.** An embedding table is `vocab_size * dim` numbers. For a character model it is tiny;
# for a word-piece vocabulary it can be most of a small model:

# %%
for name, vocab, dim in [
    ("characters (lesson 10)", 65, 64),
    ("BPE, 2k merges", 2_000, 128),
    ("GPT-2 small", 50_257, 768),
]:
    n = vocab * dim
    print(f"{name:23s} {vocab:6,d} x {dim:3d} = {n:11,d} parameters = {n * 4 / 1e6:7.2f} MB in float32")

# %% [markdown]
# GPT-2 small's token table alone is 38.6 M of its 124 M parameters, which is why GPT-2 *ties* it to
# the output layer (lesson 13): one matrix maps ids to vectors and vectors back to vocabulary scores.
#
# **Lookup against one-hot.** Both give the same numbers; the one-hot product builds a
# `(tokens, vocab)` matrix and multiplies through it (the best of a few runs):

# %%
from tinytorch_course.timing import best_time  # the fastest of a few runs

tokens = 256
for vocab in (100, 1_000, 5_000):
    table = tt.randn(vocab, 64, seed=0)
    ids = np.random.default_rng(1).integers(0, vocab, tokens)
    one_hot = Tensor(np.eye(vocab, dtype=np.float32)[ids])
    lookup = best_time(lambda: F.embedding(ids, table))
    matmul = best_time(lambda: one_hot @ table)
    print(
        f"vocab {vocab:5,d}: lookup {lookup * 1e3:6.3f} ms   one-hot @ W {matmul * 1e3:7.3f} ms "
        f"({matmul / lookup:5.0f}x)   one-hot matrix {one_hot.data.nbytes / 1e6:5.2f} MB"
    )

# %% [markdown]
# The lookup's cost depends only on how many tokens there are; the one-hot product's grows with the
# vocabulary. (Natively, NumPy's BLAS may split even a small product over several threads; on a busy
# machine they wait for each other and the smallest vocabulary can come out oddly slow. The browser has
# one thread, and there the growth is clean.)
#
# **The backward is dense.** Your scatter-add writes into a zero array the size of the whole table,
# although a batch touches only the rows of its own tokens. The same 256 tokens, ever larger tables:

# %%
for vocab in (1_000, 10_000, 40_000):
    table = Tensor(np.zeros((vocab, 64), np.float32), requires_grad=True)
    ids = np.random.default_rng(2).integers(0, vocab, tokens)

    def step():
        table.grad = None
        F.embedding(ids, table).sum().backward()

    used = len(np.unique(ids))
    print(
        f"vocab {vocab:6,d}: forward + backward {best_time(step) * 1e3:6.2f} ms; the gradient is "
        f"{vocab * 64 * 4 / 1e6:5.2f} MB of which {used} of {vocab:,d} rows are non-zero"
    )

# %% [markdown]
# The time grows with the table, not with the work: most of it is allocating and adding zeros (and an
# optimizer then updates every row). This is why PyTorch offers `nn.Embedding(..., sparse=True)`, whose
# gradient lists only the rows used; for a 50,000-token vocabulary and a batch of a few hundred
# tokens it is a hundred times smaller.
