"""Render the results tables from ``benchmarks/results.jsonl``: full tables and summaries.

    python benchmarks/results_table.py                  # every block's markdown to stdout
    python benchmarks/results_table.py --check README.md docs/results/fashion-mnist.md \
        docs/results/cifar10.md                         # exit 1 if a block is stale
    python benchmarks/results_table.py --write README.md docs/results/fashion-mnist.md \
        docs/results/cifar10.md                         # fill every block each file has

Blocks (``<!-- NAME:begin -->`` ... ``<!-- NAME:end -->``): the full tables ``results-table``
(Fashion-MNIST) and ``results-table:cifar10``, and the summaries
``results-summary:fashion-mnist`` and ``results-summary:cifar10``, which hold the best row of
the headline recipes (the ``best-`` recipe, then anchors; on CIFAR-10 every recipe of the
reports, with the report's FID and how the row stands against it), each linking to its full
table.
A file may hold any of them; links (sample grids, full tables) are written relative to it.
``results-curve:RECIPE`` blocks render a recipe's FID curve from ``benchmarks/curves.jsonl``
(``curve_points.py``): a line per seed, their mean and spread, and the recipe's step-budget
FID-10k rows at the step they were scored.

A row's budget is steps (the unit of every new result: the same command gives the same numbers
on any CPU) or, for older rows, wall-clock minutes; a step row also says the minutes its
training took and on which CPU. Seeds of one configuration share a line: FID as mean ±
sample standard deviation with each seed's value, the other numbers as means.

Only rows measured without ``--set`` overrides are shown (ablations keep their overrides in the
file and in the ablation table of the notes); overrides that only say where the data is
(``data.name``, ``data.root``, ``data.image_size``) do not count, they pick the table and the
image-size column, and neither do ``train.precision`` (the arithmetic, shown in the
CIFAR-10 table's "train" column) and ``train.seed``. When a configuration and seed were
measured more than once, the newest row wins, so re-running a benchmark updates the table
instead of duplicating it.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

from benchlib import load_rows
from curve_points import latest_points

from gankit.atomic import atomic_write_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CURVES = HERE / "curves.jsonl"
CURVE_BLOCK = re.compile(r"<!-- (results-curve:[\w.-]+):begin -->")
BEGIN = "<!-- results-table:begin -->"
END = "<!-- results-table:end -->"
# Network widths set smaller to fit the budget are said in the row (the px column), not hidden.
SIZE_KEYS = ("model.generator.width=", "model.discriminator.width=")
# In-training evaluation (train.fid_every) runs outside the training time and leaves the
# weights as they were (tests/training/test_trainer.py), so switching it off keeps a row plain;
# so do checkpoint cadence and how many are kept.
DATA_KEYS = (
    "data.name=",
    "data.root=",
    "data.image_size=",
    "train.precision=",
    "train.seed=",
    "train.fid_every=",
    "train.checkpoint_every=",
    "train.keep_checkpoints=",
    *SIZE_KEYS,
)
# Full-table block -> the dataset its rows come from (matched as a substring of the label)
TABLES = {
    "results-table": "fashion-mnist",
    "results-table:cifar10": "cifar10",
    "results-table:celeba": "celeba",
}
# Summary block -> dataset; its rows link to the dataset's full table.
SUMMARIES = {
    "results-summary:fashion-mnist": "fashion-mnist",
    "results-summary:cifar10": "cifar10",
    "results-summary:celeba": "celeba",
}
FULL_TABLE = {
    "fashion-mnist": "docs/results/fashion-mnist.md",
    "cifar10": "docs/results/cifar10.md",
    "celeba": "docs/results/celeba.md",
}
# The recipes a summary shows, in this order: the best- recipe, then anchors.
HEADLINE = {
    "fashion-mnist": ("best-fashion", "dcgan-fashion", "cgan-fashion", "wgan-gp-fashion"),
    "cifar10": ("best-cifar10", "dcgan-cifar10", "cgan-cifar10", "acgan-cifar10", "wgan-cifar10",
                "wgan-gp-cifar10", "lsgan-cifar10", "sncgan-cifar10", "sngan-cifar10",
                "cgan-pd-cifar10", "sagan-cifar10"),
    "celeba": ("dcgan-celeba",),
}  # fmt: skip
# What the reports gankit reproduces measured (ANCHORS.md), shown beside the rows of these
# datasets.
WITH_REPORTS = ("cifar10", "celeba")
REPORTED = {
    "dcgan-celeba": (
        "losses and grids only (no FID); Lucic et al. best 30.0 (WGAN-GP, all 202,599 faces,"
        " 40 epochs)"
    ),
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
# The reported FIDs a row is measured against in the summaries' "against it" column: the
# reports' own numbers, and for best-cifar10 mimicry's DCGAN at the same step count (its
# target). Anchors from other protocols (StudioGAN against the training split, mimicry's
# ResNets at 50k) are named in REPORTED but not subtracted from.
REPORTED_FID = {
    "dcgan-cifar10": 139.0,
    "acgan-cifar10": 64.1,
    "wgan-cifar10": 171.4,
    "wgan-gp-cifar10": 58.5,
    "best-cifar10": 28.95,
}

# Recipes whose settings changed after rows were made with them: the commit that changed the
# recipe and what the rows made before it lacked. Those rows (and curve points) are an earlier
# edition of the recipe: the full table shows them under that name, beside the current ones;
# summaries and curves show the current edition only.
RECIPE_CHANGES = {"best-cifar10": ("7a336ea", "without lazy R1")}

Group = list[dict]  # the rows of one configuration, one per seed, lowest seed first


@functools.cache
def made_since(commit: str, change: str) -> bool:
    """True when ``commit`` is ``change`` or comes after it in this repository's history; a
    commit git does not know (or no git at all) counts as earlier."""
    try:
        done = subprocess.run(
            ["git", "merge-base", "--is-ancestor", change, commit], cwd=ROOT, capture_output=True
        )
    except OSError:
        return False
    return done.returncode == 0


def earlier_edition(row: dict) -> str | None:
    """What the recipe lacked when ``row`` (a results row or a curve point) was made, e.g.
    ``without lazy R1``; None when it was made with the recipe as it is now."""
    change = RECIPE_CHANGES.get(row["recipe"])
    if change is None:
        return None
    commit, lacked = change
    return None if made_since(str(row.get("commit") or ""), commit) else lacked


def markers(block: str) -> tuple[str, str]:
    """The begin and end comments of block ``block``."""
    return f"<!-- {block}:begin -->", f"<!-- {block}:end -->"


def is_plain(row: dict) -> bool:
    """True when the row's overrides only say where its data is, the arithmetic, the seed,
    whether FID was also logged during training, checkpoint cadence, or the network widths
    (which the row then shows)."""
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


def budget_of(row: dict) -> tuple[str, float]:
    """``("steps", 100000)`` or ``("minutes", 20)``; rows from before step budgets are minutes."""
    if row.get("budget") == "steps":
        return "steps", row["steps"]
    return "minutes", row["minutes"]


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


def config_key(row: dict) -> tuple:
    """What makes two rows the same configuration (seeds aside)."""
    size = (*(row.get("image_size") or ()), widths_label(row))
    return (row["recipe"], earlier_edition(row) or "", budget_of(row), row.get("n_gen"), size,
            train_precision(row), row.get("fid_precision") or "fp32")  # fmt: skip


def latest_plain_rows(rows: list[dict], dataset: str = "fashion-mnist") -> list[dict]:
    """One row per configuration and seed of ``dataset`` without overrides; newest wins."""
    chosen: dict[tuple, dict] = {}
    for row in rows:
        if is_plain(row) and dataset in dataset_of(row):
            chosen[(*config_key(row), seed_of(row))] = row
    return list(chosen.values())


def seed_groups(rows: list[dict]) -> list[Group]:
    """The rows of each configuration together (lowest seed first); step budgets first, then
    longer budgets, then lower mean FID."""
    groups: dict[tuple, Group] = {}
    for row in rows:
        groups.setdefault(config_key(row), []).append(row)
    for group in groups.values():
        group.sort(key=seed_of)

    def order(group: Group) -> tuple:
        kind, amount = budget_of(group[0])
        return (kind != "steps", -amount, mean(group, "fid"), group[0]["recipe"])

    return sorted(groups.values(), key=order)


def mean(group: Group, key: str) -> float | None:
    """Mean of ``key`` over the rows that have it (None when none has it)."""
    values = [float(r[key]) for r in group if r.get(key) is not None]
    return statistics.fmean(values) if values else None


def cpu_share_label(group: Group) -> str:
    """The share of its cores the training got; ``0.97 of 1 core`` when it was pinned to one
    of the machine's two (two seeds trained at once), so a row never looks like the whole CPU."""
    share = mean(group, "cpu_share")
    if share is None:
        return "-"
    one_core = all(r.get("threads") == 1 for r in group if r.get("cpu_share") is not None)
    return f"{share:.2f} of 1 core" if one_core else f"{share:.2f}"


