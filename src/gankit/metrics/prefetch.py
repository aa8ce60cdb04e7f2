"""Run an image-producing iterator one step ahead in a background thread.

Why: scoring a generator alternates two jobs, generating a batch and running Inception on it.
PyTorch releases the GIL inside its kernels, so a producer thread can compute batch k+1 while
the caller's thread runs Inception on batch k; the generator's cost then hides behind the
network's (fully on a GPU, partly on a CPU whose cores the Inception does not keep busy).

The results do not change: the producer runs the same iterator, in the same order, with the
same intra-op thread count (PyTorch gives every new thread the process-wide setting) and under
``torch.inference_mode`` like the sequential path; only *when* each batch is computed moves.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from typing import TypeVar

import torch

T = TypeVar("T")

_DONE = object()


class _Failure:
    """An exception raised in the producer, carried to the consumer to be re-raised there."""

    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetched(make_items: Callable[[], Iterator[T]], depth: int = 1) -> Iterator[T]:
    """Yield the items of ``make_items()``, computed by a background thread at most ``depth``
    items ahead of the consumer.

    ``make_items`` is called inside the thread (so generator functions start there). An
    exception in the producer is re-raised in the consumer; closing the returned iterator early
    (``break``, an error in the consumer) stops and joins the producer.
    """
    if depth < 1:
        raise ValueError("depth must be at least 1")
    items: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        """Block until ``item`` is queued or the consumer has gone; False when it has gone."""
        while not stop.is_set():
            try:
                items.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            with torch.inference_mode():
                for item in make_items():
                    if not put(item):
                        return
        except BaseException as error:  # handed to the consumer, which re-raises it
            put(_Failure(error))
            return
        put(_DONE)

    worker = threading.Thread(target=produce, name="gankit-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = items.get()
            if item is _DONE:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
