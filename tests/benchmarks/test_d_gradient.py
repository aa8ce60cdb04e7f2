"""benchmarks/d_gradient.py: D's input-gradient norm on real images is exactly what R1
penalises (per unit gamma / 2), measured on a checkpoint as training would see it."""

from __future__ import annotations

import json
from pathlib import Path

import torch

from tests.benchmarks.conftest import load_benchmark
from tests.conftest import tiny_overrides

d_gradient = load_benchmark("d_gradient")


def tiny_checkpoint(tmp_path: Path, *extra: str) -> Path:
    from gankit import api

    run = tmp_path / "run"
    api.train("cgan-fashion", overrides=[*tiny_overrides(), *extra], out=run, progress=False)
    return run / "checkpoints" / "last.pt"


def test_grad_sq_is_what_r1_penalises_at_gamma_two(tmp_path: Path) -> None:
    from gankit.config import from_dict
    from gankit.data import load_dataset
    from gankit.data.transforms import to_float
    from gankit.models.build import build_discriminator
    from gankit.objectives.penalties import r1_penalty_from
    from gankit.training.checkpoint import load_checkpoint

    checkpoint = tiny_checkpoint(tmp_path)
    row = d_gradient.sharpness(checkpoint, n=8, seed=3, data_root=None)  # one batch of 8
    # the same 8 images through the same D, penalised by the library's own R1
    state = load_checkpoint(checkpoint)
    cfg = from_dict(state["config"])
    data = load_dataset("synthetic", synthetic_n=cfg.data.synthetic_n,
                        synthetic_shape=tuple(cfg.data.synthetic_shape),
                        synthetic_classes=cfg.data.synthetic_classes)  # fmt: skip
    index = torch.randperm(len(data.images), generator=torch.Generator().manual_seed(3))[:8]
    d = build_discriminator(cfg.model, image_shape=tuple(state["image_shape"]),
                            num_classes=state["num_classes"])  # fmt: skip
    d.load_state_dict(state["discriminator"])
    d.train()
    penalty = r1_penalty_from(d, to_float(data.images[index]), y=data.labels[index], gamma=2.0)
    assert row["step"] == 4 and row["n"] == 8
    assert row["grad_sq"] > 0
    assert abs(row["grad_sq"] - penalty.item()) <= 1e-4 * max(1.0, penalty.item())
    assert 0.0 <= row["real_accuracy"] <= 1.0 and row["real_loss"] > 0


def test_main_prints_a_row_per_checkpoint_and_refuses_a_missing_one(tmp_path: Path, capsys):
    checkpoint = tiny_checkpoint(tmp_path, "objective.diffaugment=translation,color")
    assert d_gradient.main([str(checkpoint), str(checkpoint), "--n", "16", "--json"]) == 0
    first, second = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert first == second  # seeded: the same images and augmentations every time
    assert first["n"] == 16
    assert d_gradient.main([str(tmp_path / "nope.pt")]) == 2
    assert capsys.readouterr().err.strip() == f"No such checkpoint: {tmp_path / 'nope.pt'}."
    assert d_gradient.main([str(checkpoint), "--n", "0"]) == 2
