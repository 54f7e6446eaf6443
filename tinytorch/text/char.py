"""Character-level tokenizer: one token per character, the vocabulary is the set of characters seen.

    tok = CharTokenizer.from_text("hello world")
    tok.vocab_size            # 8: ' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w' (sorted, so ids are reproducible)
    tok.encode("hold")        # [3, 5, 4, 1]
    tok.decode([3, 5, 4, 1])  # 'hold'

Unknown-character policy: encoding a character that is not in the vocabulary raises a ValueError that
names the character and its position. There is no <unk> token, so `decode(encode(s)) == s` always holds
for every string that encodes. Build the vocabulary from text that contains every character you will
encode (or use BPETokenizer, which encodes any text).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path


def _as_int_list(ids) -> list[int]:
    """Token ids from a list, a NumPy array or a Tensor (anything with .tolist()) as plain ints."""
    if hasattr(ids, "tolist"):
        ids = ids.tolist()
    if isinstance(ids, int):
        raise TypeError(f"decode() expects a sequence of token ids, got the single int {ids}; wrap it: [{ids}]")
    return [int(i) for i in ids]


def check_ids(ids: list[int], vocab_size: int) -> None:
    """Raise a ValueError naming the first id outside 0..vocab_size-1 (negative ids would silently index
    from the end)."""
    for position, i in enumerate(ids):
        if not 0 <= i < vocab_size:
            raise ValueError(
                f"token id {i} (at position {position}) is out of range for a vocabulary of {vocab_size} tokens "
                f"(valid ids: 0..{vocab_size - 1}); were these ids made by a different tokenizer?"
            )


class CharTokenizer:
    """Maps each character to an id (its index in the sorted vocabulary) and back."""

    def __init__(self, chars: Iterable[str]):
        chars = list(chars)
        if any(not isinstance(c, str) or len(c) != 1 for c in chars):
            bad = next(c for c in chars if not isinstance(c, str) or len(c) != 1)
            raise ValueError(f"CharTokenizer vocabulary entries must be single characters, got {bad!r}")
        if len(set(chars)) != len(chars):
            raise ValueError("CharTokenizer vocabulary has duplicate characters")
        self.itos: list[str] = chars  # id -> character
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(chars)}  # character -> id

    @classmethod
    def from_text(cls, text: str) -> CharTokenizer:
        """The tokenizer whose vocabulary is every distinct character of `text`, in sorted (code point) order."""
        if not isinstance(text, str):
            raise TypeError(f"from_text() expects a str, got {type(text).__name__}")
        if not text:
            raise ValueError("from_text() needs a non-empty text to build the vocabulary from")
        return cls(sorted(set(text)))

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def __len__(self) -> int:
        return self.vocab_size

    def encode(self, text: str) -> list[int]:
        """The id of each character of `text`; raises ValueError naming the first unknown character."""
        if not isinstance(text, str):
            raise TypeError(f"encode() expects a str, got {type(text).__name__}")
        try:
            return [self.stoi[c] for c in text]
        except KeyError:
            position, char = next((i, c) for i, c in enumerate(text) if c not in self.stoi)
            raise ValueError(
                f"character {char!r} (U+{ord(char):04X}) at position {position} is not in the vocabulary of "
                f"{self.vocab_size} characters; build the tokenizer from text that contains it "
                f"(CharTokenizer.from_text) or use BPETokenizer, which encodes any text"
            ) from None

    def decode(self, ids) -> str:
        """The text of a sequence of ids (list, NumPy array or Tensor); raises ValueError for an id out of range."""
        ids = _as_int_list(ids)
        check_ids(ids, self.vocab_size)
        return "".join(self.itos[i] for i in ids)

    def save(self, path) -> None:
        """Write the vocabulary as JSON (UTF-8), so `CharTokenizer.load(path)` gives the same ids."""
        data = {"type": "CharTokenizer", "version": 1, "chars": self.itos}
        Path(path).write_text(json.dumps(data, ensure_ascii=True), encoding="utf-8")

    @classmethod
    def load(cls, path) -> CharTokenizer:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("type") != "CharTokenizer":
            raise ValueError(f"{path} holds a {data.get('type')!r}, not a CharTokenizer")
        return cls(data["chars"])

    def __eq__(self, other) -> bool:
        return isinstance(other, CharTokenizer) and self.itos == other.itos

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size})"
