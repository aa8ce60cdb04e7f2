"""The results tables (README summaries, docs/results/ pages) are derived from
benchmarks/results.jsonl, newest row per setting."""

from __future__ import annotations

import json
import subprocess
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


def test_seeds_of_one_configuration_share_a_line_as_mean_and_spread():
    rows = [
        row("a", 30.0, kid=0.01, cpu_share=0.9),
        row("a", 36.0, overrides=["train.seed=1"], kid=0.03, cpu_share=0.7),
        row("b", 33.0, seed=2),
        row("a", 1.0, overrides=["train.seed=1", "train.ema=true"]),  # an ablation: left out
    ]
    chosen = table.latest_plain_rows(rows)
    groups = table.seed_groups(chosen)
    assert [[(r["recipe"], r["fid"]) for r in g] for g in groups] == [
        [("a", 30.0), ("a", 36.0)], [("b", 33.0)]]  # fmt: skip
    lines = table.markdown(chosen).splitlines()[2:]
    assert len(lines) == 2
    # mean 33, sample standard deviation |36 - 30| / sqrt(2) = 4.24, and each seed's value
    assert "| **33.00 ± 4.24** (FID-5k, 2 seeds: 30.00 / 36.00) | 0.0200 |" in lines[0]
    assert "**33.00** (FID-5k, seed 2) |" in lines[1]
    cifar = table.markdown(chosen, reports=True).splitlines()[2]
    assert "| 0.80 |" in cifar  # the seeds' mean CPU share


def test_three_seeds_and_a_bf16_inception_group():
    rows = [row("a", v, seed=s, fid_precision="bf16") for s, v in enumerate([40.0, 41.0, 45.0])]
    line = table.markdown(rows).splitlines()[2]
    assert "**42.00 ± 2.65** (FID-5k, 3 seeds: 40.00 / 41.00 / 45.00, bf16 Inception)" in line


def step_row(recipe: str, fid: float, steps: int = 100_000, **extra) -> dict:
    facts = {"budget": "steps", "steps": steps, "train_s": 24_700.0, "cpu": "AMD EPYC 7B13"}
    return row(recipe, fid, minutes=None, **{**facts, **extra})


def test_a_step_budget_says_its_steps_the_minutes_they_took_and_the_cpu():
    rows = [step_row("best-fashion", 12.0, seed=0),
            step_row("best-fashion", 13.0, seed=1, train_s=25_300.0),
            row("best-fashion", 14.0, minutes=30)]  # fmt: skip
    lines = table.markdown(table.latest_plain_rows(rows)).splitlines()[2:]
    assert len(lines) == 2  # step rows first: the unit of every new result
    assert lines[0].startswith(
        "| `best-fashion` | 100,000 steps (417 min on AMD EPYC 7B13) | 100,000 | 1.3 | 640 "
        "| **12.50 ± 0.71** (FID-5k, 2 seeds: 12.00 / 13.00) |"
    )
    assert lines[1].startswith("| `best-fashion` | 30 min | 1,234 |")
    # two CPUs, both named; a longer step budget comes before a shorter one
    rows = [step_row("x", 20.0, steps=5_000, cpu="A", seed=0),
            step_row("x", 22.0, steps=5_000, cpu="B", seed=1),
            step_row("y", 30.0, steps=10_000)]  # fmt: skip
    lines = table.markdown(rows).splitlines()[2:]
    assert lines[0].startswith("| `y` | 10,000 steps")
    assert "| 5,000 steps (412 min on A / 412 min on B) |" in lines[1]  # per seed, not a mean
    # a seed resumed on another machine says so; trademark marks are dropped from CPU names
    rows = [step_row("x", 20.0, seed=0, train_s=2_100.0),
            step_row("x", 22.0, seed=1, train_s=7_920.0, sittings=2,
                     cpu="Intel(R) Xeon(R) Processor")]  # fmt: skip
    assert (
        "| 100,000 steps (35 min on AMD EPYC 7B13 / 132 min in 2 sittings, the last on "
        "Intel Xeon) |"
    ) in table.markdown(rows).splitlines()[2]


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
        row(
            "sagan-cifar10",
            90.0,
            minutes=20,
            overrides=[*folder, *small],
            ref="folder:test",
            data_root="/somewhere/cifar10-jpg",
            image_size=[3, 32, 32],
        ),
        row(
            "sagan-cifar10",
            120.0,
            minutes=20,
            overrides=folder,
            ref="folder:test",
            data_root="/somewhere/cifar10-jpg",
            image_size=[3, 32, 32],
        ),
    ]
    lines = table.tables(rows)["results-table:cifar10"].splitlines()[2:]
    assert len(lines) == 2
    assert "| 32, width G 16 / D 16 | fp32 |" in lines[0]
    assert "| 32 | fp32 |" in lines[1]


