"""matplotlib's font cache, built at site build time so the learner's first figure does not build it.

Why: Pyodide's matplotlib reads its font cache from `matplotlib/fontlist.json` inside the package
(not from a cache dir), and the official 0.27.7 wheel ships one written by another matplotlib
(`_version` 390 where its FontManager is 330). So every kernel that imports matplotlib scans and
parses every bundled font again, in WebAssembly, before the first figure appears.
How: `GENERATE` runs inside Pyodide under Node (the very interpreter that will read the file), lets
matplotlib build its FontManager and writes it with matplotlib's own `json_dump` (font paths
relative to the data path, so the file is valid wherever the wheel is unpacked); `patch_wheel` puts
it into the wheel and rewrites the wheel's RECORD. site/build.py caches the patched wheel by the
sha256 of its input and of this file, and refreshes the lock's sha256.
"""

from __future__ import annotations

import json

import wheel_files

FONTLIST = "matplotlib/fontlist.json"

# runs inside Pyodide with /out mounted on a host folder; prints one FONTCACHE line
GENERATE = """
import json, sys
import matplotlib.font_manager as fm
fm.json_dump(fm.fontManager, "/out/fontlist.json")
print("FONTCACHE " + json.dumps({"version": fm.FontManager.__version__, "fonts": len(fm.fontManager.ttflist)}))
sys.stdout.flush()
0
"""


def shipped_version(wheel_bytes: bytes) -> int | None:
    """The `_version` of the fontlist.json inside a matplotlib wheel (None if it has none)."""
    files = wheel_files.read(wheel_bytes)
    return json.loads(files[FONTLIST]).get("_version") if FONTLIST in files else None


def patch_wheel(wheel_bytes: bytes, fontlist: bytes) -> bytes:
    """The wheel with `matplotlib/fontlist.json` replaced by `fontlist` and its RECORD rewritten."""
    files = wheel_files.read(wheel_bytes)
    files[FONTLIST] = fontlist
    return wheel_files.write(files)
