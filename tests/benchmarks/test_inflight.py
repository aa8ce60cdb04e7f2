"""Runs kept between sittings (benchmarks/inflight/) must resume: a checkpoint that cannot be
read, or a run already past its budget, would only be found sessions later."""

from __future__ import annotations

from pathlib import Path

import pytest

from gankit.rundir import RunDir
from gankit.training.resume import load_resume_checkpoint, resume_config

INFLIGHT = Path(__file__).resolve().parents[2] / "benchmarks" / "inflight"
RUNS = sorted(p for p in INFLIGHT.glob("*") if p.is_dir())


@pytest.mark.parametrize("run_dir", RUNS, ids=[p.name for p in RUNS])
def test_a_run_in_flight_resumes_short_of_its_step_budget(run_dir: Path) -> None:
    run = RunDir(run_dir)
    state = load_resume_checkpoint(run)  # weights_only: a damaged or crafted file is refused
    cfg = resume_config(run, ["data.root=/elsewhere"])
    assert cfg.train.steps is not None and 0 < state["step"] < cfg.train.steps
    assert cfg.train.precision == "fp32"  # bf16 would not continue bit-exactly on another CPU
    assert (run_dir / "config.yaml").is_file() and (run_dir / "metrics.jsonl").is_file()
