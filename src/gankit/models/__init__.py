"""Generators and discriminators: pure ``nn.Module`` code, no losses, no optimizers.

``build_generator`` / ``build_discriminator`` turn a :class:`~gankit.config.ModelConfig` into a
network for a given image shape and label count. Backbone (``arch``) and conditioning are
independent settings, each named in its registry (:mod:`gankit.models.backbone`,
:mod:`gankit.models.conditioning`); see :mod:`gankit.models.base` for how labels enter.
"""

from __future__ import annotations

from gankit.models.backbone import BACKBONES, Backbone, register_backbone, supported_sizes
from gankit.models.base import Discriminator, Generator
from gankit.models.build import build_discriminator, build_generator, count_parameters
from gankit.models.conditioning import CONDITIONINGS, Conditioning, register_conditioning

# Importing a backbone module registers it; every module of the package is imported below, so a
# new backbone is one new module, listed nowhere else.
from gankit.models.dcgan import DCGANDiscriminator, DCGANGenerator
from gankit.models.mlp import MLPDiscriminator, MLPGenerator
from gankit.models.resnet import ResNetDiscriminator, ResNetGenerator
from gankit.registry import import_submodules

import_submodules(__name__)

__all__ = [
    "BACKBONES",
    "CONDITIONINGS",
    "Backbone",
    "Conditioning",
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
    "register_backbone",
    "register_conditioning",
    "supported_sizes",
]
