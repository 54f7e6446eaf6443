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
# Lessons 11 and 12 built the parts: token and position embeddings, and causal multi-head attention.
# This lesson assembles them into a **GPT**: a decoder-only transformer that reads token ids and,
# at every position, predicts the next token. It is the architecture of GPT-2 (2019), at toy size.
#
# ```
# ids (B, T) -> token emb + position emb -> [block] x L -> LayerNorm -> Linear head -> logits (B, T, vocab)
# block:  x = x + attention(LayerNorm(x), causal mask)
#         x = x + MLP(LayerNorm(x))                       MLP: Linear(E, 4E) -> GELU -> Linear(4E, E)
# ```
#
# | piece | what it does |
# |---|---|
# | `layer_norm` | normalise each position's features to mean 0, variance 1; one op with its backward |
# | `TransformerBlock.__init__`, `.forward` | the pre-norm block: two residual branches |
# | `GPT.embed`, `GPT.forward` | ids to vectors, through the blocks, to next-token logits |
# | `_sample`, `GPT.generate` | turn logits into text: temperature, top-k, one token at a time |

# %%
import numpy as np

import tinytorch as tt
import tinytorch.nn.functional as F
from tinytorch import nn
from tinytorch.nn.functional import Tensor, _column_sum, _float_array, _row_mean, _t
from tinytorch.nn.transformer import (
    GELU,
    GPT,
    Dropout,
    LayerNorm,
    Linear,
    MultiHeadAttention,
    Sequential,
    TransformerBlock,
    _prepare_prompt,
    _sample,
    causal_mask,
    no_grad,
)
from tinytorch_course.checks import Lesson, implement, use_my_work
from tinytorch_course.timing import best_time

lesson = Lesson("13_transformers")
use_my_work(before=lesson)  # your code from earlier lessons (remove this line to use the reference)
lesson

# %% [markdown]
# ## 1. Layer normalisation
#
# Through a deep stack of layers, the scale of the activations drifts: a little growth per layer
# compounds, and the softmax and GELU stop working in their useful range. A normalisation layer
# resets the scale at each step. **LayerNorm** normalises each position's own feature vector, using
# no statistics from other examples (unlike the BatchNorm of CNNs), so it works the same in
# training, in evaluation and when generating one token at a time:
#
# ```
# x (..., E)       mean, var over the last axis (biased: divide by E, as PyTorch)
# xhat = (x - mean) / sqrt(var + eps)          mean 0, variance 1 per position
# out  = xhat * weight + bias                  weight (E,) starts at 1, bias (E,) at 0: learned
# ```
#
# `normalized_shape` says over how many trailing axes: `4` (or `(4,)`) is the last axis, `(3, 4)` the
# last two. `eps = 1e-5` keeps a constant row (variance 0) from dividing by zero.
#
# It could be composed from ten small Tensor ops (mean, subtract, square, ...), each with its own
# backward and its own intermediate arrays; tinytorch writes it as **one op** with the analytic
# backward instead. With `rstd = 1 / sqrt(var + eps)`, `gh = g * weight` (or `g` without a weight) and
# means over the normalised axes:
#
# ```
# dx      = rstd * (gh - mean(gh) - xhat * mean(gh * xhat))
# dweight = g * xhat          dbias = g        (the engine sums these over the other axes)
# ```
#
# The two subtracted terms are there because every `x` also moves the mean and the variance. Return
# the gradients in the order of the parents: `x`, then `weight` and `bias` when they are given.

# %%
# solution: layer_norm

# %%
lesson.check("layer_norm")

# %% [markdown]
# ## 2. The pre-norm transformer block
#
# Each block has two sublayers: attention (positions exchange information) and an MLP (each position
# thinks on its own, in a 4x wider hidden layer). Each sits on a **residual branch**: its output is
# *added* to its input. The stack of blocks is then an identity path `x` with corrections added
# along the way, and gradients flow back along that path undisturbed, however deep the stack.
#
# The original transformer normalised *after* adding (post-norm: `ln(x + attn(x))`); GPT-2 moved the
# LayerNorm to the *input* of each sublayer (pre-norm), which keeps the residual path a pure sum and
# trains deep stacks without a careful warm-up:
#
# ```
# x = x + dropout(attn(ln1(x), mask, cache))
# x = x + dropout(mlp(ln2(x)))
# ```
#
# `dropout` regularises each sublayer's output before it joins the residual path (training only;
# `Dropout(0.0)`, the default, does nothing). The mask and the cache go to the attention, as in lesson 12.

# %%
# solution: TransformerBlock.__init__, TransformerBlock.forward

# %%
lesson.check("TransformerBlock.__init__")

# %%
lesson.check("TransformerBlock.forward")

