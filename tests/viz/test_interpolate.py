from __future__ import annotations

import math

import pytest
import torch

from gankit.viz.interpolate import interpolation_latents, slerp


def test_slerp_endpoints_equal_inputs():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(4, 16, generator=g), torch.randn(4, 16, generator=g) * 2
    torch.testing.assert_close(slerp(a, b, 0.0), a)
    torch.testing.assert_close(slerp(a, b, 1.0), b)
    torch.testing.assert_close(slerp(a, b, torch.tensor([0.0, 1.0, 0.0, 1.0]))[1], b[1])
    assert slerp(a, b, 0.3).dtype == torch.float32


def test_slerp_norms_and_directions():
    a = torch.tensor([3.0, 0.0])
    b = torch.tensor([0.0, 3.0])
    t = torch.linspace(0, 1, 9)
    path = slerp(a, b, t)  # [T] weights with [D] endpoints -> [T, D]
    assert path.shape == (9, 2)
    torch.testing.assert_close(path.norm(dim=1), torch.full((9,), 3.0))  # stays on the sphere
    mid = slerp(a, b, 0.5)
    torch.testing.assert_close(mid, torch.tensor([3.0, 3.0]) / math.sqrt(2))
    angles = torch.atan2(path[:, 1], path[:, 0])
    torch.testing.assert_close(angles, t * math.pi / 2)  # constant angular speed
    # unequal norms move linearly between |a| and |b|
    c = torch.tensor([0.0, 5.0])
    torch.testing.assert_close(slerp(a, c, t).norm(dim=1), 3.0 + 2.0 * t)
    # a linear path would dip in norm at the middle; slerp does not
    assert (0.5 * (a + b)).norm() < mid.norm() - 0.5


def test_slerp_parallel_and_zero_fall_back_to_lerp():
    a = torch.tensor([[1.0, 2.0, 3.0]])
    for b in (2 * a, a.clone(), torch.zeros_like(a)):
        torch.testing.assert_close(slerp(a, b, 0.25), 0.75 * a + 0.25 * b)
    assert torch.isfinite(slerp(a, -a, 0.5)).all()


def test_interpolation_latents_shape_and_rows():
    z = interpolation_latents(32, rows=3, steps=6, generator=torch.Generator().manual_seed(1))
    assert z.shape == (18, 32) and z.dtype == torch.float32
    grid = z.view(3, 6, 32)
    norms = grid.norm(dim=2)
    steps = norms[:, 1:] - norms[:, :-1]
    # norms move linearly along each row
    torch.testing.assert_close(steps, steps[:, :1].expand_as(steps), atol=1e-4, rtol=1e-4)
    assert not torch.allclose(grid[:, 0], grid[:, -1])
    torch.testing.assert_close(z, interpolation_latents(32, 3, 6, 1))  # int seed works
    assert interpolation_latents(4, 2, 1, 0).shape == (2, 4)
    with pytest.raises(ValueError):
        interpolation_latents(0, 1, 1)
