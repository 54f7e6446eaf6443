"""The package's own code for every piece the learner's code currently replaces.

A store of its own so that both `cases` (a Piece's reference code, even while the learner's version is
installed) and `mine` (installing and uninstalling the learner's code) can use it without importing
each other.
"""

from __future__ import annotations

# key "home:Qual.name" -> (owner, attr, original value) for every piece installed over the package's code
ORIGINALS: dict = {}


def original(key: str):
    """The package's own code for a piece the learner's version replaced, else None."""
    saved = ORIGINALS.get(key)
    return None if saved is None else saved[2]
