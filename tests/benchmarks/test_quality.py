"""benchmarks/quality.py: step budgets, the row's facts, resume across sittings, --eval-only,
and one-sentence errors. Real (tiny, synthetic-data) training; the Inception scorer is replaced
by a number that follows the generator's weights (FID itself is tested in tests/metrics)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import torch

from gankit import api
from gankit.config import load_config
from gankit.training.checkpoint import load_checkpoint
from gankit.training.events import Subscriber
from gankit.training.generator_io import load_run
from tests.benchmarks.conftest import load_benchmark
from tests.conftest import tiny_overrides

quality = load_benchmark("quality")

TINY = tiny_overrides(**{"train.log_every": 1, "train.fid_every": 0})
TINY_SETS = [o for o in TINY if not o.startswith(("train.steps=", "train.epochs="))]


def weight_scores(generator, *, metrics, n, ref, **_):
    """Stands in for Inception: values that follow the generator's weights."""
    total = float(sum(p.detach().double().abs().sum() for p in generator.parameters()))
    return {"fid": total, "kid": total / 1000, "precision": 0.5, "recall": 0.25, "n_gen": n,
            "ref": ref, "metrics_asked": list(metrics)}  # fmt: skip


@pytest.fixture
def fake_scorer(monkeypatch):
    import gankit.metrics

    monkeypatch.setattr(gankit.metrics, "evaluate_generator", weight_scores)


def argv(tmp_path: Path, out: str, *extra: str) -> list[str]:
    sets = [arg for o in TINY_SETS for arg in ("--set", o)]
    return ["dcgan-fashion", *sets, "--fid-n", "16", "--out", str(tmp_path / out),
            "--results", str(tmp_path / "rows.jsonl"), "--grids", str(tmp_path / "grids"),
            *extra]  # fmt: skip


def rows(tmp_path: Path) -> list[dict]:
    path = tmp_path / "rows.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def weights(run_dir: Path) -> dict[str, torch.Tensor]:
    state = load_checkpoint(run_dir / "checkpoints" / "last.pt")
    return {**{f"g.{k}": v for k, v in state["generator"].items()},
            **{f"d.{k}": v for k, v in state["discriminator"].items()}}  # fmt: skip


class StopAt(Subscriber):
    """Sends this process SIGINT once step ``step`` is logged: the polite stop a user's Ctrl-C
    or a scheduler's SIGTERM is (the trainer finishes the step and checkpoints)."""

    def __init__(self, step: int) -> None:
        self.step = step

    def on_log(self, row) -> None:
        if row.get("kind") == "train" and row["step"] == self.step:
            os.kill(os.getpid(), signal.SIGINT)


# ------------------------------------------------------------------------------ budgets


def test_steps_clear_the_recipes_minutes_and_epochs() -> None:
    """best-fashion stops at 30 minutes, other recipes after some epochs: a budget replaces
    every other length."""
    assert load_config("best-fashion").train.max_minutes == 30
    assert load_config("dcgan-fashion").train.epochs
    cfg = load_config("best-fashion", quality.budget_overrides(100_000, None))
    assert (cfg.train.steps, cfg.train.max_minutes, cfg.train.epochs) == (100_000, None, None)
    cfg = load_config("best-cifar10", quality.budget_overrides(None, 60))
    assert (cfg.train.steps, cfg.train.max_minutes, cfg.train.epochs) == (None, 60, None)
    cfg = load_config("dcgan-fashion", quality.budget_overrides(None, 20))
    assert (cfg.train.steps, cfg.train.max_minutes, cfg.train.epochs) == (None, 20, None)


def test_the_headline_command_parses_to_a_step_budget() -> None:
    args = quality.parse_args(
        [
            "best-cifar10",
            "--steps",
            "100000",
            "--fid-n",
            "10000",
            "--set",
            "data.name=folder",
            "--set",
            "data.root=DIR",
        ]
    )
    assert (args.steps, args.minutes, args.fid_n) == (100_000, None, 10_000)
    cfg = load_config("best-cifar10", [*quality.budget_overrides(args.steps, args.minutes),
                                       *args.set])  # fmt: skip
    assert cfg.train.steps == 100_000 and cfg.data.name == "folder" and cfg.data.root == "DIR"