def budget_label(group: Group, *, with_time: bool = True) -> str:
    """``20 min``, or ``100,000 steps (412 min on AMD EPYC 7B13)``: a step budget says what
    its training took, and where, since that is what differs between machines."""
    kind, amount = budget_of(group[0])
    if kind == "minutes":
        return f"{amount:g} min"
    label = f"{int(amount):,} steps"
    seconds = mean(group, "train_s")
    if not with_time or seconds is None:
        return label
    cpus = list(dict.fromkeys(short_cpu(r["cpu"]) for r in group if r.get("cpu")))
    split = any((r.get("sittings") or 1) > 1 for r in group)
    if len(cpus) <= 1 and not split:
        return f"{label} ({seconds / 60:,.0f} min{f' on {cpus[0]}' if cpus else ''})"
    # minutes on different CPUs do not average: each seed says what it took and where
    return f"{label} ({' / '.join(training_time(r) for r in group)})"


def training_time(row: dict) -> str:
    """``35 min on AMD EPYC``, or ``132 min in 2 sittings, the last on Intel Xeon`` for a run
    resumed across sittings (the row knows the machine of its last sitting only)."""
    minutes = f"{float(row['train_s']) / 60:,.0f} min" if row.get("train_s") else "time unknown"
    cpu = short_cpu(row["cpu"]) if row.get("cpu") else "an unnamed CPU"
    if (row.get("sittings") or 1) > 1:
        return f"{minutes} in {row['sittings']} sittings, the last on {cpu}"
    return f"{minutes} on {cpu}"


