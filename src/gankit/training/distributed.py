"""Multi-process data parallelism with ``torch.distributed`` (gloo on CPU, NCCL on CUDA).

Launched by ``torchrun``, every process holds a full copy of G and D. Gradients are averaged
across processes after each backward (coalesced into one flat buffer per network, so it is a
single all-reduce per update), parameters and buffers start from rank 0's, and BN buffers are
re-broadcast from rank 0 after each step as DDP's ``broadcast_buffers`` does. We average
gradients explicitly instead of wrapping in ``DistributedDataParallel`` because GAN updates
need double backward (gradient penalty, R1) through the discriminator, which DDP's reducer does
not support, and because G's and D's interleaved updates would otherwise need unused-parameter
bookkeeping. Per-process BatchNorm is the default; ``train.sync_bn`` converts to SyncBatchNorm.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch._utils import _flatten_dense_tensors, _unflatten_dense_tensors

from gankit.errors import ConfigError


@dataclass
class DistContext:
    """Rank, world size and device of this process (rank 0 of 1 when not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: str = "cpu"
    owns_group: bool = False  # this process created the process group, so it destroys it

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


SYNC_BN_ON_CPU = (
    "train.sync_bn needs CUDA devices (PyTorch's SyncBatchNorm has no CPU kernel); "
    "set train.sync_bn=false to keep per-process batch norm on CPU."
)


def launched_world_size() -> int:
    """How many processes torchrun started (its ``WORLD_SIZE``); 1 without torchrun."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def check_sync_batchnorm(sync_bn: bool, device_type: str) -> None:
    """Refuse ``train.sync_bn`` for CPU processes before the process group forms.

    PyTorch's SyncBatchNorm runs on accelerators only; on CPU its first forward raises deep
    inside the step. Checked from torchrun's environment, before any process joins a group or
    writes into the run directory, so every rank exits at once with the same one sentence.
    """
    if sync_bn and launched_world_size() > 1 and device_type != "cuda":
        raise ConfigError(SYNC_BN_ON_CPU)


def init_distributed(device_type: str) -> DistContext:
    """Join the process group torchrun set up through environment variables, if any."""
    world = launched_world_size()
    if world <= 1:
        return DistContext()
    owns = not dist.is_initialized()
    if owns:
        # torch._dynamo (imported lazily by the first torch.optim optimizer) keeps references to
        # a process group that exists while it loads, so destroy_process_group() could not free
        # it: gloo's worker and socket threads outlived the run and met interpreter exit half
        # torn down ("terminate called without an active exception"). Loaded first, it holds none.
        import torch._dynamo

        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device_type == "cuda":
        torch.cuda.set_device(local)
    device = f"cuda:{local}" if device_type == "cuda" else "cpu"
    return DistContext(
        rank=dist.get_rank(),
        world_size=dist.get_world_size(),
        local_rank=local,
        device=device,
        owns_group=owns,
    )


def barrier(ctx: DistContext) -> None:
    """Wait until every process gets here (a no-op in a single process)."""
    if ctx.enabled:
        dist.barrier()


def shutdown_distributed(ctx: DistContext) -> None:
    """Destroy the process group this process created (one left alive warns at exit and
    leaks gloo/NCCL resources); a group the caller set up is the caller's to destroy."""
    if ctx.enabled and ctx.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def convert_sync_batchnorm(module: nn.Module, ctx: DistContext) -> nn.Module:
    """``module`` with SyncBatchNorm in place of BatchNorm when several processes train.

    PyTorch's SyncBatchNorm runs on CUDA only: CPU processes are refused (the trainer already
    asked :func:`check_sync_batchnorm` before joining the group; this is the backstop for other
    callers). A single process has nothing to synchronise, so the setting changes nothing there.
    """
    if not ctx.enabled:
        return module
    if not ctx.device.startswith("cuda"):
        raise ConfigError(SYNC_BN_ON_CPU)
    return nn.SyncBatchNorm.convert_sync_batchnorm(module)


def broadcast_module(module: nn.Module, ctx: DistContext) -> None:
    """Copy rank 0's parameters and buffers to every process."""
    if not ctx.enabled:
        return
    tensors = [t.data for t in module.state_dict().values() if torch.is_tensor(t)]
    for t in tensors:
        dist.broadcast(t, src=0)


def broadcast_buffers(module: nn.Module, ctx: DistContext) -> None:
    """Keep BN running statistics identical on every process (rank 0's win)."""
    if not ctx.enabled:
        return
    buffers = [b for b in module.buffers() if b.is_floating_point()]
    if buffers:
        flat = _flatten_dense_tensors(buffers)
        dist.broadcast(flat, src=0)
        for b, synced in zip(buffers, _unflatten_dense_tensors(flat, buffers), strict=True):
            b.copy_(synced)


def average_gradients(module: nn.Module, ctx: DistContext) -> None:
    """All-reduce the mean gradient of ``module`` in one coalesced call."""
    if not ctx.enabled:
        return
    params = [p for p in module.parameters() if p.requires_grad]
    for p in params:
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    grads = [p.grad for p in params]
    flat = _flatten_dense_tensors(grads)
    dist.all_reduce(flat)
    flat /= ctx.world_size
    for g, reduced in zip(grads, _unflatten_dense_tensors(flat, grads), strict=True):
        g.copy_(reduced)


def all_ranks_agree(flag: bool, ctx: DistContext) -> bool:
    """True on every rank if ``flag`` is true on any rank (stop requests, divergence)."""
    if not ctx.enabled:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=ctx.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def from_rank0(values: list[float], ctx: DistContext) -> list[float]:
    """Rank 0's ``values`` on every rank: decisions that must be the same everywhere but rest
    on per-process measurements (the precision probe's speeds and when it stops)."""
    if not ctx.enabled:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=ctx.device)
    dist.broadcast(t, src=0)
    return [float(v) for v in t.tolist()]
