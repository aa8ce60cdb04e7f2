"""Every shipped recipe trains two steps at tiny width on synthetic data of its own shape."""

from __future__ import annotations

import math

import pytest

from gankit.config import list_recipes, load_config
from gankit.training.trainer import Trainer
from tests.conftest import tiny_overrides

RECIPES = sorted(list_recipes())


def _shape_for(recipe: str) -> str:
    cfg = load_config(recipe)
    if cfg.data.name in ("fashion-mnist", "mnist"):
        return "[1, 28, 28]"
    size = cfg.data.image_size or 32
    return f"[3, {size}, {size}]"


@pytest.mark.parametrize("recipe", RECIPES)
def test_recipe_trains_two_steps(recipe: str, tmp_path) -> None:
    overrides = tiny_overrides(
        **{
            "data.synthetic_shape": _shape_for(recipe),
            "data.image_size": "null",
            "train.steps": 2,
            "train.max_minutes": "null",
            "train.log_every": 1,
            "train.fid_every": 0,  # in-training FID is tested on its own (test_trainer)
        }
    )
    cfg = load_config(recipe, overrides)
    trainer = Trainer(cfg, tmp_path / recipe, progress=False)
    result = trainer.fit()
    assert result.step == 2
    rows = trainer.run.read_metrics()
    losses = [r["d_loss"] for r in rows if r.get("kind") == "train"]
    assert len(losses) == 2 and all(math.isfinite(v) for v in losses)