def short_cpu(name: str) -> str:
    """``Intel(R) Xeon(R) Processor`` -> ``Intel Xeon``: the model without trademark marks."""
    for noise in ("(R)", "(TM)", "(tm)", " Processor", " CPU"):
        name = name.replace(noise, "")
    return " ".join(name.split())


def n_label(n_gen: int | None) -> str:
    """``FID-5k`` (or plain ``FID`` when the row does not say N)."""
    if not n_gen:
        return "FID"
    return f"FID-{n_gen // 1000}k" if n_gen % 1000 == 0 else f"FID-{n_gen}"


def fid_label(n_gen: int | None, seed: int = 0, precision: str = "fp32") -> str:
    """``FID-5k``; a seed other than the recipes' 0 is named (``FID-5k, seed 1``), and so is a
    score whose generated side went through the bf16 Inception (about 1% from exact fp32)."""
    label = n_label(n_gen)
    if seed:
        label += f", seed {seed}"
    return f"{label}, bf16 Inception" if precision == "bf16" else label


def fid_cell(group: Group) -> str:
    """``**40.12** (FID-10k)`` for one seed; for several, ``**41.23 ± 1.57** (FID-10k, 2 seeds:
    40.12 / 42.34)``: the mean, the sample standard deviation and every seed's value."""
    first = group[0]
    precision = first.get("fid_precision") or "fp32"
    if len(group) == 1:
        label = fid_label(first.get("n_gen"), seed_of(first), precision)
        return f"**{first['fid']:.2f}** ({label})"
    fids = [float(r["fid"]) for r in group]
    each = " / ".join(f"{v:.2f}" for v in fids)
    label = f"{n_label(first.get('n_gen'))}, {len(group)} seeds: {each}"
    if precision == "bf16":
        label += ", bf16 Inception"
    return f"**{statistics.fmean(fids):.2f} ± {statistics.stdev(fids):.2f}** ({label})"


