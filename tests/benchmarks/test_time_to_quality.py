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
