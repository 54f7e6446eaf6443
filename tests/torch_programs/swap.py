"""Run a PyTorch program on tinytorch with only its imports changed, as a learner would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_IMPORTS = [
    (r"^import torch$", "import tinytorch as torch"),
    (r"^import torch\.nn as nn$", "import tinytorch.nn as nn"),
    (r"^import torch\.nn\.functional as F$", "import tinytorch.nn.functional as F"),
    (r"^import torch\.optim as optim$", "import tinytorch.optim as optim"),
    (r"^from torch import (.*)$", r"from tinytorch import \1"),
    (r"^from torch\.(\S+) import (.*)$", r"from tinytorch.\1 import \2"),
]


def swap_imports(source: str) -> tuple[str, int]:
    """The program with torch imports pointed at tinytorch, and how many lines changed."""
    changed = 0
    lines = []
    for line in source.splitlines():
        new = line
        for pattern, repl in _IMPORTS:
            new = re.sub(pattern, repl, new)
        changed += new != line
        lines.append(new)
    return "\n".join(lines) + "\n", changed


def run(source: str, tmp: Path, name: str, timeout: float = 600) -> str:
    """Run `source` as a script in a fresh interpreter (one thread, so torch and tinytorch compare fairly)."""
    path = tmp / f"{name}.py"
    path.write_text(source)
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=timeout, env=env, cwd=tmp
    )
    if done.returncode != 0:
        raise AssertionError(f"{name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return done.stdout


def losses(output: str) -> list[float]:
    return [float(m.group(1)) for m in re.finditer(r"^loss \S+ (\S+)$", output, re.M)]
