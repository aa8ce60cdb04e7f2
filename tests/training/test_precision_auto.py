"""train.precision=auto: the policy, the probe's isolation, and what the run records."""

from __future__ import annotations

import copy
import json

import pytest
import torch
import yaml

from gankit import cpu
from gankit.cli import main
from gankit.config import load_config
from gankit.errors import ConfigError
from gankit.models import build_discriminator, build_generator
from gankit.objectives import build_objective
from gankit.training import precision, precision_probe
from gankit.training import trainer as trainer_module
from gankit.training.checkpoint import load_checkpoint
from gankit.training.precision import resolve_precision
from gankit.training.precision_probe import ProbeSchedule, probe_training_speed, time_interleaved
from gankit.training.trainer import Trainer
from tests.conftest import tiny_overrides

CPU = torch.device("cpu")


def _no_probe() -> tuple[dict[str, float], float]:
    raise AssertionError("the probe must not run here")


# ----------------------------------------------------------------------------- config


def test_auto_is_the_default_and_the_three_names_are_accepted() -> None:
    assert load_config("dcgan-fashion").train.precision == "auto"
    for name in ("auto", "fp32", "bf16"):
        assert load_config("dcgan-fashion", [f"train.precision={name}"]).train.precision == name


@pytest.mark.parametrize("bad", ["fp8", "float32", "AUTO", "bf"])
def test_other_precisions_are_one_sentence_errors(bad: str, capsys) -> None:
    with pytest.raises(ConfigError) as info:
        load_config("dcgan-fashion", [f"train.precision={bad}"])
    assert str(info.value) == (
        f"'train.precision' must be one of auto, fp32, bf16, fp16; got '{bad}'."
    )
    assert main(["train", "--set", f"train.precision={bad}", "--dry-run"]) != 0
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "train.precision" in err and "Traceback" not in err


# ----------------------------------------------------------------------------- the policy


def test_auto_is_fp32_without_native_bf16_and_never_probes(monkeypatch) -> None:
    monkeypatch.setattr(cpu, "has_native_bf16", lambda: False)
    choice = resolve_precision("auto", CPU, _no_probe)
    assert (choice.precision, choice.requested, choice.probed) == ("fp32", "auto", False)
    assert "no native bf16" in choice.reason


@pytest.mark.parametrize(
    ("fp32", "bf16", "expected"),
    [(100.0, 150.0, "bf16"), (100.0, 105.0, "fp32"), (100.0, 80.0, "fp32"), (100.0, 110.0, "bf16")],
)
def test_auto_takes_bf16_only_when_the_probe_finds_it_clearly_faster(
    monkeypatch, fp32: float, bf16: float, expected: str
) -> None:
    monkeypatch.setattr(cpu, "has_native_bf16", lambda: True)
    calls = []

    def fake_probe() -> tuple[dict[str, float], float]:
        calls.append(1)
        return {"fp32": fp32, "bf16": bf16}, 1.5

    choice = resolve_precision("auto", CPU, fake_probe)
    assert choice.precision == expected and calls == [1]
    assert choice.summary()["precision_probe_img_per_s"] == {"fp32": fp32, "bf16": bf16}
    assert f"fp32 {fp32:.0f} img/s, bf16 {bf16:.0f} img/s" in choice.describe()
    head = f"precision: auto -> {expected} on {cpu.cpu_model()} (probe "
    assert choice.describe().startswith(head)


@pytest.mark.parametrize("name", ["fp32", "bf16"])
def test_an_explicit_precision_is_kept_without_a_probe(monkeypatch, name: str) -> None:
    monkeypatch.setattr(cpu, "has_native_bf16", lambda: True)
    choice = resolve_precision(name, CPU, _no_probe)
    assert (choice.precision, choice.requested, choice.probed) == (name, name, False)


@pytest.mark.parametrize(("capability", "worth"), [((8, 0), True), ((9, 0), True), ((7, 5), False)])
def test_cuda_probes_bf16_only_on_gpus_with_bf16_tensor_cores(
    monkeypatch, capability: tuple[int, int], worth: bool
) -> None:
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda device=None: capability)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda including_emulation=True: True)
    assert precision.bf16_worth_probing(torch.device("cuda"))[0] is worth


def test_unresolved_auto_has_no_autocast() -> None:
    with pytest.raises(ConfigError, match="resolve 'auto'"):
        precision.autocast_factory("auto", CPU)


# ----------------------------------------------------------------------------- the probe


