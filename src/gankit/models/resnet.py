"""SNGAN ResNet backbone (Miyato et al. 2018) for 16, 28, 32 and 64 px, with optional SAGAN
self-attention and projection conditioning (Miyato & Koyama 2018).

Generator: linear ``in_dim -> b*b*c0`` (``b = 7`` for 28 px, else 4), upsampling residual
blocks, then ``BN -> ReLU -> conv3x3 -> tanh``. Discriminator: an optimized first block,
residual blocks (average-pool downsampling), activation, global *sum* pooling, linear heads.

Channel plans (multiples of ``width``; ``width=64`` gives the paper's CIFAR-10 networks,
256-channel G and 128-channel D)::

    size  G (after linear, after each up-block)  D blocks (channels, downsample)
    16    4w, 4w, 4w                             2w down, 2w down, 2w, 2w
    28    4w, 4w, 4w        (7 -> 14 -> 28)      2w down, 2w down, 2w, 2w     (28 -> 14 -> 7)
    32    4w, 4w, 4w, 4w                         2w down, 2w down, 2w, 2w     (32 -> 16 -> 8)
    64    16w, 8w, 4w, 2w, w                     w down, 2w down, 4w down, 8w down, 16w

SNGAN puts spectral norm on every discriminator layer (``discriminator.spectral_norm: true``)
and uses ReLU in both networks (set ``discriminator.activation: relu``; the schema's
discriminator default is leaky_relu). A projection generator uses conditional BN inside the
blocks and plain BN before the output conv, as in the reference code. ``dropout`` is ignored by
this backbone.
"""

from __future__ import annotations

import itertools

from torch import Tensor, nn

from gankit.config import NetConfig
from gankit.models.backbone import Backbone, check_attention, register_backbone
from gankit.models.base import Discriminator, Generator
from gankit.nn.attention import SelfAttention
from gankit.nn.init import xavier_init
from gankit.nn.layers import make_activation
from gankit.nn.norm import make_norm
from gankit.nn.resblocks import DBlock, GBlock, OptimizedDBlock
from gankit.nn.spectral import apply_spectral_norm

BASE_SIZE = {16: 4, 28: 7, 32: 4, 64: 4}
G_CHANNELS = {16: (4, 4, 4), 28: (4, 4, 4), 32: (4, 4, 4, 4), 64: (16, 8, 4, 2, 1)}
D_BLOCKS: dict[int, tuple[tuple[int, bool], ...]] = {
    16: ((2, True), (2, True), (2, False), (2, False)),
    28: ((2, True), (2, True), (2, False), (2, False)),
    32: ((2, True), (2, True), (2, False), (2, False)),
    64: ((1, True), (2, True), (4, True), (8, True), (16, False)),
}


def generator_attention_sizes(size: int) -> list[int]:
    return [BASE_SIZE[size] * 2**i for i in range(len(G_CHANNELS[size]))]


def discriminator_attention_sizes(size: int) -> list[int]:
    sizes, res = [], size
    for _, down in D_BLOCKS[size]:
        res = res // 2 if down else res
        if res not in sizes:
            sizes.append(res)
    return sizes


class ResNetGenerator(Generator):
    """Linear to ``b x b``, up-blocks, BN-ReLU-conv3x3-tanh."""

    def __init__(self, net: NetConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        c_img, size, _ = self.image_shape
        base = BASE_SIZE[size]
        check_attention(net.attention_res, generator_attention_sizes(size), "generator")
        chans = [m * net.width for m in G_CHANNELS[size]]
        block_norm = "conditional" if net.norm == "batch" and self.conditional_bn else net.norm
        self.base_shape = (chans[0], base, base)
        self.linear = xavier_init(nn.Linear(self.in_dim, chans[0] * base * base))
        self.blocks = nn.ModuleList(
            GBlock(
                c_in,
                c_out,
                upsample=True,
                norm=block_norm,
                num_classes=self.num_classes,
                momentum=net.bn_momentum,
                activation=net.activation,
            )
            for c_in, c_out in itertools.pairwise(chans)
        )
        # attention[i] follows stage i (0 = the linear projection, i = block i)
        self.attention = nn.ModuleList(
            SelfAttention(c) if net.attention_res == base * 2**i else nn.Identity()
            for i, c in enumerate(chans)
        )
        # Plain (not class-conditional) before the output conv, as in the reference code.
        self.out_norm = make_norm(net.norm, chans[-1], momentum=net.bn_momentum)
        self.out_act = make_activation(net.activation)
        self.out_conv = xavier_init(nn.Conv2d(chans[-1], c_img, 3, padding=1))
        if net.spectral_norm:
            apply_spectral_norm(self)

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        y = self.check_labels(y)
        h = self.linear(self.latent_input(z, y)).view(-1, *self.base_shape)
        h = self.attention[0](h)
        for block, attn in zip(self.blocks, self.attention[1:], strict=True):
            h = attn(block(h, y))
        return self.out_conv(self.out_act(self.out_norm(h))).tanh()


class ResNetDiscriminator(Discriminator):
    """Optimized block, residual blocks, activation, global sum pooling, linear heads."""

    def __init__(self, net: NetConfig, **kwargs) -> None:
        super().__init__(**kwargs)
        size = self.image_shape[1]
        check_attention(net.attention_res, discriminator_attention_sizes(size), "discriminator")
        norm = net.norm
        layers: list[nn.Module] = []
        c_in, res, placed = self.in_channels, size, False
        for i, (mult, down) in enumerate(D_BLOCKS[size]):
            c_out = mult * net.width
            if i == 0:
                block: nn.Module = OptimizedDBlock(
                    c_in, c_out, activation=net.activation, norm=norm, momentum=net.bn_momentum
                )
            else:
                block = DBlock(
                    c_in,
                    c_out,
                    downsample=down,
                    activation=net.activation,
                    norm=norm,
                    momentum=net.bn_momentum,
                )
            layers.append(block)
            res = res // 2 if down else res
            if net.attention_res == res and not placed:
                layers.append(SelfAttention(c_out))
                placed = True
            c_in = c_out
        layers.append(make_activation(net.activation))
        self.blocks = nn.Sequential(*layers)
        self.build_heads(c_in, init="xavier", spectral_norm=net.spectral_norm)

    def features(self, x: Tensor) -> Tensor:
        return self.blocks(x).sum(dim=(2, 3))


register_backbone(
    Backbone("resnet", ResNetGenerator, ResNetDiscriminator, sizes=tuple(sorted(BASE_SIZE)))
)
