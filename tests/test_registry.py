"""The one registry mechanism, and that the config's valid names come from the registries."""

from __future__ import annotations

import pytest

from gankit.config import NAMED_CHOICES, Config, all_choices, load_config, set_key, validate
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
    assert set(NAMED_CHOICES.values()) == set(PROVIDERS)
    table = all_choices()
    for key, kind in NAMED_CHOICES.items():
        assert table[key] == registry_of(kind).names() and table[key]
    assert {"dcgan", "mlp", "resnet"} <= set(names_of("backbone"))
    assert {"none", "concat", "acgan", "projection"} <= set(names_of("conditioning"))
    assert {"batch", "none"} <= set(names_of("norm"))
    assert {"relu", "leaky_relu"} <= set(names_of("activation"))
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
