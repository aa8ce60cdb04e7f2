"""Weight initialisation schemes, applied to raw layers before spectral norm is registered.

* ``dcgan_init``: Radford et al. 2016 — conv / linear weights N(0, 0.02), biases 0, batch-norm
  scale N(1, 0.02) and shift 0. Used by the MLP and DCGAN backbones.
* ``xavier_init``: Glorot-uniform with a gain, biases 0, as in the SNGAN reference code (gain
  sqrt(2) for the 3x3 convs inside residual blocks, 1 elsewhere). Used by the ResNet backbone.

Both reach through a spectral-norm parametrization to the stored ``original`` weight, so they
also work on an already-normalised module (the power-iteration vectors then re-converge within
a few training steps).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize

_WEIGHTED = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.ConvTranspose2d)
_BATCHNORMS = (nn.BatchNorm1d, nn.BatchNorm2d)


def raw_weight(module: nn.Module) -> torch.Tensor:
    """The trainable weight tensor (the pre-normalisation one under spectral norm)."""
    if parametrize.is_parametrized(module, "weight"):
        return module.parametrizations.weight.original  # type: ignore[union-attr]
    return module.weight  # type: ignore[return-value]


@torch.no_grad()
def dcgan_init(root: nn.Module, std: float = 0.02) -> nn.Module:
    """Apply the DCGAN initialisation to every conv / linear / affine batch-norm under root."""
    for m in root.modules():
        if isinstance(m, _WEIGHTED):
            raw_weight(m).normal_(0.0, std)
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, _BATCHNORMS) and m.affine:
            m.weight.normal_(1.0, std)
            m.bias.zero_()
    return root


@torch.no_grad()
def xavier_init(module: nn.Module, gain: float = 1.0) -> nn.Module:
    """Glorot-uniform weight with ``gain`` and zero bias for one conv / linear / embedding."""
    nn.init.xavier_uniform_(raw_weight(module), gain=gain)
    bias = getattr(module, "bias", None)
    if bias is not None:
        bias.zero_()
    return module
