"""matplotlib in the site's Pyodide starts from the font cache built at site build time (site/fontcache.py).

Without it, every kernel's first figure waits while matplotlib scans and parses all its fonts in
WebAssembly (the official wheel's fontlist.json is written by another matplotlib version and is
rejected). `import tinytorch` must not load matplotlib at all: only the cells that draw pay for it.
"""

import json

import pytest

pytestmark = pytest.mark.wasm

CODE = """
import importlib.util, io, json, logging, pathlib, sys, time
import tinytorch
loaded_by_tinytorch = "matplotlib" in sys.modules
shipped = pathlib.Path(importlib.util.find_spec("matplotlib").origin).with_name("fontlist.json")
shipped_version = json.loads(shipped.read_text()).get("_version")
log = io.StringIO()
logger = logging.getLogger("matplotlib.font_manager")
logger.addHandler(logging.StreamHandler(log))
logger.setLevel(logging.INFO)
began = time.perf_counter()
import matplotlib.font_manager as fm
seconds = time.perf_counter() - began
from tinytorch import viz
fig, ax = viz.figure()
ax.plot([0, 1], [1, 0])
ax.set_title("loss ✓")
png = viz.png(fig)
print("FONTS " + json.dumps({
    "loaded_by_tinytorch": loaded_by_tinytorch,
    "shipped_version": shipped_version,
    "version": fm.FontManager.__version__,
    "generated": "generated new fontManager" in log.getvalue(),
    "import_seconds": round(seconds, 2),
    "fonts": len(fm.fontManager.ttflist),
    "png": png[:4] == b"\\x89PNG",
}))
0
"""


def test_matplotlib_imports_without_building_a_font_cache(run_in_pyodide):
    result = run_in_pyodide(CODE, packages=["numpy", "tinytorch", "matplotlib"], timeout=600)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    line = next((line for line in result.stdout.splitlines() if line.startswith("FONTS ")), None)
    assert line is not None, output
    found = json.loads(line.removeprefix("FONTS "))
    print(found)  # import_seconds: the figure's cost, shown with -s
    assert not found["loaded_by_tinytorch"], "import tinytorch loaded matplotlib"
    assert found["shipped_version"] == found["version"], (
        f"the shipped matplotlib/fontlist.json is version {found['shipped_version']}, its FontManager "
        f"{found['version']}: rebuild the site (site/build.py patches the wheel)"
    )
    assert not found["generated"], "matplotlib built its font cache at import"
    assert found["fonts"] > 0 and found["png"]
