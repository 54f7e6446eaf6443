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
# A language model reads and writes numbers, not text. A **tokenizer** is the two-way map between
# them: `encode("To be")` gives a list of integer ids, one per *token*, and `decode(ids)` gives the
# text back. Each id later picks a row of an embedding table (lesson 11), and the model predicts the
# next id. What a token is decides a lot: how long the sequences are (attention costs grow with the
# square of the length), how big the vocabulary and its embedding table are, and which texts can be
# encoded at all.
#
# This lesson builds the two tokenizers of the course, in plain Python (no tensors involved):
#
# | piece | what it does |
# |---|---|
# | `CharTokenizer.from_text`, `.encode`, `.decode` | one token per character; the vocabulary is the characters seen |
# | `_pairs`, `_merge` | byte-pair encoding's two steps: count adjacent pairs, merge one pair |
# | `BPETokenizer.train` | learns merges, most frequent pair first, from a text |
# | `BPETokenizer._encode_chunk`, `BPETokenizer.decode` | text to ids with the learned merges, and back |
#
# Given: the constructors, `save`/`load`, and the helpers `_as_int_list` and `check_ids` (below).
# This lesson uses no earlier lesson's code.

# %%
import time

import tinytorch as tt
from tinytorch.text.bpe import BYTE_VOCAB, BPETokenizer, Counter, _as_int_list, _merge, _pairs, check_ids
from tinytorch.text.char import CharTokenizer
from tinytorch_course.checks import Lesson, implement

lesson = Lesson("10_tokenization")
lesson

# %% [markdown]
# ## 1. A character tokenizer
#
# The simplest tokenizer: every distinct character is a token. `CharTokenizer(chars)` (given) keeps
# the vocabulary in `self.itos` (id to string: a list, `itos[3] == 'h'`) and its inverse in
# `self.stoi` (string to id: a dict). `from_text(text)` is a *class method* (it is called on the class,
# `CharTokenizer.from_text("...")`, and gets the class as `cls`): it builds the vocabulary from a text,
# `cls(chars)`. **Sort** the characters: a `set` has no fixed order, and ids that change from run to
# run would make a saved model useless. Python sorts characters by code point (`ord`): space (32),
# then digits, capitals, lower case, and an emoji like 😀 (128512) far at the end.
#
# ```
# from_text("hello world").itos  ->  [' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']
# encode("hold")                 ->  [3, 5, 4, 1]
# decode([3, 5, 4, 1])           ->  'hold'
# ```
#
# **Unknown characters.** A character outside the vocabulary has no id. Some tokenizers map it to a
# special `<unk>` token, but then `decode(encode(s))` is no longer `s`. Ours refuses, with a
# `ValueError` that names the character (`repr`) and its position, so the fix (build the vocabulary
# from text that contains it) is obvious. Wrong input types (`bytes`, a list) raise `TypeError`.
#
# **Decoding** accepts a list, a NumPy array or a Tensor of ids (a model's output): the given
# `_as_int_list(ids)` turns any of them into a list of ints, and the given `check_ids(ids, vocab_size)`
# raises a `ValueError` naming the first id outside `0..vocab_size-1`. Without that check, id `-1`
# would silently decode as the last character of the vocabulary.

# %%
# solution: CharTokenizer.from_text, CharTokenizer.encode, CharTokenizer.decode

# %%
lesson.check("CharTokenizer.from_text")

# %%
lesson.check("CharTokenizer.encode")

# %%
lesson.check("CharTokenizer.decode")

# %% [markdown]
# ## 2. Bytes, and pairs of them
#
# Characters have two problems. The vocabulary is whatever the training text happened to contain
# (a `{` in a test sentence is an error), and sequences are as long as the text. **Byte-level BPE**
# (byte-pair encoding; GPT-2's tokenizer) fixes both:
#
# 1. Start from **bytes**. Every string has a UTF-8 encoding, a sequence of bytes `0..255`: ASCII
#    characters are one byte, `é` two (`c3 a9`), `日` three, `😀` four (`f0 9f 98 80`). With the 256
#    byte values as the first 256 tokens, *any* text can be encoded, and decoded back exactly.
# 2. Then **merge**: find the adjacent pair of tokens that occurs most often in the training text,
#    make it a new token (id 256, then 257, ...), replace it everywhere, and repeat. Frequent words
#    and word pieces become single tokens, so sequences get shorter.
#
# Two small functions do the work on a tuple of token ids:
#
# - `_pairs(tokens)` counts the adjacent pairs, as a `collections.Counter` (a dict of counts).
#   `(1, 2, 3, 1, 2)` has `(1, 2)` twice, `(2, 3)` and `(3, 1)` once. Overlapping pairs count too:
#   `(5, 5, 5)` has `(5, 5)` twice.
# - `_merge(tokens, pair, new_id)` replaces each occurrence of `pair`, left to right, by `new_id`.
#   Occurrences cannot overlap: `(5, 5, 5)` with `(5, 5)` becomes `(256, 5)`, since after a match both
#   tokens are used up. It returns a tuple.