def link(path: str, where: Path) -> str:
    """``path`` (relative to the repository) as a link from a file in folder ``where``."""
    target = Path(path)
    if not target.is_absolute():
        target = ROOT / target
    return Path(os.path.relpath(target, where)).as_posix()


def markdown(rows: list[dict], *, reports: bool = False, where: Path = ROOT) -> str:
    """The full table: one line per recipe, budget and configuration (seeds together), with its
    sample grid (the lowest seed's), linked from a file in folder ``where``.

    ``reports`` adds the image size, the training arithmetic, the share of the cores the
    training got (below ~0.9 something else ran beside it; rows pinned to one core say so),
    class accuracy and the reported FID of the experiment the recipe reproduces (CIFAR-10).
    """
    extra_head = (
        " px | train | CPU share | class acc. | report's FID (setting) |" if reports else ""
    )
    lines = [
        "| recipe | budget | steps | epochs | img/s | FID (N) | KID | precision | recall "
        "| EMA |" + extra_head + " samples |",
        "|---" * (16 if reports else 11) + "|",
    ]
    for group in seed_groups(rows):
        r = group[0]
        grid = f"![{r['recipe']}]({link(r['grid'], where)})" if r.get("grid") else "-"
        extra = ""
        if reports:
            size = f"{(r.get('image_size') or [0, 0, 0])[-1]}{widths_label(r)}"
            cas = mean(group, "cas")
            cas_text = "-" if cas is None else f"{cas:.3f}"
            report = REPORTED.get(r["recipe"], "-")
            extra = (f" {size} | {train_precision(r)} | {cpu_share_label(group)} | {cas_text} "
                     f"| {report} |")  # fmt: skip
        name = f"`{r['recipe']}`" + ("" if reports else widths_label(r))  # no px column here
        edition = earlier_edition(r)
        if edition:
            name += f" ({edition})"
        epochs = mean(group, "epochs")
        lines.append(
            f"| {name} | {budget_label(group)} | {round(mean(group, 'steps') or 0):,} "
            f"| {'-' if epochs is None else f'{round(epochs, 2):g}'} "
            f"| {mean(group, 'img_per_s') or 0:,.0f} | {fid_cell(group)} "
            f"| {mean(group, 'kid'):.4f} | {mean(group, 'precision'):.3f} "
            f"| {mean(group, 'recall'):.3f} "
            f"| {'yes' if r.get('ema') else 'no'} |{extra} {grid} |"
        )
    return "\n".join(lines)


def against_report(group: Group) -> str:
    """How the seeds' mean FID stands against the reported one: ``beats 139 by 58.8`` or
    ``188.7 above 58.5``; ``-`` where the report gave no FID measured like ours."""
    reported = REPORTED_FID.get(group[0]["recipe"])
    fid = mean(group, "fid")
    if reported is None or fid is None:
        return "-"
    gap = fid - reported
    return f"beats {reported:g} by {-gap:.1f}" if gap < 0 else f"{gap:.1f} above {reported:g}"


