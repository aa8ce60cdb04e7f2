"""Pixel scaling, quantisation, resizing, channel conversion and batched augmentation."""

from __future__ import annotations

import pytest
import torch

from gankit.data.transforms import (
    augment,
    convert_channels,
    flip_horizontal,
    random_flip,
    resize_images,
    rotate,
    to_float,
    to_uint8,
)
from gankit.errors import DataError

ALL_VALUES = torch.arange(256, dtype=torch.uint8).view(1, 1, 16, 16)


@pytest.mark.parametrize("scale, lo, hi", [("symmetric", -1.0, 1.0), ("unit", 0.0, 1.0)])
def test_round_trip_every_value(scale, lo, hi):
    x = to_float(ALL_VALUES, scale)
    assert x.dtype == torch.float32
    assert float(x.min()) == lo and float(x.max()) == hi
    assert torch.equal(to_uint8(x, scale), ALL_VALUES)


def test_to_uint8_rounds_and_clamps():
    x = torch.tensor([-3.0, -1.0, 0.0, 0.999, 1.0, 7.0])
    assert to_uint8(x).tolist() == [0, 0, 128, 255, 255, 255]  # 0 -> 127.5 rounds to even 128
    assert to_uint8(torch.tensor([-0.1, 0.4, 1.2]), "unit").tolist() == [0, 102, 255]
    with pytest.raises(DataError, match="scale"):
        to_float(ALL_VALUES, "zero-one")


def test_flip_is_an_involution_and_random_flip_picks_per_sample():
    x = torch.randn(200, 3, 5, 7, generator=torch.Generator().manual_seed(0))
    assert torch.equal(flip_horizontal(flip_horizontal(x)), x)
    out = random_flip(x, torch.Generator().manual_seed(1))
    same = (out == x).flatten(1).all(1)
    flipped = (out == x.flip(-1)).flatten(1).all(1)
    assert bool((same | flipped).all())
    assert 60 < int(flipped.sum()) < 140
    assert torch.equal(out, random_flip(x, torch.Generator().manual_seed(1)))


def test_rotation_zero_is_identity_and_ninety_matches_rot90():
    x = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(2))
    assert torch.allclose(rotate(x, torch.zeros(4)), x, atol=1e-5)
    turned = rotate(x, torch.tensor([90.0, 90.0, -90.0, 180.0]))
    assert torch.allclose(turned[:2], torch.rot90(x[:2], 1, (2, 3)), atol=1e-5)  # counter-clockwise
    assert torch.allclose(turned[2], torch.rot90(x[2], -1, (1, 2)), atol=1e-5)
    assert torch.allclose(turned[3], torch.rot90(x[3], 2, (1, 2)), atol=1e-5)
    wide = torch.zeros(1, 1, 9, 15)
    wide[0, 0, 4, 7:] = 1.0  # a horizontal bar from the centre to the right edge
    up = rotate(wide, torch.tensor([90.0]), padding_mode="zeros")[0, 0]
    assert torch.allclose(up[:5, 7], torch.ones(5), atol=1e-5)  # now points up, undistorted
    assert float(up[5:, :].abs().sum()) < 1e-5 and float(up[:, 8:].abs().sum()) < 1e-5


def test_augment_batched_and_seeded():
    x = torch.rand(16, 1, 12, 12) * 2 - 1
    assert augment(x) is x
    a = augment(x, hflip=True, rotate_degrees=15, generator=torch.Generator().manual_seed(3))
    b = augment(x, hflip=True, rotate_degrees=15, generator=torch.Generator().manual_seed(3))
    assert a.shape == x.shape and a.dtype == x.dtype and torch.equal(a, b)
    assert not torch.equal(a, x)
    assert float(a.min()) >= -1 - 1e-6 and float(a.max()) <= 1 + 1e-6  # reflection: no new values
    half = augment(x.to(torch.bfloat16), rotate_degrees=10, generator=torch.Generator())
    assert half.dtype == torch.bfloat16


def test_resize_images_upsamples_and_antialiases():
    constant = torch.full((3, 1, 28, 28), 77, dtype=torch.uint8)
    up = resize_images(constant, 32)
    assert up.shape == (3, 1, 32, 32) and up.unique().tolist() == [77]
    checker = ((torch.arange(16).view(-1, 1) + torch.arange(16)) % 2 * 255).to(torch.uint8)
    down = resize_images(checker.view(1, 1, 16, 16), 8)
    assert int(down.min()) >= 120 and int(down.max()) <= 135  # averaged, not aliased
    assert resize_images(constant, (28, 28)) is constant


def test_convert_channels():
    grey = torch.randint(0, 256, (2, 1, 4, 4), dtype=torch.uint8)
    rgb = convert_channels(grey, 3)
    assert rgb.shape == (2, 3, 4, 4) and torch.equal(rgb[:, 1:2], grey)
    red = torch.zeros(1, 3, 2, 2, dtype=torch.uint8)
    red[:, 0] = 255
    assert convert_channels(red, 1).unique().tolist() == [76]  # 0.299 * 255, as Pillow "L"
    assert torch.equal(convert_channels(rgb, 1), grey)
    with pytest.raises(DataError, match="channels=2"):
        convert_channels(grey, 2)
