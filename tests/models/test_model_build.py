"""build_* dispatch, config honouring and one-sentence errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from gankit.errors import ConfigError
from gankit.models import (
    DCGANDiscriminator,
    DCGANGenerator,
    MLPDiscriminator,
    MLPGenerator,
    ResNetDiscriminator,
    ResNetGenerator,
    build_discriminator,
    build_generator,
    count_parameters,
)
from gankit.nn import SelfAttention, is_spectral_normed


@pytest.mark.parametrize(
    ("arch", "g_cls", "d_cls"),
    [
        ("mlp", MLPGenerator, MLPDiscriminator),
        ("dcgan", DCGANGenerator, DCGANDiscriminator),
        ("resnet", ResNetGenerator, ResNetDiscriminator),
    ],
)
def test_dispatch_on_arch(make_cfg, arch, g_cls, d_cls):
    cfg = make_cfg(arch)
    assert isinstance(build_generator(cfg, image_shape=(1, 28, 28), num_classes=0), g_cls)
    assert isinstance(build_discriminator(cfg, image_shape=(1, 28, 28), num_classes=0), d_cls)


def test_generator_and_discriminator_archs_are_independent(make_cfg):
    cfg = make_cfg("dcgan")
    cfg.discriminator.arch = "resnet"
    assert isinstance(build_generator(cfg, image_shape=(3, 32, 32), num_classes=0), DCGANGenerator)
    d = build_discriminator(cfg, image_shape=(3, 32, 32), num_classes=0)
    assert isinstance(d, ResNetDiscriminator)


def _message(excinfo) -> str:
    text = str(excinfo.value)
    assert text.count(". ") == 0 and text.endswith((".", "?")), text  # one sentence
    return text


@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_unsupported_size_names_supported_sizes(make_cfg, arch):
    with pytest.raises(ConfigError) as excinfo:
        build_generator(make_cfg(arch), image_shape=(3, 48, 48), num_classes=0)
    assert "16, 28, 32, 64" in _message(excinfo) and "48x48" in str(excinfo.value)
    with pytest.raises(ConfigError):
        build_discriminator(make_cfg(arch), image_shape=(3, 32, 64), num_classes=0)


@pytest.mark.parametrize(
    ("overrides", "shape", "num_classes", "needle"),
    [
        ({"conditioning": "acgan"}, (1, 28, 28), 0, "model.conditioning=none"),
        ({"g_norm": "none", "conditioning": "projection"}, (1, 28, 28), 10, "norm=batch"),
        ({"attention_res": 5}, (3, 32, 32), 0, "attention_res"),
        ({"arch": "mlp", "attention_res": 8}, (3, 32, 32), 0, "attention_res"),
        ({"arch": "vit"}, (3, 32, 32), 0, "arch"),
        ({"activation": "gelu"}, (3, 32, 32), 0, "activation"),
        ({}, (3, 32), 0, "image_shape"),
    ],
)
def test_bad_combinations_raise_config_error(make_cfg, overrides, shape, num_classes, needle):
    cfg = make_cfg("dcgan", conditioning=overrides.pop("conditioning", "none"))
    if "g_norm" in overrides:
        cfg.generator.norm = overrides.pop("g_norm")
    for key, value in overrides.items():
        setattr(cfg.generator, key, value)
    with pytest.raises(ConfigError) as excinfo:
        build_generator(cfg, image_shape=shape, num_classes=num_classes)
    assert needle in _message(excinfo)


@pytest.mark.parametrize("arch", ["dcgan", "resnet"])
def test_attention_is_placed_at_requested_resolution(make_cfg, arch):
    cfg = make_cfg(arch, attention_res=8)
    g = build_generator(cfg, image_shape=(3, 32, 32), num_classes=0)
    d = build_discriminator(cfg, image_shape=(3, 32, 32), num_classes=0)
    for net in (g, d):
        seen: list[tuple[int, ...]] = []

        def record(module, inputs, output, seen=seen):
            seen.append(tuple(output.shape[-2:]))

        hooks = [
            m.register_forward_hook(record) for m in net.modules() if isinstance(m, SelfAttention)
        ]
        x = torch.randn(2, 16) if net is g else torch.randn(2, 3, 32, 32)
        net(x)
        for h in hooks:
            h.remove()
        assert seen == [(8, 8)]


def test_batch_norm_momentum_is_momentum_not_eps(make_cfg):
    for arch, cond in [("mlp", "none"), ("dcgan", "projection"), ("resnet", "projection")]:
        cfg = make_cfg(arch, conditioning=cond, bn_momentum=0.2)
        g = build_generator(cfg, image_shape=(1, 28, 28), num_classes=10)
        d = build_discriminator(cfg, image_shape=(1, 28, 28), num_classes=10)
        bns = [m for net in (g, d) for m in net.modules() if isinstance(m, _BatchNorm)]
        assert bns
        for bn in bns:
            assert bn.momentum == 0.2 and bn.eps == 1e-5


def test_norm_none_removes_batch_norm(make_cfg):
    cfg = make_cfg("dcgan", norm="none")
    for net in (
        build_generator(cfg, image_shape=(3, 32, 32), num_classes=0),
        build_discriminator(cfg, image_shape=(3, 32, 32), num_classes=0),
    ):
        assert not any(isinstance(m, _BatchNorm) for m in net.modules())


def test_dcgan_discriminator_has_no_batch_norm_on_first_layer(make_cfg):
    d = build_discriminator(make_cfg("dcgan"), image_shape=(3, 64, 64), num_classes=0)
    assert isinstance(d.stages[0].norm, nn.Identity)
    assert all(isinstance(s.norm, nn.BatchNorm2d) for s in list(d.stages)[1:])
    assert not any(isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) for m in d.modules())


def test_activation_and_dropout_are_honoured(make_cfg):
    cfg = make_cfg("dcgan", dropout=0.3)
    cfg.generator.activation = "relu"
    g = build_generator(cfg, image_shape=(3, 32, 32), num_classes=0)
    d = build_discriminator(cfg, image_shape=(3, 32, 32), num_classes=0)
    assert any(isinstance(m, nn.ReLU) for m in g.modules())
    assert not any(isinstance(m, nn.LeakyReLU) for m in g.modules())
    leaky = [m for m in d.modules() if isinstance(m, nn.LeakyReLU)]
    assert leaky and all(m.negative_slope == 0.2 for m in leaky)
    drops = [m for m in d.modules() if isinstance(m, nn.Dropout)]
    assert drops and all(m.p == 0.3 for m in drops)


def test_dcgan_init_statistics(make_cfg):
    cfg = make_cfg("dcgan", width=64)
    d = build_discriminator(cfg, image_shape=(3, 64, 64), num_classes=0)
    g = build_generator(cfg, image_shape=(3, 64, 64), num_classes=0)
    for net in (g, d):
        convs = [m for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d))]
        big = max(convs, key=lambda m: m.weight.numel())
        assert big.weight.std().item() == pytest.approx(0.02, rel=0.02)
        assert abs(big.weight.mean().item()) < 1e-3
        bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
        gammas = torch.cat([bn.weight for bn in bns])
        assert gammas.mean().item() == pytest.approx(1.0, abs=5e-3)
        assert torch.count_nonzero(torch.cat([bn.bias for bn in bns])) == 0


@pytest.mark.parametrize("arch", ["mlp", "dcgan", "resnet"])
def test_spectral_norm_covers_every_weight_layer(make_cfg, arch):
    cfg = make_cfg(arch, conditioning="projection", spectral_norm=True)
    if arch != "mlp":
        cfg.discriminator.attention_res = 8
    d = build_discriminator(cfg, image_shape=(3, 32, 32), num_classes=10)
    layers = [m for m in d.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    assert layers and all(is_spectral_normed(m) for m in layers)
    assert is_spectral_normed(d.embed)
    d.train()
    x, y = torch.randn(2, 3, 32, 32), torch.randint(0, 10, (2,))
    with torch.no_grad():  # one power iteration per train-mode call; near-degenerate random
        for _ in range(40):  # spectra (sigma1 ~ sigma2) need a few dozen to reach 1e-2
            d(x, y)
    for m in layers:
        w = m.weight
        sigma = torch.linalg.matrix_norm(w.reshape(w.shape[0], -1), ord=2).item()
        assert sigma == pytest.approx(1.0, abs=1e-2)


def test_count_parameters(make_cfg):
    cfg = make_cfg("resnet")
    plain = build_discriminator(cfg, image_shape=(3, 32, 32), num_classes=0)
    cfg.discriminator.spectral_norm = True
    sn = build_discriminator(cfg, image_shape=(3, 32, 32), num_classes=0)
    manual = sum(p.numel() for p in plain.parameters())
    assert count_parameters(plain) == manual > 0
    assert count_parameters(sn) == manual  # SN adds buffers (u, v), not parameters
    lin = nn.Linear(3, 2)
    lin.bias.requires_grad_(False)
    assert count_parameters(lin) == 6 and count_parameters(lin, trainable_only=False) == 8
