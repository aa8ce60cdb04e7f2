"""Rebuild a trained generator (EMA weights when present) from a run, a checkpoint, a
safetensors export or a generator that ships with gankit (``pretrained:NAME``).

Every command that takes "a generator" (sample, eval, export) goes through :func:`load_run`,
so each accepts all four forms without knowing which it got.
"""

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
from gankit.pretrained import is_pretrained_source, path_of
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
        if "discriminator" not in self.state:
            raise CheckpointError(
                f"'{self.path}' holds a generator only; best-of-K selection needs a run or "
                "checkpoint that has its discriminator."
            )
        d = build_discriminator(
            self.config.model, image_shape=self.image_shape, num_classes=self.num_classes
        )
        load_module_state(d, self.state["discriminator"], "discriminator", self.path)
        return d.eval()


def load_run(
    run_or_ckpt: str | os.PathLike[str], *, prefer: str = "last", device: str = "cpu"
) -> LoadedRun:
    """Load the generator of a run; the EMA copy is used when the run trained one."""
    if is_pretrained_source(run_or_ckpt):
        return load_exported(path_of(str(run_or_ckpt)), device)
    if Path(run_or_ckpt).suffix == ".safetensors":
        return load_exported(Path(run_or_ckpt), device)
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


EXPORT_FORMAT = "gankit-generator"


def load_exported(path: Path, device: str = "cpu") -> LoadedRun:
    """A generator written by ``gankit export``: tensors (fp32 or fp16) plus a JSON header."""
    import json

    from safetensors import SafetensorError, safe_open

    if not path.is_file():
        raise CheckpointError(f"Exported generator '{path}' does not exist.")
    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata() or {}
            tensors = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"'{path}' is not a valid safetensors file.") from exc
    if meta.get("format") != EXPORT_FORMAT:
        raise CheckpointError(f"'{path}' is not a gankit generator export.")
    try:  # the header is plain JSON anyone can edit: validate it like a config file
        cfg = from_dict(json.loads(meta["config"]))
        shape = tuple(int(v) for v in json.loads(meta["image_shape"]))
        num_classes = int(meta["num_classes"])
        class_names = [str(n) for n in json.loads(meta.get("class_names", "[]"))]
    except (KeyError, ValueError, TypeError, ConfigError) as exc:
        raise CheckpointError(f"'{path}' has damaged gankit metadata; export it again.") from exc
    generator = build_generator(cfg.model, image_shape=shape, num_classes=num_classes)
    # Half-precision exports are widened here: the model computes in fp32 as it trained.
    tensors = {k: v.float() if v.is_floating_point() else v for k, v in tensors.items()}
    try:
        generator.load_state_dict(tensors)
    except RuntimeError as exc:
        raise CheckpointError(
            f"'{path}' does not match the architecture in its own metadata."
        ) from exc
    generator.eval().to(torch.device(device))
    return LoadedRun(
        generator=generator,
        config=cfg,
        image_shape=shape,  # type: ignore[arg-type]
        num_classes=num_classes,
        class_names=class_names,
        step=int(meta.get("step", 0)),
        used_ema=meta.get("ema") == "True",
        path=path,
        state={},
    )
