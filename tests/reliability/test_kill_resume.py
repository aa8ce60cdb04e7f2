"""Kill a real ``gankit train`` process at random moments; resuming must end bit-identical.

One run is interrupted again and again -- SIGKILL (no chance to clean up, possibly in the middle
of writing a checkpoint or a log line), then SIGTERM and SIGINT (the polite stops: finish the
step, checkpoint, exit 130 with the resume command) -- and resumed each time with
``gankit train --resume --out RUN``. Its final generator, discriminator, EMA and optimizer state
must equal an uninterrupted run of the same steps exactly (``torch.equal``), which holds on CPU
because the trainer reseeds every random draw from (seed, step) and the data order from
(seed, epoch).

The child is ``python -m gankit`` run through ``runpy`` with ``os.cpu_count`` pinned to 1 (see
``conftest.GANKIT``): the trainer sizes its thread pool from the core count, and on a shared
2-core CI machine two spinning OpenMP threads make this toy run ~25x slower.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import torch

from gankit.cli import main
from gankit.training.checkpoint import load_checkpoint
from tests.reliability.conftest import (
    GANKIT,
    RECIPE,
    assert_clean_error,
    run_cli,
    set_args,
    tiny_sets,
    train_argv,
)

pytestmark = pytest.mark.slow  # runs subprocesses

STEPS = 80  # ~8 ms each on one idle core: room for 5 interruptions of <= ~15 steps
SETS = tiny_sets(**{"train.steps": STEPS, "train.checkpoint_every": 1})
# What interrupts each launch; the run is then finished by one last resume.
SIGNALS = (signal.SIGKILL, signal.SIGKILL, signal.SIGKILL, signal.SIGTERM, signal.SIGINT)
SEED = 20240607


def _latest_step(run: Path) -> int:
    """Newest periodic checkpoint's step, read from its name (no unpickling while polling)."""
    names = sorted((run / "checkpoints").glob("step_*.pt"))
    return int(names[-1].stem.split("_")[1]) if names else -1


def _launch(run: Path, *, resume: bool) -> subprocess.Popen[str]:
    args = ["--resume"] if resume else [RECIPE, *set_args(SETS)]
    return subprocess.Popen(
        [*GANKIT, "train", *args, "--out", str(run), "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _interrupt(run: Path, sig: int, rng: random.Random) -> tuple[int, str, int]:
    """Launch (or resume) the run, let it advance a few steps, deliver ``sig`` mid-step."""
    start = _latest_step(run)
    proc = _launch(run, resume=start >= 0)
    try:
        target = start + rng.randint(1, 4)
        deadline = time.monotonic() + 120
        while _latest_step(run) < target and proc.poll() is None:
            assert time.monotonic() < deadline, "training made no progress"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.03))  # land anywhere in the next steps, maybe mid-write
        assert proc.poll() is None, f"run ended before it was interrupted: {proc.stderr.read()}"
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:  # never leave a trainer running behind a failed assertion
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, err, target


def _assert_same(a: Any, b: Any, where: str) -> None:
    """Recursive exact equality of state dicts (tensors with torch.equal)."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype, where
        assert torch.equal(a, b), f"{where} differs"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{where}: keys differ"
        for key in a:
            _assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


def _train_steps(run: Path) -> list[int]:
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [r["step"] for r in rows if r["kind"] == "train"]


def test_killed_and_stopped_run_resumes_bit_exactly(tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    assert main(train_argv(reference, SETS)) == 0

    run = tmp_path / "interrupted"
    rng = random.Random(SEED)
    cycles: list[str] = []
    for sig in SIGNALS:
        code, err, target = _interrupt(run, sig, rng)
        name = signal.Signals(sig).name
        step = int(load_checkpoint(run / "checkpoints" / "last.pt")["step"])
        cycles.append(f"{name}@{step}")
        if sig == signal.SIGKILL:
            assert code == -signal.SIGKILL
            assert step >= target  # only whole checkpoints are ever visible
        else:
            # A polite stop finishes its step, checkpoints it and says how to continue.
            assert code == 130, err
            assert f"resume with: gankit train --resume --out {run}" in err, err
            assert f"Stopped at step {step};" in err, err
            assert "Traceback" not in err, err

    assert main(["train", "--resume", "--out", str(run), "--quiet"]) == 0
    print(f"\nkill/resume cycles before the final resume: {len(cycles)} ({', '.join(cycles)})")

    final = load_checkpoint(run / "checkpoints" / "last.pt")
    expected = load_checkpoint(reference / "checkpoints" / "last.pt")
    assert final["step"] == expected["step"] == STEPS
    for key in ("generator", "discriminator", "ema", "opt_g", "opt_d", "batches", "lr_scale"):
        _assert_same(final[key], expected[key], key)
    # The log has every row exactly once despite kills in the middle of appending to it.
    assert _train_steps(run) == _train_steps(reference) == list(range(5, STEPS + 1, 5))
    # Temporary files of checkpoints killed mid-write were cleaned up on resume.
    assert not list((run / "checkpoints").glob(".*.tmp"))
    assert (run / "report.html").exists()


def test_run_killed_before_its_first_checkpoint_says_how_to_restart(tmp_path: Path, capsys) -> None:
    """A run stopped before any checkpoint cannot resume; the error names --force, not a loop."""
    run = tmp_path / "early"
    run.mkdir()
    (run / "config.yaml").write_text("data: {}\n")  # what a run killed during setup leaves
    code, _, err = run_cli(capsys, ["train", "--resume", "--out", str(run)])
    assert_clean_error(code, err, "before its first checkpoint", "--force")
    code, _, err = run_cli(capsys, ["train", RECIPE, *set_args(tiny_sets()), "--out", str(run)])
    assert_clean_error(code, err, "already holds a run", "--force")
