"""Drop-in PyTorch (issue 13): small programs in the style of the official tutorials and examples run
under real torch and, with only their imports changed, under tinytorch; their loss curves must agree.

Seeds differ between the two frameworks (different generators), so the curves are not equal number
for number: each must fall, and tinytorch's final loss must be within a tolerance of torch's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .swap import losses, run, swap_imports

PROGRAMS = Path(__file__).parent / "programs"

# program -> (how many import lines the swap may change, final-loss tolerance: factor and absolute slack)
EXPECTED = {
    "poly_manual": (1, 1.5, 5.0),
    "sequential_fit": (3, 2.0, 20.0),
    "lenet_blitz": (4, 3.0, 0.1),
    "mnist_script": (7, 1.5, 0.2),
    "vae": (5, 1.3, 3.0),
    "gpt_char": (3, 2.0, 0.3),
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("torch_programs")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_program_runs_on_tinytorch_with_only_its_imports_changed(name, workdir):
    source = (PROGRAMS / f"{name}.py").read_text()
    swapped, changed = swap_imports(source)
    max_changed, factor, slack = EXPECTED[name]
    assert 1 <= changed <= max_changed, f"{name}: {changed} lines changed by the import swap"
    assert "tinytorch" not in source and "import torch" in source

    ours = run(swapped, workdir, f"{name}_tinytorch")
    theirs = run(source, workdir, f"{name}_torch")
    ours_curve, torch_curve = losses(ours), losses(theirs)
    assert len(ours_curve) == len(torch_curve) >= 3, (ours, theirs)
    assert torch_curve[-1] < torch_curve[0], f"{name}: the program itself does not learn under torch"
    assert ours_curve[-1] < ours_curve[0], f"{name}: loss did not fall on tinytorch: {ours_curve}"
    assert ours_curve[-1] <= torch_curve[-1] * factor + slack, (
        f"{name}: tinytorch's final loss {ours_curve[-1]:.4g} vs torch's {torch_curve[-1]:.4g}\n"
        f"tinytorch {ours_curve}\ntorch     {torch_curve}"
    )
    # the non-loss lines (accuracy, shapes, reload checks) have the same form
    assert [line.split()[0] for line in ours.splitlines()] == [line.split()[0] for line in theirs.splitlines()]
