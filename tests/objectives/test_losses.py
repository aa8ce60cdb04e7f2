"""Hand-computed values of every adversarial loss pair and of the accuracy rules."""

from __future__ import annotations

import math

import pytest
import torch

from gankit.errors import ConfigError
from gankit.objectives import losses as L

REAL = torch.tensor([2.0, -1.0])
FAKE = torch.tensor([0.5, -3.0])


def sp(x: float) -> float:
    """softplus by hand."""
    return math.log1p(math.exp(x))


def test_bce_d_loss_matches_hand_computation():
    expected = (sp(-2.0) + sp(1.0)) / 2 + (sp(0.5) + sp(-3.0)) / 2
    assert L.bce_d_loss(REAL, FAKE).item() == pytest.approx(expected, rel=1e-6)
    ref = torch.nn.functional.binary_cross_entropy_with_logits
    torch_value = ref(REAL, torch.ones(2)) + ref(FAKE, torch.zeros(2))
    assert L.bce_d_loss(REAL, FAKE).item() == pytest.approx(torch_value.item(), rel=1e-6)


def test_label_smoothing_moves_only_the_real_target():
    s = 0.1
    t = 1 - s
    real_part = sum(t * sp(-r) + (1 - t) * sp(r) for r in (2.0, -1.0)) / 2
    fake_part = (sp(0.5) + sp(-3.0)) / 2
    got = L.bce_d_loss(REAL, FAKE, real_target=t).item()
    assert got == pytest.approx(real_part + fake_part, rel=1e-6)
    # equal to BCE with a 0.9 target
    ref = torch.nn.functional.binary_cross_entropy_with_logits
    assert got == pytest.approx((ref(REAL, torch.full((2,), t)) + ref(FAKE, torch.zeros(2))).item())
    # through the registry, and the LS real target moves too
    nonsat = L.get_loss("nonsaturating")
    assert nonsat.d_loss(REAL, FAKE, label_smoothing=s).item() == pytest.approx(got)
    ls = L.get_loss("lsgan").d_loss(REAL, FAKE, label_smoothing=s).item()
    assert ls == pytest.approx(0.5 * ((2 - t) ** 2 + (-1 - t) ** 2) / 2 + 0.5 * (0.25 + 9) / 2)


def test_minimax_and_nonsaturating_generator_losses():
    # minimax G minimises log(1 - sigmoid(l)) = -softplus(l)
    expected_mm = (math.log(1 - 1 / (1 + math.exp(-0.5))) + math.log(1 - 1 / (1 + math.exp(3)))) / 2
    assert L.minimax_g_loss(FAKE).item() == pytest.approx(expected_mm, rel=1e-6)
    # non-saturating G minimises -log sigmoid(l)
    expected_ns = -(math.log(1 / (1 + math.exp(-0.5))) + math.log(1 / (1 + math.exp(3)))) / 2
    assert L.nonsaturating_g_loss(FAKE).item() == pytest.approx(expected_ns, rel=1e-6)


def test_bce_losses_are_stable_for_huge_logits():
    big = torch.tensor([1e4, -1e4])
    for value in (
        L.bce_d_loss(big, big),
        L.minimax_g_loss(big),
        L.nonsaturating_g_loss(big),
    ):
        assert torch.isfinite(value)
    assert L.nonsaturating_g_loss(torch.tensor([-1e4])).item() == pytest.approx(1e4)


def test_lsgan_values():
    d = 0.5 * ((2 - 1) ** 2 + (-1 - 1) ** 2) / 2 + 0.5 * (0.5**2 + 3.0**2) / 2
    assert L.lsgan_d_loss(REAL, FAKE).item() == pytest.approx(d)
    g = 0.5 * ((0.5 - 1) ** 2 + (-3 - 1) ** 2) / 2
    assert L.lsgan_g_loss(FAKE).item() == pytest.approx(g)


def test_wasserstein_values():
    assert L.wasserstein_d_loss(REAL, FAKE).item() == pytest.approx((0.5 - 3) / 2 - (2 - 1) / 2)
    assert L.wasserstein_g_loss(FAKE).item() == pytest.approx(-(0.5 - 3) / 2)


def test_hinge_values():
    # relu(1-2)=0, relu(1+1)=2 -> 1 ; relu(1.5)=1.5, relu(-2)=0 -> 0.75
    assert L.hinge_d_loss(REAL, FAKE).item() == pytest.approx(1.0 + 0.75)
    assert L.hinge_g_loss(FAKE).item() == pytest.approx(1.25)


def test_bf16_logits_are_upcast():
    out = L.bce_d_loss(REAL.bfloat16(), FAKE.bfloat16())
    assert out.dtype == torch.float32


def test_accuracy_rules():
    real = torch.tensor([0.7, 0.2, -0.1, 2.0])
    fake = torch.tensor([-0.5, 0.3, 0.6, -2.0])
    r, f = L.discriminator_accuracy(real, fake, "zero")
    assert (r.item(), f.item()) == (0.75, 0.5)
    r, f = L.discriminator_accuracy(real, fake, "half")
    assert (r.item(), f.item()) == (0.5, 0.75)
    # midpoint of means: (0.7 + (-1.6)) / 2 / 4 ... mean real 0.7, mean fake -0.4 -> t = 0.15
    r, f = L.discriminator_accuracy(real, fake, "midpoint")
    assert (r.item(), f.item()) == (0.75, 0.5)
    assert r.dim() == 0 and not r.requires_grad


def test_registry_is_the_config_choice_list_and_rejects_unknown():
    from gankit.config import all_choices

    assert all_choices()["objective.loss"] == L.LOSSES.names()
    assert {"minimax", "nonsaturating", "lsgan", "wasserstein", "hinge", "rpgan"} <= set(L.LOSSES)
    with pytest.raises(ConfigError, match=r"'objective\.loss' must be one of .*hinge.*; got"):
        L.get_loss("wgan")
