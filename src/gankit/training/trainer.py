"""The generic GAN training loop.

The loop knows networks, optimizers, data and schedules; the adversarial math lives in the
objective (``d_loss`` / ``g_loss`` / ``after_d_step``), so every GAN variant is a recipe. A
step is one generator update preceded by ``n_critic`` discriminator updates.

Reproducibility: every random draw of a step comes from generators re-seeded from (seed, rank,
step) at the start of the step: the model's (noise, labels, dropout, DiffAugment) from the global
ones, the data augmentation's (flips, rotations) from the run's own ``augment_rng``, a stream of
its own so that turning flips on does not change the noise. The data order comes from (seed,
epoch). So a resumed run continues bit-exactly from its step alone, without pickled RNG objects.

Speed: data stays a uint8 tensor on the device, batches are index gathers, losses are kept as
device tensors and read back once per ``log_every`` steps (no host sync per step).
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from gankit.atomic import atomic_write_text
from gankit.config import Config, dump_yaml, to_dict
from gankit.cpu import cpu_model, has_native_bf16, pick_device, usable_cores
from gankit.data import load_configured_dataset
from gankit.data.transforms import augment, to_float
from gankit.errors import ConfigError
from gankit.models import build_discriminator, build_generator
from gankit.models.generation import draw_inputs
from gankit.objectives import build_objective
from gankit.rundir import RunDir
from gankit.training.batches import InMemoryBatches
from gankit.training.checkpoint import keep_periodic_copy, save_checkpoint, unwrap
from gankit.training.distributed import (
    DistContext,
    all_ranks_agree,
    average_gradients,
    barrier,
    broadcast_buffers,
    broadcast_module,
    check_sync_batchnorm,
    convert_sync_batchnorm,
    from_rank0,
    init_distributed,
    shutdown_distributed,
)
from gankit.training.divergence import (
    DivergencePolicy,
    finite_losses,
    params_finite,
    rollback_event,
)
from gankit.training.ema import EMA
from gankit.training.events import Broadcast, Subscriber
from gankit.training.optimizers import make_optimizer
from gankit.training.outputs import standard_subscribers
from gankit.training.precision import (
    PrecisionChoice,
    autocast_factory,
    make_scaler,
    resolve_precision,
)
from gankit.training.precision_probe import probe_training_speed
from gankit.training.progress import StatAverager, progress_display
from gankit.training.schedule import LRSchedule, RunLength
from gankit.training.state import TrainState
from gankit.training.stop import StopRequest


@dataclass
class TrainResult:
    """What a finished (or interrupted) run reports."""

    run_dir: Path
    step: int
    epochs_done: float
    wall_time_s: float
    img_per_s: float
    status: str  # "completed" | "interrupted"
    best_fid: float | None = None
    is_main: bool = True  # False on the other ranks of a multi-process run (they print nothing)
    precision: dict[str, Any] = field(default_factory=dict)  # the resolved choice and its probe

    def summary(self) -> dict[str, Any]:
        """The JSON-friendly summary ``gankit train --json`` prints."""
        return {
            "run_dir": str(self.run_dir),
            "status": self.status,
            "step": self.step,
            "epochs": round(self.epochs_done, 3),
            "wall_time_s": round(self.wall_time_s, 1),
            "img_per_s": round(self.img_per_s, 1),
            "best_fid": self.best_fid,
            **self.precision,
        }


AUGMENT_STREAM = 1  # the data augmentation's seeds; 0 is the global generators'


def _step_seed(seed: int, rank: int, step: int, stream: int = 0) -> int:
    """The seed of one random stream of one step of one process."""
    return (seed * 1_000_003 + rank * 7_919 + step * 104_729 + stream * 15_485_863) % (2**63 - 1)


class Trainer:
    """Builds everything a run needs from a Config and trains it into a run directory.

    The trainer owns the loop, the checkpoints and the best-checkpoint decision (``best_fid``,
    ``best.pt``); what a run shows is left to subscribers of its events (see
    :mod:`gankit.training.events`): the standard ones (metric log, sample grids, TensorBoard,
    figures) and any ``subscribers`` given here, all on rank 0 only.
    """

    def __init__(
        self,
        cfg: Config,
        run_dir: str | os.PathLike[str],
        *,
        resume: bool = False,
        force: bool = False,
        progress: bool = True,
        subscribers: Sequence[Subscriber] = (),
    ) -> None:
        self.cfg = cfg
        self.progress = progress
        self._extra_subscribers = list(subscribers)
        self.device = pick_device(cfg.train.device)
        # Settings no process can honour fail before any joins the group or writes a file.
        check_sync_batchnorm(cfg.train.sync_bn, self.device.type)
        self.dist: DistContext = init_distributed(self.device.type)
        if self.dist.enabled and self.device.type == "cuda":
            self.device = torch.device(self.dist.device)
        self.run = RunDir(run_dir)
        try:
            if self.dist.is_main:
                self.run.prepare(resume=resume, force=force)
            self._setup(resume)
        except BaseException:
            self.run.release_writer_lock()  # a failed start must not block the next attempt
            shutdown_distributed(self.dist)  # nor leave this process's group alive at exit
            raise

    def _setup(self, resume: bool) -> None:
        cfg = self.cfg
        torch.set_num_threads(max(1, usable_cores() // self.dist.world_size))
        torch.manual_seed(cfg.train.seed)

        self._build_data()
        self._build_models()
        self.objective = build_objective(
            cfg.objective, num_classes=self.cond_classes, conditioning=cfg.model.conditioning
        )
        self.precision = self._resolve_precision()
        self.autocast = autocast_factory(cfg.train.precision, self.device)
        self.scaler = make_scaler(cfg.train.precision, self.device)
        # On the data's device, so flips and angles need no host round trip.
        self.augment_rng = torch.Generator(device=self.device)
        self.state = TrainState(
            self.g, self.d, self.opt_g, self.opt_d, self.scaler, self.ema, self.batches
        )
        self.lr_schedule = LRSchedule(cfg.optim, self.opt_g, self.opt_d)
        self.divergence = DivergencePolicy(cfg.train.on_divergence, cfg.train.rollback_lr_factor)
        steps_per_epoch = self.batches.batches_per_epoch / cfg.objective.n_critic
        self.length = RunLength.from_config(cfg.train, steps_per_epoch)
        self.total_steps = self.length.total_steps
        if resume:
            self._load(self.run.last)
        if self.dist.is_main and not resume:
            atomic_write_text(self.run.config, dump_yaml(cfg))
        if self.dist.is_main and self.progress:  # --quiet: the JSON summary still has it
            print(f"gankit: {self.precision.describe()}", file=sys.stderr)
        if self.dist.is_main and (not resume or self.precision.probed):
            event = {"kind": "event", "event": "precision", "step": self.step}
            self.run.append_metrics({**event, **self.precision.summary()})
        if self.dist.is_main and resume:
            self.run.truncate_metrics_after(self.step)
            # A run may take several sittings, on different CPUs: the log says where each began.
            self.run.append_metrics(
                {
                    "kind": "event",
                    "event": "resume",
                    "step": self.step,
                    "cpu": cpu_model(),
                    "native_bf16": has_native_bf16(),
                }
            )
        self.events = (
            Broadcast(
                [
                    *standard_subscribers(cfg, self.run, self.cond_classes),
                    *self._extra_subscribers,
                ]
            )
            if self.dist.is_main
            else Broadcast()  # other ranks show nothing
        )

    # ------------------------------------------------------------------ construction

    def _build_data(self) -> None:
        d = self.cfg.data
        dataset = load_configured_dataset(d)
        self.dataset = dataset
        self.images = dataset.images.to(self.device)
        self.labels = dataset.labels.to(self.device)
        self.image_shape = tuple(int(v) for v in dataset.images.shape[1:])
        conditional = self.cfg.model.conditioning != "none"
        if conditional and dataset.num_classes < 2:
            raise ConfigError(
                f"model.conditioning={self.cfg.model.conditioning} needs class labels, but "
                f"dataset '{d.name}' has none; use model.conditioning=none."
            )
        self.num_classes = dataset.num_classes
        self.cond_classes = dataset.num_classes if conditional else 0
        try:
            self.batches = InMemoryBatches(
                len(self.images),
                self.cfg.train.batch_size,
                seed=self.cfg.train.seed,
                rank=self.dist.rank,
                world_size=self.dist.world_size,
            )
        except ValueError as exc:
            raise ConfigError(f"train.batch_size is too large: {exc}.") from exc

    def _build_models(self) -> None:
        m, t = self.cfg.model, self.cfg.train
        g = build_generator(m, image_shape=self.image_shape, num_classes=self.cond_classes)
        d = build_discriminator(m, image_shape=self.image_shape, num_classes=self.cond_classes)
        if t.sync_bn:
            g, d = convert_sync_batchnorm(g, self.dist), convert_sync_batchnorm(d, self.dist)
        memory_format = torch.channels_last if t.channels_last else torch.contiguous_format
        self.g = g.to(self.device, memory_format=memory_format)
        self.d = d.to(self.device, memory_format=memory_format)
        self.memory_format = memory_format
        broadcast_module(self.g, self.dist)
        broadcast_module(self.d, self.dist)
        self.opt_g = make_optimizer(self.g, self.cfg.optim.generator, self.device)
        self.opt_d = make_optimizer(self.d, self.cfg.optim.discriminator, self.device)
        self.ema = EMA(self.g, decay=t.ema_decay, start_step=t.ema_start) if t.ema else None
        self.g_fwd: Callable[..., Any] = self.g
        self.d_fwd: Callable[..., Any] = self.d
        if t.compile:
            self.g_fwd = torch.compile(self.g)
            # Used on the steps where the objective needs no double backward (see _d_for).
            self.d_fwd = torch.compile(self.d)

    def _resolve_precision(self) -> PrecisionChoice:
        """Turn ``train.precision=auto`` into fp32 or bf16 and write it into the config.

        Done before config.yaml and any checkpoint are written, so both name the precision the
        run really uses and a resume never probes again. The probe steps copies of the networks
        on the first batch of the data in storage order, and restores the random state.
        """
        t = self.cfg.train
        n = t.batch_size
        real = to_float(self.images[:n], scale=self.cfg.data.scale)
        batch = (
            real.contiguous(memory_format=self.memory_format),
            self.labels[:n] if self.cond_classes else None,
        )

        def probe() -> tuple[dict[str, float], float]:
            speeds, seconds = probe_training_speed(
                self.g,
                self.d,
                self.opt_g,
                self.opt_d,
                self.objective,
                batch,
                z_dim=self.cfg.model.z_dim,
                cond_classes=self.cond_classes,
                device=self.device,
                agree=lambda stop: from_rank0([float(stop)], self.dist)[0] > 0,
            )
            names = list(speeds)  # fp32, bf16 on every rank; all decide from rank 0's numbers
            shared = from_rank0([speeds[k] for k in names] + [seconds], self.dist)
            return dict(zip(names, shared[:-1], strict=True)), shared[-1]

        choice = resolve_precision(t.precision, self.device, probe)
        t.precision = choice.precision
        return choice

    # ------------------------------------------------------------------ state

    def recalibrate_ema(self) -> None:
        """Fit the EMA generator's batch-norm statistics to its averaged weights before use."""
        if self.ema is not None:
            self.ema.recalibrate_batch_norm(self.cfg.train.batch_size, self.cond_classes)

    def sampling_module(self) -> nn.Module:
        """The generator used for pictures and evaluation: the EMA copy (batch-norm
        statistics recomputed for the averaged weights) when enabled."""
        if self.ema is None:
            return unwrap(self.g)
        self.recalibrate_ema()
        return self.ema.module

    # The run's counters live in its TrainState (what a checkpoint saves); these keep them
    # readable and settable as the trainer's own attributes.
    @property
    def step(self) -> int:
        return self.state.step

    @step.setter
    def step(self, value: int) -> None:
        self.state.step = value

    @property
    def wall_time(self) -> float:
        return self.state.wall_time

    @wall_time.setter
    def wall_time(self, value: float) -> None:
        self.state.wall_time = value

    @property
    def best_fid(self) -> float | None:
        return self.state.best_fid

    @best_fid.setter
    def best_fid(self, value: float | None) -> None:
        self.state.best_fid = value

    @property
    def lr_scale(self) -> float:
        return self.state.lr_scale

    @lr_scale.setter
    def lr_scale(self, value: float) -> None:
        self.state.lr_scale = value

    @property
    def base_lrs(self) -> tuple[float, float]:
        """The configured learning rates of G and D before schedule and rollback cuts."""
        return self.lr_schedule.base_lrs

    def state_dict(self) -> dict[str, Any]:
        """The checkpoint of the run as it is now (EMA batch norm recalibrated first)."""
        self.recalibrate_ema()
        meta = {
            "config": to_dict(self.cfg),
            "image_shape": list(self.image_shape),
            "num_classes": self.cond_classes,
            "class_names": list(self.dataset.class_names),
        }
        return self.state.state_dict(meta)

    def _load(self, path: Path) -> None:
        self.state.load(path, self.device)

    def save(self, *, periodic: bool = False) -> None:
        """Write ``last.pt`` (and a periodic copy); only rank 0 writes."""
        if not self.dist.is_main:
            return
        state = self.state_dict()
        save_checkpoint(state, self.run.last)
        if periodic:
            keep_periodic_copy(self.run, self.step, self.cfg.train.keep_checkpoints)

    # ------------------------------------------------------------------ one step

    def _real_batch(self) -> tuple[torch.Tensor, torch.Tensor, bool]:
        idx, end_of_epoch = self.batches.next()
        idx = idx.to(self.device, non_blocking=True)
        real = to_float(self.images[idx], scale=self.cfg.data.scale)
        d = self.cfg.data
        if d.hflip or d.rotate_degrees:
            real = augment(
                real, hflip=d.hflip, rotate_degrees=d.rotate_degrees, generator=self.augment_rng
            )
        real = real.contiguous(memory_format=self.memory_format)
        return real, self.labels[idx], end_of_epoch

    def _d_for(self, d_step: int) -> Callable[..., Any]:
        """The discriminator for D step ``d_step``: the compiled one unless the objective
        differentiates a gradient there (GP, R1), which compiled graphs do not support."""
        return self.d if self.objective.needs_double_backward(d_step) else self.d_fwd

    def _noise(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        return draw_inputs(n, self.cfg.model.z_dim, self.cond_classes, device=self.device)

    def _backward_step(
        self, loss: torch.Tensor, net: nn.Module, opt: torch.optim.Optimizer
    ) -> None:
        opt.zero_grad(set_to_none=True)
        if self.scaler is not None:
            self.scaler.scale(loss).backward()
        else:
            loss.backward()
        average_gradients(net, self.dist)
        if self.scaler is not None:
            self.scaler.step(opt)
            self.scaler.update()
        else:
            opt.step()

    def train_step(self) -> tuple[dict[str, torch.Tensor], bool]:
        """n_critic D updates then one G update; returns detached stats and end-of-epoch.

        The fakes of the last critic update are generated with autograd on and reused for the
        generator update (G has not changed in between), saving one generator forward per step
        as the canonical DCGAN loop does; earlier critic updates generate without a graph.
        """
        seed, rank = self.cfg.train.seed, self.dist.rank
        torch.manual_seed(_step_seed(seed, rank, self.step))
        self.augment_rng.manual_seed(_step_seed(seed, rank, self.step, AUGMENT_STREAM))
        n = self.cfg.train.batch_size
        stats: dict[str, torch.Tensor] = {}
        epoch_ended = False
        self.d.requires_grad_(True)
        n_critic = self.objective.n_critic
        for i in range(n_critic):
            real, y_real, ended = self._real_batch()
            epoch_ended |= ended
            z, y_fake = self._noise(n)
            with self.autocast():
                with torch.set_grad_enabled(i == n_critic - 1):
                    fake = self.g_fwd(z, y_fake)
                d_step = self.step * n_critic + i
                d_loss, d_stats = self.objective.d_loss(
                    self._d_for(d_step),
                    real,
                    fake,
                    y_real if self.cond_classes else None,
                    y_fake,
                    d_step=d_step,
                )
            self._backward_step(d_loss, self.d, self.opt_d)
            self.objective.after_d_step(unwrap(self.d))
        stats.update(d_stats)
        self.d.requires_grad_(False)
        with self.autocast():
            g_loss, g_stats = self.objective.g_loss(
                self.d_fwd, fake, y_fake, real=real, y_real=y_real if self.cond_classes else None
            )
        self._backward_step(g_loss, self.g, self.opt_g)
        self.d.requires_grad_(True)
        stats.update(g_stats)
        broadcast_buffers(self.g, self.dist)
        broadcast_buffers(self.d, self.dist)
        self.step += 1
        if self.ema is not None:
            self.ema.update(unwrap(self.g), self.step)
        return stats, epoch_ended

    def _apply_lr(self) -> None:
        self.lr_schedule.apply(self.length.fraction(self.step, self.wall_time), self.lr_scale)

    def _done(self) -> bool:
        return self.length.done(self.step, self.wall_time)

    # ------------------------------------------------------------------ the loop

    def fit(self) -> TrainResult:
        """Train until steps / epochs / minutes run out or a stop signal arrives."""
        try:
            result = self._fit()
            # Leave together: rank 0's last checkpoint, grid and report take longest, and no
            # process should take its end of the group down while another still uses it.
            barrier(self.dist)
            return result
        finally:
            self.run.release_writer_lock()
            shutdown_distributed(self.dist)

    def _fit(self) -> TrainResult:
        t = self.cfg.train
        self.g.train()
        self.d.train()
        averager = self._averager = StatAverager(self.step)
        bar = progress_display(
            total=self.total_steps,
            initial=self.step,
            enabled=self.progress and self.dist.is_main,
        )
        status = "completed"
        images_per_step = t.batch_size * self.objective.n_critic * self.dist.world_size
        with StopRequest() as stop:
            if self.step == 0:
                self._emit_sample(epoch=0)
            while not self._done():
                self._apply_lr()
                started = time.perf_counter()
                stats, epoch_ended = self.train_step()
                averager.accumulate(stats)
                log_now = self.step % t.log_every == 0 or self._done()
                if log_now and self.device.type == "cuda":
                    torch.cuda.synchronize(self.device)
                self.wall_time += time.perf_counter() - started
                if log_now:
                    row = averager.row(
                        step=self.step,
                        epoch=self._epochs_done(),
                        wall_time=self.wall_time,
                        images_per_step=images_per_step,
                    )
                    self.events.on_log(row)
                    bar.update_row(row)
                    if not finite_losses(row) or not params_finite(self.g, self.d):
                        self._handle_divergence(row)
                bar.advance()
                checkpoint_due = t.checkpoint_every and self.step % t.checkpoint_every == 0
                eval_due = t.fid_every and self.step % t.fid_every == 0
                sample_due = epoch_ended if not t.sample_every else self.step % t.sample_every == 0
                if eval_due:
                    self.evaluate()
                if sample_due:
                    self._emit_sample(epoch=self.batches.cursor.epoch)
                if epoch_ended or checkpoint_due:
                    self._checked_save(periodic=True)
                if all_ranks_agree(stop.signal is not None, self.dist):
                    status = "interrupted"
                    break
            bar.close()
            if status == "completed" and t.fid_every and self.step % t.fid_every != 0:
                self.evaluate()
            self._checked_save(periodic=status == "completed")
            self._emit_sample(epoch=self.batches.cursor.epoch, final=True)
            self.events.on_end(status)
        result = TrainResult(
            run_dir=self.run.root,
            step=self.step,
            epochs_done=self._epochs_done(),
            wall_time_s=self.wall_time,
            img_per_s=self.step * images_per_step / max(self.wall_time, 1e-9),
            status=status,
            best_fid=self.best_fid,
            is_main=self.dist.is_main,
            precision=self.precision.summary(),
        )
        return result

    def _epochs_done(self) -> float:
        return self.step * self.objective.n_critic / self.batches.batches_per_epoch

    def _emit_sample(self, *, epoch: int, final: bool = False) -> None:
        """Hand the sampling generator to the subscribers (rank 0; EMA recalibrated once)."""
        if self.dist.is_main and self.events.subscribers:
            self.events.on_sample(self.step, self.sampling_module(), epoch=epoch, final=final)

    def evaluate(self) -> dict[str, Any] | None:
        """Score the sampling generator with the in-training metrics (rank 0), emit the
        results, and keep ``best.pt`` when FID improved. Returns the results (None off rank 0)."""
        if not self.dist.is_main:
            return None
        from gankit.metrics import evaluate_generator

        t = self.cfg.train
        started = time.perf_counter()
        results: dict[str, Any] = evaluate_generator(
            self.sampling_module(),
            metrics=t.eval_metrics,
            n=t.fid_n,
            ref=f"{self.cfg.data.name}:{t.fid_ref}",
            device=str(self.device),
            seed=t.seed,
            data_root=self.cfg.data.root,
            precision=t.fid_precision,
        )
        results["eval_time_s"] = round(time.perf_counter() - started, 2)
        self.events.on_eval(self.step, results)
        self._keep_if_best(results)
        return results

    def _keep_if_best(self, results: Mapping[str, Any]) -> None:
        """The best-checkpoint decision: lowest FID so far (runs without FID keep none)."""
        fid = results.get("fid")
        if not isinstance(fid, float) or not math.isfinite(fid):
            return
        if self.best_fid is None or fid < self.best_fid:
            self.best_fid = fid
            save_checkpoint(self.state_dict(), self.run.best)

    def _checked_save(self, *, periodic: bool) -> None:
        """Never write a checkpoint holding NaN weights over a good one."""
        if not params_finite(self.g, self.d):
            self._handle_divergence({"step": self.step})
            return
        self.save(periodic=periodic)

    def _handle_divergence(self, row: Mapping[str, Any]) -> None:
        """Stop (DivergenceError) or go back to ``last.pt`` with cut learning rates."""
        diverged_at = int(row.get("step", self.step))
        scale = self.divergence.rollback_scale(
            step=self.step, diverged_at=diverged_at, last=self.run.last, lr_scale=self.lr_scale
        )
        self._load(self.run.last)
        self.lr_scale = scale  # not the checkpoint's (older) scale: cuts compound
        self._averager.reset(self.step)  # its sums hold the NaN steps that were just undone
        if self.dist.is_main:
            self.run.truncate_metrics_after(self.step)  # drop the abandoned trajectory
        self.events.on_log(rollback_event(self.step, diverged_at, self.lr_scale))
        print(
            f"Divergence detected at step {diverged_at}; rolled back to step {self.step} and "
            f"scaled learning rates by {self.lr_scale:g}.",
            file=sys.stderr,
        )
