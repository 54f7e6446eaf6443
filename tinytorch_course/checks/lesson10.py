"""Checks of lesson 10 (Tokenization): the character tokenizer (vocabulary, encode, decode, errors)
and byte-level BPE_HOME (pair counts, one merge, the training loop, encoding by merges, decoding).

Tokenizers are plain Python (no Tensor), and so are the expected values: ids are code points and
UTF-8 bytes (`ord`, `str.encode`), and the BPE_HOME merges of the small training texts are worked out by
hand in the comments (the classic "aaabdaaabac" example, with tinytorch's tie rule: among equally
frequent pairs the smaller (first id, second id) wins).
"""

from __future__ import annotations

import numpy as np

from tinytorch.text.bpe import BPETokenizer
from tinytorch.text.char import CharTokenizer
from tinytorch_course.checks.cases import Case, Piece, Raises
from tinytorch_course.checks.compare import describe

HOME = "tinytorch.text.char"
BPE_HOME = "tinytorch.text.bpe"

HELLO = "hello world"  # sorted vocabulary: ' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w'
HELLO_VOCAB = [" ", "d", "e", "h", "l", "o", "r", "w"]


def _hello():
    return CharTokenizer(HELLO_VOCAB)


def _recount_merges(text, n):
    """BPE_HOME merges by recounting every pair of every chunk at each step (slow, obviously right)."""
    chunks = [tuple(c.encode("utf-8")) for c in BPETokenizer()._split.findall(text)]
    merges = []
    for step in range(n):
        counts: dict = {}
        for c in chunks:
            for pair in zip(c, c[1:], strict=False):
                counts[pair] = counts.get(pair, 0) + 1
        if not counts:
            break
        best = min(counts, key=lambda p: (-counts[p], p))
        merges.append(best)
        new_id, merged = 256 + step, []
        for c in chunks:
            out, i = [], 0
            while i < len(c):
                if i + 1 < len(c) and (c[i], c[i + 1]) == best:
                    out.append(new_id)
                    i += 2
                else:
                    out.append(c[i])
                    i += 1
            merged.append(tuple(out))
        chunks = merged
    return merges


def _printed_training(text, vocab_size):
    def call(impl):
        import contextlib
        import io

        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            impl(BPETokenizer(), text, vocab_size, verbose=True)
        return out.getvalue()

    return call


def _timed_training(text, vocab_size):
    """(what train printed, the seconds the call took, measured around it)."""

    def call(impl):
        import time

        started = time.perf_counter()
        printed = _printed_training(text, vocab_size)(impl)
        return printed, time.perf_counter() - started

    return call


def _seconds_check(got):
    """Every '(x s)' that train printed lies between 0 and the time the whole call took (x has 1 decimal)."""
    import re

    printed, took = got
    seconds = [float(s) for s in re.findall(r"\(\s*([-+0-9.eE]+) s\)", printed)]
    if not seconds:
        return f"printed {printed!r}: no '(... s)' time on any line"
    wrong = [s for s in seconds if not 0 <= s <= took + 0.05]
    if wrong:
        return f"printed times {seconds} s, but the whole training took {took:.3f} s"
    return None


def _lines_check(count, last):
    def check(printed):
        lines = [line for line in printed.splitlines() if line.strip()]
        if len(lines) != count or last not in lines[-1]:
            ending = lines[-1] if lines else ""
            return f"printed {len(lines)} lines ending {ending!r}; expected {count}, the last with {last}"
        return None

    return check


def _utf8(text: str) -> tuple:
    return tuple(text.encode("utf-8"))


# ---- CharTokenizer ---------------------------------------------------------------------------------------
def from_text_cases():
    def vocab(text):
        def call(impl):
            tok = impl(CharTokenizer, text)
            return tok.itos if isinstance(tok, CharTokenizer) else tok

        return call

    def is_vocab(expected):
        def check(got):
            if isinstance(got, list) and got == expected:
                return None
            return f"the vocabulary (tok.itos) is {describe(got)}, expected {expected!r}"

        return check

    yield Case(
        "'hello world' gives its 8 distinct characters, sorted",
        call=vocab(HELLO),
        expected=is_vocab(HELLO_VOCAB),
        show="text = 'hello world'",
        hint="cls(sorted(set(text))): set() drops repeats, sorted() makes the ids the same on every run",
    )
    yield Case(
        "sorted by code point: 'B' (66) before 'a' (97), '😀' (128512) last",
        call=vocab("ab😀Ba"),
        expected=is_vocab(sorted(set("ab😀Ba"))),
        show="text = 'ab😀Ba'",
        hint="Python's sorted() on characters sorts by code point (ord): exactly what is wanted",
    )
    yield Case(
        "an empty text raises ValueError",
        call=lambda impl: impl(CharTokenizer, ""),
        expected=Raises(ValueError),
        show="text = ''",
        hint="an empty vocabulary can encode nothing: raise ValueError",
    )
    yield Case(
        "a list instead of a str raises TypeError naming its type",
        call=lambda impl: impl(CharTokenizer, ["h", "i"]),
        expected=Raises(TypeError, "list"),
        show="text = ['h', 'i']",
        hint="check isinstance(text, str) first; name type(text).__name__ in the message",
    )


