"""tinytorch.memory: on glibc, freed arrays' memory is kept for the next step instead of re-faulted.

Each case runs a fresh interpreter (malloc settings are per process and can only be observed from
the start) and counts minor page faults over steps that allocate and free ~40 MB of arrays, the
pattern of a training step.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tinytorch import memory

ROOT = Path(__file__).resolve().parents[2]

STEPS = """
import resource, numpy as np, tinytorch
def step():
    arrays = [np.ones(2**19, dtype=np.float32) for _ in range(20)]  # 20 x 2 MB alive, then freed
    del arrays
step(); step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    step()
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 5, tinytorch.memory.keep_freed_memory())
"""

pytestmark = [
    pytest.mark.skipif(sys.platform == "emscripten", reason="needs a subprocess, which Pyodide does not have"),
    pytest.mark.skipif(not memory.uses_glibc(), reason="the setting is glibc's malloc; elsewhere it does nothing"),
]


def faults_per_step(keep: str) -> tuple[int, str]:
    env = {**os.environ, "TINYTORCH_KEEP_FREED_MEMORY": keep, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", STEPS], env=env, capture_output=True, text=True, check=True)
    faults, kept = out.stdout.split()
    return int(faults), kept


def test_freed_arrays_are_reused_without_page_faults():
    faults, kept = faults_per_step("1")
    assert kept == "True"
    assert faults < 100, f"{faults} page faults per step: freed memory went back to the OS"


def test_the_environment_variable_leaves_malloc_alone():
    faults, kept = faults_per_step("0")
    assert kept == "False"
    assert faults > 5000, f"only {faults} page faults per step with glibc's defaults: the test shows nothing now"


def test_release_hands_memory_back():
    memory.release()  # malloc_trim: must simply work, in this process too
