"""tinytorch.datasets: shipped data matches its source, splits are fixed and disjoint, toy sets keep their promises."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import tinytorch
from tinytorch import datasets
from tinytorch.datasets._files import load_arrays


def _bincount(labels, minlength=0):
    """np.bincount on the platform's index type: wasm32 NumPy (Pyodide) refuses int64 input."""
    return np.bincount(np.asarray(labels).astype(np.intp), minlength=minlength)


DATA_DIR = Path(datasets.__file__).parent / "data"


# ---------------------------------------------------------------- digits
def test_digits_shapes_dtypes_and_range():
    X_train, y_train, X_test, y_test = datasets.digits()
    assert X_train.shape == (1437, 64) and X_test.shape == (360, 64)
    assert y_train.shape == (1437,) and y_test.shape == (360,)
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert set(np.unique(y_train)) == set(range(10))


def test_digits_as_images_is_nchw_view_of_the_same_pixels():
    flat, images = datasets.digits(), datasets.digits(as_images=True)
    assert images.X_train.shape == (1437, 1, 8, 8) and images.X_test.shape == (360, 1, 8, 8)
    np.testing.assert_array_equal(images.X_train.reshape(1437, 64), flat.X_train)
    np.testing.assert_array_equal(images.y_test, flat.y_test)


def test_digits_match_the_scikit_learn_source():
    raw = load_arrays("digits.npz")
    # first row of sklearn's digits.csv.gz: a zero
    first = np.array(
        [
            [0, 0, 5, 13, 9, 1, 0, 0],
            [0, 0, 13, 15, 10, 15, 5, 0],
            [0, 3, 15, 2, 0, 11, 8, 0],
            [0, 4, 12, 0, 0, 8, 8, 0],
            [0, 5, 8, 0, 0, 9, 8, 0],
            [0, 4, 11, 0, 1, 12, 7, 0],
            [0, 2, 14, 5, 10, 12, 0, 0],
            [0, 0, 6, 13, 10, 0, 0, 0],
        ]
    )
    np.testing.assert_array_equal(raw["X"][0].reshape(8, 8), first)
    assert raw["y"][:5].tolist() == [0, 1, 2, 3, 4]
    assert int(raw["X"].astype(np.int64).sum()) == 561718
    assert _bincount(raw["y"]).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # and the public split serves exactly those pixels (scaled by 1/16), in the order the index arrays say
    X_train, y_train, X_test, y_test = datasets.digits()
    X = np.empty((1797, 64), np.float32)
    y = np.empty(1797, np.int64)
    X[raw["train_idx"]], X[raw["test_idx"]] = X_train, X_test
    y[raw["train_idx"]], y[raw["test_idx"]] = y_train, y_test
    np.testing.assert_array_equal(X * 16, raw["X"])
    np.testing.assert_array_equal(y, raw["y"])


@pytest.mark.parametrize("name, n, test_per_class", [("digits.npz", 1797, 36), ("mnist_5k.npz", 5000, 100)])
def test_split_is_disjoint_complete_and_stratified(name, n, test_per_class):
    raw = load_arrays(name)
    train, test = raw["train_idx"].astype(int), raw["test_idx"].astype(int)
    assert len(set(train)) == len(train) and len(set(test)) == len(test)
    assert set(train).isdisjoint(test)
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(n))
    assert _bincount(raw["y"][test], minlength=10).tolist() == [test_per_class] * 10
    assert not np.all(np.diff(train) > 0), "training order should be shuffled (MNIST's source is sorted by class)"


# ---------------------------------------------------------------- MNIST
def test_mnist_5k_shapes_balance_and_source_values():
    X_train, y_train, X_test, y_test = datasets.mnist_5k()
    assert X_train.shape == (4000, 784) and X_test.shape == (1000, 784)
    assert X_train.dtype == np.float32 and y_test.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 1.0
    assert _bincount(y_train).tolist() == [400] * 10 and _bincount(y_test).tolist() == [100] * 10
    raw = load_arrays("mnist_5k.npz")
    assert int(raw["X"].astype(np.int64).sum()) == 131267102
    assert raw["X"][0].reshape(28, 28)[4, 15:18].tolist() == [51, 159, 253]  # first source image, a zero
    assert raw["y"][[0, 499, 500, 4999]].tolist() == [0, 0, 1, 9]
    images = datasets.mnist_5k(as_images=True)
    assert images.X_test.shape == (1000, 1, 28, 28)
    np.testing.assert_array_equal(images.X_test.reshape(1000, 784), X_test)


def test_loaders_are_deterministic_and_return_fresh_arrays():
    first = datasets.digits()
    first.X_train[:] = -1.0  # a learner's in-place edit must not leak into the next call
    second, third = datasets.digits(), datasets.digits()
    assert second.X_train.min() == 0.0
    for a, b in zip(second, third, strict=True):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- text
def test_shakespeare_text():
    text = datasets.shakespeare()
    assert 400_000 < len(text) < 500_000
    assert text.startswith("MACBETH\n\nby William Shakespeare")
    for title in ("ROMEO AND JULIET", "THE TEMPEST", "A MIDSUMMER NIGHT'S DREAM"):
        assert f"\n{title}\n" in text
    assert "FIRST WITCH.\nWhen shall we three meet again?" in text
    assert "gutenberg" not in text.lower()
    assert text.isascii() and all(line == line.rstrip() for line in text.splitlines())


