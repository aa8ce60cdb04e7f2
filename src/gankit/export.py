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
from gankit.config import to_dict
from gankit.errors import CheckpointError
from gankit.training.generator_io import EXPORT_FORMAT, load_exported, load_run


def export_generator(
    run_or_ckpt: str | os.PathLike[str],
    out: Path,
    *,
    half: bool = False,
    notes: dict[str, str] | None = None,
) -> Path:
    """Write the (EMA when present) generator of a run as ``out`` in safetensors format.

    ``half`` stores floating tensors in fp16 (half the bytes, for generators shipped inside
    the package; loading widens them back to fp32). ``notes`` are extra header fields such as
    the measured FID and the commit, shown by ``gankit sample --info``-style readers.
    """
    from safetensors.torch import save

    run = load_run(run_or_ckpt)
    tensors = {}
    for key, value in run.generator.state_dict().items():
        value = value.detach().contiguous().cpu()
        tensors[key] = value.half() if half and value.is_floating_point() else value
    metadata = {
        **(notes or {}),
        "format": EXPORT_FORMAT,
        "config": json.dumps(to_dict(run.config)),
        "image_shape": json.dumps(list(run.image_shape)),
        "num_classes": str(run.num_classes),
        "class_names": json.dumps(run.class_names),
        "step": str(run.step),
        "ema": str(run.used_ema),
        "dtype": "float16" if half else "float32",
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
    return load_exported(Path(path)).generator
