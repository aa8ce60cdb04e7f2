"""What the loop reads back while it trains: averaged statistics and the progress display.

The loop keeps per-step statistics as device tensors and reads them back once per log
interval (one host sync), so these helpers take plain values, never the trainer.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import torch
from tqdm import tqdm


class StatAverager:
    """Sums per-step stats on the device; one host read per log interval."""

    def __init__(self, step: int) -> None:
        self.sums: dict[str, torch.Tensor] = {}
        self.count = 0
        self.last_time = time.perf_counter()
        self.last_step = step

    def reset(self, step: int) -> None:
        """Forget stats accumulated since the last row (after a rollback they are stale)."""
        self.sums, self.count = {}, 0
        self.last_time, self.last_step = time.perf_counter(), step

    def accumulate(self, stats: dict[str, torch.Tensor]) -> None:
        for key, value in stats.items():
            value = value.detach().float()
            self.sums[key] = self.sums[key] + value if key in self.sums else value
        self.count += 1

    def row(
        self, *, step: int, epoch: float, wall_time: float, images_per_step: int
    ) -> dict[str, Any]:
        """The ``train`` row of the interval ending at ``step``: means, speed, time; resets."""
        keys = list(self.sums)
        values = torch.stack([self.sums[k] for k in keys]).cpu().tolist() if keys else []
        now = time.perf_counter()
        steps = step - self.last_step
        row: dict[str, Any] = {"kind": "train", "step": step, "epoch": round(epoch, 4)}
        row.update({k: v / max(self.count, 1) for k, v in zip(keys, values, strict=True)})
        row["img_per_s"] = round(steps * images_per_step / max(now - self.last_time, 1e-9), 1)
        row["time_s"] = round(wall_time, 2)
        self.sums, self.count, self.last_time, self.last_step = {}, 0, now, step
        return row


class _Bar:
    """tqdm bar showing the last logged losses and img/s."""

    def __init__(self, total: int | None, initial: int, enabled: bool) -> None:
        self.bar = tqdm(
            total=total,
            initial=initial,
            disable=not enabled,
            file=sys.stderr,
            unit="step",
            dynamic_ncols=True,
        )

    def update_row(self, row: dict[str, Any]) -> None:
        shown = {k: f"{row[k]:.3f}" for k in ("d_loss", "g_loss") if isinstance(row.get(k), float)}
        shown["img/s"] = f"{row['img_per_s']:.0f}"
        self.bar.set_postfix(shown, refresh=False)

    def advance(self) -> None:
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


class _PlainProgress:
    """One plain line per logged step, for logs and CI (no carriage-return redraws)."""

    def __init__(self, total: int | None, enabled: bool) -> None:
        self.enabled = enabled
        self.total = total

    def update_row(self, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        step = f"step {row['step']}" + (f"/{self.total}" if self.total else "")
        parts = [step, f"epoch {row['epoch']:.2f}"]
        losses = [k for k in ("d_loss", "g_loss") if isinstance(row.get(k), float)]
        parts += [f"{k} {row[k]:.4f}" for k in losses]
        parts.append(f"{row['img_per_s']:.0f} img/s")
        print("  ".join(parts), file=sys.stderr, flush=True)

    def advance(self) -> None:
        pass

    def close(self) -> None:
        pass


def _interactive() -> bool:
    """A bar only when both streams are a terminal: ``cmd > log`` and CI get plain lines."""
    return all(stream.isatty() for stream in (sys.stdout, sys.stderr))


def progress_display(*, total: int | None, initial: int, enabled: bool) -> _Bar | _PlainProgress:
    """A tqdm bar on a terminal, else one line per ``train.log_every`` steps; ``enabled``
    False (``--quiet``, or a rank other than 0) shows nothing."""
    if _interactive():
        return _Bar(total, initial, enabled)
    return _PlainProgress(total, enabled)