def summary(rows: list[dict], dataset: str, *, where: Path = ROOT) -> str | None:
    """The summary block: each headline recipe's best line (its longest budget, step budgets
    first, seeds together), its name linking to the full table; beside the reports, their FID
    and how the row stands against it. None when none was measured."""
    groups = seed_groups(latest_plain_rows(rows, dataset))
    reports = dataset in WITH_REPORTS
    full = link(FULL_TABLE[dataset], where)
    lines = [
        "| recipe | budget | FID (N) | KID | precision | recall |"
        + (" report's FID (setting) | against it |" if reports else ""),
        "|---" * (8 if reports else 6) + "|",
    ]
    for recipe in HEADLINE[dataset]:
        group = next(
            (g for g in groups if g[0]["recipe"] == recipe and not earlier_edition(g[0])), None
        )
        if group is None:
            continue
        report = f" {REPORTED.get(recipe, '-')} | {against_report(group)} |" if reports else ""
        lines.append(
            f"| [`{recipe}`]({full}) | {budget_label(group, with_time=False)} "
            f"| {fid_cell(group)} | {mean(group, 'kid'):.4f} | {mean(group, 'precision'):.3f} "
            f"| {mean(group, 'recall'):.3f} |{report}"
        )
    return "\n".join(lines) if len(lines) > 2 else None


def curve_cell(fids: list[float]) -> str:
    """One seed's value, or the mean ± sample standard deviation of several."""
    if len(fids) == 1:
        return f"{fids[0]:.2f}"
    return f"{statistics.fmean(fids):.2f} ± {statistics.stdev(fids):.2f}"


