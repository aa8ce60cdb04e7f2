"""The CIFAR-10 ResNet recipes build the networks their comments and the papers name.

SNGAN's CIFAR-10 networks (Miyato et al. 2018, torch-mimicry's SNGAN 32) have 256-channel
generator blocks and 128-channel discriminator blocks, about 4.3M and 1.06M parameters. A width
of 256 in the recipe once built a 1024-channel generator (16x the compute): SAGAN trained 20
steps in 20 minutes. These tests pin the channel plans to the published ones.
"""

from __future__ import annotations

import pytest
from torch import nn

from gankit.api import load_config
from gankit.models.build import build_discriminator, build_generator, count_parameters
from gankit.nn.attention import SelfAttention


def _block_channels(module: nn.Module) -> set[int]:
    """Output channels of the 3x3 convolutions outside attention blocks."""
    inside_attention = {
        id(m) for a in module.modules() if isinstance(a, SelfAttention) for m in a.modules()
    }
    return {
        m.out_channels
        for m in module.modules()
        if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3) and id(m) not in inside_attention
    }


@pytest.mark.parametrize("recipe", ["sngan-cifar10", "cgan-pd-cifar10", "sagan-cifar10"])
def test_cifar_resnet_recipes_build_the_paper_networks(recipe: str) -> None:
    model = load_config(recipe).model
    g = build_generator(model, image_shape=(3, 32, 32), num_classes=10)
    d = build_discriminator(model, image_shape=(3, 32, 32), num_classes=10)
    assert _block_channels(g) == {256, 3}  # blocks at 256, the output conv at RGB
    assert _block_channels(d) == {128}
    assert 4.2e6 < count_parameters(g) < 4.5e6
    assert 1.0e6 < count_parameters(d) < 1.1e6
