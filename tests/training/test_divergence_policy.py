"""The divergence decision on its own: what counts as diverged, stop vs rollback, the cap."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from torch import nn

from gankit.errors import DivergenceError
from gankit.training.divergence import (
    MAX_ROLLBACKS,
    DivergencePolicy,
    finite_losses,
    params_finite,
    rollback_event,
)


def test_only_loss_fields_are_checked() -> None:
    assert finite_losses({"step": 3, "d_loss": 0.5, "g_loss": -2.0, "img_per_s": math.nan})
    assert not finite_losses({"d_loss": math.nan, "g_loss": 1.0})
    assert not finite_losses({"d_loss": 1.0, "gp_loss": math.inf})


def test_params_finite_finds_one_bad_weight_in_any_network() -> None:
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    assert params_finite(a, b)
    with torch.no_grad():
        b.bias[1] = -math.inf
    assert not params_finite(a, b)
    assert params_finite(a)


@pytest.fixture
def last(tmp_path: Path) -> Path:
    path = tmp_path / "last.pt"
    path.write_bytes(b"checkpoint")
    return path


def test_stop_names_step_checkpoint_and_fix(last: Path) -> None:
    with pytest.raises(DivergenceError) as info:
        DivergencePolicy("stop", 0.5).rollback_scale(step=9, diverged_at=8, last=last, lr_scale=1.0)
    message = str(info.value)
    assert "by step 8" in message and f"last good checkpoint: {last}" in message
    assert "train.on_divergence=rollback" in message


def test_rollback_without_a_checkpoint_stops(tmp_path: Path) -> None:
    with pytest.raises(DivergenceError, match="no checkpoint was written yet"):
        DivergencePolicy("rollback", 0.5).rollback_scale(
            step=3, diverged_at=3, last=tmp_path / "missing.pt", lr_scale=1.0
        )


def test_rollback_cuts_compound_until_the_cap(last: Path) -> None:
    policy = DivergencePolicy("rollback", 0.5)
    scale = 1.0
    for _ in range(MAX_ROLLBACKS):
        scale = policy.rollback_scale(step=10, diverged_at=10, last=last, lr_scale=scale)
    assert scale == 0.5**MAX_ROLLBACKS and policy.rollbacks == MAX_ROLLBACKS
    with pytest.raises(DivergenceError, match=f"after {MAX_ROLLBACKS} rollbacks"):
        policy.rollback_scale(step=10, diverged_at=10, last=last, lr_scale=scale)


def test_rollback_event_row() -> None:
    assert rollback_event(4, 7, 0.25) == {
        "kind": "event",
        "event": "rollback",
        "step": 4,
        "from_step": 7,
        "lr_scale": 0.25,
    }
