"""The README's CIFAR-10 table in one command: every ``-cifar10`` recipe at one budget.

    python benchmarks/cifar10_table.py DIR                      # every recipe, seed 0, 20 min
    python benchmarks/cifar10_table.py DIR --seeds 0 1 --recipes dcgan-cifar10 acgan-cifar10
    python benchmarks/cifar10_table.py DIR --floor --dry-run    # print the commands only

``DIR`` holds ``train/`` and ``test/`` (class sub-folders of images, e.g. the JPEG copy of
CIFAR-10). Each recipe and seed runs ``benchmarks/quality.py`` in its own process, one after
the other (so each gets the whole machine), with fp32 training as the table states; every row
lands in ``benchmarks/results.jsonl`` and ``python benchmarks/results_table.py --write
README.md`` renders it. ``--floor`` first scores the copy's own floor (10,000 training images
against the test split), which the table prints beside its rows. Several hours of CPU: run it
in the background (``nohup ... &``) and commit rows as they land.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def cifar10_recipes() -> list[str]:
    """Every shipped recipe named ``*-cifar10``, in name order."""
    from gankit.config import list_recipes

    return sorted(name for name in list_recipes() if name.endswith("-cifar10"))


def quality_command(
    recipe: str, root: Path, *, minutes: float, fid_n: int, seed: int, runs: Path
) -> list[str]:
    """The ``quality.py`` command of one row (a seed other than 0 is an override of its own)."""
    command = [
        sys.executable, str(HERE / "quality.py"), recipe,
        "--minutes", f"{minutes:g}", "--fid-n", str(fid_n),
        "--set", "data.name=folder", "--set", f"data.root={root}",
        "--set", "train.precision=fp32",
    ]
    if seed:
        command += ["--set", f"train.seed={seed}"]
    return [*command, "--out", str(runs / f"{recipe}-{minutes:g}min-seed{seed}")]


def floor_command(root: Path) -> list[str]:
    """``gankit fid`` of 10,000 training images against the test split of the same copy."""
    return [sys.executable, "-m", "gankit", "fid", "folder:train", "folder:test",
            "--root", str(root), "--n", "10000", "--kid", "--json"]


def check_root(root: Path) -> None:
    """One sentence unless ``root`` has both splits."""
    missing = [split for split in ("train", "test") if not (root / split).is_dir()]
    if missing:
        raise SystemExit(
            f"{root} has no {' or '.join(f'{m}/' for m in missing)} folder; the table needs "
            "train/ to train on and test/ to score against."
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", type=Path, help="folder with train/ and test/")
    ap.add_argument("--minutes", type=float, default=20.0, help="training budget per row")
    ap.add_argument("--fid-n", type=int, default=5000, help="generated images per FID")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--recipes", nargs="+", default=None, help="default: every -cifar10 recipe")
    ap.add_argument("--runs", type=Path, default=Path("runs/cifar10-table"))
    ap.add_argument("--floor", action="store_true", help="score the copy's floor first")
    ap.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    args = ap.parse_args(argv)

    check_root(args.root)
    known = cifar10_recipes()
    recipes = args.recipes or known
    unknown = [r for r in recipes if r not in known]
    if unknown:
        raise SystemExit(f"Not a -cifar10 recipe: {', '.join(unknown)}; known: {', '.join(known)}.")
    commands = [floor_command(args.root)] if args.floor else []
    commands += [
        quality_command(r, args.root, minutes=args.minutes, fid_n=args.fid_n, seed=s,
                        runs=args.runs)
        for r in recipes
        for s in args.seeds
    ]
    failed = 0
    for number, command in enumerate(commands, start=1):
        print(f"[{number}/{len(commands)}] {' '.join(command)}", flush=True)
        if args.dry_run:
            continue
        started = time.perf_counter()
        code = subprocess.call(command)
        print(f"[{number}/{len(commands)}] exit {code} after "
              f"{(time.perf_counter() - started) / 60:.1f} min", flush=True)
        failed += code != 0
    if failed:
        print(f"{failed} of {len(commands)} commands failed; their rows are missing.",
              file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
