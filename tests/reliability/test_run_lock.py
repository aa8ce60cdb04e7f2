"""Two real ``gankit train`` processes on one run directory: the second is refused.

The first trains (a real child process); a second ``train --resume`` into the same folder
must exit 2 naming the first's pid and leave its files alone, readers (sample, export) must
still work, and once the first is SIGKILLed the run resumes at once: the kernel released the
lock with the process, so nothing stale blocks it.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.reliability.conftest import (
    GANKIT,
    assert_clean_error,
    run_cli,
    tiny_sets,
    train_argv,
)

pytestmark = pytest.mark.slow


def test_second_writer_exits_2_naming_the_pid_and_kill_leaves_no_lock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "run"
    sets = tiny_sets(**{"train.steps": 1_000_000, "train.checkpoint_every": 2})
    first = subprocess.Popen(
        [*GANKIT, *train_argv(run, sets)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not ((run / "checkpoints" / "last.pt").exists() and (run / "metrics.jsonl").exists()):
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            assert time.monotonic() < deadline, "the first run wrote no checkpoint"
            time.sleep(0.05)
        log_before = (run / "metrics.jsonl").read_text()

        code, _, err = run_cli(capsys, ["train", "--resume", "--out", str(run), "--quiet"])
        assert_clean_error(code, err, f"process {first.pid}", str(run))
        code, _, err = run_cli(capsys, train_argv(run, sets, "--force"))
        assert_clean_error(code, err, f"process {first.pid}")
        assert (run / "metrics.jsonl").read_text().startswith(log_before)  # untouched

        grid = tmp_path / "grid.png"
        assert run_cli(capsys, ["sample", str(run), "--n", "4", "--out", str(grid)])[0] == 0
        assert grid.stat().st_size > 0
        exported = tmp_path / "g.safetensors"
        assert run_cli(capsys, ["export", str(run), "--out", str(exported)])[0] == 0
        assert first.poll() is None, "the first run must still be training"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=60)

    code, _, err = run_cli(
        capsys, ["train", "--resume", "--out", str(run), "--set", "train.steps=1", "--quiet"]
    )
    assert code == 0, err
