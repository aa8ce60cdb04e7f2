"""Print the README "Results" tables from ``benchmarks/results.jsonl``, one per dataset.

    python benchmarks/results_table.py            # markdown to stdout
    python benchmarks/results_table.py --check README.md   # exit 1 if a README table is stale
    python benchmarks/results_table.py --write README.md   # replace README's tables in place

Only rows measured without ``--set`` overrides are shown (ablations keep their overrides in the
file and in the ablation table of the notes); overrides that only say where the data is
(``data.name``, ``data.root``, ``data.image_size``) do not count, they pick the table and the
image-size column, and neither do ``train.precision`` (the arithmetic, shown in the
CIFAR-10 table's "train" column) and ``train.seed`` (each seed is its own row, named beside
its FID, so a headline shows its spread). When a configuration was measured more than once,
the newest row wins, so re-running a benchmark updates the table instead of duplicating it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BEGIN = "<!-- results-table:begin -->"
END = "<!-- results-table:end -->"
# Network widths set smaller to fit the budget are said in the row (the px column), not hidden.
SIZE_KEYS = ("model.generator.width=", "model.discriminator.width=")
# In-training evaluation (train.fid_every) runs outside the wall-clock budget and leaves the
# weights as they were (tests/training/test_trainer.py), so switching it off keeps a row plain.
DATA_KEYS = (
    "data.name=", "data.root=", "data.image_size=", "train.precision=", "train.seed=",
    "train.fid_every=", *SIZE_KEYS
)
# README block name -> the dataset its rows come from (matched as a substring of the label)
TABLES = {"results-table": "fashion-mnist", "results-table:cifar10": "cifar10"}
# What the reports gankit reproduces measured (ANCHORS.md), shown beside the CIFAR-10 rows.
REPORTED = {
    "dcgan-cifar10": "139 (Keras, 32 px, 200 epochs); 140.4 (PyTorch, 64 px)",
    "acgan-cifar10": "64.1 (64 px, batch 64)",
    "wgan-cifar10": "171.4 (50 epochs)",
    "wgan-gp-cifar10": "58.5 (50 epochs)",
    "sagan-cifar10": "no proper results",
    "sncgan-cifar10": '"2.22" (protocol unknown)',
    "cgan-cifar10": "grids only",
    "lsgan-cifar10": "StudioGAN 40.22 (50k vs train)",
    "sngan-cifar10": "mimicry 16.77 (ResNet, 100k GPU steps, 50k)",
    "cgan-pd-cifar10": "mimicry 10.84 (100k GPU steps, 50k)",
    "best-cifar10": (
        "Lucic et al. best 55.2 (WGAN, 100 epochs); StudioGAN DCGAN 49.03 (10k vs test);"
        " mimicry DCGAN 28.95 (10k, 100k GPU steps)"
    ),
}


def markers(block: str) -> tuple[str, str]:
    """The begin and end comments of README block ``block``."""
    return f"<!-- {block}:begin -->", f"<!-- {block}:end -->"


def is_plain(row: dict) -> bool:
    """True when the row's overrides only say where its data is, the arithmetic, the seed,
    whether FID was also logged during training, or the network widths (which the row then
    shows)."""
    return all(str(o).startswith(DATA_KEYS) for o in row.get("overrides") or [])


def override_value(row: dict, key: str) -> str | None:
    """The value ``row`` set for config ``key`` with ``--set``, if it set one."""
    for override in row.get("overrides") or []:
        if str(override).startswith(f"{key}="):
            return str(override).split("=", 1)[1]
    return None


def seed_of(row: dict) -> int:
    """The training seed of ``row``: recorded, else its override, else the recipes' 0."""
    if row.get("seed") is not None:
        return int(row["seed"])
    return int(override_value(row, "train.seed") or 0)


def dataset_of(row: dict) -> str:
    """``fashion-mnist``, or for an image folder the folder's name (``cifar10-jpg``)."""
    name = str(row.get("ref") or "").split(":", 1)[0]
    if name == "folder" and row.get("data_root"):
        return Path(str(row["data_root"])).name
    return name


def load_rows(path: Path) -> list[dict]:
    """Rows of ``path`` (one JSON object per line), newest last; a missing file is empty."""
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


def latest_plain_rows(rows: list[dict], dataset: str = "fashion-mnist") -> list[dict]:
    """One row per (recipe, minutes, n_gen, size, seed) of ``dataset`` without overrides; newest
    wins. Longer budgets first, then by FID, with the seeds of one setting kept together."""
    chosen: dict[tuple, dict] = {}
    for row in rows:
        if not is_plain(row) or dataset not in dataset_of(row):
            continue
        size = (*(row.get("image_size") or ()), widths_label(row))
        chosen[(row["recipe"], row["minutes"], row.get("n_gen"), size, seed_of(row))] = row
    best: dict[tuple, float] = {}
    for r in chosen.values():
        setting = (r["recipe"], r["minutes"])
        best[setting] = min(best.get(setting, r["fid"]), r["fid"])
    return sorted(
        chosen.values(),
        key=lambda r: (-r["minutes"], best[(r["recipe"], r["minutes"])], r["recipe"], r["fid"]),
    )