def char_encode_cases():
    yield Case(
        "'hold' with the vocabulary of 'hello world' gives [3, 5, 4, 1]",
        (_hello(), "hold"),
        [HELLO_VOCAB.index(c) for c in "hold"],
        hint="the id of a character is self.stoi[c]",
    )
    yield Case("the empty string gives []", (_hello(), ""), [], hint="one id per character, so none for ''")
    yield Case(
        "'help!': 'p' at position 3 is unknown: ValueError naming it and its position",
        (_hello(), "help!"),
        Raises(ValueError, "'p'", "3"),
        hint="find the first character not in self.stoi and put repr(char) and its index in the message",
    )
    tok = CharTokenizer(sorted(set("a😀b")))
    yield Case(
        "an emoji is one character, so one id",
        (tok, "😀ab😀"),
        [tok.itos.index(c) for c in "😀ab😀"],
        hint="iterate over the str: Python strings are sequences of code points, an emoji is one",
    )
    yield Case(
        "bytes instead of a str raise TypeError",
        (_hello(), b"hold"),
        Raises(TypeError, "bytes"),
        hint="check isinstance(text, str) first and name type(text).__name__ in the message",
    )


def char_decode_cases():
    yield Case("[3, 5, 4, 1] gives 'hold'", (_hello(), [3, 5, 4, 1]), "hold", hint="''.join(self.itos[i] for i in ids)")
    yield Case(
        "ids as a NumPy array work too",
        (_hello(), np.array([3, 2, 4, 4, 5])),
        "hello",
        hint="the given _as_int_list(ids) turns a list, an array or a Tensor into a list of ints",
    )
    yield Case(
        "id 42 is out of range for 8 characters: ValueError naming it",
        (_hello(), [3, 42]),
        Raises(ValueError, "42"),
        hint="the given check_ids(ids, self.vocab_size) raises that error",
    )
    yield Case(
        "a negative id raises ValueError (itos[-1] would silently give the last character)",
        (_hello(), [3, -1]),
        Raises(ValueError, "-1"),
        hint="check every id is in 0..vocab_size-1 before indexing: check_ids does",
    )
    text = "hello world, hold the door"
    tok = CharTokenizer(sorted(set(text)))
    yield Case(
        "round trip: decode(encode(s)) == s",
        call=lambda impl: impl(tok, tok.encode(text)),
        expected=text,
        show=f"s = {text!r}, ids = its encoding with a vocabulary built from s",
    )


# ---- BPE_HOME building blocks ----------------------------------------------------------------------------------
def pairs_cases():
    yield Case(
        "(1, 2, 3, 1, 2): (1, 2) twice, (2, 3) and (3, 1) once",
        ((1, 2, 3, 1, 2),),
        {(1, 2): 2, (2, 3): 1, (3, 1): 1},
        hint="zip(tokens, tokens[1:]) gives the adjacent pairs; Counter counts them",
    )
    yield Case(
        "overlapping pairs all count: (5, 5, 5) has (5, 5) twice",
        ((5, 5, 5),),
        {(5, 5): 2},
        hint="count every adjacent pair, overlapping or not (merging is what cannot overlap)",
    )
    yield Case("a single token has no pairs", ((7,),), {}, hint="zip of a 1-element tuple with its empty tail is empty")
    yield Case("an empty tuple has no pairs", ((),), {})


