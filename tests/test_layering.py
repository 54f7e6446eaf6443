"""The layering rule of docs/ARCHITECTURE.md, checked on the source (ast, nothing imported).

- `tinytorch` is the framework and never imports `tinytorch_course` (the course machinery) nor the
  repository's tools, tests, site, lessons or milestones;
- inside each package, an area imports only the areas the table `ALLOWED` names (the table in
  docs/ARCHITECTURE.md, "Layering");
- no import cycles between modules, function-local imports included.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("tinytorch", "tinytorch_course")
REPO_ONLY = ("tools", "tests", "site", "benchmarks", "lessons", "milestones")

# area -> the other areas it may import (an area always may import itself)
FRAMEWORK_CORE = {"tinytorch.tensor", "tinytorch.hooks", "tinytorch.backend"}
ALLOWED = {
    # the package's own __init__ (torch's top-level names: functions, devices, save/load)
    "tinytorch": {
        "tinytorch.tensor",
        "tinytorch._moved",
        "tinytorch.functions",
        "tinytorch.device",
        "tinytorch.serialization",
        "tinytorch.memory",
    },
    "tinytorch._moved": set(),
    "tinytorch.memory": set(),  # glibc's malloc keeps freed memory: standard library only
    "tinytorch.hooks": set(),  # the hook registries the core calls
    "tinytorch.backend": set(),  # which engine multiplies matrices: NumPy only
    # Tensor = core + two mixins; its products go through the backend; it calls the op hooks
    "tinytorch.tensor": {"tinytorch.backend", "tinytorch.tensor_inplace", "tinytorch.tensor_torch", "tinytorch.hooks"},
    "tinytorch.tensor_inplace": set(),
    "tinytorch.tensor_torch": {"tinytorch.device"},
    "tinytorch.device": set(),
    "tinytorch.serialization": set(),
    "tinytorch.functions": FRAMEWORK_CORE,
    "tinytorch.autograd": FRAMEWORK_CORE,
    "tinytorch.nn": FRAMEWORK_CORE | {"tinytorch.autograd", "tinytorch.device"},
    "tinytorch.optim": FRAMEWORK_CORE | {"tinytorch.nn"},
    "tinytorch.data": FRAMEWORK_CORE,
    "tinytorch.utils": FRAMEWORK_CORE | {"tinytorch.data"},  # torch.utils.data's path to lesson 08's data
    "tinytorch.datasets": FRAMEWORK_CORE,
    "tinytorch.text": FRAMEWORK_CORE,
    "tinytorch.viz": FRAMEWORK_CORE,
    "tinytorch.training": FRAMEWORK_CORE | {"tinytorch.autograd", "tinytorch.nn", "tinytorch.optim", "tinytorch.data"},
    "tinytorch.systems": {
        "tinytorch.tensor",
        "tinytorch.hooks",
        "tinytorch.backend",
        "tinytorch.autograd",
        "tinytorch.nn",
        "tinytorch.optim",
        "tinytorch.data",
        "tinytorch.datasets",
        "tinytorch.text",
        "tinytorch.training",
        "tinytorch.viz",
    },
}
COURSE_BASE = {a for a in ALLOWED if a != "tinytorch._moved"}  # the course may use all of the framework
ALLOWED |= {
    "tinytorch_course": set(),
    "tinytorch_course.registry": set(),
    "tinytorch_course.timing": set(),
    "tinytorch_course.milestone_gates": set(),
    "tinytorch_course.browser_db": set(),
    "tinytorch_course.progress": {"tinytorch_course.registry", "tinytorch_course.browser_db"},
    "tinytorch_course.checks": COURSE_BASE
    | {"tinytorch_course.registry", "tinytorch_course.progress", "tinytorch_course.browser_db"},
    "tinytorch_course.milestone": COURSE_BASE
    | {"tinytorch_course", "tinytorch_course.registry", "tinytorch_course.progress", "tinytorch_course.checks"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def source_modules() -> dict:
    """module name -> path, for every .py file of both packages."""
    return {module_name(p): p for pkg in PACKAGES for p in sorted((REPO / pkg).rglob("*.py"))}


MODULES = source_modules()


def imports_of(name: str, path: Path) -> set:
    """The modules `name` imports (absolute names; `from . import x` is the submodule x when it is one)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if sub in MODULES else module)
    return found


GRAPH = {name: imports_of(name, path) for name, path in MODULES.items()}


def area(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def test_every_area_is_in_the_table():
    unknown = sorted({area(m) for m in MODULES} - set(ALLOWED))
    assert not unknown, f"add these areas to ALLOWED and to docs/ARCHITECTURE.md's layering table: {unknown}"


def test_the_framework_never_imports_the_course_or_the_repository():
    bad = [
        f"{m} imports {target}"
        for m, targets in GRAPH.items()
        if m.split(".")[0] == "tinytorch"
        for target in targets
        if target.split(".")[0] in ("tinytorch_course", *REPO_ONLY)
    ]
    assert not bad, "tinytorch is the framework; it must not import the course or the repository:\n" + "\n".join(bad)


def test_the_course_never_imports_the_repository():
    bad = [
        f"{m} imports {t}"
        for m, ts in GRAPH.items()
        for t in ts
        if m.startswith("tinytorch_course") and t.split(".")[0] in REPO_ONLY
    ]
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_layering_table(module):
    mine = area(module)
    bad = sorted(
        t
        for t in GRAPH[module]
        if t.split(".")[0] in PACKAGES and area(t) != mine and area(t) not in ALLOWED.get(mine, set())
    )
    assert not bad, (
        f"{module} (area {mine}) imports {bad}; {mine} may import only {sorted(ALLOWED.get(mine, set()))} "
        "(docs/ARCHITECTURE.md, Layering): move the code down a layer or pass what it needs in"
    )


def test_no_import_cycles():
    """Tarjan's strongly connected components over the module graph: every component has one module."""
    index, low, stack, on_stack, cycles = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH.get(v, ()):
            if w not in MODULES:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in GRAPH.get(v, ()):
                cycles.append(sorted(component))

    for v in sorted(MODULES):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles (each list imports itself round the loop): {cycles}"


def test_the_checker_sees_a_cycle_and_an_upward_import(tmp_path, monkeypatch):
    """The two checks above are not vacuous: a planted cycle and a planted upward import are found."""
    monkeypatch.setitem(GRAPH, "tinytorch.nn.utils", GRAPH["tinytorch.nn.utils"] | {"tinytorch.training"})
    with pytest.raises(AssertionError, match=r"imports \['tinytorch.training'\]"):
        test_imports_follow_the_layering_table("tinytorch.nn.utils")
    with pytest.raises(AssertionError, match="import cycles"):
        test_no_import_cycles()
    monkeypatch.setitem(GRAPH, "tinytorch.viz", GRAPH["tinytorch.viz"] | {"tinytorch_course.checks"})
    with pytest.raises(AssertionError, match="must not import the course"):
        test_the_framework_never_imports_the_course_or_the_repository()
