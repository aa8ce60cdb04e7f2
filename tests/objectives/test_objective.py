"""build_objective composition: stats keys, detaching, penalties, clipping, config errors."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gankit.config import Config, ObjectiveConfig
from gankit.errors import ConfigError
from gankit.objectives import Objective, build_objective
from gankit.objectives.losses import hinge_d_loss, nonsaturating_g_loss


class ConvD(nn.Module):
    """Tiny conv discriminator; optional class head (ACGAN)."""

    def __init__(self, channels: int = 3, classes: int = 0) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(channels, 4, 3, 2, 1), nn.LeakyReLU(0.2), nn.Flatten())
        self.adv = nn.Linear(4 * 4 * 4, 1)
        self.cls = nn.Linear(4 * 4 * 4, classes) if classes else None

    def forward(self, x, y=None):
        h = self.body(x)
        return self.adv(h).squeeze(1), (self.cls(h) if self.cls is not None else None)


def batch(channels=3, n=4):
    return torch.randn(n, channels, 8, 8), torch.randn(n, channels, 8, 8, requires_grad=True)


def test_default_objective_stats_and_detached_fake():
    torch.manual_seed(0)
    obj = build_objective(ObjectiveConfig(), num_classes=0)
    assert isinstance(obj, Objective) and obj.n_critic == 1
    d = ConvD()
    real, fake = batch()
    loss, stats = obj.d_loss(d, real, fake, None, None)
    assert set(stats) == {"d_loss", "d_real_acc", "d_fake_acc"}
    assert all(v.dim() == 0 and not v.requires_grad for v in stats.values())
    loss.backward()
    assert fake.grad is None  # the objective detached G's output
    assert d.adv.weight.grad is not None
    g, gstats = obj.g_loss(d, fake, None)
    assert set(gstats) == {"g_loss"}
    g.backward()
    assert fake.grad is not None  # G's loss reaches G's output
    with torch.no_grad():
        expected = nonsaturating_g_loss(d(fake)[0])
    assert g.item() == pytest.approx(expected.item())


def test_wgan_gp_stats_and_value():
    torch.manual_seed(0)
    obj = build_objective(
        ObjectiveConfig(loss="wasserstein", gp_weight=10.0, n_critic=5), num_classes=0
    )
    assert obj.n_critic == 5
    loss, stats = obj.d_loss(ConvD(channels=1), *batch(channels=1))
    assert {"gp", "w_dist"} <= set(stats)
    assert loss.item() == pytest.approx((-stats["w_dist"] + stats["gp"]).item(), rel=1e-5)


def test_r1_and_hinge():
    torch.manual_seed(0)
    obj = build_objective(ObjectiveConfig(loss="hinge", r1_weight=1.0), num_classes=0)
    d = ConvD()
    real, fake = batch()
    loss, stats = obj.d_loss(d, real, fake)
    assert stats["r1"].item() > 0
    with torch.no_grad():
        hinge = hinge_d_loss(d(real)[0], d(fake)[0])
    assert loss.item() == pytest.approx((hinge + stats["r1"]).item(), rel=1e-5)
    loss.backward()
    assert real.grad is None  # R1 made a grad-tracking copy, not mutate the caller's tensor


def test_weight_clip_after_d_step():
    obj = build_objective(ObjectiveConfig(loss="wasserstein", weight_clip=0.01), num_classes=0)
    d = ConvD()
    obj.after_d_step(d)
    assert max(p.abs().max().item() for p in d.parameters()) <= 0.01


def test_acgan_stats_and_missing_class_head():
    torch.manual_seed(0)
    cfg = Config()
    cfg.model.conditioning = "acgan"
    obj = build_objective(cfg, num_classes=3)
    y = torch.tensor([0, 1, 2, 1])
    _, stats = obj.d_loss(ConvD(classes=3), *batch(), y, y)
    assert {"d_aux", "d_cls_acc"} <= set(stats)
    _, gstats = obj.g_loss(ConvD(classes=3), batch()[1], y)
    assert "g_aux" in gstats
    with pytest.raises(ConfigError, match="class head"):
        obj.d_loss(ConvD(classes=0), *batch(), y, y)
    with pytest.raises(ConfigError, match="at least 2 classes"):
        build_objective(cfg, num_classes=0)
    # other conditionings ignore any class logits; auto mode uses them when present
    off = build_objective(ObjectiveConfig(), num_classes=3, conditioning="projection")
    assert "d_aux" not in off.d_loss(ConvD(classes=3), *batch(), y, y)[1]
    auto = build_objective(ObjectiveConfig(), num_classes=3)
    assert "d_aux" in auto.d_loss(ConvD(classes=3), *batch(), y, y)[1]


def test_diffaugment_objective_runs_on_grey_and_colour():
    torch.manual_seed(0)
    obj = build_objective(ObjectiveConfig(diffaugment="translation,cutout,color"), num_classes=0)
    for c in (1, 3):
        d = ConvD(channels=c)
        real, fake = batch(channels=c)
        loss, _ = obj.d_loss(d, real, fake)
        loss.backward()
        g, _ = obj.g_loss(d, fake)
        g.backward()
        assert fake.grad is not None and fake.grad.abs().sum() > 0


def test_bf16_autocast_with_gp():
    torch.manual_seed(0)
    obj = build_objective(ObjectiveConfig(loss="wasserstein", gp_weight=10.0), num_classes=0)
    d = ConvD()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        loss, _ = obj.d_loss(d, *batch())
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    loss.backward()
    assert all(torch.isfinite(p.grad).all() for p in d.parameters())


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"loss": "hinge", "label_smoothing": 0.1}, "label_smoothing"),
        ({"loss": "bogus"}, "objective.loss"),
        ({"n_critic": 0}, "n_critic"),
        ({"gp_weight": -1.0}, ">= 0"),
    ],
)
def test_invalid_configs_raise_config_error(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        build_objective(ObjectiveConfig(**kwargs), num_classes=0)
