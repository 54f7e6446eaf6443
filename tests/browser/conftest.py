"""Fixtures for the browser tests: one served site and one headless Chromium per session.

Artifacts (Chromium's net-log, the driver's log, screenshots) go to results/browser/ (git-ignored).
"""

import json

import pytest
from site_driver import ROOT, SITE, Browser, missing_prerequisites, serve

ARTIFACTS = ROOT / "results" / "browser"


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def base_url():
    reasons = missing_prerequisites()
    if reasons:  # `make test-browser` builds the site first; a missing piece is a failure, not a skip
        pytest.fail("browser tests need: " + "; ".join(reasons))
    with serve(SITE) as url:
        yield url


@pytest.fixture(scope="session")
def browser(base_url, artifacts):
    b = Browser(netlog=artifacts / "chromium-netlog.json", log=artifacts / "driver.log")
    yield b
    b.close()


@pytest.fixture(scope="session")
def course():
    path = SITE / "course.json"
    assert path.exists(), f"{path} is missing (site/build.py writes it from `python -m tinytorch_course.registry`)"
    return json.loads(path.read_text())


@pytest.fixture
def page(browser, request, artifacts):
    """A page in a fresh context; screenshot kept when the test fails."""
    p = browser.new_page()
    yield p
    if getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed:
        try:
            p.screenshot(path=str(artifacts / f"{request.node.name}.png"), fullPage=True)
        except Exception:
            pass
    p.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
