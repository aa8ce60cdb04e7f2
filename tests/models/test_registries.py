"""Backbone and conditioning registries: what a new backbone module gets by registering."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from gankit.config import Config, NetConfig, all_choices, validate
from gankit.errors import ConfigError
from gankit.models import (
    BACKBONES,
    CONDITIONINGS,
    Backbone,
    Discriminator,
    Generator,
    build_discriminator,
    build_generator,
    dcgan,
    register_backbone,
    resnet,
    supported_sizes,
)
from gankit.models.conditioning import get_conditioning


class _TinyGenerator(Generator):
    """A one-layer generator: all a backbone needs is the base class contract."""

    def __init__(self, net: NetConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        c, h, w = self.image_shape
        self.out = nn.Linear(self.in_dim, c * h * w)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        y = self.check_labels(y)
        return self.out(self.latent_input(z, y)).tanh().view(-1, *self.image_shape)


class _TinyDiscriminator(Discriminator):
    def __init__(self, net: NetConfig, **kwargs) -> None:
        super().__init__(flat_input=True, **kwargs)
        self.build_heads(self.in_features, init="dcgan", spectral_norm=net.spectral_norm)

    def features(self, x: Tensor) -> Tensor:
        return x


@pytest.fixture
def tiny_backbone():
    """Register a toy backbone as a new module would, and remove it afterwards."""
    entry = register_backbone(Backbone("tiny", _TinyGenerator, _TinyDiscriminator, sizes=(8,)))
    yield entry
    BACKBONES._entries.pop("tiny")


def test_registered_sizes_are_the_backbones_own_tables() -> None:
    assert BACKBONES.get("dcgan").sizes == tuple(sorted(dcgan.BASE_SIZE)) == (16, 28, 32, 64)
    assert BACKBONES.get("resnet").sizes == tuple(sorted(resnet.BASE_SIZE))
    assert BACKBONES.get("mlp").sizes is None and not BACKBONES.get("mlp").convolutional
    assert supported_sizes() == {"dcgan": (16, 28, 32, 64), "resnet": (16, 28, 32, 64)}


def test_a_registered_backbone_builds_validates_and_is_listed(make_cfg, tiny_backbone) -> None:
    cfg = make_cfg("tiny", conditioning="concat")
    g = build_generator(cfg, image_shape=(1, 8, 8), num_classes=3)
    d = build_discriminator(cfg, image_shape=(1, 8, 8), num_classes=3)
    z, y = torch.randn(4, cfg.z_dim), torch.tensor([0, 1, 2, 0])
    x = g(z, y)
    adv, cls = d(x, y)
    assert isinstance(g, _TinyGenerator) and x.shape == (4, 1, 8, 8)
    assert adv.shape == (4,) and cls is None
    assert d.in_features == 64 + 3  # the concat conditioning came from the base class
    with pytest.raises(ConfigError, match=r"The tiny generator supports square images of 8 px"):
        build_generator(cfg, image_shape=(1, 16, 16), num_classes=3)
    full = Config()
    full.model.discriminator.arch = "tiny"
    assert validate(full).model.discriminator.arch == "tiny"
    assert "tiny" in all_choices()["model.generator.arch"]


def test_unknown_arch_names_the_setting(make_cfg) -> None:
    cfg = make_cfg("dcgan")
    cfg.discriminator.arch = "vit"
    with pytest.raises(ConfigError, match=r"^'model\.discriminator\.arch' must be one of dcgan"):
        build_discriminator(cfg, image_shape=(1, 28, 28), num_classes=0)


@pytest.mark.parametrize(
    ("name", "labelled", "d_needs_labels", "class_head"),
    [
        ("none", False, False, False),
        ("concat", True, True, False),
        ("acgan", True, False, True),
        ("projection", True, True, False),
    ],
)
def test_conditioning_facts_drive_the_networks(
    make_cfg, name, labelled, d_needs_labels, class_head
) -> None:
    how = get_conditioning(name)
    assert (how.labelled, how.d_needs_labels, how.d_class_head) == (
        labelled,
        d_needs_labels,
        class_head,
    )
    d = build_discriminator(
        make_cfg("dcgan", conditioning=name), image_shape=(1, 16, 16), num_classes=4
    )
    assert d.num_classes == (4 if labelled else 0)
    assert d.needs_labels == d_needs_labels
    assert (d.class_head is not None) == class_head
    assert CONDITIONINGS.names()[:4] == ("none", "concat", "acgan", "projection")
