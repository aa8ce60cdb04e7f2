"""How labels enter each network: concat, acgan, projection."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gankit.errors import ConfigError
from gankit.models import build_discriminator, build_generator
from gankit.nn import ConditionalBatchNorm


def _first(module: nn.Module, kind: type[nn.Module]) -> nn.Module:
    return next(m for m in module.modules() if isinstance(m, kind))


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "resnet"])
def test_concat_widens_first_layers(make_cfg, arch):
    cfg = make_cfg(arch, conditioning="concat", z_dim=100)
    g = build_generator(cfg, image_shape=(3, 32, 32), num_classes=10)
    d = build_discriminator(cfg, image_shape=(3, 32, 32), num_classes=10)
    assert _first(g, nn.Linear).in_features == 100 + 10
    if arch == "mlp":
        assert _first(d, nn.Linear).in_features == 3 * 32 * 32 + 10
    else:
        assert _first(d, nn.Conv2d).in_channels == 3 + 10  # CIFAR-10: 13 input planes


def test_concat_discriminator_sees_one_hot_planes(make_cfg):
    d = build_discriminator(
        make_cfg("dcgan", conditioning="concat"), image_shape=(1, 16, 16), num_classes=10
    )
    x = torch.randn(2, 1, 16, 16)
    inp = d.condition_input(x, torch.tensor([3, 7]))
    assert inp.shape == (2, 11, 16, 16)
    assert torch.equal(inp[:, :1], x)
    assert torch.all(inp[0, 1 + 3] == 1) and inp[0, 1:].sum() == 16 * 16
    assert torch.all(inp[1, 1 + 7] == 1) and inp[1, 1:].sum() == 16 * 16


def test_acgan_multiplies_noise_by_label_embedding(make_cfg):
    cfg = make_cfg("dcgan", conditioning="acgan", z_dim=100, embed_dim=100)
    g = build_generator(cfg, image_shape=(1, 28, 28), num_classes=10)
    assert _first(g, nn.Linear).in_features == 100 and g.label_embed.weight.shape == (10, 100)
    z, y = torch.randn(3, 100), torch.tensor([1, 2, 1])
    torch.testing.assert_close(g.latent_input(z, y), z * g.label_embed.weight[y])


def test_acgan_concatenates_embedding_when_sizes_differ(make_cfg):
    cfg = make_cfg("resnet", conditioning="acgan", z_dim=64, embed_dim=10)
    g = build_generator(cfg, image_shape=(3, 32, 32), num_classes=10)
    assert g.linear.in_features == 64 + 10
    z, y = torch.randn(2, 64), torch.tensor([4, 5])
    torch.testing.assert_close(g.latent_input(z, y), torch.cat([z, g.label_embed.weight[y]], dim=1))


def test_acgan_discriminator_has_class_head_and_needs_no_labels(make_cfg):
    d = build_discriminator(
        make_cfg("dcgan", conditioning="acgan"), image_shape=(3, 32, 32), num_classes=10
    )
    adv, cls = d(torch.randn(4, 3, 32, 32))
    assert adv.shape == (4,) and cls.shape == (4, 10)


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "resnet"])
def test_projection_generator_uses_conditional_bn(make_cfg, arch):
    cfg = make_cfg(arch, conditioning="projection")
    g = build_generator(cfg, image_shape=(1, 28, 28), num_classes=10)
    cbns = [m for m in g.modules() if isinstance(m, ConditionalBatchNorm)]
    assert cbns
    g.eval()
    z = torch.randn(1, 16).expand(2, 16)
    y = torch.tensor([0, 1])
    with torch.no_grad():
        out = g(z, y)
        torch.testing.assert_close(out[0], out[1])  # gamma=1, beta=0: labels inert at init
        for cbn in cbns:
            cbn.beta.weight[1].normal_()
        out = g(z, y)
    assert not torch.allclose(out[0], out[1], atol=1e-4)


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "resnet"])
def test_projection_label_input_feeds_one_hot_beside_conditional_bn(make_cfg, arch):
    cfg = make_cfg(arch, conditioning="projection")
    cfg.label_input = True
    g = build_generator(cfg, image_shape=(1, 28, 28), num_classes=10)
    assert _first(g, nn.Linear).in_features == 16 + 10
    assert any(isinstance(m, ConditionalBatchNorm) for m in g.modules())
    z = torch.randn(2, 16)
    inp = g.latent_input(z, torch.tensor([3, 7]))
    torch.testing.assert_close(inp[:, :16], z)
    assert inp[0, 16 + 3] == 1 and inp[1, 16 + 7] == 1 and inp[:, 16:].sum() == 2
    g.eval()
    with torch.no_grad():  # cBN is inert at init, so only the one-hot input can tell labels apart
        out = g(z[:1].expand(2, 16), torch.tensor([0, 1]))
    assert not torch.allclose(out[0], out[1], atol=1e-4)


@pytest.mark.parametrize("conditioning", ["none", "concat", "acgan"])
def test_label_input_outside_projection_is_a_config_error(make_cfg, conditioning):
    cfg = make_cfg("dcgan", conditioning=conditioning)
    cfg.label_input = True
    with pytest.raises(ConfigError, match="label_input"):
        build_generator(cfg, image_shape=(1, 28, 28), num_classes=10)


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "resnet"])
def test_projection_discriminator_adds_inner_product(make_cfg, arch):
    d = build_discriminator(
        make_cfg(arch, conditioning="projection"), image_shape=(3, 32, 32), num_classes=10
    ).eval()
    x = torch.randn(2, 3, 32, 32)
    y = torch.tensor([2, 5])
    with torch.no_grad():
        adv, cls = d(x, y)
        h = d.features(d.condition_input(x, y))
        # DCGAN heads see the flattened b x b map; the embedding meets its sum-pooled channels
        projected = h.view(2, d.embed.weight.shape[1], -1).sum(2) if arch == "dcgan" else h
        expected = d.adv_head(h).squeeze(1) + (d.embed.weight[y] * projected).sum(1)
    assert cls is None
    torch.testing.assert_close(adv, expected)
    with torch.no_grad():
        other, _ = d(x, torch.tensor([3, 6]))
    assert not torch.allclose(adv, other)


def test_dcgan_projection_embeds_one_vector_per_channel(make_cfg):
    """Miyato & Koyama project on pooled channels, not on a per-class spatial template."""
    d = build_discriminator(
        make_cfg("dcgan", conditioning="projection"), image_shape=(1, 28, 28), num_classes=10
    )
    channels = d.feature_channels
    assert d.embed.weight.shape == (10, channels)
    assert d.adv_head.in_features == channels * 7 * 7


@pytest.mark.parametrize("conditioning", ["concat", "acgan", "projection"])
@pytest.mark.parametrize("arch", ["mlp", "dcgan", "resnet"])
def test_conditional_models_without_labels_raise(make_cfg, arch, conditioning):
    cfg = make_cfg(arch, conditioning=conditioning)
    g = build_generator(cfg, image_shape=(1, 28, 28), num_classes=10)
    with pytest.raises(ValueError, match="pass the labels as y"):
        g(g.sample_latent(2))
    d = build_discriminator(cfg, image_shape=(1, 28, 28), num_classes=10)
    x = torch.randn(2, 1, 28, 28)
    if conditioning == "acgan":
        assert d(x)[1].shape == (2, 10)  # the ACGAN discriminator predicts the label itself
    else:
        with pytest.raises(ValueError, match="pass the labels as y"):
            d(x)


def test_unconditional_models_ignore_labels(make_cfg):
    cfg = make_cfg("dcgan")
    g = build_generator(cfg, image_shape=(1, 28, 28), num_classes=10).eval()
    assert g.num_classes == 0
    z = torch.randn(2, 16)
    torch.testing.assert_close(g(z, torch.tensor([1, 2])), g(z))
