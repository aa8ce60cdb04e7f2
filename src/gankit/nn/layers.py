"""Small stateless building blocks shared by the backbones."""

from __future__ import annotations

import torch
from torch import Tensor, nn

LEAKY_SLOPE = 0.2


def make_activation(name: str) -> nn.Module:
    """``relu`` or ``leaky_relu`` (slope 0.2, the DCGAN / MLP-GAN value); never in place, so
    double backward (gradient penalties) and autocast stay safe."""
    if name == "relu":
        return nn.ReLU()
    if name == "leaky_relu":
        return nn.LeakyReLU(LEAKY_SLOPE)
    raise ValueError(f"unknown activation '{name}'; use relu or leaky_relu")


def one_hot(y: Tensor, num_classes: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """``[N] int -> [N, K]`` one-hot by comparison with ``arange``.

    Unlike ``F.one_hot`` this does no value check on the host, so it never synchronises with
    the device and traces cleanly under ``torch.compile``.
    """
    classes = torch.arange(num_classes, device=y.device)
    return (y.unsqueeze(1) == classes).to(dtype)
