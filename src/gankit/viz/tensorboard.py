"""Optional TensorBoard logging that never makes ``tensorboard`` a hard dependency.

``torch.utils.tensorboard`` only imports when the ``tensorboard`` package is installed. When it
is not, :class:`TensorBoardLogger` warns once and every method becomes a no-op, so a training
loop can call it unconditionally.
"""

from __future__ import annotations

import importlib
import numbers
import os
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gankit.viz.grid import make_grid_uint8

_WARNED = False


def _warn_missing(reason: str) -> None:
    global _WARNED
    if not _WARNED:
        _WARNED = True
        warnings.warn(
            f"TensorBoard logging is off ({reason}); pip install tensorboard to enable it",
            RuntimeWarning,
            stacklevel=3,
        )


class TensorBoardLogger:
    """Scalars and image grids to a TensorBoard event folder, or nothing if unavailable."""

    def __init__(self, log_dir: str | os.PathLike[str]) -> None:
        self.log_dir = Path(log_dir)
        self._writer: Any = None
        try:
            module = importlib.import_module("torch.utils.tensorboard")
            writer_cls = module.SummaryWriter
        except Exception as exc:  # ImportError, or a broken tensorboard install
            _warn_missing(f"{type(exc).__name__}: {exc}".strip().rstrip(":"))
            return
        self._writer = writer_cls(log_dir=str(self.log_dir))

    @property
    def enabled(self) -> bool:
        """True when events are actually being written."""
        return self._writer is not None

    def log_scalar(self, tag: str, value: Any, step: int) -> None:
        if self._writer is None:
            return
        if hasattr(value, "item"):
            value = value.item()
        self._writer.add_scalar(tag, float(value), global_step=int(step))

    def log_scalars(self, values: Mapping[str, Any], step: int, *, prefix: str = "") -> None:
        """Log every numeric entry of ``values`` as ``prefix + key``; others are skipped."""
        if self._writer is None:
            return
        for key, value in values.items():
            if hasattr(value, "item") and getattr(value, "ndim", 0) == 0:
                value = value.item()
            if isinstance(value, numbers.Real) and not isinstance(value, bool):
                self._writer.add_scalar(prefix + key, float(value), global_step=int(step))

    def log_row(self, row: Mapping[str, Any]) -> None:
        """Log a ``metrics.jsonl`` row: its numbers under ``<kind>/`` at its ``step``."""
        if self._writer is None or row.get("step") is None:
            return
        skip = {"step", "epoch", "kind", "time_s"}
        values = {k: v for k, v in row.items() if k not in skip}
        self.log_scalars(values, int(row["step"]), prefix=f"{row.get('kind', 'train')}/")

    def log_image_grid(
        self, tag: str, images_uint8: Any, step: int, *, nrow: int | None = None
    ) -> None:
        """Log ``[N, C, H, W]`` images tiled by :func:`make_grid_uint8`."""
        if self._writer is None:
            return
        grid = make_grid_uint8(images_uint8, nrow)
        if grid.shape[2] == 1:
            grid = grid.repeat(3, axis=2)
        self._writer.add_image(tag, grid, global_step=int(step), dataformats="HWC")

    def flush(self) -> None:
        if self._writer is not None:
            self._writer.flush()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def __enter__(self) -> TensorBoardLogger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class NullLogger(TensorBoardLogger):
    """The disabled logger: same methods, writes nothing, warns about nothing."""

    def __init__(self) -> None:  # deliberately skips the import attempt
        self.log_dir = Path(os.devnull)
        self._writer = None


def maybe_tensorboard(enabled: bool, log_dir: str | os.PathLike[str]) -> TensorBoardLogger:
    """A real :class:`TensorBoardLogger` when ``enabled``, else a silent :class:`NullLogger`."""
    return TensorBoardLogger(log_dir) if enabled else NullLogger()
