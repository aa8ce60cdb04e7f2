"""benchmarks/cifar10_table.py: one quality.py command per -cifar10 recipe and seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.benchmarks.conftest import ROOT, load_benchmark

table = load_benchmark("cifar10_table")


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    for split in ("train", "test"):
        (tmp_path / "cifar" / split / "cat").mkdir(parents=True)
    return tmp_path / "cifar"


def test_every_cifar10_recipe_is_in_the_table() -> None:
    names = {p.stem for p in (ROOT / "src" / "gankit" / "recipes").glob("*-cifar10.yaml")}
    assert set(table.cifar10_recipes()) == names and len(names) >= 10


def test_dry_run_prints_one_command_per_recipe_and_seed(copy, capsys) -> None:
    code = table.main(
        [
            str(copy),
            "--recipes",
            "dcgan-cifar10",
            "wgan-cifar10",
            "--seeds",
            "0",
            "1",
            "--floor",
            "--dry-run",
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and len(lines) == 5 and lines[0].startswith("[1/5]")
    assert "fid folder:train folder:test" in lines[0] and "--n 10000" in lines[0]
    seed0, seed1 = lines[1], lines[2]
    assert "quality.py dcgan-cifar10 --minutes 20 --fid-n 5000" in seed0
    assert f"data.root={copy}" in seed0 and "train.precision=fp32" in seed0
    assert "train.seed" not in seed0 and "--set train.seed=1" in seed1
    assert seed1.endswith("dcgan-cifar10-20min-seed1 --force")  # minutes: a re-run starts over


def test_a_folder_without_both_splits_is_refused_in_one_sentence(tmp_path) -> None:
    (tmp_path / "train").mkdir()
    with pytest.raises(SystemExit, match=r"has no test/ folder"):
        table.main([str(tmp_path), "--dry-run"])


def test_an_unknown_recipe_names_the_known_ones(copy) -> None:
    with pytest.raises(SystemExit, match=r"Not a -cifar10 recipe: dcgan-fashion; known: "):
        table.main([str(copy), "--recipes", "dcgan-fashion", "--dry-run"])


def test_round_steps_keeps_two_significant_figures() -> None:
    assert [table.round_steps(n) for n in (3105, 5911, 768, 80, 52_906, 100_000)] == [
        3100, 5900, 770, 80, 53_000, 100_000]  # fmt: skip


def test_steps_from_rows_gives_each_recipe_the_steps_its_minute_row_reached(
    copy, tmp_path, capsys
) -> None:
    folder = ["data.name=folder", f"data.root={copy}"]
    rows = [
        {"recipe": "dcgan-cifar10", "minutes": 20, "steps": 3000, "overrides": folder,
         "ref": "folder:test", "data_root": "/x/cifar10-jpg", "cpu": "old CPU"},
        {"recipe": "dcgan-cifar10", "minutes": 20, "steps": 3105, "overrides": folder,
         "ref": "folder:test", "data_root": "/x/cifar10-jpg", "cpu": "AMD EPYC"},  # newest
        {"recipe": "dcgan-cifar10", "minutes": 20, "steps": 9999, "ref": "folder:test",
         "overrides": [*folder, "train.ema=true"], "data_root": "/x/cifar10-jpg"},  # ablation
        {"recipe": "sagan-cifar10", "minutes": 20, "steps": 768, "ref": "folder:test",
         "overrides": [*folder, "model.generator.width=32", "model.discriminator.width=32"],
         "data_root": "/x/cifar10-jpg", "cpu": "AMD EPYC"},
        {"recipe": "acgan-cifar10", "minutes": 20, "steps": 5911, "ref": "folder:test",
         "overrides": [*folder, "data.image_size=32"], "data_root": "/x/cifar10-jpg",
         "cpu": "AMD EPYC"},  # its recipe is 64 px; the row ran at 32
        {"recipe": "wgan-cifar10", "minutes": 10, "steps": 1000, "overrides": folder,
         "ref": "folder:test", "data_root": "/x/cifar10-jpg"},  # another budget
    ]  # fmt: skip
    results = tmp_path / "results.jsonl"
    results.write_text("".join(json.dumps(r) + "\n" for r in rows))
    code = table.main([str(copy), "--recipes", "dcgan-cifar10", "sagan-cifar10",
                       "acgan-cifar10", "--steps-from", "20", "--seeds", "0", "1",
                       "--fid-n", "10000", "--results", str(results), "--dry-run"])  # fmt: skip
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[:3] == [
        "dcgan-cifar10: 3,100 steps (its 20-minute row reached 3,105 on AMD EPYC)",
        "sagan-cifar10: 770 steps (its 20-minute row reached 768 on AMD EPYC)",
        "acgan-cifar10: 5,900 steps (its 20-minute row reached 5,911 on AMD EPYC)"]  # fmt: skip
    commands = lines[3:]
    assert len(commands) == 6
    assert "quality.py dcgan-cifar10 --steps 3100 --fid-n 10000" in commands[0]
    assert commands[1].endswith("dcgan-cifar10-3100steps-seed1")  # new run: neither flag
    assert "--set model.generator.width=32 --set model.discriminator.width=32" in commands[2]
    assert "quality.py acgan-cifar10 --steps 5900" in commands[4]
    assert "--set data.image_size=32" in commands[4] and "--set data.image_size=32" in commands[5]
    with pytest.raises(SystemExit, match=r"No plain 20-minute row for wgan-cifar10 in "):
        table.main([str(copy), "--recipes", "wgan-cifar10", "--steps-from", "20",
                    "--results", str(results), "--dry-run"])  # fmt: skip


def test_a_step_run_already_there_is_resumed(copy, tmp_path, capsys) -> None:
    runs = tmp_path / "runs"
    (runs / "best-cifar10-100000steps-seed1" / "checkpoints").mkdir(parents=True)
    (runs / "best-cifar10-100000steps-seed1" / "checkpoints" / "last.pt").write_bytes(b"")
    assert table.main([str(copy), "--recipes", "best-cifar10", "--steps", "100000", "--seeds",
                       "0", "1", "--runs", str(runs), "--dry-run"]) == 0  # fmt: skip
    seed0, seed1 = capsys.readouterr().out.splitlines()
    assert seed0.endswith("best-cifar10-100000steps-seed0")
    assert seed1.endswith("best-cifar10-100000steps-seed1 --resume")
