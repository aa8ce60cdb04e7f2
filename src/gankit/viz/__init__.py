"""Pictures of GAN runs: sample grids, loss / FID curves, training GIFs, HTML reports.

Everything here is a pure function of tensors, arrays or paths (no training code), and every
file is written atomically. Names are loaded lazily so ``gankit compare`` does not pay for
importing torch or matplotlib before it needs them.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "make_grid_uint8": "grid",
    "save_grid": "grid",
    "make_class_grid": "grid",
    "save_class_grid": "grid",
    "make_scored_grid": "grid",
    "save_scored_grid": "grid",
    "plot_losses": "curves",
    "plot_fid": "curves",
    "plot_fid_compare": "curves",
    "ema_smooth": "curves",
    "build_gif": "animation",
    "build_run_gif": "animation",
    "write_run_report": "report",
    "write_compare_report": "report",
    "TensorBoardLogger": "tensorboard",
    "maybe_tensorboard": "tensorboard",
    "slerp": "interpolate",
    "interpolation_latents": "interpolate",
    "read_metrics": "runs",
    "read_run": "runs",
    "sample_grids": "runs",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gankit.viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"gankit.viz.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
