"""The ``train.precision=auto`` probe: a few timed training steps of the run's own networks and
batch, fp32 against bf16, interleaved so that machine noise hits both alike.

It must not change the run it decides for: it steps deep copies of G, D and their optimizers
(so no weight, batch-norm statistic or Adam moment of the run moves), reads a fixed batch
instead of the run's data stream, and draws its noise inside ``torch.random.fork_rng`` (so the
global random streams are restored afterwards). A run whose ``auto`` resolved to X is therefore
bit for bit the run started with X.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from gankit.models.generation import draw_inputs
from gankit.objectives import Objective
from gankit.training.precision import AutocastFactory, autocast_factory

PROBED_PRECISIONS = ("fp32", "bf16")


@dataclass(frozen=True)
class ProbeSchedule:
    """How long the probe times: a few seconds, never fewer than ``min_rounds`` per precision.

    A round is one timed step of each precision; rounds alternate their order (fp32, bf16 then
    bf16, fp32) so that a slow drift of the machine's speed does not favour either.
    """

    budget_s: float = 3.0  # stop starting rounds after this long (the warm-up step included)
    min_rounds: int = 2
    max_rounds: int = 8


def time_interleaved(
    steps: Mapping[str, Callable[[], None]],
    *,
    images_per_step: int,
    schedule: ProbeSchedule = ProbeSchedule(),
    sync: Callable[[], None] = lambda: None,
    agree: Callable[[bool], bool] = lambda stop: stop,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[dict[str, float], float]:
    """Images/s of each named step (its fastest timed step) and the seconds the probe took.

    One untimed warm-up step each first: it builds oneDNN / cuDNN primitives and the optimizer
    state. The fastest step estimates the speed free of interference from other processes,
    which only ever add time. ``sync`` waits for queued device work (CUDA) before the clock is
    read; ``agree`` makes all processes of a distributed run stop after the same round.
    """
    names = list(steps)
    started = clock()
    for name in names:
        steps[name]()
    sync()
    times: dict[str, list[float]] = {name: [] for name in names}
    rounds = 0
    while True:
        for name in names if rounds % 2 == 0 else reversed(names):
            t0 = clock()
            steps[name]()
            sync()
            times[name].append(clock() - t0)
        rounds += 1
        out_of_time = clock() - started >= schedule.budget_s
        enough = rounds >= schedule.min_rounds and (out_of_time or rounds >= schedule.max_rounds)
        if agree(enough):
            break
    rates = {name: images_per_step / max(min(ts), 1e-9) for name, ts in times.items()}
    return rates, clock() - started


@contextmanager
def isolated_rng(device: torch.device) -> Iterator[None]:
    """Restore the CPU (and this CUDA device's) global random state on exit."""
    devices = [device.index or 0] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        yield


class CopiedStep:
    """One D update then one G update, as the trainer's step does, on private copies.

    One ``deepcopy`` call copies the networks and optimizers together, so the copied
    optimizers hold the copied parameters (and their own moments), never the run's.
    """

    def __init__(
        self,
        g: nn.Module,
        d: nn.Module,
        opt_g: torch.optim.Optimizer,
        opt_d: torch.optim.Optimizer,
        objective: Objective,
        batch: tuple[Tensor, Tensor | None],
        *,
        z_dim: int,
        cond_classes: int,
        autocast: AutocastFactory,
    ) -> None:
        self.g, self.d, self.opt_g, self.opt_d = copy.deepcopy((g, d, opt_g, opt_d))
        self.objective = objective
        self.real, self.y_real = batch
        self.z_dim = z_dim
        self.cond_classes = cond_classes
        self.autocast = autocast

    def __call__(self) -> None:
        g, d = self.g, self.d
        z, y_fake = draw_inputs(
            self.real.shape[0], self.z_dim, self.cond_classes, device=self.real.device
        )
        d.requires_grad_(True)
        with self.autocast():
            fake = g(z, y_fake)
            d_loss, _ = self.objective.d_loss(d, self.real, fake, self.y_real, y_fake)
        self.opt_d.zero_grad(set_to_none=True)
        d_loss.backward()
        self.opt_d.step()
        self.objective.after_d_step(d)
        d.requires_grad_(False)
        with self.autocast():
            g_loss, _ = self.objective.g_loss(d, fake, y_fake)
        self.opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        self.opt_g.step()
        d.requires_grad_(True)


def probe_training_speed(
    g: nn.Module,
    d: nn.Module,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    objective: Objective,
    batch: tuple[Tensor, Tensor | None],
    *,
    z_dim: int,
    cond_classes: int,
    device: torch.device,
    schedule: ProbeSchedule = ProbeSchedule(),
    agree: Callable[[bool], bool] = lambda stop: stop,
) -> tuple[dict[str, float], float]:
    """Images/s of this model and batch in fp32 and in bf16, and the probe's seconds."""

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    with isolated_rng(device):
        steps = {
            precision: CopiedStep(
                g,
                d,
                opt_g,
                opt_d,
                objective,
                batch,
                z_dim=z_dim,
                cond_classes=cond_classes,
                autocast=autocast_factory(precision, device),
            )
            for precision in PROBED_PRECISIONS
        }
        return time_interleaved(
            steps,
            images_per_step=batch[0].shape[0],
            schedule=schedule,
            sync=sync,
            agree=agree,
        )