# %% [markdown]
# ## 3. GPT
#
# `GPT(vocab_size, block_size, embed_dim, num_heads, num_layers)` is given its layers (`__init__`):
# `tok_emb` (an `Embedding(vocab_size, E)`), `pos_emb` (a `PositionalEmbedding(block_size, E)`),
# `drop`, a `ModuleList` of `blocks`, a final `ln_f`, and `head`, a `Linear(E, vocab_size)` whose weight
# **is** the token table (`tie_weights=True`, as GPT-2: the same matrix reads a token in and scores
# tokens out). `logits(x)` is given too: `head(ln_f(x))`.
#
# `embed(ids, start_pos=0)` turns ids `(B, T)` into `(B, T, E)`: the token vectors plus the vectors of
# positions `start_pos .. start_pos + T - 1` (a `(T, E)` table that broadcasts over the batch), through
# `drop`. Positions are explicit so that lesson 17 can feed one new token at position 100 without the
# 100 before it. A 1-D list of ids, or a sequence longer than `block_size` (the position table has
# `block_size` rows), must raise an error that says so.
#
# `forward(ids, start_pos=0, caches=None)` embeds, builds **one** causal mask
# `causal_mask(T, start_pos + T)` for all blocks, runs every block (block `i` gets `caches[i]` when
# caches are given), and returns the logits `(B, T, vocab)`. Thanks to the mask, the logits at position
# `t` depend on tokens `0..t` only: one forward pass gives T next-token predictions, all trained at
# once.

# %%
# solution: GPT.embed, GPT.forward

# %%
lesson.check("GPT.embed")

# %%
lesson.check("GPT.forward")

# %% [markdown]
# A tiny GPT on a line of text. Before training its predictions are uniform guesses, so the
# cross-entropy is about `log(vocab_size)`; a hundred Adam steps on random 16-character windows
# (a second or two) are enough for it to memorise the line:

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

