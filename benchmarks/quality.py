"""Image quality at a training budget: train a recipe for N steps (or M minutes), then score it.

    python benchmarks/quality.py best-cifar10 --steps 100000 --fid-n 10000 \
        --set data.name=folder --set data.root=DIR
    python benchmarks/quality.py best-fashion --minutes 30 --fid-n 10000

Steps are the budget of every headline row: the same command and seed give the same weights on
any CPU (in fp32 training; bf16 is not bit-stable across CPUs), where a wall-clock budget gives
a different result on every machine. Give exactly one of ``--steps`` and ``--minutes``; either
replaces the recipe's own length (``train.steps``, ``train.epochs``, ``train.max_minutes``).
The training seconds are measured either way (evaluation is not counted), with the CPU.

The score is FID-N (EMA generator when the run has one) against the test split, KID and
precision/recall on the same features, and class accuracy (``cas``) for conditional runs, all
through ``gankit.api.evaluate``. One row (recipe, budget, steps, images seen, training
seconds, img/s, FID, KID, P, R, cas, seed, training precision, the Inception precision, CPU
model, cores, threads, native bf16, the share of the CPU the training got, sittings, commit)
is appended to ``benchmarks/results.jsonl`` and printed.

A long run may take several sittings: stop it (Ctrl-C or SIGTERM; the trainer finishes its
step and checkpoints) and continue it with the same command plus ``--resume``. Nothing is
lost (the trainer resumes bit-exactly and keeps the training seconds in its checkpoint), and
each sitting is noted in ``RUN/quality_sittings.jsonl``; the row says ``resumed`` and how many
``sittings`` it took. ``--eval-only`` scores a finished run again, also one trained by
``gankit train ... --set train.steps=N`` (with ``--steps N``, the run must be at step N);
such a run's sittings are counted from the ``resume`` events its trainer logged.

Image folders (e.g. a CIFAR-10 copy with ``train/`` and ``test/``) are scored against their
own ``test/`` split.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from benchlib import (
    append_row,
    cpu_facts,
    cpu_share,
    git_commit,
    images_per_step,
    measure_usage,
    run_tag,
)

from gankit.errors import GankitError

HERE = Path(__file__).resolve().parent
SITTINGS = "quality_sittings.jsonl"
EXIT_STOPPED = 130  # as `gankit train` when a stop signal ended the sitting


class BudgetError(GankitError):
    """The budget options do not name exactly one valid budget."""


def budget_overrides(steps: int | None, minutes: float | None) -> list[str]:
    """The overrides that make the run's length exactly the budget (and nothing else)."""
    if (steps is None) == (minutes is None):
        raise BudgetError("give exactly one budget: --steps N or --minutes M.")
    if steps is not None:
        if steps < 1:
            raise BudgetError(f"--steps must be at least 1; got {steps}.")
        return [f"train.steps={steps}", "train.epochs=null", "train.max_minutes=null"]
    assert minutes is not None
    if minutes <= 0:
        raise BudgetError(f"--minutes must be positive; got {minutes:g}.")
    return [f"train.max_minutes={minutes:g}", "train.epochs=null", "train.steps=null"]


def keep_pictures(
    run_dir: Path, grid_dir: Path, tag: str, *, animation: bool = False
) -> dict[str, str]:
    """Copy the run's final sample grid, loss curves and FID curve (if any), and with
    ``animation`` its per-epoch animation, next to the results file.

    Run directories are not committed; the results pages link these copies. The animation is
    asked for, not kept by default: it weighs a few hundred KB to a few MB per row.
    """
    grid_dir.mkdir(parents=True, exist_ok=True)
    wanted = [("grid", "samples/final.png"), ("losses", "losses.png"), ("fid_curve", "fid.png")]
    if animation:
        wanted.append(("animation", "animation.gif"))
    kept = {}
    for key, source in wanted:
        src = run_dir / source
        if src.is_file():
            dst = grid_dir / f"{tag}-{Path(source).stem}{Path(source).suffix}"
            shutil.copyfile(src, dst)
            repo = HERE.parent
            kept[key] = str(dst.relative_to(repo)) if dst.is_relative_to(repo) else str(dst)
    return kept