def test_time_interleaved_alternates_order_and_reports_the_fastest_step() -> None:
    now = [0.0]
    calls: list[str] = []
    costs = {"fp32": [0.3, 0.2, 0.25, 0.2], "bf16": [0.2, 0.1, 0.15, 0.1]}

    def make(name: str):
        def step() -> None:
            calls.append(name)
            now[0] += costs[name][min(calls.count(name) - 1, 3)]

        return step

    rates, seconds = time_interleaved(
        {"fp32": make("fp32"), "bf16": make("bf16")},
        images_per_step=128,
        schedule=ProbeSchedule(budget_s=0.0, min_rounds=3, max_rounds=8),
        clock=lambda: now[0],
    )
    # warm-up of each, then rounds in alternating order (ABBA...) until min_rounds
    assert calls == ["fp32", "bf16", "fp32", "bf16", "bf16", "fp32", "fp32", "bf16"]
    assert rates == pytest.approx({"fp32": 128 / 0.2, "bf16": 128 / 0.1})
    assert seconds == pytest.approx(0.3 + 0.2 + 3 * (0.2 + 0.1) + 0.05 + 0.05)


def test_time_interleaved_stops_at_the_budget_or_the_round_cap() -> None:
    now = [0.0]

    def step() -> None:
        now[0] += 1.0

    def rounds(budget: float, cap: int) -> int:
        count = [0]

        def counted() -> None:
            count[0] += 1
            step()

        time_interleaved(
            {"a": counted},
            images_per_step=1,
            schedule=ProbeSchedule(budget_s=budget, min_rounds=2, max_rounds=cap),
            clock=lambda: now[0],
        )
        return count[0] - 1  # minus the warm-up

    assert rounds(budget=4.0, cap=100) == 3  # warm-up + 3 rounds reach 4 s
    assert rounds(budget=1000.0, cap=5) == 5
    assert rounds(budget=0.0, cap=100) == 2  # never fewer than min_rounds


@pytest.fixture
def small_gan():
    cfg = load_config("cgan-pd-fashion", tiny_overrides())
    g = build_generator(cfg.model, image_shape=(1, 28, 28), num_classes=10)
    d = build_discriminator(cfg.model, image_shape=(1, 28, 28), num_classes=10)
    objective = build_objective(cfg.objective, num_classes=10, conditioning="projection")
    opt_g = torch.optim.Adam(g.parameters(), lr=1e-3, foreach=True)
    opt_d = torch.optim.Adam(d.parameters(), lr=1e-3, foreach=True)
    torch.manual_seed(3)
    batch = (torch.rand(8, 1, 28, 28) * 2 - 1, torch.randint(0, 10, (8,)))
    # one update first, so the optimizers hold moments the probe must not touch
    for net, opt in ((d, opt_d), (g, opt_g)):
        opt.zero_grad()
        sum(p.square().sum() for p in net.parameters()).backward()
        opt.step()
    return g, d, opt_g, opt_d, objective, batch, cfg.model.z_dim


def test_probe_leaves_rng_networks_and_optimizers_untouched(small_gan) -> None:
    g, d, opt_g, opt_d, objective, batch, z_dim = small_gan
    before = copy.deepcopy((g.state_dict(), d.state_dict(), opt_g.state_dict(), opt_d.state_dict()))
    torch.manual_seed(11)
    rng = torch.get_rng_state()
    speeds, seconds = probe_training_speed(
        g,
        d,
        opt_g,
        opt_d,
        objective,
        batch,
        z_dim=z_dim,
        cond_classes=10,
        device=CPU,
        schedule=ProbeSchedule(budget_s=0.0, min_rounds=2, max_rounds=2),
    )
    assert torch.equal(torch.get_rng_state(), rng)
    after = (g.state_dict(), d.state_dict(), opt_g.state_dict(), opt_d.state_dict())
    for old, new in zip(before[:2], after[:2], strict=True):
        assert old.keys() == new.keys()
        assert all(torch.equal(old[k], new[k]) for k in old)
    for old, new in zip(before[2:], after[2:], strict=True):
        for pid, moments in old["state"].items():
            for key, value in moments.items():
                assert torch.equal(value, new["state"][pid][key]), (pid, key)
    assert set(speeds) == {"fp32", "bf16"} and all(v > 0 for v in speeds.values())
    assert seconds > 0


def test_copied_step_trains_its_own_copies(small_gan) -> None:
    g, d, opt_g, opt_d, objective, batch, z_dim = small_gan
    g_before = copy.deepcopy(g.state_dict())
    step = precision_probe.CopiedStep(
        g,
        d,
        opt_g,
        opt_d,
        objective,
        batch,
        z_dim=z_dim,
        cond_classes=10,
        autocast=precision.autocast_factory("bf16", CPU),
    )
    assert {id(p) for p in step.opt_g.param_groups[0]["params"]} == {
        id(p) for p in step.g.parameters()
    }
    step()
    assert all(torch.equal(g_before[k], v) for k, v in g.state_dict().items())
    assert any(not torch.equal(g_before[k], v) for k, v in step.g.state_dict().items())


