"""Exponential moving average of generator weights (Karras et al. 2018; Yazici et al. 2019).

Samples and FID from the averaged generator are usually better and much less noisy than from
the raw one. The average lives in a separate copy of the generator (``EMA.module``), in eval
mode with gradients off, used for sampling and evaluation only.

Parameters are averaged, ``ema = decay * ema + (1 - decay) * param``, with fused foreach
kernels (one launch per dtype/device group, no host syncs). Buffers (batch-norm running
statistics, ``num_batches_tracked``) are *copied*, not averaged: they describe the current
weights' activations and averaging the integer counter makes no sense. But the *live*
weights' statistics do not fit the *averaged* weights: a batch-norm generator's EMA samples come
out washed-out and its FID worse than the raw generator's (measured: FID-2k 132 vs 104 after 5
minutes of best-fashion). :meth:`EMA.recalibrate_batch_norm` therefore recomputes the running
statistics from the averaged generator's own activations ("standing statistics", as StudioGAN
and BigGAN do) every time the average is used or saved. Before ``start_step``
the copy just tracks the live weights, so early, meaningless weights do not linger in the
average.
"""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn

from gankit.models.generation import draw_inputs
from gankit.training.checkpoint import unwrap


class EMA:
    """Keeps ``module``, a moving average of a generator's weights.

    ``update(model, step)`` after every generator step; ``step`` is the trainer's step count
    (a Python int, so the start check costs no sync). Without ``step`` an internal counter
    of updates is used.
    """

    def __init__(self, model: nn.Module, *, decay: float = 0.999, start_step: int = 0) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"EMA decay must be in [0, 1), got {decay}")
        self.decay = float(decay)
        self.start_step = int(start_step)
        self.num_updates = 0
        # (num_updates, batch_size, classes, batches, seed) of the last recalibration: a save,
        # a sample grid and an in-training FID at one step reuse it instead of redoing it.
        self._calibrated_for: tuple[int, ...] | None = None
        self.module: nn.Module = copy.deepcopy(unwrap(model)).eval().requires_grad_(False)
        self._params = [p for _, p in self.module.named_parameters()]
        self._buffers = [b for _, b in self.module.named_buffers()]

    def _source_tensors(self, model: nn.Module) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
        src = unwrap(model)
        params = [p.detach() for _, p in src.named_parameters()]
        buffers = [b.detach() for _, b in src.named_buffers()]
        if len(params) != len(self._params) or len(buffers) != len(self._buffers):
            raise ValueError("EMA.update got a model with a different structure than its copy")
        return params, buffers

    @torch.no_grad()
    def update(self, model: nn.Module, step: int | None = None) -> None:
        """Fold the live weights of ``model`` into the average (or copy them before start)."""
        step = self.num_updates if step is None else int(step)
        params, buffers = self._source_tensors(model)
        if self._params:
            if step < self.start_step:
                torch._foreach_copy_(self._params, params)
            else:
                # lerp(ema, p, 1 - decay) = ema + (1 - decay) (p - ema) = decay ema + (1-decay) p
                torch._foreach_lerp_(self._params, params, 1.0 - self.decay)
        if self._buffers:
            torch._foreach_copy_(self._buffers, buffers)
        self.num_updates += 1
        self._calibrated_for = None

    @torch.no_grad()
    def copy_from(self, model: nn.Module) -> None:
        """Reset the average to the live weights (e.g. after loading a checkpoint without EMA)."""
        params, buffers = self._source_tensors(model)
        if self._params:
            torch._foreach_copy_(self._params, params)
        if self._buffers:
            torch._foreach_copy_(self._buffers, buffers)
        self._calibrated_for = None

    @torch.no_grad()
    def recalibrate_batch_norm(
        self, batch_size: int, num_classes: int = 0, batches: int = 16, seed: int = 0
    ) -> bool:
        """Recompute the averaged generator's batch-norm running statistics.

        Runs ``batches`` forward passes of ``batch_size`` fixed-seed latents (uniform labels
        when conditional) in train mode with a cumulative average, then returns to eval mode.
        The draw uses its own ``torch.Generator``, so training randomness (and bit-exact
        resume) is untouched. Returns False (and leaves the copied statistics) when there is no
        batch norm, or when it is synchronised across processes (a lone rank cannot run it).
        A repeat call with the same arguments and no update in between does no work.
        """
        norms = [m for m in self.module.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not norms or any(isinstance(m, nn.SyncBatchNorm) for m in norms):
            return False
        key = (self.num_updates, batch_size, num_classes, batches, seed)
        if self._calibrated_for == key:
            return True
        device = next(self.module.parameters()).device
        rng = torch.Generator(device=device).manual_seed(seed)
        momenta = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative moving average over the passes
        self.module.train()
        try:
            for _ in range(batches):
                z, y = draw_inputs(
                    batch_size, self.module.z_dim, num_classes, rng=rng, device=device
                )
                self.module(z, y)
        finally:
            for m, momentum in zip(norms, momenta, strict=True):
                m.momentum = momentum
            self.module.eval()
        self._calibrated_for = key
        return True

    def to(self, *args: Any, **kwargs: Any) -> EMA:
        """Move the averaged copy (same arguments as ``nn.Module.to``)."""
        self.module.to(*args, **kwargs)
        self._params = [p for _, p in self.module.named_parameters()]
        self._buffers = [b for _, b in self.module.named_buffers()]
        return self

    def state_dict(self) -> dict[str, Any]:
        """Plain tensors and numbers: loadable with ``torch.load(weights_only=True)``."""
        return {
            "module": self.module.state_dict(),
            "decay": self.decay,
            "start_step": self.start_step,
            "num_updates": self.num_updates,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore from :meth:`state_dict` (a bare module state dict is accepted too)."""
        self._calibrated_for = None
        if "module" not in state:  # a plain generator state dict
            self.module.load_state_dict(state)
            return
        self.module.load_state_dict(state["module"])
        self.decay = float(state.get("decay", self.decay))
        self.start_step = int(state.get("start_step", self.start_step))
        self.num_updates = int(state.get("num_updates", self.num_updates))

    def __repr__(self) -> str:
        return (
            f"EMA(decay={self.decay}, start_step={self.start_step}, num_updates={self.num_updates})"
        )
