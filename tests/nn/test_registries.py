"""Norm and activation registries: names map to fresh layers, unknown names to one sentence."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from gankit.errors import ConfigError
from gankit.nn import ACTIVATIONS, NORMS, ConditionalBatchNorm, is_conditional, make_norm
from gankit.nn.layers import LEAKY_SLOPE, make_activation


def test_activation_names_build_fresh_out_of_place_modules() -> None:
    assert ACTIVATIONS.names() == ("relu", "leaky_relu")
    a, b = make_activation("leaky_relu"), make_activation("leaky_relu")
    assert a is not b and isinstance(a, nn.LeakyReLU) and a.negative_slope == LEAKY_SLOPE
    assert not a.inplace and not make_activation("relu").inplace
    x = torch.tensor([-1.0, 2.0])
    assert torch.equal(a(x), torch.tensor([-0.2, 2.0]))
    with pytest.raises(ConfigError, match=r"^The activation must be one of relu, leaky_relu; got"):
        make_activation("gelu")


def test_norm_names_and_the_conditional_form() -> None:
    assert NORMS.names() == ("batch", "none")
    plain = make_norm("batch", 6, momentum=0.3)
    assert isinstance(plain, nn.BatchNorm2d) and plain.momentum == 0.3 and plain.eps == 1e-5
    assert isinstance(make_norm("batch", 6, dims=1), nn.BatchNorm1d)
    cond = make_norm("batch", 6, num_classes=3, dims=1)
    assert isinstance(cond, ConditionalBatchNorm) and cond.num_classes == 3
    assert is_conditional(cond) and not is_conditional(plain)
    assert isinstance(make_norm("none", 6, num_classes=3), nn.Identity)
    with pytest.raises(ConfigError, match=r"norm must be one of batch, none; got 'layer'"):
        make_norm("layer", 6)