@pytest.mark.parametrize(
    ("budget", "said"),
    [
        ([], "give exactly one budget: --steps N or --minutes M."),
        (["--steps", "5", "--minutes", "1"], "give exactly one budget: --steps N or --minutes M."),
        (["--steps", "0"], "--steps must be at least 1; got 0."),
        (["--minutes", "-1"], "--minutes must be positive; got -1."),
    ],
)
def test_a_bad_budget_is_one_sentence_and_a_nonzero_exit(tmp_path, capsys, budget, said) -> None:
    assert quality.main(argv(tmp_path, "run", *budget)) == 2
    err = capsys.readouterr().err
    assert err == f"quality.py: {said}\n"
    assert not (tmp_path / "run").exists() and not rows(tmp_path)


# ------------------------------------------------------------------------------ the row


def test_a_step_budget_trains_exactly_that_many_steps_and_its_row_says_so(
    tmp_path, fake_scorer
) -> None:
    assert quality.main(argv(tmp_path, "run", "--steps", "3")) == 0
    [row] = rows(tmp_path)
    state = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")
    assert state["step"] == 3
    assert row["budget"] == "steps" and row["steps"] == 3 and row["minutes"] is None
    assert row["images_seen"] == 3 * 8  # batch 8, one D step per G step
    assert row["train_s"] == round(state["wall_time"], 1) and state["wall_time"] > 0
    # the row keeps one decimal: on a busy CPU 24 images take seconds, so compare to 0.05
    assert row["img_per_s"] == pytest.approx(24 / state["wall_time"], abs=0.05)
    assert row["seed"] == 0 and row["train_precision"] == "fp32"
    assert row["fid_precision"] == "fp32" and row["n_gen"] == 16
    assert row["ref"] == "synthetic:test" and row["image_size"] == [1, 28, 28]
    generator = load_run(tmp_path / "run").generator
    assert row["fid"] == round(weight_scores(generator, metrics=[], n=0, ref="")["fid"], 3)
    assert row["cas"] is None  # unconditional: no class accuracy asked for
    assert row["sittings"] == 1 and row["resumed"] is False and row["eval_only"] is False
    assert isinstance(row["cpu"], str) and row["cpu"]
    assert isinstance(row["native_bf16"], bool)
    assert row["cores"] >= 1 and row["threads"] >= 1 and row["cpu_share"] > 0
    tag = quality.run_tag("dcgan-fashion", TINY_SETS, steps=3)
    assert tag.startswith("dcgan-fashion-3steps-") and row["grid"].endswith(f"{tag}-final.png")
    assert Path(row["grid"]).is_file()
    assert row["commit"]
    # the score is kept with the run too (api.evaluate records it)
    evals = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text()
             .splitlines() if json.loads(line)["kind"] == "eval"]  # fmt: skip
    assert evals and evals[-1]["source"] == "gankit eval"


def test_a_minute_budget_row_keeps_its_minutes(tmp_path, fake_scorer) -> None:
    assert quality.main(argv(tmp_path, "run", "--minutes", "0.002")) == 0
    [row] = rows(tmp_path)
    assert row["budget"] == "minutes" and row["minutes"] == 0.002 and row["steps"] >= 1
    state = load_checkpoint(tmp_path / "run" / "checkpoints" / "last.pt")
    assert state["wall_time"] >= 0.12 and row["train_s"] == round(state["wall_time"], 1)


# ------------------------------------------------------------------------------ sittings


def test_a_stopped_run_resumes_to_the_same_weights_and_its_row_says_so(
    tmp_path, fake_scorer, monkeypatch, capsys
) -> None:
    assert quality.main(argv(tmp_path, "straight", "--steps", "6")) == 0

    real_train = api.train
    monkeypatch.setattr(
        api, "train", lambda *a, **k: real_train(*a, **{**k, "subscribers": (StopAt(3),)})
    )
    assert quality.main(argv(tmp_path, "split", "--steps", "6")) == quality.EXIT_STOPPED
    assert "Stopped at step 3; continue with the same command and --resume" in (
        capsys.readouterr().err
    )
    assert len(rows(tmp_path)) == 1  # a stopped sitting writes no row
    monkeypatch.setattr(api, "train", real_train)

    assert quality.main(argv(tmp_path, "split", "--steps", "6", "--resume")) == 0
    straight, split = rows(tmp_path)
    a, b = weights(tmp_path / "straight"), weights(tmp_path / "split")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert split["fid"] == straight["fid"] and split["steps"] == 6
    assert (split["sittings"], split["resumed"]) == (2, True)
    assert (straight["sittings"], straight["resumed"]) == (1, False)
    notes = quality.read_sittings(tmp_path / "split")
    assert [(n["from_step"], n["to_step"], n["status"]) for n in notes] == [
        (0, 3, "interrupted"), (3, 6, "completed")]  # fmt: skip
    # the training seconds of the row are those of both sittings together
    assert split["train_s"] == pytest.approx(sum(n["train_s"] for n in notes), abs=0.1)
    # resuming the finished run only scores it again: no third sitting
    assert quality.main(argv(tmp_path, "split", "--steps", "6", "--resume")) == 0
    again = rows(tmp_path)[-1]
    assert (again["sittings"], again["steps"], again["fid"]) == (2, 6, split["fid"])


