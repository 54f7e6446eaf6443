"""The expected values of lesson cases written out in NumPy agree with PyTorch's own implementation.

A lesson case states its expected values in plain NumPy (so it runs in the browser, where there is
no torch); here, natively, those NumPy values are compared with torch, so a case cannot grade a
learner against a rule that differs from PyTorch's.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinytorch_course.checks import lesson06


def _case(cases, starts: str):
    found = [c for c in cases() if c.name.startswith(starts)]
    assert len(found) == 1, f"no single case named {starts!r}…"
    return found[0]


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch", reason="PyTorch is not importable here (absent under Pyodide)")


def test_adam_amsgrad_case_follows_torch(torch):
    case = _case(lesson06.adam_cases, "Adam amsgrad=True")
    p = torch.tensor(lesson06.P0.astype(np.float64), requires_grad=True)
    opt = torch.optim.Adam([p], lr=0.1, betas=(0.9, 0.5), amsgrad=True)
    rows = []
    for _ in range(len(case.expected)):
        p.grad = torch.from_numpy(lesson06._grad(p.detach().numpy()))
        opt.step()
        rows.append(p.detach().numpy().copy())
    np.testing.assert_allclose(case.expected, np.stack(rows), rtol=1e-6, atol=1e-7)


def test_cosine_two_periods_case_follows_torch(torch):
    case = _case(lesson06.cosine_cases, "T_max 3, eta_min 0.01")
    params = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    opt = torch.optim.SGD([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.2}], lr=0.1)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=3, eta_min=0.01)
    rows = []
    for _ in range(len(case.expected)):
        opt.step()
        sched.step()
        rows.append([g["lr"] for g in opt.param_groups])
    np.testing.assert_allclose(case.expected, np.array(rows), rtol=1e-9, atol=1e-12)
