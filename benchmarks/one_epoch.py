"""One epoch of every ``-fashion`` recipe on real Fashion-MNIST: the GAN-family health table.

    python benchmarks/one_epoch.py                 # all -fashion recipes, ~50 min on 2 cores
    python benchmarks/one_epoch.py cgan-fashion    # only the named ones

Each recipe runs exactly as a user would run it (``gankit train R --set train.epochs=1``), then
conditional ones are scored by class accuracy (``gankit eval RUN --metrics cas --n 10000``).
Going through the CLI keeps the table honest: it measures the commands the README prints. One
row per recipe (steps, img/s, final losses, D accuracies, NaN check, class accuracy, commit) is
appended to ``benchmarks/one_epoch.jsonl`` and the markdown table is printed at the end.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
from pathlib import Path

from benchlib import append_row, git_commit, load_rows

HERE = Path(__file__).resolve().parent
RECIPES = HERE.parent / "src" / "gankit" / "recipes"


def fashion_recipes() -> list[str]:
    """Every shipped recipe whose name ends in -fashion, sorted."""
    return sorted(p.stem for p in RECIPES.glob("*-fashion.yaml"))


def summarise_run(run_dir: Path) -> dict:
    """Final training row of a run plus whether any logged loss went NaN or infinite.

    Why the whole log and not just the last row: a GAN can go NaN and be rolled back by the
    divergence guard, which the last row alone would hide.
    """
    rows = [r for r in load_rows(run_dir / "metrics.jsonl") if r.get("kind") == "train"]
    if not rows:
        raise SystemExit(f"{run_dir} has no training rows in metrics.jsonl.")
    finite = all(math.isfinite(r[key]) for r in rows for key in ("d_loss", "g_loss") if key in r)
    last = rows[-1]
    return {
        "steps": last["step"],
        "img_per_s": last.get("img_per_s"),
        "wall_s": last.get("time_s"),
        "d_loss": last["d_loss"],
        "g_loss": last["g_loss"],
        "d_real_acc": last.get("d_real_acc"),
        "d_fake_acc": last.get("d_fake_acc"),
        "finite": finite,
    }


def _fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def markdown(rows: list[dict]) -> str:
    """The README "Measured here" table, one line per recipe."""
    lines = [
        "| recipe | steps | img/s | wall (s) | final d_loss | final g_loss | D acc real/fake "
        "| no NaN | class accuracy (cas, 10k) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        acc = f"{_fmt(r.get('d_real_acc'), '.2f')}/{_fmt(r.get('d_fake_acc'), '.2f')}"
        lines.append(
            f"| {r['recipe']} | {r['steps']:,} | {_fmt(r.get('img_per_s'), ',.0f')} "
            f"| {_fmt(r.get('wall_s'), '.0f')} | {r['d_loss']:.3f} | {r['g_loss']:.3f} | {acc} "
            f"| {'yes' if r['finite'] else 'NO'} | {_fmt(r.get('cas'), '.3f')} |"
        )
    return "\n".join(lines)


def gankit(*args: str) -> str:
    """Run the gankit CLI with this interpreter; its stdout, or exit with its error sentence."""
    proc = subprocess.run(
        [sys.executable, "-m", "gankit", *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"gankit {' '.join(args)} failed: {proc.stderr.strip()}")
    return proc.stdout


def measure(recipe: str, out_root: Path) -> dict:
    """Train one epoch of ``recipe``, then score class accuracy when it is conditional."""
    from gankit.config import load_config

    run_dir = out_root / recipe
    gankit("train", recipe, "--set", "train.epochs=1", "--out", str(run_dir), "--force", "--quiet")
    row = {"recipe": recipe, **summarise_run(run_dir)}
    if load_config(recipe).model.conditioning != "none":
        scores = json.loads(
            gankit("eval", str(run_dir), "--metrics", "cas", "--n", "10000", "--json")
        )
        row["cas"] = round(float(scores["cas"]), 4)
        row["classifier_test_accuracy"] = round(float(scores["classifier_test_accuracy"]), 4)
    row["commit"] = git_commit()
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("recipes", nargs="*", help="recipes to run (default: every -fashion one)")
    ap.add_argument("--out", default="runs/epoch1", help="parent of the run directories")
    ap.add_argument("--results", default=str(HERE / "one_epoch.jsonl"))
    args = ap.parse_args()
    known = fashion_recipes()
    unknown = [r for r in args.recipes if r not in known]
    if unknown:
        known_list = ", ".join(known)
        raise SystemExit(f"Not a -fashion recipe: {', '.join(unknown)} (known: {known_list}).")
    rows = []
    for recipe in args.recipes or known:
        row = measure(recipe, Path(args.out))
        append_row(Path(args.results), row)
        print(json.dumps(row), flush=True)
        rows.append(row)
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
