"""benchmarks/fid_speed.py: the profile summary turns per-stage seconds into the right rates."""

from __future__ import annotations

from tests.benchmarks.conftest import load_benchmark

fid_speed = load_benchmark("fid_speed")


def test_profile_summary_rates_and_ratio(capsys):
    per_image = {
        "fp32": {"preprocess": 0.01, "inception.stem_1": 0.01, "inception.mixed": 0.03},
        "bf16": {"preprocess": 0.01, "inception.stem_1": 0.005, "inception.mixed": 0.015},
        "shared": {"generate": 0.004, "quantise": 0.001, "torchscript_fp32_nchw_b50": 0.08},
    }
    fid_speed.print_profile(per_image, ["fp32", "bf16"], "wall")
    out = capsys.readouterr().out
    assert "fp32: Inception 25.00, pipeline (generate + preprocess + Inception) 18.18" in out
    assert "bf16: Inception 50.00, pipeline (generate + preprocess + Inception) 28.57" in out
    assert "generation is 9.1%" in out and "generation is 14.3%" in out
    assert "TorchScript as shipped (fp32, NCHW, batch 50): 12.50; fp32 2.00x; bf16 4.00x" in out
    assert "bf16 / fp32 Inception speed: 2.00x" in out
    assert "mixed" in out and "30.00" in out  # milliseconds per image of a block


def test_cpu_clock_counts_process_time_not_sleep():
    import time

    import torch

    clock = fid_speed.Clock(torch.device("cpu"), "cpu")
    with clock.stage("sleeping"):
        time.sleep(0.2)
    assert clock.seconds["sleeping"] < 0.1
    wall = fid_speed.Clock(torch.device("cpu"), "wall")
    with wall.stage("sleeping"):
        time.sleep(0.05)
    assert wall.seconds["sleeping"] >= 0.05
