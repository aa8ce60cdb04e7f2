"""The clean-fid protocol's resize: PIL's antialiased bicubic filter on float images, as matrices.

Why a second protocol: clean-fid (Parmar et al. 2022) showed that the resize before Inception
moves FID by whole points, and fixed it to PIL's bicubic filter applied per channel to the
uint8 image converted to float (PIL mode ``"F"``, no re-quantisation), followed by clipping to
[0, 255]. Its published numbers use that resize; gankit's default stays TF1 bilinear (the
protocol of the original FID papers and most tables), and ``--protocol clean`` selects this one.

PIL's resampling is separable and linear, so, like :func:`gankit.metrics.preprocess.resize_tf1`,
it is two dense matrices applied by one batched matmul. Their rows follow Pillow's
``precompute_coeffs``: output pixel ``d`` is centred at source coordinate ``(d + 0.5) * scale``;
the bicubic kernel (``a = -0.5``) is stretched by ``max(scale, 1)`` when shrinking (that is the
antialiasing), taps run from ``int(centre - support + 0.5)`` to ``int(centre + support + 0.5)``
clipped to the image, and each row is normalised to sum to 1. The matrices are checked against
PIL itself in the tests.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from gankit.errors import MetricError
from gankit.metrics.preprocess import separable_resize

BICUBIC_A = -0.5
BICUBIC_SUPPORT = 2.0


def _bicubic(x: np.ndarray) -> np.ndarray:
    """Pillow's bicubic kernel with ``a = -0.5``."""
    x = np.abs(x)
    a = BICUBIC_A
    near = ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0
    far = (((x - 5.0) * x + 8.0) * x - 4.0) * a
    return np.where(x < 1.0, near, np.where(x < 2.0, far, 0.0))


def pil_bicubic_matrix(in_size: int, out_size: int) -> np.ndarray:
    """Dense ``[out_size, in_size]`` float64 matrix of PIL's ``Image.resize(..., BICUBIC)``."""
    if in_size < 1 or out_size < 1:
        raise MetricError(f"cannot resize {in_size} to {out_size} pixels: need non-empty images.")
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


def resize_clean(
    images: torch.Tensor, size: int, low: float = 0.0, high: float = 255.0
) -> torch.Tensor:
    """Resize float ``[N, C, H, W]`` to ``[N, C, size, size]`` with PIL's bicubic filter, then clip
    to ``[low, high]`` (clean-fid clips to the pixel range [0, 255]; pass the normalised bounds
    when the images are already normalised, which is equivalent because both steps are affine)."""
    return separable_resize(images, size, pil_bicubic_matrix, "resize_clean").clamp(low, high)
