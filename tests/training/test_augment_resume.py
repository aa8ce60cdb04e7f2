"""Flips and rotations draw from the run's own generator: exact resume, the noise left alone."""

from __future__ import annotations

import pytest
import torch

from gankit.config import load_config
from gankit.training.checkpoint import load_checkpoint
from gankit.training.trainer import Trainer
from tests.conftest import tiny_overrides

FLIPS = {"data.hflip": "true", "data.rotate_degrees": 15, "model.generator.norm": "batch"}


def _run(tmp_path, name: str, steps: int, *, resume: bool = False, **extra: object) -> Trainer:
    sets = tiny_overrides(**{"train.steps": steps, "train.sample_every": 1000, **FLIPS, **extra})
    trainer = Trainer(
        load_config("dcgan-fashion", sets), tmp_path / name, resume=resume, progress=False
    )
    trainer.fit()
    return trainer


def _tensors(run_dir) -> dict[str, torch.Tensor]:
    state = load_checkpoint(run_dir / "checkpoints" / "last.pt")
    out = {}
    for part in ("generator", "discriminator"):
        out.update({f"{part}.{k}": v for k, v in state[part].items()})
    for part in ("opt_g", "opt_d"):
        for index, slots in state[part]["state"].items():
            out.update({f"{part}.{index}.{k}": v for k, v in slots.items()})
    return out


@pytest.mark.slow  # three runs
def test_resume_with_flips_matches_the_straight_run(tmp_path) -> None:
    """N steps straight == N/2, resume, N/2 more: every weight and Adam slot bit for bit."""
    _run(tmp_path, "straight", 8)
    _run(tmp_path, "split", 4)
    _run(tmp_path, "split", 8, resume=True)
    a, b = _tensors(tmp_path / "straight"), _tensors(tmp_path / "split")
    assert a.keys() == b.keys() and len(a) > 10
    for key in a:
        assert torch.equal(a[key], b[key]), key


def _trainer(tmp_path, name: str, **extra: object) -> Trainer:
    sets = tiny_overrides(**{"train.steps": 3, **extra})
    return Trainer(load_config("dcgan-fashion", sets), tmp_path / name, progress=False)


def test_augmenting_a_batch_leaves_the_global_generator_alone(tmp_path) -> None:
    trainer = _trainer(tmp_path, "run", **{"data.hflip": "true", "data.rotate_degrees": 10})
    trainer.augment_rng.manual_seed(5)
    before = torch.get_rng_state()
    real, _, _ = trainer._real_batch()
    assert torch.equal(torch.get_rng_state(), before)
    # and the batch was augmented: some images flipped or turned, none lost
    plain = _trainer(tmp_path, "plain")
    reference, _, _ = plain._real_batch()
    assert real.shape == reference.shape and not torch.equal(real, reference)
    trainer.run.release_writer_lock()
    plain.run.release_writer_lock()


def test_turning_flips_on_keeps_the_same_noise(tmp_path) -> None:
    """The same seed draws the same z with and without flips (an ablation changes one thing)."""
    drawn: dict[str, list[torch.Tensor]] = {}
    for flips in ("false", "true"):
        trainer = _trainer(tmp_path, f"flips-{flips}", **{"data.hflip": flips})
        noise = trainer._noise
        seen = drawn.setdefault(flips, [])

        def record(n: int, noise=noise, seen=seen) -> tuple[torch.Tensor, torch.Tensor | None]:
            z, y = noise(n)
            seen.append(z.clone())
            return z, y

        trainer._noise = record  # type: ignore[method-assign]
        trainer.fit()
    assert len(drawn["true"]) == 3
    for a, b in zip(drawn["false"], drawn["true"], strict=True):
        assert torch.equal(a, b)
