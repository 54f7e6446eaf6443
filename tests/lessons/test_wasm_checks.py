"""The check library and the lessons' checks under Pyodide (the browser's Python), in Node, offline.

1. tests/lessons/test_check_library.py and test_lesson_cases.py run inside Pyodide (inner pytest);
2. each lesson's notebooks run cell by cell inside Pyodide, the way the browser kernel runs them
   (cells registered in linecache as IPython does, so `inspect.getsource` finds the learner's code):
   the reference's checks all pass and its pieces are saved; the learner's all fail with messages.
Uses what `make site` builds (site/_output/static/pyodide, .cache/pyodide-wheels) via
site/run_in_pyodide.mjs.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.wasm

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "site" / "_output" / "static" / "pyodide"
WHEELS = REPO / ".cache" / "pyodide-wheels"

INNER = r"""
import json, linecache, os, sys
os.chdir("/repo")
sys.path.insert(0, "/repo")
sys.dont_write_bytecode = True
os.environ["TINYTORCH_WORK"] = "/tmp/work"
os.environ["TINYTORCH_PROGRESS"] = "/tmp/progress.json"
import pytest
rc = int(pytest.main(["-p", "no:cacheprovider", "-q", "-x", "tests/lessons/test_check_library.py",
                      "tests/lessons/test_lesson_cases.py"]))
report = {"pytest": rc, "notebooks": {}}
for name, cells in json.loads(NOTEBOOKS).items():
    log = f"/tmp/{name}.jsonl"
    os.environ["TINYTORCH_CHECK_LOG"] = log
    os.environ["TINYTORCH_WORK"] = f"/tmp/work-{name}"
    for key in [k for k in sys.modules if k.startswith("tinytorch")]:
        del sys.modules[key]          # a fresh kernel per notebook
    namespace = {"__name__": "__main__"}
    error = None
    for i, source in enumerate(cells):
        filename = f"<cell-{name}-{i}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        try:
            exec(compile(source, filename, "exec"), namespace)
        except Exception as err:
            error = f"cell {i}: {type(err).__name__}: {err}"
            break
    records = [json.loads(l) for l in open(log)] if os.path.exists(log) else []
    latest = {(r["piece"], r["case"]): r for r in records}
    saved = os.listdir(f"/tmp/work-{name}") if os.path.isdir(f"/tmp/work-{name}") else []
    report["notebooks"][name] = {"error": error, "cases": len(latest),
                                 "passed": sum(r["passed"] for r in latest.values()),
                                 "silent": sum(not r["message"] and not r["passed"] for r in latest.values()),
                                 "saved": saved}
print("WASM_CHECKS " + json.dumps(report))
0
"""


def _code_cells(nb) -> list:
    # IPython-only syntax is not used in lessons; a trailing bare expression is just evaluated
    return [c.source for c in nb.cells if c.cell_type == "code"]


def test_checks_run_in_pyodide(tmp_path, capsys):
    if not (DIST / "pyodide-lock.json").is_file():
        pytest.fail(f"{DIST} is missing: build the site first (`make site`)")
    wheels = [next(iter(sorted(WHEELS.glob(f"{n}-*.whl"))), None) for n in ("pytest", "pluggy", "iniconfig")]
    if None in wheels or shutil.which("node") is None:
        pytest.fail("node or the Pyodide pytest wheels are missing: run `make site`")
    from tinytorch_course.checks import load_pieces
    from tools.build_notebooks import build_lesson, lesson_sources

    notebooks, expected = {}, {}
    for path in lesson_sources(REPO):
        learner, reference = build_lesson(path)
        notebooks[f"{path.stem}-reference"] = _code_cells(reference)
        notebooks[f"{path.stem}-learner"] = _code_cells(learner)
        expected[path.stem] = sum(len(p.build_cases()) for p in load_pieces(path.stem))
    code = f"NOTEBOOKS = {json.dumps(json.dumps(notebooks))}\n" + INNER
    job = {
        "dist": str(DIST),
        "packages": ["numpy", "matplotlib", "micropip", "packaging"],  # the lessons draw figures
        "wheels": [str(w) for w in wheels],
        "mounts": {"/repo": str(REPO)},
        "code": code,
    }
    (tmp_path / "job.json").write_text(json.dumps(job))
    prefix = (
        ["unshare", "-n"]
        if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0
        else []
    )
    result = subprocess.run(
        prefix + ["node", "--experimental-wasm-stack-switching", "site/run_in_pyodide.mjs", str(tmp_path / "job.json")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    marker = next((row for row in result.stdout.splitlines() if row.startswith("WASM_CHECKS ")), None)
    with capsys.disabled():
        print(f"\n[pyodide checks] {marker}\n{result.stderr.strip()[-1500:]}")
    assert marker, f"did not finish:\n{result.stdout[-4000:]}\n{result.stderr[-3000:]}"
    report = json.loads(marker.removeprefix("WASM_CHECKS "))
    assert report["pytest"] == 0, f"check library tests fail under Pyodide:\n{result.stdout[-6000:]}"
    for stem, total in expected.items():
        ref, learner = report["notebooks"][f"{stem}-reference"], report["notebooks"][f"{stem}-learner"]
        assert ref["error"] is None and learner["error"] is None, (ref, learner)
        assert ref["cases"] == total and ref["passed"] == total, f"{stem} reference under Pyodide: {ref}"
        assert ref["saved"] == [f"{stem}.py"], f"{stem}: the passing pieces were not saved under Pyodide: {ref}"
        assert learner["cases"] == total and learner["passed"] == 0 and learner["silent"] == 0, learner
