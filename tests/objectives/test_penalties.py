"""WGAN-GP, R1 and weight clipping checked against closed forms."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gankit.objectives.penalties import (
    clip_weights,
    gradient_penalty,
    r1_penalty,
    r1_penalty_from,
)


class LinearCritic(nn.Module):
    """f(x) = w . x + b over all non-batch dims: grad_x f = w everywhere."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.randn(shape))
        self.b = nn.Parameter(torch.tensor(0.3))

    def forward(self, x, y=None):
        return (x * self.w).flatten(1).sum(1) + self.b, None


@pytest.mark.parametrize("channels", [1, 3, 5])
def test_gp_linear_critic_equals_closed_form(channels):
    torch.manual_seed(channels)
    shape = (channels, 6, 5)
    critic = LinearCritic(shape)
    real, fake = torch.randn(4, *shape), torch.randn(4, *shape)
    gp = gradient_penalty(critic, real, fake, weight=10.0)
    expected = 10.0 * (critic.w.detach().norm() - 1) ** 2
    assert gp.item() == pytest.approx(expected.item(), rel=1e-5)
    gp.backward()  # create_graph: the penalty trains the critic
    assert critic.w.grad is not None and torch.isfinite(critic.w.grad).all()


def test_gp_works_on_flat_mlp_inputs():
    critic = LinearCritic((7,))
    gp = gradient_penalty(critic, torch.randn(3, 7), torch.randn(3, 7), weight=2.0)
    assert gp.item() == pytest.approx(2.0 * (critic.w.detach().norm() - 1).item() ** 2, rel=1e-5)


class QuadraticCritic(nn.Module):
    """f(x) = 0.5 * ||x||^2: grad = x, so the gradient differs per sample."""

    def forward(self, x):
        return 0.5 * x.flatten(1).pow(2).sum(1)


def test_gp_uses_per_sample_alpha_and_per_sample_norm():
    real = torch.randn(5, 2, 3, 3)
    fake = torch.randn(5, 2, 3, 3)
    torch.manual_seed(0)
    gp = gradient_penalty(QuadraticCritic(), real, fake, weight=1.0)
    torch.manual_seed(0)
    alpha = torch.rand(5, 1, 1, 1)  # the same draw gradient_penalty made
    x_hat = alpha * real + (1 - alpha) * fake  # grad of the critic at x_hat is x_hat
    norms = x_hat.flatten(1).norm(dim=1)
    expected = ((norms - 1) ** 2).mean()
    assert gp.item() == pytest.approx(expected.item(), rel=1e-5)
    # a batch-wide norm would give a different value
    batch_norm_value = (x_hat.norm() - 1) ** 2
    assert abs(batch_norm_value.item() - expected.item()) > 1e-3
    # alpha differs across samples (per-sample draw), and is broadcast over C, H, W
    assert alpha.unique().numel() == 5


def test_gp_passes_labels_to_conditional_critic():
    seen = {}

    class Cond(nn.Module):
        def forward(self, x, y):
            seen["y"] = y
            return x.flatten(1).sum(1)

    y = torch.tensor([1, 0, 2])
    gradient_penalty(Cond(), torch.randn(3, 4), torch.randn(3, 4), y=y)
    assert seen["y"] is y


def test_gp_under_bf16_autocast_is_float32_and_close():
    torch.manual_seed(1)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(3 * 4 * 4, 1))
    real, fake = torch.randn(4, 3, 4, 4), torch.randn(4, 3, 4, 4)
    w_norm = critic[1].weight.detach().norm()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        gp = gradient_penalty(lambda x: critic(x).squeeze(1), real, fake, weight=10.0)
    assert gp.dtype == torch.float32
    assert gp.item() == pytest.approx(10.0 * (w_norm.item() - 1) ** 2, rel=2e-2, abs=1e-3)


def test_r1_linear_critic_is_half_gamma_w_squared():
    critic = LinearCritic((3, 4, 4))
    real = torch.randn(6, 3, 4, 4).requires_grad_(True)
    logits, _ = critic(real)
    r1 = r1_penalty(logits, real, gamma=4.0)
    expected = 4.0 / 2 * critic.w.detach().pow(2).sum()
    assert r1.item() == pytest.approx(expected.item(), rel=1e-5)
    r1_b = r1_penalty_from(critic, torch.randn(6, 3, 4, 4), gamma=4.0)
    assert r1_b.item() == pytest.approx(expected.item(), rel=1e-5)


def test_r1_needs_grad_enabled_input():
    critic = LinearCritic((2,))
    x = torch.randn(2, 2)
    with pytest.raises(ValueError, match="requires_grad"):
        r1_penalty(critic(x)[0], x, gamma=1.0)


def test_weight_clipping_bounds_every_parameter():
    torch.manual_seed(0)
    d = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.Flatten(), nn.LazyLinear(1))
    d(torch.randn(2, 3, 6, 6))
    with torch.no_grad():
        for p in d.parameters():
            p.mul_(10)
    inside = d[0].weight.detach().clamp(-0.01, 0.01)
    clip_weights(d, 0.01)
    for p in d.parameters():
        assert p.abs().max().item() <= 0.01 + 1e-9
    assert torch.equal(d[0].weight, inside)  # clamping, not rescaling
    assert d[1].weight.eq(0.01).all()  # BN gamma (10 after scaling) clipped too
