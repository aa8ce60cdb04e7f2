"""Generating images from a generator: the one place latents and labels are drawn.

Training steps, sample grids, ``gankit sample``, evaluation, class accuracy and the EMA's
batch-norm recalibration all feed a generator the same way: Gaussian ``z`` first, then (for a
conditional generator) uniform labels from the same random stream, unless the caller fixes
the labels. Keeping that order in one function is what keeps a seed meaning the same images
everywhere; the functions are pure torch so ``training`` and ``metrics`` can both use them
without importing each other.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch
from torch import Tensor, nn

from gankit.data.transforms import to_uint8


def draw_inputs(
    n: int,
    z_dim: int,
    num_classes: int = 0,
    *,
    rng: torch.Generator | None = None,
    device: torch.device | str | None = None,
    labels: Tensor | None = None,
) -> tuple[Tensor, Tensor | None]:
    """``n`` latents from N(0, I), then uniform labels when ``num_classes`` and none are given.

    ``rng`` None draws from the global generator (the trainer reseeds it every step); given
    ``labels`` are used as they are and draw nothing.
    """
    z = torch.randn(n, z_dim, generator=rng, device=device)
    if labels is not None:
        return z, labels
    if num_classes:
        return z, torch.randint(0, num_classes, (n,), generator=rng, device=device)
    return z, None


@torch.no_grad()
def generate(generator: nn.Module, z: Tensor, y: Tensor | None, *, batch_size: int = 500) -> Tensor:
    """Generator output for given inputs as uint8 on the CPU, in eval mode, in batches of
    ``batch_size`` (bounded memory for 10k images); restores the module's mode."""
    was_training = generator.training
    generator.eval()
    out = []
    try:
        for start in range(0, len(z), batch_size):
            zb = z[start : start + batch_size]
            yb = None if y is None else y[start : start + batch_size]
            out.append(to_uint8(generator(zb, yb).float()).cpu())
    finally:
        generator.train(was_training)
    return torch.cat(out)


def seeded_batches(
    generator: nn.Module,
    n: int,
    *,
    batch_size: int,
    seed: int,
    device: torch.device | str,
    labels_out: list[Tensor] | None = None,
) -> Iterator[Tensor]:
    """``n`` raw generator outputs in batches, latents and uniform labels drawn per batch from
    a CPU stream seeded by ``seed`` (the same images on any device). The caller sets eval mode
    and disables autograd; the metrics quantise with their own protocol. A conditional
    generator's drawn labels are appended to ``labels_out`` when given (per-class metrics)."""
    rng = torch.Generator().manual_seed(seed)
    num_classes = int(getattr(generator, "num_classes", 0) or 0)
    for start in range(0, n, batch_size):
        b = min(batch_size, n - start)
        z, y = draw_inputs(b, generator.z_dim, num_classes, rng=rng)
        if labels_out is not None and y is not None:
            labels_out.append(y)
        yield generator(z.to(device), None if y is None else y.to(device))
