"""tinytorch.text: character and byte-level BPE tokenizers round-trip exactly and learn the merges BPE prescribes."""

import random
import re

import numpy as np
import pytest

from tinytorch.datasets import python_docs_text, shakespeare
from tinytorch.text import SPLIT_PATTERN, BPETokenizer, CharTokenizer

try:
    from hypothesis import given, settings
    from hypothesis import strategies as st
except ImportError:  # the seeded-random tests below still cover round trips
    given = None


def random_unicode_strings(count: int, seed: int):
    """Seeded strings mixing ASCII, accents, combining marks, CJK, emoji (incl. ZWJ sequences) and odd whitespace."""
    rng = random.Random(seed)
    pools = [
        (0x20, 0x7E),
        (0x00, 0x1F),
        (0xA0, 0x17F),
        (0x300, 0x36F),
        (0x391, 0x3C9),
        (0x400, 0x44F),
        (0x4E00, 0x4E80),
        (0x1F600, 0x1F64F),
        (0x1F3FB, 0x1F3FF),
        (0x2000, 0x200D),
        (0x10000, 0x1007F),
        (0xFFF0, 0xFFFF),
        (0x10FFF0, 0x10FFFF),
    ]
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(0, 40)):
            lo, hi = rng.choice(pools)
            chars.append(chr(rng.randint(lo, hi)))
        yield "".join(chars)


_TRAINED = {}


def trained_bpe() -> BPETokenizer:
    """A BPE tokenizer trained on 60 KB of Shakespeare (vocab 400), trained once; the rest of the text is held out."""
    if "bpe" not in _TRAINED:
        _TRAINED["bpe"] = BPETokenizer().train(shakespeare()[:60_000], vocab_size=400)
    return _TRAINED["bpe"]


@pytest.fixture
def bpe():
    return trained_bpe()


# ---------------------------------------------------------------- CharTokenizer
def test_char_tokenizer_hand_example():
    tok = CharTokenizer.from_text("hello world")
    assert tok.itos == [" ", "d", "e", "h", "l", "o", "r", "w"] and tok.vocab_size == 8 == len(tok)
    assert tok.encode("hold") == [3, 5, 4, 1]
    assert tok.decode([3, 5, 4, 1]) == "hold"
    assert tok.decode(np.array([7, 5, 6, 4, 1])) == "world"
    assert tok.encode("") == [] and tok.decode([]) == ""


def test_char_tokenizer_unknown_character_error_names_it():
    tok = CharTokenizer.from_text("abc")
    with pytest.raises(ValueError, match=r"'z' \(U\+007A\) at position 2 is not in the vocabulary of 3"):
        tok.encode("abz")


def test_char_tokenizer_decode_rejects_out_of_range_ids():
    tok = CharTokenizer.from_text("abc")
    with pytest.raises(ValueError, match=r"token id 3 \(at position 1\) is out of range for a vocabulary of 3"):
        tok.decode([0, 3])
    with pytest.raises(ValueError, match="token id -1"):
        tok.decode([-1])  # would silently mean 'c' with plain list indexing


def test_char_tokenizer_round_trip_and_save_load(tmp_path):
    for text in random_unicode_strings(50, seed=1):
        if not text:
            continue
        tok = CharTokenizer.from_text(text)
        assert tok.decode(tok.encode(text)) == text
    tok = CharTokenizer.from_text("naïve café 😀\n\t")
    tok.save(tmp_path / "char.json")
    loaded = CharTokenizer.load(tmp_path / "char.json")
    assert loaded == tok and loaded.encode("café 😀") == tok.encode("café 😀")
    with pytest.raises(ValueError, match="not a BPETokenizer"):
        BPETokenizer.load(tmp_path / "char.json")


# ---------------------------------------------------------------- BPE: the algorithm
def test_bpe_hand_computed_merges():
    # "aaabdaaabac" is one chunk. Pair counts: aa 4, ab 2, bd/da/ba/ac 1  -> merge aa = 256
    # [256 a b d 256 a b a c]: (256, a) 2 and (a, b) 2 tie -> the smaller pair (97, 98) = 257
    # [256 257 d 256 257 a c]: (256, 257) 2 -> 258 = "aaab"   ->   [258 d 258 a c]
    tok = BPETokenizer().train("aaabdaaabac", vocab_size=259)
    assert tok.merges == [(97, 97), (97, 98), (256, 257)]
    assert tok.vocab[256:] == [b"aa", b"ab", b"aaab"]
    assert tok.encode("aaabdaaabac") == [258, 100, 258, 97, 99]
    assert tok.encode("aaaa") == [256, 256]  # merges apply left to right, in learned order
    assert tok.decode([258, 100]) == "aaabd"


