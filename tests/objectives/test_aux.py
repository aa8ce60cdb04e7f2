"""ACGAN auxiliary class loss: values and a toy problem it must learn."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gankit.config import ObjectiveConfig
from gankit.objectives import aux_class_loss, aux_d_loss, aux_g_loss, build_objective


def test_aux_loss_is_cross_entropy():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([0, 0])
    lse0 = math.log(math.exp(2) + 1)
    lse1 = math.log(1 + math.e)
    expected = ((lse0 - 2) + (lse1 - 0)) / 2
    assert aux_class_loss(logits, y).item() == pytest.approx(expected)
    assert aux_d_loss(logits, y, logits, y).item() == pytest.approx(2 * expected)
    assert aux_g_loss(logits, y).item() == pytest.approx(expected)
    assert aux_class_loss(logits.bfloat16(), y).dtype == torch.float32


class TinyACD(nn.Module):
    """A linear discriminator with an adversarial and a class head."""

    def __init__(self) -> None:
        super().__init__()
        self.adv = nn.Linear(2, 1)
        self.cls = nn.Linear(2, 2)

    def forward(self, x, y=None):
        return self.adv(x).squeeze(1), self.cls(x)


def blobs(n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    y = torch.randint(0, 2, (n,), generator=gen)
    centres = torch.tensor([[-2.0, -2.0], [2.0, 2.0]])
    return centres[y] + 0.7 * torch.randn(n, 2, generator=gen), y


@pytest.mark.slow  # a learning run
def test_acgan_aux_loss_learns_separable_blobs():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    d = TinyACD()
    obj = build_objective(ObjectiveConfig(aux_weight=1.0), num_classes=2, conditioning="acgan")
    opt = torch.optim.Adam(d.parameters(), lr=0.05)
    for _ in range(100):
        real, y_real = blobs(64, gen)
        fake, y_fake = blobs(64, gen)  # stand-in generator that already matches the classes
        loss, stats = obj.d_loss(d, real, fake, y_real, y_fake)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    assert {"d_aux", "d_cls_acc", "d_loss"} <= set(stats)
    x_test, y_test = blobs(1000, gen)
    with torch.no_grad():
        acc = (d(x_test)[1].argmax(1) == y_test).float().mean().item()
    assert acc > 0.95


def test_aux_d_loss_without_fakes_is_the_real_term_only():
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([0, 1])
    assert aux_d_loss(logits, y).item() == pytest.approx(aux_class_loss(logits, y).item())


@pytest.mark.parametrize("on_fake", [True, False])
def test_aux_d_on_fake_decides_whether_fake_labels_train_the_class_head(on_fake):
    torch.manual_seed(0)
    d = TinyACD()
    real, y_real = blobs(32, torch.Generator().manual_seed(1))
    fake = torch.randn(32, 2)
    y_fake = torch.randint(0, 2, (32,))
    cfg = ObjectiveConfig(aux_weight=1.0, aux_d_on_fake=on_fake)
    obj = build_objective(cfg, num_classes=2, conditioning="acgan")
    _, stats = obj.d_loss(d, real, fake, y_real, y_fake)
    with torch.no_grad():
        real_term = aux_class_loss(d(real)[1], y_real)
        fake_term = aux_class_loss(d(fake)[1], y_fake)
    expected = real_term + fake_term if on_fake else real_term
    assert stats["d_aux"].item() == pytest.approx(expected.item(), rel=1e-6)