# ------------------------------------------------------------------------------ training


def checkpoint_clock(run_dir: Path) -> tuple[int, float]:
    """(step, training seconds) the run's ``last.pt`` holds; (0, 0) before its first one.

    The trainer keeps its training seconds in the checkpoint and resumes them, so they are the
    sum over sittings of the time of every step the run kept.
    """
    last = run_dir / "checkpoints" / "last.pt"
    if not last.is_file():
        return 0, 0.0
    from gankit.training.checkpoint import load_checkpoint

    state = load_checkpoint(last)
    return int(state.get("step", 0)), float(state.get("wall_time", 0.0))


def train_sitting(
    recipe: str,
    overrides: list[str],
    out: Path,
    *,
    resume: bool,
    force: bool = False,
    subscribers: tuple[Any, ...] = (),
) -> dict[str, Any]:
    """Train (or continue) the run in ``out`` until its budget or a stop signal; note the
    sitting in ``out/quality_sittings.jsonl`` and return that note."""
    from gankit import api

    step0, seconds0 = checkpoint_clock(out) if resume else (0, 0.0)
    with measure_usage() as usage:
        if resume:
            result = api.resume(out, overrides=overrides, subscribers=subscribers)
        else:
            result = api.train(
                recipe, overrides=overrides, out=out, force=force, subscribers=subscribers
            )
    facts = cpu_facts()  # after training: the threads the trainer chose
    sitting = {
        "from_step": step0,
        "to_step": result.step,
        "train_s": round(result.wall_time_s - seconds0, 2),
        "wall_s": round(usage.wall_s, 2),
        "cpu_s": round(usage.cpu_s, 2),
        "cpu_share": usage.share(facts["threads"]),
        "status": result.status,
        **facts,
        "commit": git_commit(),
        "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    record = out / SITTINGS
    if not resume:
        record.unlink(missing_ok=True)  # a run started over forgets the old one's sittings
    if result.step > step0 or not resume:  # resuming a finished run (to score it) is no sitting
        append_row(record, sitting)
    return sitting


def read_sittings(run_dir: Path) -> list[dict[str, Any]]:
    """The sittings ``quality.py`` noted for the run, oldest first."""
    from benchlib import load_rows

    return load_rows(run_dir / SITTINGS)


def sittings_summary(notes: list[dict[str, Any]]) -> dict[str, Any]:
    """``sittings`` (how many), ``resumed``, the training CPU facts and its share of the cores.

    A sitting nobody noted (trained by ``gankit train``, or killed before it could note
    itself) shows as a gap between one note's last step and the next one's first, and counts.
    Without any note the run's history is unknown: ``sittings`` and ``resumed`` are None.
    """
    if not notes:
        return {"sittings": None, "resumed": None}
    unnoted = sum(
        1 for before, after in zip([None, *notes], notes, strict=False)
        if after["from_step"] != (before["to_step"] if before else 0)
    )  # fmt: skip
    count = len(notes) + unnoted
    cpus = list(dict.fromkeys(n["cpu"] for n in notes))
    wall_threads = sum(n["wall_s"] * n["threads"] for n in notes)
    return {
        "sittings": count,
        "resumed": count > 1,
        "cpu": "; ".join(cpus),
        "native_bf16": all(n["native_bf16"] for n in notes),
        "cores": notes[-1]["cores"],
        "threads": notes[-1]["threads"],
        "cpu_share": cpu_share(sum(n["cpu_s"] for n in notes), wall_threads, 1),
    }


def logged_sittings(run_dir: Path) -> dict[str, Any]:
    """Sittings of a run ``quality.py`` did not train, from the trainer's ``resume`` events
    (logged since they existed; a run older than them reads as one sitting at most)."""
    from gankit.rundir import read_jsonl

    resumes = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r.get("event") == "resume"]
    if not resumes:
        return {"sittings": None, "resumed": None}
    cpus = list(dict.fromkeys(r["cpu"] for r in resumes if r.get("cpu")))
    return {"sittings": 1 + len(resumes), "resumed": True, "resume_cpus": "; ".join(cpus)}


