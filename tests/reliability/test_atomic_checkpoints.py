"""A checkpoint write that fails or is killed half-way never damages the previous last.pt.

Faults: the serializer dying mid-stream, the disk filling during the write or at fsync, a
read-only folder (no temp file, no rename), a real SIGKILL in the middle of writing, and a full
disk during training. Each time the old ``last.pt`` must be byte-identical and loadable, no
temporary file may be left, and the user gets one sentence saying the old checkpoint is intact.
"""

from __future__ import annotations

import errno
import io
import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from gankit.errors import CheckpointError
from gankit.rundir import RunDir
from gankit.training.checkpoint import load_checkpoint, save_checkpoint
from tests.reliability.conftest import (
    assert_clean_error,
    run_cli,
    tiny_sets,
    train_argv,
)


def _state(step: int) -> dict[str, Any]:
    """A small state with every key a real checkpoint carries."""
    gen = torch.Generator().manual_seed(step)
    return {
        "config": {},
        "image_shape": [1, 8, 8],
        "num_classes": 0,
        "generator": {"w": torch.randn(64, 64, generator=gen)},
        "discriminator": {"w": torch.randn(64, 64, generator=gen)},
        "opt_g": {},
        "opt_d": {},
        "step": step,
        "batches": {"epoch": 0, "position": step},
    }


@pytest.fixture
def last(tmp_path: Path) -> Path:
    """A run folder whose checkpoints/last.pt holds step 1."""
    path = tmp_path / "run" / "checkpoints" / "last.pt"
    save_checkpoint(_state(1), path)
    return path


def _assert_intact(last: Path, before: bytes) -> None:
    assert last.read_bytes() == before, "the previous checkpoint was modified"
    assert load_checkpoint(last)["step"] == 1
    leftovers = [p.name for p in last.parent.iterdir() if p.name != "last.pt"]
    assert leftovers == [], f"temporary files left behind: {leftovers}"


def _one_sentence(exc: CheckpointError, *fragments: str) -> None:
    text = str(exc)
    assert "\n" not in text and text.endswith("."), text
    for fragment in fragments:
        assert fragment in text, text
    if os.environ.get("GANKIT_SHOW_ERRORS"):
        print(f"user sees: error: {text}", file=sys.__stderr__)


