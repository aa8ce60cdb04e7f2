"""Batched pixel transforms: scaling, quantisation, resizing, channels, augmentation.

Everything works on whole ``[N, C, H, W]`` batches on any device with no per-sample Python,
because the trainer keeps the dataset in memory (often on the GPU) and augments each batch as
it is drawn.

Scales: ``"symmetric"`` maps uint8 0..255 to [-1, 1] (x / 127.5 - 1), the range of a ``tanh``
generator; ``"unit"`` maps to [0, 1] (x / 255). :func:`to_uint8` is the exact inverse after
rounding, and is how generator output is quantised before it is saved or scored, exactly as a
PNG writer would.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gankit.errors import DataError

SCALES = ("symmetric", "unit")
# ITU-R BT.601 luma weights, the ones Pillow uses for RGB -> "L".
LUMA = (0.299, 0.587, 0.114)


def _check_scale(scale: str) -> None:
    if scale not in SCALES:
        raise DataError(f"Unknown pixel scale {scale!r}; use 'symmetric' ([-1, 1]) or 'unit'.")


def to_float(
    images: torch.Tensor, scale: str = "symmetric", *, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """uint8 images -> float in [-1, 1] (``"symmetric"``) or [0, 1] (``"unit"``)."""
    _check_scale(scale)
    x = images.to(dtype)
    if scale == "symmetric":
        return x / 127.5 - 1.0
    return x / 255.0


def to_uint8(x: torch.Tensor, scale: str = "symmetric") -> torch.Tensor:
    """Float images -> uint8: ``(x + 1) * 127.5`` (or ``x * 255``), rounded, clamped."""
    _check_scale(scale)
    x = x.detach().float()
    y = (x + 1.0) * 127.5 if scale == "symmetric" else x * 255.0
    return y.round_().clamp_(0, 255).to(torch.uint8)


def _pair(size: int | tuple[int, int] | list[int]) -> tuple[int, int]:
    if isinstance(size, int):
        h = w = size
    else:
        h, w = (int(v) for v in size)
    if h <= 0 or w <= 0:
        raise DataError(f"Image size {size!r} is not positive; set data.image_size to e.g. 32.")
    return h, w


def resize_images(
    images: torch.Tensor, size: int | tuple[int, int], *, chunk: int = 4096
) -> torch.Tensor:
    """Resize uint8 ``[N, C, H, W]`` to ``size`` (int = square) with antialiased bilinear.

    Used e.g. to bring 28x28 MNIST to 32x32 for DCGAN-32. Works in float32 chunks of ``chunk``
    images (bounded memory), rounds and clamps back to uint8. ``antialias=True`` matters when
    shrinking (it averages like Pillow's filter instead of skipping pixels); for enlarging it is
    plain bilinear interpolation with half-pixel centres.
    """
    h, w = _pair(size)
    if images.shape[-2:] == (h, w):
        return images
    out = torch.empty(
        (images.shape[0], images.shape[1], h, w), dtype=torch.uint8, device=images.device
    )
    # CPU has a native uint8 antialiased-bilinear kernel (rounds internally, ~2x faster and no
    # float copy); other devices go through float32.
    native = images.device.type == "cpu"
    for start in range(0, images.shape[0], chunk):
        part = images[start : start + chunk]
        if native:
            out[start : start + chunk] = F.interpolate(
                part, size=(h, w), mode="bilinear", align_corners=False, antialias=True
            )
            continue
        resized = F.interpolate(
            part.float(), size=(h, w), mode="bilinear", align_corners=False, antialias=True
        )
        out[start : start + chunk] = resized.round_().clamp_(0, 255).to(torch.uint8)
    return out


def convert_channels(images: torch.Tensor, channels: int, *, chunk: int = 8192) -> torch.Tensor:
    """uint8 ``[N, C, H, W]`` to 1 or 3 channels: grey -> RGB repeats, RGB -> grey is luma."""
    if channels not in (1, 3):
        raise DataError(f"channels={channels} is not supported; use 1 (grey) or 3 (RGB).")
    current = images.shape[1]
    if current == channels:
        return images
    if current == 1:
        return torch.cat([images, images, images], dim=1)
    if current != 3:
        raise DataError(f"Cannot convert {current}-channel images; use 1- or 3-channel data.")
    weights = torch.tensor(LUMA, dtype=torch.float32, device=images.device).view(1, 3, 1, 1)
    out = torch.empty(
        (images.shape[0], 1, *images.shape[2:]), dtype=torch.uint8, device=images.device
    )
    for start in range(0, images.shape[0], chunk):
        part = images[start : start + chunk].float()
        grey = (part * weights).sum(dim=1, keepdim=True)
        out[start : start + chunk] = grey.round_().clamp_(0, 255).to(torch.uint8)
    return out


def flip_horizontal(batch: torch.Tensor) -> torch.Tensor:
    """Mirror every image left-right (its own inverse)."""
    return batch.flip(-1)


def _uniform(n: int, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """``n`` uniform [0, 1) numbers drawn from ``generator`` on its own device, then moved."""
    gen_device = generator.device if generator is not None else device
    return torch.rand(n, generator=generator, device=gen_device).to(device)


def random_flip(
    batch: torch.Tensor, generator: torch.Generator | None = None, p: float = 0.5
) -> torch.Tensor:
    """Flip each image left-right with probability ``p`` (one ``torch.where``, no loop)."""
    mask = _uniform(batch.shape[0], generator, batch.device) < p
    return torch.where(mask.view(-1, 1, 1, 1), batch.flip(-1), batch)


def rotate(
    batch: torch.Tensor, degrees: torch.Tensor, *, padding_mode: str = "reflection"
) -> torch.Tensor:
    """Rotate each image by its own angle (degrees, counter-clockwise) about its centre.

    One ``affine_grid`` + ``grid_sample`` (bilinear) for the whole batch. Angles of 0 give the
    input back up to float rounding. Pixels that come from outside the image are filled by
    ``padding_mode`` ("reflection", "border" or "zeros").
    """
    n = batch.shape[0]
    work = batch if batch.dtype in (torch.float32, torch.float64) else batch.float()
    rad = degrees.to(device=batch.device, dtype=work.dtype) * (math.pi / 180.0)
    cos, sin = torch.cos(rad), torch.sin(rad)
    zero = torch.zeros_like(rad)
    # Output pixel (x, y) samples the input at R (x, y); with y pointing down this turns the
    # content counter-clockwise on screen. affine_grid works in coordinates normalised by W/2 and
    # H/2, so the off-diagonal terms carry the aspect ratio to keep non-square images undistorted.
    height, width = work.shape[-2:]
    theta = torch.stack(
        [
            torch.stack([cos, -sin * (height / width), zero], dim=1),
            torch.stack([sin * (width / height), cos, zero], dim=1),
        ],
        dim=1,
    )
    grid = F.affine_grid(theta, [n, *work.shape[1:]], align_corners=False)
    out = F.grid_sample(work, grid, mode="bilinear", padding_mode=padding_mode, align_corners=False)
    return out.to(batch.dtype)


def augment(
    batch: torch.Tensor,
    hflip: bool = False,
    rotate_degrees: float = 0.0,
    generator: torch.Generator | None = None,
    *,
    padding_mode: str = "reflection",
) -> torch.Tensor:
    """Randomly flip (p = 0.5) and/or rotate (uniform in +-``rotate_degrees``) a float batch.

    Per-sample randomness comes from ``generator`` (any device; the numbers are moved to the
    batch's device), so a seeded generator reproduces the same augmentation.
    """
    out = batch
    if hflip:
        out = random_flip(out, generator)
    if rotate_degrees:
        angles = (_uniform(batch.shape[0], generator, batch.device) * 2.0 - 1.0) * float(
            rotate_degrees
        )
        out = rotate(out, angles, padding_mode=padding_mode)
    return out
