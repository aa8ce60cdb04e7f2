"""What a run shows while it trains: log rows, progress bar, sample grids, figures, FID.

Kept apart from the loop so the loop reads as the algorithm. Everything here runs on rank 0
only (the callers check) except FID, whose generator pass is on rank 0 and whose result is a
plain number.
"""

from __future__ import annotations

import math
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from tqdm import tqdm

from gankit.models.generation import draw_inputs, generate

if TYPE_CHECKING:
    from gankit.rundir import RunDir
    from gankit.training.trainer import Trainer


class MetricLogger:
    """Sums per-step stats on the device; one host read per log interval."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        self.sums: dict[str, torch.Tensor] = {}
        self.count = 0
        self.last_time = time.perf_counter()
        self.last_step = trainer.step

    def reset(self) -> None:
        """Forget stats accumulated since the last flush (after a rollback they are stale)."""
        self.sums, self.count = {}, 0
        self.last_time, self.last_step = time.perf_counter(), self.trainer.step

    def accumulate(self, stats: dict[str, torch.Tensor]) -> None:
        for key, value in stats.items():
            value = value.detach().float()
            self.sums[key] = self.sums[key] + value if key in self.sums else value
        self.count += 1

    def flush(self, images_per_step: int) -> dict[str, Any]:
        tr = self.trainer
        keys = list(self.sums)
        values = torch.stack([self.sums[k] for k in keys]).cpu().tolist() if keys else []
        now = time.perf_counter()
        steps = tr.step - self.last_step
        row: dict[str, Any] = {
            "kind": "train",
            "step": tr.step,
            "epoch": round(tr.step * tr.objective.n_critic / tr.batches.batches_per_epoch, 4),
        }
        row.update({k: v / max(self.count, 1) for k, v in zip(keys, values, strict=True)})
        row["img_per_s"] = round(steps * images_per_step / max(now - self.last_time, 1e-9), 1)
        row["time_s"] = round(tr.wall_time, 2)
        if tr.dist.is_main:
            tr.run.append_metrics(row)
            tr.tensorboard.log_row(row)
        self.sums, self.count, self.last_time, self.last_step = {}, 0, now, tr.step
        return row


def is_finite_row(row: dict[str, Any]) -> bool:
    return all(
        math.isfinite(v) for k, v in row.items() if k.endswith("loss") and isinstance(v, float)
    )


def params_finite(trainer: Trainer) -> bool:
    """One fused reduction per network: cheap enough for every log interval."""
    for net in (trainer.g, trainer.d):
        total = torch.stack([p.detach().float().sum() for p in net.parameters()]).sum()
        if not torch.isfinite(total):
            return False
    return True


class _Bar:
    """tqdm bar on rank 0 showing the last logged losses and img/s."""

    def __init__(self, trainer: Trainer) -> None:
        enabled = trainer.progress and trainer.dist.is_main
        total = trainer.total_steps
        self.bar = tqdm(
            total=total,
            initial=trainer.step,
            disable=not enabled,
            file=sys.stderr,
            unit="step",
            dynamic_ncols=True,
        )

    def update_row(self, row: dict[str, Any]) -> None:
        shown = {k: f"{row[k]:.3f}" for k in ("d_loss", "g_loss") if isinstance(row.get(k), float)}
        shown["img/s"] = f"{row['img_per_s']:.0f}"
        self.bar.set_postfix(shown, refresh=False)

    def advance(self) -> None:
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class _PlainProgress:
    """One plain line per logged step, for logs and CI (no carriage-return redraws)."""

    def __init__(self, trainer: Trainer) -> None:
        self.enabled = trainer.progress and trainer.dist.is_main
        self.total = trainer.total_steps

    def update_row(self, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        step = f"step {row['step']}" + (f"/{self.total}" if self.total else "")
        parts = [step, f"epoch {row['epoch']:.2f}"]
        losses = [k for k in ("d_loss", "g_loss") if isinstance(row.get(k), float)]
        parts += [f"{k} {row[k]:.4f}" for k in losses]
        parts.append(f"{row['img_per_s']:.0f} img/s")
        print("  ".join(parts), file=sys.stderr, flush=True)

    def advance(self) -> None:
        pass

    def close(self) -> None:
        pass


def _interactive() -> bool:
    """A bar only when both streams are a terminal: ``cmd > log`` and CI get plain lines."""
    return all(stream.isatty() for stream in (sys.stdout, sys.stderr))


def progress_bar(trainer: Trainer) -> _Bar | _PlainProgress:
    """A tqdm bar on a terminal, else one line per ``train.log_every`` steps."""
    return _Bar(trainer) if _interactive() else _PlainProgress(trainer)


def sampling_module(trainer: Trainer) -> torch.nn.Module:
    """The generator used for pictures and FID: the EMA copy (batch-norm statistics
    recomputed for the averaged weights) when enabled."""
    from gankit.training.checkpoint import unwrap

    if trainer.ema is None:
        return unwrap(trainer.g)
    trainer.recalibrate_ema()
    return trainer.ema.module


class SampleWriter:
    """Fixed-noise grids in samples/, then the GIF, loss and FID figures and the run report."""

    def __init__(self, trainer: Trainer) -> None:
        self.trainer = trainer
        cfg = trainer.cfg
        gen = torch.Generator().manual_seed(cfg.train.seed + 12_345)
        k = trainer.cond_classes
        if k:
            per_class = max(1, min(10, cfg.train.sample_n // k))
            self.labels: torch.Tensor | None = torch.arange(k).repeat_interleave(per_class)
            self.nrow = per_class
        else:
            self.labels = None
            self.nrow = max(1, int(math.sqrt(cfg.train.sample_n)))
        n = len(self.labels) if self.labels is not None else cfg.train.sample_n
        self.z, _ = draw_inputs(n, cfg.model.z_dim, rng=gen, labels=self.labels)

    def write(self, step: int, *, epoch: int, final: bool = False) -> Path:
        from gankit.viz.grid import save_grid

        tr = self.trainer
        device = tr.device
        y = None if self.labels is None else self.labels.to(device)
        images = generate(sampling_module(tr), self.z.to(device), y)
        if final:
            name = "final.png"
        elif tr.cfg.train.sample_every:
            name = f"step_{step:07d}.png"
        else:
            name = f"epoch_{epoch:03d}.png"
        path = tr.run.samples / name
        save_grid(images, path, nrow=self.nrow)
        tr.tensorboard.log_image_grid("samples", images, step, nrow=self.nrow)
        if final:
            self._figures(path)
        return path

    def _figures(self, final_grid: Path) -> None:
        """Loss and FID figures, the GIF and the report, once when the run stops (completed or
        interrupted): redrawing them at every grid re-read the whole log, so a long run paid
        more per sample as it went. A report of a run still training plots from the log."""
        from gankit.viz.animation import build_gif
        from gankit.viz.curves import plot_fid, plot_losses
        from gankit.viz.report import write_run_report

        run = self.trainer.run
        rows = run.read_metrics()
        plot_losses([r for r in rows if r.get("kind") == "train"], run.root / "losses.png")
        evals = [r for r in rows if r.get("kind") == "eval"]
        if evals:
            plot_fid(evals, run.root / "fid.png")
        frames = [*run.sample_grids(), final_grid]
        if len(frames) > 1:
            build_gif(frames, run.root / "animation.gif")
        write_run_report(run.root)


def evaluate_fid(trainer: Trainer) -> dict[str, Any] | None:
    """FID/KID of the sampling generator against the configured reference split (rank 0)."""
    tr = trainer
    if not tr.dist.is_main:
        return None
    from gankit.metrics import evaluate_generator

    t = tr.cfg.train
    started = time.perf_counter()
    result = evaluate_generator(
        sampling_module(tr),
        metrics=["fid", "kid"],
        n=t.fid_n,
        ref=f"{tr.cfg.data.name}:{t.fid_ref}",
        device=str(tr.device),
        seed=t.seed,
        data_root=tr.cfg.data.root,
        precision=t.fid_precision,
    )
    row = {
        "kind": "eval",
        "step": tr.step,
        **result,
        "eval_time_s": round(time.perf_counter() - started, 2),
    }
    tr.run.append_metrics(row)
    tr.tensorboard.log_row(row)
    from gankit.viz.curves import plot_fid

    plot_fid([r for r in tr.run.read_metrics() if r.get("kind") == "eval"], tr.run.root / "fid.png")
    fid = result.get("fid")
    if fid is not None and (tr.best_fid is None or fid < tr.best_fid):
        tr.best_fid = fid
        from gankit.training.checkpoint import save_checkpoint

        save_checkpoint(tr.state_dict(), tr.run.best)
    return row


def keep_periodic_copy(run: RunDir, step: int, keep: int) -> None:
    """Hard-link last.pt as step_XXXXXXX.pt (copy if links fail) and prune to ``keep``."""
    target = run.checkpoints / f"step_{step:07d}.pt"
    target.unlink(missing_ok=True)
    try:
        os.link(run.last, target)
    except OSError:
        from gankit.atomic import atomic_write_bytes

        atomic_write_bytes(target, run.last.read_bytes())
    periodic = sorted(run.checkpoints.glob("step_*.pt"))
    for old in periodic[:-keep]:
        old.unlink(missing_ok=True)
