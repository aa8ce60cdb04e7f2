"""A NaN in the loss is caught within one logging interval and never reaches a checkpoint.

The objective's ``d_loss`` is made to return NaN for exactly one step. With
``train.on_divergence=stop`` the run raises a DivergenceError naming the step and the last good
checkpoint (which must still hold finite weights); with ``rollback`` it reloads that checkpoint,
scales the learning rates by ``train.rollback_lr_factor``, logs one rollback event and finishes.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
import torch

from gankit.config import load_config
from gankit.errors import DivergenceError
from gankit.training.checkpoint import load_checkpoint
from gankit.training.trainer import Trainer
from tests.reliability.conftest import (
    RECIPE,
    assert_clean_error,
    run_cli,
    tiny_sets,
    train_argv,
)

NAN_STEP = 6  # the step whose discriminator loss is NaN
LOG_EVERY = 5


def _trainer(run: Path, *, nan_times: int = 1, **extra: object) -> Trainer:
    """A tiny run whose d_loss is NaN the first ``nan_times`` times step NAN_STEP is computed."""
    sets = tiny_sets(
        **{"train.steps": 14, "train.log_every": LOG_EVERY, "train.checkpoint_every": 4, **extra}
    )
    trainer = Trainer(load_config(RECIPE, sets), run, progress=False)
    real = trainer.objective.d_loss
    fired = {"n": 0}

    def d_loss(*args: Any, **kwargs: Any) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        loss, stats = real(*args, **kwargs)
        if trainer.step + 1 == NAN_STEP and fired["n"] < nan_times:
            fired["n"] += 1
            loss = loss * float("nan")
            stats = {**stats, "d_loss": loss.detach()}
        return loss, stats

    trainer.objective.d_loss = d_loss  # type: ignore[method-assign]
    return trainer


def _finite(state: dict[str, torch.Tensor]) -> bool:
    return all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())


def test_nan_stops_the_run_naming_step_and_checkpoint(tmp_path: Path) -> None:
    run = tmp_path / "run"
    trainer = _trainer(run, **{"train.on_divergence": "stop"})
    with pytest.raises(DivergenceError) as info:
        trainer.fit()
    message = str(info.value)
    last = run / "checkpoints" / "last.pt"
    step = int(re.search(r"by step (\d+)", message).group(1))  # type: ignore[union-attr]
    assert NAN_STEP <= step < NAN_STEP + LOG_EVERY, message  # within one logging interval
    assert f"last good checkpoint: {last}" in message
    state = load_checkpoint(last)
    assert state["step"] == 4  # the checkpoint before the NaN, not overwritten after it
    assert _finite(state["generator"]) and _finite(state["discriminator"])


def _rollback_run(tmp_path: Path, nan_times: int) -> tuple[Trainer, list[dict[str, Any]]]:
    run = tmp_path / "run"
    trainer = _trainer(
        run,
        nan_times=nan_times,
        **{"train.on_divergence": "rollback", "train.rollback_lr_factor": 0.25},
    )
    result = trainer.fit()
    assert result.status == "completed" and result.step == 14
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    final = load_checkpoint(run / "checkpoints" / "last.pt")
    assert _finite(final["generator"]) and _finite(final["discriminator"])
    return trainer, rows


def test_nan_rollback_finishes_the_run(tmp_path: Path) -> None:
    """What works today: the run reloads step 4, logs a rollback event and completes."""
    trainer, rows = _rollback_run(tmp_path, nan_times=1)
    events = [r for r in rows if r.get("event") == "rollback"]
    assert events and all(e["event"] == "rollback" and e["step"] == 4 for e in events)
    assert trainer.lr_scale == 0.25
    for opt, base in ((trainer.opt_g, trainer.base_lrs[0]), (trainer.opt_d, trainer.base_lrs[1])):
        assert all(math.isclose(g["lr"], base * 0.25) for g in opt.param_groups)


def test_one_nan_means_exactly_one_rollback(tmp_path: Path) -> None:
    _, rows = _rollback_run(tmp_path, nan_times=1)
    events = [r for r in rows if r.get("event") == "rollback"]
    assert [(e["event"], e["step"], e["lr_scale"]) for e in events] == [("rollback", 4, 0.25)]
    # Train rows logged after the rollback are finite (no stale NaN carried into them).
    after = [r for r in rows[rows.index(events[0]) + 1 :] if r["kind"] == "train"]
    assert after and all(r["d_loss"] is not None and math.isfinite(r["d_loss"]) for r in after)


def test_repeated_divergence_compounds_the_learning_rate_cut(tmp_path: Path) -> None:
    trainer, rows = _rollback_run(tmp_path, nan_times=2)
    events = [r for r in rows if r.get("event") == "rollback"]
    assert [e["lr_scale"] for e in events] == [0.25, 0.0625]
    assert trainer.lr_scale == 0.0625


def test_divergence_through_the_cli_is_one_sentence(tmp_path: Path, capsys) -> None:
    sets = tiny_sets(
        **{
            "train.steps": 6,
            "optim.discriminator.lr": 1e30,
            "optim.generator.lr": 1e30,
            "objective.loss": "wasserstein",
            "train.log_every": 2,
        }
    )
    code, _, err = run_cli(capsys, train_argv(tmp_path / "run", sets))
    assert_clean_error(code, err, "diverged", "train.on_divergence=rollback")
