"""The trainer's events and the interface of their subscribers.

The trainer owns the loop, the checkpoints and the best-checkpoint decision; everything a run
*shows* (the metric log, sample grids, TensorBoard, curves, the GIF, the report, or a user's
own callback) listens to four narrow events and never sees the trainer. A subscriber that
needs more than an event carries is built with it (a run directory, a config value) instead
of reaching into the loop, so the loop can change without breaking outputs and outputs can be
added without editing the loop.

Events are delivered on rank 0 only, in the order the subscribers were given.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from torch import nn


class Subscriber:
    """Base class with no-op handlers: override the events you need.

    - ``on_log(row)``: one ``metrics.jsonl`` row: ``kind`` ``train`` every ``train.log_every``
      steps (step, epoch, averaged stats, img_per_s, time_s) or ``event`` (a rollback).
    - ``on_sample(step, generator, *, epoch, final)``: time for sample pictures; ``generator``
      is the sampling generator (the EMA copy when enabled) in whatever mode the trainer left
      it: use :func:`gankit.models.generation.generate`, which switches to eval mode and back.
      ``final`` marks the last pictures of the run (completed or interrupted).
    - ``on_eval(step, results)``: the in-training metrics of ``step`` (``train.eval_metrics``),
      a plain dict with the values and their protocol fields.
    - ``on_end(status)``: the run stopped (``completed`` or ``interrupted``); draw what is
      drawn once.
    """

    def on_log(self, row: Mapping[str, Any]) -> None:
        """A logged row (train statistics or an event)."""

    def on_sample(self, step: int, generator: nn.Module, *, epoch: int, final: bool) -> None:
        """Pictures are due at ``step`` (``epoch`` names epoch-wise grids)."""

    def on_eval(self, step: int, results: Mapping[str, Any]) -> None:
        """In-training evaluation results of ``step``."""

    def on_end(self, status: str) -> None:
        """The run stopped with ``status``."""


class Broadcast(Subscriber):
    """Forwards every event to each subscriber in order (the trainer holds one of these)."""

    def __init__(self, subscribers: Iterable[Subscriber] = ()) -> None:
        self.subscribers = list(subscribers)

    def on_log(self, row: Mapping[str, Any]) -> None:
        for sub in self.subscribers:
            sub.on_log(row)

    def on_sample(self, step: int, generator: nn.Module, *, epoch: int, final: bool) -> None:
        for sub in self.subscribers:
            sub.on_sample(step, generator, epoch=epoch, final=final)

    def on_eval(self, step: int, results: Mapping[str, Any]) -> None:
        for sub in self.subscribers:
            sub.on_eval(step, results)

    def on_end(self, status: str) -> None:
        for sub in self.subscribers:
            sub.on_end(status)
