"""gankit.api: train, resume, evaluate, sample and compare on tiny synthetic runs."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import torch
from torch import nn

import gankit.metrics.class_accuracy as class_accuracy_module
from gankit import api
from gankit.cli import main
from gankit.config import load_config
from gankit.errors import CheckpointError, ConfigError, GankitError, RunDirError
from gankit.metrics.class_accuracy import TrainedClassifier
from gankit.rundir import RunDir
from gankit.training.checkpoint import load_checkpoint
from gankit.training.events import Subscriber
from tests.conftest import tiny_overrides

CONDITIONAL = tiny_overrides(**{"data.synthetic_classes": 3})


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One finished 4-step conditional run (cgan-fashion on synthetic data), shared read-only."""
    out = tmp_path_factory.mktemp("api") / "cgan"
    result = api.train("cgan-fashion", overrides=CONDITIONAL, out=out, progress=False)
    return result


def test_train_returns_a_plain_summary_and_writes_the_run(trained) -> None:
    assert (trained.status, trained.step, trained.is_main) == ("completed", 4, True)
    summary = trained.summary()
    assert summary["run_dir"] == str(trained.run_dir) and summary["step"] == 4
    json.dumps(summary)  # plain values only
    run = RunDir(trained.run_dir)
    assert run.last.exists() and run.config.exists()
    assert [r["step"] for r in run.read_metrics() if r["kind"] == "train"] == [2, 4]
    assert load_checkpoint(run.last)["config"]["output"]["name"] == "cgan"


def test_train_takes_a_config_object_without_changing_it(tmp_path) -> None:
    cfg = load_config("dcgan-fashion", tiny_overrides())
    heard: list[int] = []

    class Steps(Subscriber):
        def on_log(self, row):
            heard.append(row["step"])

    result = api.train(
        cfg, overrides=["train.steps=2"], out=tmp_path / "r", progress=False, subscribers=[Steps()]
    )
    assert result.step == 2 and heard == [2]
    assert cfg.train.steps == 4 and cfg.output.name == "dcgan-fashion"  # the caller's copy
    with pytest.raises(RunDirError, match="already holds a run"):
        api.train(cfg, out=tmp_path / "r", progress=False)


def test_prepare_config_resolves_the_run_directory(tmp_path) -> None:
    cfg, out = api.prepare_config("dcgan-fashion", overrides=["train.steps=7"])
    assert out.as_posix() == "runs/dcgan-fashion" and cfg.train.steps == 7
    cfg, out = api.prepare_config("dcgan-fashion", out=tmp_path / "x" / "y")
    assert out == tmp_path / "x" / "y" and (cfg.output.dir, cfg.output.name) == (
        str(tmp_path / "x"),
        "y",
    )
    with pytest.raises(ConfigError, match="Unknown config key"):
        api.prepare_config("dcgan-fashion", overrides=["train.stepz=1"])


def test_resume_continues_from_the_checkpoint_with_overrides(trained, tmp_path) -> None:
    run_dir = tmp_path / "copy"
    shutil.copytree(trained.run_dir, run_dir)
    (run_dir / ".lock").unlink(missing_ok=True)
    result = api.resume(run_dir, overrides=["train.steps=6"], progress=False)
    assert (result.status, result.step) == ("completed", 6)
    steps = [r["step"] for r in RunDir(run_dir).read_metrics() if r["kind"] == "train"]
    assert steps == [2, 4, 6]
    cfg, out = api.prepare_config(resume_from=run_dir)
    assert out == run_dir and cfg.data.synthetic_classes == 3  # from the checkpoint
    with pytest.raises(RunDirError, match="Cannot resume"):
        api.resume(tmp_path / "nothing-here")


class _MeanClassifier(nn.Module):
    """Calls every image class 1 (so a uniform-label generator scores one third)."""

    def __init__(self) -> None:
        super().__init__()
        self.bias = nn.Parameter(torch.tensor([0.0, 1.0, 0.0]))

    def forward(self, x):
        return self.bias.expand(len(x), 3)


def test_evaluate_reaches_class_accuracy_through_the_registry_and_records_it(
    trained, tmp_path, monkeypatch
) -> None:
    run_dir = tmp_path / "copy"
    shutil.copytree(trained.run_dir, run_dir)
    asked = []

    def get_classifier(dataset, *, root=None, device="cpu", epochs=3):
        asked.append(dataset)
        return TrainedClassifier(_MeanClassifier(), 0.5, dataset)

    monkeypatch.setattr(class_accuracy_module, "get_classifier", get_classifier)
    result = api.evaluate(run_dir, metrics="cas", n=30, checkpoint="best")  # no best.pt: last
    assert asked == ["synthetic"]
    assert (result["step"], result["ema"], result["cas_n"]) == (4, True, 30)  # EMA recipe
    assert result["cas"] == pytest.approx(1 / 3)  # labels 0, 1, 2 drawn in turn
    logged = RunDir(run_dir).read_metrics()[-1]
    assert logged["kind"] == "eval" and logged["source"] == "gankit eval"
    assert logged["cas"] == result["cas"]
    api.evaluate(run_dir, metrics=["cas"], n=6, record=False)
    assert RunDir(run_dir).read_metrics()[-1] == logged
    with pytest.raises(GankitError, match="last, best or a step number"):
        api.evaluate(run_dir, metrics="cas", checkpoint="worst")


