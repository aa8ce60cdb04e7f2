"""What every benchmark row carries, in one place: commit, CPU facts, CPU share, run tags, and
the JSON-lines files the rows live in.

Each script used to keep its own copy of these; a row's facts now mean the same thing in every
file (``results.jsonl``, ``precision_fid.jsonl``, ``one_epoch.jsonl``, ...). The scripts are
run as files (``python benchmarks/quality.py``), which puts this folder on ``sys.path``, so
they import this module as ``benchlib``; the tests load it the same way (their conftest).
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Overrides that only say where the data is: a path differs between machines, not a setting.
PATH_KEYS = ("data.root=",)


def git_commit() -> str:
    """The short commit of the checkout the benchmark ran from (``unknown`` outside git)."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
        )
    except OSError:
        return "unknown"
    return out.stdout.strip() or "unknown"


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity: ``taskset`` narrows it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def cpu_facts() -> dict[str, Any]:
    """The CPU a measurement came from: model, native bf16, cores it could use, torch threads.

    Step budgets make a score reproducible on any CPU; these facts say what the measured time
    (and a bf16 run, which is not bit-stable across CPUs) depended on.
    """
    import torch

    from gankit.cpu import cpu_model, has_native_bf16

    return {
        "cpu": cpu_model(),
        "native_bf16": has_native_bf16(),
        "cores": usable_cores(),
        "threads": torch.get_num_threads(),
    }


def cpu_share(cpu_seconds: float, wall_seconds: float, threads: int) -> float:
    """Fraction of ``threads`` cores the process used: below ~0.9 means something else ran."""
    return round(cpu_seconds / max(wall_seconds * threads, 1e-9), 3)


@dataclass
class Usage:
    """Process CPU seconds and wall seconds of a block (see :func:`measure_usage`)."""

    cpu_s: float = 0.0
    wall_s: float = 0.0

    def share(self, threads: int) -> float:
        return cpu_share(self.cpu_s, self.wall_s, threads)


@contextmanager
def measure_usage() -> Iterator[Usage]:
    """Measure the CPU seconds (this process and its finished children) and wall seconds of a
    block; the share of the cores it got follows from them."""
    usage = Usage()
    before, started = os.times(), time.perf_counter()
    try:
        yield usage
    finally:
        after = os.times()
        usage.wall_s = time.perf_counter() - started
        usage.cpu_s = sum(
            getattr(after, key) - getattr(before, key)
            for key in ("user", "system", "children_user", "children_system")
        )


def images_per_step(cfg: Any) -> int:
    """Real images the discriminator reads per generator step (batch size x n_critic) of a
    resolved config: what every result row and curve point calls images seen."""
    return cfg.train.batch_size * cfg.objective.n_critic


def run_tag(
    recipe: str, overrides: list[str], *, steps: int | None = None, minutes: float | None = None
) -> str:
    """File-name tag of one measured configuration: recipe, budget and a hash of overrides
    (``best-cifar10-100000steps``, ``best-fashion-30min-1a2b3c4d``)."""
    budget = f"{steps}steps" if steps is not None else f"{minutes:g}min"
    tag = f"{recipe}-{budget}"
    kept = [o for o in overrides if not o.startswith(PATH_KEYS)]
    if kept:
        tag += "-" + hashlib.sha1("\n".join(kept).encode()).hexdigest()[:8]
    return tag


def load_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a JSON-lines file, oldest first; a missing file has none, and a broken line is
    one sentence naming the file and line (a results file is edited by hand sometimes)."""
    path = Path(path)
    if not path.is_file():
        return []
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number} is not a JSON row ({exc.msg}).") from None
    return rows


def append_row(path: Path, row: dict[str, Any]) -> None:
    """Add ``row`` as the last line of ``path``, atomically: an interrupted write leaves the
    file as it was, never a half line that breaks every later read."""
    from gankit.atomic import atomic_write_text

    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    if text and not text.endswith("\n"):
        text += "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text + json.dumps(row) + "\n")