# ------------------------------------------------------------------------------ the row


def run_facts(run_dir: Path) -> dict[str, Any]:
    """What the run dir says about its training: step, images seen, epochs, training seconds,
    img/s, seed and the training arithmetic (``auto`` already resolved in its config)."""
    from gankit.rundir import read_jsonl
    from gankit.training.generator_io import load_run

    run = load_run(run_dir)
    cfg = run.config
    step = run.step
    seconds = float(run.state.get("wall_time", 0.0))
    per_step = images_per_step(cfg)
    trained = [r for r in read_jsonl(run_dir / "metrics.jsonl") if r.get("kind") == "train"]
    last = trained[-1] if trained else None
    epochs = last["epoch"] * step / last["step"] if last and last["step"] else None
    return {
        "run": run,
        "steps": step,
        "images_seen": step * per_step,
        "epochs": None if epochs is None else round(epochs, 2),
        "train_s": round(seconds, 1),
        "img_per_s": round(step * per_step / max(seconds, 1e-9), 1),
        "seed": cfg.train.seed,
        "train_precision": str(cfg.train.precision),
    }


def score(run_dir: Path, run: Any, *, fid_n: int, precision: str) -> dict[str, Any]:
    """FID, KID, precision/recall of the run's generator against its test split, and class
    accuracy of 10,000 images (the registry's ``cas10k``) when it is conditional."""
    from gankit import api

    metrics = ["fid", "kid", "pr"]
    if getattr(run.generator, "num_classes", 0) >= 2:
        metrics.append("cas10k")
    return api.evaluate(run_dir, metrics=metrics, n=fid_n, ref="test", precision=precision)


def raw_fid(run: Any, *, fid_n: int) -> float:
    """FID of the raw (not averaged) generator, for ablations of the EMA; ``gankit.api``
    scores the EMA copy only, so this one goes to the metrics package directly."""
    from gankit.metrics import evaluate_generator

    run.generator.load_state_dict(run.state["generator"])
    cfg = run.config
    scores = evaluate_generator(
        run.generator, metrics=["fid"], n=fid_n, ref=f"{cfg.data.name}:test",
        data_root=cfg.data.root,
    )  # fmt: skip
    return round(float(scores["fid"]), 3)


