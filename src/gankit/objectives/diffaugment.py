"""Differentiable Augmentation (Zhao et al. 2020), written for gankit.

DiffAugment augments *both* real and generated images every time the discriminator sees them,
in D's step and in G's step, with transforms that are differentiable with respect to the
image so the generator still gets gradients through them. This lets a GAN train on small
datasets without the discriminator memorising them, and without the augmentations leaking
into the generated distribution (they are never applied to G's output alone).

Transforms (each draws independent parameters per sample; real and fake batches get
independent draws of the same transform family):

* ``color``: brightness ``x + (u - 0.5)``, saturation ``(x - mean_c) * 2u + mean_c`` (skipped
  for 1-channel images, where it is the identity), contrast ``(x - mean) * (u + 0.5) + mean``,
  with ``u ~ U(0, 1)``;
* ``translation``: integer shift of up to 1/8 of the height / width in each direction, the
  vacated border filled with zeros (mid-grey for images in [-1, 1]);
* ``cutout``: zero a square of half the image size centred on a uniformly random pixel (it may
  be clipped by the border).

Everything is a handful of batched tensor ops (``gather`` for translation, broadcast masks for
cutout): no per-sample Python loops, any channel count, any device, works under autocast.
Transforms are applied in the fixed order they were registered in (color, translation, cutout,
then any policy a later module registers), whatever order the config string lists them in.

Policy names belong to the :data:`POLICIES` registry (kind ``diffaugment``), which the config
asks when it validates ``objective.diffaugment``: a new policy is one module that defines a
``Tensor -> Tensor`` transform and calls ``register_policy(NAME, fn)`` (imported by
``gankit/objectives/__init__.py``), plus its test.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

from gankit.errors import ConfigError
from gankit.registry import Registry

Policy = Callable[[Tensor], Tensor]

# Registration order is application order: keep color before the geometric transforms.
POLICIES: Registry[Policy] = Registry("diffaugment", key="objective.diffaugment")


def register_policy(name: str, transform: Policy) -> Policy:
    """Make ``transform`` (batch ``[N, C, H, W]`` -> same shape, differentiable, drawing its
    own random parameters per sample) the DiffAugment policy ``name``."""
    return POLICIES.add(name, transform)


def _uniform(x: Tensor) -> Tensor:
    """One U(0, 1) value per sample, shaped to broadcast over [N, C, H, W]."""
    return torch.rand(x.shape[0], 1, 1, 1, device=x.device, dtype=x.dtype)


def brightness(x: Tensor) -> Tensor:
    """Add a per-sample offset in [-0.5, 0.5)."""
    return x + (_uniform(x) - 0.5)


def saturation(x: Tensor) -> Tensor:
    """Scale the distance from the per-pixel channel mean by [0, 2); identity for grey."""
    if x.shape[1] == 1:
        return x
    mean = x.mean(dim=1, keepdim=True)
    return (x - mean) * (_uniform(x) * 2.0) + mean


def contrast(x: Tensor) -> Tensor:
    """Scale the distance from the per-image mean by [0.5, 1.5)."""
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_uniform(x) + 0.5) + mean


def color(x: Tensor) -> Tensor:
    """Brightness, then saturation, then contrast."""
    return contrast(saturation(brightness(x)))


def translation(x: Tensor, ratio: float = 0.125) -> Tensor:
    """Shift every image by its own integer (dy, dx), |dy| <= ratio*H, zero padded.

    The image is padded by the largest possible shift and each sample's window is picked
    with two ``gather`` calls (rows, then columns): output[i, j] = input[i - dy, j - dx].
    """
    n, c, h, w = x.shape
    sy, sx = int(h * ratio + 0.5), int(w * ratio + 0.5)
    if sy == 0 and sx == 0:
        return x
    dy = torch.randint(-sy, sy + 1, (n, 1), device=x.device)
    dx = torch.randint(-sx, sx + 1, (n, 1), device=x.device)
    padded = F.pad(x, (sx, sx, sy, sy))
    rows = torch.arange(h, device=x.device).unsqueeze(0) + (sy - dy)  # [n, h]
    cols = torch.arange(w, device=x.device).unsqueeze(0) + (sx - dx)  # [n, w]
    out = padded.gather(2, rows[:, None, :, None].expand(n, c, h, w + 2 * sx))
    return out.gather(3, cols[:, None, None, :].expand(n, c, h, w))


def cutout(x: Tensor, ratio: float = 0.5) -> Tensor:
    """Zero a (ratio*H) x (ratio*W) square centred on a random pixel of each image."""
    n, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h, (n, 1), device=x.device) - ch // 2
    left = torch.randint(0, w, (n, 1), device=x.device) - cw // 2
    ar_h = torch.arange(h, device=x.device).unsqueeze(0)
    ar_w = torch.arange(w, device=x.device).unsqueeze(0)
    in_rows = (ar_h >= top) & (ar_h < top + ch)  # [n, h]
    in_cols = (ar_w >= left) & (ar_w < left + cw)  # [n, w]
    keep = ~(in_rows[:, :, None] & in_cols[:, None, :])  # [n, h, w]
    return x * keep.unsqueeze(1).to(x.dtype)


register_policy("color", color)
register_policy("translation", translation)
register_policy("cutout", cutout)


def parse_policy(policy: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """``"translation,cutout,color"`` -> ``("color", "translation", "cutout")``: registration
    order. An unknown name raises the registry's sentence (valid names, closest one)."""
    names = policy.split(",") if isinstance(policy, str) else list(policy)
    wanted = {POLICIES.check(p.strip()) for p in names if p.strip()}
    return tuple(p for p in POLICIES if p in wanted)


class DiffAugment:
    """Callable applying a DiffAugment policy to a batch ``[N, C, H, W]``."""

    def __init__(self, policy: str | list[str] | tuple[str, ...]) -> None:
        self.policy = parse_policy(policy)

    def __bool__(self) -> bool:
        return bool(self.policy)

    def __repr__(self) -> str:
        return f"DiffAugment({','.join(self.policy)!r})"

    def __call__(self, x: Tensor) -> Tensor:
        if not self.policy:
            return x
        if x.dim() != 4:
            raise ConfigError(
                "'objective.diffaugment' needs image batches [N, C, H, W], got shape "
                f"{tuple(x.shape)}; set objective.diffaugment to '' for non-image inputs."
            )
        for name in self.policy:
            x = POLICIES.get(name)(x)
        return x


def diff_augment(x: Tensor, policy: str = "color,translation,cutout") -> Tensor:
    """Functional form: ``diff_augment(x, "translation,cutout")``."""
    return DiffAugment(policy)(x)
