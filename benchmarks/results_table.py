"""Print the README "Results" table from ``benchmarks/results.jsonl``.

    python benchmarks/results_table.py            # markdown to stdout
    python benchmarks/results_table.py --check README.md   # exit 1 if README's table is stale
    python benchmarks/results_table.py --write README.md   # replace README's table in place

Only rows measured without ``--set`` overrides are shown (ablations keep their overrides in the
file and in the ablation table of the notes). When a configuration was measured more than once,
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


def latest_plain_rows(rows: list[dict]) -> list[dict]:
    """One row per (recipe, minutes, n_gen) without overrides; the newest wins."""
    chosen: dict[tuple, dict] = {}
    for row in rows:
        if row.get("overrides"):
            continue
        chosen[(row["recipe"], row["minutes"], row.get("n_gen"))] = row
    return sorted(chosen.values(), key=lambda r: (-r["minutes"], r["fid"]))


def fid_label(n_gen: int | None) -> str:
    if not n_gen:
        return "FID"
    return f"FID-{n_gen // 1000}k" if n_gen % 1000 == 0 else f"FID-{n_gen}"


def markdown(rows: list[dict]) -> str:
    """The table: one line per recipe and budget, with its sample grid."""
    lines = [
        "| recipe | budget | steps | epochs | img/s | FID (N) | KID | precision | recall "
        "| EMA | samples |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        grid = f"![{r['recipe']}]({r['grid']})" if r.get("grid") else "-"
        lines.append(
            f"| `{r['recipe']}` | {r['minutes']:g} min | {r['steps']:,} | {r['epochs']:g} "
            f"| {r['img_per_s']:,.0f} | **{r['fid']:.2f}** ({fid_label(r.get('n_gen'))}) "
            f"| {r['kid']:.4f} | {r['precision']:.3f} | {r['recall']:.3f} "
            f"| {'yes' if r.get('ema') else 'no'} | {grid} |"
        )
    return "\n".join(lines)


def write_table(readme: Path, text: str, table: str) -> None:
    """Replace the block between the markers; atomic, so an interrupted write keeps the README."""
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    tmp = readme.with_name(readme.name + ".tmp")
    tmp.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")
    os.replace(tmp, readme)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--results", default=str(HERE / "results.jsonl"))
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--check", metavar="README", help="fail when README's table differs")
    mode.add_argument("--write", metavar="README", help="replace README's table in place")
    args = ap.parse_args()
    table = markdown(latest_plain_rows(load_rows(Path(args.results))))
    readme = args.check or args.write
    if not readme:
        print(table)
        return 0
    text = Path(readme).read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        print(f"{readme} has no {BEGIN} ... {END} block.", file=sys.stderr)
        return 1
    if args.write:
        write_table(Path(readme), text, table)
        return 0
    current = text.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    if current != table:
        print(f"{args.check}: the Results table is stale; re-run this script.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
