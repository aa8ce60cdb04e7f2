"""Small stateless building blocks shared by the backbones, and the activation registry.

``ACTIVATIONS`` owns the names ``model.<net>.activation`` accepts: each entry builds a fresh
module. A new activation is one ``@ACTIVATIONS.register("name")`` factory (in a module the
``gankit.nn`` package imports); configs, errors and ``gankit recipes`` pick it up from here.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn

from gankit.registry import Registry

LEAKY_SLOPE = 0.2

ACTIVATIONS: Registry[Callable[[], nn.Module]] = Registry("activation")


@ACTIVATIONS.register("relu")
def _relu() -> nn.Module:
    return nn.ReLU()


@ACTIVATIONS.register("leaky_relu")
def _leaky_relu() -> nn.Module:
    """Slope 0.2, the DCGAN / MLP-GAN value."""
    return nn.LeakyReLU(LEAKY_SLOPE)


def make_activation(name: str) -> nn.Module:
    """A fresh activation module by registered name; never in place, so double backward
    (gradient penalties) and autocast stay safe."""
    return ACTIVATIONS.get(name)()


def one_hot(y: Tensor, num_classes: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """``[N] int -> [N, K]`` one-hot by comparison with ``arange``.

    Unlike ``F.one_hot`` this does no value check on the host, so it never synchronises with
    the device and traces cleanly under ``torch.compile``.
    """
    classes = torch.arange(num_classes, device=y.device)
    return (y.unsqueeze(1) == classes).to(dtype)
