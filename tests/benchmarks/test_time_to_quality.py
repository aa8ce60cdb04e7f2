"""benchmarks/time_to_quality.py and peer_dcgan.py: the peer's checkpoints load as scorable
generators, checkpoints are picked by training minutes, crossings and the table are right."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import peer_dcgan  # noqa: E402
import time_to_quality as ttq  # noqa: E402


def test_peer_checkpoint_loads_by_its_parameter_names_and_scores_as_28px_grey(
    tmp_path: Path,
) -> None:
    torch.manual_seed(0)
    peer = peer_dcgan.PeerDCGANGenerator(ngf=8, nc=3)
    names = list(peer.state_dict())
    # the example's layout: main.0 first transposed conv ... main.12 last, BN buffers between
    assert names[0] == "main.0.weight" and "main.1.running_mean" in names
    assert names[-1] == "main.12.weight" and len(peer.main) == 14
    path = tmp_path / "netG_epoch_0.pth"
    torch.save(peer.state_dict(), path)

    scored = peer_dcgan.load_peer_generator(path)
    assert scored.z_dim == 100 and scored.num_classes == 0 and not scored.training
    z = torch.randn(5, 100)
    with torch.no_grad():
        native = peer.eval()(z)
        images = scored(z)
    assert native.shape == (5, 3, 64, 64) and images.shape == (5, 1, 28, 28)
    expected = F.interpolate(native, size=(28, 28), mode="area").mean(dim=1, keepdim=True)
    assert torch.allclose(images, expected, atol=1e-6)
    assert images.abs().max() <= 1


def test_nearest_picks_one_checkpoint_per_minute_and_always_the_last() -> None:
    points = [(m, Path(f"step_{i}.pt")) for i, m in enumerate([0.9, 1.8, 2.7, 3.6, 29.9])]
    picked = ttq.nearest(points, [1, 2, 3, 10])
    assert [m for m, _ in picked] == [0.9, 1.8, 2.7, 3.6, 29.9]  # 10 min -> 3.6, the nearest
    assert ttq.nearest([], [1]) == []


def test_first_crossing_and_report(tmp_path: Path) -> None:
    curve = [{"minutes": 1.0, "fid": 90.0}, {"minutes": 2.0, "fid": 40.0},
             {"minutes": 3.0, "fid": 30.0}]  # fmt: skip
    assert ttq.first_crossing(curve, 40.0)["minutes"] == 2.0
    assert ttq.first_crossing(curve, 10.0) is None
    result = {
        "cpu": "test CPU", "n": 2000, "confirm_n": 0, "precision": "fp32",
        "peer": {"curve": [{"minutes": 23.0, "fid": 40.0}], "final_fid_confirm": None},
        "runs": [{"dir": "best", "curve": curve, "crossing": curve[1], "speedup": 11.5},
                 {"dir": "slow", "curve": curve, "crossing": None}],
    }  # fmt: skip
    path = tmp_path / "r.json"
    path.write_text(json.dumps(result))
    text = ttq.report(path, tmp_path / "plot.png")
    assert "| best | 2.00 min | 40.00 | 11.5x |" in text
    assert "| slow | not within its budget | - | - |" in text
    assert (tmp_path / "plot.png").stat().st_size > 1000


def test_peer_without_its_script_is_one_sentence(capsys, monkeypatch) -> None:
    argv = ["time_to_quality.py", "peer", "--main", "/nonexistent/main.py", "--data", ".",
            "--out", "x"]  # fmt: skip
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        ttq.main()
    assert exit_info.value.code == 2
    assert "is not the example's dcgan/main.py" in capsys.readouterr().err


def test_fid_of_computes_a_score_once_and_remembers_it_beside_the_checkpoint(
    tmp_path: Path, monkeypatch
) -> None:
    import gankit.metrics.evaluate as evaluate
    import gankit.training.generator_io as generator_io

    calls: list[tuple[int, str]] = []

    def fake_evaluate(generator, *, metrics, n, ref, precision):
        calls.append((n, precision))
        return {"fid": 10.0 + n / 1000}

    monkeypatch.setattr(evaluate, "evaluate_generator", fake_evaluate)
    monkeypatch.setattr(generator_io, "load_run", lambda path: type("R", (), {"generator": 0}))
    checkpoint = tmp_path / "checkpoints" / "step_0000100.pt"
    checkpoint.parent.mkdir()
    checkpoint.write_bytes(b"")

    assert ttq.fid_of(checkpoint, 2000, peer=False, precision="bf16") == 12.0
    assert ttq.fid_of(checkpoint, 2000, peer=False, precision="bf16") == 12.0
    assert ttq.fid_of(checkpoint, 2000, peer=False, precision="fp32") == 12.0
    assert ttq.fid_of(checkpoint, 10000, peer=False, precision="fp32") == 20.0
    assert calls == [(2000, "bf16"), (2000, "fp32"), (10000, "fp32")]  # the repeat was read
    memo = json.loads((checkpoint.parent / "fid_scores.json").read_text())
    assert memo == {"step_0000100.pt|n=10000|fp32": 20.0, "step_0000100.pt|n=2000|bf16": 12.0,
                    "step_0000100.pt|n=2000|fp32": 12.0}  # fmt: skip


def test_run_facts_and_label_say_the_cores_and_the_resolved_precision(tmp_path: Path) -> None:
    (tmp_path / "tq.json").write_text(json.dumps({"cores": 1}))
    from gankit.config import dump_yaml, load_config

    # a run's config.yaml holds the precision `auto` resolved to
    config = load_config("dcgan-fashion", ["train.precision=bf16"])
    (tmp_path / "config.yaml").write_text(dump_yaml(config))
    facts = ttq.run_facts(tmp_path)
    assert facts == {"cores": 1, "precision": "bf16"}
    assert ttq.run_label({"dir": "dcgan-fashion", **facts}) == "dcgan-fashion (1 core, bf16)"
    assert ttq.run_label({"dir": "b", "cores": 2, "precision": "fp32"}) == "b (2 cores, fp32)"
    assert ttq.run_facts(tmp_path / "missing") == {"cores": None, "precision": None}
    assert ttq.run_label({"dir": "old", "cores": None, "precision": None}) == "old"
