"""Build the pure-Python `tinytorch` wheel (py3-none-any) with the standard library only.

The wheel holds the top-level packages pyproject.toml lists (`tinytorch`, the framework, and
`tinytorch_course`, the course machinery), so the browser has both with no install.

Why not setuptools: `setup.py bdist_wheel` reuses a `build/lib` folder, so a module deleted from
`tinytorch/` would still ship in the wheel; and this must run with no network. Here the wheel holds
exactly what is in the package folder now (every file except caches), with fixed timestamps, so the
same tree always gives the same bytes (and the same sha256 in the Pyodide lock).
Name, version, Python requirement and dependencies come from `pyproject.toml`.
"""

from __future__ import annotations

from pathlib import Path

import tomllib
import wheel_files

SKIP_DIRS = {"__pycache__"}
SKIP_SUFFIXES = {".pyc", ".pyo"}


def package_files(package_dir: Path) -> list[Path]:
    """Every file of the package (sources and data sets), sorted, without caches."""
    return sorted(
        p
        for p in package_dir.rglob("*")
        if p.is_file() and p.suffix not in SKIP_SUFFIXES and not SKIP_DIRS & set(p.parts)
    )


def metadata(project: dict) -> str:
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}"]
    if "requires-python" in project:
        lines.append(f"Requires-Python: {project['requires-python']}")
    lines += [f"Requires-Dist: {d}" for d in project.get("dependencies", [])]
    if "description" in project:
        lines.append(f"Summary: {project['description']}")
    return "\n".join(lines) + "\n"


def top_level_packages(pyproject: dict) -> list[str]:
    """The top-level package names of `[tool.setuptools.packages.find] include` ("tinytorch", "tinytorch.*", ...)."""
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    return sorted({pattern.split(".")[0] for pattern in include if "*" not in pattern.split(".")[0]})


def build_wheel(repo: Path, out_dir: Path) -> Path:
    """Write `<out_dir>/tinytorch-<version>-py3-none-any.whl` from `repo` and return its path."""
    pyproject = tomllib.loads((repo / "pyproject.toml").read_text())
    project = pyproject["project"]
    name, version = project["name"], project["version"]
    packages = top_level_packages(pyproject)
    files = {}
    for package in packages:
        package_dir = repo / package
        if not (package_dir / "__init__.py").is_file():
            raise SystemExit(f"cannot build the wheel: {package_dir}/__init__.py does not exist")
        files |= {p.relative_to(repo).as_posix(): p.read_bytes() for p in package_files(package_dir)}
    dist_info = f"{name}-{version}.dist-info"
    files[f"{dist_info}/METADATA"] = metadata(project).encode()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: site/pure_wheel.py\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    files[f"{dist_info}/top_level.txt"] = "".join(f"{p}\n" for p in packages).encode()
    files[f"{dist_info}/RECORD"] = b""  # written by wheel_files.write

    out_dir.mkdir(parents=True, exist_ok=True)
    wheel = out_dir / f"{name}-{version}-py3-none-any.whl"
    wheel.write_bytes(wheel_files.write(files))
    return wheel