def merge_cases():
    yield Case(
        "(1, 2, 3, 1, 2): merging (1, 2) into 256 gives (256, 3, 256)",
        ((1, 2, 3, 1, 2), (1, 2), 256),
        (256, 3, 256),
        hint="walk left to right: at a match, emit new_id and jump 2; else emit the token and step 1",
    )
    yield Case(
        "left to right, never overlapping: (5, 5, 5) with (5, 5) gives (256, 5)",
        ((5, 5, 5), (5, 5), 256),
        (256, 5),
        hint="after a match, skip both tokens: the third 5 has no partner left",
    )
    yield Case(
        "a pair at the very end: (3, 1, 2) gives (3, 256)",
        ((3, 1, 2), (1, 2), 256),
        (3, 256),
        hint="the last position has no pair to its right: check i + 1 < len(tokens)",
    )
    yield Case("no occurrence: the tokens are unchanged", ((1, 3, 2), (1, 2), 256), (1, 3, 2))
    yield Case(
        "returns a tuple",
        call=lambda impl: type(impl((1, 2), (1, 2), 256)).__name__,
        expected="tuple",
        show="tokens = (1, 2), pair = (1, 2), new_id = 256",
        hint="build a list, then return tuple(out): chunks are tuples so they can be dict keys",
    )


def train_cases():
    def merges(text, vocab_size):
        def call(impl):
            tok = BPETokenizer()
            impl(tok, text, vocab_size)
            return [tuple(m) for m in tok.merges]

        return call

    # 'aaabdaaabac' is one chunk. Pairs: aa 4 (overlapping), ab 2, bd, da, ba, ac 1 -> aa (97, 97) = 256.
    # Then 256 a b d 256 a b a c: (256, 97) and (97, 98) both twice; the smaller pair (97, 98) = 257 wins.
    # Then 256 257 d 256 257 a c: (256, 257) twice = 258.
    yield Case(
        "'aaabdaaabac', 3 merges: aa, then ab (a tie won by the smaller pair), then (aa)(ab)",
        call=merges("aaabdaaabac", 259),
        expected=[(97, 97), (97, 98), (256, 257)],
        show="text = 'aaabdaaabac', vocab_size = 259",
        hint="repeat: count all adjacent pairs, take max count (ties: smallest pair), add the merge, merge it "
        "in every chunk",
    )

    def new_tokens(impl):
        tok = BPETokenizer()
        impl(tok, "aaabdaaabac", 259)
        return tok.vocab[256:]

    yield Case(
        "each merge adds a token whose bytes join its pair's: b'aa', b'ab', b'aaab'",
        call=new_tokens,
        expected=[b"aa", b"ab", b"aaab"],
        show="text = 'aaabdaaabac', vocab_size = 259; tok.vocab[256:]",
        hint="the given self._add_merge(pair) appends the merge and its bytes and returns the new id",
    )
    # 'x. x. x.' splits into 'x', '.', ' x', '.', ' x', '.': inside chunks only ' x' (32, 120) occurs (twice).
    # Across the whole text 'x.' would be more frequent (3 times), but it spans two chunks.
    yield Case(
        "merges stay inside chunks: in 'x. x. x.' the pair ' x' wins, not 'x.' (which spans two)",
        call=merges("x. x. x.", 257),
        expected=[(32, 120)],
        show="text = 'x. x. x.', vocab_size = 257",
        hint="split the text with self._split.findall(text) first and count pairs in each chunk separately",
    )
    # chunks 'ab' and ' ab': (97, 98) twice -> 256; then (32, 256) once -> 257; then every chunk is one token.
    yield Case(
        "stops early when every chunk is a single token",
        call=merges("ab ab", 300),
        expected=[(97, 98), (32, 256)],
        show="text = 'ab ab', vocab_size = 300",
        hint="when no chunk has a pair left, there is nothing to merge: stop",
    )
    text = "the cat sat on the mat; the rat ate the oat. " * 3 + "that hat"
    yield Case(
        "repeated words (each chunk counted with its frequency): 12 merges as a full recount finds them",
        call=merges(text, 268),
        expected=_recount_merges(text, 12),
        show=f"text = {text[:40]!r}... ({len(text)} characters), vocab_size = 268",
        hint="a chunk that occurs f times adds f * n to each of its pairs' counts, also after a merge; drop a "
        "pair's count only when it reaches exactly 0",
    )
    yield Case(
        "verbose with 17 merges: a line every 2 merges and one for the last, 9 lines, ending 17/17",
        call=_printed_training(text, 256 + 17),
        expected=_lines_check(9, "17/17"),
        show="train(text, vocab_size=273, verbose=True)",
        hint="report every max(1, n_merges // 8) merges and always after the last: "
        "(step + 1) % report_every == 0 or step + 1 == n_merges",
    )
    yield Case(
        "verbose with 4 merges: one line per merge (every max(1, 4 // 8) = 1)",
        call=_printed_training(text, 256 + 4),
        expected=_lines_check(4, "4/4"),
        show="train(text, vocab_size=260, verbose=True)",
        hint="with fewer than 8 merges, n_merges // 8 is 0: report every max(1, ...) = 1 merge",
    )
    yield Case(
        "verbose with 15 merges: 15 // 8 = 1, so a line after every merge, 15 lines",
        call=_printed_training(text, 256 + 15),
        expected=_lines_check(15, "15/15"),
        show="train(text, vocab_size=271, verbose=True)",
        hint="report_every = max(1, n_merges // 8), rounded down: 15 // 8 is 1, not 2",
    )
    yield Case(
        "verbose: the time in brackets is the seconds since training started",
        call=_timed_training(text, 256 + 4),
        expected=_seconds_check,
        show="train(text, vocab_size=260, verbose=True), timed from outside",
        hint="start = time.perf_counter() before training; print time.perf_counter() - start (elapsed seconds)",
    )
    yield Case(
        "vocab_size 256 learns no merge",
        call=merges("aaabdaaabac", 256),
        expected=[],
        show="text = 'aaabdaaabac', vocab_size = 256",
    )
    yield Case(
        "vocab_size 100 raises ValueError naming it",
        call=lambda impl: impl(BPETokenizer(), "abc", 100),
        expected=Raises(ValueError, "100"),
        show="vocab_size = 100",
        hint="the 256 byte tokens come first: vocab_size must be at least 256",
    )

    def again(impl):
        tok = BPETokenizer()
        impl(tok, "aaabdaaabac", 259)
        impl(tok, "x. x. x.", 257)
        return [tuple(m) for m in tok.merges]

    yield Case(
        "training again replaces the earlier merges",
        call=again,
        expected=[(32, 120)],
        show="train('aaabdaaabac', 259), then train('x. x. x.', 257)",
        hint="start with self._reset(): back to the 256 byte tokens",
    )

    def chained(impl):
        tok = BPETokenizer()
        return impl(tok, "ab", 257) is tok

    yield Case(
        "returns the tokenizer itself, so BPETokenizer().train(...) can be assigned",
        call=chained,
        expected=True,
        show="tok.train('ab', 257) is tok",
        hint="return self",
    )