def test_a_row_pinned_to_one_core_says_so():
    folder = ["data.name=folder", "data.root=/somewhere/cifar10-jpg"]
    common = {
        "ref": "folder:test",
        "data_root": "/somewhere/cifar10-jpg",
        "image_size": [3, 32, 32],
        "minutes": 60,
    }
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
    groups = table.seed_groups(table.latest_plain_rows(rows))
    assert [g[0]["recipe"] for g in groups] == ["long", "ok", "short"]


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


def test_committed_tables_are_current():
    """Every results block of the README and the results pages matches results.jsonl."""
    rows = table.load_rows(ROOT / "benchmarks" / "results.jsonl")
    files = [ROOT / "README.md", *sorted((ROOT / "docs" / "results").glob("*.md"))]
    holding = [f for f in files if table.blocks_in(f.read_text(encoding="utf-8"))]
    if not rows or not holding:
        pytest.skip("no measured results or no results block yet")
    for path in holding:
        stale, _ = table.stale_blocks(path, rows)
        assert not stale, f"{path.name}: {stale}; run benchmarks/results_table.py --write"


def test_data_overrides_pick_the_table_not_the_ablation():
    folder = ["data.name=folder", "data.root=/somewhere/cifar10-jpg"]
    rows = [
        row(
            "dcgan-cifar10",
            60.0,
            minutes=20,
            overrides=folder,
            ref="folder:test",
            data_root="/somewhere/cifar10-jpg",
            image_size=[3, 32, 32],
        ),
        row(
            "acgan-cifar10",
            50.0,
            minutes=20,
            overrides=[*folder, "data.image_size=32"],
            ref="folder:test",
            data_root="/x/cifar10-jpg",
            image_size=[3, 32, 32],
            cas=0.41,
            cpu_share=0.953,
        ),
        row(
            "dcgan-cifar10",
            1.0,
            minutes=20,
            overrides=[*folder, "train.ema=true"],
            ref="folder:test",
            data_root="/somewhere/cifar10-jpg",
        ),
        row("best-fashion", 14.0, ref="fashion-mnist:test"),
    ]
    made = table.tables(rows)
    assert set(made) == {"results-table", "results-table:cifar10", "results-summary:fashion-mnist",
                         "results-summary:cifar10"}  # fmt: skip
    assert "best-fashion" in made["results-table"] and "cifar10" not in made["results-table"]
    lines = made["results-table:cifar10"].splitlines()[2:]
    assert len(lines) == 2 and "ablation" not in made["results-table:cifar10"]
    assert lines[0].startswith("| `acgan-cifar10` | 20 min |")
    assert "| 32 | fp32 | 0.95 | 0.410 | 64.1 (64 px, batch 64) |" in lines[0]
    assert "| 32 | fp32 | - | - | 139 (Keras, 32 px, 200 epochs)" in lines[1]


def test_precision_override_is_shown_not_treated_as_an_ablation():
    folder = ["data.name=folder", "data.root=/somewhere/cifar10-jpg"]
    rows = [
        row(
            "wgan-cifar10",
            130.0,
            minutes=20,
            overrides=[*folder, "train.precision=bf16"],
            ref="folder:test",
            data_root="/somewhere/cifar10-jpg",
            image_size=[3, 32, 32],
        ),
        row(
            "cgan-cifar10",
            120.0,
            minutes=20,
            overrides=folder,
            train_precision="bf16",
            ref="folder:test",
            data_root="/somewhere/cifar10-jpg",
            image_size=[3, 32, 32],
        ),
    ]
    lines = table.tables(rows)["results-table:cifar10"].splitlines()[2:]
    assert [line.split(" | ")[0] for line in lines] == ["| `cgan-cifar10`", "| `wgan-cifar10`"]
    assert all("| 32 | bf16 |" in line for line in lines)


CIFAR = {
    "ref": "folder:test",
    "data_root": "/d/cifar10-jpg",
    "overrides": ["data.name=folder"],
    "image_size": [3, 32, 32],
}


