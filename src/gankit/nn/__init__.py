"""Reusable layers: spectral norm, self-attention, conditional batch norm, residual blocks,
initialisation schemes, and the norm and activation registries. Pure ``nn.Module`` code with no
training dependencies."""

from __future__ import annotations

from gankit.nn.attention import SelfAttention
from gankit.nn.init import dcgan_init, raw_weight, xavier_init
from gankit.nn.layers import ACTIVATIONS, make_activation, one_hot
from gankit.nn.norm import NORMS, ConditionalBatchNorm, batch_norm, is_conditional, make_norm
from gankit.nn.resblocks import DBlock, GBlock, OptimizedDBlock
from gankit.nn.spectral import apply_spectral_norm, is_spectral_normed, maybe_sn

__all__ = [
    "ACTIVATIONS",
    "NORMS",
    "ConditionalBatchNorm",
    "DBlock",
    "GBlock",
    "OptimizedDBlock",
    "SelfAttention",
    "apply_spectral_norm",
    "batch_norm",
    "dcgan_init",
    "is_conditional",
    "is_spectral_normed",
    "make_activation",
    "make_norm",
    "maybe_sn",
    "one_hot",
    "raw_weight",
    "xavier_init",
]
