from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from gankit.nn import apply_spectral_norm, is_spectral_normed, maybe_sn


def _top_singular_value(module: nn.Module) -> float:
    w = module.weight
    if isinstance(module, nn.ConvTranspose2d):  # normalised along its output dim (1)
        w = w.transpose(0, 1)
    return torch.linalg.matrix_norm(w.reshape(w.shape[0], -1), ord=2).item()


@pytest.mark.parametrize(
    ("layer", "inp"),
    [
        (lambda: nn.Linear(40, 24), (4, 40)),
        (lambda: nn.Conv2d(6, 16, 3, padding=1), (4, 6, 8, 8)),
        (lambda: nn.Conv2d(16, 8, 4, 2, 1), (4, 16, 8, 8)),
        (lambda: nn.ConvTranspose2d(16, 8, 4, 2, 1), (4, 16, 4, 4)),
    ],
)
def test_spectral_norm_brings_top_singular_value_to_one(layer, inp):
    # Built inside the test so the seed fixture fixes the weights (and thus the spectral gap
    # that sets how fast power iteration converges).
    layer = layer()
    with torch.no_grad():
        layer.weight.mul_(5.0)  # far from 1 before normalisation
    assert _top_singular_value(layer) > 2.0
    layer = maybe_sn(layer, True)
    layer.train()
    x = torch.randn(inp)
    for _ in range(20):  # one power iteration per training-mode forward
        layer(x)
    assert _top_singular_value(layer) == pytest.approx(1.0, abs=1e-2)


def test_maybe_sn_disabled_is_a_no_op_and_enabled_is_idempotent():
    conv = nn.Conv2d(3, 4, 3)
    assert maybe_sn(conv, False) is conv and not is_spectral_normed(conv)
    same = maybe_sn(maybe_sn(conv, True), True)
    assert same is conv and is_spectral_normed(conv)
    assert len(conv.parametrizations.weight) == 1  # registered once, not stacked


def test_apply_spectral_norm_skips_embeddings_unless_asked():
    net = nn.Sequential(nn.Linear(4, 4), nn.Embedding(3, 4), nn.Embedding(3, 4))
    apply_spectral_norm(net, extra=(net[2],))
    assert is_spectral_normed(net[0])
    assert not is_spectral_normed(net[1])
    assert is_spectral_normed(net[2])


def test_spectral_norm_state_dict_round_trip_and_deepcopy():
    a = maybe_sn(nn.Conv2d(3, 8, 3), True)
    x = torch.randn(2, 3, 6, 6)
    for _ in range(3):
        a(x)
    b = maybe_sn(nn.Conv2d(3, 8, 3), True)
    b.load_state_dict(a.state_dict())
    c = copy.deepcopy(a)
    a.eval(), b.eval(), c.eval()
    assert torch.equal(a(x), b(x))
    assert torch.equal(a(x), c(x))
