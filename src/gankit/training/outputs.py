"""What a run shows while it trains, as event subscribers: the metric log, sample grids,
TensorBoard and the end-of-run figures (curves, GIF, report).

None of them sees the trainer: each is built from the run directory and the few config values
it needs, then hears :mod:`gankit.training.events`. The trainer builds them with
:func:`standard_subscribers` on rank 0 only.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from gankit.config import Config
from gankit.models.generation import draw_inputs, generate
from gankit.rundir import RunDir
from gankit.training.events import Subscriber
from gankit.viz.tensorboard import TensorBoardLogger, maybe_tensorboard


@dataclass(frozen=True)
class FixedSamples:
    """The latents (and labels) every sample grid of a run is drawn from, so grids of
    successive steps show the same inputs: one row per class for a conditional generator."""

    z: torch.Tensor
    labels: torch.Tensor | None
    nrow: int

    @classmethod
    def for_run(cls, seed: int, n: int, z_dim: int, num_classes: int) -> FixedSamples:
        """``n`` inputs from a CPU stream seeded by ``seed`` (at most ten per class)."""
        gen = torch.Generator().manual_seed(seed + 12_345)
        if num_classes:
            per_class = max(1, min(10, n // num_classes))
            labels: torch.Tensor | None = torch.arange(num_classes).repeat_interleave(per_class)
            nrow = per_class
        else:
            labels, nrow = None, max(1, int(math.sqrt(n)))
        count = len(labels) if labels is not None else n
        z, _ = draw_inputs(count, z_dim, rng=gen, labels=labels)
        return cls(z, labels, nrow)

    def images(self, generator: nn.Module) -> torch.Tensor:
        """uint8 images of ``generator`` for these inputs, on the generator's device."""
        device = next(generator.parameters()).device
        y = None if self.labels is None else self.labels.to(device)
        return generate(generator, self.z.to(device), y)


class MetricLog(Subscriber):
    """Appends logged rows and evaluation results to ``metrics.jsonl``."""

    def __init__(self, run: RunDir) -> None:
        self.run = run

    def on_log(self, row: Mapping[str, Any]) -> None:
        self.run.append_metrics(dict(row))

    def on_eval(self, step: int, results: Mapping[str, Any]) -> None:
        self.run.append_metrics({"kind": "eval", "step": step, **results})


class SampleGrids(Subscriber):
    """Fixed-input grids in ``samples/``: ``step_XXXXXXX.png`` (with ``train.sample_every``)
    or ``epoch_XXX.png``, and ``final.png`` when the run stops."""

    def __init__(self, run: RunDir, samples: FixedSamples, *, by_step: bool) -> None:
        self.run, self.samples, self.by_step = run, samples, by_step

    def on_sample(self, step: int, generator: nn.Module, *, epoch: int, final: bool) -> None:
        from gankit.viz.grid import save_grid

        if final:
            name = "final.png"
        elif self.by_step:
            name = f"step_{step:07d}.png"
        else:
            name = f"epoch_{epoch:03d}.png"
        save_grid(self.samples.images(generator), self.run.samples / name, nrow=self.samples.nrow)


class TensorBoardEvents(Subscriber):
    """Logged rows, evaluation results and sample grids as TensorBoard scalars and images."""

    def __init__(self, logger: TensorBoardLogger, samples: FixedSamples) -> None:
        self.logger, self.samples = logger, samples

    def on_log(self, row: Mapping[str, Any]) -> None:
        self.logger.log_row(row)

    def on_eval(self, step: int, results: Mapping[str, Any]) -> None:
        self.logger.log_row({"kind": "eval", "step": step, **results})

    def on_sample(self, step: int, generator: nn.Module, *, epoch: int, final: bool) -> None:
        images = self.samples.images(generator)
        self.logger.log_image_grid("samples", images, step, nrow=self.samples.nrow)

    def on_end(self, status: str) -> None:
        self.logger.close()


class RunFigures(Subscriber):
    """Loss and FID curves, the GIF and the report, drawn once when the run stops: redrawing
    them at every grid re-read the whole log, so a long run paid more per sample as it went.
    :func:`gankit.viz.figures.draw_run_figures` redraws them on demand."""

    def __init__(self, run: RunDir) -> None:
        self.run = run

    def on_end(self, status: str) -> None:
        from gankit.viz.figures import draw_run_figures

        draw_run_figures(self.run.root)


def standard_subscribers(cfg: Config, run: RunDir, num_classes: int) -> list[Subscriber]:
    """The outputs every run gets: log, grids, figures, and TensorBoard when enabled."""
    t = cfg.train
    samples = FixedSamples.for_run(t.seed, t.sample_n, cfg.model.z_dim, num_classes)
    subscribers: list[Subscriber] = [
        MetricLog(run),
        SampleGrids(run, samples, by_step=bool(t.sample_every)),
    ]
    if t.tensorboard:
        logger = maybe_tensorboard(True, run.root / "tensorboard")
        if logger.enabled:
            subscribers.append(TensorBoardEvents(logger, samples))
    subscribers.append(RunFigures(run))
    return subscribers
