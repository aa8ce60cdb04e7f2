"""Spectral normalisation (Miyato et al. 2018) for any weight-carrying layer.

The parametrization API (``torch.nn.utils.parametrizations.spectral_norm``) is used rather than
the old hook-based ``torch.nn.utils.spectral_norm``: it survives ``state_dict`` round trips,
``deepcopy`` (EMA copies), DDP and ``torch.compile``. The power-iteration vectors ``u``/``v``
are buffers updated once per forward in train mode; eval mode reuses them, so a frozen network
is deterministic.
"""

from __future__ import annotations

from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import spectral_norm

# Layers that get spectral norm when a whole network is normalised. Embeddings are left out on
# purpose: label embeddings that feed conditional BN or scale the latent are not linear maps
# of the previous activation; the projection discriminator opts its embedding in explicitly.
SN_LAYER_TYPES: tuple[type[nn.Module], ...] = (
    nn.Linear,
    nn.Conv1d,
    nn.Conv2d,
    nn.ConvTranspose2d,
)


def is_spectral_normed(module: nn.Module) -> bool:
    """Whether ``module.weight`` is already produced by a parametrization."""
    return parametrize.is_parametrized(module, "weight")


def maybe_sn(module: nn.Module, enabled: bool, *, n_power_iterations: int = 1) -> nn.Module:
    """Return ``module`` with spectral norm on its weight when ``enabled`` (idempotent).

    ``ConvTranspose2d`` is normalised along its output dimension (dim 1), which torch chooses
    automatically. The module is modified in place and returned for chaining.
    """
    if not enabled or is_spectral_normed(module):
        return module
    return spectral_norm(module, n_power_iterations=n_power_iterations)


def apply_spectral_norm(root: nn.Module, *, extra: tuple[nn.Module, ...] = ()) -> nn.Module:
    """Spectral-normalise every linear/conv layer under ``root`` plus the ``extra`` modules.

    Call this after weight initialisation: registering the parametrization runs 15 power
    iterations on the weight it sees, so initialising afterwards would leave stale ``u``/``v``.
    """
    targets = [m for m in root.modules() if isinstance(m, SN_LAYER_TYPES)]
    for module in (*targets, *extra):
        maybe_sn(module, True)
    return root
