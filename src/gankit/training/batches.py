"""In-memory batching with a resumable, shardable data order.

The dataset lives as one uint8 tensor (on the training device when it fits), so a batch is one
index gather: no DataLoader workers, no per-sample Python. The order of an epoch is a
permutation drawn from a generator seeded by (seed, epoch), so it is reproduced exactly on resume
from just (epoch, position) and every process of a distributed run agrees on it without
communication; each rank takes its own interleaved slice, as ``DistributedSampler`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class BatchCursor:
    """Where the data stream is: epoch number and batches already taken in that epoch."""

    epoch: int = 0
    position: int = 0


class InMemoryBatches:
    """Yield index batches over ``n`` items, ``batch_size`` per process, dropping the remainder."""

    def __init__(
        self, n: int, batch_size: int, *, seed: int, rank: int = 0, world_size: int = 1
    ) -> None:
        self.n = n
        self.batch_size = batch_size
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.per_rank = n // world_size
        self.batches_per_epoch = self.per_rank // batch_size
        if self.batches_per_epoch == 0:
            raise ValueError(
                f"batch size {batch_size} x {world_size} process(es) exceeds the {n} images"
            )
        self.cursor = BatchCursor()
        self._order: torch.Tensor | None = None
        self._order_epoch = -1

    def _epoch_order(self, epoch: int) -> torch.Tensor:
        if self._order_epoch != epoch:
            gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            perm = torch.randperm(self.n, generator=gen)
            self._order = perm[self.rank : self.per_rank * self.world_size : self.world_size]
            self._order_epoch = epoch
        assert self._order is not None
        return self._order

    def next(self) -> tuple[torch.Tensor, bool]:
        """Indices of the next batch and whether it was the last one of its epoch."""
        order = self._epoch_order(self.cursor.epoch)
        start = self.cursor.position * self.batch_size
        idx = order[start : start + self.batch_size]
        self.cursor.position += 1
        end_of_epoch = self.cursor.position >= self.batches_per_epoch
        if end_of_epoch:
            self.cursor = BatchCursor(self.cursor.epoch + 1, 0)
        return idx, end_of_epoch

    def state_dict(self) -> dict[str, int]:
        return {"epoch": self.cursor.epoch, "position": self.cursor.position}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.cursor = BatchCursor(int(state["epoch"]), int(state["position"]))
