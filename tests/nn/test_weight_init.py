from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gankit.nn import dcgan_init, maybe_sn, raw_weight, xavier_init


def test_dcgan_init_statistics():
    net = nn.Sequential(
        nn.Conv2d(64, 128, 4),
        nn.BatchNorm2d(128),
        nn.ConvTranspose2d(128, 64, 4),
        nn.Linear(512, 512),
    )
    dcgan_init(net)
    for layer in (net[0], net[2], net[3]):
        assert layer.weight.mean().item() == pytest.approx(0.0, abs=2e-3)
        assert layer.weight.std().item() == pytest.approx(0.02, rel=0.05)
        assert torch.count_nonzero(layer.bias) == 0
    assert net[1].weight.mean().item() == pytest.approx(1.0, abs=5e-3)
    assert net[1].weight.std().item() == pytest.approx(0.02, rel=0.3)
    assert torch.count_nonzero(net[1].bias) == 0


def test_init_reaches_through_spectral_norm():
    conv = maybe_sn(nn.Conv2d(64, 64, 3), True)
    dcgan_init(conv)
    assert raw_weight(conv).std().item() == pytest.approx(0.02, rel=0.05)


def test_xavier_init_gain():
    lin = xavier_init(nn.Linear(300, 200), gain=math.sqrt(2))
    bound = math.sqrt(2) * math.sqrt(6 / 500)
    assert lin.weight.abs().max().item() <= bound
    assert lin.weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)
