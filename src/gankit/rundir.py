"""The run directory: creation rules, the writer lock, the metrics log, where each file lives.

One process writes a run: two trainers in one directory would both write ``last.pt`` and
rewrite ``metrics.jsonl``, silently losing one's steps. The writer therefore holds an
exclusive ``flock`` on ``.lock`` in the run directory for as long as it trains. The OS drops
the lock when the process ends, however it ends (SIGKILL included), so there is never a stale
lock to clean up. Readers (eval, sample, compare, export) never take it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import re
import shutil
from pathlib import Path
from typing import Any

from gankit.atomic import atomic_write_text, remove_stale_temps
from gankit.errors import RunDirError

# Everything gankit writes in a run directory; --force removes exactly these.
RUN_FILES = (
    "config.yaml",
    "metrics.jsonl",
    "losses.png",
    "fid.png",
    "animation.gif",
    "report.html",
)
RUN_DIRS = ("checkpoints", "samples", "tensorboard")
LOCK_NAME = ".lock"  # kept by --force: another process may hold it


class RunDir:
    """Paths of one run, plus the append-only ``metrics.jsonl`` log."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.checkpoints = self.root / "checkpoints"
        self.samples = self.root / "samples"
        self.config = self.root / "config.yaml"
        self.metrics = self.root / "metrics.jsonl"
        self.last = self.checkpoints / "last.pt"
        self.best = self.checkpoints / "best.pt"
        self.lock_file = self.root / LOCK_NAME
        self._lock: Any = None  # open file object while this process is the writer

    def acquire_writer_lock(self) -> None:
        """Become the only writer of this run, or raise naming the process that is.

        Non-blocking: a second ``gankit train`` must fail at once, not wait for hours. The
        holder's pid is written into the lock file for that message only; the lock itself is
        the kernel's, so a pid left by a dead process is never mistaken for a live writer.
        """
        if self._lock is not None:
            return
        handle = open(self.lock_file, "a+", encoding="utf-8")  # noqa: SIM115 - held open
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            handle.close()
            who = f"process {holder}" if holder.isdigit() else "another process"
            raise RunDirError(
                f"'{self.root}' is being written by {who} (a gankit train still running); "
                "wait for it to finish or stop it before training into this directory."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._lock = handle

    def release_writer_lock(self) -> None:
        """Let another process write this run (also happens when this process exits)."""
        if self._lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def holds_run(self) -> bool:
        return self.config.exists() or self.last.exists() or self.metrics.exists()

    def check_resumable(self) -> None:
        """Raise unless ``last.pt`` exists, naming the way out for a run killed before it."""
        if self.last.exists():
            return
        if self.holds_run():  # started, then stopped before its first checkpoint
            raise RunDirError(
                f"Cannot resume: '{self.root}' stopped before its first checkpoint "
                "(no checkpoints/last.pt); start it over with --force instead of --resume."
            )
        raise RunDirError(
            f"Cannot resume: '{self.root}' has no checkpoints/last.pt; start a new run "
            "without --resume."
        )

    def prepare(self, *, resume: bool, force: bool) -> None:
        """Take the writer lock and create the folders; refuse to mix two runs in one directory.

        The lock comes first so that neither ``--force`` nor a resume's log truncation can
        touch a directory another trainer is still writing.
        """
        if resume:
            self.check_resumable()  # before creating anything: a typo must not leave a folder
        self._make_folders(self.root)
        self.acquire_writer_lock()
        try:
            self._check_and_clear(resume=resume, force=force)
        except BaseException:
            self.release_writer_lock()
            raise

    def _check_and_clear(self, *, resume: bool, force: bool) -> None:
        if resume:
            self.check_resumable()
            remove_stale_temps(self.checkpoints)  # left by a run killed while saving
        elif self.holds_run():
            if not force:
                raise RunDirError(
                    f"'{self.root}' already holds a run; pass --resume to continue it, "
                    "--force to replace it, or choose another --out."
                )
            for name in RUN_FILES:
                (self.root / name).unlink(missing_ok=True)
            for name in RUN_DIRS:
                shutil.rmtree(self.root / name, ignore_errors=True)
        self._make_folders(self.checkpoints, self.samples)

    def _make_folders(self, *folders: Path) -> None:
        """Create ``folders`` (with parents) or fail with one sentence naming the run."""
        try:
            for folder in folders:
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunDirError(
                f"Cannot create run directory '{self.root}' ({exc.strerror}); "
                "choose a writable --out."
            ) from exc

    def append_metrics(self, row: dict[str, Any]) -> None:
        """Append one JSON row (non-finite numbers are written as null, keeping valid JSON)."""
        clean = {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in row.items()
        }
        with open(self.metrics, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(clean) + "\n")
            handle.flush()

    def read_metrics(self) -> list[dict[str, Any]]:
        """All complete rows; a line cut short by a crash is skipped."""
        return read_jsonl(self.metrics)

    def sample_grids(self) -> list[Path]:
        """The periodic grids in training order: ``samples/step_*.png`` (with
        ``train.sample_every``) or ``samples/epoch_*.png``, numerically (epoch 1000 after 999)."""
        if not self.samples.is_dir():
            return []
        steps = sorted(self.samples.glob("step_*.png"), key=_number_key)
        return steps or sorted(self.samples.glob("epoch_*.png"), key=_number_key)

    def latest_sample_grid(self) -> Path | None:
        """The newest samples: ``final.png`` once training ended, else the last periodic grid,
        else the newest other PNG in ``samples/`` (never ``best.png``, a selection)."""
        final = self.samples / "final.png"
        if final.is_file():
            return final
        grids = self.sample_grids()
        if grids:
            return grids[-1]
        if not self.samples.is_dir():
            return None
        others = [p for p in self.samples.glob("*.png") if p.name != "best.png"]
        return max(others, key=lambda p: p.stat().st_mtime, default=None)

    def truncate_metrics_after(self, step: int) -> None:
        """On resume, drop rows logged after the checkpoint so the log has no duplicates."""
        rows = [r for r in self.read_metrics() if int(r.get("step", 0)) <= step]
        atomic_write_text(self.metrics, "".join(json.dumps(r) + "\n" for r in rows))


def read_jsonl(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file; blank, truncated (a run still writing, or killed mid-line),
    undecodable or non-object lines are skipped, never fatal: reports read live runs."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    rows = []
    for line in text.splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def _number_key(path: Path) -> tuple[int, str]:
    numbers = re.findall(r"\d+", path.stem)
    return (int(numbers[-1]) if numbers else -1, path.name)
