"""The resizes to Inception's 299x299 of both protocols, as dense matrices.

Why resizes of our own: FID moves by whole points with the resize in front of Inception.

- ``tf1`` (the default): the statistics everyone quotes were computed by TensorFlow 1's
  ``resize_bilinear(align_corners=False)``, which maps output pixel ``d`` to source coordinate
  ``d * in / out`` (no half-pixel centres). PyTorch's bilinear interpolation uses half-pixel
  centres, which shifts small images by a fraction of a pixel and moves FID by 1-2%.
- ``clean``: clean-fid (Parmar et al. 2022) fixed the resize to PIL's antialiased bicubic
  filter applied per channel to the uint8 image converted to float (PIL mode ``"F"``, no
  re-quantisation), followed by clipping to [0, 255]. Pillow's rows follow its
  ``precompute_coeffs``: output pixel ``d`` is centred at source coordinate
  ``(d + 0.5) * scale``; the bicubic kernel (``a = -0.5``) is stretched by ``max(scale, 1)``
  when shrinking (the antialiasing), taps run from ``int(centre - support + 0.5)`` to
  ``int(centre + support + 0.5)`` clipped to the image, and each row is normalised to sum to 1.
  The tests check the matrices against PIL itself.

Both are separable and linear, so each is two small dense matrices, ``out = Ah @ img @ Aw^T``,
applied to a whole batch by one batched matmul.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np
import torch

from gankit.errors import MetricError

INCEPTION_SIZE = 299
BICUBIC_A = -0.5
BICUBIC_SUPPORT = 2.0


def _check_sizes(in_size: int, out_size: int) -> None:
    if in_size < 1 or out_size < 1:
        raise MetricError(f"cannot resize {in_size} to {out_size} pixels: need non-empty images.")


def tf1_resize_matrix(in_size: int, out_size: int) -> np.ndarray:
    """Dense ``[out_size, in_size]`` float64 matrix of TF1 ``resize_bilinear(align_corners=False)``.

    Source coordinate ``s = d * in / out`` (exact rational arithmetic), ``i0 = floor(s)``,
    ``i1 = min(i0 + 1, in - 1)``, weights ``1 - frac`` and ``frac``.
    """
    _check_sizes(in_size, out_size)
    matrix = np.zeros((out_size, in_size), dtype=np.float64)
    dst = np.arange(out_size, dtype=np.int64)
    numerator = dst * in_size
    i0 = numerator // out_size
    frac = (numerator - i0 * out_size) / out_size
    i1 = np.minimum(i0 + 1, in_size - 1)
    np.add.at(matrix, (dst, i0), 1.0 - frac)
    np.add.at(matrix, (dst, i1), frac)
    return matrix


def _bicubic(x: np.ndarray) -> np.ndarray:
    """Pillow's bicubic kernel with ``a = -0.5``."""
    x = np.abs(x)
    a = BICUBIC_A
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    far = (((x - 5.0) * x + 8.0) * x - 4.0) * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def pil_bicubic_matrix(in_size: int, out_size: int) -> np.ndarray:
    """Dense ``[out_size, in_size]`` float64 matrix of PIL's ``Image.resize(..., BICUBIC)``."""
    _check_sizes(in_size, out_size)
    scale = in_size / out_size
    filter_scale = max(scale, 1.0)
    support = BICUBIC_SUPPORT * filter_scale
    matrix = np.zeros((out_size, in_size), dtype=np.float64)
    for d in range(out_size):
        centre = (d + 0.5) * scale
        lo = max(math.floor(centre - support + 0.5), 0)
        hi = min(math.floor(centre + support + 0.5), in_size)
        taps = np.arange(lo, hi)
        weights = _bicubic((taps - centre + 0.5) / filter_scale)
        total = weights.sum()
        matrix[d, lo:hi] = weights / total if total != 0.0 else weights
    return matrix


@functools.lru_cache(maxsize=64)
def _matrix_tensor(
    matrix_of: Callable[[int, int], np.ndarray],
    in_size: int,
    out_size: int,
    device: torch.device,
    dtype: torch.dtype,
) -> torch.Tensor:
    return torch.from_numpy(matrix_of(in_size, out_size)).to(device=device, dtype=dtype)


def separable_resize(
    images: torch.Tensor, size: int, matrix_of: Callable[[int, int], np.ndarray], name: str
) -> torch.Tensor:
    """``rows @ images @ cols.T`` for float ``[N, C, H, W]``: any separable linear resize whose
    ``[out, in]`` matrix ``matrix_of`` builds (cached per size, device and dtype), computed in
    the dtype of ``images`` (float32 is accurate to ~1e-5 on 0..255 values)."""
    if not images.is_floating_point() or images.dim() != 4:
        raise MetricError(f"{name} expects a float [N, C, H, W] tensor.")
    height, width = images.shape[-2:]
    if (height, width) == (size, size):
        return images
    rows = _matrix_tensor(matrix_of, height, size, images.device, images.dtype)
    cols = _matrix_tensor(matrix_of, width, size, images.device, images.dtype)
    return rows @ images @ cols.T


def resize_tf1(images: torch.Tensor, size: int = INCEPTION_SIZE) -> torch.Tensor:
    """Resize float ``[N, C, H, W]`` to ``[N, C, size, size]`` with TF1's bilinear rule."""
    return separable_resize(images, size, tf1_resize_matrix, "resize_tf1")


def resize_clean(
    images: torch.Tensor, size: int, low: float = 0.0, high: float = 255.0
) -> torch.Tensor:
    """Resize float ``[N, C, H, W]`` to ``[N, C, size, size]`` with PIL's bicubic filter, then
    clip to ``[low, high]`` (clean-fid clips to the pixel range [0, 255]; pass the normalised bounds
    when the images are already normalised, which is equivalent because both steps are affine)."""
    return separable_resize(images, size, pil_bicubic_matrix, "resize_clean").clamp(low, high)
