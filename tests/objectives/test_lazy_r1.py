"""Lazy R1 (objective.r1_every): applied on D steps 0, k, 2k, ... with k times the weight."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gankit.config import ObjectiveConfig, load_config
from gankit.errors import ConfigError
from gankit.objectives import build_objective, r1_penalty_from
from gankit.objectives.losses import bce_d_loss


class SquareD(nn.Module):
    """D(x) = sum(x^2) per sample: grad = 2x, so R1 = gamma/2 * mean(4 |x|^2)."""

    def forward(self, x, y=None):
        return x.flatten(1).pow(2).sum(1), None


def test_r1_runs_every_k_steps_with_k_times_the_weight() -> None:
    torch.manual_seed(0)
    obj = build_objective(ObjectiveConfig(r1_weight=2.0, r1_every=3), num_classes=0)
    d = SquareD()
    real, fake = torch.randn(4, 1, 3, 3), torch.randn(4, 1, 3, 3)
    closed_form = 0.5 * 6.0 * (4 * real.flatten(1).pow(2).sum(1)).mean().item()
    plain = bce_d_loss(d(real)[0], d(fake)[0]).item()
    for step in range(7):
        loss, stats = obj.d_loss(d, real, fake, d_step=step)
        due = step % 3 == 0
        assert obj.r1_due(step) == due == obj.needs_double_backward(step)
        assert ("r1" in stats) == due, step
        if due:
            assert stats["r1"].item() == pytest.approx(closed_form, rel=1e-5)
            assert loss.item() == pytest.approx(plain + closed_form, rel=1e-5)
        else:
            assert loss.item() == pytest.approx(plain, rel=1e-6)


def test_r1_every_one_is_r1_on_every_step_at_its_weight() -> None:
    torch.manual_seed(0)
    d = SquareD()
    real, fake = torch.randn(4, 1, 3, 3), torch.randn(4, 1, 3, 3)
    eager = build_objective(ObjectiveConfig(r1_weight=2.0), num_classes=0)
    assert eager.r1_every == 1
    expected = r1_penalty_from(d, real, gamma=2.0)
    for step in (0, 1, 5):
        _, stats = eager.d_loss(d, real, fake, d_step=step)
        assert torch.equal(stats["r1"], expected.detach())


def test_without_r1_nothing_needs_double_backward_unless_gp() -> None:
    assert not build_objective(ObjectiveConfig(r1_every=4), num_classes=0).needs_double_backward(0)
    gp = build_objective(ObjectiveConfig(loss="wasserstein", gp_weight=10.0), num_classes=0)
    assert all(gp.needs_double_backward(s) for s in range(3))


@pytest.mark.parametrize("value", ["0", "-2"])
def test_r1_every_must_be_positive(value: str) -> None:
    with pytest.raises(ConfigError, match=r"'objective\.r1_every' must be positive"):
        load_config("dcgan-fashion", [f"objective.r1_every={value}"])
    with pytest.raises(ConfigError, match=r"'objective\.r1_every' must be at least 1"):
        build_objective(ObjectiveConfig(r1_every=int(value)), num_classes=0)
