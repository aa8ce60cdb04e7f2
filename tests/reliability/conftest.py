"""Shared pieces of the fault-injection suite: a tiny model, one trained run, CLI checks.

Every test here breaks something on purpose (a signal, a full disk, a bad file, a NaN) and
checks what the user is left with: an intact run and one clear sentence. The model is the
smallest that still has batch norm buffers, dropout (so RNG restore matters), EMA and Adam
state, trained on 8x8 synthetic images so a step costs milliseconds of compute.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import torch

from gankit.cli import main
from tests.conftest import tiny_overrides

RECIPE = "mlp-gan-fashion"
# ``python -m gankit`` with one compute thread (see ``one_thread``): runpy is what ``-m`` runs.
GANKIT = [
    sys.executable,
    "-c",
    "import os, runpy; os.cpu_count = lambda: 1; runpy.run_module('gankit', run_name='__main__')",
]


def tiny_sets(**extra: object) -> list[str]:
    """``--set`` overrides (without the flag) for a model that trains at ~100 steps/s idle."""
    base: dict[str, object] = {
        "data.synthetic_shape": "[1, 8, 8]",
        "model.generator.norm": "batch",
        "train.ema": "true",
        "train.sample_every": 1000,  # pictures only at start and end: they cost more than steps
        "train.log_every": 5,
    }
    base.update(extra)
    return tiny_overrides(**base)


def set_args(sets: list[str]) -> list[str]:
    """``["k=v", ...]`` -> ``["--set", "k=v", ...]``."""
    return [arg for s in sets for arg in ("--set", s)]


def train_argv(out: Path, sets: list[str], *flags: str) -> list[str]:
    """The quiet ``gankit train`` command line of the tests' recipe with ``sets`` into ``out``."""
    return ["train", RECIPE, *set_args(sets), "--out", str(out), "--quiet", *flags]


def run_cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    """Run ``gankit ARGV`` in-process; return (exit code, stdout, stderr)."""
    capsys.readouterr()  # drop anything printed before
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


_SENTENCE_BREAK = re.compile(r"[.!?]\s+[A-Z]")


def assert_clean_error(code: int, err: str, *fragments: str) -> str:
    """Exit code 2, no traceback, exactly one line ``error: <one sentence>`` naming the fix.

    Returns the sentence so the caller can print or inspect it.
    """
    assert code == 2, f"exit code {code}, stderr: {err!r}"
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
    line = lines[0]
    assert line.startswith("error: "), line
    sentence = line[len("error: ") :]
    assert not _SENTENCE_BREAK.search(sentence), f"more than one sentence: {sentence!r}"
    assert sentence.rstrip()[-1] in ".?", f"not a finished sentence: {sentence!r}"
    for fragment in fragments:
        assert fragment in sentence, f"{fragment!r} missing from {sentence!r}"
    if os.environ.get("GANKIT_SHOW_ERRORS"):  # bypasses capture: for reviewing the wording
        print(f"user sees: {line}", file=sys.__stderr__)
    return sentence


@pytest.fixture(autouse=True)
def one_thread(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Train these toy models on one thread, restoring the process's setting afterwards.

    The trainer sizes its thread pool with ``os.cpu_count()``; on a shared 2-core CI machine
    two OpenMP threads spin against other jobs and a 40-step toy run takes ~10 s instead of
    ~0.4 s. Runs compared bit for bit must also use the same thread count.
    """
    threads = torch.get_num_threads()
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One finished 4-step run (checkpoints at steps 2 and 4); copy it before damaging it."""
    run = tmp_path_factory.mktemp("trained") / "run"
    argv = train_argv(run, tiny_sets(**{"train.checkpoint_every": 2}))
    with pytest.MonkeyPatch.context() as patch:
        threads = torch.get_num_threads()
        patch.setattr(os, "cpu_count", lambda: 1)
        assert main(argv) == 0
        torch.set_num_threads(threads)
    yield run


@pytest.fixture
def run_copy(trained_run: Path, tmp_path: Path) -> Callable[[str], Path]:
    """Factory: a private copy of the trained run that a test may break."""

    def copy(name: str = "run") -> Path:
        dest = tmp_path / name
        shutil.copytree(trained_run, dest)
        return dest

    return copy