def _with_merges(*merges):
    return BPETokenizer(merges=list(merges))


EMOJI = "😀"  # UTF-8: f0 9f 98 80


def encode_chunk_cases():
    yield Case(
        "no merges: a chunk's UTF-8 bytes ('hé' is h, then two bytes for é)",
        (_with_merges(), "hé"),
        _utf8("hé"),
        hint="tuple(chunk.encode('utf-8')) gives the byte ids",
    )

    def twice(impl):
        tok = _with_merges((98, 99), (97, 98))
        return impl(tok, "abc"), impl(tok, "abc")

    yield Case(
        "the same chunk twice gives the same tokens twice (a cached result is returned, not None)",
        call=twice,
        expected=((97, 256), (97, 256)),
        show="'abc' encoded twice with bc=256, ab=257",
        hint="when self._cache has the chunk, return the cached tuple itself",
    )
    # merges: (98, 99) -> 256 first, (97, 98) -> 257 second. In 'abc' both pairs occur; the earlier-learned
    # (lower id) merge applies first: a (bc) -> (97, 256), and then (97, 256) is no merge.
    yield Case(
        "merges apply in the order they were learned: 'abc' with bc=256, ab=257 gives (97, 256)",
        (_with_merges((98, 99), (97, 98)), "abc"),
        (97, 256),
        hint="among the pairs present, apply the merge with the lowest new id (self._rank[pair]) first",
    )
    yield Case(
        "a merged token can merge again: 'aaaa' with aa=256, (aa)(aa)=257 gives (257,)",
        (_with_merges((97, 97), (256, 256)), "aaaa"),
        (257,),
        hint="repeat until no adjacent pair is a known merge (or one token is left)",
    )
    emoji = _with_merges((0xF0, 0x9F), (256, 0x98), (257, 0x80))
    yield Case("an emoji's 4 bytes become 1 token with 3 merges", (emoji, EMOJI), (258,))
    yield Case("a chunk with no known pair keeps its bytes", (_with_merges((97, 97)), "xyz"), _utf8("xyz"))


