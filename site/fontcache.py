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

import base64
import hashlib
import io
import json
import zipfile

FONTLIST = "matplotlib/fontlist.json"
FIXED_TIME = (2020, 1, 1, 0, 0, 0)

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
    with zipfile.ZipFile(io.BytesIO(wheel_bytes)) as zf:
        if FONTLIST not in zf.namelist():
            return None
        return json.loads(zf.read(FONTLIST)).get("_version")


def _record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def patch_wheel(wheel_bytes: bytes, fontlist: bytes) -> bytes:
    """The wheel with `matplotlib/fontlist.json` replaced by `fontlist` and its RECORD rewritten."""
    with zipfile.ZipFile(io.BytesIO(wheel_bytes)) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        files = {n: zf.read(n) for n in names}
    record = next(n for n in names if n.endswith(".dist-info/RECORD"))
    files[FONTLIST] = fontlist
    del files[record]
    files[record] = ("\n".join([_record_line(n, d) for n, d in files.items()] + [f"{record},,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for arcname, data in files.items():
            info = zipfile.ZipInfo(arcname, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, data)
    return buffer.getvalue()
