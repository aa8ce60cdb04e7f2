"""Checkpoints: atomic saves, safe loads, and rebuilding a generator from one.

A checkpoint carries the fully resolved config, the image shape and class count, so sampling,
evaluation and resuming rebuild the exact model without the original recipe (nanoGPT's
lesson). Loading uses ``torch.load(weights_only=True)`` only: a crafted pickle cannot run code.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gankit.atomic import atomic_torch_save
from gankit.errors import CheckpointError

FORMAT = "gankit-checkpoint"
VERSION = 1


def save_checkpoint(state: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Write ``state`` atomically; on a full disk or read-only folder the old file survives."""
    state = {"format": FORMAT, "version": VERSION, **state}
    try:
        atomic_torch_save(state, path)
    except OSError as exc:
        raise CheckpointError(
            f"Could not write checkpoint '{path}' ({exc.strerror or exc}); free disk space or "
            "make the run directory writable, the previous checkpoint is intact."
        ) from exc


def load_checkpoint(path: str | os.PathLike[str], map_location: str = "cpu") -> dict[str, Any]:
    """Load a gankit checkpoint safely, turning every failure into one clear sentence."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"Checkpoint '{path}' does not exist.")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(
            f"Refusing to load '{path}': it contains Python objects that could run code "
            "(only plain tensors and values are accepted)."
        ) from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile, OSError, ValueError) as exc:
        raise CheckpointError(
            f"Checkpoint '{path}' is truncated or corrupt; use another one from its "
            "checkpoints/ folder."
        ) from exc
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise CheckpointError(f"'{path}' is not a gankit checkpoint.")
    return state


def load_module_state(module: nn.Module, state: dict[str, Any], what: str, path: Any) -> None:
    """``load_state_dict`` with an architecture mismatch reported as a CheckpointError."""
    try:
        module.load_state_dict(state)
    except RuntimeError as exc:
        raise CheckpointError(
            f"The {what} in '{path}' was made for a different architecture than the current "
            "config; resume with the run's own config.yaml or start a new run directory."
        ) from exc


def resolve_checkpoint(run_or_ckpt: str | os.PathLike[str], prefer: str = "last") -> Path:
    """Accept a run directory or a checkpoint file; pick ``checkpoints/<prefer>.pt`` in a run."""
    path = Path(run_or_ckpt)
    if path.is_file():
        return path
    if path.is_dir():
        folder = path / "checkpoints"
        for name in (f"{prefer}.pt", "last.pt"):
            if (folder / name).is_file():
                return folder / name
        raise CheckpointError(
            f"'{path}' holds no checkpoints/last.pt; is it a gankit run directory?"
        )
    raise CheckpointError(f"'{path}' is neither a run directory nor a checkpoint file.")


def unwrap(module: nn.Module) -> nn.Module:
    """The plain module under DDP and ``torch.compile`` wrappers (state dicts stay portable)."""
    while True:
        if hasattr(module, "_orig_mod"):
            module = module._orig_mod  # type: ignore[assignment]
        elif hasattr(module, "module") and isinstance(module.module, nn.Module):
            module = module.module
        else:
            return module
