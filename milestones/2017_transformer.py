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
# # 2017 — Attention is all you need
#
# In "Attention Is All You Need" (NeurIPS 2017) Ashish Vaswani and seven co-authors at Google
# replaced the recurrent networks of machine translation with the *transformer*: a stack of blocks
# in which every position looks at every other position at once (self-attention), followed by a
# small MLP. No recurrence means every position of a sequence trains in parallel, and attention
# connects distant words in one step instead of many. A year later OpenAI kept only the decoder
# half — a *causal* transformer that predicts the next token — and trained it on raw text (GPT,
# 2018); every large language model since has that shape.
#
# This milestone trains two decoder-only transformers (`tinytorch.nn.GPT`, lesson 13, built from
# embeddings, attention and tokenizers, lessons 10–12):
#
# 1. on a **synthetic task** — reverse a string of digits — where we can check every answer
#    exactly and *see* what attention learned;
# 2. on **real text** — four Shakespeare plays, one character per token — where the model learns
#    spelling, words, line breaks and the speaker-name format from nothing but next-character
#    prediction.
#
# **Data.** Macbeth, Romeo and Juliet, The Tempest and A Midsummer Night's Dream from Project
# Gutenberg (public domain; via the `shakespeare` package of the Open Knowledge Foundation),
# shipped inside tinytorch — nothing is downloaded. See `tinytorch/datasets/LICENSES.md`.
#
# **Targets:** ≥ 95 % exact-match accuracy on reversing held-out digit strings; on the text, a
# validation loss well below both the initial loss and a unigram (letter-frequency) baseline.

# %%
import os

# One BLAS thread, set before NumPy loads: our matrices are small, and on a busy 2-core machine
# extra BLAS threads spin-wait for cores and were measured to make training up to 10x slower.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import math
import time

import numpy as np

import tinytorch as tt
from tinytorch import datasets, nn, optim, viz
from tinytorch_course import milestone, milestone_gates

try:
    import matplotlib  # noqa: F401  (in the browser, this line makes the kernel load matplotlib for the plots)
except ImportError:
    pass
from tinytorch.nn import functional as F
from tinytorch.optim.lr_scheduler import CosineAnnealingLR
from tinytorch.text import CharTokenizer

MODE = milestone.start("2017_transformer")  # "quick" for tests, "browser" in the page, "full" natively;
# uses your own lesson code where its checks passed


# %% [markdown]
# ## 1. A task we can grade exactly: reverse the digits
# Each example is `d1 d2 … dL | dL … d2 d1`: L random digits, a separator token (id 10), then the
# same digits reversed. The model sees the whole sequence shifted by one and learns to predict each
# next token; only the predictions of the reversed half count in the loss. At test time it gets
# `d1 … dL |` and must *generate* the L answer digits itself, greedily, one at a time. 500 test
# strings are held out and never appear in training.

# %%
SEP = 10  # the separator token; digits are tokens 0..9


def reversal_examples(digits: np.ndarray) -> np.ndarray:
    """(N, L) digits -> (N, 2L+1) token sequences `digits | reversed digits`."""
    return np.concatenate([digits, np.full((len(digits), 1), SEP), digits[:, ::-1]], axis=1)


