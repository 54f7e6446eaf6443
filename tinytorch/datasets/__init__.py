"""Data sets that ship inside the tinytorch package: nothing is downloaded, nothing is read at import.

Real data (read from compressed files in `tinytorch/datasets/data/` on first use, then cached):
    digits(as_images=False)   -> Split(X_train, y_train, X_test, y_test)  1,437 / 360 8x8 digits
    mnist_5k(as_images=False) -> Split(...)                               4,000 / 1,000 28x28 MNIST digits
    shakespeare()             -> str   four plays, ~440,000 characters
    python_docs_text()        -> str   Python's help topics, ~465,000 characters
Toy 2-D sets (generated from a seed):
    linearly_separable(n, seed), xor(), xor_blobs(n, seed), two_moons(n, seed), spirals(n, classes, seed)
        -> (X (n, 2) float32, y (n,) int64)
Sources and licences: LICENSES.md next to this file.
"""

from .corpora import SHAKESPEARE_PLAYS, python_docs_text, shakespeare
from .images import Split, digits, mnist_5k
from .toy import linearly_separable, spirals, two_moons, xor, xor_blobs

__all__ = [
    "Split",
    "digits",
    "mnist_5k",
    "shakespeare",
    "python_docs_text",
    "SHAKESPEARE_PLAYS",
    "linearly_separable",
    "xor",
    "xor_blobs",
    "two_moons",
    "spirals",
]