# ----------------------------------------------------------------------------- the run


def _fake_native_probe(monkeypatch, speeds: dict[str, float]) -> None:
    monkeypatch.setattr(cpu, "has_native_bf16", lambda: True)
    monkeypatch.setattr(trainer_module, "probe_training_speed", lambda *a, **k: (dict(speeds), 0.5))


@pytest.mark.slow  # two CLI runs
def test_resolved_precision_is_written_to_config_checkpoint_log_and_summary(
    monkeypatch, tmp_path, capsys
) -> None:
    _fake_native_probe(monkeypatch, {"fp32": 100.0, "bf16": 180.0})
    run = tmp_path / "run"
    sets = [a for s in tiny_overrides(**{"train.precision": "auto"}) for a in ("--set", s)]
    assert main(["train", *sets, "--out", str(run), "--json"]) == 0
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert summary["precision"] == "bf16" and summary["precision_requested"] == "auto"
    assert summary["precision_probe_img_per_s"] == {"fp32": 100.0, "bf16": 180.0}
    assert f"auto -> bf16 on {cpu.cpu_model()} (probe fp32 100 img/s, bf16 180 img/s" in err
    assert yaml.safe_load((run / "config.yaml").read_text())["train"]["precision"] == "bf16"
    assert load_checkpoint(run / "checkpoints" / "last.pt")["config"]["train"]["precision"] == (
        "bf16"
    )
    rows = [json.loads(x) for x in (run / "metrics.jsonl").read_text().splitlines()]
    events = [r for r in rows if r.get("event") == "precision"]
    assert len(events) == 1 and events[0]["precision"] == "bf16" and events[0]["step"] == 0

    # Resume on "another machine" (no native bf16, and a probe that must not run): bf16 stays.
    monkeypatch.setattr(cpu, "has_native_bf16", lambda: False)
    monkeypatch.setattr(trainer_module, "probe_training_speed", lambda *a, **k: _no_probe())
    code = main(["train", "--resume", "--out", str(run), "--set", "train.steps=6", "--json"])
    assert code == 0
    out, err = capsys.readouterr()
    resumed = json.loads(out)
    assert "this CPU has no native bf16 support" in err  # honoured, and the user is told
    assert resumed["precision"] == "bf16" and resumed["precision_requested"] == "bf16"
    assert resumed["precision_probe_img_per_s"] is None and resumed["step"] == 6
    assert load_checkpoint(run / "checkpoints" / "last.pt")["config"]["train"]["precision"] == (
        "bf16"
    )


def _weights(run_dir) -> dict[str, torch.Tensor]:
    state = load_checkpoint(run_dir / "checkpoints" / "last.pt")
    return {
        **{f"g.{k}": v for k, v in state["generator"].items()},
        **{f"d.{k}": v for k, v in state["discriminator"].items()},
        **{f"opt_d.{k}": v["exp_avg"] for k, v in state["opt_d"]["state"].items()},
    }


@pytest.mark.slow  # two runs each
@pytest.mark.parametrize("target", ["fp32", "bf16"])
def test_auto_resolved_run_equals_the_explicit_run_bit_for_bit(
    monkeypatch, tmp_path, target: str
) -> None:
    """The real probe runs (on copies, forked RNG); only its verdict is forced to ``target``."""
    monkeypatch.setattr(cpu, "has_native_bf16", lambda: True)
    monkeypatch.setattr(precision, "faster_precision", lambda speeds: (target, "forced"))
    extra = {"train.steps": 5, "model.conditioning": "projection", "train.ema": "true"}
    runs = {}
    for name, requested in (("auto", "auto"), ("explicit", target)):
        cfg = load_config(
            "cgan-pd-fashion", tiny_overrides(**extra, **{"train.precision": requested})
        )
        trainer = Trainer(cfg, tmp_path / name, progress=False)
        assert trainer.precision.probed is (requested == "auto")
        trainer.fit()
        runs[name] = _weights(tmp_path / name)
    assert runs["auto"].keys() == runs["explicit"].keys()
    for key, value in runs["auto"].items():
        assert torch.equal(value, runs["explicit"][key]), key
    rows = [json.loads(x) for x in (tmp_path / "auto" / "metrics.jsonl").read_text().splitlines()]
    other = [
        json.loads(x) for x in (tmp_path / "explicit" / "metrics.jsonl").read_text().splitlines()
    ]
    losses = [[r["d_loss"], r["g_loss"]] for r in rows if r["kind"] == "train"]
    assert losses == [[r["d_loss"], r["g_loss"]] for r in other if r["kind"] == "train"]
