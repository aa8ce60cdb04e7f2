"""Stopping a run cleanly on Ctrl-C or SIGTERM (a scheduler's time limit, ``kill``).

The first signal only sets a flag: the loop finishes its step, every process agrees to stop,
and the run writes a checkpoint it can resume from. A second Ctrl-C stops at once.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from typing import Any


class StopRequest:
    """SIGINT / SIGTERM set :attr:`signal`; leaving the ``with`` block restores the handlers."""

    def __init__(self) -> None:
        self.signal: int | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopRequest:
        for sig in (signal.SIGINT, signal.SIGTERM):
            # signal.signal fails outside the main thread (e.g. a test runner thread).
            with contextlib.suppress(ValueError):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum: int, _frame: Any) -> None:
        if self.signal is not None:  # a second Ctrl-C stops at once
            raise KeyboardInterrupt
        self.signal = signum
        print("\nStopping after this step and writing a checkpoint...", file=sys.stderr)

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
