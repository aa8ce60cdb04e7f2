"""benchmarks/precision_fid.py: the verdict compares the bf16 gap with the two-seed fp32 gap."""

from __future__ import annotations

import json
import sys

from tests.benchmarks.conftest import load_benchmark

precision_fid = load_benchmark("precision_fid")


def test_verdict_within_noise():
    fids = {("fp32", 0): 20.0, ("fp32", 1): 19.0, ("bf16", 0): 20.5, ("bf16", 1): 19.5}
    line = precision_fid.verdict(fids)
    assert "mean FID fp32 19.500, bf16 20.000: bf16 - fp32 = +0.500 (+2.56%)" in line
    assert "spread fp32 1.000, bf16 1.000" in line
    assert line.endswith("within run-to-run noise")


def test_verdict_larger_than_noise():
    fids = {("fp32", 0): 20.0, ("fp32", 1): 20.4, ("bf16", 0): 18.0, ("bf16", 1): 18.2}
    line = precision_fid.verdict(fids)
    assert "bf16 - fp32 = -2.100 (-10.40%)" in line
    assert line.endswith("LARGER than the seed-to-seed spread")


def test_arms_share_seed_zero_and_name_their_directories(tmp_path):
    assert precision_fid.ARMS == (("fp32", 0), ("bf16", 0), ("fp32", 1), ("bf16", 1))
    assert precision_fid.arm_dir(tmp_path, "dcgan-fashion", "bf16", 0) == (
        tmp_path / "dcgan-fashion-bf16-seed0"
    )


def _weight_fid(generator, *, metrics, n, ref, precision, **_):
    """Stands in for Inception: a number that follows the generator's weights (FID itself is
    tested in tests/metrics)."""
    assert metrics == ["fid"] and ref == "synthetic:test" and precision == "bf16"
    return {
        "fid": float(sum(p.detach().double().abs().sum() for p in generator.parameters())),
        "n": n,
    }


def test_four_runs_scored_then_reused(tmp_path, monkeypatch, capsys):
    """Four real 2-step trainings on synthetic data, one row each; a second call reads their
    scores back, a third with --rescore scores them again; neither trains."""
    import gankit.metrics

    monkeypatch.setattr(gankit.metrics, "evaluate_generator", _weight_fid)
    results = tmp_path / "rows.jsonl"
    argv = [
        "precision_fid.py",
        "dcgan-fashion",
        "--steps",
        "2",
        "--fid-n",
        "16",
        "--eval-precision",
        "bf16",
        "--set",
        "data.name=synthetic",
        "--set",
        "data.synthetic_n=64",
        "--set",
        "data.synthetic_shape=[1,28,28]",
        "--set",
        "train.batch_size=8",
        "--out",
        str(tmp_path / "runs"),
        "--results",
        str(results),
    ]
    monkeypatch.setattr(sys, "argv", argv)
    assert precision_fid.main() == 0
    rows = [json.loads(line) for line in results.read_text().splitlines()]
    assert [(r["train_precision"], r["seed"]) for r in rows] == list(precision_fid.ARMS)
    assert all(r["steps"] == 2 and r["fid_n"] == 16 and not r["reused"] for r in rows)
    assert rows[0]["fid"] != rows[2]["fid"]  # another seed, other initial weights
    assert rows[0]["fid"] != rows[1]["fid"]  # same start, but two bf16 steps moved the weights
    assert (tmp_path / "runs" / "dcgan-fashion-bf16-seed1" / "config.yaml").is_file()
    monkeypatch.setattr(sys, "argv", argv)
    assert precision_fid.main() == 0  # finished and scored: read back, nothing appended
    assert len(results.read_text().splitlines()) == 4
    assert capsys.readouterr().out.count("(recorded)") == 4
    monkeypatch.setattr(sys, "argv", [*argv, "--rescore"])
    assert precision_fid.main() == 0  # scored again, still not retrained
    again = [json.loads(line) for line in results.read_text().splitlines()][4:]
    assert len(again) == 4 and all(r["reused"] for r in again)
    assert [r["fid"] for r in again] == [r["fid"] for r in rows]
    assert "mean FID fp32" in capsys.readouterr().out