def test_resume_without_a_run_and_a_second_start_without_force_are_one_sentence(
    tmp_path, fake_scorer, capsys
) -> None:
    assert quality.main(argv(tmp_path, "none", "--steps", "2", "--resume")) == 2
    err = capsys.readouterr().err
    assert err.startswith("quality.py: Cannot resume:") and err.count("\n") == 1
    assert quality.main(argv(tmp_path, "run", "--steps", "2")) == 0
    assert quality.main(argv(tmp_path, "run", "--steps", "2")) == 2
    assert "already holds a run; pass --resume" in capsys.readouterr().err
    assert quality.main(argv(tmp_path, "run", "--steps", "2", "--force")) == 0
    assert [r["sittings"] for r in rows(tmp_path)] == [1, 1]  # started over: one sitting


def test_sittings_nobody_noted_show_as_gaps() -> None:
    def note(a: int, b: int, cpu: str = "X") -> dict:
        return {"from_step": a, "to_step": b, "cpu": cpu, "native_bf16": False, "cores": 2,
                "threads": 2, "wall_s": 10.0, "cpu_s": 18.0}  # fmt: skip

    assert quality.sittings_summary([]) == {"sittings": None, "resumed": None}
    one = quality.sittings_summary([note(0, 10)])
    assert (one["sittings"], one["resumed"], one["cpu_share"]) == (1, False, 0.9)
    # trained to step 5 by `gankit train`, then two noted sittings on two CPUs
    later = quality.sittings_summary([note(5, 8), note(8, 10, "Y")])
    assert (later["sittings"], later["resumed"], later["cpu"]) == (3, True, "X; Y")
    # a sitting killed before it noted itself: 4 -> 7 is missing
    assert quality.sittings_summary([note(0, 4), note(7, 9)])["sittings"] == 3


# ------------------------------------------------------------------------------ eval only


def test_eval_only_counts_the_sittings_a_resumed_gankit_train_run_logged(
    tmp_path, fake_scorer
) -> None:
    """A run trained by `gankit train` and resumed twice: its log's resume events are the
    sittings the row reports (quality.py noted none of them)."""
    run = tmp_path / "trained"
    sets = [*TINY_SETS, "train.epochs=null", "train.max_minutes=null"]
    api.train("dcgan-fashion", overrides=[*sets, "train.steps=2"], out=run, progress=False)
    for steps in (3, 4):
        api.resume(run, overrides=[f"train.steps={steps}"], progress=False)
    assert quality.main(argv(tmp_path, "trained", "--steps", "4", "--eval-only")) == 0
    [row] = rows(tmp_path)
    assert row["sittings"] == 3 and row["resumed"] is True and row["steps"] == 4
    assert row["resume_cpus"] == row["cpu"]


def test_eval_only_scores_a_run_trained_by_gankit_train(tmp_path, fake_scorer, capsys) -> None:
    """As the lead's headline run: `gankit train --set train.steps=N`, then quality.py
    --steps N --eval-only; a run not at the budget is refused in one sentence."""
    run = tmp_path / "trained"
    api.train(
        "dcgan-fashion",
        overrides=[*TINY_SETS, "train.steps=4", "train.epochs=null", "train.max_minutes=null"],
        out=run,
        progress=False,
    )
    assert quality.main(argv(tmp_path, "trained", "--steps", "5", "--eval-only")) == 2
    assert capsys.readouterr().err == (
        f"quality.py: {run} is at step 4, not the budget of 5 steps; train it to the budget "
        "(--resume) before scoring it.\n"
    )
    assert quality.main(argv(tmp_path, "trained", "--steps", "4", "--eval-only")) == 0
    [row] = rows(tmp_path)
    assert row["eval_only"] is True and row["steps"] == 4 and row["budget"] == "steps"
    assert row["sittings"] is None and row["resumed"] is None  # its history is not recorded
    wall = load_run(run).state["wall_time"]  # what the trainer kept across its sittings
    assert wall > 0 and row["cpu_share"] is None and row["train_s"] == round(wall, 1)
    assert weights(run).keys()  # untouched: still the run gankit train wrote
