"""viz's drawing helpers: figures made without pyplot, PNG bytes, live plots; matplotlib loaded lazily."""

import subprocess
import sys

import pytest

from tinytorch import viz


@pytest.mark.skipif(sys.platform == "emscripten", reason="needs a subprocess, which Pyodide does not have")
def test_import_tinytorch_does_not_load_matplotlib():
    code = "import sys, tinytorch, tinytorch.viz; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_figure_renders_to_png():
    fig, (left, right) = viz.figure(1, 2)
    left.plot([0, 1], [1, 0])
    right.imshow([[0, 1], [1, 0]])
    assert viz.png(fig).startswith(b"\x89PNG")


def test_live_plot_collects_every_point_and_draws_the_last_picture(tmp_path):
    plot = viz.LivePlot("step", "loss", every=0.0)
    for step in range(5):
        plot.add("train", step, 1 / (step + 1))
    plot.add("val", 4, 0.3)
    fig = plot.done(save=tmp_path / "final.png")
    assert plot.series["train"] == ([0.0, 1.0, 2.0, 3.0, 4.0], [1.0, 0.5, 1 / 3, 0.25, 0.2])
    assert len(fig.axes[0].lines) == 2
    assert (tmp_path / "final.png").read_bytes().startswith(b"\x89PNG")
