from __future__ import annotations

import threading

import pytest
import torch

from gankit.metrics.prefetch import prefetched


def test_items_arrive_in_order_from_another_thread_in_inference_mode():
    seen: list[tuple[int, bool]] = []

    def produce():
        for i in range(5):
            seen.append((threading.get_ident(), torch.is_inference_mode_enabled()))
            yield torch.full((2,), float(i))

    got = [int(t[0]) for t in prefetched(produce)]
    assert got == [0, 1, 2, 3, 4]
    assert all(ident != threading.get_ident() for ident, _ in seen)
    assert all(inference for _, inference in seen)


def test_producer_runs_at_most_depth_items_ahead():
    produced: list[int] = []

    def produce():
        for i in range(6):
            produced.append(i)
            yield i

    for item in prefetched(produce, depth=2):
        assert len(produced) <= item + 1 + 2 + 1  # one being built while `depth` wait queued
    assert produced == list(range(6))


def test_a_producer_error_is_raised_in_the_consumer():
    def produce():
        yield 1
        raise ValueError("generator broke")

    it = prefetched(produce)
    assert next(it) == 1
    with pytest.raises(ValueError, match="generator broke"):
        next(it)


def test_closing_early_stops_the_producer():
    produced: list[int] = []

    def produce():
        for i in range(1000):
            produced.append(i)
            yield i

    threads_before = threading.active_count()
    it = prefetched(produce)
    assert next(it) == 0
    it.close()  # joins the producer
    assert threading.active_count() == threads_before
    assert len(produced) < 10


def test_producer_uses_the_process_thread_count():
    counts: list[int] = []

    def produce():
        counts.append(torch.get_num_threads())
        yield 0

    list(prefetched(produce))
    assert counts == [torch.get_num_threads()]


def test_depth_must_be_positive():
    with pytest.raises(ValueError, match="depth"):
        list(prefetched(lambda: iter([1]), depth=0))