def _enospc() -> OSError:
    return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _half_then(fail: Callable[[], BaseException]) -> Callable[..., None]:
    """A torch.save stand-in that streams half a real checkpoint, then fails."""
    real_save = torch.save

    def save(obj: object, handle: io.IOBase) -> None:
        buffer = io.BytesIO()
        real_save(obj, buffer)
        data = buffer.getvalue()
        handle.write(data[: len(data) // 2])
        raise fail()

    return save


def test_serializer_dying_mid_write_keeps_last(last: Path, monkeypatch) -> None:
    before = last.read_bytes()
    monkeypatch.setattr(torch, "save", _half_then(_enospc))
    with pytest.raises(CheckpointError) as info:
        save_checkpoint(_state(2), last)
    _one_sentence(info.value, "No space left on device", "the previous one is intact")
    _assert_intact(last, before)


class _FillingDisk(io.FileIO):
    """A file on a disk that fills up after a few bytes (ENOSPC from a real write call)."""

    budget = 1000

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > self.budget:
            room = max(0, self.budget - self.tell())
            super().write(bytes(data)[:room])
            raise _enospc()
        return super().write(data)


def test_disk_filling_during_write_keeps_last(last: Path, monkeypatch) -> None:
    before = last.read_bytes()
    real_fdopen = os.fdopen

    def fdopen(fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if "w" in mode:
            return _FillingDisk(fd, "wb", closefd=True)
        return real_fdopen(fd, mode, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", fdopen)
    with pytest.raises(CheckpointError) as info:
        save_checkpoint(_state(2), last)
    monkeypatch.undo()
    _one_sentence(info.value, "No space left on device")
    _assert_intact(last, before)


def test_disk_full_reported_at_fsync_keeps_last(last: Path, monkeypatch) -> None:
    """Delayed allocation (ext4, NFS, quotas) reports ENOSPC only when the data is flushed."""
    before = last.read_bytes()

    def fsync(_fd: int) -> None:
        raise _enospc()

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(CheckpointError) as info:
        save_checkpoint(_state(2), last)
    monkeypatch.undo()
    _one_sentence(info.value, "No space left on device")
    _assert_intact(last, before)


@pytest.mark.parametrize("blocked", ["mkstemp", "replace"])
def test_read_only_run_directory_keeps_last(last: Path, monkeypatch, blocked: str) -> None:
    """chmod cannot stop root (these tests run as root in CI), so refuse the two syscalls."""
    before = last.read_bytes()

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(last.parent))

    monkeypatch.setattr(tempfile if blocked == "mkstemp" else os, blocked, refuse)
    with pytest.raises(CheckpointError) as info:
        save_checkpoint(_state(2), last)
    monkeypatch.undo()
    _one_sentence(info.value, "Permission denied", "make the run directory writable")
    _assert_intact(last, before)


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_run_directory_for_real(last: Path) -> None:
    before = last.read_bytes()
    last.parent.chmod(0o555)
    try:
        with pytest.raises(CheckpointError) as info:
            save_checkpoint(_state(2), last)
    finally:
        last.parent.chmod(0o755)
    _one_sentence(info.value, "Permission denied")
    _assert_intact(last, before)


# The child writes half of a new checkpoint into the temporary file, then is SIGKILLed.
_KILL_MID_WRITE = """
import os, signal, sys
from gankit.training import checkpoint
real_fdopen = os.fdopen

class Dying:
    def __init__(self, handle):
        self.handle = handle
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return False
    def write(self, data):
        self.handle.write(data[: len(data) // 2])
        self.handle.flush()
        os.fsync(self.handle.fileno())
        os.kill(os.getpid(), signal.SIGKILL)

os.fdopen = lambda fd, mode="r", *a, **k: Dying(real_fdopen(fd, mode, *a, **k))
import torch
state = {"generator": {"w": torch.ones(64, 64)}, "step": 2}
checkpoint.save_checkpoint(state, sys.argv[1])
"""


@pytest.mark.slow  # a subprocess
def test_sigkill_in_the_middle_of_a_checkpoint_write(last: Path) -> None:
    before = last.read_bytes()
    proc = subprocess.run(
        [sys.executable, "-c", _KILL_MID_WRITE, str(last)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    temps = list(last.parent.glob(".last.pt.*.tmp"))
    assert len(temps) == 1 and 0 < temps[0].stat().st_size < len(before) * 2  # the torn write
    assert last.read_bytes() == before
    assert load_checkpoint(last)["step"] == 1
    # Resuming sweeps the torn temporary file away instead of letting crashes fill the disk.
    RunDir(last.parent.parent).prepare(resume=True, force=False)
    _assert_intact(last, before)


def test_disk_full_while_training_keeps_the_run_resumable(tmp_path: Path, capsys, monkeypatch):
    """ENOSPC at the second checkpoint of a real run: one sentence, exit 2, resume completes."""
    from gankit import atomic

    run = tmp_path / "run"
    sets = tiny_sets(**{"train.steps": 6, "train.checkpoint_every": 2})
    real = atomic.atomic_write_bytes
    calls = {"n": 0}

    def flaky(path: Any, data: bytes) -> None:
        if Path(path).name == "last.pt":
            calls["n"] += 1
            if calls["n"] == 2:
                raise _enospc()
        real(path, data)

    monkeypatch.setattr(atomic, "atomic_write_bytes", flaky)
    code, _, err = run_cli(capsys, train_argv(run, sets))
    assert_clean_error(
        code,
        err,
        "No space left on device",
        "the previous one is intact",
        f"resume with: gankit train --resume --out {run}",
    )
    assert load_checkpoint(run / "checkpoints" / "last.pt")["step"] == 2
    monkeypatch.setattr(atomic, "atomic_write_bytes", real)
    code, _, err = run_cli(capsys, ["train", "--resume", "--out", str(run), "--quiet"])
    assert code == 0, err
    assert load_checkpoint(run / "checkpoints" / "last.pt")["step"] == 6


def test_disk_full_while_logging_says_how_to_resume(tmp_path: Path, capsys, monkeypatch):
    """ENOSPC from metrics.jsonl (not a checkpoint): still one sentence with the resume command."""
    from gankit import rundir

    run = tmp_path / "run"
    sets = tiny_sets(**{"train.steps": 6, "train.checkpoint_every": 2, "train.log_every": 2})
    real = rundir.RunDir.append_metrics
    calls = {"n": 0}

    def flaky(self: RunDir, row: dict[str, Any]) -> None:
        calls["n"] += row.get("kind") == "train"  # not the precision event at step 0
        if calls["n"] == 2:  # step 4: the step-2 checkpoint exists
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.metrics))
        real(self, row)

    monkeypatch.setattr(rundir.RunDir, "append_metrics", flaky)
    code, _, err = run_cli(capsys, train_argv(run, sets))
    assert_clean_error(
        code,
        err,
        "No space left on device",
        "metrics.jsonl",
        f"resume with: gankit train --resume --out {run}",
    )