def test_summaries_hold_the_best_line_of_each_headline_recipe_linking_to_its_table(monkeypatch):
    monkeypatch.setattr(table, "RECIPE_CHANGES", {})  # these rows carry no commit
    rows = [
        row("best-fashion", 14.0, minutes=30),
        step_row("best-fashion", 12.0, seed=0),
        step_row("best-fashion", 13.0, seed=1),
        row("dcgan-fashion", 37.0),
        row("lsgan-fashion", 35.0),  # not a headline recipe
        step_row("best-cifar10", 29.5, **CIFAR),
        row("acgan-cifar10", 67.9, minutes=20, **CIFAR),
    ]
    made = table.tables(rows)
    fashion = made["results-summary:fashion-mnist"].splitlines()
    assert fashion[0] == "| recipe | budget | FID (N) | KID | precision | recall |"
    assert fashion[2:] == [
        "| [`best-fashion`](docs/results/fashion-mnist.md) | 100,000 steps "
        "| **12.50 ± 0.71** (FID-5k, 2 seeds: 12.00 / 13.00) | 0.0123 | 0.500 | 0.250 |",
        "| [`dcgan-fashion`](docs/results/fashion-mnist.md) | 10 min | **37.00** (FID-5k) "
        "| 0.0123 | 0.500 | 0.250 |",
    ]
    cifar = made["results-summary:cifar10"].splitlines()
    assert cifar[0].endswith("| report's FID (setting) | against it |") and len(cifar) == 4
    assert cifar[2].startswith("| [`best-cifar10`](docs/results/cifar10.md) | 100,000 steps |")
    assert cifar[2].endswith(f"| {table.REPORTED['best-cifar10']} | 0.6 above 28.95 |")
    assert cifar[3].endswith("| 64.1 (64 px, batch 64) | 3.8 above 64.1 |")  # after best-cifar10
    assert table.summary([row("lsgan-fashion", 35.0)], "fashion-mnist") is None


