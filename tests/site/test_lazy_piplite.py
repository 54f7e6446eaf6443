"""site/lazy_piplite.py on the piplite wheel jupyterlite-pyodide-kernel ships, imported natively with a
stand-in micropip (the real one runs only in Pyodide): piplite.piplite runs at its first use, and the
settings the kernel's worker set on it before then survive. `%pip` in the page: tests/browser/test_site.py."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path

import kernel_path
import lazy_piplite
import pytest

PIPLITE = sorted(
    (Path(sys.prefix) / "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension/static/pypi").glob(
        "piplite-*.whl"
    )
)
MICROPIP = {
    "micropip/__init__.py": "async def install(**kwargs):\n    return kwargs\n",
    "micropip/package_index.py": "ProjectInfo = query_package = fetch_string_and_headers = None\n",
}
# what the kernel's worker runs at start (early_kernel.PIPLITE_SETTINGS_LAZY), then a first use
KERNEL = """
import sys
import piplite
piplite.piplite._PIPLITE_DISABLE_PYPI = True
piplite.piplite._PIPLITE_URLS = ["./all.json"]
started = "micropip" in sys.modules or "unittest.mock" in sys.modules
from piplite.piplite import _PIPLITE_DISABLE_PYPI, _PIPLITE_URLS, _install
print(started, "micropip" in sys.modules, _PIPLITE_DISABLE_PYPI, _PIPLITE_URLS, piplite.install.__doc__ is not None)
"""


@pytest.fixture
def site_packages(tmp_path) -> Path:
    if not PIPLITE:
        pytest.skip("jupyterlite-pyodide-kernel ships no piplite wheel here")
    wheel = lazy_piplite.patch_wheel(kernel_path.patch_wheel(PIPLITE[-1].read_bytes()))
    zipfile.ZipFile(BytesIO(wheel)).extractall(tmp_path)
    for name, source in MICROPIP.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(source)
    return tmp_path


def test_piplite_runs_at_first_use_with_the_settings_set_at_start(site_packages):
    out = subprocess.run([sys.executable, "-c", KERNEL], cwd=site_packages, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "True", "True", "['./all.json']", "True"]


def test_patching_twice_changes_nothing_and_an_unknown_piplite_stops_the_build():
    if not PIPLITE:
        pytest.skip("jupyterlite-pyodide-kernel ships no piplite wheel here")
    once = lazy_piplite.patch_wheel(PIPLITE[-1].read_bytes())
    assert lazy_piplite.patch_wheel(once) == once
    with pytest.raises(SystemExit, match="has piplite changed"):
        lazy_piplite.patched_init(b'"""piplite"""\nfrom .piplite import install, other\n')