def curve(points: list[dict], rows: list[dict], recipe: str) -> str | None:
    """The FID curve of ``recipe``: steps as columns; a line per seed and protocol (N, Inception
    precision), the mean ± spread of the seeds where two or more reached a step, and the
    recipe's step-budget results rows (FID-10k) at their step. None when it has no points."""
    chosen = [
        p
        for p in latest_points(points, recipe)
        if not p.get("overrides") and not earlier_edition(p)  # no ablations, no older editions
    ]
    if not chosen:
        return None
    finals = [
        g
        for g in seed_groups(latest_plain_rows(rows, dataset=""))
        if g[0]["recipe"] == recipe and budget_of(g[0])[0] == "steps" and not earlier_edition(g[0])
    ]
    steps = sorted({p["step"] for p in chosen} | {int(g[0]["steps"]) for g in finals})
    lines = [
        "| steps | " + " | ".join(f"{s:,}" for s in steps) + " |",
        "|---" * (len(steps) + 1) + "|",
    ]
    protocols = sorted(
        {(p["fid_n"], p["fid_precision"]) for p in chosen},
        key=lambda np_: (np_[0], np_[1] != "fp32"),
    )  # exact fp32 first
    for n_gen, precision in protocols:
        label = n_label(n_gen) + (", bf16 Inception" if precision == "bf16" else "")
        these = [p for p in chosen if (p["fid_n"], p["fid_precision"]) == (n_gen, precision)]
        by_seed: dict[int, dict[int, float]] = {}
        for p in these:
            by_seed.setdefault(p["seed"], {})[p["step"]] = float(p["fid"])
        for seed, fids in sorted(by_seed.items()):
            cells = [f"{fids[s]:.2f}" if s in fids else "" for s in steps]
            lines.append(f"| seed {seed}, {label} | " + " | ".join(cells) + " |")
        if len(by_seed) > 1:
            cells = []
            for s in steps:
                values = [f[s] for f in by_seed.values() if s in f]
                cells.append(curve_cell(values) if len(values) > 1 else "")
            lines.append(f"| mean ± sd, {label} | " + " | ".join(cells) + " |")
    for group in finals:
        at = int(group[0]["steps"])
        label = fid_label(group[0].get("n_gen"), precision=group[0].get("fid_precision") or "fp32")
        seeds = ", ".join(str(seed_of(r)) for r in group)
        cell = f"**{curve_cell([float(r['fid']) for r in group])}**"
        cells = [cell if s == at else "" for s in steps]
        lines.append(
            f"| {label} (seed{'s' if len(group) > 1 else ''} {seeds}) | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)


def tables(rows: list[dict], where: Path = ROOT, points: list[dict] = ()) -> dict[str, str]:
    """Markdown of every block that has rows, by block name, for a file in folder ``where``;
    curve ``points`` (rows of ``benchmarks/curves.jsonl``) feed the curve blocks."""
    out = {}
    for recipe in sorted({p["recipe"] for p in points}):
        text = curve(points, rows, recipe)
        if text is not None:
            out[f"results-curve:{recipe}"] = text
    for block, dataset in TABLES.items():
        chosen = latest_plain_rows(rows, dataset)
        if chosen:
            out[block] = markdown(chosen, reports=dataset in WITH_REPORTS, where=where)
    for block, dataset in SUMMARIES.items():
        text = summary(rows, dataset, where=where)
        if text is not None:
            out[block] = text
    return out


def blocks_in(text: str) -> list[str]:
    """The known blocks whose two markers ``text`` holds (curve blocks name their recipe)."""
    names = [*TABLES, *SUMMARIES, *CURVE_BLOCK.findall(text)]
    return [b for b in dict.fromkeys(names) if all(m in text for m in markers(b))]


def block_text(text: str, block: str) -> str:
    """What stands between ``block``'s markers in ``text``, stripped."""
    begin, end = markers(block)
    return text.split(begin, 1)[1].split(end, 1)[0].strip()


def replace_block(text: str, table: str, block: str = "results-table") -> str:
    """``text`` with the lines between ``block``'s markers replaced by ``table``."""
    begin, end = markers(block)
    head, rest = text.split(begin, 1)
    tail = rest.split(end, 1)[1]
    return f"{head}{begin}\n{table}\n{end}{tail}"


def write_table(readme: Path, text: str, table: str, block: str = "results-table") -> None:
    """Replace the block between the markers; atomic, so an interrupted write keeps the file."""
    atomic_write_text(readme, replace_block(text, table, block))


def stale_blocks(
    path: Path,
    rows: list[dict],
    points: list[dict] | None = None,
) -> tuple[list[str], str]:
    """(the blocks of ``path`` that differ from ``rows`` and curve ``points`` (default: the
    committed ``curves.jsonl``), the file's text with them filled)."""
    text = path.read_text(encoding="utf-8")
    if points is None:
        points = load_rows(CURVES) if CURVES.is_file() else []
    made = tables(rows, where=path.resolve().parent, points=points)
    stale = [b for b in blocks_in(text) if b in made and block_text(text, b) != made[b]]
    for block in stale:
        text = replace_block(text, made[block], block)
    return stale, text


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", type=Path, default=HERE / "results.jsonl")
    ap.add_argument("--curves", type=Path, default=CURVES)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument(
        "--check",
        metavar="FILE",
        nargs="+",
        type=Path,
        help="fail when a results block of these files is stale",
    )
    mode.add_argument(
        "--write",
        metavar="FILE",
        nargs="+",
        type=Path,
        help="fill every results block these files hold, in place",
    )
    args = ap.parse_args(argv)
    rows = load_rows(args.results)
    points = load_rows(args.curves) if args.curves.is_file() else []
    files = args.check or args.write
    if not files:
        print("\n\n".join(f"<!-- {b} -->\n{t}" for b, t in tables(rows, points=points).items()))
        return 0
    failed = False
    for path in files:
        if not path.is_file():
            print(f"{path} does not exist.", file=sys.stderr)
            return 1
        if not blocks_in(path.read_text(encoding="utf-8")):
            names = ", ".join((*TABLES, *SUMMARIES, "results-curve:RECIPE"))
            print(
                f"{path} has no results block (<!-- NAME:begin --> ... <!-- NAME:end --> "
                f"with NAME one of {names}).",
                file=sys.stderr,
            )
            return 1
        stale, text = stale_blocks(path, rows, points)
        if stale and args.write:
            atomic_write_text(path, text)
        elif stale:
            print(
                f"{path}: the {', '.join(stale)} block{'s are' if len(stale) > 1 else ' is'} "
                "stale; re-run this script with --write.",
                file=sys.stderr,
            )
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
