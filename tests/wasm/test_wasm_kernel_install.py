"""site/kernel_install.py inside Pyodide, on every wheel the site ships: the same files as Pyodide's own
unpacker (shutil's), and once in place it is what Pyodide's package loader uses (the kernel's worker puts
it there before its packages load: site/early_kernel.py); invalidate_caches() then keeps the standard
library zip's listing and still sees a folder's new module."""

import json

import pytest

pytestmark = pytest.mark.wasm

CODE = """
import json, shutil, sys, time
from pathlib import Path
sys.path.insert(0, "/site")
import kernel_install

def tree(folder):
    return {p.relative_to(folder).as_posix(): (None if p.is_dir() else p.read_bytes()) for p in folder.rglob("*")}

different, seconds = [], {"shutil": 0.0, "kernel_install": 0.0}
wheels = sorted(Path("/dist").glob("*.whl"))
for wheel in wheels:
    out = {}
    for name, unpack in (("shutil", shutil._unpack_zipfile), ("kernel_install", kernel_install.unpack_wheel)):
        folder = Path("/tmp/unpacked") / name / wheel.stem
        start = time.perf_counter()
        unpack(str(wheel), str(folder))
        seconds[name] += time.perf_counter() - start
        out[name] = tree(folder)
        shutil.rmtree(folder)
    if out["shutil"] != out["kernel_install"]:
        different.append(wheel.name)

calls = []
def counted(filename, extract_dir, **kwargs):
    calls.append(Path(filename).name)
    return kernel_install.unpack_wheel(filename, extract_dir, **kwargs)
kernel_install.use()
registered = shutil._UNPACK_FORMATS["whl"][1] is kernel_install.unpack_wheel  # in place of shutil's
shutil.unregister_unpack_format("whl")
shutil.register_unpack_format("whl", [".whl", ".wheel"], counted)
import importlib, os, zipimport
stdlib_importers = [f for f in sys.path_importer_cache.values() if isinstance(f, zipimport.zipimporter)]
listings = [f._files for f in stdlib_importers]
start = time.perf_counter()
importlib.invalidate_caches()
seconds["invalidate_caches"] = time.perf_counter() - start
kept = len(stdlib_importers) > 5 and all(f._files is old for f, old in zip(stdlib_importers, listings))
os.makedirs("/tmp/late")  # a folder's new module is still found after invalidate_caches()
sys.path.append("/tmp/late")
Path("/tmp/late/late_module.py").write_text("x = 42")
importlib.invalidate_caches()
import late_module
import pyodide_js
await pyodide_js.loadPackage("jedi", messageCallback=lambda message: None)
import jedi
completions = [c.name for c in jedi.Script("import json; json.dum").complete()]
print("RESULT", json.dumps({
    "wheels": len(wheels), "different": different, "seconds": seconds,
    "registered": registered, "stdlib zip listing kept": kept, "late module": late_module.x,
    "unpacked by it": calls, "completions": completions,
}))
0
"""


def test_unpacks_every_shipped_wheel_as_pyodide_does_and_pyodide_then_uses_it(run_in_pyodide, pyodide_dist, repo_root):
    result = run_in_pyodide(CODE, mounts={"/dist": str(pyodide_dist), "/site": str(repo_root / "site")}, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    got = json.loads(line.removeprefix("RESULT "))
    assert got["wheels"] >= 30 and got["different"] == []
    assert got["registered"] is True
    # the standard library's zip is not listed again on invalidate_caches(); folders are
    assert got["stdlib zip listing kept"] is True and got["late module"] == 42
    # jedi and parso, its dependency: Pyodide's loader went through the registered unpacker
    # (each through a temporary file named tmp<random><wheel name>)
    unpacked = sorted(next((p for p in ("jedi-", "parso-") if p in name), name) for name in got["unpacked by it"])
    assert unpacked == ["jedi-", "parso-"], got["unpacked by it"]
    assert got["completions"] == ["dump", "dumps"]
    shutil_s, ours_s = got["seconds"]["shutil"], got["seconds"]["kernel_install"]
    print(f"unpacking {got['wheels']} wheels in Pyodide: shutil {shutil_s:.2f} s, kernel_install {ours_s:.2f} s")
    invalidate_s = got["seconds"]["invalidate_caches"]
    print(f"importlib.invalidate_caches() with the stdlib zip's listing kept: {invalidate_s:.3f} s")
