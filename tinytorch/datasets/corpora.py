"""Text corpora for the tokenizer lesson and the transformer milestone, each returned as one `str`."""

from __future__ import annotations

from ._files import load_text

SHAKESPEARE_PLAYS = ("Macbeth", "Romeo and Juliet", "The Tempest", "A Midsummer Night's Dream")


def shakespeare() -> str:
    """Four complete Shakespeare plays (public domain, Project Gutenberg texts), ~440,000 ASCII characters.

    The plays (in `SHAKESPEARE_PLAYS` order) each start with their title line in capitals and are
    separated by two blank lines. Speaker names are in capitals on their own line, e.g.
    "FIRST WITCH.\\nWhen shall we three meet again?".
    """
    return load_text("shakespeare.txt")


def python_docs_text() -> str:
    """The text of Python's built-in help topics (`help('topics')`, CPython 3.11), ~465,000 characters.

    79 reference-manual sections (statements, operators, special methods, ...) in plain text, joined by
    blank lines. Mostly ASCII with a few typographic characters (curly quotes, dashes), which makes it a
    good test of a tokenizer that must handle any Unicode.
    """
    return load_text("python_docs.txt")