# %%
# solution: _pairs, _merge

# %%
lesson.check("_pairs")

# %%
lesson.check("_merge")

# %% [markdown]
# ## 3. Training: learning the merges
#
# `train(text, vocab_size)` learns `vocab_size - 256` merges. The classic example, `"aaabdaaabac"`:
#
# ```
# a a a b d a a a b a c          pairs: aa 4, ab 2, bd 1, da 1, ba 1, ac 1  -> merge aa = 256
# 256 a b d 256 a b a c          pairs: (256, a) 2, ab 2, ...   a tie      -> merge ab = 257
# 256 257 d 256 257 a c          pairs: (256, 257) 2, ...                  -> merge (256, 257) = 258
# 258 d 258 a c                  11 bytes are now 5 tokens
# ```
#
# **Ties** must be broken the same way every time, or two runs on the same text would learn different
# tokenizers: among the most frequent pairs, take the smallest `(first id, second id)`, here
# `(97, 98)` (`ab`) before `(256, 97)`. In Python: `min(counts, key=lambda p: (-counts[p], p))`.
#
# **Chunks.** Merging freely would make tokens such as `"e t"` or `"d."` that glue the end of one word
# to the start of the next. GPT-2 first splits the text into chunks with a regular expression (words
# with their leading space, numbers, punctuation runs, whitespace) and never merges across a chunk
# boundary: `"To be, or"` is split into `'To'`, `' be'`, `','`, `' or'`. The given `self._split` is
# that compiled pattern (`self._split.findall(text)` lists the chunks). A long text repeats the same
# chunks thousands of times, so work on each *distinct* chunk once, with its count as a weight
# (`collections.Counter` of the chunks): merging `" the"` once counts for all its occurrences.
#
# The given bookkeeping: the `_reset()` method goes back to the 256 byte tokens (training again
# replaces the merges), and `self._add_merge(pair)` records a merge (`self.merges`, the token's bytes in
# `self.vocab`, its rank) and returns the new token's id. Stop early when no chunk has a pair left
# (every chunk is a single token), reject a `vocab_size` below 256 with a `ValueError`, and return
# `self`, so `tok = BPETokenizer().train(text, 512)` works.
#
# The simplest correct loop recounts all pairs after every merge. tinytorch's version is faster: it
# only updates the counts of the chunks that contain the merged pair. Either passes the checks.

# %%
# solution: BPETokenizer.train

# %%
lesson.check("BPETokenizer.train")

# %% [markdown]
# ## 4. Encoding and decoding
#
# `encode(text)` (given) splits the text into chunks the same way and encodes each chunk with
# `_encode_chunk(chunk)`: start from the chunk's UTF-8 bytes and apply the learned merges **in the
# order they were learned**, because that is how the training text was turned into tokens. At each
# step, look at the adjacent pairs that are merges (`self._rank[pair]` is the id a pair merges into)
# and apply the one with the **lowest id** (the earliest learned) everywhere; repeat until no pair is
# a merge. With merges `bc = 256` then `ab = 257`, `"abc"` becomes `(97, 256)`: `bc` was learned
# first, and afterwards `a` and `bc` form no merge. (Merging `ab` first, because it comes first in
# the text, would give `(257, 99)`: a different, wrong encoding.) `self.merges[new_id - 256]` is the
# pair of a token id. The given code caches each chunk's ids in `self._cache`, since chunks repeat;
# a cache is optional for you.
#
# `decode(ids)` joins the bytes of the tokens (`self.vocab[i]` is a token's `bytes`) and decodes them
# as UTF-8. Ids from `encode` always give back the exact text. But a model can generate any sequence
# of ids, for instance stop after the first two bytes of an emoji; decoding must not crash on that:
# `bytes.decode("utf-8", errors="replace")` turns an incomplete character into `'\ufffd'` (�).
# As for the character tokenizer, use `_as_int_list` and `check_ids` first.

# %%
# solution: BPETokenizer._encode_chunk, BPETokenizer.decode

# %%
lesson.check("BPETokenizer._encode_chunk")

# %%
lesson.check("BPETokenizer.decode")

# %% [markdown]
# ## 5. All checks

# %%
lesson.check()

# %% [markdown]
# ### Your tokenizers in later lessons
#
# Each piece whose checks pass now runs inside tinytorch in this notebook. Later lessons and the
# milestones (the 2017 transformer trains on Shakespeare) start from tinytorch's reference; one call
# switches your saved pieces on there:
#
# ```python
# from tinytorch_course.checks import use_my_work, use_reference
# use_my_work()      # your code from my_tinytorch/ runs from now on
# use_reference()    # back to tinytorch's own
# ```
#
# Your BPE, trained on a tiny text, on a sentence with a few multi-byte characters. The words it has
# seen are single tokens; the rest stays bytes (a byte that is only part of a character prints as
# `\xc3`), and every byte survives the round trip.

