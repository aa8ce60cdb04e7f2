"""The original fully connected GAN (Goodfellow et al. 2014, PyTorch-GAN ``gan.py`` layout).

Widths scale with ``NetConfig.width`` (default 64):

* generator: ``in_dim -> 4w -> 8w -> 16w -> C*H*W`` then tanh (256-512-1024 at w=64);
* discriminator: ``C*H*W (+K) -> 8w -> 4w -> heads`` (512-256 at w=64).

Hidden layers use ``activation`` (the classic MLP GAN uses ``leaky_relu``, slope 0.2) and
optional dropout. With ``norm: batch`` the hidden layers after the first get batch norm
(conditional BN in a projection generator); the first layer never does, as in the classic
model. Any image size works (the image is flattened).
"""

from __future__ import annotations

import itertools

from torch import Tensor, nn

from gankit.config import NetConfig
from gankit.models.backbone import Backbone, register_backbone
from gankit.models.base import Discriminator, Generator
from gankit.nn.init import dcgan_init
from gankit.nn.layers import make_activation
from gankit.nn.norm import is_conditional, make_norm
from gankit.nn.spectral import apply_spectral_norm


class _Dense(nn.Module):
    """linear -> [norm] -> activation -> [dropout]; the norm is class-conditional when
    ``num_classes`` > 0 (a projection generator)."""

    def __init__(
        self, c_in: int, c_out: int, *, norm: str, num_classes: int, net: NetConfig
    ) -> None:
        super().__init__()
        self.linear = nn.Linear(c_in, c_out, bias=norm == "none")
        self.norm = make_norm(
            norm, c_out, num_classes=num_classes, momentum=net.bn_momentum, dims=1
        )
        self.conditional = is_conditional(self.norm)
        self.act = make_activation(net.activation)
        self.drop = nn.Dropout(net.dropout) if net.dropout > 0 else nn.Identity()

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        h = self.linear(x)
        h = self.norm(h, y) if self.conditional else self.norm(h)
        return self.drop(self.act(h))


class MLPGenerator(Generator):
    """``z -> 4w -> 8w -> 16w -> C*H*W -> tanh``, reshaped to ``[N, C, H, W]``."""

    def __init__(self, net: NetConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        w = net.width
        sizes = [self.in_dim, 4 * w, 8 * w, 16 * w]
        norm_classes = self.num_classes if self.conditional_bn else 0
        self.blocks = nn.ModuleList(
            _Dense(a, b, norm="none" if i == 0 else net.norm, num_classes=norm_classes, net=net)
            for i, (a, b) in enumerate(itertools.pairwise(sizes))
        )
        c, h, w_img = self.image_shape
        self.out = nn.Linear(sizes[-1], c * h * w_img)
        dcgan_init(self)
        if net.spectral_norm:
            apply_spectral_norm(self)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        y = self.check_labels(y)
        h = self.latent_input(z, y)
        for block in self.blocks:
            h = block(h, y)
        return self.out(h).tanh().view(-1, *self.image_shape)


class MLPDiscriminator(Discriminator):
    """``C*H*W (+K) -> 8w -> 4w -> heads``."""

    def __init__(self, net: NetConfig, **kwargs) -> None:
        super().__init__(flat_input=True, **kwargs)
        w = net.width
        self.blocks = nn.Sequential(
            _Dense(self.in_features, 8 * w, norm="none", num_classes=0, net=net),
            _Dense(8 * w, 4 * w, norm=net.norm, num_classes=0, net=net),
        )
        dcgan_init(self)
        self.build_heads(4 * w, init="dcgan", spectral_norm=net.spectral_norm)

    def features(self, x: Tensor) -> Tensor:
        return self.blocks(x)


register_backbone(Backbone("mlp", MLPGenerator, MLPDiscriminator, sizes=None))
