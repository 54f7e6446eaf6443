"""Module 10: tokenizers turn text into the integer ids a model embeds (pure Python, no Tensor needed).

    CharTokenizer.from_text(text)              one id per character; unknown characters raise ValueError
    BPETokenizer().train(text, vocab_size)     byte-level BPE (GPT-2 style): encodes any Unicode exactly
Both have encode(str) -> list[int], decode(ids) -> str, vocab_size, save(path) / load(path) (JSON).
"""

from .bpe import SPLIT_PATTERN, BPETokenizer
from .char import CharTokenizer

__all__ = ["CharTokenizer", "BPETokenizer", "SPLIT_PATTERN"]
