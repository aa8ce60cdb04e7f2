"""The README Results table is derived from benchmarks/results.jsonl, newest row per setting."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.benchmarks.conftest import ROOT, load_benchmark

table = load_benchmark("results_table")
quality = load_benchmark("quality")


def row(recipe: str, fid: float, minutes: float = 10, **extra) -> dict:
    base = {
        "recipe": recipe,
        "overrides": [],
        "minutes": minutes,
        "steps": 1234,
        "epochs": 1.3,
        "img_per_s": 640.4,
        "fid": fid,
        "kid": 0.01234,
        "precision": 0.5,
        "recall": 0.25,
        "n_gen": 5000,
        "ema": True,
        "grid": f"benchmarks/grids/{recipe}.png",
        "ref": "fashion-mnist:test",
    }
    return {**base, **extra}


def test_newest_row_wins_and_overrides_are_left_out(tmp_path):
    path = tmp_path / "results.jsonl"
    rows = [row("a", 50.0), row("b", 40.0), row("a", 30.0), row("a", 1.0, overrides=["x=1"])]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    chosen = table.latest_plain_rows(table.load_rows(path))
    assert [(r["recipe"], r["fid"]) for r in chosen] == [("a", 30.0), ("b", 40.0)]


def test_seeds_are_rows_of_their_own_kept_together():
    rows = [
        row("a", 30.0),
        row("a", 36.0, overrides=["train.seed=1"]),
        row("b", 33.0, seed=2),
        row("a", 1.0, overrides=["train.seed=1", "train.ema=true"]),  # an ablation: left out
    ]
    chosen = table.latest_plain_rows(rows)
    assert [(r["recipe"], r["fid"]) for r in chosen] == [("a", 30.0), ("a", 36.0), ("b", 33.0)]
    lines = table.markdown(chosen).splitlines()[2:]
    assert "**30.00** (FID-5k) |" in lines[0]
    assert "**36.00** (FID-5k, seed 1) |" in lines[1]
    assert "**33.00** (FID-5k, seed 2) |" in lines[2]


def test_switching_off_in_training_fid_keeps_a_row_plain():
    rows = [
        row("a", 30.0, overrides=["train.fid_every=0"]),
        row("b", 1.0, overrides=["train.ema=false"]),
    ]
    assert [r["recipe"] for r in table.latest_plain_rows(rows)] == ["a"]


def test_width_overrides_are_rows_that_say_their_size():
    folder = ["data.name=folder", "data.root=/somewhere/cifar10-jpg"]
    small = ["model.generator.width=16", "model.discriminator.width=16"]
    rows = [
        row("sagan-cifar10", 90.0, minutes=20, overrides=[*folder, *small], ref="folder:test",
            data_root="/somewhere/cifar10-jpg", image_size=[3, 32, 32]),
        row("sagan-cifar10", 120.0, minutes=20, overrides=folder, ref="folder:test",
            data_root="/somewhere/cifar10-jpg", image_size=[3, 32, 32]),
    ]
    lines = table.tables(rows)["results-table:cifar10"].splitlines()[2:]
    assert len(lines) == 2
    assert "| 32, width G 16 / D 16 | fp32 |" in lines[0]
    assert "| 32 | fp32 |" in lines[1]


def test_a_row_pinned_to_one_core_says_so():
    folder = ["data.name=folder", "data.root=/somewhere/cifar10-jpg"]
    common = {"ref": "folder:test", "data_root": "/somewhere/cifar10-jpg",
              "image_size": [3, 32, 32], "minutes": 60}
    rows = [
        row("one", 40.0, overrides=folder, cpu_share=0.97, threads=1, **common),
        row("two", 50.0, overrides=folder, cpu_share=0.93, threads=2, **common),
    ]
    lines = table.tables(rows)["results-table:cifar10"].splitlines()[2:]
    assert "| fp32 | 0.97 of 1 core |" in lines[0]
    assert "| fp32 | 0.93 |" in lines[1]
    assert "**40.00** (FID-5k) |" in lines[0]


def test_a_bf16_inception_score_is_named():
    lines = table.markdown([row("a", 30.0, seed=1, fid_precision="bf16"), row("b", 31.0)])
    assert "**30.00** (FID-5k, seed 1, bf16 Inception) |" in lines.splitlines()[2]
    assert "**31.00** (FID-5k) |" in lines.splitlines()[3]


def test_longer_budgets_come_first_then_best_fid():
    rows = [row("short", 10.0, minutes=10), row("long", 20.0, minutes=30), row("ok", 5.0)]
    assert [r["recipe"] for r in table.latest_plain_rows(rows)] == ["long", "ok", "short"]


def test_markdown_line_shows_the_measured_values():
    text = table.markdown([row("best-fashion", 12.345, minutes=30, n_gen=10000)])
    line = text.splitlines()[2]
    assert line.startswith("| `best-fashion` | 30 min | 1,234 | 1.3 | 640 | **12.35** (FID-10k)")
    assert "![best-fashion](benchmarks/grids/best-fashion.png)" in line


def test_broken_line_names_the_file_and_line(tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps(row("a", 1.0)) + "\n{oops\n")
    with pytest.raises(SystemExit, match=r"results\.jsonl:2 is not a JSON row"):
        table.load_rows(path)


def test_readme_tables_are_current():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    made = table.tables(table.load_rows(ROOT / "benchmarks" / "results.jsonl"))
    if not made:
        pytest.skip("no measured results yet")
    for block, expected in made.items():
        begin, end = table.markers(block)
        assert readme.split(begin, 1)[1].split(end, 1)[0].strip() == expected, block


def test_data_overrides_pick_the_table_not_the_ablation():
    folder = ["data.name=folder", "data.root=/somewhere/cifar10-jpg"]
    rows = [
        row("dcgan-cifar10", 60.0, minutes=20, overrides=folder, ref="folder:test",
            data_root="/somewhere/cifar10-jpg", image_size=[3, 32, 32]),
        row("acgan-cifar10", 50.0, minutes=20, overrides=[*folder, "data.image_size=32"],
            ref="folder:test", data_root="/x/cifar10-jpg", image_size=[3, 32, 32], cas=0.41,
            cpu_share=0.953),
        row("dcgan-cifar10", 1.0, minutes=20, overrides=[*folder, "train.ema=true"],
            ref="folder:test", data_root="/somewhere/cifar10-jpg"),
        row("best-fashion", 14.0, ref="fashion-mnist:test"),
    ]
    made = table.tables(rows)
    assert set(made) == {"results-table", "results-table:cifar10"}
    assert "best-fashion" in made["results-table"] and "cifar10" not in made["results-table"]
    lines = made["results-table:cifar10"].splitlines()[2:]
    assert len(lines) == 2 and "ablation" not in made["results-table:cifar10"]
    assert lines[0].startswith("| `acgan-cifar10` | 20 min |")
    assert "| 32 | fp32 | 0.95 | 0.410 | 64.1 (64 px, batch 64) |" in lines[0]
    assert "| 32 | fp32 | - | - | 139 (Keras, 32 px, 200 epochs)" in lines[1]


def test_precision_override_is_shown_not_treated_as_an_ablation():
    folder = ["data.name=folder", "data.root=/somewhere/cifar10-jpg"]
    rows = [
        row("wgan-cifar10", 130.0, minutes=20, overrides=[*folder, "train.precision=bf16"],
            ref="folder:test", data_root="/somewhere/cifar10-jpg", image_size=[3, 32, 32]),
        row("cgan-cifar10", 120.0, minutes=20, overrides=folder, train_precision="bf16",
            ref="folder:test", data_root="/somewhere/cifar10-jpg", image_size=[3, 32, 32]),
    ]
    lines = table.tables(rows)["results-table:cifar10"].splitlines()[2:]
    assert [line.split(" | ")[0] for line in lines] == ["| `cgan-cifar10`", "| `wgan-cifar10`"]
    assert all("| 32 | bf16 |" in line for line in lines)


def test_write_fills_every_block(tmp_path):
    readme = tmp_path / "README.md"
    b1, e1 = table.markers("results-table")
    b2, e2 = table.markers("results-table:cifar10")
    readme.write_text(f"a\n{b1}\nold\n{e1}\nb\n{b2}\nold\n{e2}\n", encoding="utf-8")
    results = tmp_path / "results.jsonl"
    rows = [row("best-fashion", 14.0, ref="fashion-mnist:test"),
            row("dcgan-cifar10", 60.0, ref="folder:test", data_root="/d/cifar10-jpg",
                overrides=["data.name=folder"], image_size=[3, 32, 32])]
    results.write_text("".join(json.dumps(r) + "\n" for r in rows))
    import sys

    argv = sys.argv
    try:
        sys.argv = ["results_table.py", "--results", str(results), "--write", str(readme)]
        assert table.main() == 0
        sys.argv = ["results_table.py", "--results", str(results), "--check", str(readme)]
        assert table.main() == 0
    finally:
        sys.argv = argv
    text = readme.read_text(encoding="utf-8")
    assert "old" not in text and "`best-fashion`" in text and "`dcgan-cifar10`" in text


def test_write_replaces_only_the_marked_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"intro\n{table.BEGIN}\nold table\n{table.END}\noutro\n", encoding="utf-8")
    table.write_table(readme, readme.read_text(encoding="utf-8"), "| new |")
    assert readme.read_text(encoding="utf-8") == (
        f"intro\n{table.BEGIN}\n| new |\n{table.END}\noutro\n"
    )
    assert not (tmp_path / "README.md.tmp").exists()


def test_keep_pictures_copies_grid_and_curve(tmp_path):
    run = tmp_path / "run"
    (run / "samples").mkdir(parents=True)
    (run / "samples" / "final.png").write_bytes(b"grid")
    (run / "fid.png").write_bytes(b"curve")
    kept = quality.keep_pictures(run, tmp_path / "grids", "t")
    assert Path(kept["grid"]).read_bytes() == b"grid"
    assert Path(kept["fid_curve"]).read_bytes() == b"curve"
