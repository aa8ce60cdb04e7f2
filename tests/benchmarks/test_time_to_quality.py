"""benchmarks/time_to_quality.py and peer_dcgan.py: the peer's checkpoints load as scorable
generators, checkpoints are picked by training minutes, crossings and the table are right, on
Fashion-MNIST and on a CIFAR-10 folder (small fakes: no real race is run here)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from tests.benchmarks.conftest import load_benchmark
from tests.conftest import tiny_overrides

peer_dcgan = load_benchmark("peer_dcgan")
ttq = load_benchmark("time_to_quality")


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
        ttq.main()  # reads sys.argv, as from the command line
    assert exit_info.value.code == 2
    assert "is not the example's dcgan/main.py" in capsys.readouterr().err


def test_fid_of_computes_a_score_once_and_remembers_it_beside_the_checkpoint(
    tmp_path: Path, monkeypatch
) -> None:
    from gankit import api

    calls: list[tuple[int, str]] = []

    def fake_evaluate(checkpoint, *, metrics, n, ref, precision, record):
        assert ref == "test" and not record  # the run's own test split; the run is not written
        calls.append((n, precision))
        return {"fid": 10.0 + n / 1000}

    monkeypatch.setattr(api, "evaluate", fake_evaluate)
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


# ------------------------------------------------------------------------------ CIFAR-10


@pytest.fixture
def cifar(tmp_path: Path) -> Path:
    """A CIFAR-10-shaped folder copy: train/ and test/ with class sub-folders."""
    for split in ("train", "test"):
        (tmp_path / "cifar" / split / "cat").mkdir(parents=True)
    return tmp_path / "cifar"


def test_targets_say_where_each_dataset_is_and_how_the_peer_is_scored(cifar: Path) -> None:
    fashion = ttq.target_of("fashion")
    assert (fashion.ref, fashion.root, fashion.size, fashion.channels) == (
        "fashion-mnist:test", None, 28, 1)  # fmt: skip
    assert fashion.recipe == "best-fashion" and fashion.overrides == ()
    c10 = ttq.target_of("cifar10", cifar)
    assert (c10.ref, c10.root, c10.size, c10.channels) == ("folder:test", str(cifar), 32, 3)
    assert c10.recipe == "best-cifar10"
    assert c10.overrides == ("data.name=folder", f"data.root={cifar}")
    overrides = ttq.gankit_overrides(120, c10, ["train.seed=1"])
    assert overrides[:2] == ["data.name=folder", f"data.root={cifar}"]
    assert overrides[-1] == "train.seed=1"
    from gankit.config import load_config

    cfg = load_config("best-cifar10", overrides)  # the recipe's 60 minutes give way
    assert (cfg.train.max_minutes, cfg.train.epochs, cfg.train.steps) == (120, None, None)
    assert cfg.train.fid_every == 0 and cfg.data.root == str(cifar)


def test_cifar10_without_its_copy_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match=r"^--dataset cifar10 needs --root DIR"):
        ttq.target_of("cifar10")
    (tmp_path / "train").mkdir()
    with pytest.raises(SystemExit, match=r"has no test/ folder; CIFAR-10 needs"):
        ttq.target_of("cifar10", tmp_path)
    with pytest.raises(SystemExit, match=r"has no test/ folder"):
        ttq.main(["gankit", "--dataset", "cifar10", "--root", str(tmp_path), "--out", "x"])


FAKE_EXAMPLE = """
import argparse, pathlib, time, torch
ap = argparse.ArgumentParser()
for name in ("--dataset", "--dataroot", "--outf", "--niter", "--manualSeed"):
    ap.add_argument(name)
