"""One real optimisation step per model: gradients reach every parameter (DDP needs no
find_unused_parameters), parameters move, the objective improves, nothing turns NaN."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from gankit.models import build_discriminator, build_generator
from gankit.nn import SelfAttention

MODELS = [
    ("mlp", "none", {}),
    ("mlp", "concat", {"dropout": 0.2}),
    ("mlp", "projection", {}),
    ("dcgan", "none", {}),
    ("dcgan", "acgan", {"spectral_norm": True}),
    ("dcgan", "projection", {"attention_res": 8}),
    ("resnet", "none", {"spectral_norm": True}),
    ("resnet", "concat", {}),
    ("resnet", "acgan", {"attention_res": 8}),
    ("resnet", "projection", {"spectral_norm": True, "attention_res": 8}),
]


def _in_attention(net: torch.nn.Module, name: str) -> bool:
    if ".parametrizations." in name:
        layer = name.split(".parametrizations.")[0]
    else:
        layer = name.rsplit(".", 1)[0]
    return isinstance(net.get_submodule(layer.rsplit(".", 1)[0]), SelfAttention)


def _loss(adv: torch.Tensor, cls: torch.Tensor | None) -> torch.Tensor:
    """Dummy 'real' loss: softplus(-adv) plus a class term when there is a class head."""
    return F.softplus(-adv).mean() + (cls.logsumexp(1).mean() if cls is not None else 0.0)


@pytest.mark.parametrize(("arch", "conditioning", "options"), MODELS)
def test_one_optimisation_step(make_cfg, arch, conditioning, options):
    cfg = make_cfg(arch, conditioning=conditioning, **options)
    shape = (3, 16, 16)
    g = build_generator(cfg, image_shape=shape, num_classes=10).train()
    d = build_discriminator(cfg, image_shape=shape, num_classes=10).train()
    z, y = g.sample_latent(4), torch.tensor([0, 3, 3, 9])
    real = torch.rand(4, *shape) * 2 - 1

    # discriminator step: every parameter gets a gradient
    d_opt = torch.optim.Adam(d.parameters(), lr=1e-3)
    d_before = {n: p.detach().clone() for n, p in d.named_parameters()}
    d_loss = _loss(*d(real, y)) + F.softplus(d(g(z, y).detach(), y)[0]).mean()
    d_loss.backward()
    missing = [n for n, p in d.named_parameters() if p.grad is None]
    assert not missing, missing
    d_opt.step()
    still = [n for n, p in d.named_parameters() if torch.equal(d_before[n], p)]
    # only the attention projections may sit still: their gradient is 0 while gamma is 0
    assert all(_in_attention(d, n) for n in still), still
    assert all(torch.isfinite(p).all() for p in d.parameters())

    # generator step against a frozen (eval) discriminator: the loss must go down
    d.eval()
    for p in d.parameters():
        p.requires_grad_(False)
    g_opt = torch.optim.SGD(g.parameters(), lr=1e-2)

    def g_loss() -> torch.Tensor:
        torch.manual_seed(1)  # the same dropout mask before and after the step
        return -d(g(z, y), y)[0].mean()

    before = g_loss()
    before.backward()
    missing = [n for n, p in g.named_parameters() if p.grad is None]
    assert not missing, missing
    g_opt.step()
    with torch.no_grad():
        after = g_loss()
    assert torch.isfinite(after) and after.item() < before.item()
    assert all(torch.isfinite(p).all() for p in g.parameters())