def test_write_and_check_fill_whichever_blocks_each_file_has(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(table, "ROOT", tmp_path)  # links are relative to the repository
    readme = tmp_path / "README.md"
    fashion_page = tmp_path / "docs" / "results" / "fashion-mnist.md"
    cifar_page = tmp_path / "docs" / "results" / "cifar10.md"
    fashion_page.parent.mkdir(parents=True)

    def block(name: str) -> str:
        begin, end = table.markers(name)
        return f"{begin}\nold\n{end}\n"

    readme.write_text(
        "intro\n"
        + block("results-summary:fashion-mnist")
        + block("results-summary:cifar10")
        + "outro\n",
        encoding="utf-8",
    )
    fashion_page.write_text("# Fashion\n" + block("results-table"), encoding="utf-8")
    cifar_page.write_text("# CIFAR\n" + block("results-table:cifar10"), encoding="utf-8")
    results = tmp_path / "results.jsonl"
    rows = [
        row("best-fashion", 14.0, ref="fashion-mnist:test"),
        row("dcgan-cifar10", 60.0, minutes=20, grid="benchmarks/grids/d.png", **CIFAR),
    ]
    results.write_text("".join(json.dumps(r) + "\n" for r in rows))
    files = [str(readme), str(fashion_page), str(cifar_page)]

    assert table.main(["--results", str(results), "--check", *files]) == 1
    assert (
        "README.md: the results-summary:fashion-mnist, results-summary:cifar10 blocks are "
        "stale" in capsys.readouterr().err
    )
    assert table.main(["--results", str(results), "--write", *files]) == 0
    assert table.main(["--results", str(results), "--check", *files]) == 0
    text = readme.read_text(encoding="utf-8")
    assert text.startswith("intro\n") and text.endswith("outro\n") and "old" not in text
    assert "[`best-fashion`](docs/results/fashion-mnist.md)" in text
    assert "[`dcgan-cifar10`](docs/results/cifar10.md)" in text
    assert "| recipe | budget | steps |" not in text  # the full tables live in the pages
    page = cifar_page.read_text(encoding="utf-8")
    assert "`dcgan-cifar10`" in page and "![dcgan-cifar10](../../benchmarks/grids/d.png)" in page
    assert "`best-fashion`" in fashion_page.read_text(encoding="utf-8")
    assert not list(tmp_path.rglob("*.tmp*"))


def test_a_file_without_a_results_block_is_one_sentence(tmp_path, capsys):
    plain = tmp_path / "notes.md"
    plain.write_text("no blocks here\n", encoding="utf-8")
    assert table.main(["--results", str(tmp_path / "none.jsonl"), "--check", str(plain)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{plain} has no results block (") and err.count("\n") == 1


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
    (run / "losses.png").write_bytes(b"losses")
    (run / "animation.gif").write_bytes(b"gif")
    kept = quality.keep_pictures(run, tmp_path / "grids", "t")
    assert Path(kept["grid"]).read_bytes() == b"grid"
    assert Path(kept["fid_curve"]).read_bytes() == b"curve"
    assert Path(kept["losses"]).read_bytes() == b"losses" and "animation" not in kept
    kept = quality.keep_pictures(run, tmp_path / "grids", "t", animation=True)
    assert Path(kept["animation"]).read_bytes() == b"gif" and kept["animation"].endswith(".gif")


def test_against_report_subtracts_the_reports_own_fid_and_nothing_else():
    def seeds(recipe: str, *fids: float) -> list[dict]:
        return [step_row(recipe, fid, seed=i, **CIFAR) for i, fid in enumerate(fids)]

    assert table.against_report(seeds("dcgan-cifar10", 79.95, 80.45)) == "beats 139 by 58.8"
    assert table.against_report(seeds("wgan-gp-cifar10", 245.0, 249.0)) == "188.5 above 58.5"
    # StudioGAN's LSGAN is scored against the training split: named, never subtracted from
    assert table.against_report(seeds("lsgan-cifar10", 30.0)) == "-"
    assert table.against_report(seeds("sagan-cifar10", 96.0, 107.0)) == "-"


def test_a_celeba_row_gets_its_own_table_and_summary_beside_the_report():
    rows = [
        step_row(
            "dcgan-celeba",
            80.0,
            steps=1000,
            ref="celeba:test",
            n_gen=1000,
            overrides=["data.root=DIR", "train.precision=bf16"],
        ),
        row("dcgan-fashion", 40.0),
    ]
    made = table.tables(rows)
    full, short = made["results-table:celeba"], made["results-summary:celeba"]
    assert "dcgan-fashion" not in full and "dcgan-celeba" in full
    assert "**80.00** (FID-1k)" in full and "1,000 steps" in full
    assert "losses and grids only (no FID)" in full and "losses and grids only" in short
    assert "(docs/results/celeba.md)" in short


def test_rows_made_before_a_recipe_changed_are_its_earlier_edition(monkeypatch):
    monkeypatch.setattr(table, "RECIPE_CHANGES", {"best-cifar10": ("c1", "without lazy R1")})
    monkeypatch.setattr(table, "made_since", lambda commit, change: commit == "c2")
    old = [step_row("best-cifar10", 37.5, seed=s, commit="c0", **CIFAR) for s in (0, 1)]
    new = [step_row("best-cifar10", 29.0 + s, seed=s, commit="c2", **CIFAR) for s in (0, 1)]
    full = table.markdown(table.latest_plain_rows([*old, *new], "cifar10"), reports=True)
    names = [line.split(" | ")[0] for line in full.splitlines()[2:]]
    assert names == ["| `best-cifar10`", "| `best-cifar10` (without lazy R1)"]  # better first
    assert "**29.50 ± 0.71**" in full and "**37.50 ± 0.00**" in full
    summary = table.summary([*old, *new], "cifar10").splitlines()
    assert len(summary) == 3 and "**29.50 ± 0.71**" in summary[2]  # the current edition only
    assert table.summary(old, "cifar10") is None  # an earlier edition alone is no headline
    point = {"recipe": "best-cifar10", "seed": 0, "fid_n": 2000, "fid_precision": "fp32"}
    points = [{**point, "step": 10_000, "fid": 65.8, "commit": "c0"},
              {**point, "step": 25_000, "fid": 64.5, "commit": "c0"},
              {**point, "step": 10_000, "fid": 74.0, "commit": "c2"}]  # fmt: skip
    curve = table.curve(points, [*old, *new], "best-cifar10").splitlines()
    assert curve[0] == "| steps | 10,000 | 100,000 |"  # the old 25,000-step point is gone
    assert curve[2] == "| seed 0, FID-2k | 74.00 |  |"
    assert curve[3] == "| FID-5k (seeds 0, 1) |  | **29.50 ± 0.71** |"


def test_made_since_follows_this_repositorys_history():
    first = subprocess.run(["git", "rev-list", "--max-parents=0", "HEAD"], cwd=table.ROOT,
                           capture_output=True, text=True).stdout.split()[0]  # fmt: skip
    assert table.made_since("HEAD", first) and not table.made_since(first, "HEAD")
    assert not table.made_since("0000000", first)  # unknown to git: counts as earlier
