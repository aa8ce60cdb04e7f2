"""The train state: everything of a run that changes while it trains, as a checkpoint holds it.

Networks, optimizers, loss scaler, EMA average and its bookkeeping, the data cursor and the
run's counters (step, wall time, best FID, rollback learning-rate scale) together decide the
rest of a run: a resume that restores them all continues bit-exactly, because every random draw
of a step is seeded from (seed, rank, step) and the data order from (seed, epoch). Writing and
choosing checkpoint files is :mod:`gankit.training.checkpoint`'s job and when to write them the
trainer's; this module only maps the state to a checkpoint dict and back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gankit.training.batches import InMemoryBatches
from gankit.training.checkpoint import load_checkpoint, load_module_state, unwrap
from gankit.training.ema import EMA


@dataclass
class TrainState:
    """The mutable parts of a run; the trainer builds them, steps them and checkpoints them."""

    g: nn.Module
    d: nn.Module
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer
    scaler: torch.amp.GradScaler | None
    ema: EMA | None
    batches: InMemoryBatches
    step: int = 0
    wall_time: float = 0.0
    best_fid: float | None = None
    lr_scale: float = 1.0  # learning-rate cut of the divergence rollbacks so far

    def state_dict(self, meta: Mapping[str, Any]) -> dict[str, Any]:
        """The checkpoint dict: ``meta`` (config, image shape, classes) then the state.

        The EMA weights are saved as they are; recalibrate their batch norm before calling.
        """
        return {
            **meta,
            "generator": unwrap(self.g).state_dict(),
            "discriminator": unwrap(self.d).state_dict(),
            "ema": self.ema.module.state_dict() if self.ema else None,
            # The average's bookkeeping beside its weights (which readers load as "ema").
            "ema_state": ema_bookkeeping(self.ema),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "scaler": self.scaler.state_dict() if self.scaler else None,
            "step": self.step,
            "batches": self.batches.state_dict(),
            "wall_time": self.wall_time,
            "best_fid": self.best_fid,
            "lr_scale": self.lr_scale,
        }

    def load(self, path: Path, device: torch.device) -> None:
        """Restore everything from the checkpoint at ``path`` (tensors onto ``device``)."""
        state = load_checkpoint(path, map_location=str(device))
        load_module_state(unwrap(self.g), state["generator"], "generator", path)
        load_module_state(unwrap(self.d), state["discriminator"], "discriminator", path)
        if self.ema is not None:
            load_module_state(self.ema.module, state.get("ema") or state["generator"], "EMA", path)
            # Older checkpoints lack the bookkeeping: they made one update per step. The decay
            # is the resumed config's (the checkpoint's own unless --set changed it).
            saved = state.get("ema_state") or {}
            self.ema.num_updates = int(saved.get("num_updates", state["step"]))
            self.ema.start_step = int(saved.get("start_step", self.ema.start_step))
        self.opt_g.load_state_dict(state["opt_g"])
        self.opt_d.load_state_dict(state["opt_d"])
        if self.scaler is not None and state.get("scaler"):
            self.scaler.load_state_dict(state["scaler"])
        self.step = int(state["step"])
        self.batches.load_state_dict(state["batches"])
        self.wall_time = float(state.get("wall_time", 0.0))
        self.best_fid = state.get("best_fid")
        self.lr_scale = float(state.get("lr_scale", 1.0))


def ema_bookkeeping(ema: EMA | None) -> dict[str, float | int] | None:
    """Decay, start step and update count of the average (None without EMA)."""
    if ema is None:
        return None
    return {"decay": ema.decay, "start_step": ema.start_step, "num_updates": ema.num_updates}
