"""InMemoryBatches: epoch permutations, sharding, end-of-epoch and resumable cursor."""

from __future__ import annotations

import pytest
import torch

from gankit.training.batches import InMemoryBatches


def _epoch(batches: InMemoryBatches) -> tuple[list[int], list[bool]]:
    seen, ends = [], []
    for _ in range(batches.batches_per_epoch):
        idx, end = batches.next()
        seen.extend(idx.tolist())
        ends.append(end)
    return seen, ends


def test_one_epoch_is_a_permutation_without_the_remainder() -> None:
    b = InMemoryBatches(10, 3, seed=0)
    assert b.batches_per_epoch == 3
    seen, ends = _epoch(b)
    assert len(seen) == 9 and len(set(seen)) == 9 and set(seen) <= set(range(10))
    assert ends == [False, False, True]
    assert b.state_dict() == {"epoch": 1, "position": 0}


def test_epochs_differ_and_the_order_depends_on_the_seed() -> None:
    a = InMemoryBatches(50, 50, seed=1)
    first, second = a.next()[0], a.next()[0]
    assert not torch.equal(first, second)
    assert sorted(first.tolist()) == sorted(second.tolist()) == list(range(50))
    other = InMemoryBatches(50, 50, seed=2).next()[0]
    assert not torch.equal(first, other)
    assert torch.equal(InMemoryBatches(50, 50, seed=1).next()[0], first)


def test_resume_from_state_continues_the_same_stream() -> None:
    ref = InMemoryBatches(40, 4, seed=3)
    stream = [ref.next()[0] for _ in range(25)]
    part = InMemoryBatches(40, 4, seed=3)
    for _ in range(13):
        part.next()
    resumed = InMemoryBatches(40, 4, seed=3)
    resumed.load_state_dict(part.state_dict())
    assert resumed.state_dict() == {"epoch": 1, "position": 3}
    for expected in stream[13:]:
        assert torch.equal(resumed.next()[0], expected)


def test_ranks_take_disjoint_interleaved_shards_of_one_order() -> None:
    full = InMemoryBatches(12, 12, seed=5).next()[0]  # the whole epoch order
    r0 = InMemoryBatches(12, 3, seed=5, rank=0, world_size=2)
    r1 = InMemoryBatches(12, 3, seed=5, rank=1, world_size=2)
    s0, _ = _epoch(r0)
    s1, _ = _epoch(r1)
    assert not set(s0) & set(s1)
    assert s0 == full.tolist()[0::2] and s1 == full.tolist()[1::2]
    assert r0.batches_per_epoch == 2


def test_batch_larger_than_data_is_rejected_with_the_numbers() -> None:
    with pytest.raises(ValueError, match=r"batch size 8 x 2 process\(es\) exceeds the 10 images"):
        InMemoryBatches(10, 8, seed=0, world_size=2)
