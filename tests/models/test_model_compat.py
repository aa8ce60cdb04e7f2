"""Speed-related compatibility: autocast bf16, channels_last, torch.compile tracing,
double backward (gradient penalties), state_dict round trips and deepcopy (EMA)."""

from __future__ import annotations

import copy

import pytest
import torch

from gankit.models import build_discriminator, build_generator

VARIANTS = [
    ("mlp", "concat", {}),
    ("dcgan", "acgan", {"attention_res": 8}),
    ("resnet", "projection", {"spectral_norm": True, "attention_res": 8}),
]


def _pair(make_cfg, arch, conditioning, options, shape=(3, 32, 32)):
    cfg = make_cfg(arch, conditioning=conditioning, **options)
    g = build_generator(cfg, image_shape=shape, num_classes=10)
    d = build_discriminator(cfg, image_shape=shape, num_classes=10)
    return cfg, g, d


def _with_attention_on(net: torch.nn.Module) -> None:
    for name, p in net.named_parameters():
        if name.endswith("gamma") and p.ndim == 0:
            with torch.no_grad():
                p.fill_(0.5)


@pytest.mark.parametrize(("arch", "conditioning", "options"), VARIANTS)
def test_autocast_bf16_forward_backward(make_cfg, arch, conditioning, options):
    _, g, d = _pair(make_cfg, arch, conditioning, options)
    y = torch.tensor([1, 2, 3])
    with torch.autocast("cpu", dtype=torch.bfloat16):
        x = g(g.sample_latent(3), y)
        adv, cls = d(x, y)
    assert x.shape == (3, 3, 32, 32) and torch.isfinite(x.float()).all()
    (adv.float().mean() + (cls.float().mean() if cls is not None else 0)).backward()
    assert all(p.grad is not None for p in g.parameters())


@pytest.mark.parametrize(("arch", "conditioning", "options"), VARIANTS)
def test_channels_last_matches_contiguous(make_cfg, arch, conditioning, options):
    _, g, d = _pair(make_cfg, arch, conditioning, options)
    _with_attention_on(g), _with_attention_on(d)
    g.eval(), d.eval()
    y = torch.tensor([4, 5])
    z = g.sample_latent(2)
    x = torch.rand(2, 3, 32, 32) * 2 - 1
    with torch.no_grad():
        ref_g, ref_d = g(z, y), d(x, y)[0]
        g_cl = g.to(memory_format=torch.channels_last)
        d_cl = d.to(memory_format=torch.channels_last)
        out_g = g_cl(z, y)
        out_d = d_cl(x.contiguous(memory_format=torch.channels_last), y)[0]
    torch.testing.assert_close(out_g, ref_g, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(out_d, ref_d, rtol=1e-4, atol=1e-4)


@pytest.mark.slow  # torch.compile
def test_models_trace_as_one_graph_under_torch_compile(make_cfg):
    """fullgraph=True fails on any graph break (data-dependent branch, .item(), ...). The
    eager backend traces with Dynamo without paying for code generation."""
    torch._dynamo.reset()
    _, g, d = _pair(make_cfg, *VARIANTS[2], shape=(3, 16, 16))
    _with_attention_on(g), _with_attention_on(d)
    g.eval(), d.eval()
    y = torch.tensor([0, 7])
    z = g.sample_latent(2)
    with torch.no_grad():
        ref = d(g(z, y), y)[0]
        cg = torch.compile(g, backend="eager", fullgraph=True)
        cd = torch.compile(d, backend="eager", fullgraph=True)
        out = cd(cg(z, y), y)[0]
    torch.testing.assert_close(out, ref)
    torch._dynamo.reset()


@pytest.mark.parametrize(("arch", "conditioning", "options"), VARIANTS)
def test_double_backward_for_gradient_penalty(make_cfg, arch, conditioning, options):
    cfg = make_cfg(arch, conditioning=conditioning, **options)
    cfg.discriminator.norm = "none"  # WGAN-GP critics have no batch norm
    d = build_discriminator(cfg, image_shape=(3, 32, 32), num_classes=10)
    _with_attention_on(d)
    x = torch.randn(2, 3, 32, 32, requires_grad=True)
    adv, _ = d(x, torch.tensor([1, 2]))
    (grad,) = torch.autograd.grad(adv.sum(), x, create_graph=True)
    penalty = (grad.flatten(1).norm(dim=1) - 1).square().mean()
    penalty.backward()
    # the penalty reaches every weight on the path to x (head biases and the ACGAN class
    # head do not influence d adv / d x, so they rightly get no gradient)
    grads = {n: p.grad for n, p in d.named_parameters() if p.grad is not None}
    assert all(torch.isfinite(g).all() for g in grads.values())
    weights = [n for n, p in d.named_parameters() if p.ndim >= 2 and "class_head" not in n]
    assert all(n in grads and grads[n].abs().sum() > 0 for n in weights if "embed" not in n)


@pytest.mark.parametrize(("arch", "conditioning", "options"), VARIANTS)
def test_state_dict_round_trip_and_deepcopy(make_cfg, arch, conditioning, options):
    cfg, g, d = _pair(make_cfg, arch, conditioning, options)
    y = torch.tensor([1, 8])
    z = g.sample_latent(2)
    for _ in range(2):  # move BN statistics and SN vectors away from their initial values
        d(g(z, y), y)
    g.eval(), d.eval()
    g2 = build_generator(cfg, image_shape=(3, 32, 32), num_classes=10)
    d2 = build_discriminator(cfg, image_shape=(3, 32, 32), num_classes=10)
    g2.load_state_dict(g.state_dict())
    d2.load_state_dict(d.state_dict())
    g2.eval(), d2.eval()
    ema = copy.deepcopy(g)
    with torch.no_grad():
        x = g(z, y)
        torch.testing.assert_close(g2(z, y), x)
        torch.testing.assert_close(ema(z, y), x)
        torch.testing.assert_close(d2(x, y)[0], d(x, y)[0])
