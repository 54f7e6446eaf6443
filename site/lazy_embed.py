"""`import IPython` in the kernel no longer loads IPython's terminal (a patch of Pyodide's IPython 8.23 wheel:
the change IPython itself made in 9.x, backported).

Why: every kernel start imports IPython, whose __init__ imports `embed` (the terminal shell: prompt_toolkit,
the terminal debugger, ~140 modules) and `Application` (the crash handler, traitlets' application) only to
re-export them. A kernel never calls `IPython.embed()`, and nothing in the kernel takes `Application` from
there. In Pyodide under Node, `import pyodide_kernel` went from 1.18-1.20 s to 0.97-0.99 s (598 -> 456 modules
in sys.modules, two runs each).
What: the two imports become a module `__getattr__` (PEP 562), as in IPython 9's __init__: `IPython.embed`,
`from IPython import embed` and `IPython.Application` still work, and import their modules at first use.
"""

from __future__ import annotations

import wheel_files

TARGET = "IPython/__init__.py"
EAGER = b"from .core.application import Application\nfrom .terminal.embed import embed\n"
LAZY = b"""# Changed by the TinyTorch course build (site/lazy_embed.py): the terminal (embed) and the application
# classes load at their first use, not with every `import IPython` (as in IPython 9).
def __getattr__(name):
    if name == "embed":
        from .terminal.embed import embed

        return embed
    if name == "Application":
        from .core.application import Application

        return Application
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""


def patched_init(source: bytes) -> bytes:
    """IPython/__init__.py with its two eager imports replaced (once)."""
    if LAZY in source:
        return source
    if source.count(EAGER) != 1:
        raise SystemExit(
            f"lazy_embed: {TARGET} does not import Application and embed as expected: has IPython changed?"
        )
    return source.replace(EAGER, LAZY)


def patch_wheel(wheel_bytes: bytes) -> bytes:
    """The IPython wheel with its __init__.py patched and its RECORD rewritten."""
    return wheel_files.patch_file(wheel_bytes, TARGET, patched_init)
