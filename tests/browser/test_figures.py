"""A lesson's figure appears in the page, drawn by the browser's kernel from the learner's code.

One lesson (02, activations: its figure plots the learner's activations and their slopes) is opened
once for the module; the learner types the reference solution into its cells and runs them all, as
in test_site.py's lesson 01 test. The drawing cell must show an <img> (a PNG display output), and no
cell may fail.
"""

import json

import pytest
from site_driver import ROOT, SITE, open_notebook, run_all, run_code, set_cell_sources

pytestmark = pytest.mark.browser

LESSON = "lessons/02_activations.ipynb"
REFERENCE = ROOT / "_build" / "notebooks" / "reference" / "02_activations.ipynb"


def code_sources(path):
    nb = json.loads(path.read_text())
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


@pytest.fixture(scope="module")
def lesson_run(browser, base_url):
    """(page, outputs of every code cell) after running lesson 02 with the reference solution."""
    if not (SITE / "files" / LESSON).is_file() or not REFERENCE.is_file():
        pytest.fail(f"needs {LESSON} in the site and {REFERENCE.relative_to(ROOT)} (tools/build_notebooks.py)")
    page = browser.new_page()
    open_notebook(page, base_url, LESSON)
    sources = code_sources(REFERENCE)
    set_cell_sources(page, sources)
    outputs = run_all(page)
    yield page, sources, outputs
    page.close()


def test_lesson_figure_appears_as_an_image_and_no_cell_fails(lesson_run):
    _, sources, outputs = lesson_run
    errors = [e for o in outputs for e in o["error"]]
    assert not errors, errors
    drawing = [i for i, s in enumerate(sources) if "viz.show(" in s]
    assert drawing, f"{LESSON} has no drawing cell (one that calls viz.show)"
    for i in drawing:
        assert "image/png" in outputs[i]["mimetypes"], outputs[i]
        assert outputs[i]["images"] >= 1, f"cell {i}: the figure was not rendered as an <img>"


def test_a_figure_drawn_again_in_the_same_kernel_is_one_image(lesson_run):
    """viz.show puts exactly one image per call in the page (no second copy from pyplot's end-of-cell show)."""
    page, _, _ = lesson_run
    code = (
        "import matplotlib\nfrom tinytorch import viz\n"
        "fig, ax = viz.figure()\nax.plot([0, 1], [1, 0])\nax.set_title('loss ✓')\nviz.show(fig)"
    )
    out = run_code(page, code)
    assert not out["error"], out["error"]
    assert out["mimetypes"].count("image/png") == 1 and out["images"] == 1, out
