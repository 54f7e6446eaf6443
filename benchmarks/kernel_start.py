"""Open a lesson -> first cell output, in headless Chromium, against its FLOOR measured in the same run.

    python -m benchmarks kernel_start [--runs 3] [--no-classroom]     (needs the built site first)

Contenders, interleaved run by run, each cold (a fresh browser context: empty HTTP cache and storage,
a first visit) then warm (the same context opening the page again):
- lesson @127.0.0.1: lesson 01 in the notebook app, a secure context (JupyterLite's service worker runs);
  when the kernel is idle a cell `import numpy, tinytorch; print(...)` is run, as a learner would;
- lesson @classroom.test: the same over plain HTTP by a non-localhost name (no service worker), as a
  learner in a classroom sees it (site/classroom.py);
- floor: a bare page (benchmarks/kernel_start_floor.html, copied into the served site for the run) that
  loads Pyodide from the same dist, numpy and tinytorch from the same lock, imports them and prints the
  same line: what a start cannot go below without changing Pyodide;
- floor+kernel: the same bare page loading every package the kernel preloads (jupyter-lite.json) and
  importing what the kernel imports at start (piplite.piplite, pyodide_kernel): the kernel's own Python
  cost without JupyterLite, so lesson - floor+kernel is JupyterLite's own share (app, worker, service
  worker, storage, messages);
- runtime only: the bare page loading Pyodide and printing sys.version (wasm fetch + compile, stdlib,
  Python init): the part of the floor no packaging choice changes;
- with --before DIR [DIR ...]: the lesson from other builds (e.g. main before a change), for before/after
  ratios (--lessons-only skips the floors; every other run goes in reverse order).

Every figure is the page's own clock (performance.now(), Resource Timing in the page and in the kernel's
worker, performance.mark in the floor page), in seconds from navigation start. Prints medians with
min-max, ratios to the floor, and a breakdown of where a lesson's seconds go. Not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from site_driver import (  # noqa: E402  (the browser tests' driver)
    SITE,
    Browser,
    classroom_browser,
    classroom_url,
    missing_prerequisites,
    notebook_url,
    serve,
)

LESSON = "lessons/01_tensor.ipynb"
FLOOR_PAGE = Path(__file__).with_name("kernel_start_floor.html")
FLOOR_DIR = "_kernel_start_bench"  # inside the served site, for the run only
FIRST_CELL = (
    "import numpy, tinytorch\n"
    "print(f'numpy {numpy.__version__}, tinytorch {tinytorch.__version__}, ' + str(tinytorch.tensor([1.0, 2.0]) * 2))"
)
APP_PHASE = "before Pyodide: JupyterLite app, contents, session, kernel worker"
KERNEL_IMPORTS = ["piplite.piplite", "pyodide_kernel"]  # what the kernel's worker imports at start
TIMEOUT_MS = 300_000

# In the lesson page: poll (50 ms) for the app, the notebook, the kernel and its idle status, then run
# FIRST_CELL at once and wait for its output. Times are performance.now() in ms from navigation start.
LESSON_TIMELINE = """async (code) => {
  const t = {};
  const busy = [];  // the page's main thread: long tasks (> 50 ms), [start, end] in ms
  new PerformanceObserver((l) => l.getEntries().forEach((e) => busy.push([e.startTime, e.startTime + e.duration])))
    .observe({ type: "longtask", buffered: true });
  const panel = () => window.jupyterapp?.shell?.currentWidget;
  const until = (cond) => new Promise((ok, no) => {
    const deadline = performance.now() + TIMEOUT_MS;
    const id = setInterval(() => {
      let v = false;
      try { v = cond(); } catch (e) { clearInterval(id); no(e); return; }
      if (v) { clearInterval(id); ok(); }
      else if (performance.now() > deadline) { clearInterval(id); no(new Error("timeout " + JSON.stringify(t))); }
    }, 50);
  });
  const stamp = async (name, cond) => { await until(cond); t[name] = t[name] ?? performance.now(); };
  await stamp("app", () => !!window.jupyterapp);
  await stamp("notebook", () => panel()?.context?.isReady && panel().content?.widgets?.length > 0);
  await stamp("kernel", () => !!panel().sessionContext?.session?.kernel);
  await stamp("idle", () => panel().sessionContext.session.kernel.status === "idle");
  const nb = panel().content;
  const index = nb.model.sharedModel.cells.length;
  nb.model.sharedModel.insertCell(index, { cell_type: "code", source: code });
  nb.activeCellIndex = index;
  nb.deselectAll();
  window.jupyterapp.commands.execute("notebook:run-cell");
  await stamp("output", () => nb.widgets[index]?.model?.outputs?.length > 0);
  const out = nb.widgets[index].model.outputs.toJSON();
  t.busy = busy;
  t.text = out.map((o) => [].concat(o.text ?? o.evalue ?? "").join("")).join("");
  return t;
}""".replace("TIMEOUT_MS", str(TIMEOUT_MS))

# resource entries + time origin of a page or worker (run in either scope)
RESOURCES = """() => ({
  origin: performance.timeOrigin,
  marks: performance.getEntriesByType("mark").map((m) => [m.name, m.startTime]),
  resources: performance.getEntriesByType("resource").map((r) => ({
    name: r.name, start: r.startTime, end: r.responseEnd, fetchStart: r.fetchStart,
    workerStart: r.workerStart, routed: r.workerMatchedSourceType ?? null,
    transfer: r.transferSize, encoded: r.encodedBodySize, decoded: r.decodedBodySize,
  })),
})"""


# ------------------------------------------------------------------------------------------------
# one start of each kind; every result is {phase: seconds, ...} plus "bytes"/"requests"/"sw" keys
# ------------------------------------------------------------------------------------------------
def kind_of(url: str) -> str:
    name = url.split("?")[0].rsplit("/", 1)[-1]
    if name.endswith(".wasm"):
        return "wasm"
    if name == "python_stdlib.zip":
        return "stdlib"
    if name.endswith((".whl", ".zip")):
        return "wheels"
    if name.startswith("pyodide") and name.endswith(("js", "json")):
        return "pyodide js+lock"
    if "/api/drive" in url:
        return "drive look-ups"
    if "/api/" in url or "/files/" in url:
        return "contents+settings"
    return "app"


def summarize_resources(scopes: list[dict], page_origin: float) -> dict:
    """Per kind of file: requests, transferred bytes (0 = from the HTTP cache), first start, last end
    (seconds from the page's navigation start); and how many requests passed the service worker."""
    out: dict = {}
    for scope in scopes:
        shift = scope["origin"] - page_origin
        for r in scope["resources"]:
            k = out.setdefault(kind_of(r["name"]), {"n": 0, "transfer": 0, "decoded": 0, "start": 1e12, "end": 0})
            k["n"] += 1
            k["transfer"] += r["transfer"]
            k["decoded"] += r["decoded"]
            k["start"] = min(k["start"], (r["start"] + shift) / 1000)
            k["end"] = max(k["end"], (r["end"] + shift) / 1000)
    # a request the service worker's fetch handler saw (not sent to the network by a static route)
    sw = sum(1 for s in scopes for r in s["resources"] if r["workerStart"] > 0 and r["routed"] != "network")
    return {"kinds": out, "sw_requests": sw}


def last_file(kinds: dict) -> float:
    """When the last of Pyodide's files (wasm, stdlib, wheels) arrived, in seconds from navigation."""
    return max(kinds[k]["end"] for k in ("wasm", "stdlib", "wheels") if k in kinds)


def lesson_start(page, base: str) -> dict:
    page.goto(url=notebook_url(base, LESSON))
    t = page.js(LESSON_TIMELINE, FIRST_CELL)
    if "tinytorch" not in t.get("text", ""):
        raise RuntimeError(f"the first cell did not print: {t.get('text')!r}")
    page_res = page.js(RESOURCES)
    worker_res = page.workerEvaluate(fn=RESOURCES)
    res = summarize_resources([page_res, worker_res], page_res["origin"])
    worker_at = (worker_res["origin"] - page_res["origin"]) / 1000
    s = {k: v / 1000 for k, v in t.items() if k not in ("text", "busy")}
    files_at = last_file(res["kinds"])

    def busy(start: float, end: float) -> float:  # seconds of main-thread long tasks within [start, end]
        return sum(max(0.0, min(b, end * 1000) - max(a, start * 1000)) for a, b in t["busy"]) / 1000

    # the early kernel's own marks (site/early_kernel.py), in seconds from the page's navigation start
    worker_marks = {name: worker_at + ms / 1000 for name, ms in worker_res["marks"]}
    return {
        "total": s["output"],
        "idle": s["idle"],
        "moments": {"the app has the kernel": s["kernel"], **worker_marks, "the kernel is idle": s["idle"]},
        # where the seconds go, in order; they add up to the total
        "phases": {
            APP_PHASE: worker_at,
            "Pyodide's files: wasm fetch+compile, stdlib, wheels (overlapped)": files_at - worker_at,
            "after the last file: unpack, Python init, kernel imports": s["idle"] - files_at,
            "first cell: import numpy, tinytorch, print": s["output"] - s["idle"],
        },
        "resources": res,
        # JupyterLite's main thread working while the kernel starts competes with it for the cores
        "main thread busy": {
            "before the worker": busy(0, worker_at),
            "while the kernel starts": busy(worker_at, s["idle"]),
        },
    }


def floor_start(page, base: str, packages: list[str], imports: list[str]) -> dict:
    page.goto(url=f"{base}/{FLOOR_DIR}/floor.html?packages={','.join(packages)}&imports={','.join(imports)}")
    page.wait_for("() => !!document.body.dataset.state", timeout_ms=TIMEOUT_MS, polling=100)
    if page.js("() => document.body.dataset.state") != "done":
        raise RuntimeError("floor page failed: " + page.js("() => document.querySelector('#out').textContent"))
    page_res = page.js(RESOURCES)
    marks = {name.removeprefix("floor:"): ms / 1000 for name, ms in page_res["marks"]}
    res = summarize_resources([page_res], page_res["origin"])
    files_at = last_file(res["kinds"])
    phases = {
        "before Pyodide: page, pyodide.mjs": marks["pyodide.mjs"],
        "Pyodide's files: wasm fetch+compile, stdlib, wheels (overlapped)": files_at - marks["pyodide.mjs"],
        "after the last file: unpack, Python init": marks["loadPyodide"] - files_at,
    }
    previous = marks["loadPyodide"]
    for module in imports:
        phases[f"import {module}"] = marks[f"import {module}"] - previous
        previous = marks[f"import {module}"]
    phases["import numpy, tinytorch, print" if packages else "print"] = marks["output"] - previous
    return {"total": marks["output"], "phases": phases, "resources": res}


# ------------------------------------------------------------------------------------------------
# the run
# ------------------------------------------------------------------------------------------------
def kernel_preloads() -> list[str]:
    config = json.loads((SITE / "jupyter-lite.json").read_text())["jupyter-config-data"]
    return config["litePluginSettings"]["@jupyterlite/pyodide-kernel-extension:kernel"]["loadPyodideOptions"][
        "packages"
    ]


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def fmt_range(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s ({min(values):.1f}-{max(values):.1f})"


def report(results: dict, runs: int):
    first = next(iter(results))
    reference = "floor" if "floor cold" in results else first.rsplit(" ", 1)[0]
    floor = {temp: results[f"{reference} {temp}"] for temp in ("cold", "warm")}
    print(f"\nopen -> first cell output (median of {runs}, min-max; ratio = median of per-run ratios to {reference})")
    for name, rows in results.items():
        temp = name.rsplit(" ", 1)[1]
        ratios = [r["total"] / f["total"] for r, f in zip(rows, floor[temp], strict=True)]
        extra = f"   kernel idle {fmt_range([r['idle'] for r in rows])}" if "idle" in rows[0] else ""
        print(f"  {name:28s} {fmt_range([r['total'] for r in rows])}  {statistics.median(ratios):5.2f}x{extra}")
    med = {name: statistics.median([r["total"] for r in rows]) for name, rows in results.items()}
    if "floor+kernel cold" in med:
        print("\n  what the lesson adds to the floor (medians; the kernel's share = floor+kernel - floor):")
    for temp in ("cold", "warm"):
        lesson = results.get(f"lesson @127.0.0.1 {temp}")
        if not lesson or f"floor+kernel {temp}" not in med:
            continue
        app = statistics.median([r["phases"][APP_PHASE] for r in lesson])
        kernel = med[f"floor+kernel {temp}"] - med[f"floor {temp}"]
        rest = med[f"lesson @127.0.0.1 {temp}"] - med[f"floor {temp}"] - app - kernel
        floor, runtime = med[f"floor {temp}"], med.get(f"runtime only {temp}", float("nan"))
        print(
            f"    {temp}: floor {floor:.2f} s (of which the Pyodide runtime alone {runtime:.2f} s)"
            f" + JupyterLite before the kernel worker {app:.2f} s + the kernel's packages and imports {kernel:.2f} s"
            f" + the rest {rest:.2f} s = lesson {med[f'lesson @127.0.0.1 {temp}']:.2f} s"
        )
    for name, rows in results.items():
        print(f"\n  {name}: where the seconds go (medians)")
        for phase in rows[0]["phases"]:
            print(f"    {phase:66s} {statistics.median([r['phases'][phase] for r in rows]):6.2f} s")
        if "moments" in rows[0]:
            moments = {m: statistics.median([r["moments"][m] for r in rows]) for m in rows[0]["moments"]}
            for moment, at in sorted(moments.items(), key=lambda kv: kv[1]):
                print(f"    (at {at:5.2f} s: {moment})")
        if "main thread busy" in rows[0]:
            for span in rows[0]["main thread busy"]:
                busy = statistics.median([r["main thread busy"][span] for r in rows])
                print(f"    {'(the page main thread busy in long tasks ' + span + ')':66s} {busy:6.2f} s")
        kinds = rows[0]["resources"]["kinds"]
        sw = statistics.median([r["resources"]["sw_requests"] for r in rows])
        print(f"    files (run 1): {'kind':18s} requests  transferred  decoded   from-to (s from open)")
        for kind, k in sorted(kinds.items(), key=lambda kv: kv[1]["start"]):
            print(
                f"    {'':15s}{kind:20s} {k['n']:6d} {k['transfer'] / 1e6:9.2f} MB {k['decoded'] / 1e6:7.2f} MB"
                f"  {k['start']:5.2f}-{k['end']:.2f}"
            )
        print(f"    requests through the service worker: {sw:.0f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-classroom", action="store_true", help="skip the plain-HTTP classroom host")
    parser.add_argument("--json", type=Path, help="also write every measurement here")
    parser.add_argument(
        "--before",
        type=Path,
        nargs="*",
        default=[],
        help="other built sites (e.g. before a change): the lesson from each is one more contender",
    )
    parser.add_argument("--settle", type=float, default=0.0, help="seconds between the cold and the warm start")
    parser.add_argument("--lessons-only", action="store_true", help="no floor pages (for a before/after run)")
    args = parser.parse_args(argv)
    reasons = missing_prerequisites()
    if reasons:
        sys.exit("kernel_start needs: " + "; ".join(reasons))
    floor_dir = SITE / FLOOR_DIR
    floor_dir.mkdir(exist_ok=True)
    shutil.copy2(FLOOR_PAGE, floor_dir / "floor.html")
    packages = kernel_preloads()
    results: dict = {}
    print(f"{SITE}; {load()} at start; kernel preloads {', '.join(packages)}", flush=True)
    try:
        with contextlib.ExitStack() as stack:
            base = stack.enter_context(serve(SITE))
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            local = Browser(Path(tmp) / "n1.json", Path(tmp) / "d1.log")
            browsers = [local]
            contenders = [("lesson @127.0.0.1", local, lambda p: lesson_start(p, base))]
            for other in args.before:
                url = stack.enter_context(serve(other.resolve()))
                contenders.append((f"{other.name}: lesson @127.0.0.1", local, partial(lesson_start, base=url)))
            if not args.lessons_only:
                contenders += [
                    ("floor", local, lambda p: floor_start(p, base, ["numpy", "tinytorch"], [])),
                    ("floor+kernel", local, lambda p: floor_start(p, base, packages, KERNEL_IMPORTS)),
                    ("runtime only", local, lambda p: floor_start(p, base, [], [])),
                ]
            if not args.no_classroom:
                room = classroom_browser(Path(tmp) / "n2.json", Path(tmp) / "d2.log")
                browsers.append(room)
                contenders.append(("lesson @classroom.test", room, lambda p: lesson_start(p, classroom_url(base))))
            try:
                for run in range(args.runs):
                    t0 = time.perf_counter()
                    # every other run in reverse order: no contender always follows the same one
                    for name, browser, start in contenders if run % 2 == 0 else contenders[::-1]:
                        page = browser.new_page()
                        try:
                            for temp in ("cold", "warm"):
                                results.setdefault(f"{name} {temp}", []).append(start(page))
                                if temp == "cold":
                                    time.sleep(args.settle)
                        finally:
                            page.close()
                    print(
                        f"run {run + 1}/{args.runs} ({time.perf_counter() - t0:.0f} s, {load()}): "
                        + ", ".join(f"{k} {v[-1]['total']:.1f}" for k, v in results.items()),
                        flush=True,
                    )
            finally:
                for browser in browsers:
                    browser.close()
    finally:
        shutil.rmtree(floor_dir, ignore_errors=True)
    report(results, args.runs)
    print(f"\n{load()} at the end")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