def test_python_docs_text():
    text = datasets.python_docs_text()
    assert 400_000 < len(text) < 550_000
    assert text.startswith('The "assert" statement\n')
    assert "Assert statements are a convenient way to insert debugging assertions" in text
    assert not text.isascii()  # curly quotes and dashes: real Unicode for the tokenizers
    assert datasets.python_docs_text() is text  # cached after the first read


# ---------------------------------------------------------------- packaging
def test_data_files_are_compact():
    sizes = {p.name: p.stat().st_size for p in DATA_DIR.iterdir()}
    assert set(sizes) == {"digits.npz.bz2", "mnist_5k.npz.bz2", "python_docs.txt.bz2", "shakespeare.txt.bz2"}
    assert sum(sizes.values()) < 2_000_000, sizes


@pytest.mark.skipif(sys.platform == "emscripten", reason="needs a subprocess, which Pyodide does not have")
def test_nothing_is_read_at_import_and_only_package_files_when_loading():
    """Audit hooks see every file open and network call: import reads no data, loaders read only data/."""
    script = textwrap.dedent("""
        import json, sys
        events = []
        def hook(event, args):
            if event == "open" and isinstance(args[0], str):
                events.append(("open", args[0]))
            elif event.startswith("socket."):
                events.append((event, ""))
        import numpy, bz2, io, zipfile, importlib.resources  # stdlib/numpy code files, not data
        sys.addaudithook(hook)
        import tinytorch.datasets as d
        at_import = [p for e, p in events if e != "open" or p.endswith(".bz2")]
        events.clear()
        d.digits(); d.mnist_5k(as_images=True); d.shakespeare(); d.python_docs_text()
        d.linearly_separable(); d.xor(); d.xor_blobs(); d.two_moons(); d.spirals()
        print(json.dumps({"at_import": at_import, "loading": events}))
    """)
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        cwd=str(Path(tinytorch.__file__).parent.parent),
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["at_import"] == []
    data_dir = str(DATA_DIR.resolve())
    opened = [path for event, path in report["loading"] if event == "open"]
    assert not [e for e in report["loading"] if e[0] != "open"], "no network calls"
    outside = [p for p in opened if not str(Path(p).resolve()).startswith(data_dir) and not p.endswith((".py", ".pyc"))]
    assert outside == [], f"files read outside tinytorch/datasets/data: {outside}"
    assert sorted(Path(p).name for p in opened if p.endswith(".bz2")) == sorted(
        ["digits.npz.bz2", "mnist_5k.npz.bz2", "shakespeare.txt.bz2", "python_docs.txt.bz2"]
    )


# ---------------------------------------------------------------- toy sets
TOY = [datasets.linearly_separable, datasets.xor_blobs, datasets.two_moons, datasets.spirals]


@pytest.mark.parametrize("make", TOY, ids=lambda f: f.__name__)
def test_toy_sets_shapes_dtypes_balance_and_determinism(make):
    X, y = make(n=120, seed=3)
    assert X.shape == (120, 2) and X.dtype == np.float32 and y.shape == (120,) and y.dtype == np.int64
    counts = _bincount(y)
    assert counts.max() - counts.min() <= 1, counts
    X2, y2 = make(n=120, seed=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(n=120, seed=4)
    assert not np.array_equal(X, X3), "a different seed should give different points"
    assert not np.all(np.diff(y) >= 0), "points should come shuffled, not sorted by class"


@pytest.mark.parametrize("make", TOY, ids=lambda f: f.__name__)
def test_toy_sets_reject_too_few_points(make):
    with pytest.raises(ValueError, match="n=1"):
        make(n=1)


def test_linearly_separable_is_learned_perfectly_by_the_perceptron_rule():
    X, y = datasets.linearly_separable(n=200, seed=0)
    assert np.abs(X).max() <= 1.0
    Xb, target = np.hstack([X, np.ones((len(X), 1))]), 2 * y - 1
    w = np.zeros(3)
    for _ in range(1000):
        mistakes = 0
        for x_i, t_i in zip(Xb, target, strict=True):
            if t_i * (x_i @ w) <= 0:
                w += t_i * x_i
                mistakes += 1
        if mistakes == 0:
            break
    assert mistakes == 0, "the classes should be separable by a line"


def test_xor_truth_table_and_noisy_version():
    X, y = datasets.xor()
    assert X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]] and y.tolist() == [0, 1, 1, 0]
    Xn, yn = datasets.xor_blobs(n=400, seed=0)
    nearest_corner_label = (Xn[:, 0] > 0.5) ^ (Xn[:, 1] > 0.5)
    assert np.mean(nearest_corner_label == yn) > 0.98


def test_two_moons_and_spirals_geometry():
    X, y = datasets.two_moons(n=200, seed=0, noise=0.0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0, atol=1e-6)
    Xs, ys = datasets.spirals(n=301, classes=4, seed=0)
    assert _bincount(ys).tolist() == [76, 75, 75, 75]
    assert np.hypot(*Xs.T).max() <= 1.0 + 1e-6
    with pytest.raises(ValueError, match="classes >= 2"):
        datasets.spirals(classes=1)
