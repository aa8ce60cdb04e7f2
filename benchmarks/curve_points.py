"""Points of a recipe's FID curve, kept as rows in ``benchmarks/curves.jsonl``.

    # the in-training evaluations of a run (train.fid_every), one point per evaluation
    python benchmarks/curve_points.py from-run RUN --recipe best-cifar10
    # a checkpoint or exported generator scored later, on any CPU, with the run's protocol
    python benchmarks/curve_points.py score FILE --recipe best-cifar10 --seed 0 --step 50000 \
        --n 2000 --ref folder:test --root DIR
    # a point of an ablation: the run trained with overrides, which the point records
    python benchmarks/curve_points.py --curves benchmarks/ablation_curves.jsonl score FILE \
        --recipe best-cifar10 --seed 0 --step 25000 --root DIR --set data.hflip=true

A curve answers "how far did it get by step N" for a step-budgeted recipe; it is measured in
steps, so points made on different CPUs and sittings belong to one curve. A point names its
recipe, seed, step, images seen, FID N, Inception precision, reference split, whether it came
from training or a later evaluation, the CPU and the commit; a point of an ablation also names
the overrides its run trained with (``--set``), so it never stands in for the recipe's own.
``results_table.py`` renders a recipe's own points as a table
(``<!-- results-curve:RECIPE:begin -->`` blocks), seeds as rows and their mean beside them; the
newest point of a (recipe, overrides, seed, step, N, precision) wins.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchlib import append_row, cpu_facts, git_commit, images_per_step, load_rows

HERE = Path(__file__).resolve().parent
CURVES = HERE / "curves.jsonl"


def point_key(point: dict) -> tuple:
    """What makes two points the same measurement (the newer replaces the older): an
    ablation's point (``overrides``) is another measurement than the recipe's at that step."""
    return (
        point["recipe"],
        tuple(point.get("overrides") or ()),
        point["seed"],
        point["step"],
        point["fid_n"],
        point["fid_precision"],
    )


def latest_points(points: list[dict], recipe: str | None = None) -> list[dict]:
    """The newest point per :func:`point_key`, of ``recipe`` when given, sorted by seed, step."""
    newest: dict[tuple, dict] = {}
    for point in points:
        if recipe is None or point["recipe"] == recipe:
            newest[point_key(point)] = point
    return sorted(newest.values(), key=lambda p: (p["seed"], p["step"], p["fid_n"]))


def points_of_run(run: Path, recipe: str) -> list[dict]:
    """One point per in-training evaluation in ``run``'s ``metrics.jsonl`` (its resolved
    ``config.yaml`` gives the seed, batch size, N, precision and reference)."""
    config_path, log_path = run / "config.yaml", run / "metrics.jsonl"
    for path in (config_path, log_path):
        if not path.is_file():
            raise SystemExit(f"{run} is not a run directory: {path.name} is missing.")
    from gankit.config import load_config

    cfg = load_config(str(config_path))
    train, per_step = cfg.train, images_per_step(cfg)
    points = []
    for line in log_path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("kind") != "eval" or row.get("fid") is None:
            continue
        points.append(
            {
                "recipe": recipe,
                "seed": train.seed,
                "step": row["step"],
                "images_seen": row["step"] * per_step,
                "fid_n": row.get("n_gen", train.fid_n),
                "fid": round(row["fid"], 3),
                "kid": None if row.get("kid") is None else round(row["kid"], 5),
                "fid_precision": row.get("feature_precision", train.fid_precision),
                "ref": row.get("ref", f"{cfg.data.name}:{train.fid_ref}"),
                "source": "training",
                "run": run.name,
            }
        )
    return points


def score_point(
    file: str,
    *,
    recipe: str,
    seed: int,
    step: int,
    images_per_step: int,
    n: int,
    ref: str,
    root: str | None,
    precision: str,
) -> dict:
    """Score one checkpoint or exported generator with the in-training protocol: the noise
    is seeded by the run's ``seed``, as the trainer's evaluation seeds it with ``train.seed``,
    so a point scored later equals the one training would have logged."""
    from gankit.api import evaluate

    results = evaluate(
        file,
        metrics="fid,kid",
        n=n,
        ref=ref,
        data_root=root,
        precision=precision,
        seed=seed,
        record=False,
        progress=True,
    )
    return {
        "recipe": recipe,
        "seed": seed,
        "step": step,
        "images_seen": step * images_per_step,
        "fid_n": results.get("n_gen", n),
        "fid": round(results["fid"], 3),
        "kid": None if results.get("kid") is None else round(results["kid"], 5),
        "fid_precision": results.get("feature_precision", precision),
        "ref": results.get("ref", ref),
        "source": "eval",
        "run": run_name(file),
    }


def images_per_step_of(file: str, recipe: str) -> int:
    """Real images the discriminator reads per generator step behind a scored file (batch size
    times n_critic, as ``quality.py``'s rows count images seen): from its run's ``config.yaml``
    when there is one, else the recipe's. A fixed default would misstate images seen for every
    recipe not at batch 32 or with several critic steps."""
    from gankit.config import load_config

    config = None if file.startswith("pretrained:") else run_dir_of(file) / "config.yaml"
    return images_per_step(load_config(str(config) if config and config.is_file() else recipe))


def run_dir_of(file: str) -> Path:
    """RUN for ``RUN/checkpoints/step_N.pt``, else the folder holding the file (an exported
    generator beside its run's files)."""
    path = Path(file)
    return path.parent.parent if path.parent.name == "checkpoints" else path.parent


def run_name(file: str) -> str:
    """The run a scored file belongs to (not "checkpoints"), or the shipped name."""
    return file if file.startswith("pretrained:") else run_dir_of(file).name


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--curves", type=Path, default=CURVES)
    sub = ap.add_subparsers(dest="command", required=True)
    from_run = sub.add_parser("from-run", help="the in-training evaluations of a run")
    from_run.add_argument("run", type=Path)
    from_run.add_argument("--recipe", required=True)
    score = sub.add_parser("score", help="score one checkpoint or exported generator")
    score.add_argument("file")
    score.add_argument("--recipe", required=True)
    score.add_argument("--seed", type=int, required=True, help="the run's train.seed")
    score.add_argument("--step", type=int, required=True)
    score.add_argument(
        "--images-per-step",
        type=int,
        default=None,
        help="batch size x n_critic; default: the run's config.yaml, else the recipe's",
    )
    score.add_argument("--n", type=int, default=2000)
    score.add_argument("--ref", default="folder:test")
    score.add_argument("--root")
    score.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    score.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an override the scored run trained with (an ablation), recorded in the point",
    )
    args = ap.parse_args(argv)
    if args.command == "from-run":
        points = points_of_run(args.run, args.recipe)
        if not points:
            print(f"{args.run} has no in-training FID in its metrics.jsonl.", file=sys.stderr)
            return 1
    else:
        if not Path(args.file).is_file() and not args.file.startswith("pretrained:"):
            print(f"{args.file} does not exist.", file=sys.stderr)
            return 1
        points = [
            score_point(
                args.file,
                recipe=args.recipe,
                seed=args.seed,
                step=args.step,
                images_per_step=args.images_per_step or images_per_step_of(args.file, args.recipe),
                n=args.n,
                ref=args.ref,
                root=args.root,
                precision=args.precision,
            )
        ]
        if args.overrides:
            points[0]["overrides"] = sorted(args.overrides)
    facts = {"cpu": cpu_facts()["cpu"], "commit": git_commit()}
    for point in points:
        append_row(args.curves, {**point, **facts})
        print(json.dumps(point))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "images_per_step_of",
    "latest_points",
    "load_rows",
    "point_key",
    "points_of_run",
    "run_dir_of",
    "run_name",
    "score_point",
]
