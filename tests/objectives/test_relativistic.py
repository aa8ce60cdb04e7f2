"""RpGAN (relativistic pairing) against its closed form, and through the Objective interface."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gankit.config import ObjectiveConfig
from gankit.errors import ConfigError
from gankit.objectives import LOSSES, build_objective, get_loss
from gankit.objectives.relativistic import rpgan_d_loss, rpgan_g_loss

REAL = [1.0, -0.5, 2.0, 0.0]
FAKE = [0.5, 0.5, -1.0, 3.0]


def _softplus(x: float) -> float:
    return math.log1p(math.exp(x))


def test_losses_equal_softplus_of_paired_logit_differences() -> None:
    real, fake = torch.tensor(REAL), torch.tensor(FAKE)
    d_expected = sum(_softplus(f - r) for r, f in zip(REAL, FAKE, strict=True)) / 4
    g_expected = sum(_softplus(r - f) for r, f in zip(REAL, FAKE, strict=True)) / 4
    assert rpgan_d_loss(real, fake).item() == pytest.approx(d_expected, rel=1e-6)
    assert rpgan_g_loss(fake, real).item() == pytest.approx(g_expected, rel=1e-6)
    # pairing matters: the same logits in another order give another loss
    assert rpgan_d_loss(real, fake.flip(0)).item() != pytest.approx(d_expected, rel=1e-3)


def test_only_logit_differences_matter_and_gradients_are_sigmoids() -> None:
    real, fake = torch.tensor(REAL), torch.tensor(FAKE, requires_grad=True)
    shifted = rpgan_d_loss(real + 7.0, torch.tensor(FAKE) + 7.0)
    assert shifted.item() == pytest.approx(rpgan_d_loss(real, fake).item(), rel=1e-6)
    rpgan_g_loss(fake, real).backward()
    expected = [-1 / (1 + math.exp(f - r)) / 4 for r, f in zip(REAL, FAKE, strict=True)]
    assert fake.grad.tolist() == pytest.approx(expected, rel=1e-5)


def test_bf16_logits_are_upcast_and_unpaired_batches_rejected() -> None:
    real, fake = torch.tensor(REAL), torch.tensor(FAKE)
    low = rpgan_d_loss(real.bfloat16(), fake.bfloat16())
    assert low.dtype == torch.float32
    assert low.item() == pytest.approx(rpgan_d_loss(real, fake).item(), rel=1e-2)
    with pytest.raises(ValueError, match="as many real as fake"):
        rpgan_d_loss(real, fake[:3])


def test_registered_with_its_facts() -> None:
    loss = get_loss("rpgan")
    assert "rpgan" in LOSSES and loss.g_needs_real and not loss.has_target
    assert loss.accuracy_rule == "midpoint"
    with pytest.raises(ConfigError, match="label_smoothing' has no meaning for the rpgan loss"):
        build_objective(ObjectiveConfig(loss="rpgan", label_smoothing=0.1), num_classes=0)


class LinearD(nn.Module):
    """D(x) = <w, x> + b per sample: logits are easy to recompute by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(12, 1)

    def forward(self, x, y=None):
        return self.lin(x.flatten(1)).squeeze(1), None


def test_objective_scores_the_real_batch_in_the_generator_step() -> None:
    torch.manual_seed(0)
    obj = build_objective(ObjectiveConfig(loss="rpgan"), num_classes=0)
    d = LinearD()
    real = torch.randn(5, 3, 2, 2, requires_grad=True)
    fake = torch.randn(5, 3, 2, 2, requires_grad=True)
    with pytest.raises(ValueError, match="pass the step's real batch"):
        obj.g_loss(d, fake, None)
    d.requires_grad_(False)  # as in the trainer's generator step
    g, stats = obj.g_loss(d, fake, None, real=real)
    with torch.no_grad():
        expected = rpgan_g_loss(d(fake)[0], d(real)[0])
    assert g.item() == pytest.approx(expected.item(), rel=1e-6)
    assert stats["g_loss"].item() == pytest.approx(expected.item(), rel=1e-6)
    g.backward()
    assert fake.grad is not None and real.grad is None  # real logits are constants
    d.requires_grad_(True)
    loss, d_stats = obj.d_loss(d, real, fake)
    with torch.no_grad():
        assert loss.item() == pytest.approx(rpgan_d_loss(d(real)[0], d(fake)[0]).item(), rel=1e-6)
    assert {"d_loss", "d_real_acc", "d_fake_acc"} == set(d_stats)


def test_classic_losses_ignore_the_real_batch_in_the_generator_step() -> None:
    torch.manual_seed(0)
    obj = build_objective(ObjectiveConfig(loss="hinge"), num_classes=0)
    d = LinearD()
    real, fake = torch.randn(5, 3, 2, 2), torch.randn(5, 3, 2, 2)
    with_real, _ = obj.g_loss(d, fake, None, real=real)
    without, _ = obj.g_loss(d, fake, None)
    assert torch.equal(with_real, without)
