"""The backbone registry: ``model.<net>.arch`` names and the facts the builder checks.

A backbone module defines its generator and discriminator classes and ends with one
``register_backbone(Backbone(...))`` call naming them and the square image sizes they are
defined for (``None``: any shape, as for the MLP, which flattens the image). The builder
(:mod:`gankit.models.build`) and the config's validation read everything from here, so a new
backbone is one module imported by ``gankit/models/__init__.py`` plus its test.
"""

from __future__ import annotations

from dataclasses import dataclass

from gankit.errors import ConfigError
from gankit.models.base import Discriminator, Generator
from gankit.registry import Registry


@dataclass(frozen=True)
class Backbone:
    """One architecture: both networks and the image sizes they support.

    ``generator(net, *, z_dim, image_shape, num_classes, conditioning, embed_dim,
    label_input)`` and ``discriminator(net, *, image_shape, num_classes, conditioning)`` take
    the network's :class:`~gankit.config.NetConfig` first.
    """

    name: str
    generator: type[Generator]
    discriminator: type[Discriminator]
    sizes: tuple[int, ...] | None = None  # square sizes in px; None = any (C, H, W)

    @property
    def convolutional(self) -> bool:
        """Whether the backbone has feature maps (so ``attention_res`` can mean something)."""
        return self.sizes is not None


BACKBONES: Registry[Backbone] = Registry("backbone")


def register_backbone(backbone: Backbone) -> Backbone:
    """Make ``backbone`` selectable as ``model.generator.arch`` / ``model.discriminator.arch``."""
    return BACKBONES.add(backbone.name, backbone)


def get_backbone(name: str, *, key: str = "model.generator.arch") -> Backbone:
    """The registered backbone ``name``; ``key`` is the setting quoted when it is unknown."""
    return BACKBONES.get(name, key=key)


def supported_sizes() -> dict[str, tuple[int, ...]]:
    """Backbone name -> the square sizes it supports, for those limited to fixed sizes."""
    return {name: b.sizes for name, b in ((n, BACKBONES.get(n)) for n in BACKBONES) if b.sizes}


def check_attention(res: int | None, sizes: list[int], who: str) -> None:
    """One sentence when ``model.<who>.attention_res`` is not a feature-map size of the net."""
    if res is not None and res not in sizes:
        raise ConfigError(
            f"'model.{who}.attention_res' is {res}, but this {who} has feature maps of size "
            f"{', '.join(map(str, sizes))}; pick one of them or null."
        )
