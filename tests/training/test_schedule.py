"""Run length and learning rate along a run: closed forms of the budget, fraction and decay."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gankit.config import OptimConfig, TrainConfig
from gankit.errors import ConfigError
from gankit.training.schedule import LRSchedule, RunLength


def _train(**kw: object) -> TrainConfig:
    t = TrainConfig()
    for key, value in kw.items():
        setattr(t, key, value)
    return t


@pytest.mark.parametrize(
    ("kw", "steps_per_epoch", "expected"),
    [
        ({"steps": 100}, 10.0, 100),
        ({"epochs": 2.5}, 10.0, 25),
        ({"epochs": 0.01}, 10.0, 1),  # at least one step
        ({"epochs": 1.0}, 4.5, 5),  # rounded up
        ({"steps": 30, "epochs": 2.0}, 10.0, 20),  # whichever ends first
        ({"steps": 10, "epochs": 2.0}, 10.0, 10),
        ({"max_minutes": 5.0}, 10.0, None),
    ],
)
def test_total_steps_is_the_smallest_budget(kw, steps_per_epoch, expected) -> None:
    assert RunLength.from_config(_train(**kw), steps_per_epoch).total_steps == expected


def test_no_budget_is_refused_in_one_sentence() -> None:
    with pytest.raises(ConfigError, match=r"train\.steps, train\.epochs or train\.max_minutes"):
        RunLength.from_config(_train(), 10.0)


def test_fraction_is_the_larger_of_steps_and_minutes_capped_at_one() -> None:
    both = RunLength(total_steps=100, max_minutes=2.0)
    assert both.fraction(25, 30.0) == 0.25  # 30 s of 120 s is 0.25 too
    assert both.fraction(10, 90.0) == 0.75  # time leads
    assert both.fraction(80, 6.0) == 0.8  # steps lead
    assert both.fraction(150, 0.0) == 1.0
    assert RunLength(None, None).fraction(7, 7.0) == 0.0


def test_done_when_either_budget_is_spent() -> None:
    length = RunLength(total_steps=10, max_minutes=1.0)
    assert not length.done(9, 59.9)
    assert length.done(10, 0.0)
    assert length.done(0, 60.0)
    assert not RunLength(None, 1.0).done(10**9, 59.0)


def _optimizers() -> tuple[torch.optim.Optimizer, torch.optim.Optimizer]:
    g, d = nn.Linear(2, 2), nn.Linear(2, 2)
    opt_g = torch.optim.Adam([{"params": [g.weight]}, {"params": [g.bias]}], lr=1.0)
    return opt_g, torch.optim.Adam(d.parameters(), lr=1.0)


@pytest.mark.parametrize(
    ("kind", "progress", "scale", "factor"),
    [
        ("constant", 0.9, 1.0, 1.0),
        ("constant", 0.9, 0.25, 0.25),  # rollback cut applies to any schedule
        ("linear", 0.5, 1.0, 1.0),  # held until decay_start
        ("linear", 0.75, 1.0, 0.5),  # (1 - 0.75) / (1 - 0.5)
        ("linear", 0.75, 0.5, 0.25),
        ("linear", 1.0, 1.0, 0.0),
    ],
)
def test_schedule_sets_base_times_scale_times_decay(kind, progress, scale, factor) -> None:
    optim = OptimConfig()
    optim.lr_schedule, optim.lr_decay_start = kind, 0.5
    optim.generator.lr, optim.discriminator.lr = 4e-4, 1e-4
    opt_g, opt_d = _optimizers()
    schedule = LRSchedule(optim, opt_g, opt_d)
    schedule.apply(progress, scale)
    assert [g["lr"] for g in opt_g.param_groups] == [4e-4 * factor] * 2
    assert [g["lr"] for g in opt_d.param_groups] == [1e-4 * factor]
    assert schedule.base_lrs == (4e-4, 1e-4)
