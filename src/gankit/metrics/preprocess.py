"""The image side of the FID protocol: uint8 -> 3 channels -> TF1 bilinear 299x299 -> (x-128)/128.

Why a resize of our own: the Inception statistics everyone quotes were computed by TensorFlow 1's
``resize_bilinear(align_corners=False)``, which maps output pixel ``d`` to source coordinate
``d * in / out`` (no half-pixel centres). PyTorch's bilinear interpolation uses half-pixel
centres, which shifts small images by a fraction of a pixel and moves FID by 1-2%. Separable
bilinear resizing is linear, so it is two small dense matrices: ``out = Ah @ img @ Aw^T``,
applied to a whole batch by one batched matmul.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import torch

from gankit.data import transforms as data_transforms
from gankit.errors import MetricError

#: Bumped whenever anything in this file (or the metric maths) changes feature values; it is part
#: of every reference-statistics cache key.
PROTOCOL_VERSION = "tf1bilinear299-v1"
INCEPTION_SIZE = 299
#: Protocol names (``--protocol``) and the version string that results and cache keys carry.
#: ``clean`` is clean-fid's PIL bicubic resize (:mod:`gankit.metrics.clean_resize`).
PROTOCOLS = {"tf1": PROTOCOL_VERSION, "clean": "clean-pilbicubic299-v1"}
DEFAULT_PROTOCOL = "tf1"


def protocol_version(protocol: str) -> str:
    """The version string of a protocol name (``tf1`` -> ``tf1bilinear299-v1``)."""
    if protocol not in PROTOCOLS:
        raise MetricError(f"unknown protocol {protocol!r}; use one of {', '.join(PROTOCOLS)}.")
    return PROTOCOLS[protocol]


def to_uint8(images: torch.Tensor) -> torch.Tensor:
    """Quantise generator output in [-1, 1] exactly as saving it to PNG would; uint8 passes through.

    ``(x + 1) * 127.5``, rounded to nearest, clamped to [0, 255]
    (:func:`gankit.data.transforms.to_uint8`).
    """
    if images.dtype == torch.uint8:
        return images
    if not images.is_floating_point():
        raise MetricError(
            f"images must be uint8 or float in [-1, 1], got {images.dtype}; convert them first."
        )
    return data_transforms.to_uint8(images)


def tf1_resize_matrix(in_size: int, out_size: int) -> np.ndarray:
    """Dense ``[out_size, in_size]`` float64 matrix of TF1 ``resize_bilinear(align_corners=False)``.

    Source coordinate ``s = d * in / out`` (exact rational arithmetic), ``i0 = floor(s)``,
    ``i1 = min(i0 + 1, in - 1)``, weights ``1 - frac`` and ``frac``.
    """
    if in_size < 1 or out_size < 1:
        raise MetricError(f"cannot resize {in_size} to {out_size} pixels: need non-empty images.")
    matrix = np.zeros((out_size, in_size), dtype=np.float64)
    dst = np.arange(out_size, dtype=np.int64)
    numerator = dst * in_size
    i0 = numerator // out_size
    frac = (numerator - i0 * out_size) / out_size
    i1 = np.minimum(i0 + 1, in_size - 1)
    np.add.at(matrix, (dst, i0), 1.0 - frac)
    np.add.at(matrix, (dst, i1), frac)
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


def check_images(images: torch.Tensor) -> None:
    """Raise :class:`MetricError` unless ``images`` is ``[N, 1|3, H, W]``."""
    if images.dim() != 4 or images.shape[1] not in (1, 3):
        raise MetricError(
            f"expected images shaped [N, C, H, W] with C = 1 or 3, got {tuple(images.shape)}; "
            "convert them to grey or RGB first."
        )


def inception_input(
    images: torch.Tensor,
    *,
    device: torch.device | str = "cpu",
    dtype: torch.dtype = torch.float32,
    channels_last: bool = True,
    protocol: str = DEFAULT_PROTOCOL,
) -> torch.Tensor:
    """uint8 (or [-1, 1] float) ``[N, 1|3, H, W]`` -> network input ``[N, 3, 299, 299]``.

    The (x - 128) / 128 normalisation is applied before the resize: the resize matrices' rows sum
    to 1, so this equals normalising afterwards while touching 100x fewer pixels on small images.
    Grey images are resized as one channel and only then repeated to three. ``protocol="clean"``
    resizes with PIL's bicubic filter and clips to the pixel range, as clean-fid does.
    """
    protocol_version(protocol)  # rejects unknown names
    check_images(images)
    pixels = to_uint8(images).to(device=device, non_blocking=True)
    work_dtype = torch.float64 if dtype == torch.float64 else torch.float32
    x = (pixels.to(work_dtype) - 128.0) / 128.0
    if protocol == "clean":
        from gankit.metrics.clean_resize import resize_clean

        x = resize_clean(x, INCEPTION_SIZE, -1.0, 127.0 / 128.0)  # [0, 255] after normalising
    else:
        x = resize_tf1(x)
    # Cast before the three-channel copy: a third of the conversions for grey images, and the
    # same values, since rounding to ``dtype`` is elementwise.
    x = x.to(dtype).expand(-1, 3, -1, -1)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    return x.contiguous(memory_format=memory_format)
