"""Every backbone x resolution x channels x conditioning builds and honours the contract."""

from __future__ import annotations

import itertools

import pytest
import torch

from gankit.models import build_discriminator, build_generator

CASES = [
    *itertools.product(
        ["mlp", "dcgan", "resnet"], [28, 32, 64], [1, 3], ["none", "concat", "acgan", "projection"]
    ),
    *itertools.product(["dcgan", "resnet"], [16], [3], ["none", "projection"]),
]


@pytest.mark.parametrize(("arch", "size", "channels", "conditioning"), CASES)
def test_output_shapes(make_cfg, arch, size, channels, conditioning):
    cfg = make_cfg(arch, conditioning=conditioning, width=4)
    shape = (channels, size, size)
    g = build_generator(cfg, image_shape=shape, num_classes=10)
    d = build_discriminator(cfg, image_shape=shape, num_classes=10)
    assert g.z_dim == 16 and g.image_shape == shape
    assert g.num_classes == (0 if conditioning == "none" else 10)
    y = torch.tensor([0, 9, 4])
    z = g.sample_latent(3)
    assert z.shape == (3, 16) and z.dtype == torch.float32
    with torch.no_grad():
        x = g(z, y)
        assert x.shape == (3, *shape)
        assert x.abs().max() <= 1.0
        adv, cls = d(x, y)
    assert adv.shape == (3,)
    if conditioning == "acgan":
        assert cls is not None and cls.shape == (3, 10)
    else:
        assert cls is None
    assert torch.isfinite(adv).all()


def test_mlp_accepts_non_square_images(make_cfg):
    cfg = make_cfg("mlp")
    g = build_generator(cfg, image_shape=(3, 20, 12), num_classes=0)
    d = build_discriminator(cfg, image_shape=(3, 20, 12), num_classes=0)
    x = g(g.sample_latent(2))
    assert x.shape == (2, 3, 20, 12) and d(x)[0].shape == (2,)


def test_mlp_width_scheme(make_cfg):
    from gankit.config import ModelConfig, NetConfig

    cfg = ModelConfig(
        generator=NetConfig(arch="mlp", norm="none"), discriminator=NetConfig(arch="mlp")
    )
    g = build_generator(cfg, image_shape=(1, 28, 28), num_classes=0)
    d = build_discriminator(cfg, image_shape=(1, 28, 28), num_classes=0)
    g_sizes = [(b.linear.in_features, b.linear.out_features) for b in g.blocks]
    assert g_sizes == [(100, 256), (256, 512), (512, 1024)]
    assert g.out.out_features == 784
    d_sizes = [(b.linear.in_features, b.linear.out_features) for b in d.blocks]
    assert d_sizes == [(784, 512), (512, 256)]
    assert d.adv_head.in_features == 256


def test_sngan_cifar_channel_plan(make_cfg):
    from gankit.models import ResNetDiscriminator, ResNetGenerator

    cfg = make_cfg("resnet", width=64)
    g = build_generator(cfg, image_shape=(3, 32, 32), num_classes=0)
    d = build_discriminator(cfg, image_shape=(3, 32, 32), num_classes=0)
    assert isinstance(g, ResNetGenerator) and isinstance(d, ResNetDiscriminator)
    assert g.linear.out_features == 4 * 4 * 256 and len(g.blocks) == 3
    assert all(b.conv1.out_channels == 256 for b in g.blocks)
    assert d.adv_head.in_features == 128


def test_sample_latent_is_reproducible_with_a_generator(make_cfg):
    g = build_generator(make_cfg("dcgan"), image_shape=(1, 28, 28), num_classes=0)
    a = g.sample_latent(4, generator=torch.Generator().manual_seed(3))
    b = g.sample_latent(4, generator=torch.Generator().manual_seed(3), device="cpu")
    assert torch.equal(a, b) and a.shape == (4, 16)


def test_generator_accepts_dcgan_style_4d_latent(make_cfg):
    g = build_generator(make_cfg("dcgan"), image_shape=(1, 28, 28), num_classes=0).eval()
    z = torch.randn(2, 16)
    torch.testing.assert_close(g(z.view(2, 16, 1, 1)), g(z))
