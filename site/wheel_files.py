"""Read a wheel into {name: bytes} and write one back with a fresh RECORD, byte-for-byte reproducible.

The site build rewrites a few wheels (matplotlib's font cache; piplite's import path and lazy installer;
IPython's lazy terminal) and makes one (tinytorch-blas); each needs the same two steps, and a wheel whose
RECORD does not match its files is rejected by installers, so they live here once.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile

FIXED_TIME = (2020, 1, 1, 0, 0, 0)  # one timestamp: the same input gives the same bytes (and sha256)


def read(wheel_bytes: bytes) -> dict[str, bytes]:
    """Every file of the wheel (directories dropped), in archive order."""
    with zipfile.ZipFile(io.BytesIO(wheel_bytes)) as zf:
        return {n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}


def record_line(arcname: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{arcname},sha256={digest},{len(data)}"


def write(files: dict[str, bytes]) -> bytes:
    """The wheel of `files`, its `*.dist-info/RECORD` (which must be among them) rewritten to match."""
    record = next(n for n in files if n.endswith(".dist-info/RECORD"))
    files = {n: d for n, d in files.items() if n != record}
    files[record] = ("\n".join([record_line(n, d) for n, d in files.items()] + [f"{record},,"]) + "\n").encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for arcname, data in files.items():
            info = zipfile.ZipInfo(arcname, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, data)
    return buffer.getvalue()


def patch_file(wheel_bytes: bytes, name: str, patch) -> bytes:
    """The wheel with its file `name` replaced by `patch(its bytes)` and its RECORD rewritten."""
    files = read(wheel_bytes)
    if name not in files:
        raise SystemExit(f"the wheel has no {name}: has the package changed?")
    files[name] = patch(files[name])
    return write(files)