opt = ap.parse_args()
assert opt.dataset == "folder" and pathlib.Path(opt.dataroot).name == "train"
print("[0/1000][0/782] Loss_D: 1.0 Loss_G: 1.0 D(x): 0.5 D(G(z)): 0.5 / 0.5", flush=True)
print("[0/1000][1/782] Loss_D: 1.0 Loss_G: 1.0 D(x): 0.5 D(G(z)): 0.5 / 0.5", flush=True)
torch.save({"dataroot": opt.dataroot}, pathlib.Path(opt.outf) / "netG_epoch_0.pth")
"""


@pytest.mark.slow  # a subprocess that imports torch
def test_peer_runs_the_example_on_the_cifar10_train_folder(tmp_path: Path, cifar: Path) -> None:
    """A stand-in for dcgan/main.py (which is never copied here) that finishes at once: the
    checkpoint it wrote just before ending is still on the timeline."""
    main_py = tmp_path / "examples" / "dcgan" / "main.py"
    main_py.parent.mkdir(parents=True)
    main_py.write_text(FAKE_EXAMPLE)
    out = tmp_path / "peer"
    code = ttq.main(["peer", "--dataset", "cifar10", "--root", str(cifar), "--main", str(main_py),
                     "--minutes", "1", "--out", str(out)])  # fmt: skip
    assert code == 0
    timeline = json.loads((out / "timeline.json").read_text())
    assert timeline["dataset"] == "cifar10" and timeline["iterations"] == 2
    assert timeline["collapsed"] is False
    assert f"--dataset folder --dataroot {cifar}/train" in timeline["command"]
    assert list(timeline["checkpoint_minutes"]) == ["netG_epoch_0.pth"]
    state = torch.load(out / "netG_epoch_0.pth", weights_only=True)
    assert state == {"dataroot": str(cifar / "train")}


def peer_line(i: int, fake_score: float) -> str:
    """One iteration's line as the example prints it."""
    return (f"[0/1000][{i}/782] Loss_D: 0.0010 Loss_G: 38.5 D(x): 0.9990 "
            f"D(G(z)): {fake_score:.4f} / {fake_score:.4f}")  # fmt: skip


def test_a_peer_whose_discriminator_rejects_every_fake_at_the_end_is_collapsed() -> None:
    healthy = [peer_line(i, 0.05 + 0.2 * (i % 3)) for i in range(100)]
    dead = [peer_line(100 + i, 0.0) for i in range(60)]
    assert ttq.peer_collapsed(healthy + dead)
    assert not ttq.peer_collapsed(healthy)
    assert not ttq.peer_collapsed(dead[:49])  # too short to say
    assert not ttq.peer_collapsed(healthy + dead + [peer_line(160, 0.2)])  # it recovered
    assert not ttq.peer_collapsed(["Namespace(dataset='folder')", *healthy[:60]])


def test_score_refuses_a_collapsed_peer(tmp_path: Path, cifar: Path) -> None:
    peer = tmp_path / "peer"
    peer.mkdir()
    timeline = {"dataset": "cifar10", "collapsed": True, "checkpoint_minutes": {}}
    (peer / "timeline.json").write_text(json.dumps(timeline))
    with pytest.raises(SystemExit, match=r"^The example in .* collapsed .* another --seed\.$"):
        ttq.main(["score", "--dataset", "cifar10", "--root", str(cifar), "--peer", str(peer),
                  "--out", str(tmp_path / "score.json")])  # fmt: skip


def test_peer_on_fashion_needs_the_folder(tmp_path: Path, capsys) -> None:
    main_py = tmp_path / "main.py"
    main_py.write_text("")
    with pytest.raises(SystemExit):
        ttq.main(["peer", "--main", str(main_py), "--out", str(tmp_path / "p")])
    assert "--data is needed with fashion" in capsys.readouterr().err


