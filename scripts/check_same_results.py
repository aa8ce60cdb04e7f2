"""Show that a refactor leaves training results unchanged: same seed, same losses, same weights.

Trains ``dcgan-fashion`` and ``best-fashion`` for a fixed number of steps (CPU, fp32, FID off,
fixed seed) and records, per recipe, the ``train`` rows of ``metrics.jsonl`` (losses; the timing
fields dropped) and a SHA-256 of every tensor in the final ``last.pt`` (weights, EMA, optimizer
state, scaler). Two records are equal only if the runs were bit-identical.

Why a script and not a test with stored hashes: float results depend on the CPU's kernels (AVX2
vs AVX-512 oneDNN paths) and the thread count, so hashes written on one machine fail on another.
What is stable is the comparison of two commits on one machine, under one CPU mask::

    # record both commits' results in temporary exports of their src/ and compare them
    taskset -c 0 python scripts/check_same_results.py --rev main --rev HEAD

    # or record the code on PYTHONPATH into a file, and compare files later
    PYTHONPATH=src taskset -c 0 python scripts/check_same_results.py record --out after.json
    python scripts/check_same_results.py compare before.json after.json

Needs Fashion-MNIST (``make setup``). About two minutes per commit on one core.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

RECIPES = ("dcgan-fashion", "best-fashion")
TIMING_FIELDS = {"img_per_s", "time_s"}
REPO = Path(__file__).resolve().parent.parent


def _overrides(steps: int, seed: int) -> list[str]:
    """Fixed length by steps (not minutes: a wall-clock budget or schedule is not repeatable)."""
    return [
        f"train.steps={steps}",
        "train.epochs=null",
        "train.max_minutes=null",
        f"train.seed={seed}",
        "train.device=cpu",
        "train.precision=fp32",
        "train.fid_every=0",
        "train.log_every=10",
        "train.checkpoint_every=0",
        "train.sample_every=0",
        "train.tensorboard=false",
    ]


def _tensor_hashes(obj: Any, prefix: str = "") -> dict[str, str]:
    """``path -> sha256(dtype, shape, bytes)`` for every tensor nested in ``obj``."""
    import torch

    out: dict[str, str] = {}
    if torch.is_tensor(obj):
        t = obj.detach().cpu().contiguous().reshape(-1)  # 0-d tensors cannot be viewed as bytes
        digest = hashlib.sha256(f"{obj.dtype}{tuple(obj.shape)}".encode())
        digest.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
        out[prefix] = digest.hexdigest()
    elif isinstance(obj, dict):
        for key, value in obj.items():
            out.update(_tensor_hashes(value, f"{prefix}/{key}" if prefix else str(key)))
    elif isinstance(obj, list | tuple):
        for i, value in enumerate(obj):
            out.update(_tensor_hashes(value, f"{prefix}/{i}"))
    return out


def _record_one(recipe: str, run_dir: Path, steps: int, seed: int) -> dict[str, Any]:
    import gankit
    from gankit.config import load_config
    from gankit.training.checkpoint import load_checkpoint
    from gankit.training.trainer import Trainer

    cfg = load_config(recipe, _overrides(steps, seed))
    Trainer(cfg, run_dir, progress=False).fit()
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    losses = [
        {k: v for k, v in row.items() if k not in TIMING_FIELDS}
        for row in rows
        if row.get("kind") == "train"
    ]
    tensors = _tensor_hashes(load_checkpoint(run_dir / "checkpoints" / "last.pt"))
    combined = hashlib.sha256(json.dumps(tensors, sort_keys=True).encode()).hexdigest()
    return {
        "gankit": str(Path(gankit.__file__).parent),
        "loss_rows": losses,
        "loss_rows_sha256": hashlib.sha256(json.dumps(losses).encode()).hexdigest(),
        "tensor_sha256": tensors,
        "checkpoint_sha256": combined,
    }


def record(out: Path, steps: int, seed: int) -> dict[str, Any]:
    """Train every recipe with the gankit on ``sys.path`` and write the record to ``out``."""
    result: dict[str, Any] = {"steps": steps, "seed": seed, "recipes": {}}
    with tempfile.TemporaryDirectory(prefix="same-results-") as tmp:
        for recipe in RECIPES:
            result["recipes"][recipe] = _record_one(recipe, Path(tmp) / recipe, steps, seed)
            summary = result["recipes"][recipe]
            print(
                f"{recipe}: losses {summary['loss_rows_sha256'][:16]}  "
                f"checkpoint {summary['checkpoint_sha256'][:16]}  ({summary['gankit']})",
                file=sys.stderr,
            )
    out.write_text(json.dumps(result, indent=1) + "\n")
    return result


def compare(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Every difference between two records (empty when bit-identical)."""
    problems = []
    for recipe in RECIPES:
        ra, rb = a["recipes"][recipe], b["recipes"][recipe]
        if ra["loss_rows"] != rb["loss_rows"]:
            pairs = zip(ra["loss_rows"], rb["loss_rows"], strict=False)
            first = next(((x, y) for x, y in pairs if x != y), "(different row counts)")
            problems.append(f"{recipe}: loss rows differ, first at {first}")
        keys = set(ra["tensor_sha256"]) | set(rb["tensor_sha256"])
        differ = sorted(k for k in keys if ra["tensor_sha256"].get(k) != rb["tensor_sha256"].get(k))
        if differ:
            problems.append(f"{recipe}: {len(differ)} tensors differ, e.g. {differ[:3]}")
    return problems


