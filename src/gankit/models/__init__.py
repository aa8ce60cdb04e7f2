"""Generators and discriminators: pure ``nn.Module`` code, no losses, no optimizers.

``build_generator`` / ``build_discriminator`` turn a :class:`~gankit.config.ModelConfig` into a
network for a given image shape and label count. Backbone (``arch``) and conditioning are
independent settings; see :mod:`gankit.models.base` for how labels enter each network.
"""

from __future__ import annotations

from gankit.models.base import Discriminator, Generator
from gankit.models.build import (
    SUPPORTED_SIZES,
    build_discriminator,
    build_generator,
    count_parameters,
)
from gankit.models.dcgan import DCGANDiscriminator, DCGANGenerator
from gankit.models.mlp import MLPDiscriminator, MLPGenerator
from gankit.models.resnet import ResNetDiscriminator, ResNetGenerator

__all__ = [
    "SUPPORTED_SIZES",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "Discriminator",
    "Generator",
    "MLPDiscriminator",
    "MLPGenerator",
    "ResNetDiscriminator",
    "ResNetGenerator",
    "build_discriminator",
    "build_generator",
    "count_parameters",
]
