"""Config schema: recipes, overrides, type checks, and errors that suggest the fix."""

from __future__ import annotations

import pytest

from gankit.config import (
    Config,
    dump_yaml,
    from_dict,
    list_recipes,
    load_config,
    to_dict,
    valid_keys,
)
from gankit.errors import ConfigError


def test_every_recipe_loads_and_validates() -> None:
    recipes = list_recipes()
    for required in (
        "dcgan-fashion",
        "mlp-gan-fashion",
        "dcgan-mnist",
        "dcgan-cifar10",
        "dcgan-celeba",
    ):
        assert required in recipes
    for name in recipes:
        cfg = load_config(name)
        assert cfg.output.recipe == name
        assert recipes[name], f"recipe {name} lacks a description comment"


def test_default_recipe_is_dcgan_fashion() -> None:
    cfg = load_config(None)
    assert cfg.output.recipe == "dcgan-fashion"
    assert cfg.data.name == "fashion-mnist"
    assert cfg.model.generator.arch == "dcgan"


def test_base_inheritance() -> None:
    cfg = load_config("dcgan-mnist")
    assert cfg.data.name == "mnist"
    assert cfg.model.generator.arch == "dcgan"


def test_overrides_are_typed() -> None:
    cfg = load_config(
        "dcgan-fashion",
        [
            "train.batch_size=32",
            "optim.generator.lr=1e-4",
            "optim.generator.betas=[0.0, 0.9]",
            "train.ema=true",
            "train.max_minutes=2.5",
            "train.steps=null",
        ],
    )
    assert cfg.train.batch_size == 32
    assert cfg.optim.generator.lr == pytest.approx(1e-4)
    assert cfg.optim.generator.betas == [0.0, 0.9]
    assert cfg.train.ema is True
    assert cfg.train.max_minutes == 2.5
    assert cfg.train.steps is None


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("train.batchsize=3", "did you mean 'train.batch_size'"),
        ("trian.steps=3", "did you mean 'train.steps'"),
        ("model.generator.widht=3", "did you mean 'model.generator.width'"),
    ],
)
def test_unknown_key_suggests_nearest(override: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_config("dcgan-fashion", [override])


@pytest.mark.parametrize(
    ("override", "fragment"),
    [
        ("train.batch_size=abc", "must be an integer"),
        ("train.batch_size=0", "must be positive"),
        ("train.ema=maybe", "true or false"),
        ("objective.loss=wgan", "must be one of"),
        ("objective.label_smoothing=1.5", r"\[0, 1\)"),
        ("train.precision=fp8", "must be one of"),
        ("train.fid_precision=fp16", "must be one of"),
        ("optim.generator.betas=[0.5]", "two numbers"),
        ("optim.lr_decay_start=1.0", r"lr_decay_start' must be in \[0, 1\)"),
        ("noequals", "key=value"),
        ("train=3", "is a section"),
    ],
)
def test_bad_values_are_one_sentence_errors(override: str, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_config("dcgan-fashion", [override])


def test_unknown_recipe_suggests() -> None:
    with pytest.raises(ConfigError, match="did you mean 'dcgan-fashion'"):
        load_config("dcgan-fashon")


def test_yaml_file_recipe_and_errors(tmp_path) -> None:
    good = tmp_path / "mine.yaml"
    good.write_text("base: dcgan-fashion\ntrain:\n  steps: 7\n")
    cfg = load_config(str(good))
    assert cfg.train.steps == 7 and cfg.output.recipe == "mine"
    bad = tmp_path / "bad.yaml"
    bad.write_text("train:\n  stepz: 7\n")
    with pytest.raises(ConfigError, match=r"train\.steps"):
        load_config(str(bad))
    broken = tmp_path / "broken.yaml"
    broken.write_text("train: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(str(broken))
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(str(tmp_path / "missing.yaml"))


def test_dict_round_trip_is_exact() -> None:
    cfg = load_config("dcgan-fashion", ["train.steps=5", "model.conditioning=concat"])
    again = from_dict(to_dict(cfg))
    assert again == cfg
    assert "batch_size" in dump_yaml(cfg)


def test_design_contract_keys_exist() -> None:
    keys = set(valid_keys(Config))
    for key in (
        "data.name",
        "data.root",
        "data.image_size",
        "train.batch_size",
        "train.epochs",
        "train.steps",
        "train.max_minutes",
        "train.seed",
        "train.precision",
        "train.fid_every",
        "train.fid_n",
        "train.checkpoint_every",
        "model.generator.width",
        "model.discriminator.width",
    ):
        assert key in keys


def test_eval_metrics_default_to_fid_and_kid_and_accept_registered_names() -> None:
    from gankit.config import load_config

    assert load_config("dcgan-fashion").train.eval_metrics == ["fid", "kid"]
    cfg = load_config("dcgan-fashion", ["train.eval_metrics=[fid10k, cas, pr]"])
    assert cfg.train.eval_metrics == ["fid10k", "cas", "pr"]
    assert load_config("dcgan-fashion", ["train.eval_metrics=kid,is"]).train.eval_metrics == [
        "kid",
        "is",
    ]


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ("[fid, fdi]", r"unknown metric 'fdi'; registered metrics are fid, .*cas"),
        ("[]", "at least one metric"),
    ],
)
def test_invalid_eval_metrics_fail_at_validation_in_one_sentence(value, match) -> None:
    from gankit.config import load_config

    with pytest.raises(ConfigError, match=match):
        load_config("dcgan-fashion", [f"train.eval_metrics={value}"])