def widths_label(row: dict) -> str:
    """``, width G 16 / D 16`` when the row set network widths, else empty."""
    g = override_value(row, "model.generator.width")
    d = override_value(row, "model.discriminator.width")
    if g is None and d is None:
        return ""
    return f", width G {g or 'recipe'} / D {d or 'recipe'}"


def train_precision(row: dict) -> str:
    """The training arithmetic of ``row``: recorded, else its override, else fp32.

    Rows from before ``train.precision=auto`` existed trained in fp32, the default then.
    """
    if row.get("train_precision"):
        return str(row["train_precision"])
    return override_value(row, "train.precision") or "fp32"


def cpu_share_label(row: dict) -> str:
    """The share of its cores the training got; ``0.97 of 1 core`` when it was pinned to one
    of the machine's two (two seeds trained at once), so a row never looks like the whole CPU."""
    if row.get("cpu_share") is None:
        return "-"
    share = f"{row['cpu_share']:.2f}"
    threads = row.get("threads")
    return f"{share} of {threads} core" if threads == 1 else share


def fid_label(n_gen: int | None, seed: int = 0, precision: str = "fp32") -> str:
    """``FID-5k``; a seed other than the recipes' 0 is named (``FID-5k, seed 1``), and so is a
    score whose generated side went through the bf16 Inception (about 1% from exact fp32)."""
    label = "FID"
    if n_gen:
        label = f"FID-{n_gen // 1000}k" if n_gen % 1000 == 0 else f"FID-{n_gen}"
    if seed:
        label += f", seed {seed}"
    return f"{label}, bf16 Inception" if precision == "bf16" else label


def markdown(rows: list[dict], *, reports: bool = False) -> str:
    """The table: one line per recipe and budget, with its sample grid.

    ``reports`` adds the image size, the share of the cores the training got (below ~0.9
    something else ran beside it; rows pinned to one core say so), class accuracy and the
    reported FID of the experiment the recipe reproduces (the CIFAR-10 table).
    """
    extra_head = (
        " px | train | CPU share | class acc. | report's FID (setting) |" if reports else ""
    )
    lines = [
        "| recipe | budget | steps | epochs | img/s | FID (N) | KID | precision | recall "
        "| EMA |" + extra_head + " samples |",
        "|---" * (16 if reports else 11) + "|",
    ]
    for r in rows:
        grid = f"![{r['recipe']}]({r['grid']})" if r.get("grid") else "-"
        extra = ""
        if reports:
            size = f"{(r.get('image_size') or [0, 0, 0])[-1]}{widths_label(r)}"
            cas = f"{r['cas']:.3f}" if r.get("cas") is not None else "-"
            share = cpu_share_label(r)
            report = REPORTED.get(r["recipe"], "-")
            extra = f" {size} | {train_precision(r)} | {share} | {cas} | {report} |"
        label = fid_label(r.get("n_gen"), seed_of(r), r.get("fid_precision") or "fp32")
        name = f"`{r['recipe']}`" + ("" if reports else widths_label(r))  # no px column here
        lines.append(
            f"| {name} | {r['minutes']:g} min | {r['steps']:,} | {r['epochs']:g} "
            f"| {r['img_per_s']:,.0f} | **{r['fid']:.2f}** ({label}) "
            f"| {r['kid']:.4f} | {r['precision']:.3f} | {r['recall']:.3f} "
            f"| {'yes' if r.get('ema') else 'no'} |{extra} {grid} |"
        )
    return "\n".join(lines)


def tables(rows: list[dict]) -> dict[str, str]:
    """Markdown of every README block that has rows, by block name."""
    out = {}
    for block, dataset in TABLES.items():
        chosen = latest_plain_rows(rows, dataset)
        if chosen:
            out[block] = markdown(chosen, reports=dataset == "cifar10")
    return out


def replace_block(text: str, table: str, block: str = "results-table") -> str:
    """``text`` with the lines between ``block``'s markers replaced by ``table``."""
    begin, end = markers(block)
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    return f"{head}{begin}\n{table}\n{end}{tail}"


def write_table(readme: Path, text: str, table: str, block: str = "results-table") -> None:
    """Replace the block between the markers; atomic, so an interrupted write keeps the README."""
    tmp = readme.with_name(readme.name + ".tmp")
    tmp.write_text(replace_block(text, table, block), encoding="utf-8")
    os.replace(tmp, readme)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default=str(HERE / "results.jsonl"))
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", metavar="README", help="fail when README's table differs")
    mode.add_argument("--write", metavar="README", help="replace README's table in place")
    args = ap.parse_args()
    made = tables(load_rows(Path(args.results)))
    readme = args.check or args.write
    if not readme:
        print("\n\n".join(made.values()))
        return 0
    text = Path(readme).read_text(encoding="utf-8")
    for block, table in made.items():
        begin, end = markers(block)
        if begin not in text or end not in text:
            print(f"{readme} has no {begin} ... {end} block.", file=sys.stderr)
            return 1
        if args.write:
            text = replace_block(text, table, block)
        elif text.split(begin, 1)[1].split(end, 1)[0].strip() != table:
            print(f"{args.check}: the {block} table is stale; re-run this script.",
                  file=sys.stderr)
            return 1
    if args.write:
        tmp = Path(readme).with_name(Path(readme).name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, readme)
    return 0


if __name__ == "__main__":
    sys.exit(main())
