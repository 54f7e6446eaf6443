"""site/blas_wheel.py: the tinytorch-blas wheel carries SciPy's _fblas byte for byte, or the build stops.

Built here from a small stand-in for the official SciPy wheel (same layout); the real wheel goes through
the same function in `make site`, and tests/wasm/test_wasm_backend.py runs the result in Pyodide.
"""

from __future__ import annotations

import hashlib
import io
import zipfile

import blas_wheel
import pytest
import wheel_files

SCIPY = "scipy-1.14.1-cp312-cp312-pyodide_2024_0_wasm32.whl"
FBLAS = "scipy/linalg/_fblas.cpython-312-wasm32-emscripten.so"


def scipy_like_wheel(fblas: bytes = b"\0asm fblas", record_of_fblas: bytes | None = None) -> bytes:
    files = {
        "scipy/__init__.py": b"",
        FBLAS: fblas,
        "scipy/linalg/_flapack.cpython-312-wasm32-emscripten.so": b"\0asm flapack",
        "scipy-1.14.1.dist-info/LICENSE.txt": b"Copyright (c) SciPy Developers. BSD-3-Clause",
        "scipy-1.14.1.dist-info/RECORD": b"",
    }
    wheel = wheel_files.write(files)
    if record_of_fblas is None:
        return wheel
    # the same wheel, but the RECORD lists other bytes for _fblas (a corrupted or swapped file)
    files = wheel_files.read(wheel)
    record = files["scipy-1.14.1.dist-info/RECORD"].decode()
    wrong = wheel_files.record_line(FBLAS, record_of_fblas)
    files["scipy-1.14.1.dist-info/RECORD"] = "\n".join(
        wrong if line.startswith(FBLAS + ",") else line for line in record.splitlines()
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for name, data in files.items():
            out.writestr(name, data)
    return buffer.getvalue()


def test_the_wheel_holds_fblas_unchanged_and_scipys_license():
    name, data = blas_wheel.build(scipy_like_wheel(), SCIPY)
    assert name == "tinytorch_blas-1.14.1-cp312-cp312-pyodide_2024_0_wasm32.whl"
    files = wheel_files.read(data)
    assert files["tinytorch_blas/_fblas.cpython-312-wasm32-emscripten.so"] == b"\0asm fblas"
    assert not any("flapack" in n for n in files), "only _fblas belongs in it"
    assert b"BSD-3-Clause" in files["tinytorch_blas-1.14.1.dist-info/LICENSE.txt"]
    assert b"Name: tinytorch-blas" in files["tinytorch_blas-1.14.1.dist-info/METADATA"]
    record = files["tinytorch_blas-1.14.1.dist-info/RECORD"].decode().splitlines()
    assert {line.split(",")[0] for line in record} == set(files), "RECORD lists every file"
    for line in record[:-1]:
        arcname = line.split(",")[0]
        assert line == wheel_files.record_line(arcname, files[arcname])
    assert blas_wheel.build(scipy_like_wheel(), SCIPY)[1] == data, "the same input gives the same bytes"


def test_lock_entry_depends_on_the_official_openblas():
    name, data = blas_wheel.build(scipy_like_wheel(), SCIPY)
    entry = blas_wheel.lock_entry(name, data)
    assert entry["name"] == "tinytorch-blas" and entry["imports"] == ["tinytorch_blas"]
    assert set(entry["depends"]) == {"numpy", "openblas"}
    assert entry["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_fblas_that_does_not_match_the_scipy_record_stops_the_build():
    with pytest.raises(SystemExit, match="does not match its RECORD"):
        blas_wheel.build(scipy_like_wheel(record_of_fblas=b"other bytes"), SCIPY)


def test_a_scipy_wheel_without_fblas_stops_the_build():
    files = wheel_files.read(scipy_like_wheel())
    del files[FBLAS]
    with pytest.raises(SystemExit, match="has no scipy/linalg/_fblas"):
        blas_wheel.build(wheel_files.write(files), SCIPY)
