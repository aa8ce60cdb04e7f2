"""Every shipped recipe trains two steps at tiny width on synthetic data of its own shape."""

from __future__ import annotations

import math

import pytest
import torch

from gankit.config import list_recipes, load_config
from gankit.training.trainer import Trainer
from tests.conftest import tiny_overrides

# The inner loop (make test-fast) trains one recipe per loss family; make test trains them all.
FAST_RECIPES = {"dcgan-fashion", "cgan-fashion", "mlp-gan-fashion", "lsgan-fashion"}
RECIPES = [
    r if r in FAST_RECIPES else pytest.param(r, marks=pytest.mark.slow)
    for r in sorted(list_recipes())
]


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


@pytest.mark.slow  # trains a 64 px model
@pytest.mark.parametrize("shape", ["[1, 28, 28]", "[3, 32, 32]", "[3, 64, 64]"])
def test_best_fashion_settings_train_on_other_image_shapes(shape: str, tmp_path) -> None:
    """README promises best-fashion's settings on MNIST and 32/64 px RGB data with labels."""
    overrides = tiny_overrides(
        **{
            "data.synthetic_shape": shape,
            "data.image_size": "null",
            "train.steps": 2,
            "train.max_minutes": "null",
            "train.log_every": 1,
            "train.fid_every": 0,
        }
    )
    cfg = load_config("best-fashion", overrides)
    trainer = Trainer(cfg, tmp_path / "best", progress=False)
    assert trainer.fit().step == 2
    channels, height, _ = (int(v) for v in shape.strip("[]").split(","))
    z, y = trainer._noise(4)
    assert y is not None, "best-fashion is class-conditional"
    trainer.g.eval()
    with torch.no_grad():
        images = trainer.g(z, y)
    assert tuple(images.shape) == (4, channels, height, height)
