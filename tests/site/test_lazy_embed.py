"""site/lazy_embed.py: the patch of IPython/__init__.py, natively on a stand-in IPython package (the real
IPython 8.23 wheel runs only in Pyodide: tests/wasm/test_wasm_kernel_imports.py; the kernel in the page:
tests/browser/test_site.py)."""

from __future__ import annotations

import subprocess
import sys

import lazy_embed
import pytest

# IPython 8.23's __init__ as far as the patch is concerned; the terminal and the application stand-ins
# record that they ran
INIT = b'''"""IPython"""
from .core.getipython import get_ipython
from .core import release
from .core.application import Application
from .terminal.embed import embed

from .core.interactiveshell import InteractiveShell
'''
MODULES = {
    "IPython/core/__init__.py": "",
    "IPython/core/getipython.py": "def get_ipython():\n    return None\n",
    "IPython/core/release.py": "",
    "IPython/core/interactiveshell.py": "class InteractiveShell:\n    pass\n",
    "IPython/core/application.py": "import sys\nsys.ran.append('application')\nclass Application:\n    pass\n",
    "IPython/terminal/__init__.py": "",
    "IPython/terminal/embed.py": "import sys\nsys.ran.append('embed')\ndef embed():\n    return 'embedded'\n",
}
USE = """
import sys
sys.ran = []
import IPython
at_import = list(sys.ran)
from IPython import embed
print(at_import, sys.ran, embed(), IPython.Application.__module__)
try:
    IPython.nothing
except AttributeError as error:
    print(error)
"""


def test_ipython_imports_its_terminal_and_application_at_first_use(tmp_path):
    for name, source in MODULES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    (tmp_path / lazy_embed.TARGET).write_bytes(lazy_embed.patched_init(INIT))
    out = subprocess.run([sys.executable, "-c", USE], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "[] ['embed', 'application'] embedded IPython.core.application",
        "module 'IPython' has no attribute 'nothing'",
    ]


def test_patching_twice_changes_nothing_and_an_unknown_ipython_stops_the_build():
    once = lazy_embed.patched_init(INIT)
    assert lazy_embed.patched_init(once) == once
    with pytest.raises(SystemExit, match="has IPython changed"):
        lazy_embed.patched_init(b"from .terminal.embed import embed\n")