def _record_rev(rev: str, out: Path, steps: int, seed: int) -> None:
    """Export ``rev``'s src/ into a temporary directory and record it in a fresh interpreter."""
    with tempfile.TemporaryDirectory(prefix="same-results-src-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", rev, "src"], check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        env = {**os.environ, "PYTHONPATH": str(Path(tmp) / "src")}
        cmd = [sys.executable, __file__, "record", "--out", str(out),
               "--steps", str(steps), "--seed", str(seed)]  # fmt: skip
        subprocess.run(cmd, env=env, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rev", action="append", default=[], help="git revision (give two)")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--keep", type=Path, help="directory to keep the two records in")
    sub = parser.add_subparsers(dest="command")
    rec = sub.add_parser("record", help="record the gankit on PYTHONPATH")
    rec.add_argument("--out", type=Path, required=True)
    rec.add_argument("--steps", type=int, default=150)
    rec.add_argument("--seed", type=int, default=1234)
    cmp_ = sub.add_parser("compare", help="compare two records")
    cmp_.add_argument("a", type=Path)
    cmp_.add_argument("b", type=Path)
    args = parser.parse_args(argv)

    if args.command == "record":
        record(args.out, args.steps, args.seed)
        return 0
    if args.command == "compare":
        records = [json.loads(p.read_text()) for p in (args.a, args.b)]
    else:
        if len(args.rev) != 2:
            parser.error("give two --rev (e.g. --rev main --rev HEAD), or use record / compare")
        keep = args.keep or Path(tempfile.mkdtemp(prefix="same-results-"))
        keep.mkdir(parents=True, exist_ok=True)
        paths = []
        for i, rev in enumerate(args.rev):
            path = keep / f"{i}-{rev.replace('/', '_')}.json"
            _record_rev(rev, path, args.steps, args.seed)
            paths.append(path)
        records = [json.loads(p.read_text()) for p in paths]
        print(f"records kept in {keep}", file=sys.stderr)
    problems = compare(*records)
    for recipe in RECIPES:
        a, b = records[0]["recipes"][recipe], records[1]["recipes"][recipe]
        print(f"{recipe}: checkpoint {a['checkpoint_sha256']} vs {b['checkpoint_sha256']}; "
              f"losses {a['loss_rows_sha256']} vs {b['loss_rows_sha256']}")  # fmt: skip
    if problems:
        print("DIFFERENT:\n  " + "\n  ".join(problems))
        return 1
    print("bit-identical: same loss rows and the same SHA-256 for every checkpoint tensor")
    return 0


if __name__ == "__main__":
    sys.exit(main())
