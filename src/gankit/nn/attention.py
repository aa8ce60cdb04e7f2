"""SAGAN self-attention block (Zhang et al. 2019).

``out = x + gamma * W_o(softmax(Q K^T) V)`` with 1x1-conv projections: query and key at C/8
channels, value at C/2 followed by a 1x1 output conv back to C (the BigGAN formulation, cheaper
than a full-width value). ``gamma`` starts at 0, so a freshly built block is exactly the
identity and the network first learns local structure, then leans on attention.

No 1/sqrt(d) scaling (as in SAGAN). Attention is written with ``bmm`` + ``softmax`` instead of
``scaled_dot_product_attention`` because gradient penalties (WGAN-GP, R1) need double backward,
which the fused CPU kernels do not provide.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from gankit.nn.init import xavier_init
from gankit.nn.spectral import maybe_sn


def _proj(c_in: int, c_out: int, sn: bool) -> nn.Module:
    return maybe_sn(xavier_init(nn.Conv2d(c_in, c_out, 1, bias=False)), sn)


class SelfAttention(nn.Module):
    """Non-local attention over all H*W positions of a ``[N, C, H, W]`` feature map."""

    def __init__(self, channels: int, *, spectral_norm: bool = False) -> None:
        super().__init__()
        qk = max(1, channels // 8)
        v = max(1, channels // 2)
        self.channels = channels
        self.query = _proj(channels, qk, spectral_norm)
        self.key = _proj(channels, qk, spectral_norm)
        self.value = _proj(channels, v, spectral_norm)
        self.out = _proj(v, channels, spectral_norm)
        self.gamma = nn.Parameter(torch.zeros(()))

    def forward(self, x: Tensor) -> Tensor:
        n, _, h, w = x.shape
        q = self.query(x).flatten(2)  # [N, C/8, HW]
        k = self.key(x).flatten(2)  # [N, C/8, HW]
        v = self.value(x).flatten(2)  # [N, C/2, HW]
        attn = torch.softmax(torch.bmm(q.transpose(1, 2), k), dim=-1)  # [N, HW(query), HW(key)]
        o = torch.bmm(v, attn.transpose(1, 2)).view(n, -1, h, w)  # [N, C/2, H, W]
        return x + self.gamma * self.out(o)

    def extra_repr(self) -> str:
        return f"channels={self.channels}"
