"""Residual blocks of the SNGAN ResNet backbone (Miyato et al. 2018, appendix B).

Generator block (pre-activation, upsampling)::

    main:     norm -> act -> up2 -> conv3x3 -> norm -> act -> conv3x3
    shortcut: conv1x1 -> up2          (learnable when channels change or upsampling)

Nearest-neighbour upsampling commutes exactly with a 1x1 conv, so the shortcut convolves first
and upsamples afterwards: same function as the paper's up-then-conv, 4x fewer FLOPs.

Discriminator blocks (average-pool downsampling)::

    DBlock:          act -> conv3x3 -> act -> conv3x3 -> avgpool2;  shortcut conv1x1 -> avgpool2
    OptimizedDBlock: conv3x3 -> act -> conv3x3 -> avgpool2;         shortcut avgpool2 -> conv1x1

The optimized block is the first block on the raw image: no activation before the first conv
(it would clip the pixels) and the shortcut pools first to save compute.

Weights use Glorot-uniform init (gain sqrt(2) on the 3x3 convs, 1 on the shortcut) like the
reference implementation. Spectral norm is applied by the caller with ``apply_spectral_norm``.
"""

from __future__ import annotations

import math

import torch.nn.functional as F
from torch import Tensor, nn

from gankit.nn.init import xavier_init
from gankit.nn.layers import make_activation
from gankit.nn.norm import make_norm

_RES_GAIN = math.sqrt(2.0)


def _norm(kind: str, channels: int, num_classes: int, momentum: float) -> nn.Module:
    """``conditional`` is the class-conditional form of ``batch``; other kinds are registered
    norm names (:data:`gankit.nn.norm.NORMS`)."""
    if kind == "conditional":
        return make_norm("batch", channels, num_classes=num_classes, momentum=momentum)
    return make_norm(kind, channels, momentum=momentum)


def _conv(c_in: int, c_out: int, k: int, gain: float) -> nn.Conv2d:
    return xavier_init(nn.Conv2d(c_in, c_out, k, padding=k // 2), gain)  # type: ignore[return-value]


class GBlock(nn.Module):
    """Upsampling residual block of the generator.

    ``norm`` is ``batch``, ``conditional`` (class-conditional BN; then ``forward`` needs ``y``)
    or ``none``.
    """

    def __init__(
        self,
        c_in: int,
        c_out: int,
        *,
        upsample: bool = True,
        norm: str = "batch",
        num_classes: int = 0,
        momentum: float = 0.1,
        activation: str = "relu",
    ) -> None:
        super().__init__()
        self.upsample = upsample
        self.conditional = norm == "conditional"
        self.norm1 = _norm(norm, c_in, num_classes, momentum)
        self.conv1 = _conv(c_in, c_out, 3, _RES_GAIN)
        self.norm2 = _norm(norm, c_out, num_classes, momentum)
        self.conv2 = _conv(c_out, c_out, 3, _RES_GAIN)
        self.act = make_activation(activation)
        learnable = c_in != c_out or upsample
        self.shortcut = _conv(c_in, c_out, 1, 1.0) if learnable else nn.Identity()

    def _normed(self, norm: nn.Module, x: Tensor, y: Tensor | None) -> Tensor:
        return norm(x, y) if self.conditional else norm(x)

    def _up(self, x: Tensor) -> Tensor:
        return F.interpolate(x, scale_factor=2.0, mode="nearest") if self.upsample else x

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        h = self.act(self._normed(self.norm1, x, y))
        h = self.conv1(self._up(h))
        h = self.act(self._normed(self.norm2, h, y))
        h = self.conv2(h)
        return h + self._up(self.shortcut(x))


class DBlock(nn.Module):
    """Residual block of the discriminator (pre-activation, optional average-pool downsampling).

    ``norm="batch"`` adds BN before each activation (not in SNGAN; offered because the config
    allows a batch-norm discriminator).
    """

    def __init__(
        self,
        c_in: int,
        c_out: int,
        *,
        downsample: bool = True,
        activation: str = "relu",
        norm: str = "none",
        momentum: float = 0.1,
    ) -> None:
        super().__init__()
        self.downsample = downsample
        self.norm1 = _norm(norm, c_in, 0, momentum)
        self.conv1 = _conv(c_in, c_out, 3, _RES_GAIN)
        self.norm2 = _norm(norm, c_out, 0, momentum)
        self.conv2 = _conv(c_out, c_out, 3, _RES_GAIN)
        self.act = make_activation(activation)
        learnable = c_in != c_out or downsample
        self.shortcut = _conv(c_in, c_out, 1, 1.0) if learnable else nn.Identity()

    def _down(self, x: Tensor) -> Tensor:
        return F.avg_pool2d(x, 2) if self.downsample else x

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv1(self.act(self.norm1(x)))
        h = self.conv2(self.act(self.norm2(h)))
        return self._down(h) + self._down(self.shortcut(x))


class OptimizedDBlock(nn.Module):
    """First discriminator block: sees raw pixels, always downsamples."""

    def __init__(
        self,
        c_in: int,
        c_out: int,
        *,
        activation: str = "relu",
        norm: str = "none",
        momentum: float = 0.1,
    ) -> None:
        super().__init__()
        self.conv1 = _conv(c_in, c_out, 3, _RES_GAIN)
        self.norm = _norm(norm, c_out, 0, momentum)
        self.conv2 = _conv(c_out, c_out, 3, _RES_GAIN)
        self.act = make_activation(activation)
        self.shortcut = _conv(c_in, c_out, 1, 1.0)

    def forward(self, x: Tensor) -> Tensor:
        h = self.conv2(self.act(self.norm(self.conv1(x))))
        return F.avg_pool2d(h, 2) + self.shortcut(F.avg_pool2d(x, 2))
