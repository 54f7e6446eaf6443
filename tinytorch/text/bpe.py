"""Byte-level byte-pair encoding (BPE), as in GPT-2: any text in, exact text back out.

The base vocabulary is the 256 possible bytes (token id b is the byte b), so every string can be encoded
via its UTF-8 bytes, including emoji and scripts never seen in training, and `decode(encode(s)) == s`
exactly. Training then repeatedly merges the most frequent adjacent pair of tokens into a new token:

    tok = BPETokenizer().train(text, vocab_size=512)   # 256 bytes + 256 learned merges
    ids = tok.encode("To be, or not to be")            # fewer ids than bytes: common pieces are one token
    tok.decode(ids)                                    # 'To be, or not to be'
    [tok.token_to_str(i) for i in ids]                 # ['To', ' be', ',', ' or', ' not', ' to', ' be']

Text is first split into chunks (words with their leading space, numbers, punctuation runs, whitespace)
by a GPT-2-style regular expression, and merges never cross chunk boundaries, so tokens are pieces of
words rather than "d t" fragments spanning two words.

Ties: when several pairs are equally frequent, the pair with the smaller (first id, second id) wins, so
training is deterministic.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from pathlib import Path

from .char import _as_int_list, check_ids

# GPT-2's split pattern, written for the standard `re` module (no \p{L}): contractions, optional space +
# letters, optional space + digits, optional space + other symbols (including '_'), whitespace runs.
# Every character matches one branch, so the chunks always concatenate back to the input.
SPLIT_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""

BYTE_VOCAB = 256


def _merge(tokens: tuple[int, ...], pair: tuple[int, int], new_id: int) -> tuple[int, ...]:
    """`tokens` with every non-overlapping occurrence of `pair`, left to right, replaced by `new_id`."""
    out, i, n = [], 0, len(tokens)
    while i < n:
        if i + 1 < n and tokens[i] == pair[0] and tokens[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(tokens[i])
            i += 1
    return tuple(out)


def _pairs(tokens: tuple[int, ...]) -> Counter:
    """How often each adjacent pair occurs in one chunk."""
    return Counter(zip(tokens, tokens[1:], strict=False))


class BPETokenizer:
    """Byte-level BPE tokenizer. Untrained it is a plain byte tokenizer (vocab_size 256); `train` adds merges."""

    def __init__(self, merges: list[tuple[int, int]] | None = None, pattern: str = SPLIT_PATTERN):
        self.pattern = pattern
        self._split = re.compile(pattern)
        self._reset()
        for pair in merges or []:
            self._add_merge(tuple(pair))

    def _reset(self) -> None:
        """Back to the 256 byte tokens, no merges."""
        self.merges: list[tuple[int, int]] = []  # merges[k] made token 256 + k
        self.vocab: list[bytes] = [bytes([b]) for b in range(BYTE_VOCAB)]  # id -> the bytes it stands for
        self._rank: dict[tuple[int, int], int] = {}  # pair -> id of the token it merges into
        self._cache: dict[str, tuple[int, ...]] = {}  # chunk -> its ids (chunks repeat a lot)

    # ------------------------------------------------------------------ vocabulary
    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def __len__(self) -> int:
        return self.vocab_size

    def _add_merge(self, pair: tuple[int, int]) -> int:
        a, b = (int(i) for i in pair)
        check_ids([a, b], self.vocab_size)
        pair = (a, b)
        if pair in self._rank:
            raise ValueError(f"merge {pair} is listed twice")
        new_id = self.vocab_size
        self.merges.append((a, b))
        self.vocab.append(self.vocab[a] + self.vocab[b])
        self._rank[(a, b)] = new_id
        self._cache.clear()
        return new_id

    def token_to_str(self, token_id: int) -> str:
        """A readable form of one token: its UTF-8 text, with control characters escaped ('\\n') and
        bytes that are only part of a character shown as '\\xe2'."""
        check_ids([int(token_id)], self.vocab_size)
        text = self.vocab[int(token_id)].decode("utf-8", errors="backslashreplace")
        return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)

    # ------------------------------------------------------------------ training
    def train(self, text: str, vocab_size: int, verbose: bool = False) -> BPETokenizer:
        """Learn `vocab_size - 256` merges from `text` (replacing any earlier merges); returns self.

        Greedy: each step merges the most frequent adjacent pair (ties: smaller ids first) in every chunk.
        Pair counts are updated incrementally, only in the chunks that contain the merged pair, instead of
        recounting the whole text each step. Stops early if every chunk has become a single token.
        """
        if not isinstance(text, str):
            raise TypeError(f"train() expects a str, got {type(text).__name__}")
        if not isinstance(vocab_size, int) or vocab_size < BYTE_VOCAB:
            raise ValueError(
                f"vocab_size must be an int >= {BYTE_VOCAB} (the 256 byte tokens come first), got {vocab_size!r}"
            )
        self._reset()
        start = time.perf_counter()

        # Each distinct chunk once, with how often it occurs: merging "the" is done once, not 5,000 times.
        chunk_counts = Counter(self._split.findall(text))
        words: list[tuple[int, ...]] = [tuple(chunk.encode("utf-8")) for chunk in chunk_counts]
        freqs: list[int] = list(chunk_counts.values())
        pair_counts: Counter = Counter()  # pair -> occurrences in the whole text
        where: dict[tuple[int, int], set[int]] = {}  # pair -> indices of the words containing it
        for w, (tokens, freq) in enumerate(zip(words, freqs, strict=True)):
            for pair, n in _pairs(tokens).items():
                pair_counts[pair] += n * freq
                where.setdefault(pair, set()).add(w)

        n_merges = vocab_size - BYTE_VOCAB
        report_every = max(1, n_merges // 8)
        for step in range(n_merges):
            if not pair_counts:
                if verbose:
                    print(f"stopped early at vocab_size {self.vocab_size}: every chunk is a single token")
                break
            best = min(pair_counts, key=lambda p: (-pair_counts[p], p))
            new_id = self._add_merge(best)
            for w in where.pop(best):
                old, freq = words[w], freqs[w]
                new = _merge(old, best, new_id)
                words[w] = new
                old_pairs, new_pairs = _pairs(old), _pairs(new)
                for pair, n in old_pairs.items():
                    pair_counts[pair] -= n * freq
                    if pair_counts[pair] == 0:
                        del pair_counts[pair]
                    if pair not in new_pairs and pair != best:
                        where[pair].discard(w)
                for pair, n in new_pairs.items():
                    pair_counts[pair] += n * freq
                    where.setdefault(pair, set()).add(w)
            if verbose and ((step + 1) % report_every == 0 or step + 1 == n_merges):
                print(
                    f"merge {step + 1:>5}/{n_merges}: {self.token_to_str(new_id)!r:>18} "
                    f"({time.perf_counter() - start:.1f} s)"
                )
        return self

    # ------------------------------------------------------------------ encode / decode
    def _encode_chunk(self, chunk: str) -> tuple[int, ...]:
        """Apply the learned merges to one chunk in the order they were learned (lowest id first)."""
        cached = self._cache.get(chunk)
        if cached is not None:
            return cached
        tokens = tuple(chunk.encode("utf-8"))
        while len(tokens) > 1:
            candidates = [self._rank[p] for p in zip(tokens, tokens[1:], strict=False) if p in self._rank]
            if not candidates:
                break
            new_id = min(candidates)
            tokens = _merge(tokens, self.merges[new_id - BYTE_VOCAB], new_id)
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[chunk] = tokens
        return tokens

    def encode(self, text: str) -> list[int]:
        """Token ids of `text` (any Unicode string; it is encoded as UTF-8 bytes first).

        Only a lone surrogate (e.g. '\\ud800', which is not a Unicode character and has no UTF-8 form)
        raises UnicodeEncodeError.
        """
        if not isinstance(text, str):
            raise TypeError(f"encode() expects a str, got {type(text).__name__}")
        ids: list[int] = []
        for chunk in self._split.findall(text):
            ids.extend(self._encode_chunk(chunk))
        return ids

    def decode(self, ids) -> str:
        """The text of a sequence of ids (list, NumPy array or Tensor).

        Ids that come from `encode` give the exact original text. An arbitrary id sequence can end in the
        middle of a multi-byte character; such bytes decode as U+FFFD (the replacement character).
        """
        ids = _as_int_list(ids)
        check_ids(ids, self.vocab_size)
        return b"".join(self.vocab[i] for i in ids).decode("utf-8", errors="replace")

    # ------------------------------------------------------------------ persistence
    def save(self, path) -> None:
        """Write the merges (and split pattern) as JSON; `BPETokenizer.load(path)` rebuilds the same tokenizer."""
        data = {
            "type": "BPETokenizer",
            "version": 1,
            "pattern": self.pattern,
            "merges": [list(pair) for pair in self.merges],
        }
        Path(path).write_text(json.dumps(data), encoding="utf-8")

    @classmethod
    def load(cls, path) -> BPETokenizer:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("type") != "BPETokenizer":
            raise ValueError(f"{path} holds a {data.get('type')!r}, not a BPETokenizer")
        return cls(merges=[tuple(pair) for pair in data["merges"]], pattern=data["pattern"])

    def __eq__(self, other) -> bool:
        return isinstance(other, BPETokenizer) and self.merges == other.merges and self.pattern == other.pattern

    def __repr__(self) -> str:
        return f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)})"
