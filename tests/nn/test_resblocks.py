from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from gankit.nn import DBlock, GBlock, OptimizedDBlock


def test_gblock_upsamples_and_changes_channels():
    block = GBlock(16, 8, momentum=0.3)
    out = block(torch.randn(2, 16, 4, 4))
    assert out.shape == (2, 8, 8, 8)
    assert isinstance(block.shortcut, nn.Conv2d) and block.shortcut.kernel_size == (1, 1)
    assert block.norm1.momentum == 0.3


def test_gblock_conditional_norm_needs_labels():
    block = GBlock(8, 8, norm="conditional", num_classes=4)
    assert block(torch.randn(2, 8, 4, 4), torch.tensor([0, 3])).shape == (2, 8, 8, 8)
    with pytest.raises((TypeError, AttributeError)):
        block(torch.randn(2, 8, 4, 4))


def test_shortcut_conv_then_upsample_equals_upsample_then_conv():
    conv = nn.Conv2d(6, 4, 1)
    x = torch.randn(2, 6, 5, 5)
    up = lambda t: F.interpolate(t, scale_factor=2.0, mode="nearest")  # noqa: E731
    torch.testing.assert_close(up(conv(x)), conv(up(x)))


def test_dblocks_downsample_and_keep_identity_shortcut_when_possible():
    opt = OptimizedDBlock(3, 16)
    assert opt(torch.randn(2, 3, 32, 32)).shape == (2, 16, 16, 16)
    down = DBlock(16, 32)
    assert down(torch.randn(2, 16, 16, 16)).shape == (2, 32, 8, 8)
    keep = DBlock(32, 32, downsample=False)
    assert isinstance(keep.shortcut, nn.Identity)
    assert keep(torch.randn(2, 32, 8, 8)).shape == (2, 32, 8, 8)


def test_dblock_residual_is_exact_sum_of_paths():
    block = DBlock(4, 8)
    x = torch.randn(1, 4, 8, 8)
    main = F.avg_pool2d(block.conv2(block.act(block.conv1(block.act(x)))), 2)
    torch.testing.assert_close(block(x), main + F.avg_pool2d(block.shortcut(x), 2))
