"""The trainer drives losses and regularisers through the Objective interface alone:
RpGAN (generator term reads real logits) and lazy R1 train with no trainer code of their own."""

from __future__ import annotations

import json
import math

import pytest
import torch

from gankit.config import load_config
from gankit.training.checkpoint import load_checkpoint
from gankit.training.trainer import Trainer
from tests.conftest import tiny_overrides


def _run(tmp_path, name: str, steps: int, *, resume: bool = False, **extra) -> list[dict]:
    overrides = tiny_overrides(**{"train.steps": steps, "train.log_every": 1, **extra})
    Trainer(
        load_config("dcgan-fashion", overrides), tmp_path / name, resume=resume, progress=False
    ).fit()
    lines = (tmp_path / name / "metrics.jsonl").read_text().splitlines()
    return [row for row in map(json.loads, lines) if row["kind"] == "train"]


def test_rpgan_with_r1_trains(tmp_path) -> None:
    """Huang et al.'s pairing with an R1 penalty, end to end on the tiny setup."""
    rows = _run(tmp_path, "rpgan", 4, **{"objective.loss": "rpgan", "objective.r1_weight": 1.0})
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    for row in rows:
        assert math.isfinite(row["d_loss"]) and math.isfinite(row["g_loss"])
        assert row["r1"] >= 0
    # at initialisation real and fake logits are alike: both terms near softplus(0) = log 2
    assert rows[0]["g_loss"] == pytest.approx(math.log(2), abs=0.5)


def test_lazy_r1_is_logged_on_its_steps_only(tmp_path) -> None:
    rows = _run(tmp_path, "lazy", 4, **{"objective.r1_weight": 1.0, "objective.r1_every": 2})
    # step s runs D step s - 1: R1 on D steps 0 and 2
    assert ["r1" in r for r in rows] == [True, False, True, False]


@pytest.mark.slow  # three short runs
def test_lazy_r1_resumes_on_the_same_steps(tmp_path) -> None:
    lazy = {"objective.r1_weight": 1.0, "objective.r1_every": 2}
    _run(tmp_path, "straight", 5, **lazy)
    _run(tmp_path, "split", 3, **lazy)
    _run(tmp_path, "split", 5, resume=True, **lazy)
    a = load_checkpoint(tmp_path / "straight" / "checkpoints" / "last.pt")
    b = load_checkpoint(tmp_path / "split" / "checkpoints" / "last.pt")
    for net in ("generator", "discriminator"):
        for key, value in a[net].items():
            assert torch.equal(value, b[net][key]), f"{net}.{key}"


def test_compiled_discriminator_is_skipped_only_on_double_backward_steps(tmp_path) -> None:
    """The trainer asks the objective, not the penalty weights, which D a step may use."""
    overrides = tiny_overrides(**{"objective.r1_weight": 1.0, "objective.r1_every": 3})
    trainer = Trainer(load_config("dcgan-fashion", overrides), tmp_path / "run", progress=False)
    try:
        compiled = object()  # stands in for torch.compile(d): never called here
        trainer.d_fwd = compiled
        chosen = [trainer._d_for(step) for step in range(6)]
        assert chosen == [trainer.d, compiled, compiled, trainer.d, compiled, compiled]
    finally:
        trainer.run.release_writer_lock()
