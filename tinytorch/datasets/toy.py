"""Small 2-D classification sets for the early milestones, generated from a seed (no files).

Every function returns `(X, y)`: X (n, 2) float32 points, y (n,) int64 class ids. The same arguments give
the same arrays every time (each call makes its own `np.random.default_rng(seed)`; the global NumPy and
tinytorch seeds are neither used nor changed). Points come in shuffled order.
"""

from __future__ import annotations

import numpy as np


def _check_n(n: int, minimum: int, name: str) -> None:
    if not isinstance(n, (int, np.integer)) or n < minimum:
        raise ValueError(f"{name}() needs n >= {minimum} points (an int), got n={n!r}")


def _shuffled(X: np.ndarray, y: np.ndarray, rng: np.random.Generator):
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order].astype(np.int64)


def linearly_separable(n: int = 200, seed: int = 0, margin: float = 0.1):
    """Two classes in the square [-1, 1]^2 split by a random straight line, with an empty band between them.

    For the 1958 perceptron: a line that separates the classes exists, so the perceptron learning rule
    is guaranteed to reach 100 % training accuracy. No point lies closer than `margin` to the true line
    w . x + b = 0 (|w| = 1). Classes are balanced (n // 2 and n - n // 2 points); y is 1 on the side
    where w . x + b > 0, else 0.

    Returns X (n, 2) float32, y (n,) int64 in {0, 1}.
    """
    _check_n(n, 2, "linearly_separable")
    if not 0 <= margin < 0.5:
        raise ValueError(f"linearly_separable() needs 0 <= margin < 0.5, got margin={margin}")
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi)
    w = np.array([np.cos(angle), np.sin(angle)])
    b = rng.uniform(-0.3, 0.3)
    want = {1: n // 2, 0: n - n // 2}
    kept = {0: [], 1: []}
    while any(sum(map(len, kept[c])) < want[c] for c in want):
        candidates = rng.uniform(-1, 1, size=(4 * n, 2))
        distance = candidates @ w + b
        kept[1].append(candidates[distance >= margin])
        kept[0].append(candidates[distance <= -margin])
    X = np.concatenate([np.concatenate(kept[c])[: want[c]] for c in (0, 1)])
    y = np.repeat([0, 1], [want[0], want[1]])
    return _shuffled(X, y, rng)


def xor():
    """The four points of the XOR truth table: no single straight line separates the two classes.

    Returns X (4, 2) float32 [[0, 0], [0, 1], [1, 0], [1, 1]] and y (4,) int64 [0, 1, 1, 0].
    """
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array([0, 1, 1, 0], dtype=np.int64)
    return X, y


def xor_blobs(n: int = 200, seed: int = 0, noise: float = 0.15):
    """A noisy XOR: Gaussian clouds (std `noise`) around the four corners of the unit square.

    Points near (0, 0) and (1, 1) are class 0, points near (0, 1) and (1, 0) class 1; the corners get
    n // 4 points each (the first n % 4 corners one more).

    Returns X (n, 2) float32, y (n,) int64 in {0, 1}.
    """
    _check_n(n, 4, "xor_blobs")
    rng = np.random.default_rng(seed)
    corners, labels = xor()
    which = np.arange(n) % 4
    X = corners[which] + noise * rng.standard_normal((n, 2))
    return _shuffled(X, labels[which], rng)


def two_moons(n: int = 200, seed: int = 0, noise: float = 0.1):
    """Two interleaving half circles (as sklearn's make_moons): not linearly separable, easy for an MLP.

    Class 0 is the upper arc (cos t, sin t), class 1 the lower arc (1 - cos t, 0.5 - sin t), t in [0, pi],
    each point moved by Gaussian noise of std `noise`. Class 0 gets n // 2 points.

    Returns X (n, 2) float32, y (n,) int64 in {0, 1}.
    """
    _check_n(n, 2, "two_moons")
    rng = np.random.default_rng(seed)
    n_upper = n // 2
    t_upper = np.linspace(0, np.pi, n_upper)
    t_lower = np.linspace(0, np.pi, n - n_upper)
    upper = np.stack([np.cos(t_upper), np.sin(t_upper)], axis=1)
    lower = np.stack([1 - np.cos(t_lower), 0.5 - np.sin(t_lower)], axis=1)
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.repeat([0, 1], [n_upper, n - n_upper])
    return _shuffled(X, y, rng)


def spirals(n: int = 300, classes: int = 3, seed: int = 0, noise: float = 0.2):
    """`classes` interleaved spiral arms from the origin (the CS231n spiral set).

    Arm k has points at radius r in [0, 1] and angle 4k + 4r + noise * N(0, 1); the arms get n // classes
    points each (the first n % classes arms one more). Needs a non-linear model with some capacity.

    Returns X (n, 2) float32 inside the unit disc, y (n,) int64 in {0, ..., classes - 1}.
    """
    if not isinstance(classes, (int, np.integer)) or classes < 2:
        raise ValueError(f"spirals() needs classes >= 2 (an int), got classes={classes!r}")
    _check_n(n, classes, "spirals")
    rng = np.random.default_rng(seed)
    counts = [n // classes + (k < n % classes) for k in range(classes)]
    points = []
    for k, count in enumerate(counts):
        radius = np.linspace(0.0, 1.0, count)
        angle = 4 * k + 4 * radius + noise * rng.standard_normal(count)
        points.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1))
    y = np.repeat(np.arange(classes), counts)
    return _shuffled(np.concatenate(points), y, rng)
