"""DiffAugment policies are registry entries: order, validation, and a policy added later."""

from __future__ import annotations

import pytest
import torch

from gankit.config import Config, all_choices, validate
from gankit.errors import ConfigError
from gankit.objectives.diffaugment import (
    POLICIES,
    DiffAugment,
    color,
    cutout,
    register_policy,
    translation,
)
from gankit.registry import registry_of


def test_builtin_policies_are_registered_in_application_order():
    assert registry_of("diffaugment") is POLICIES
    assert POLICIES.names() == ("color", "translation", "cutout")
    assert POLICIES.get("color") is color and POLICIES.get("cutout") is cutout
    assert all_choices()["objective.diffaugment"] == ("color", "translation", "cutout")


def test_same_seed_same_output_as_calling_the_transforms_in_order():
    """The registry changed the lookup, not the result: one seed gives the same pixels."""
    x = torch.randn(3, 3, 8, 8)
    torch.manual_seed(7)
    via_registry = DiffAugment("cutout,translation,color")(x)
    torch.manual_seed(7)
    direct = cutout(translation(color(x)))
    assert torch.equal(via_registry, direct)


def test_unknown_policy_names_the_choices_and_the_closest():
    with pytest.raises(
        ConfigError,
        match=r"^'objective\.diffaugment' must be one of color, "
        r"translation, cutout; got 'translaton' \(did you mean 'translation'\?\)",
    ):
        DiffAugment("translaton")
    cfg = Config()
    cfg.objective.diffaugment = "color,flip"
    with pytest.raises(ConfigError, match="got 'flip'"):
        validate(cfg)


def test_a_registered_policy_is_accepted_by_the_config_and_applied_last():
    def negate(x: torch.Tensor) -> torch.Tensor:
        return -x

    register_policy("demo_negate", negate)
    try:
        cfg = Config()
        cfg.objective.diffaugment = "demo_negate,color"
        assert validate(cfg) is cfg
        augment = DiffAugment(cfg.objective.diffaugment)
        assert augment.policy == ("color", "demo_negate")
        x = torch.randn(2, 1, 4, 4)
        torch.manual_seed(3)
        out = augment(x)
        torch.manual_seed(3)
        assert torch.equal(out, -color(x))
    finally:
        POLICIES._entries.pop("demo_negate")  # leave the shared registry as the package built it
    with pytest.raises(ConfigError):
        DiffAugment("demo_negate")


def test_train_help_lists_the_policies(capsys):
    from gankit import cli

    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    lines = capsys.readouterr().out.splitlines()
    line = next(x for x in lines if x.strip().startswith("objective.diffaugment"))
    assert line.split(None, 1)[1] == "color, translation, cutout (comma list)"
