"""Does bf16 training cost FID? Equal steps in fp32 and bf16, two seeds each for the noise.

    python benchmarks/precision_fid.py dcgan-fashion --steps 2000 --fid-n 10000
    python benchmarks/precision_fid.py best-fashion --steps 8000 --fid-n 10000

For one recipe it trains four runs of exactly ``--steps`` generator steps: fp32 and bf16
autocast, each with seeds 0 and 1 (a seed fixes the data order and the initial weights, so
the two precisions of one seed start identically). Each is scored with FID-N against the test
split (EMA generator where the recipe has one; the Inception's own precision is
``--eval-precision``, the same for all four). The question is whether bf16 moves FID by more
than a change of seed does: the verdict line compares the gap between the two precisions'
mean FIDs with the larger of the two seed-to-seed gaps.

Steps, not minutes, fix the budget, so the answer does not depend on how fast either precision
ran or on other processes sharing the machine (the img/s and CPU share are recorded anyway).
Runs already finished in ``--out`` are not retrained, and not scored again either when the
results file holds their score at the same N and Inception precision (``--rescore`` forces it).
One JSON row per run goes to ``benchmarks/precision_fid.jsonl``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from benchlib import append_row, cpu_facts, git_commit, load_rows, measure_usage

HERE = Path(__file__).resolve().parent

ARMS = (("fp32", 0), ("bf16", 0), ("fp32", 1), ("bf16", 1))


def arm_dir(out: Path, recipe: str, precision: str, seed: int) -> Path:
    """Run directory of one (precision, seed) arm."""
    return out / f"{recipe}-{precision}-seed{seed}"


def verdict(fids: dict[tuple[str, int], float]) -> str:
    """One sentence: is the bf16 - fp32 gap of the means inside the seed-to-seed gap?"""
    means = {p: (fids[(p, 0)] + fids[(p, 1)]) / 2 for p in ("fp32", "bf16")}
    spread = {p: abs(fids[(p, 1)] - fids[(p, 0)]) for p in ("fp32", "bf16")}
    gap = means["bf16"] - means["fp32"]
    within = abs(gap) <= max(spread.values())
    return (
        f"mean FID fp32 {means['fp32']:.3f}, bf16 {means['bf16']:.3f}: bf16 - fp32 = "
        f"{gap:+.3f} ({100 * gap / means['fp32']:+.2f}%); seed 1 - seed 0 spread fp32 "
        f"{spread['fp32']:.3f}, bf16 {spread['bf16']:.3f}: "
        + ("within run-to-run noise" if within else "LARGER than the seed-to-seed spread")
    )


def recorded_fid(
    results: Path, run_dir: Path, steps: int, fid_n: int, eval_precision: str
) -> float | None:
    """The newest score of this run at these settings in the results file, if any."""
    found = None
    for row in load_rows(results):
        if (
            row.get("run_dir") == str(run_dir)
            and row.get("steps") == steps
            and row.get("fid_n") == fid_n
            and row.get("eval_precision") == eval_precision
        ):
            found = float(row["fid"])
    return found


def train_arm(
    recipe: str, steps: int, precision: str, seed: int, extra: list[str], run_dir: Path
) -> dict:
    """Train one arm for exactly ``steps`` steps (or reuse it) and return its speed record."""
    from gankit import api

    if (run_dir / "metrics.jsonl").is_file() and _finished(run_dir, steps):
        return {"img_per_s": None, "cpu_share": None, "reused": True}
    overrides = [f"train.steps={steps}", "train.epochs=null", "train.max_minutes=null",
                 f"train.precision={precision}", f"train.seed={seed}", "train.fid_every=0",
                 *extra]  # fmt: skip
    with measure_usage() as usage:
        result = api.train(recipe, overrides=overrides, out=run_dir, force=True)
    return {
        "img_per_s": round(result.img_per_s, 1),
        "cpu_share": usage.share(cpu_facts()["threads"]),
        "reused": False,
    }


def _finished(run_dir: Path, steps: int) -> bool:
    from gankit.errors import GankitError
    from gankit.training.generator_io import load_run

    try:
        return load_run(run_dir).step >= steps
    except (OSError, GankitError):  # no checkpoint yet, or a damaged one: train again
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("recipe")
    ap.add_argument("--steps", type=int, required=True, help="generator steps of every run")
    ap.add_argument("--fid-n", type=int, default=10_000)
    ap.add_argument(
        "--eval-precision",
        default="fp32",
        choices=["fp32", "bf16"],
        help="the Inception's arithmetic (the same for all runs)",
    )
    ap.add_argument("--set", action="append", default=[], help="extra config overrides")
    ap.add_argument("--out", default="runs/precision-fid")
    ap.add_argument("--results", default=str(HERE / "precision_fid.jsonl"))
    ap.add_argument("--rescore", action="store_true", help="score finished runs again")
    args = ap.parse_args()

    from gankit import api
    from gankit.training.generator_io import load_run

    machine = cpu_facts()
    print(
        f"CPU: {machine['cpu']}  native bf16: {machine['native_bf16']}  recipe: {args.recipe}  "
        f"steps: {args.steps}  FID-{args.fid_n} ({args.eval_precision} Inception)",
        flush=True,
    )
    fids: dict[tuple[str, int], float] = {}
    for precision, seed in ARMS:
        run_dir = arm_dir(Path(args.out), args.recipe, precision, seed)
        speed = train_arm(args.recipe, args.steps, precision, seed, args.set, run_dir)
        run = load_run(run_dir)
        started = time.perf_counter()
        known = (
            None
            if args.rescore
            else recorded_fid(
                Path(args.results), run_dir, run.step, args.fid_n, args.eval_precision
            )
        )
        if speed["reused"] and known is not None:
            print(f"{precision} seed {seed}: FID-{args.fid_n} {known:.3f} (recorded)", flush=True)
            fids[(precision, seed)] = known
            continue
        scores = api.evaluate(
            run_dir, metrics=["fid"], n=args.fid_n, ref="test", precision=args.eval_precision
        )
        fids[(precision, seed)] = float(scores["fid"])
        row = {
            "recipe": args.recipe,
            "train_precision": precision,
            "seed": seed,
            "steps": run.step,
            "overrides": args.set,
            "fid": round(float(scores["fid"]), 4),
            "fid_n": args.fid_n,
            "eval_precision": args.eval_precision,
            "ema": run.used_ema,
            "eval_s": round(time.perf_counter() - started, 1),
            **speed,
            "run_dir": str(run_dir),
            "cpu": machine["cpu"],
            "native_bf16": machine["native_bf16"],
            "commit": git_commit(),
        }
        append_row(Path(args.results), row)
        print(
            f"{precision} seed {seed}: FID-{args.fid_n} {row['fid']:.3f}  "
            f"(train {speed['img_per_s']} img/s, CPU share {speed['cpu_share']})",
            flush=True,
        )
    print(verdict(fids))
    return 0


if __name__ == "__main__":
    sys.exit(main())
