from __future__ import annotations

import pytest
import torch
from torch import nn

from gankit.nn import ConditionalBatchNorm, batch_norm


@pytest.mark.parametrize("dims", [1, 2])
def test_batch_norm_sets_momentum_not_eps(dims):
    bn = batch_norm(16, momentum=0.8, dims=dims)
    assert bn.momentum == 0.8
    assert bn.eps == 1e-5
    assert isinstance(bn, nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d)


def test_batch_norm_momentum_is_keyword_only():
    with pytest.raises(TypeError):
        batch_norm(16, 0.8)  # the peer bug BatchNorm2d(c, 0.8) cannot be written


def test_conditional_bn_starts_as_plain_batch_norm():
    cbn = ConditionalBatchNorm(8, 5, momentum=0.3)
    assert cbn.bn.momentum == 0.3 and not cbn.bn.affine
    assert torch.equal(cbn.gamma.weight, torch.ones(5, 8))
    assert torch.equal(cbn.beta.weight, torch.zeros(5, 8))
    x = torch.randn(6, 8, 4, 4)
    y = torch.tensor([0, 1, 2, 3, 4, 0])
    plain = nn.BatchNorm2d(8, affine=False)
    torch.testing.assert_close(cbn(x, y), plain(x))


@pytest.mark.parametrize("dims", [1, 2])
def test_conditional_bn_uses_per_class_parameters(dims):
    cbn = ConditionalBatchNorm(4, 3, dims=dims).eval()  # eval: output per sample is independent
    with torch.no_grad():
        cbn.gamma.weight.copy_(torch.arange(1.0, 13.0).view(3, 4))
        cbn.beta.weight.copy_(-torch.arange(12.0).view(3, 4))
    shape = (1, 4) if dims == 1 else (1, 4, 2, 2)
    x = torch.randn(shape).expand(3, *shape[1:]).contiguous()  # the same sample three times
    out = cbn(x, torch.tensor([0, 1, 2]))
    assert not torch.allclose(out[0], out[1]) and not torch.allclose(out[1], out[2])
    normed = cbn.bn(x[:1])
    view = (4,) + (1,) * (dims if dims == 2 else 0)
    for k in range(3):
        expected = normed[0] * cbn.gamma.weight[k].view(view) + cbn.beta.weight[k].view(view)
        torch.testing.assert_close(out[k], expected)


def test_conditional_bn_gradients_reach_only_used_classes():
    cbn = ConditionalBatchNorm(4, 3)
    x = torch.randn(4, 4, 3, 3)
    cbn(x, torch.tensor([0, 0, 2, 2])).square().sum().backward()
    grad = cbn.gamma.weight.grad
    assert grad[1].abs().sum() == 0 and grad[0].abs().sum() > 0 and grad[2].abs().sum() > 0
