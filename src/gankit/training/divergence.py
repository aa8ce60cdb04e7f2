"""Divergence: noticing NaN/Inf in a run and deciding between stopping and rolling back.

A GAN that diverges leaves NaN in its losses and then its weights; nothing after that is worth
keeping. The check runs once per logging interval (losses of the logged row, one fused sum per
network) and before every checkpoint, so a NaN never overwrites a good ``last.pt``. With
``train.on_divergence=rollback`` the run goes back to ``last.pt`` with its learning rates cut by
``train.rollback_lr_factor`` (compounding), at most :data:`MAX_ROLLBACKS` times; otherwise, or
without a checkpoint to go back to, it stops with one sentence naming the step and the fix.
This module decides; the trainer reloads the checkpoint.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gankit.errors import DivergenceError

MAX_ROLLBACKS = 5


def finite_losses(row: Mapping[str, Any]) -> bool:
    """No logged loss is NaN or infinite."""
    return all(
        math.isfinite(v) for k, v in row.items() if k.endswith("loss") and isinstance(v, float)
    )


def params_finite(*nets: nn.Module) -> bool:
    """One fused reduction per network: cheap enough for every log interval."""
    for net in nets:
        total = torch.stack([p.detach().float().sum() for p in net.parameters()]).sum()
        if not torch.isfinite(total):
            return False
    return True


class DivergencePolicy:
    """``train.on_divergence`` with its rollback count: stop, or the next learning-rate scale."""

    def __init__(self, on_divergence: str, lr_factor: float) -> None:
        self.on_divergence = on_divergence
        self.lr_factor = lr_factor
        self.rollbacks = 0

    def rollback_scale(self, *, step: int, diverged_at: int, last: Path, lr_scale: float) -> float:
        """The learning-rate scale to resume ``last`` with, or a DivergenceError to stop.

        ``lr_scale`` is the scale in force when the run diverged; the cut compounds on it (the
        checkpoint being reloaded holds an older, larger one).
        """
        where = (
            f"last good checkpoint: {last}" if last.exists() else "no checkpoint was written yet"
        )
        if self.on_divergence != "rollback" or not last.exists():
            raise DivergenceError(
                f"Training diverged (NaN/Inf) by step {diverged_at}; {where}; lower "
                "the learning rates or set train.on_divergence=rollback."
            )
        self.rollbacks += 1
        if self.rollbacks > MAX_ROLLBACKS:
            raise DivergenceError(
                f"Training kept diverging after {MAX_ROLLBACKS} rollbacks (last at step "
                f"{step}); {where}; lower the learning rates in the config."
            )
        return lr_scale * self.lr_factor


def rollback_event(step: int, diverged_at: int, lr_scale: float) -> dict[str, Any]:
    """The ``metrics.jsonl`` row of a rollback: where the run went back to and its new scale."""
    return {
        "kind": "event",
        "event": "rollback",
        "step": step,
        "from_step": diverged_at,
        "lr_scale": lr_scale,
    }
