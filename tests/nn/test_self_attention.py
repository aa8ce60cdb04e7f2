from __future__ import annotations

import torch

from gankit.nn import SelfAttention


def test_attention_with_gamma_zero_is_exactly_identity():
    block = SelfAttention(32)
    x = torch.randn(3, 32, 8, 8)
    assert block.gamma.item() == 0.0
    assert torch.equal(block(x), x)
    sn_block = SelfAttention(32, spectral_norm=True)
    assert torch.equal(sn_block(x), x)


def test_attention_channel_sizes():
    block = SelfAttention(64)
    assert block.query.out_channels == 8 and block.key.out_channels == 8
    assert block.value.out_channels == 32 and block.out.out_channels == 64
    small = SelfAttention(4)  # C/8 rounds up to one channel rather than zero
    assert small.query.out_channels == 1


def test_attention_matches_reference_softmax_over_positions():
    torch.manual_seed(1)
    block = SelfAttention(16)
    with torch.no_grad():
        block.gamma.fill_(0.7)
    x = torch.randn(2, 16, 4, 5)
    q = torch.einsum("oc,nchw->nhwo", block.query.weight[:, :, 0, 0], x).reshape(2, 20, -1)
    k = torch.einsum("oc,nchw->nhwo", block.key.weight[:, :, 0, 0], x).reshape(2, 20, -1)
    v = torch.einsum("oc,nchw->nhwo", block.value.weight[:, :, 0, 0], x).reshape(2, 20, -1)
    beta = torch.softmax(q @ k.transpose(1, 2), dim=-1)  # each query position sums to 1
    o = (beta @ v).reshape(2, 4, 5, -1)
    o = torch.einsum("oc,nhwc->nohw", block.out.weight[:, :, 0, 0], o)
    torch.testing.assert_close(block(x), x + 0.7 * o, rtol=1e-4, atol=1e-5)


def test_attention_supports_double_backward_and_channels_last():
    block = SelfAttention(16, spectral_norm=True)
    with torch.no_grad():
        block.gamma.fill_(0.5)
    x = torch.randn(2, 16, 4, 4, requires_grad=True)
    (g,) = torch.autograd.grad(block(x).square().sum(), x, create_graph=True)
    g.square().sum().backward()  # gradient-penalty style second derivative
    assert block.gamma.grad is not None and torch.isfinite(block.gamma.grad)
    block.eval()
    xc = x.detach().contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(block(xc), block(x.detach()), rtol=1e-5, atol=1e-6)