text = "to be or not to be, that is the question. "
chars = sorted(set(text))
encode = {c: i for i, c in enumerate(chars)}
data = np.array([encode[c] for c in text * 4])
tt.manual_seed(0)
gpt = nn.GPT(vocab_size=len(chars), block_size=16, embed_dim=32, num_heads=2, num_layers=2)
optimizer = tt.optim.Adam(gpt.parameters(), lr=1e-2)
rng = np.random.default_rng(0)
print(f"{len(chars)} characters, {gpt.num_parameters():,d} parameters; log(vocab) = {np.log(len(chars)):.2f}")
live = viz.LivePlot("step", "loss", title="Your GPT learning the line (drawn as it trains)", every=0.5)
line = data[:16]  # "to be or not to "
for step in range(100):
    starts = rng.integers(0, len(data) - 17, size=16)
    inputs = np.stack([data[s : s + 16] for s in starts])  # (16, 16) token ids
    targets = np.stack([data[s + 1 : s + 17] for s in starts])  # the same windows, one character later
    logits = gpt(inputs)  # (16, 16, vocab)
    loss = F.cross_entropy(logits.reshape(-1, len(chars)), targets.reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    live.add("training loss", step, loss.item())
    if step % 25 == 0 or step == 99:
        with tt.no_grad():
            guesses = gpt(line[None]).data[0].argmax(axis=-1)  # its most likely next character, everywhere
        print(f"step {step:3d}: loss {loss.item():.3f}  after 'to be or not to ' it guesses", end=" ")
        print(repr("".join(chars[i] for i in guesses)), "(the line shifted by one is 'o be or not to b')")
live.done()

# %% [markdown]
# ## 4. From logits to text
#
# `forward` gives a distribution over the next token at every position; generating uses only the
# **last** position's. How to pick a token from it, `_sample(logits, temperature, top_k, rng)`, one id
# per row of `logits (batch, vocab)`:
#
# - **temperature** divides the logits before the softmax. Below 1 it sharpens the distribution
#   (safer, more repetitive text), above 1 it flattens it (more surprising, more mistakes).
#   Temperature 0 is the limit: always the most likely token (**greedy**), `argmax`, no division.
# - **top-k** keeps only the `k` most likely tokens (the others' logits become `-inf`, probability 0),
#   which cuts off the long tail of unlikely tokens that sampling otherwise hits now and then.
# - the draw itself uses the `rng` handed in (`rng.choice(vocab, p=row)`), so a seed makes it repeatable.
#
# `generate(prompt_ids, max_new_tokens, temperature=1.0, top_k=None, seed=None)` loops: feed the last
# `block_size` tokens (the model has no positions beyond that), take the last position's logits, sample,
# append. A 1-D prompt gives a 1-D result; a batch `(B, T)` gives `(B, T + max_new_tokens)`. While
# generating, the model must be in **eval mode** (no dropout) and record **no graph** (a `no_grad()` block:
# nothing will be back-propagated); restore the mode it was in afterwards, even after an error
# (`try/finally`). A seed builds a fresh `np.random.default_rng(seed)`; without one, draw from
# tinytorch's `default_rng()`. An empty prompt, or a negative temperature, is an error.

# %%
# solution: _sample, GPT.generate

# %%
lesson.check("_sample")

# %%
lesson.check("GPT.generate")


# %%
def decode(ids):
    return "".join(chars[i] for i in np.asarray(ids.data))


prompt = np.array([encode[c] for c in "to be"])
print("greedy:           ", repr(decode(gpt.generate(prompt, 40, temperature=0))))
for temperature in (0.8, 1.5):
    print(f"temperature {temperature}:  ", repr(decode(gpt.generate(prompt, 40, temperature=temperature, seed=1))))
print("same seed again:  ", repr(decode(gpt.generate(prompt, 40, temperature=1.5, seed=1))))
print("top_k=2, T = 1.5: ", repr(decode(gpt.generate(prompt, 40, temperature=1.5, top_k=2, seed=1))))

# %% [markdown]
# ## 5. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your transformer in later lessons
#
# Every piece that passes runs inside tinytorch in this notebook: `nn.LayerNorm`, `nn.TransformerBlock`
# and `nn.GPT` use your code, on top of your embeddings (lesson 11) and attention (lesson 12) if you
# wrote them. The 2017 milestone trains this GPT on real text, and lesson 17 makes `generate` fast
# with a KV-cache. Later lessons and the milestones start from tinytorch's reference; one call
# switches your saved pieces on there:
#
# ```python
# from tinytorch_course.checks import use_my_work, use_reference
# use_my_work()      # your code from my_tinytorch/ runs from now on
# use_reference()    # back to tinytorch's own
# ```

# %% [markdown]
# ## 6. Systems: where the parameters are, and how fast it writes
#
# **Parameters.** With embedding size `E`, vocabulary `V`, `block_size` positions and `L` blocks:
#
# - token table `V * E` (shared with the head when tied), position table `block_size * E`;
# - per block: attention `4 * (E² + E)` (four `Linear(E, E)`), MLP `(E * 4E + 4E) + (4E * E + E)`,
#   two LayerNorms `2 * 2E`: about `12 E²`;
# - the final LayerNorm `2E`.
#
# The formula against your model's own count, for the GPT trained above:


# %%
def gpt_parameter_breakdown(vocab, block_size, E, layers, tied=True):
    """Parameter counts by part, from the formula (no model needed)."""
    per_block = 4 * (E * E + E) + (E * 4 * E + 4 * E) + (4 * E * E + E) + 2 * 2 * E
    return {
        "token embedding": vocab * E,
        "position embedding": block_size * E,
        f"{layers} blocks ({per_block:,d} each)": layers * per_block,
        "final LayerNorm": 2 * E,
        "head (tied: 0)": 0 if tied else vocab * E,
    }


parts = gpt_parameter_breakdown(len(chars), 16, 32, 2)
for name, n in parts.items():
    print(f"{name:28s} {n:8,d}  {n / sum(parts.values()):6.1%}")
print(f"{'formula total':28s} {sum(parts.values()):8,d}   the model counts {gpt.num_parameters():,d}")
big = gpt_parameter_breakdown(50_257, 1024, 768, 12)
print(
    f"the same formula for GPT-2 small: {sum(big.values()) / 1e6:.1f} M parameters, "
    f"{big['token embedding'] / sum(big.values()):.0%} of them in the token table"
)

# %% [markdown]
# At toy size the blocks hold almost everything; at GPT-2's size the 12 `E²` per block still
# dominate, but the 38.6 M-entry token table is almost a third of the model, which is why tying it to the
# head (instead of a second 38.6 M matrix) matters.
#
# **Tokens per second.** `generate` runs the whole model on the whole context for every new token,
# so each token costs more as the context grows. An untrained `GPT(65, 128, 64, 4, 2)` (a character
# model of the 2017 milestone's size) generating 16 tokens after prompts of growing length:

# %%
tt.manual_seed(0)
writer = nn.GPT(65, 128, 64, 4, 2)
for context in (8, 32, 112):
    prompt = np.random.default_rng(0).integers(0, 65, size=context)
    best = best_time(lambda: writer.generate(prompt, 16, seed=0), repeats=2)  # noqa: B023 (called right here)
    print(
        f"prompt of {context:3d} tokens: {16 / best:7.0f} tokens/s  ({best / 16 * 1e3:5.2f} ms per token, "
        f"each step processes {context}..{context + 15} positions)"
    )

# %% [markdown]
# Every step recomputes the keys and values of all earlier positions, although they never change
# (the causal mask guarantees it). Generating `n` tokens therefore costs about `n² / 2` position-passes
# instead of `n`. Lesson 17 stores those keys and values in a **KV-cache** and feeds only the new
# token, through exactly the `start_pos` and `caches` arguments your `forward` already passes along.
