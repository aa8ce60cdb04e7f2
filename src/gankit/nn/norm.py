"""Batch norm constructors, class-conditional batch norm and the norm registry.

``batch_norm`` exists to make one peer bug impossible: ``nn.BatchNorm2d(c, 0.8)`` sets *eps*
(the second positional argument) to 0.8, not momentum. Here momentum is keyword-only.

``NORMS`` owns the names ``model.<net>.norm`` accepts. Each entry is a factory
``(channels, *, num_classes, momentum, dims) -> nn.Module``; ``num_classes > 0`` asks for the
class-conditional form (a projection generator's layers), which a norm without one may ignore.
"""

from __future__ import annotations

from typing import Protocol

from torch import Tensor, nn

from gankit.registry import Registry


class NormFactory(Protocol):
    """Builds one normalisation layer for ``channels`` features."""

    def __call__(
        self, channels: int, *, num_classes: int = 0, momentum: float = 0.1, dims: int = 2
    ) -> nn.Module: ...


def batch_norm(num_features: int, *, momentum: float = 0.1, dims: int = 2, affine: bool = True):
    """``BatchNorm1d`` (``dims=1``, for ``[N, C]``) or ``BatchNorm2d`` (``dims=2``) with the
    PyTorch momentum convention (0.1 = new statistics weigh 10%; Keras 0.8 == PyTorch 0.2)."""
    cls = {1: nn.BatchNorm1d, 2: nn.BatchNorm2d}[dims]
    return cls(num_features, momentum=momentum, affine=affine)


class ConditionalBatchNorm(nn.Module):
    """Batch norm whose scale and shift are looked up per class (de Vries et al. 2017; used by
    the projection cGAN generator, Miyato & Koyama 2018).

    Normalisation statistics are shared across classes (affine-free BN); ``gamma`` starts at 1
    and ``beta`` at 0 for every class, so at initialisation it equals plain BN.
    """

    def __init__(
        self, num_features: int, num_classes: int, *, momentum: float = 0.1, dims: int = 2
    ) -> None:
        super().__init__()
        self.num_features = num_features
        self.num_classes = num_classes
        self.bn = batch_norm(num_features, momentum=momentum, dims=dims, affine=False)
        self.gamma = nn.Embedding(num_classes, num_features)
        self.beta = nn.Embedding(num_classes, num_features)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)
        spatial = 0 if dims == 1 else dims  # [N, C] for 1d, [N, C, H, W] for 2d
        self._view = (-1, num_features) + (1,) * spatial

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        out = self.bn(x)
        gamma = self.gamma(y).view(self._view)
        beta = self.beta(y).view(self._view)
        return out * gamma + beta

    def extra_repr(self) -> str:
        return f"{self.num_features}, num_classes={self.num_classes}"


NORMS: Registry[NormFactory] = Registry("norm")


@NORMS.register("batch")
def _batch(
    channels: int, *, num_classes: int = 0, momentum: float = 0.1, dims: int = 2
) -> nn.Module:
    """Batch norm; per-class scale and shift when ``num_classes`` > 0."""
    if num_classes > 0:
        return ConditionalBatchNorm(channels, num_classes, momentum=momentum, dims=dims)
    return batch_norm(channels, momentum=momentum, dims=dims)


@NORMS.register("none")
def _identity(
    channels: int, *, num_classes: int = 0, momentum: float = 0.1, dims: int = 2
) -> nn.Module:
    """No normalisation (WGAN-GP critics, where batch statistics break the penalty)."""
    return nn.Identity()


def make_norm(
    name: str, channels: int, *, num_classes: int = 0, momentum: float = 0.1, dims: int = 2
) -> nn.Module:
    """A normalisation layer by registered name (see the module docstring)."""
    return NORMS.get(name)(channels, num_classes=num_classes, momentum=momentum, dims=dims)


def is_conditional(norm: nn.Module) -> bool:
    """Whether ``norm`` must be called as ``norm(x, y)`` with the class labels."""
    return isinstance(norm, ConditionalBatchNorm)
