"""The browser-mode milestone runs in Pyodide (under Node, from the built site's dist: needs `make site`)
with each matmul backend, one fresh Pyodide per run: wall time of the whole script and its printed
results, so the same run shows what the BLAS backend buys (finish sooner, same results).

    python -m benchmarks milestones_page [1998_cnn 2017_transformer ...]
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .backend_bench import DIST, REPO

MILESTONES = ("1998_cnn", "2017_transformer", "2018_mlperf")

CODE = """
import os, runpy, sys, time
os.chdir("/repo")
sys.path.insert(0, "/repo")
sys.dont_write_bytecode = True
os.environ["TINYTORCH_MODE"] = "browser"
os.environ["TINYTORCH_WORK"] = "/tmp/work"
os.environ["TINYTORCH_PROGRESS"] = "/tmp/progress.json"
import matplotlib
matplotlib.use("agg")
from tinytorch import backend
backend.use("{backend}")
start = time.perf_counter()
runpy.run_path("milestones/{name}.py", run_name="__main__")
print(f"MILESTONE_SECONDS {{time.perf_counter() - start:.1f}} {{backend.which()}}")
0
"""


# the page as a learner gets it: tinytorch imported inside the timed run, the backend left to decide
AUTOMATIC = CODE.replace('from tinytorch import backend\nbackend.use("{backend}")\n', "").replace(
    "{{backend.which()}}", '{{sys.modules["tinytorch.backend"].which()}}'
)
# a tree from before tinytorch.backend existed
EARLIER = AUTOMATIC.replace(' {{sys.modules["tinytorch.backend"].which()}}', "")


def run(name: str, backend: str, code: str = CODE, repo: Path = REPO) -> tuple[float | None, str]:
    job = REPO / ".cache" / f"milestone-{name}-{backend}.json"
    job.parent.mkdir(parents=True, exist_ok=True)
    code = code.format(name=name, backend=backend)
    spec = {"dist": str(DIST), "packages": ["numpy", "matplotlib"], "mounts": {"/repo": str(repo)}, "code": code}
    job.write_text(json.dumps(spec))
    node = ["node", "--experimental-wasm-stack-switching", str(REPO / "site" / "run_in_pyodide.mjs"), str(job)]
    proc = subprocess.run(node, cwd=REPO, capture_output=True, text=True)
    match = re.search(r"MILESTONE_SECONDS ([0-9.]+)", proc.stdout)
    targets = [ln for ln in proc.stdout.splitlines() if ln.startswith(("✓", "✗"))]  # the milestones' target marks
    if match is None:
        return None, f"failed (exit {proc.returncode}): {proc.stderr[-500:]}"
    return float(match.group(1)), "; ".join(targets)


def checkout(rev: str) -> Path:
    """An earlier commit's tree in .cache/against-REV (made once; the dist stays this tree's)."""
    tree = REPO / ".cache" / f"against-{rev}"
    if not tree.is_dir():
        subprocess.run(["git", "worktree", "add", "--detach", str(tree), rev], cwd=REPO, check=True)
    return tree


def against(rev: str, names: list[str], rounds: int) -> None:
    tree = checkout(rev)
    print(f"browser-mode milestones in Pyodide under Node, seconds of the whole script: {rev} vs this tree")
    for name in names:
        times = {rev: [], "now": []}
        for _ in range(rounds):
            for label, code, repo in ((rev, EARLIER, tree), ("now", AUTOMATIC, REPO)):
                seconds, targets = run(name, label, code, repo)
                if seconds is None:
                    sys.exit(f"{name} on {label}: {targets}")
                times[label].append(seconds)
                print(f"  {name:18s} {label:8s} {seconds:7.1f} s   {targets}", flush=True)
        before, now = statistics.median(times[rev]), statistics.median(times["now"])
        print(f"  {name:18s} medians {rev} {before:.1f} s, now {now:.1f} s: {before / now:.2f}x faster")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=list(MILESTONES))
    parser.add_argument("--against", metavar="REV", help="an earlier commit to time against this tree")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:])
    names = args.names
    if not (DIST / "pyodide-lock.json").is_file():
        print(f"(skipped: {DIST} is missing, run `make site`)")
        return
    if args.against:
        against(args.against, names, args.rounds)
        return
    print("browser-mode milestones in Pyodide under Node, seconds of the whole script, by matmul backend")
    for name in names:
        t0 = time.perf_counter()
        results = {backend: run(name, backend) for backend in ("numpy", "blas")}
        (t_np, targets_np), (t_blas, targets_blas) = results["numpy"], results["blas"]
        if t_np and t_blas:
            print(f"  {name:18s} numpy {t_np:7.1f} s   blas {t_blas:7.1f} s   speed-up {t_np / t_blas:5.2f}x")
        else:
            print(f"  {name:18s} numpy {t_np} / blas {t_blas}")
        print(f"    numpy: {targets_np}\n    blas:  {targets_blas}\n    ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