# %%
demo = BPETokenizer().train("the cat sat on the mat; the cat ate the rat. " * 20, vocab_size=280)
ids = demo.encode("the cat ate naïve 日本 😀")
print(
    len("the cat ate naïve 日本 😀".encode()),
    "bytes ->",
    len(ids),
    "tokens:",
    [demo.token_to_str(i) for i in ids],
)
print(repr(demo.decode(ids)))

# %% [markdown]
# ## 6. Systems: sequence length, vocabulary size and speed
#
# **Training** on the first 40,000 characters of four Shakespeare plays, up to 512 tokens:

# %%
text = tt.datasets.shakespeare()
began = time.perf_counter()
bpe = BPETokenizer().train(text[:40_000], vocab_size=512)
print(
    f"learned {len(bpe.merges)} merges in {time.perf_counter() - began:.2f} s; the first ten:",
    [bpe.token_to_str(256 + k) for k in range(10)],
)

# %% [markdown]
# **Compression.** On text *not* seen in training (50,000 characters from later in the plays), how
# many tokens does each tokenizer need? The merges are learned in order, so the first `k` of them are
# exactly the tokenizer that training with `vocab_size = 256 + k` would have given: no retraining
# needed to compare sizes.

# %%
held_out = text[300_000:350_000]
n_bytes = len(held_out.encode("utf-8"))
print(
    f"{len(held_out):,} characters = {n_bytes:,} UTF-8 bytes; CharTokenizer: {len(held_out):,} tokens "
    f"(vocabulary {CharTokenizer.from_text(text).vocab_size})"
)
merge_counts = (0, 32, 64, 128, 192, 256)
bytes_per_token = []
for k in merge_counts:
    tok = BPETokenizer(merges=bpe.merges[:k])
    n = len(tok.encode(held_out))
    bytes_per_token.append(n_bytes / n)
    print(f"BPE, vocabulary {256 + k:3d}: {n:7,} tokens, {n_bytes / n:.2f} bytes per token")

# %%
import matplotlib  # noqa: F401  (a cell that draws loads matplotlib in the browser; the others never pay for it)

from tinytorch import viz

fig, ax = viz.figure(size=(5.5, 3.2))
ax.plot([256 + k for k in merge_counts], bytes_per_token, marker="o", label="your BPE")
ax.axhline(n_bytes / len(held_out), color="gray", ls="--", label="one token per character")
ax.set_xlabel("vocabulary size")
ax.set_ylabel("bytes per token (higher: shorter sequences)")
ax.set_title("Compression of held-out Shakespeare")
ax.legend()
viz.show(fig)

# %% [markdown]
# Each doubling of the merges buys less: the first merges are the most frequent pairs (printed
# above), later ones rarer word pieces. Shorter sequences matter because attention compares every
# token with every other: half the tokens is a quarter of the attention work, and twice the text fits
# in the same context window. The price is the vocabulary: each token needs a row in the embedding
# table (lesson 11) and a column in the output layer. With 64-number embeddings, float32:

# %%
for vocab in (len(CharTokenizer.from_text(text).itos), 512, 50_257):
    print(f"vocabulary {vocab:6,}: embedding table {vocab * 64 * 4 / 1e3:9,.1f} KB")

# %% [markdown]
# (50,257 is GPT-2's vocabulary; its 768-number embeddings take 154 MB.)
#
# **Other text.** The same tokenizer on Python's documentation, which it never saw. BPE still encodes
# every character, including the typographic quotes and dashes, but compresses worse: its merges
# fit Shakespeare's words. The character tokenizer built from the plays cannot encode it at all:

# %%
docs = tt.datasets.python_docs_text()[:50_000]
n = len(bpe.encode(docs))
print(f"Python docs with the Shakespeare BPE: {len(docs.encode('utf-8')) / n:.2f} bytes per token")
try:
    CharTokenizer.from_text(text).encode(docs)
except ValueError as err:
    print("CharTokenizer:", str(err)[:110], "...")

# %% [markdown]
# **Speed.** Encoding cost is per chunk; since chunks repeat, caching each chunk's ids makes a second
# pass over similar text much faster (the reference caches; a tokenizer built from the merges starts
# with an empty cache):

# %%
fresh = BPETokenizer(merges=bpe.merges)
for attempt in ("cold cache", "warm cache"):
    began = time.perf_counter()
    ids = fresh.encode(held_out)
    seconds = time.perf_counter() - began
    print(f"{attempt}: {len(ids) / seconds:10,.0f} tokens/s, {len(held_out) / seconds:10,.0f} characters/s")
began = time.perf_counter()
fresh.decode(ids)
print(f"decode: {len(ids) / (time.perf_counter() - began):,.0f} tokens/s (a join and one UTF-8 decode)")
