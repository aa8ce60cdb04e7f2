"""How long a run lasts and the learning rate along it.

A run ends at ``train.steps``, ``train.epochs`` or ``train.max_minutes``, whichever comes first;
how far it has come (0..1) is the larger of its step and time fractions. The learning rate is the
configured base rate times the rollback scale (see :mod:`gankit.training.divergence`) times,
with ``optim.lr_schedule=linear``, a decay that depends on that fraction only, so a resumed run
sets the same rates from its restored step and wall time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from gankit.config import OptimConfig, TrainConfig
from gankit.errors import ConfigError


def linear_decay_factor(progress: float, decay_start: float) -> float:
    """Learning-rate multiplier: 1 until ``decay_start`` of the run, then linearly down to 0.

    Annealing only the end of a run keeps the fast early progress a GAN needs on a short
    wall-clock budget while still letting the last updates settle.
    """
    if progress <= decay_start:
        return 1.0
    return max(0.0, (1.0 - progress) / (1.0 - decay_start))


@dataclass(frozen=True)
class RunLength:
    """The budget of a run: a step count (from steps and epochs), minutes, or both."""

    total_steps: int | None
    max_minutes: float | None

    @classmethod
    def from_config(cls, train: TrainConfig, steps_per_epoch: float) -> RunLength:
        """The budget ``train`` sets; ``steps_per_epoch`` turns epochs into steps (rounded up).

        A config with no limit at all is refused: it would train until killed.
        """
        candidates = []
        if train.steps is not None:
            candidates.append(train.steps)
        if train.epochs is not None:
            candidates.append(max(1, math.ceil(train.epochs * steps_per_epoch)))
        if not candidates and train.max_minutes is None:
            raise ConfigError(
                "Set how long to train: train.steps, train.epochs or train.max_minutes."
            )
        return cls(min(candidates) if candidates else None, train.max_minutes)

    def fraction(self, step: int, wall_time: float) -> float:
        """How far the run has come, 0..1: the larger of the step and time fractions."""
        fractions = []
        if self.total_steps:
            fractions.append(step / self.total_steps)
        if self.max_minutes:
            fractions.append(wall_time / (60 * self.max_minutes))
        return min(1.0, max(fractions)) if fractions else 0.0

    def done(self, step: int, wall_time: float) -> bool:
        """True once either budget is spent."""
        if self.total_steps is not None and step >= self.total_steps:
            return True
        return self.max_minutes is not None and wall_time >= 60 * self.max_minutes


class LRSchedule:
    """Sets both optimizers' learning rates for the current point of the run."""

    def __init__(
        self, optim: OptimConfig, opt_g: torch.optim.Optimizer, opt_d: torch.optim.Optimizer
    ) -> None:
        self.kind = optim.lr_schedule
        self.decay_start = optim.lr_decay_start
        self.optimizers = (opt_g, opt_d)
        self.base_lrs = (optim.generator.lr, optim.discriminator.lr)

    def factor(self, progress: float, lr_scale: float) -> float:
        """The multiplier of the base rates: the rollback scale times the schedule's decay."""
        factor = lr_scale
        if self.kind == "linear":
            factor *= linear_decay_factor(progress, self.decay_start)
        return factor

    def apply(self, progress: float, lr_scale: float) -> None:
        """Write ``base * factor`` into every parameter group of G's and D's optimizers."""
        factor = self.factor(progress, lr_scale)
        for opt, base in zip(self.optimizers, self.base_lrs, strict=True):
            for group in opt.param_groups:
                group["lr"] = base * factor
