"""Rebuild a trained generator (EMA weights when present) from a run or checkpoint."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gankit.config import Config, from_dict
from gankit.errors import CheckpointError, ConfigError
from gankit.models import build_discriminator, build_generator
from gankit.training.checkpoint import load_checkpoint, load_module_state, resolve_checkpoint


@dataclass
class LoadedRun:
    """What sampling and evaluation need from a checkpoint."""

    generator: nn.Module
    config: Config
    image_shape: tuple[int, int, int]
    num_classes: int
    class_names: list[str]
    step: int
    used_ema: bool
    path: Path
    state: dict[str, Any]

    def discriminator(self) -> nn.Module:
        """The trained discriminator (for best-K selection); eval mode."""
        d = build_discriminator(
            self.config.model, image_shape=self.image_shape, num_classes=self.num_classes
        )
        load_module_state(d, self.state["discriminator"], "discriminator", self.path)
        return d.eval()


def load_run(
    run_or_ckpt: str | os.PathLike[str], *, prefer: str = "last", device: str = "cpu"
) -> LoadedRun:
    """Load the generator of a run; the EMA copy is used when the run trained one."""
    path = resolve_checkpoint(run_or_ckpt, prefer)
    state = load_checkpoint(path)
    try:
        cfg = from_dict(state["config"])
        image_shape = tuple(int(v) for v in state["image_shape"])
        num_classes = int(state["num_classes"])
    except (KeyError, ConfigError) as exc:
        raise CheckpointError(f"Checkpoint '{path}' lacks a valid config; it is damaged.") from exc
    generator = build_generator(cfg.model, image_shape=image_shape, num_classes=num_classes)
    weights = state.get("ema") or state["generator"]
    load_module_state(generator, weights, "generator", path)
    generator.eval().to(torch.device(device))
    return LoadedRun(
        generator=generator,
        config=cfg,
        image_shape=image_shape,  # type: ignore[arg-type]
        num_classes=num_classes,
        class_names=list(state.get("class_names") or []),
        step=int(state.get("step", 0)),
        used_ema=state.get("ema") is not None,
        path=path,
        state=state,
    )
