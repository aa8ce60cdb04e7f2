"""Image quality per CPU-minute: train a recipe for a wall-clock budget, then score it.

    python benchmarks/quality.py best-fashion --minutes 30 --fid-n 10000

Training time is the budget (``train.max_minutes``); evaluation is not counted. The score is
FID-N (EMA generator when the run has one) against the test split, plus KID and
precision/recall on the same features, and class accuracy (``cas``) for conditional runs. One
row (recipe, minutes, steps, img/s, FID, KID, P, R, cas, CPU model, the share of the CPU the
training got, commit) is appended to ``benchmarks/results.jsonl`` and printed.

Image folders (e.g. a CIFAR-10 copy with ``train/`` and ``test/``) are scored against their
own ``test/`` split::

    python benchmarks/quality.py dcgan-cifar10 --minutes 20 --fid-n 5000 \
        --set data.name=folder --set data.root=DIR
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

from gankit.cpu import cpu_model

HERE = Path(__file__).resolve().parent


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def run_tag(recipe: str, minutes: float, overrides: list[str]) -> str:
    """File-name tag of one measured configuration: recipe, budget and a hash of overrides."""
    tag = f"{recipe}-{minutes:g}min"
    kept = [o for o in overrides if not o.startswith("data.root=")]  # a path, not a setting
    if kept:
        tag += "-" + hashlib.sha1("\n".join(kept).encode()).hexdigest()[:8]
    return tag


def keep_pictures(run_dir: Path, grid_dir: Path, tag: str) -> dict[str, str]:
    """Copy the run's final sample grid (and FID curve, if any) next to the results file.

    Run directories are not committed; the README's Results table links these copies.
    """
    grid_dir.mkdir(parents=True, exist_ok=True)
    kept = {}
    for key, source in (("grid", "samples/final.png"), ("fid_curve", "fid.png")):
        src = run_dir / source
        if src.is_file():
            dst = grid_dir / f"{tag}-{Path(source).stem}.png"
            shutil.copyfile(src, dst)
            repo = HERE.parent
            kept[key] = str(dst.relative_to(repo)) if dst.is_relative_to(repo) else str(dst)
    return kept



def cpu_share(cpu_seconds: float, wall_seconds: float, threads: int) -> float:
    """Fraction of ``threads`` cores the process used: below ~0.9 means something else ran."""
    return round(cpu_seconds / max(wall_seconds * threads, 1e-9), 3)


def finished_run(run_dir: Path, cfg: object) -> SimpleNamespace:
    """Step (from the checkpoint), epochs and img/s (from the last logged training row)."""
    from gankit.training.generator_io import load_run

    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()
            if line.strip()]
    last = [r for r in rows if r.get("kind") == "train"][-1]
    step = load_run(run_dir).step
    per_step = cfg.train.batch_size * cfg.objective.n_critic  # type: ignore[attr-defined]
    return SimpleNamespace(step=step, epochs_done=last["epoch"] * step / last["step"],
                           img_per_s=last["step"] * per_step / max(last["time_s"], 1e-9))


def train_precision(result, run) -> str:
    """The arithmetic the run trained in (``auto`` resolved: the run's config.yaml keeps it)."""
    resolved = (getattr(result, "precision", None) or {}).get("precision")
    return str(resolved or run.config.train.precision)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("recipe")
    ap.add_argument("--minutes", type=float, required=True)
    ap.add_argument("--fid-n", type=int, default=10_000)
    ap.add_argument("--set", action="append", default=[], help="extra config overrides")
    ap.add_argument("--out", default=None, help="run directory (default runs/quality-<recipe>)")
    ap.add_argument("--results", default=str(HERE / "results.jsonl"))
    ap.add_argument("--grids", default=str(HERE / "grids"), help="where sample grids are kept")
    ap.add_argument(
        "--also-raw",
        action="store_true",
        help="when the run has an EMA generator, also score the raw one (fid_raw, for ablations)",
    )
    ap.add_argument("--precision", default="fp32", choices=["fp32", "bf16"], help="eval precision")
    ap.add_argument("--eval-only", action="store_true",
                    help="do not train: score the finished run in --out again")
    args = ap.parse_args()

    from gankit.config import load_config
    from gankit.metrics import evaluate_generator
    from gankit.training.generator_io import load_run
    from gankit.training.trainer import Trainer

    overrides = [
        f"train.max_minutes={args.minutes}",
        "train.epochs=null",
        "train.steps=null",
        *args.set,
    ]
    cfg = load_config(args.recipe, overrides)
    out = Path(args.out or f"runs/quality-{args.recipe}")
    import torch

    from gankit.cpu import has_native_bf16

    if args.eval_only:  # the run finished earlier: score it again (e.g. after a metrics fix)
        result, share = finished_run(out, cfg), None
    else:
        cpu_before, wall_before = os.times(), time.perf_counter()
        result = Trainer(cfg, out, force=True).fit()
        times = os.times()
        share = cpu_share(times.user + times.system - cpu_before.user - cpu_before.system,
                          time.perf_counter() - wall_before, torch.get_num_threads())
    tag = run_tag(args.recipe, args.minutes, args.set)
    pictures = keep_pictures(out, Path(args.grids).resolve(), tag)
    run = load_run(out)
    started = time.perf_counter()
    ref = f"{cfg.data.name}:test"
    scores = evaluate_generator(
        run.generator,
        metrics=["fid", "kid", "pr"],
        n=args.fid_n,
        ref=ref,
        precision=args.precision,
        data_root=cfg.data.root,
        progress=True,
    )
    cas = classifier_accuracy = None
    if getattr(run.generator, "num_classes", 0) >= 2:
        from gankit.metrics.class_accuracy import class_accuracy, get_classifier

        clf = get_classifier(cfg.data.name, root=cfg.data.root)
        cas = round(class_accuracy(run.generator, clf.model, n=10_000), 4)
        classifier_accuracy = round(clf.test_accuracy, 4)
    fid_raw = None
    if args.also_raw and run.used_ema:
        run.generator.load_state_dict(run.state["generator"])
        raw = evaluate_generator(
            run.generator, metrics=["fid"], n=args.fid_n, ref=ref, data_root=cfg.data.root
        )
        fid_raw = round(float(raw["fid"]), 3)
    row = {
        "recipe": args.recipe,
        "overrides": args.set,
        "minutes": args.minutes,
        "steps": result.step,
        "epochs": round(result.epochs_done, 2),
        "img_per_s": round(result.img_per_s, 1),
        "fid": round(float(scores["fid"]), 3),
        "kid": round(float(scores["kid"]), 5),
        "precision": round(float(scores["precision"]), 4),
        "recall": round(float(scores["recall"]), 4),
        "n_gen": scores.get("n_gen"),
        "fid_precision": args.precision,
        "ref": scores.get("ref"),
        "data_root": cfg.data.root,
        "image_size": list(run.generator.image_shape),
        "cas": cas,
        "classifier_test_accuracy": classifier_accuracy,
        "ema": run.used_ema,
        "train_precision": train_precision(result, run),
        "seed": cfg.train.seed,
        "fid_raw": fid_raw,
        "eval_s": round(time.perf_counter() - started, 1),
        "run_dir": str(out),
        "cpu": cpu_model(),
        "native_bf16": has_native_bf16(),
        "threads": torch.get_num_threads(),
        "cpu_share": share,
        **pictures,
        "commit": git_commit(),
    }
    with open(args.results, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(row) + "\n")
    print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
