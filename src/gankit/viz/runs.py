"""Read a run directory for plotting and reports, tolerating runs that are still in progress.

A training run appends to ``metrics.jsonl`` while reports and plots read it, so a half-written
last line or an odd row must be skipped, never fatal. Everything here is read-only.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gankit.errors import RunDirError
from gankit.rundir import RunDir
from gankit.rundir import read_jsonl as read_metrics

__all__ = [
    "RunInfo",
    "as_float",
    "latest_sample_grid",
    "read_metrics",
    "read_run",
    "rows_of_kind",
    "sample_grids",
    "series",
]


def as_float(value: Any) -> float | None:
    """``value`` as a finite float, or None (missing, null, NaN, text, ...).

    A KID logged as ``[mean, std]`` or ``{"mean": ..}`` yields its mean.
    """
    if isinstance(value, (list, tuple)) and value:
        value = value[0]
    elif isinstance(value, dict):
        value = value.get("mean", value.get("value"))
    if isinstance(value, bool) or value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) else None


def rows_of_kind(rows: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    """Rows whose ``kind`` is ``kind``; rows without a kind are guessed from their keys."""
    out = []
    for row in rows:
        row_kind = row.get("kind")
        if row_kind is None:
            if "fid" in row or "kid" in row or "cas" in row:
                row_kind = "eval"
            elif "d_loss" in row or "g_loss" in row:
                row_kind = "train"
        if row_kind == kind:
            out.append(row)
    return out


def series(rows: list[dict[str, Any]], key: str) -> tuple[list[float], list[float]]:
    """``(steps, values)`` of ``key`` over ``rows``, skipping rows where it is missing.

    Rows without a step use their position so plotting still works.
    """
    xs: list[float] = []
    ys: list[float] = []
    for i, row in enumerate(rows):
        y = as_float(row.get(key))
        if y is None:
            continue
        x = as_float(row.get("step"))
        xs.append(float(i) if x is None else x)
        ys.append(y)
    return xs, ys


def sample_grids(run_dir: str | os.PathLike[str]) -> list[Path]:
    """Periodic sample grids of a run in training order (see :meth:`RunDir.sample_grids`)."""
    return RunDir(run_dir).sample_grids()


def latest_sample_grid(run_dir: str | os.PathLike[str]) -> Path | None:
    """The run's newest samples (see :meth:`RunDir.latest_sample_grid`)."""
    return RunDir(run_dir).latest_sample_grid()


@dataclass
class RunInfo:
    """What a report needs from one run directory."""

    path: Path
    name: str
    config_text: str | None
    config: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def train_rows(self) -> list[dict[str, Any]]:
        return rows_of_kind(self.rows, "train")

    @property
    def eval_rows(self) -> list[dict[str, Any]]:
        return rows_of_kind(self.rows, "eval")

    @property
    def event_rows(self) -> list[dict[str, Any]]:
        return rows_of_kind(self.rows, "event")

    @property
    def recipe(self) -> str | None:
        """Recipe name from ``recipe``, ``output.recipe`` or ``name`` keys, whichever exists."""
        output = self.config.get("output")
        for value in (
            self.config.get("recipe"),
            output.get("recipe") if isinstance(output, dict) else None,
            self.config.get("name"),
        ):
            if isinstance(value, str) and value:
                return value
        return None

    @property
    def dataset(self) -> str | None:
        data = self.config.get("data")
        if isinstance(data, dict) and data.get("name") is not None:
            name = str(data["name"])
            split = data.get("split")
            return f"{name}:{split}" if isinstance(split, str) and split else name
        if isinstance(data, str):
            return data
        return None


def read_run(run_dir: str | os.PathLike[str]) -> RunInfo:
    """Read ``config.yaml`` and ``metrics.jsonl`` of ``run_dir`` for a report (the trained
    generator is :func:`gankit.training.generator_io.load_run`'s job).

    Raises :class:`RunDirError` when the folder holds neither file. A config that is not valid
    YAML is kept as text (shown in reports) with no parsed keys.
    """
    run = RunDir(run_dir)
    path, config_path, metrics_path = run.root, run.config, run.metrics
    if not path.is_dir():
        raise RunDirError(f"Run directory {path} does not exist; pass a folder gankit train made.")
    if not config_path.is_file() and not metrics_path.is_file():
        raise RunDirError(
            f"{path} is not a gankit run directory (it has neither config.yaml nor metrics.jsonl); "
            "pass a folder made by gankit train."
        )
    config_text: str | None = None
    config: dict[str, Any] = {}
    if config_path.is_file():
        config_text = config_path.read_text(encoding="utf-8", errors="replace")
        try:
            import yaml

            loaded = yaml.safe_load(config_text)
        except Exception:  # a broken config must not break the report
            loaded = None
        if isinstance(loaded, dict):
            config = loaded
    return RunInfo(
        path=path,
        name=path.resolve().name or str(path),
        config_text=config_text,
        config=config,
        rows=read_metrics(metrics_path),
    )
