"""DiffAugment: shapes, differentiability, zero-padding semantics, channel counts."""

from __future__ import annotations

import pytest
import torch

from gankit.errors import ConfigError
from gankit.objectives.diffaugment import (
    DiffAugment,
    brightness,
    contrast,
    cutout,
    diff_augment,
    parse_policy,
    saturation,
    translation,
)


@pytest.mark.parametrize("channels", [1, 3])
def test_full_policy_preserves_shape_and_is_differentiable(channels):
    torch.manual_seed(0)
    x = torch.randn(4, channels, 16, 12, requires_grad=True)
    out = diff_augment(x, "translation,cutout,color")
    assert out.shape == x.shape
    out.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_translation_of_zero_image_is_zero_and_shifts_content():
    assert translation(torch.zeros(3, 1, 8, 8)).abs().sum() == 0
    torch.manual_seed(0)
    x = torch.arange(64.0).reshape(1, 1, 8, 8).repeat(16, 3, 1, 1) + 1
    out = translation(x)
    for i in range(16):  # each sample is a shifted copy of the input, zero filled
        nz = out[i, 0].nonzero()
        top, left = nz.min(0).values.tolist()
        bottom, right = nz.max(0).values.tolist()
        dy = top if top > 0 else bottom - 7
        dx = left if left > 0 else right - 7
        assert abs(dy) <= 1 and abs(dx) <= 1  # 8 / 8 = 1 pixel max shift
        shifted = torch.roll(x[i, 0], shifts=(dy, dx), dims=(0, 1))
        mask = out[i, 0] != 0
        assert torch.equal(out[i, 0][mask], shifted[mask])
        assert torch.equal(out[i, 0], out[i, 2])  # same shift for all channels
    # shifts are drawn per sample
    assert len({tuple(o[0].nonzero().min(0).values.tolist()) for o in out}) > 1


def test_cutout_zeros_a_square_of_half_size():
    torch.manual_seed(0)
    out = cutout(torch.ones(32, 2, 8, 8))
    zeros = (out[:, 0] == 0).flatten(1).sum(1)
    assert zeros.max().item() == 16  # a full 4x4 square when it lies inside the image
    assert zeros.min().item() >= 4  # clipped by the border at worst to a quarter
    assert torch.equal(out[:, 0], out[:, 1])


def test_color_ops():
    torch.manual_seed(0)
    grey = torch.randn(4, 1, 5, 5)
    assert torch.equal(saturation(grey), grey)  # no-op for one channel
    diff = brightness(grey) - grey  # a constant offset per sample in [-0.5, 0.5)
    assert torch.allclose(diff, diff[:, :, :1, :1].expand_as(diff))
    assert diff.abs().max() <= 0.5
    c = contrast(grey)  # mean preserved
    assert torch.allclose(c.mean((1, 2, 3)), grey.mean((1, 2, 3)), atol=1e-6)
    rgb = torch.randn(4, 3, 5, 5)
    s = saturation(rgb)  # channel mean preserved
    assert torch.allclose(s.mean(1), rgb.mean(1), atol=1e-6)


def test_policy_parsing():
    assert parse_policy("cutout, translation,color") == ("color", "translation", "cutout")
    assert not DiffAugment("")
    x = torch.randn(2, 3, 4, 4)
    assert DiffAugment("")(x) is x
    with pytest.raises(ConfigError, match="diffaugment"):
        parse_policy("translation,rotate")
    with pytest.raises(ConfigError, match="N, C, H, W"):
        DiffAugment("color")(torch.randn(2, 5))


def test_works_under_bf16_autocast():
    x = torch.randn(2, 3, 8, 8)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = diff_augment(x)
    assert out.shape == x.shape and torch.isfinite(out).all()
