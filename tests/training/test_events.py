"""The trainer's events and the standard subscribers (log, grids, TensorBoard, figures)."""

from __future__ import annotations

import json

import pytest
import torch
from PIL import Image
from torch import nn

import gankit.metrics
from gankit.config import load_config
from gankit.rundir import RunDir
from gankit.training.checkpoint import load_checkpoint
from gankit.training.events import Broadcast, Subscriber
from gankit.training.outputs import (
    FixedSamples,
    MetricLog,
    RunFigures,
    SampleGrids,
    TensorBoardEvents,
    standard_subscribers,
)
from gankit.training.trainer import Trainer
from tests.conftest import tiny_overrides


class Recorder(Subscriber):
    """Keeps every event it hears, in order."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    def on_log(self, row):
        self.events.append(("log", dict(row)))

    def on_sample(self, step, generator, *, epoch, final):
        self.events.append(("sample", step, epoch, final, generator))

    def on_eval(self, step, results):
        self.events.append(("eval", step, dict(results)))

    def on_end(self, status):
        self.events.append(("end", status))

    def of(self, kind: str) -> list[tuple]:
        return [e for e in self.events if e[0] == kind]


def _fit(tmp_path, recorder: Recorder, **extra) -> Trainer:
    cfg = load_config("dcgan-fashion", tiny_overrides(**extra))
    trainer = Trainer(cfg, tmp_path / "run", progress=False, subscribers=[recorder])
    trainer.fit()
    return trainer


def test_a_run_emits_log_sample_and_end_events_in_order(tmp_path) -> None:
    rec = Recorder()
    _fit(tmp_path, rec, **{"train.steps": 4, "train.sample_every": 2})
    logged = [e[1] for e in rec.of("log")]
    on_disk = [r for r in RunDir(tmp_path / "run").read_metrics() if r["kind"] == "train"]
    assert logged == on_disk and [r["step"] for r in logged] == [2, 4]
    samples = [(step, final) for _, step, _, final, _ in rec.of("sample")]
    assert samples == [(0, False), (2, False), (4, False), (4, True)]
    generator = rec.of("sample")[0][4]
    assert isinstance(generator, nn.Module) and generator.z_dim == 16  # a generator, no trainer
    assert rec.of("eval") == [] and rec.events[-1] == ("end", "completed")
    assert len(rec.of("end")) == 1


def test_eval_events_carry_results_and_the_trainer_keeps_the_best_checkpoint(
    tmp_path, monkeypatch
) -> None:
    fids = iter([3.0, 1.0, 2.0])
    calls = []

    def fake_evaluate(generator, **kwargs):
        calls.append(kwargs)
        return {"fid": next(fids), "n_gen": kwargs["n"], "ref": kwargs["ref"]}

    monkeypatch.setattr(gankit.metrics, "evaluate_generator", fake_evaluate)
    rec = Recorder()
    trainer = _fit(tmp_path, rec, **{"train.steps": 6, "train.fid_every": 2, "train.fid_n": 8})
    evals = rec.of("eval")
    assert [(step, r["fid"]) for _, step, r in evals] == [(2, 3.0), (4, 1.0), (6, 2.0)]
    assert all(r["ref"] == "synthetic:test" and r["eval_time_s"] >= 0 for _, _, r in evals)
    rows = [r for r in trainer.run.read_metrics() if r["kind"] == "eval"]
    assert [(r["step"], r["fid"]) for r in rows] == [(2, 3.0), (4, 1.0), (6, 2.0)]
    best = load_checkpoint(trainer.run.best)
    assert best["step"] == 4 and best["best_fid"] == 1.0 and trainer.best_fid == 1.0
    assert (tmp_path / "run" / "fid.png").exists()


def test_broadcast_forwards_each_event_to_every_subscriber_in_order() -> None:
    order: list[str] = []

    class Named(Subscriber):
        def __init__(self, name: str) -> None:
            self.name = name

        def on_log(self, row):
            order.append(f"{self.name}:log:{row['step']}")

        def on_end(self, status):
            order.append(f"{self.name}:end:{status}")

    hub = Broadcast([Named("a"), Named("b")])
    hub.on_log({"step": 3})
    hub.on_eval(3, {"fid": 1.0})  # the base class ignores what it does not override
    hub.on_end("interrupted")
    assert order == ["a:log:3", "b:log:3", "a:end:interrupted", "b:end:interrupted"]


class _Echo(nn.Module):
    """Image = latent mean (+ label / 10) everywhere: pictures reveal the inputs they got."""

    z_dim = 4

    def __init__(self, level: float = 0.0, size: int = 8) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))
        self.level, self.size = level, size

    def forward(self, z, y=None):
        value = z.mean(1) * 0 + self.level + (0.0 if y is None else y.float() / 10)
        return (value * self.scale).view(-1, 1, 1, 1).expand(-1, 1, self.size, self.size)


def test_fixed_samples_put_one_class_per_row_and_repeat_across_calls() -> None:
    a = FixedSamples.for_run(seed=0, n=12, z_dim=4, num_classes=3)
    b = FixedSamples.for_run(seed=0, n=12, z_dim=4, num_classes=3)
    assert a.nrow == 4 and a.labels.tolist() == [0] * 4 + [1] * 4 + [2] * 4
    assert torch.equal(a.z, b.z) and a.z.shape == (12, 4)
    plain = FixedSamples.for_run(seed=0, n=10, z_dim=4, num_classes=0)
    assert plain.labels is None and plain.nrow == 3 and len(plain.z) == 10
    images = a.images(_Echo())
    expected = torch.round((torch.tensor([0, 1, 2]).repeat_interleave(4) / 10 + 1) * 127.5)
    assert images.dtype == torch.uint8 and torch.equal(images[:, 0, 0, 0], expected.to(torch.uint8))


@pytest.mark.parametrize(
    ("by_step", "step", "epoch", "final", "name"),
    [
        (True, 30, 1, False, "step_0000030.png"),
        (False, 30, 2, False, "epoch_002.png"),
        (True, 31, 2, True, "final.png"),
    ],
)
def test_sample_grids_are_named_by_step_epoch_or_final(
    tmp_path, by_step, step, epoch, final, name
) -> None:
    run = RunDir(tmp_path)
    run.samples.mkdir()
    samples = FixedSamples.for_run(seed=0, n=4, z_dim=4, num_classes=0)
    SampleGrids(run, samples, by_step=by_step).on_sample(step, _Echo(), epoch=epoch, final=final)
    assert [p.name for p in run.samples.iterdir()] == [name]
    with Image.open(run.samples / name) as img:
        assert img.size[0] > 2 * 8  # a 2x2 grid of 8-px tiles


def test_metric_log_writes_rows_and_eval_results_as_jsonl(tmp_path) -> None:
    log = MetricLog(RunDir(tmp_path))
    log.on_log({"kind": "train", "step": 2, "d_loss": 1.5})
    log.on_eval(2, {"fid": 12.5, "n_gen": 8})
    lines = [json.loads(line) for line in (tmp_path / "metrics.jsonl").read_text().splitlines()]
    assert lines == [
        {"kind": "train", "step": 2, "d_loss": 1.5},
        {"kind": "eval", "step": 2, "fid": 12.5, "n_gen": 8},
    ]


def test_tensorboard_events_log_rows_evals_and_grids() -> None:
    calls = []

    class FakeLogger:
        def log_row(self, row):
            calls.append(("row", dict(row)))

        def log_image_grid(self, tag, images, step, *, nrow=None):
            calls.append(("grid", tag, tuple(images.shape), step, nrow))

        def close(self):
            calls.append(("close",))

    samples = FixedSamples.for_run(seed=0, n=4, z_dim=4, num_classes=0)
    tb = TensorBoardEvents(FakeLogger(), samples)
    tb.on_log({"kind": "train", "step": 1, "d_loss": 0.5})
    tb.on_eval(1, {"fid": 3.0})
    tb.on_sample(1, _Echo(), epoch=0, final=False)
    tb.on_end("completed")
    assert calls == [
        ("row", {"kind": "train", "step": 1, "d_loss": 0.5}),
        ("row", {"kind": "eval", "step": 1, "fid": 3.0}),
        ("grid", "samples", (4, 1, 8, 8), 1, 2),
        ("close",),
    ]


def test_run_figures_draw_curves_gif_and_report_only_at_the_end(tmp_path) -> None:
    run = RunDir(tmp_path)
    run.samples.mkdir()
    samples = FixedSamples.for_run(seed=0, n=4, z_dim=4, num_classes=0)
    grids = SampleGrids(run, samples, by_step=True)
    figures = RunFigures(run)
    log = MetricLog(run)
    for step in (0, 1):
        log.on_log({"kind": "train", "step": step, "d_loss": 1.0, "g_loss": 2.0})
        grids.on_sample(step, _Echo(step / 2), epoch=0, final=False)
        figures.on_sample(step, _Echo(step / 2), epoch=0, final=False)
    log.on_eval(1, {"fid": 5.0})
    assert not any((tmp_path / n).exists() for n in ("losses.png", "fid.png", "report.html"))
    grids.on_sample(1, _Echo(-0.5), epoch=0, final=True)
    figures.on_end("completed")
    for name in ("losses.png", "fid.png", "animation.gif", "report.html"):
        assert (tmp_path / name).stat().st_size > 0, name
    with Image.open(tmp_path / "animation.gif") as gif:
        assert gif.n_frames == 3  # step 0, step 1, final


def test_standard_subscribers_add_tensorboard_only_when_asked(tmp_path) -> None:
    cfg = load_config("dcgan-fashion", tiny_overrides())
    kinds = [type(s) for s in standard_subscribers(cfg, RunDir(tmp_path), 0)]
    assert kinds == [MetricLog, SampleGrids, RunFigures]