def test_a_cifar10_peer_checkpoint_is_scored_as_32px_rgb_against_the_folder(
    tmp_path: Path, cifar: Path, monkeypatch
) -> None:
    import gankit.metrics

    seen: dict = {}

    def fake_evaluate_generator(generator, *, metrics, n, ref, precision, data_root):
        with torch.no_grad():
            seen["shape"] = tuple(generator(torch.randn(2, generator.z_dim)).shape)
        seen.update(ref=ref, data_root=data_root, n=n)
        return {"fid": 123.0}

    monkeypatch.setattr(gankit.metrics, "evaluate_generator", fake_evaluate_generator)
    torch.manual_seed(0)
    path = tmp_path / "peer" / "netG_epoch_3.pth"
    path.parent.mkdir()
    torch.save(peer_dcgan.PeerDCGANGenerator(ngf=8, nc=3).state_dict(), path)
    target = ttq.target_of("cifar10", cifar)
    assert ttq.fid_of(path, 500, peer=True, precision="fp32", target=target) == 123.0
    assert seen == {"shape": (2, 3, 32, 32), "ref": "folder:test", "data_root": str(cifar),
                    "n": 500}  # fmt: skip


def test_score_and_report_on_cifar10(tmp_path: Path, cifar: Path, monkeypatch) -> None:
    """The whole scoring step on fakes: a peer with two epoch checkpoints, a gankit run
    trained for real (tiny, synthetic data) with its checkpoints; FIDs stand in by name."""
    import gankit.metrics
    from gankit import api

    peer = tmp_path / "peer"
    peer.mkdir()
    for epoch in (0, 1):
        torch.save(peer_dcgan.PeerDCGANGenerator(ngf=8, nc=3).state_dict(),
                   peer / f"netG_epoch_{epoch}.pth")  # fmt: skip
    timeline = {
        "dataset": "cifar10",
        "checkpoint_minutes": {"netG_epoch_0.pth": 15.0, "netG_epoch_1.pth": 30.0},
        "minutes": 30,
        "cores": 2,
        "img_per_s": 50.0,
    }
    (peer / "timeline.json").write_text(json.dumps(timeline))

    run = tmp_path / "best"
    # the 6 steps end the run, not the 5 minutes: three checkpoints however busy the CPU is
    tiny = tiny_overrides(**{"data.synthetic_shape": "[3, 32, 32]", "train.steps": 6,
                             "train.checkpoint_every": 2})  # fmt: skip
    assert ttq.run_gankit("dcgan-fashion", 5, run, tiny) == 0
    assert json.loads((run / "tq.json").read_text())["dataset"] == "fashion"
    points = ttq.gankit_points(run)
    assert len(points) >= 2

    def peer_fid(generator, *, metrics, n, ref, precision, data_root):
        assert ref == "folder:test" and data_root == str(cifar)
        return {"fid": 80.0 if precision == "fp32" and n == 100 else 90.0}

    def gankit_fid(checkpoint, *, metrics, n, ref, precision, record):
        step = int(Path(checkpoint).stem.split("_")[1])
        return {"fid": 200.0 / step}  # falls with every step: crosses 90 at step 3

    monkeypatch.setattr(gankit.metrics, "evaluate_generator", peer_fid)
    monkeypatch.setattr(api, "evaluate", gankit_fid)
    out = tmp_path / "tq.json"
    code = ttq.main(["score", "--dataset", "cifar10", "--root", str(cifar), "--peer", str(peer),
                     "--run", str(run), "--n", "50", "--confirm-n", "100", "--at", "0,1",
                     "--out", str(out)])  # fmt: skip
    assert code == 0
    result = json.loads(out.read_text())
    assert result["dataset"] == "cifar10" and result["peer"]["final_fid_confirm"] == 80.0
    assert [p["minutes"] for p in result["peer"]["curve"]] == [15.0, 30.0]
    [entry] = result["runs"]
    crossing = entry["crossing"]
    assert crossing is not None and crossing["fid"] <= 90.0
    assert entry["speedup"] == round(30.0 / crossing["minutes"], 2)
    assert entry["crossing_fid_confirm"] == crossing["fid"]
    text = ttq.report(out, tmp_path / "plot.png")
    assert text.startswith("CIFAR-10; CPU: ")
    assert "(90.00) at |" in text and f"| {entry['speedup']:.1f}x |" in text
    # a peer of the other dataset is refused in one sentence
    with pytest.raises(SystemExit, match=r"trained on cifar10, not fashion; score each dataset"):
        ttq.main(["score", "--peer", str(peer), "--run", str(run), "--out", str(out)])


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