def naive_bpe_merges(text: str, n_merges: int):
    """Reference: recount every pair from scratch before each merge (slow, obviously right)."""
    from collections import Counter

    from tinytorch.text.bpe import _merge

    words = [tuple(chunk.encode("utf-8")) for chunk in re.findall(SPLIT_PATTERN, text)]
    merges = []
    for k in range(n_merges):
        counts = Counter(pair for w in words for pair in zip(w, w[1:], strict=False))
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        words = [_merge(w, best, 256 + k) for w in words]
    return merges


def test_bpe_incremental_training_matches_recounting_from_scratch():
    text = python_docs_text()[:6_000] + " naïve 😀😀 aaaa aaaa"
    assert BPETokenizer().train(text, 256 + 120).merges == naive_bpe_merges(text, 120)


def test_bpe_untrained_is_a_byte_tokenizer():
    tok = BPETokenizer()
    assert tok.vocab_size == 256
    assert tok.encode("hé") == [104, 0xC3, 0xA9]
    assert tok.decode([104, 0xC3, 0xA9]) == "hé"


def test_bpe_merges_never_cross_chunk_boundaries():
    tok = BPETokenizer().train("hello world, hello there! " * 40, vocab_size=300)
    for token in tok.vocab[256:]:
        text = token.decode("utf-8")
        assert " " not in text[1:] or text.isspace(), f"token {text!r} spans two words"
    assert "".join(re.findall(SPLIT_PATTERN, "it's 2024, x_1 = 'ok'  \n  done")) == "it's 2024, x_1 = 'ok'  \n  done"


def test_bpe_training_is_deterministic_and_stops_when_nothing_is_left():
    text = shakespeare()[:20_000]
    a, b = BPETokenizer().train(text, 350), BPETokenizer().train(text, 350)
    assert a.merges == b.merges and len(a.merges) == 94
    assert a.train(text, 350).merges == b.merges  # retraining starts again from the bytes
    tiny = BPETokenizer().train("ab ab", vocab_size=1000)
    assert tiny.vocab_size == 258 and tiny.encode("ab ab") == [256, 257]  # "ab", " ab"


# ---------------------------------------------------------------- BPE: round trips
def test_bpe_round_trips_seeded_random_unicode(bpe):
    for text in random_unicode_strings(300, seed=0):
        assert bpe.decode(bpe.encode(text)) == text, repr(text)


if given is not None:

    @settings(max_examples=300, deadline=None)
    @given(st.text())
    def test_bpe_round_trips_any_unicode_hypothesis(text):
        tok = trained_bpe()
        assert tok.decode(tok.encode(text)) == text
        assert "".join(re.findall(SPLIT_PATTERN, text)) == text


def test_bpe_round_trips_unseen_scripts_and_emoji(bpe):
    for text in [
        "Schrödinger's 🐈‍⬛ ate 寿司 🍣!",
        "👩🏽‍💻\u200d\n\r\n\t",
        "x" * 1000,
        "",
        " ",
        "   leading",
        "ﬁ ligature, e\u0301 combining, 𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    ]:
        assert bpe.decode(bpe.encode(text)) == text


def test_bpe_compresses_held_out_english(bpe):
    held_out = shakespeare()[100_000:150_000]
    ratio = len(held_out.encode("utf-8")) / len(bpe.encode(held_out))
    assert ratio > 1.5, ratio
    docs = python_docs_text()[:20_000]
    assert bpe.decode(bpe.encode(docs)) == docs
    assert len(docs.encode("utf-8")) / len(bpe.encode(docs)) > 1.0


def test_bpe_save_load_is_exact(bpe, tmp_path):
    bpe.save(tmp_path / "bpe.json")
    loaded = BPETokenizer.load(tmp_path / "bpe.json")
    assert loaded == bpe and loaded.vocab == bpe.vocab and loaded.vocab_size == 400
    text = shakespeare()[200_000:210_000] + " 😀"
    assert loaded.encode(text) == bpe.encode(text)


def test_bpe_token_to_str(bpe):
    ids = bpe.encode("To be, or not to be\n")
    pieces = [bpe.token_to_str(i) for i in ids]
    assert "".join(pieces) == "To be, or not to be\\n"
    assert bpe.token_to_str(0xF0) == "\\xf0"  # one byte of a 4-byte character


# ---------------------------------------------------------------- BPE: errors
def test_bpe_errors_name_the_numbers(bpe):
    with pytest.raises(ValueError, match="vocab_size must be an int >= 256.*got 100"):
        BPETokenizer().train("some text", vocab_size=100)
    with pytest.raises(ValueError, match=r"token id 400 \(at position 1\) is out of range for a vocabulary of 400"):
        bpe.decode([65, 400])
    with pytest.raises(TypeError, match="expects a str, got bytes"):
        bpe.encode(b"bytes")
    with pytest.raises(TypeError, match=r"wrap it: \[5\]"):
        bpe.decode(5)
