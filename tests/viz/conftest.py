"""Fixtures for viz tests: tiny fake run directories in the real on-disk layout."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image


def write_png(path: Path, value: int, size: tuple[int, int] = (62, 62), mode: str = "L") -> Path:
    """A small PNG filled with ``value`` plus a gradient so frames are distinct."""
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = size
    arr = (np.add.outer(np.arange(h), np.arange(w)) + value) % 256
    arr = arr.astype(np.uint8)
    if mode == "RGB":
        arr = np.stack([arr, 255 - arr, np.full_like(arr, value % 256)], axis=-1)
    Image.fromarray(arr, mode=mode).save(path)
    return path


def train_rows(n: int = 20, step_every: int = 10) -> list[dict]:
    return [
        {
            "kind": "train",
            "step": (i + 1) * step_every,
            "epoch": i // 5,
            "d_loss": 1.2 - 0.02 * i,
            "g_loss": 0.8 + 0.03 * i,
            "d_real_acc": 0.6 + 0.01 * i,
            "d_fake_acc": 0.55,
            "img_per_s": 1000.0 + i,
            "time_s": 1.5 * (i + 1),
        }
        for i in range(n)
    ]


def eval_rows(fids: list[float], step_every: int = 100, **extra) -> list[dict]:
    return [
        {
            "kind": "eval",
            "step": (i + 1) * step_every,
            "fid": fid,
            "kid": fid / 1000.0,
            "n_gen": 2048,
            "ref": "fashion-mnist:test",
            "n_ref": 10000,
            "time_s": 20.0 * (i + 1),
            **extra,
        }
        for i, fid in enumerate(fids)
    ]


RunFactory = Callable[..., Path]


def build_run(
    root: Path,
    name: str,
    *,
    fids: list[float] | None = None,
    epochs: int = 3,
    config: bool = True,
    metrics: bool = True,
    best: bool = False,
    recipe: str = "dcgan-fashion",
) -> Path:
    """A fake run directory ``root/name`` with config, metrics (torn last line) and grids."""
    run = root / name
    run.mkdir(parents=True)
    if config:
        (run / "config.yaml").write_text(
            f"recipe: {recipe}\ndata:\n  name: fashion-mnist\n  image_size: 28\n"
            "train:\n  batch_size: 64\n  note: '<b>not bold</b> & co'\n"
        )
    if metrics:
        rows = train_rows() + eval_rows(fids if fids is not None else [120.0, 60.5, 42.25])
        rows.append({"kind": "event", "step": 200, "event": "checkpoint"})
        text = "\n".join(json.dumps(r) for r in rows) + "\n"
        (run / "metrics.jsonl").write_text(text + '{"kind": "train", "step": 2')  # torn tail
    for epoch in range(1, epochs + 1):
        write_png(run / "samples" / f"epoch_{epoch:03d}.png", 40 * epoch)
    if best:
        write_png(run / "samples" / "best.png", 7, mode="RGB")
    return run


@pytest.fixture
def make_run(tmp_path: Path) -> RunFactory:
    """``make_run(name, **kw)``: :func:`build_run` under ``tmp_path/runs``."""

    def factory(name: str, **kwargs: Any) -> Path:
        return build_run(tmp_path / "runs", name, **kwargs)

    return factory
