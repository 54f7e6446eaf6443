"""site/kernel_unpack.py inside Pyodide, on every wheel the site ships: the same files as Pyodide's own
unpacker (shutil's), and once in place it is what Pyodide's package loader uses (the kernel's worker puts
it there before its packages load: site/early_kernel.py)."""

import json

import pytest

pytestmark = pytest.mark.wasm

CODE = """
import json, shutil, sys, time
from pathlib import Path
sys.path.insert(0, "/site")
import kernel_unpack

def tree(folder):
    return {p.relative_to(folder).as_posix(): (None if p.is_dir() else p.read_bytes()) for p in folder.rglob("*")}

different, seconds = [], {"shutil": 0.0, "kernel_unpack": 0.0}
wheels = sorted(Path("/dist").glob("*.whl"))
for wheel in wheels:
    out = {}
    for name, unpack in (("shutil", shutil._unpack_zipfile), ("kernel_unpack", kernel_unpack.unpack_wheel)):
        folder = Path("/tmp/unpacked") / name / wheel.stem
        start = time.perf_counter()
        unpack(str(wheel), str(folder))
        seconds[name] += time.perf_counter() - start
        out[name] = tree(folder)
        shutil.rmtree(folder)
    if out["shutil"] != out["kernel_unpack"]:
        different.append(wheel.name)

calls = []
def counted(filename, extract_dir, **kwargs):
    calls.append(Path(filename).name)
    return kernel_unpack.unpack_wheel(filename, extract_dir, **kwargs)
kernel_unpack.use()
registered = shutil._UNPACK_FORMATS["whl"][1] is kernel_unpack.unpack_wheel  # in place of shutil's
shutil.unregister_unpack_format("whl")
shutil.register_unpack_format("whl", [".whl", ".wheel"], counted)
import pyodide_js
await pyodide_js.loadPackage("jedi", messageCallback=lambda message: None)
import jedi
completions = [c.name for c in jedi.Script("import json; json.dum").complete()]
print("RESULT", json.dumps({
    "wheels": len(wheels), "different": different, "seconds": seconds,
    "registered": registered, "unpacked by it": calls, "completions": completions,
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
    # jedi and parso, its dependency: Pyodide's loader went through the registered unpacker
    # (each through a temporary file named tmp<random><wheel name>)
    unpacked = sorted(next((p for p in ("jedi-", "parso-") if p in name), name) for name in got["unpacked by it"])
    assert unpacked == ["jedi-", "parso-"], got["unpacked by it"]
    assert got["completions"] == ["dump", "dumps"]
    shutil_s, ours_s = got["seconds"]["shutil"], got["seconds"]["kernel_unpack"]
    print(f"unpacking {got['wheels']} wheels in Pyodide: shutil {shutil_s:.2f} s, kernel_unpack {ours_s:.2f} s")