def _rounded(value: Any, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def make_row(
    args: argparse.Namespace, facts: dict[str, Any], scores: dict[str, Any],
    history: dict[str, Any], pictures: dict[str, str], eval_s: float,
) -> dict[str, Any]:  # fmt: skip
    """The results row: the budget, what the training did, the scores, and where it ran."""
    run = facts["run"]
    here = cpu_facts()
    return {
        "recipe": args.recipe,
        "overrides": args.set,
        "budget": "steps" if args.steps is not None else "minutes",
        "minutes": args.minutes,
        "steps": facts["steps"],
        "images_seen": facts["images_seen"],
        "epochs": facts["epochs"],
        "train_s": facts["train_s"],
        "img_per_s": facts["img_per_s"],
        "fid": round(float(scores["fid"]), 3),
        "kid": round(float(scores["kid"]), 5),
        "precision": round(float(scores["precision"]), 4),
        "recall": round(float(scores["recall"]), 4),
        "n_gen": scores.get("n_gen"),
        "fid_precision": args.precision,
        "ref": scores.get("ref"),
        "data_root": run.config.data.root,
        "image_size": list(run.image_shape),
        "cas": _rounded(scores.get("cas"), 4),
        "classifier_test_accuracy": _rounded(scores.get("classifier_test_accuracy"), 4),
        "ema": run.used_ema,
        "train_precision": facts["train_precision"],
        "seed": facts["seed"],
        "fid_raw": scores.get("fid_raw"),
        "eval_s": round(eval_s, 1),
        "run_dir": str(args.out),
        "eval_only": args.eval_only,
        # The training's own CPU when quality.py noted its sittings; else (a run trained by
        # `gankit train` and only scored here) the machine that scored it.
        "cpu": history.get("cpu", here["cpu"]),
        "native_bf16": history.get("native_bf16", here["native_bf16"]),
        "cores": history.get("cores", here["cores"]),
        "threads": history.get("threads", here["threads"]),
        "cpu_share": history.get("cpu_share"),
        "sittings": history["sittings"],
        "resumed": history["resumed"],
        **({"resume_cpus": history["resume_cpus"]} if history.get("resume_cpus") else {}),
        **pictures,
        "commit": git_commit(),
    }


# ------------------------------------------------------------------------------ the CLI


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("recipe")
    ap.add_argument("--steps", type=int, default=None, help="budget: generator steps")
    ap.add_argument("--minutes", type=float, default=None, help="budget: training minutes")
    ap.add_argument("--fid-n", type=int, default=10_000)
    ap.add_argument("--set", action="append", default=[], help="extra config overrides")
    ap.add_argument(
        "--out", type=Path, default=None, help="run directory (default runs/quality-<recipe>)"
    )
    ap.add_argument("--results", type=Path, default=HERE / "results.jsonl")
    ap.add_argument(
        "--keep-animation",
        action="store_true",
        help="also keep the run's animation.gif beside its grid (for a results page)",
    )
    ap.add_argument(
        "--grids", type=Path, default=HERE / "grids", help="where sample grids are kept"
    )
    ap.add_argument(
        "--also-raw",
        action="store_true",
        help="when the run has an EMA generator, also score the raw one (fid_raw, for ablations)",
    )
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"], help="eval precision")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument(
        "--resume",
        action="store_true",
        help="continue the stopped run in --out to the budget, then score it",
    )
    mode.add_argument("--force", action="store_true", help="replace a run already in --out")
    mode.add_argument(
        "--eval-only",
        action="store_true",
        help="do not train: score the finished run in --out again",
    )
    args = ap.parse_args(argv)
    args.out = args.out or Path(f"runs/quality-{args.recipe}")
    return args


def run(args: argparse.Namespace) -> int:
    overrides = [*budget_overrides(args.steps, args.minutes), *args.set]
    if not args.eval_only:
        sitting = train_sitting(
            args.recipe, overrides, args.out, resume=args.resume, force=args.force
        )
        if sitting["status"] != "completed":
            print(
                f"Stopped at step {sitting['to_step']}; continue with the same command and "
                "--resume (no row was written).",
                file=sys.stderr,
            )
            return EXIT_STOPPED
    facts = run_facts(args.out)
    if args.steps is not None and facts["steps"] != args.steps:
        raise BudgetError(
            f"{args.out} is at step {facts['steps']:,}, not the budget of {args.steps:,} steps; "
            "train it to the budget (--resume) before scoring it."
        )
    history = sittings_summary(read_sittings(args.out))
    if history["sittings"] is None:  # trained by `gankit train`: its log counts the resumes
        history.update(logged_sittings(args.out))
    tag = run_tag(args.recipe, args.set, steps=args.steps, minutes=args.minutes)
    pictures = keep_pictures(args.out, args.grids.resolve(), tag, animation=args.keep_animation)
    started = time.perf_counter()
    scores = dict(score(args.out, facts["run"], fid_n=args.fid_n, precision=args.precision))
    if args.also_raw and facts["run"].used_ema:
        scores["fid_raw"] = raw_fid(facts["run"], fid_n=args.fid_n)
    row = make_row(args, facts, scores, history, pictures, time.perf_counter() - started)
    append_row(args.results, row)
    print(json.dumps(row))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except GankitError as exc:
        print(f"quality.py: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