def train_reversal(
    length: int,
    steps: int,
    embed_dim: int = 32,
    num_heads: int = 2,
    num_layers: int = 1,
    batch_size: int = 64,
    lr: float = 3e-3,
    seed: int = 2017,
):
    """Train a GPT to reverse `length`-digit strings; returns (model, held-out test digits, losses)."""
    rng = np.random.default_rng(seed)
    test = rng.integers(0, 10, (500, length))
    test_codes = set((test @ 10 ** np.arange(length)).tolist())
    tt.manual_seed(seed)
    model = nn.GPT(
        vocab_size=11, block_size=2 * length + 1, embed_dim=embed_dim, num_heads=num_heads, num_layers=num_layers
    )
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = CosineAnnealingLR(opt, T_max=steps)
    losses, t0 = [], time.perf_counter()
    for step in range(1, steps + 1):
        digits = rng.integers(0, 10, (batch_size, length))
        digits = digits[[c not in test_codes for c in (digits @ 10 ** np.arange(length)).tolist()]]
        seq = reversal_examples(digits)
        logits = model(seq[:, :-1])[:, length:, :]  # the predictions of the L answer digits
        loss = F.cross_entropy(logits.reshape(-1, 11), seq[:, length + 1 :].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
        if step % max(steps // 5, 1) == 0 or step == 1:
            print(f"  step {step:4d}/{steps}  loss {losses[-1]:.4f}  {time.perf_counter() - t0:.1f}s", flush=True)
    return model, test, losses


def exact_match(model, test: np.ndarray) -> float:
    """Fraction of test strings whose greedily generated answer equals the reversed string exactly."""
    length = test.shape[1]
    prompts = np.concatenate([test, np.full((len(test), 1), SEP)], axis=1)
    answers = model.generate(prompts, max_new_tokens=length, temperature=0).data[:, length + 1 :]
    return float((answers == test[:, ::-1]).all(axis=1).mean())


# %% [markdown]
# ### What did attention learn?
# To write answer digit *i*, the model must fetch input digit *L−1−i*. The attention weights of
# the (single) block show exactly that: each answer position puts almost all its weight on one
# input position, forming an anti-diagonal. We recompute the weights from the block's own
# projections: softmax(q kᵀ / √d) under the causal mask, averaged over heads.


# %%
def attention_weights(model, ids: np.ndarray, layer: int = 0) -> np.ndarray:
    """(T, T) attention weights of block `layer` for one sequence `ids` (T,), averaged over heads."""
    model.eval()
    with tt.no_grad():
        x = model.embed(ids.reshape(1, -1))
        for block in model.blocks[:layer]:
            x = block(x, nn.causal_mask(x.shape[1]))
        block = model.blocks[layer]
        q, k, _ = block.attn.project_qkv(block.ln1(x))
    scores = q.data[0] @ k.data[0].transpose(0, 2, 1) / math.sqrt(q.shape[-1])  # (heads, T, T)
    scores = np.where(np.tri(len(ids), dtype=bool), scores, -np.inf)
    w = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return (w / w.sum(axis=-1, keepdims=True)).mean(axis=0)


def reversal_part(cfg: dict, mode: str, plots: bool) -> dict:
    length = cfg["length"]
    print(
        f"Reversal of {length}-digit strings: GPT with {cfg['layers']} block(s), embed {cfg['embed']}, "
        f"{cfg['steps']} steps of 64 examples"
    )
    model, test, losses = train_reversal(length, cfg["steps"], embed_dim=cfg["embed"], num_layers=cfg["layers"])
    acc = exact_match(model, test)
    example = reversal_examples(test[:1])[0]
    answer = model.generate(example[: length + 1], max_new_tokens=length, temperature=0).data[length + 1 :]

    def show(ids):
        return "".join("|" if t == SEP else str(t) for t in ids)

    print(f"  e.g. {show(example[: length + 1])} -> {show(answer)}")
    print(f"exact match on {len(test)} held-out strings: {acc:.1%}")
    if plots:
        tokens = [("|" if t == SEP else str(t)) for t in example[:-1]]
        viz.attention_map(
            attention_weights(model, example[:-1]),
            tokens,
            title="Reversal: each answer digit attends to its mirror",
            save=milestone.figure_path("2017_reversal_attention.png", mode),
        )
    return {"synthetic_exact_match": acc, "synthetic_length": length, "synthetic_losses": losses}


# %% [markdown]
# ## 2. Real text: a character-level model of Shakespeare
# The tokenizer is lesson 10's `CharTokenizer`: one token per character (76 of them). The first
# 90 % of the text trains, the last 10 % (the end of *A Midsummer Night's Dream*) is held out.
#
# Two reference points make the loss meaningful (cross-entropy in nats per character):
# * **initial loss** — an untrained model is ~uniform over 76 characters: ln 76 ≈ 4.33;
# * **unigram baseline** — always predict each character's frequency, ignoring context (≈ 3.3);
# * **bigram baseline** — a count table of which character follows which (≈ 2.5): any model below
#   it uses more than the previous character.


# %%
def load_text():
    text = datasets.shakespeare()
    tok = CharTokenizer.from_text(text)
    ids = np.array(tok.encode(text), dtype=np.int64)
    split = int(0.9 * len(ids))
    return tok, ids[:split], ids[split:]


def ngram_baselines(train: np.ndarray, val: np.ndarray, vocab: int) -> dict:
    """Validation cross-entropy of add-one-smoothed unigram and bigram count models."""
    uni = np.bincount(train.astype(np.intp), minlength=vocab) + 1.0  # intp: bincount's index type (int32 in wasm)
    uni /= uni.sum()
    big = np.ones((vocab, vocab))
    np.add.at(big, (train[:-1], train[1:]), 1.0)
    big /= big.sum(axis=1, keepdims=True)
    return {"unigram": float(-np.log(uni[val]).mean()), "bigram": float(-np.log(big[val[:-1], val[1:]]).mean())}


def windows(data: np.ndarray, starts: np.ndarray, block: int):
    """Inputs (N, block) and next-character targets (N, block) starting at `starts`."""
    idx = starts[:, None] + np.arange(block)
    return data[idx], data[idx + 1]


def eval_loss(model, x: np.ndarray, y: np.ndarray) -> float:
    """Validation cross-entropy, computed with plain NumPy from the model's logits (milestone_gates):
    the targets are gated on it, so it must not depend on your `cross_entropy` piece judging itself."""
    model.eval()
    with tt.no_grad():
        logits = np.asarray(model(x).data)
    model.train()
    return milestone_gates.cross_entropy(logits, y)


def sample(model, tok, prompt: str, n: int, seed: int = 0) -> str:
    ids = model.generate(np.array(tok.encode(prompt)), max_new_tokens=n, temperature=0.8, top_k=20, seed=seed)
    return tok.decode(ids.data)


def text_part(cfg: dict, mode: str, plots: bool) -> dict:
    tok, train, val = load_text()
    base = ngram_baselines(train, val, tok.vocab_size)
    block, batch, steps = cfg["block"], cfg["batch"], cfg["steps"]
    tt.manual_seed(2017)
    model = nn.GPT(tok.vocab_size, block_size=block, embed_dim=cfg["embed"], num_heads=4, num_layers=cfg["layers"])
    n_params = sum(p.size for p in model.parameters())
    print(
        f"Shakespeare, {len(train):,} training characters, vocabulary {tok.vocab_size}: "
        f"GPT with {cfg['layers']} blocks, embed {cfg['embed']}, context {block}, {n_params:,} parameters"
    )
    rng = np.random.default_rng(2017)
    val_x, val_y = windows(val, np.random.default_rng(1).integers(0, len(val) - block - 1, 64), block)
    initial = eval_loss(model, val_x, val_y)
    prompt = "ROMEO.\n"
    before = sample(model, tok, prompt, cfg["sample"])
    print(
        f"initial val loss {initial:.3f} (uniform guess ln {tok.vocab_size} = {math.log(tok.vocab_size):.3f}); "
        f"unigram baseline {base['unigram']:.3f}, bigram baseline {base['bigram']:.3f}"
    )
    print(f"--- sample before training ---\n{before}\n------------------------------")

    opt = optim.Adam(model.parameters(), lr=cfg["lr"])
    sched = CosineAnnealingLR(opt, T_max=steps)
    every = max(steps // 10, 1)
    history = {"train_loss": [], "val_loss": []}
    running, t0 = [], time.perf_counter()
    for step in range(1, steps + 1):
        x, y = windows(train, rng.integers(0, len(train) - block - 1, batch), block)
        loss = F.cross_entropy(model(x).reshape(-1, tok.vocab_size), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        running.append(loss.item())
        if step % every == 0 or step == steps:
            history["train_loss"].append(float(np.mean(running)))
            history["val_loss"].append(eval_loss(model, val_x, val_y))
            running = []
            print(
                f"  step {step:5d}/{steps}  train {history['train_loss'][-1]:.3f}  val {history['val_loss'][-1]:.3f}"
                f"  {time.perf_counter() - t0:.0f}s",
                flush=True,
            )
    val_loss = history["val_loss"][-1]
    after = sample(model, tok, prompt, cfg["sample"])
    print(f"--- sample after training ---\n{after}\n-----------------------------")
    print(
        f"val loss {initial:.3f} -> {val_loss:.3f} nats/char (unigram {base['unigram']:.3f}, "
        f"bigram {base['bigram']:.3f}); perplexity {math.exp(val_loss):.1f}"
    )
    if plots:
        viz.loss_curve(
            history,
            title=f"Shakespeare GPT (a point per {every} steps)",
            save=milestone.figure_path("2017_shakespeare_loss.png", mode),
        )
    return {
        "text_initial_loss": initial,
        "text_val_loss": val_loss,
        "text_unigram_loss": base["unigram"],
        "text_bigram_loss": base["bigram"],
        "text_parameters": n_params,
        "text_steps": steps,
        "text_history": history,
        "sample_before": before,
        "sample_after": after,
    }


# %% [markdown]
# ## Run both
# Sizes per mode: the browser run trains a smaller model for fewer steps (its text is rougher);
# the full native run is the one recorded in `milestones/README.md`.

# %%
CONFIGS = {
    "quick": {
        "reversal": dict(length=6, steps=150, embed=32, layers=1),
        "text": dict(block=32, batch=16, embed=32, layers=1, steps=80, lr=1e-2, sample=80),
    },
    "browser": {
        "reversal": dict(length=6, steps=150, embed=32, layers=1),
        "text": dict(block=32, batch=16, embed=64, layers=1, steps=400, lr=6e-3, sample=200),
    },
    "full": {
        "reversal": dict(length=8, steps=250, embed=32, layers=1),
        "text": dict(block=64, batch=32, embed=64, layers=2, steps=2500, lr=3e-3, sample=400),
    },
}


def run(mode: str = MODE, plots: bool = True) -> dict:
    t0 = time.perf_counter()
    results = reversal_part(CONFIGS[mode]["reversal"], mode, plots)
    results.update(text_part(CONFIGS[mode]["text"], mode, plots))
    results["seconds"] = time.perf_counter() - t0
    print(f"total time {results['seconds']:.1f} s")
    return results


# %%
if __name__ == "__main__":
    results = run()
    checks = {
        "reversal exact match >= 95 %": results["synthetic_exact_match"] >= 0.95,
        "text val loss below the initial loss": results["text_val_loss"] < results["text_initial_loss"],
        "text val loss below the unigram baseline": results["text_val_loss"] < results["text_unigram_loss"],
    }
    milestone.finish("2017_transformer", checks)
    assert all(checks.values()), {k: v for k, v in checks.items() if not v}
    print("targets reached: reversal >= 95 % exact match; text loss below the initial loss and the unigram baseline")

# %% [markdown]
# ## What came next
# Scaling this exact recipe — more layers, wider embeddings, more text, a subword tokenizer — is
# the story of GPT-2, GPT-3 and their successors. Scaling also made *serving* the models the hard
# part: memory, latency, energy. The last milestone measures and shrinks our models the way the
# MLPerf benchmarks (2018) taught the field to: profile, quantize, prune, cache.
