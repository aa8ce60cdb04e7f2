"""benchmarks/cifar10_table.py: one quality.py command per -cifar10 recipe and seed."""

from __future__ import annotations

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
    code = table.main([str(copy), "--recipes", "dcgan-cifar10", "wgan-cifar10",
                       "--seeds", "0", "1", "--floor", "--dry-run"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0 and len(lines) == 5 and lines[0].startswith("[1/5]")
    assert "fid folder:train folder:test" in lines[0] and "--n 10000" in lines[0]
    seed0, seed1 = lines[1], lines[2]
    assert "quality.py dcgan-cifar10 --minutes 20 --fid-n 5000" in seed0
    assert f"data.root={copy}" in seed0 and "train.precision=fp32" in seed0
    assert "train.seed" not in seed0 and "--set train.seed=1" in seed1
    assert seed1.endswith("dcgan-cifar10-20min-seed1")


def test_a_folder_without_both_splits_is_refused_in_one_sentence(tmp_path) -> None:
    (tmp_path / "train").mkdir()
    with pytest.raises(SystemExit, match=r"has no test/ folder"):
        table.main([str(tmp_path), "--dry-run"])


def test_an_unknown_recipe_names_the_known_ones(copy) -> None:
    with pytest.raises(SystemExit, match=r"Not a -cifar10 recipe: dcgan-fashion; known: "):
        table.main([str(copy), "--recipes", "dcgan-fashion", "--dry-run"])
