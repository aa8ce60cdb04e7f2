"""Export a trained generator to safetensors: weights plus config as JSON metadata, no pickle.

Anyone can load an exported generator from an untrusted source: safetensors holds raw tensors
and a JSON header only, so opening it cannot execute code.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from torch import nn

from gankit.atomic import atomic_write_bytes
from gankit.config import from_dict, to_dict
from gankit.errors import CheckpointError, ConfigError
from gankit.models import build_generator
from gankit.training.generator_io import load_run


def export_generator(run_or_ckpt: str | os.PathLike[str], out: Path) -> Path:
    """Write the (EMA when present) generator of a run as ``out`` in safetensors format."""
    from safetensors.torch import save

    run = load_run(run_or_ckpt)
    tensors = {k: v.detach().contiguous().cpu() for k, v in run.generator.state_dict().items()}
    metadata = {
        "format": "gankit-generator",
        "config": json.dumps(to_dict(run.config)),
        "image_shape": json.dumps(list(run.image_shape)),
        "num_classes": str(run.num_classes),
        "class_names": json.dumps(run.class_names),
        "step": str(run.step),
        "ema": str(run.used_ema),
    }
    try:
        atomic_write_bytes(out, save(tensors, metadata=metadata))
    except OSError as exc:
        raise CheckpointError(
            f"Could not write '{out}' ({exc.strerror}); choose a writable path."
        ) from exc
    return out


def load_exported_generator(path: str | os.PathLike[str]) -> nn.Module:
    """Rebuild a generator from a safetensors export (eval mode, CPU)."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"Exported generator '{path}' does not exist.")
    try:
        with safe_open(str(path), framework="pt") as handle:
            meta = handle.metadata() or {}
            tensors = {k: handle.get_tensor(k) for k in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"'{path}' is not a valid safetensors file.") from exc
    if meta.get("format") != "gankit-generator":
        raise CheckpointError(f"'{path}' is not a gankit generator export.")
    try:  # the header is plain JSON anyone can edit: validate it like a config file
        cfg = from_dict(json.loads(meta["config"]))
        shape = tuple(int(v) for v in json.loads(meta["image_shape"]))
        num_classes = int(meta["num_classes"])
    except (KeyError, ValueError, TypeError, ConfigError) as exc:
        raise CheckpointError(f"'{path}' has damaged gankit metadata; export it again.") from exc
    g = build_generator(cfg.model, image_shape=shape, num_classes=num_classes)
    try:
        g.load_state_dict(tensors)
    except RuntimeError as exc:
        raise CheckpointError(
            f"'{path}' does not match the architecture in its own metadata."
        ) from exc
    return g.eval()
