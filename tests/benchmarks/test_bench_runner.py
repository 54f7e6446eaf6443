"""`make bench` (python -m benchmarks) runs every script once and ends with the ratios' summary."""

from __future__ import annotations

from pathlib import Path

from benchmarks import __main__ as runner

BENCHMARKS = Path(__file__).parents[2] / "benchmarks"


def test_each_benchmark_runs_once_and_exists():
    assert len(set(runner.ALL)) == len(runner.ALL), f"a benchmark would run twice: {runner.ALL}"
    for name in runner.ALL:
        assert (BENCHMARKS / f"{name}.py").is_file(), f"benchmarks/{name}.py is missing"
    assert set(runner.ALIASES.values()) <= set(runner.ALL)
    assert runner.ALL[:3] == ("mlp_epoch", "cnn_epoch", "gpt_step"), "the three workloads come first"
    assert runner.ALL[-1] == "milestones_page", "the longest (minutes per milestone) runs last"


def test_summary_prints_the_ratios_of_each_workload(capsys):
    results = {
        "mlp_epoch": {"tinytorch": 0.015, "numpy": 0.010, "torch": 0.030},
        "cnn_epoch": {"tinytorch": 0.060, "numpy": 0.050},  # torch not installed
        "gpt_step": {"tinytorch": 0.080, "numpy": 0.064, "torch": 0.040},
        "backend_bench": {
            "native": {},
            "page": {"workloads": {"GPT step": {"numpy": 0.9, "blas": 0.4, "hand numpy": 1.0}}},
        },
    }
    runner.print_summary(results)
    out = capsys.readouterr().out
    table = [line for line in out.splitlines() if line.startswith("  ") and "ms" in line]
    rows = {line.split("  ")[1].strip(): line.split() for line in table}
    assert rows["digits MLP epoch"][-2:] == ["1.50", "0.50"]
    assert rows["LeNet CNN epoch"][-2:] == ["1.20", "-"]
    assert rows["GPT training step"][-2:] == ["1.25", "2.00"]
    page = next(line for line in out.splitlines() if line.strip().startswith("GPT step"))
    assert page.split()[-2:] == ["0.90", "0.40"]
    assert "load average" in out
