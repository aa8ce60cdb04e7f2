"""FID curve points (benchmarks/curves.jsonl): read from a run's in-training evaluations or
scored later, and rendered by results_table.py as a curve block."""

from __future__ import annotations

import json

import pytest
import yaml

from tests.benchmarks.conftest import load_benchmark

curve_points = load_benchmark("curve_points")
table = load_benchmark("results_table")


def point(seed: int, step: int, fid: float, **extra) -> dict:
    base = {
        "recipe": "best-x",
        "seed": seed,
        "step": step,
        "images_seen": step * 32,
        "fid_n": 2000,
        "fid": fid,
        "kid": 0.05,
        "fid_precision": "fp32",
        "ref": "folder:test",
        "source": "training",
        "run": "r",
        "cpu": "CPU",
    }
    return {**base, **extra}


def write_run(path, seed: int, evals: list[tuple[int, float]]) -> None:
    path.mkdir()
    config = {
        "data": {"name": "folder"},
        "train": {
            "seed": seed,
            "batch_size": 32,
            "fid_n": 2000,
            "fid_precision": "fp32",
            "fid_ref": "test",
        },
    }
    (path / "config.yaml").write_text(yaml.safe_dump(config))
    rows = [{"kind": "train", "step": 1, "d_loss": 1.0}]
    rows += [
        {
            "kind": "eval",
            "step": s,
            "fid": f,
            "kid": 0.0123456,
            "n_gen": 2000,
            "feature_precision": "fp32",
            "ref": "folder:test",
        }
        for s, f in evals
    ]
    (path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_points_of_a_run_are_its_in_training_evaluations(tmp_path):
    write_run(tmp_path / "run", 1, [(25000, 64.5312), (50000, 50.0)])
    points = curve_points.points_of_run(tmp_path / "run", "best-x")
    assert [(p["seed"], p["step"], p["images_seen"], p["fid"], p["kid"]) for p in points] == [
        (1, 25000, 800000, 64.531, 0.01235), (1, 50000, 1600000, 50.0, 0.01235)]  # fmt: skip
    assert {p["source"] for p in points} == {"training"}


def test_from_run_appends_rows_and_refuses_a_folder_that_is_no_run(tmp_path, capsys):
    write_run(tmp_path / "run", 0, [(10000, 65.81)])
    curves = tmp_path / "curves.jsonl"
    assert (
        curve_points.main(
            ["--curves", str(curves), "from-run", str(tmp_path / "run"), "--recipe", "best-x"]
        )
        == 0
    )
    rows = [json.loads(line) for line in curves.read_text().splitlines()]
    assert [(r["step"], r["fid"]) for r in rows] == [(10000, 65.81)] and rows[0]["cpu"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(SystemExit, match=r"not a run directory: config\.yaml is missing"):
        curve_points.main(
            ["--curves", str(curves), "from-run", str(tmp_path / "empty"), "--recipe", "best-x"]
        )
    write_run(tmp_path / "no-fid", 0, [])
    assert (
        curve_points.main(
            ["--curves", str(curves), "from-run", str(tmp_path / "no-fid"), "--recipe", "best-x"]
        )
        == 1
    )
    assert "no in-training FID" in capsys.readouterr().err


def test_a_scored_point_names_its_run_not_the_checkpoints_folder():
    assert curve_points.run_name("runs/best-s1/checkpoints/step_0050000.pt") == "best-s1"
    assert curve_points.run_name("runs/best-s1/checkpoints/last.pt") == "best-s1"
    assert curve_points.run_name("benchmarks/curves/best-s0/step_0100000.safetensors") == "best-s0"
    assert curve_points.run_name("pretrained:best-cifar10") == "pretrained:best-cifar10"


def test_the_newest_point_of_a_step_wins():
    points = [point(0, 10000, 70.0), point(0, 10000, 65.81), point(0, 10000, 60.0, fid_n=10000)]
    chosen = curve_points.latest_points(points)
    assert [(p["fid_n"], p["fid"]) for p in chosen] == [(2000, 65.81), (10000, 60.0)]


def test_an_ablation_point_is_its_own_measurement_and_stays_out_of_the_recipe_curve():
    plain = point(0, 25000, 64.53)
    wide = point(0, 25000, 58.0, overrides=["model.generator.width=64"])
    chosen = curve_points.latest_points([plain, wide])
    assert [p["fid"] for p in chosen] == [64.53, 58.0]  # neither replaced the other
    block = table.curve([plain, wide], [], "best-x")
    assert "64.53" in block and "58.00" not in block
    assert table.curve([wide], [], "best-x") is None


def test_score_records_the_overrides_of_an_ablation(tmp_path, monkeypatch):
    run = tmp_path / "wide"
    write_run(run, 0, [])
    (run / "checkpoints").mkdir()
    checkpoint = run / "checkpoints" / "step_0025000.pt"
    checkpoint.write_bytes(b"")
    seen = {}

    def fake_score(file, **kwargs):
        seen.update(kwargs)
        return point(kwargs["seed"], kwargs["step"], 58.0, source="eval")

    monkeypatch.setattr(curve_points, "score_point", fake_score)
    curves = tmp_path / "ablation_curves.jsonl"
    args = ["--curves", str(curves), "score", str(checkpoint), "--recipe", "best-x", "--seed",
            "0", "--step", "25000", "--images-per-step", "32"]  # fmt: skip
    assert curve_points.main([*args, "--set", "z=1", "--set", "a=2"]) == 0
    assert curve_points.main(args) == 0
    first, second = [json.loads(line) for line in curves.read_text().splitlines()]
    assert first["overrides"] == ["a=2", "z=1"] and "overrides" not in second
    assert seen["step"] == 25000 and seen["images_per_step"] == 32


def test_curve_block_gives_each_seed_their_mean_and_the_final_rows():
    points = [
        point(0, 10000, 65.81),
        point(0, 25000, 64.53),
        point(1, 25000, 60.53),
        point(1, 50000, 50.0),
        point(0, 25000, 62.0, fid_precision="bf16"),
        point(0, 5000, 1.0, recipe="other"),
    ]
    finals = [
        {
            "recipe": "best-x",
            "budget": "steps",
            "steps": 50000,
            "minutes": None,
            "fid": 37.0,
            "n_gen": 10000,
            "seed": s,
            "ref": "folder:test",
            "data_root": "/d/cifar10-jpg",
            "overrides": ["data.name=folder", f"train.seed={s}"],
        }
        for s in (0,)
    ] + [
        {
            "recipe": "best-x",
            "budget": "steps",
            "steps": 50000,
            "minutes": None,
            "fid": 39.0,
            "n_gen": 10000,
            "seed": 1,
            "ref": "folder:test",
            "data_root": "/d/cifar10-jpg",
            "overrides": ["data.name=folder", "train.seed=1"],
        }
    ]
    lines = table.curve(points, finals, "best-x").splitlines()
    assert lines[0] == "| steps | 10,000 | 25,000 | 50,000 |"
    assert lines[2] == "| seed 0, FID-2k | 65.81 | 64.53 |  |"
    assert lines[3] == "| seed 1, FID-2k |  | 60.53 | 50.00 |"
    # mean 62.53, sample standard deviation |64.53 - 60.53| / sqrt(2) = 2.83; one seed: no mean
    assert lines[4] == "| mean ± sd, FID-2k |  | 62.53 ± 2.83 |  |"
    assert lines[5] == "| seed 0, FID-2k, bf16 Inception |  | 62.00 |  |"
    assert lines[6] == "| FID-10k (seeds 0, 1) |  |  | **38.00 ± 1.41** |"
    assert len(lines) == 7
    assert table.curve(points, finals, "missing") is None


def test_curve_blocks_are_found_by_recipe_and_filled(tmp_path):
    page = tmp_path / "page.md"
    begin, end = table.markers("results-curve:best-x")
    page.write_text(f"x\n{begin}\nold\n{end}\n")
    assert table.blocks_in(page.read_text()) == ["results-curve:best-x"]
    stale, text = table.stale_blocks(page, [], [point(0, 10000, 65.81)])
    assert stale == ["results-curve:best-x"]
    assert "| seed 0, FID-2k | 65.81 |" in text and "old" not in text
    page.write_text(text)
    assert table.stale_blocks(page, [], [point(0, 10000, 65.81)])[0] == []


def test_images_seen_come_from_the_run_or_the_recipe_not_a_fixed_batch(tmp_path):
    run = tmp_path / "acgan-run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text(yaml.safe_dump({"train": {"batch_size": 64}}))
    checkpoint = str(run / "checkpoints" / "step_0005900.pt")
    assert curve_points.images_per_step_of(checkpoint, "best-cifar10") == 64  # the run's
    (tmp_path / "exported").mkdir()
    exported = str(tmp_path / "exported" / "g.safetensors")  # no config beside it
    assert curve_points.images_per_step_of(exported, "acgan-cifar10") == 64  # the recipe's
    assert curve_points.images_per_step_of(exported, "best-cifar10") == 32
    assert curve_points.images_per_step_of("pretrained:best-cifar10", "best-cifar10") == 32


def test_images_seen_count_every_critic_batch_as_the_results_rows_do(tmp_path):
    """WGAN-GP reads 7 real batches of 64 per generator step; its rows say 450 steps are
    201,600 images, so its curve points must too."""
    (tmp_path / "exported").mkdir()
    exported = str(tmp_path / "exported" / "g.safetensors")
    assert curve_points.images_per_step_of(exported, "wgan-gp-cifar10") == 64 * 7
    run = tmp_path / "wgan-run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.yaml").write_text(
        yaml.safe_dump({"train": {"batch_size": 16}, "objective": {"n_critic": 5}})
    )
    assert curve_points.images_per_step_of(str(run / "checkpoints" / "last.pt"), "x") == 80
    write_run(tmp_path / "trained", 0, [(450, 250.0)])
    config = yaml.safe_load((tmp_path / "trained" / "config.yaml").read_text())
    config["objective"] = {"n_critic": 7}
    (tmp_path / "trained" / "config.yaml").write_text(yaml.safe_dump(config))
    [trained] = curve_points.points_of_run(tmp_path / "trained", "x")
    assert trained["images_seen"] == 450 * 32 * 7
