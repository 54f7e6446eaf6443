"""The course's own scripts in JupyterLite's app pages: their index.html has no other hook."""

from __future__ import annotations

from pathlib import Path


def load_script(output: Path, apps: list[str] | tuple[str, ...], script: str, *, first: bool = False) -> None:
    """Load `script` (at the site's root) from each app page in `output`, once: `first` in <head>, so it
    runs before the app's own scripts, or else deferred, just before </head>."""
    for app in apps:
        page = output / app / "index.html"
        html = page.read_text()
        if first:
            tag = f'<script src="../{script}"></script>'
            changed = html.replace("<head>", f"<head>\n    {tag}", 1)
        else:
            tag = f'<script src="../{script}" defer></script>'
            changed = html.replace("</head>", f"  {tag}\n  </head>", 1)
        if tag not in html:
            page.write_text(changed)
