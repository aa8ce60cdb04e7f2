"""The command line on real Fashion-MNIST: train a few dozen steps, then sample and resume."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from gankit.cli import main
from tests.conftest import needs_fashion

TINY = [
    "--set",
    "model.generator.width=8",
    "--set",
    "model.discriminator.width=8",
    "--set",
    "train.batch_size=32",
    "--set",
    "train.log_every=10",
]


@pytest.mark.slow  # trains on real data and runs Inception
@pytest.mark.inception
@needs_fashion
def test_train_sample_on_real_fashion_mnist(tmp_path, capsys) -> None:
    run = tmp_path / "run"
    code = main(
        [
            "train",
            "dcgan-fashion",
            *TINY,
            "--set",
            "train.steps=30",
            "--out",
            str(run),
            "--quiet",
            "--json",
        ]
    )
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["step"] == 30 and summary["status"] == "completed"
    # the default precision (auto) resolved once, and the resolved value is what was saved
    assert summary["precision_requested"] == "auto" and summary["precision"] in ("fp32", "bf16")
    assert f"precision: {summary['precision']}" in (run / "config.yaml").read_text()
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    train_rows = [r for r in rows if r["kind"] == "train"]
    assert [r["step"] for r in train_rows] == [10, 20, 30]
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) for r in train_rows)
    assert [r["precision"] for r in rows if r.get("event") == "precision"] == [summary["precision"]]

    assert main(["sample", str(run), "--n", "20", "--out", str(tmp_path / "s.npz")]) == 0
    data = np.load(tmp_path / "s.npz")
    assert data["images"].shape == (20, 28, 28, 1) and data["images"].dtype == np.uint8
    assert data["images"].std() > 0  # not a constant image
    assert main(["sample", str(run), "--n", "5", "--out", str(tmp_path / "pngs")]) == 0
    assert len(list((tmp_path / "pngs").glob("*.png"))) == 5

    # eval: FID/KID with the canonical Inception on a handful of images (warns below 2,048)
    capsys.readouterr()
    assert main(["eval", str(run), "--metrics", "fid,kid", "--n", "16", "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)
    assert scores["n_gen"] == 16 and scores["ref"] == "fashion-mnist:test" and scores["n_ref"] == 16
    assert scores["fid"] > 0 and np.isfinite(scores["kid"])
    logged = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert logged[-1]["kind"] == "eval" and logged[-1]["fid"] == pytest.approx(scores["fid"])
    # `gankit fid` scores the sampled .npz against a dataset spec
    assert main(["fid", str(tmp_path / "s.npz"), "fashion-mnist:test", "--n", "16", "--json"]) == 0
    pair = json.loads(capsys.readouterr().out)
    assert pair["fid"] > 0

    assert main(["train", "--resume", "--out", str(run), "--set", "train.steps=40", "--quiet"]) == 0
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r["kind"] == "train"] == [10, 20, 30, 40]
    assert [r["step"] for r in rows if r["kind"] == "eval"] == [30]


def test_dry_run_prints_resolved_config(capsys) -> None:
    assert main(["train", "mlp-gan-fashion", "--set", "train.batch_size=7", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "batch_size: 7" in out and "arch: mlp" in out


def test_recipes_lists_one_line_each_then_the_registered_choices(capsys) -> None:
    assert main(["recipes"]) == 0
    recipes, choices = capsys.readouterr().out.split("\nChoices (--set KEY=VALUE):\n")
    lines = recipes.strip().splitlines()
    names = [line.split()[0] for line in lines]
    assert "dcgan-fashion" in names and "mlp-gan-fashion" in names
    assert all(len(line.split()) > 1 for line in lines)
    rows = {line.split()[0]: line.split(None, 1)[1] for line in choices.strip().splitlines()}
    assert "hinge" in rows["objective.loss"].split(", ")
    assert rows["model.discriminator.arch"].split(", ") == ["dcgan", "mlp", "resnet"]
    assert rows["train.precision"] == "auto, fp32, bf16, fp16"


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["train", "nosuchrecipe"], "Unknown recipe"),
        (["train", "--set", "train.batchsize=3", "--dry-run"], "did you mean 'train.batch_size'"),
        (["sample", "/nonexistent/run"], "neither a run directory nor a checkpoint"),
        (["train", "--resume", "--out", "/nonexistent/run"], "no checkpoints/last.pt"),
    ],
)
def test_user_errors_are_one_sentence_without_traceback(argv, fragment, capsys) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert fragment in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.slow  # a subprocess
def test_python_dash_m_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gankit", "recipes"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0 and "dcgan-fashion" in proc.stdout


@needs_fashion
def test_data_list_and_check(capsys) -> None:
    assert main(["data", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    fashion = next(line for line in lines if line.startswith("fashion-mnist"))
    assert "found:" in fashion
    assert main(["data", "check", "fashion-mnist"]) == 0
    out = capsys.readouterr().out
    assert 'fashion-mnist:train  {"n": 60000' in out and 'fashion-mnist:test  {"n": 10000' in out
