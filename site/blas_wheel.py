"""The `tinytorch-blas` wheel: SciPy's `_fblas` extension alone, taken unchanged from the official wheel.

Why: tinytorch.backend needs one SciPy module in the page, `scipy.linalg._fblas` (sgemm/dgemm, 0.5 MB of
WebAssembly). Loading the official SciPy wheel for it unpacks 13.5 MB and compiles all 110 of SciPy's
extension modules (32.6 MB): 2.3-2.4 s in Pyodide under Node before the first product, where loading
OpenBLAS takes 0.24 s and importing `_fblas` 0.3 s. This wheel carries that one file, byte for byte
from the official wheel whose sha256 the build has already checked against Pyodide's lock (the
package's own RECORD hash of the file is checked again here), plus SciPy's license. It depends on
the official `openblas` entry, like SciPy itself. The full SciPy wheel still ships for notebooks
that `import scipy`, and tinytorch.backend falls back to it where this wheel is missing.
"""

from __future__ import annotations

import hashlib

import wheel_files

NAME = "tinytorch_blas"
SOURCE = "scipy/linalg/_fblas."  # + cpython-312-wasm32-emscripten.so


def build(scipy_wheel: bytes, scipy_file_name: str) -> tuple[str, bytes]:
    """(file name, bytes) of the tinytorch-blas wheel made from the official SciPy wheel's bytes."""
    files = wheel_files.read(scipy_wheel)
    dist_info = next(n.split("/")[0] for n in files if n.endswith(".dist-info/RECORD"))
    extension = next((n for n in files if n.startswith(SOURCE) and n.endswith(".so")), None)
    if extension is None:
        raise SystemExit(f"{scipy_file_name} has no {SOURCE}*.so: has Pyodide's SciPy build changed?")
    _check_record(files, f"{dist_info}/RECORD", extension)
    version, tags = scipy_file_name.removesuffix(".whl").split("-", 2)[1:]
    ours = f"{NAME}-{version}.dist-info"
    out = {
        f"{NAME}/__init__.py": f'"""SciPy {version}: _fblas alone, for tinytorch.backend."""\n'.encode(),
        f"{NAME}/{extension.rsplit('/', 1)[1]}": files[extension],
        f"{ours}/LICENSE.txt": files[f"{dist_info}/LICENSE.txt"],
        f"{ours}/METADATA": (
            f"Metadata-Version: 2.1\nName: tinytorch-blas\nVersion: {version}\n"
            f"Summary: scipy.linalg._fblas from SciPy {version}'s official Pyodide wheel, alone\n"
            "License: BSD-3-Clause (SciPy's, see LICENSE.txt)\nRequires-Dist: numpy\n"
        ).encode(),
        f"{ours}/WHEEL": (
            f"Wheel-Version: 1.0\nGenerator: site/blas_wheel.py\nRoot-Is-Purelib: false\nTag: {tags}\n"
        ).encode(),
        f"{ours}/RECORD": b"",
    }
    return f"{NAME}-{version}-{tags}.whl", wheel_files.write(out)


def lock_entry(file_name: str, data: bytes) -> dict:
    version = file_name.split("-")[1]
    return {
        "name": "tinytorch-blas",
        "version": version,
        "file_name": file_name,
        "install_dir": "site",
        "sha256": hashlib.sha256(data).hexdigest(),
        "package_type": "package",
        "imports": [NAME],
        "depends": ["numpy", "openblas"],
        "unvendored_tests": False,
        "shared_library": False,
    }


def _check_record(files: dict[str, bytes], record: str, name: str) -> None:
    """The file's bytes must match the hash the official wheel's own RECORD gives for it."""
    line = next((ln for ln in files[record].decode().splitlines() if ln.startswith(name + ",")), None)
    expected = line.split(",")[1] if line else None
    digest = wheel_files.record_line(name, files[name]).split(",")[1]
    if expected != digest:
        raise SystemExit(f"{name} does not match its RECORD entry in the SciPy wheel ({expected} vs {digest})")
