"""benchmarks/one_epoch.py: the one-epoch table reads the run log the trainer writes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.benchmarks.conftest import load_benchmark

one_epoch = load_benchmark("one_epoch")


def write_log(run_dir: Path, rows: list[dict]) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    text = "\n".join(json.dumps(r) for r in rows) + "\n"
    (run_dir / "metrics.jsonl").write_text(text, encoding="utf-8")


def train_row(step: int, d_loss: float, g_loss: float) -> dict:
    return {
        "kind": "train",
        "step": step,
        "d_loss": d_loss,
        "g_loss": g_loss,
        "d_real_acc": 0.75,
        "d_fake_acc": 0.5,
        "img_per_s": 1234.4,
        "time_s": 61.2,
    }


def test_fashion_recipes_are_the_shipped_fashion_ones():
    names = one_epoch.fashion_recipes()
    assert {"dcgan-fashion", "cgan-fashion", "wgan-gp-fashion", "best-fashion"} <= set(names)
    assert all(name.endswith("-fashion") for name in names)
    assert names == sorted(names)


def test_summary_takes_the_last_training_row(tmp_path):
    eval_row = {"kind": "eval", "step": 20, "cas": 0.9}
    write_log(tmp_path, [train_row(10, 1.0, 2.0), train_row(20, 0.5, 1.5), eval_row])
    summary = one_epoch.summarise_run(tmp_path)
    assert summary["steps"] == 20
    assert (summary["d_loss"], summary["g_loss"]) == (0.5, 1.5)
    assert summary["finite"] is True


def test_a_nan_anywhere_in_the_log_is_reported(tmp_path):
    write_log(tmp_path, [train_row(10, float("nan"), 2.0), train_row(20, 0.5, 1.5)])
    assert one_epoch.summarise_run(tmp_path)["finite"] is False


def test_a_run_without_training_rows_is_one_clear_error(tmp_path):
    write_log(tmp_path, [{"kind": "eval", "step": 0}])
    with pytest.raises(SystemExit, match="no training rows"):
        one_epoch.summarise_run(tmp_path)


def summary_row(recipe: str, steps: int, d_loss: float, g_loss: float, **extra) -> dict:
    return {
        "recipe": recipe,
        "steps": steps,
        "img_per_s": 1234.4,
        "wall_s": 69.35,
        "d_loss": d_loss,
        "g_loss": g_loss,
        "d_real_acc": 0.75,
        "d_fake_acc": 0.5,
        **extra,
    }


def test_markdown_row_formats_numbers_and_missing_class_accuracy():
    rows = [
        summary_row("cgan-fashion", 3750, 1.1121, 1.2254, finite=True, cas=0.847),
        summary_row("dcgan-fashion", 468, 0.359, 2.233, finite=False),
    ]
    lines = one_epoch.markdown(rows).splitlines()
    assert lines[2] == (
        "| cgan-fashion | 3,750 | 1,234 | 69 | 1.112 | 1.225 | 0.75/0.50 | yes | 0.847 |"
    )
    assert lines[3].endswith("| NO | - |")
