"""The one registry mechanism, and that the config's valid names come from the registries."""

from __future__ import annotations

import pytest

from gankit.config import (
    NAMED_CHOICES,
    NAMED_LISTS,
    Config,
    all_choices,
    load_config,
    set_key,
    validate,
)
from gankit.errors import ConfigError
from gankit.registry import PROVIDERS, Registry, names_of, registry_of


def _private(key: str | None = "demo.choice") -> Registry[int]:
    return Registry("demo", key=key, announce=False)


def test_add_register_get_and_order() -> None:
    reg = _private()
    reg.add("one", 1)

    @reg.register("two")
    def _two() -> int:
        return 2

    assert reg.names() == ("one", "two")
    assert reg.get("one") == 1 and reg.get("two")() == 2
    assert "one" in reg and "three" not in reg and len(reg) == 2 and list(reg) == ["one", "two"]


def test_unknown_name_is_one_sentence_listing_the_choices() -> None:
    reg = _private()
    reg.add("hinge", 1)
    reg.add("lsgan", 2)
    with pytest.raises(ConfigError) as err:
        reg.get("hinj")
    message = str(err.value)
    assert message == (
        "'demo.choice' must be one of hinge, lsgan; got 'hinj' (did you mean 'hinge'?)."
    )
    with pytest.raises(ConfigError, match=r"^'other\.key' must be one of hinge, lsgan; got 'x'\.$"):
        reg.check("x", key="other.key")
    with pytest.raises(ConfigError, match=r"^The demo must be one of"):
        _private(key=None).check("x")


def test_duplicate_names_and_kinds_are_programming_errors() -> None:
    reg = _private()
    reg.add("a", 1)
    with pytest.raises(ValueError, match="registered twice"):
        reg.add("a", 2)
    registry_of("loss")  # imports the objectives package, which owns that kind
    with pytest.raises(ValueError, match="already exists"):
        Registry("loss")
    with pytest.raises(ValueError, match="non-empty"):
        reg.add(" a", 3)


def test_every_named_config_key_reads_its_registry() -> None:
    assert set(NAMED_CHOICES.values()) | set(NAMED_LISTS.values()) == set(PROVIDERS)
    table = all_choices()
    for key, kind in {**NAMED_CHOICES, **NAMED_LISTS}.items():
        assert table[key] == registry_of(kind).names() and table[key]
    assert {"dcgan", "mlp", "resnet"} <= set(names_of("backbone"))
    assert {"none", "concat", "acgan", "projection"} <= set(names_of("conditioning"))
    assert {"batch", "none"} <= set(names_of("norm"))
    assert {"relu", "leaky_relu"} <= set(names_of("activation"))
    assert names_of("dataset")[:4] == ("mnist", "fashion-mnist", "cifar10", "celeba")
    assert names_of("diffaugment") == ("color", "translation", "cutout")
    with pytest.raises(KeyError, match="no registry kind"):
        registry_of("optimizer")


def test_a_newly_registered_name_is_valid_in_the_config_at_once() -> None:
    """What a new module's registration buys: --set accepts it, the error lists it."""
    reg = registry_of("activation")
    cfg = Config()
    set_key(cfg, "model.generator.activation", "demo_gelu")
    with pytest.raises(ConfigError, match=r"model\.generator\.activation' must be one of relu"):
        validate(cfg)
    reg.add("demo_gelu", lambda: None)
    try:
        assert validate(cfg).model.generator.activation == "demo_gelu"
        assert "demo_gelu" in all_choices()["model.discriminator.activation"]
    finally:
        reg._entries.pop("demo_gelu")  # leave the shared registry as the package built it


def test_set_override_with_unknown_backbone_names_the_key_and_choices() -> None:
    with pytest.raises(ConfigError) as err:
        load_config("dcgan-fashion", ["model.discriminator.arch=resnett"])
    assert str(err.value).startswith("'model.discriminator.arch' must be one of dcgan, mlp, resnet")
    assert "did you mean 'resnet'?" in str(err.value)


def test_aliases_and_case_folding_resolve_to_the_registered_name() -> None:
    reg: Registry[int] = Registry("demo", key="demo.name", announce=False, fold_case=True)
    reg.add("fashion-mnist", 1)
    reg.alias("FMNIST", "fashion-mnist")
    assert reg.check(" Fashion-MNIST ") == "fashion-mnist" and reg.get("fmnist") == 1
    assert "FMnist" in reg and reg.names() == ("fashion-mnist",)  # aliases are not listed
    assert reg.resolve("mnist") is None and reg.closest("fmnst") == "fashion-mnist"
    with pytest.raises(
        ConfigError,
        match=r"one of fashion-mnist; got 'fmnst' \(did you mean "
        r"'fashion-mnist'\?\)\.$",
    ):
        reg.check("fmnst")
    with pytest.raises(ValueError, match="lower case"):
        reg.add("CIFAR", 2)
    with pytest.raises(ValueError, match="unregistered"):
        reg.alias("c10", "cifar10")
    with pytest.raises(ValueError, match="taken"):
        reg.alias("fmnist", "fashion-mnist")
    exact: Registry[int] = Registry("demo", announce=False)
    exact.add("hinge", 1)
    assert exact.resolve("Hinge") is None  # without fold_case, case matters as before


def test_dataset_and_diffaugment_names_are_validated_by_their_registries() -> None:
    cfg = load_config(
        "dcgan-fashion", ["data.name=Fashion_MNIST", "objective.diffaugment=cutout, color"]
    )
    assert cfg.data.name == "Fashion_MNIST"  # kept as written; the loader reads the alias
    with pytest.raises(
        ConfigError,
        match=r"^'data\.name' must be one of mnist, fashion-mnist, "
        r"cifar10, celeba, folder, synthetic; got 'celeb' \(did you mean ",
    ):
        load_config("dcgan-fashion", ["data.name=celeb"])
    with pytest.raises(
        ConfigError,
        match=r"^'objective\.diffaugment' must be one of color, "
        r"translation, cutout; got 'cutuot' \(did you mean 'cutout'\?\)\.$",
    ):
        load_config("dcgan-fashion", ["objective.diffaugment=translation,cutuot"])
