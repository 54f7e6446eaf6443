"""Read the data files shipped inside this package (never the network, never a path outside the package)."""

from __future__ import annotations

import bz2
import functools
import io
from importlib import resources

import numpy as np

DATA_PACKAGE = "tinytorch.datasets"
DATA_DIR = "data"


def read_packaged(name: str) -> bytes:
    """The decompressed bytes of `data/<name>.bz2`, read through importlib.resources (works in a wheel
    and in Pyodide)."""
    path = resources.files(DATA_PACKAGE) / DATA_DIR / f"{name}.bz2"
    try:
        compressed = path.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"tinytorch's packaged data file {DATA_DIR}/{name}.bz2 is missing from {path}; "
            "the installation is incomplete: reinstall tinytorch (the file ships inside the wheel)."
        ) from None
    return bz2.decompress(compressed)


@functools.cache
def load_arrays(name: str) -> dict[str, np.ndarray]:
    """The arrays of a packaged `.npz` (cached: decompressing MNIST takes a moment in the browser).

    Callers must not modify the returned arrays in place; they derive new arrays from them.
    """
    with np.load(io.BytesIO(read_packaged(name)), allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files}
    for array in arrays.values():
        array.flags.writeable = False  # a shared cache: accidental in-place edits raise instead of leaking
    return arrays


@functools.cache
def load_text(name: str) -> str:
    """A packaged UTF-8 text file as one string (cached)."""
    return read_packaged(name).decode("utf-8")