def bpe_decode_cases():
    emoji = _with_merges((0xF0, 0x9F), (256, 0x98), (257, 0x80))
    yield Case(
        "token 258 = the 4 bytes of 😀 decodes to '😀'",
        (emoji, [104, 105, 258]),
        "hi" + EMOJI,
        hint="join the bytes of every token, b''.join(self.vocab[i] for i in ids), then .decode('utf-8')",
    )
    text = "naïve café, 日本語 😀!"
    yield Case(
        "round trip on any Unicode: decode(encode(s)) == s",
        call=lambda impl: impl(emoji, emoji.encode(text)),
        expected=text,
        show=f"s = {text!r}; ids = encode(s) with the emoji merges",
    )
    yield Case(
        "ids that stop inside a character decode as U+FFFD",
        (_with_merges(), [104, 0xF0, 0x9F]),
        b"h\xf0\x9f".decode("utf-8", errors="replace"),
        hint="decode with errors='replace': a cut-off character must not raise in the middle of generation",
    )
    yield Case(
        "id 300 is out of range for 259 tokens: ValueError naming it",
        (emoji, [104, 300]),
        Raises(ValueError, "300"),
        hint="the given check_ids(ids, self.vocab_size) raises that error",
    )
    yield Case(
        "ids as a NumPy array work too",
        (emoji, np.array([258, 33])),
        EMOJI + "!",
        hint="the given _as_int_list(ids) turns a list, an array or a Tensor into a list of ints",
    )


PIECES = [
    Piece(
        "CharTokenizer.from_text",
        from_text_cases,
        title="a vocabulary from text",
        todo="return cls(...) with every distinct character of `text`, sorted; reject an empty or non-str text",
        hints=[
            "sorted(set(text)) is the vocabulary; cls(chars) builds the tokenizer (the given __init__).",
            "Check isinstance(text, str) (TypeError) and an empty text (ValueError) first.",
        ],
    ),
    Piece(
        "CharTokenizer.encode",
        char_encode_cases,
        title="characters to ids",
        todo="return the id of each character of `text`; an unknown character raises ValueError naming it and its "
        "position",
        hints=[
            "[self.stoi[c] for c in text] does the work.",
            "Catch the KeyError, find the first (position, char) not in self.stoi, and raise ValueError naming both.",
        ],
    ),
    Piece(
        "CharTokenizer.decode",
        char_decode_cases,
        title="ids to characters",
        todo="return the text of a sequence of ids; an id outside 0..vocab_size-1 raises ValueError",
        hints=["ids = _as_int_list(ids); check_ids(ids, self.vocab_size).", "''.join(self.itos[i] for i in ids)."],
    ),
    Piece(
        "_pairs",
        pairs_cases,
        home=BPE_HOME,
        title="count adjacent pairs",
        todo="return a Counter of the adjacent pairs in `tokens`",
        hints=["zip(tokens, tokens[1:]) yields each adjacent pair.", "Counter(...) counts them."],
    ),
    Piece(
        "_merge",
        merge_cases,
        home=BPE_HOME,
        title="one merge",
        todo="return `tokens` with each non-overlapping occurrence of `pair` (left to right) replaced by `new_id`",
        hints=[
            "A while loop with an index i: if tokens[i], tokens[i + 1] is the pair, append new_id and i += 2.",
            "Otherwise append tokens[i] and i += 1; return tuple(out).",
        ],
    ),
    Piece(
        "BPETokenizer.train",
        train_cases,
        home=BPE_HOME,
        title="learn the merges",
        todo="learn vocab_size - 256 merges from `text`, most frequent adjacent pair first; return self",
        hints=[
            "self._reset(); chunks = Counter(self._split.findall(text)); work on each distinct chunk's "
            "UTF-8 bytes, tuple(chunk.encode('utf-8')), weighted by how often the chunk occurs.",
            "Each step: total the _pairs of every chunk (times its count); best = min(counts, key=lambda p: "
            "(-counts[p], p)); new_id = self._add_merge(best); replace every chunk by _merge(chunk, best, new_id).",
            "Stop after vocab_size - 256 merges, or when no chunk has a pair left. Recounting every step is "
            "fine; tinytorch's version only updates the chunks that changed.",
        ],
    ),
    Piece(
        "BPETokenizer._encode_chunk",
        encode_chunk_cases,
        home=BPE_HOME,
        title="encode by merges",
        todo="return the token ids of one chunk: its UTF-8 bytes, then the learned merges in the order learned",
        hints=[
            "Start from tuple(chunk.encode('utf-8')).",
            "Loop: among the adjacent pairs that are in self._rank, take the one with the lowest id and apply "
            "it with _merge(tokens, self.merges[new_id - 256], new_id); stop when none is left.",
        ],
    ),
    Piece(
        "BPETokenizer.decode",
        bpe_decode_cases,
        home=BPE_HOME,
        title="ids to text",
        todo="return the text of a sequence of ids: join the tokens' bytes and decode them as UTF-8",
        hints=[
            "ids = _as_int_list(ids); check_ids(ids, self.vocab_size).",
            "b''.join(self.vocab[i] for i in ids).decode('utf-8', errors='replace').",
        ],
    ),
]