def test_a_kept_step_names_its_checkpoint_and_a_missing_one_lists_the_kept(tmp_path) -> None:
    cadence = ["train.checkpoint_every=2", "train.keep_checkpoints=5"]
    run = api.train("cgan-fashion", overrides=[*CONDITIONAL, *cadence], out=tmp_path / "r",
                    progress=False).run_dir  # fmt: skip
    assert api.sample(run, 3, checkpoint=2).step == 2
    assert api.sample(run, 3, checkpoint="4").step == 4 == api.sample(run, 3).step
    with pytest.raises(CheckpointError, match=r"No checkpoint of step 3 .* kept are: 2, 4 "):
        api.sample(run, 3, checkpoint=3)
    assert main(["sample", str(run), "--n", "4", "--checkpoint", "2",
                 "--out", str(tmp_path / "g.png")]) == 0  # fmt: skip


def test_sample_is_seeded_conditional_and_writes_what_is_asked(trained, tmp_path) -> None:
    a = api.sample(trained.run_dir, 6, seed=3)
    b = api.sample(trained.run_dir, 6, seed=3)
    assert a.images.shape == (6, 1, 28, 28) and a.images.dtype == torch.uint8
    assert torch.equal(a.images, b.images) and torch.equal(a.labels, b.labels)
    assert not torch.equal(a.images, api.sample(trained.run_dir, 6, seed=4).images)
    assert (a.step, a.used_ema, a.out) == (4, True, None)
    two = api.sample(trained.run_dir, 5, class_index=2, out=tmp_path / "s.npz")
    assert two.labels.tolist() == [2] * 5 and two.out == tmp_path / "s.npz"
    with np.load(tmp_path / "s.npz") as saved:
        assert saved["images"].shape == (5, 28, 28, 1)
        assert np.array_equal(saved["images"], two.images.permute(0, 2, 3, 1).numpy())
    with pytest.raises(GankitError, match=r"output must be a folder, a \.npz file or a \.png grid"):
        api.sample(trained.run_dir, 2, out=tmp_path / "s.jpg")


def test_class_grid_has_every_class_in_rows_and_writes_a_png(trained, tmp_path) -> None:
    grid = api.class_grid(trained.run_dir, n=7, seed=1, out=tmp_path / "classes.png")
    assert grid.labels.tolist() == [0, 0, 1, 1, 2, 2]  # 7 // 3 classes = 2 per row
    assert grid.images.shape == (6, 1, 28, 28) and grid.out.is_file()
    again = api.class_grid(trained.run_dir, per_class=2, seed=1)
    assert torch.equal(again.images, grid.images)  # same seed, same grid
    with pytest.raises(GankitError, match="not both"):
        api.class_grid(trained.run_dir, per_class=2, n=6)
    with pytest.raises(GankitError, match=r"written as a \.png file"):
        api.class_grid(trained.run_dir, out=tmp_path / "classes.jpg")


def test_best_of_returns_the_top_scores_of_the_discriminator(trained, tmp_path) -> None:
    best = api.best_of(trained.run_dir, 3, pool=12, seed=2, out=tmp_path / "best.png")
    assert best.images.shape == (3, 1, 28, 28) and best.out.is_file()
    assert best.scores is not None and best.scores.tolist() == sorted(best.scores.tolist())[::-1]
    pool = api.sample(trained.run_dir, 12, seed=2)  # the same draws the pool came from
    picked = {bytes(image.numpy()) for image in best.images}
    assert picked <= {bytes(image.numpy()) for image in pool.images}


def test_interpolate_rows_start_and_end_at_different_images(trained) -> None:
    walk = api.interpolate(trained.run_dir, rows=2, steps=4, seed=0)
    assert walk.images.shape == (8, 1, 28, 28)
    assert not torch.equal(walk.images[0], walk.images[3])


def test_compare_writes_one_report_over_the_runs(trained, tmp_path) -> None:
    other = tmp_path / "other"
    shutil.copytree(trained.run_dir, other)
    out = api.compare([trained.run_dir, other], tmp_path / "r.html")
    text = out.read_text()
    assert out == tmp_path / "r.html" and "gankit comparison: 2 runs" in text
    assert ">cgan<" in text and ">other<" in text
    with pytest.raises(RunDirError):
        api.compare([tmp_path / "missing"], tmp_path / "r2.html")
