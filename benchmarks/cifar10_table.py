"""The CIFAR-10 table in one command: every ``-cifar10`` recipe at one budget.

    python benchmarks/cifar10_table.py DIR                      # every recipe, seed 0, 20 min
    python benchmarks/cifar10_table.py DIR --seeds 0 1 --recipes dcgan-cifar10 acgan-cifar10
    python benchmarks/cifar10_table.py DIR --floor --dry-run    # print the commands only
    # step budgets: each recipe at the steps its 20-minute row reached (rounded), two seeds,
    # FID-10k in exact fp32 (the headline protocol)
    python benchmarks/cifar10_table.py DIR --steps-from 20 --seeds 0 1 --fid-n 10000
    python benchmarks/cifar10_table.py DIR --steps 100000 --recipes best-cifar10 --seeds 0 1

Step budgets are the unit of every new row: the same command gives the same numbers on any
CPU. ``--steps-from M`` reads each recipe's newest plain ``M``-minute row in
``benchmarks/results.jsonl`` and uses the steps it reached, rounded to two significant
figures, with the network widths that row used; the command list says which CPU gave each
budget. A step-budget run that stopped (Ctrl-C, a closed session) continues when the same
command is run again (``quality.py --resume``); a minute-budget run starts over.

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

from results_table import SIZE_KEYS, budget_of, dataset_of, is_plain, load_rows

HERE = Path(__file__).resolve().parent


def cifar10_recipes() -> list[str]:
    """Every shipped recipe named ``*-cifar10``, in name order."""
    from gankit.config import list_recipes

    return sorted(name for name in list_recipes() if name.endswith("-cifar10"))


def quality_command(
    recipe: str,
    root: Path,
    *,
    fid_n: int,
    seed: int,
    runs: Path,
    minutes: float | None = None,
    steps: int | None = None,
    extra: tuple[str, ...] = (),
) -> list[str]:
    """The ``quality.py`` command of one row (a seed other than 0 is an override of its own).

    A step budget continues its run when one is already there (``--resume``); a minute budget
    replaces it (``--force``), since its length depends on the machine anyway.
    """
    budget = ["--steps", str(steps)] if steps is not None else ["--minutes", f"{minutes:g}"]
    label = f"{steps}steps" if steps is not None else f"{minutes:g}min"
    out = runs / f"{recipe}-{label}-seed{seed}"
    command = [
        sys.executable,
        str(HERE / "quality.py"),
        recipe,
        *budget,
        "--fid-n",
        str(fid_n),
        "--set",
        "data.name=folder",
        "--set",
        f"data.root={root}",
        "--set",
        "train.precision=fp32",
    ]
    for override in extra:
        command += ["--set", override]
    if seed:
        command += ["--set", f"train.seed={seed}"]
    again = "--resume" if steps is not None and (out / "checkpoints" / "last.pt").is_file() else (
        "--force" if steps is None else None)  # fmt: skip
    return [*command, "--out", str(out), *([again] if again else [])]


def round_steps(steps: int) -> int:
    """Two significant figures: 3,105 -> 3,100; 768 -> 770; 80 -> 80."""
    return int(round(steps, -max(0, len(str(int(steps))) - 2)))


# What a minute row set to fit its budget and its step budget must set again: the same steps at
# another image size or width are a different (and several times slower) run.
CARRIED_KEYS = (*SIZE_KEYS, "data.image_size=")


def steps_from_rows(rows: list[dict], minutes: float) -> dict[str, dict]:
    """Per recipe, the step budget its newest plain ``minutes`` CIFAR-10 row reached: the
    rounded steps, the CPU that reached them, and the image size and network widths that row
    set."""
    found: dict[str, dict] = {}
    for row in rows:
        if (
            is_plain(row)
            and "cifar10" in dataset_of(row)
            and budget_of(row) == ("minutes", minutes)
        ):
            widths = tuple(o for o in row.get("overrides") or [] if o.startswith(CARRIED_KEYS))
            found[row["recipe"]] = {
                "steps": round_steps(int(row["steps"])),
                "measured": int(row["steps"]),
                "cpu": row.get("cpu") or "unknown CPU",
                "extra": widths,
            }
    return found


def floor_command(root: Path) -> list[str]:
    """``gankit fid`` of 10,000 training images against the test split of the same copy."""
    return [
        sys.executable,
        "-m",
        "gankit",
        "fid",
        "folder:train",
        "folder:test",
        "--root",
        str(root),
        "--n",
        "10000",
        "--kid",
        "--json",
    ]


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
    budget = ap.add_mutually_exclusive_group()
    budget.add_argument(
        "--minutes", type=float, default=None, help="training minutes per row (the default: 20)"
    )
    budget.add_argument("--steps", type=int, default=None, help="generator steps per row")
    budget.add_argument(
        "--steps-from",
        type=float,
        default=None,
        metavar="MINUTES",
        help="each recipe at the steps its MINUTES-minute row reached",
    )
    ap.add_argument(
        "--results", type=Path, default=HERE / "results.jsonl", help="the rows --steps-from reads"
    )
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
    budgets: dict[str, dict] = {}
    if args.steps_from is not None:
        budgets = steps_from_rows(load_rows(args.results), args.steps_from)
        missing = [r for r in recipes if r not in budgets]
        if missing:
            raise SystemExit(
                f"No plain {args.steps_from:g}-minute row for {', '.join(missing)} "
                f"in {args.results}; give --steps N for them instead."
            )
        for r in recipes:
            b = budgets[r]
            print(
                f"{r}: {b['steps']:,} steps (its {args.steps_from:g}-minute row reached "
                f"{b['measured']:,} on {b['cpu']})",
                flush=True,
            )
    minutes = args.minutes if args.minutes is not None else (
        20.0 if args.steps is None and args.steps_from is None else None)  # fmt: skip
    commands = [floor_command(args.root)] if args.floor else []
    for r in recipes:
        steps = budgets[r]["steps"] if budgets else args.steps
        extra = budgets[r]["extra"] if budgets else ()
        commands += [
            quality_command(
                r,
                args.root,
                minutes=None if steps else minutes,
                steps=steps,
                fid_n=args.fid_n,
                seed=s,
                runs=args.runs,
                extra=extra,
            )
            for s in args.seeds
        ]
    failed = 0
    for number, command in enumerate(commands, start=1):
        print(f"[{number}/{len(commands)}] {' '.join(command)}", flush=True)
        if args.dry_run:
            continue
        started = time.perf_counter()
        code = subprocess.call(command)
        print(
            f"[{number}/{len(commands)}] exit {code} after "
            f"{(time.perf_counter() - started) / 60:.1f} min",
            flush=True,
        )
        failed += code != 0
    if failed:
        print(
            f"{failed} of {len(commands)} commands failed; their rows are missing.", file=sys.stderr
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
