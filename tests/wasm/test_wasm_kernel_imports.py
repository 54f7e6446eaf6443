"""The kernel's Python as the site ships it (site/lazy_embed.py): `import pyodide_kernel`, what every kernel
start runs, leaves IPython's terminal unloaded, and what IPython re-exports still works at first use."""

import json

import pytest

pytestmark = pytest.mark.wasm

KERNEL_PACKAGES = ["micropip", "piplite", "sqlite3", "ipykernel", "comm", "pyodide_kernel", "ipython"]
CODE = """
import json, sys
import pyodide_kernel
at_start = sorted(m for m in ("prompt_toolkit", "IPython.terminal.embed", "IPython.terminal.interactiveshell")
                  if m in sys.modules)
shell = pyodide_kernel.kernel_instance.interpreter
result = shell.run_cell("1 / 0", store_history=False)  # a learner's error, formatted by IPython's ultratb
import IPython
from IPython import embed
sys.stdout = sys.__stdout__  # the kernel's import redirected it to the page's output
print("RESULT", json.dumps({
    "at_start": at_start,
    "error": type(result.error_in_exec).__name__,
    "embed": embed.__module__,
    "application": IPython.Application.__module__,
    "terminal_now": "prompt_toolkit" in sys.modules,
}))
0
"""


def test_the_kernel_starts_without_ipythons_terminal_and_reexports_still_work(run_in_pyodide):
    result = run_in_pyodide(CODE, packages=KERNEL_PACKAGES, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    got = json.loads(line.removeprefix("RESULT "))
    assert got == {
        "at_start": [],
        "error": "ZeroDivisionError",
        "embed": "IPython.terminal.embed",
        "application": "traitlets.config.application",  # what IPython 8.23 re-exports
        "terminal_now": True,
    }
