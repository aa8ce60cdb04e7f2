"""Load the generator checkpoints of the canonical PyTorch DCGAN example as gankit generators.

The example (``dcgan/main.py`` of the public ``pytorch/examples`` repository) saves
``netG_epoch_N.pth`` state dicts of a five-layer transposed-convolution generator kept in one
``nn.Sequential`` called ``main``. This module rebuilds that layout under the same parameter
names (our own code, written from the layer list) so its weights load with
``weights_only=True``, and wraps it with the interface gankit's metrics expect
(``forward(z, y=None)`` in [-1, 1], ``z_dim``, ``num_classes``).

Scoring: the example trains at 64 px RGB on images upsampled to that size (28 px grey
Fashion-MNIST, 32 px CIFAR-10), so its samples are compared with the dataset's test split
after being brought back to the data's own form (antialiased area downsampling to 28 or 32 px,
and for grey data the mean of the three channels). Scoring the 64 px output as it is would
charge the peer for the upsampling it was fed, not for what it learned.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

Z_DIM = 100


def _up(cin: int, cout: int, *, first: bool = False) -> list[nn.Module]:
    """Transposed conv (4x4) + BN + ReLU: 1 -> 4 px for the first layer, x2 after."""
    stride, pad = (1, 0) if first else (2, 1)
    return [
        nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(True),
    ]


class PeerDCGANGenerator(nn.Module):
    """The example's 64 px generator (``ngf`` filters, ``nc`` output channels)."""

    def __init__(self, ngf: int = 64, nc: int = 3, nz: int = Z_DIM) -> None:
        super().__init__()
        layers = _up(nz, ngf * 8, first=True) + _up(ngf * 8, ngf * 4)
        layers += _up(ngf * 4, ngf * 2) + _up(ngf * 2, ngf)
        layers += [nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)
        self.nz = nz

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.view(len(z), self.nz, 1, 1))


class ScoredAsData(nn.Module):
    """Wrap a 64 px RGB peer generator so it emits images in the dataset's own form."""

    num_classes = 0

    def __init__(self, peer: PeerDCGANGenerator, size: int = 28, channels: int = 1) -> None:
        super().__init__()
        self.peer, self.size, self.channels = peer, size, channels
        self.z_dim = peer.nz

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        images = self.peer(z)
        if images.shape[-1] != self.size:
            images = F.interpolate(images, size=(self.size, self.size), mode="area")
        if self.channels == 1 and images.shape[1] == 3:
            images = images.mean(dim=1, keepdim=True)
        return images.clamp(-1, 1)


def load_peer_generator(path: str | Path, *, size: int = 28, channels: int = 1) -> ScoredAsData:
    """A ``netG_epoch_N.pth`` of the example as a gankit-scorable generator (eval mode)."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    first = state["main.0.weight"]  # [nz, ngf*8, 4, 4]
    last = state["main.12.weight"]  # [ngf, nc, 4, 4]
    peer = PeerDCGANGenerator(ngf=last.shape[0], nc=last.shape[1], nz=first.shape[0])
    peer.load_state_dict(state)
    return ScoredAsData(peer, size=size, channels=channels).eval()
